"""A cloud print shop (a user environment for the tests): connect with an API key, upload documents, print them
while the account's credits last, follow print jobs, buy more credits.

Its shape differs from BFCL's on purpose: a document's id sits inside a ``meta`` record of the document, jobs are a
map keyed by job id, and every print spends credits until none are left.
"""

from __future__ import annotations

import random
from typing import Any, Literal, Optional

__all__ = ["PrintShop"]

_TITLES = ("quarterly report", "wedding invitation", "lecture notes", "tax return", "poster draft", "menu",
           "boarding pass", "lab results", "concert flyer", "lease agreement")


class PrintShop:
    """Print documents on a prepaid account; every tool but ``connect`` needs a connected account."""

    PRICE_PER_PAGE = 0.25

    def __init__(self) -> None:
        self.accounts: list[dict[str, Any]] = [{"account": {"account_id": "acc-1", "api_key": "key-7f3a"},
                                                "credits": 5.0}]
        self.connected: Optional[str] = None
        self.documents: list[dict[str, Any]] = []
        self.jobs: dict[str, dict[str, Any]] = {}

    @staticmethod
    def generate_state(seed: int) -> dict[str, Any]:
        """A seeded state for ``load_state``: accounts with little credit, a few documents, some finished jobs."""
        r = random.Random(seed)
        accounts = [{"account": {"account_id": f"acc-{i + 1}", "api_key": f"key-{r.getrandbits(16):04x}"},
                     "credits": r.choice((0.5, 1.25, 2.5, 6.0))} for i in range(r.randint(1, 3))]
        documents = [{"meta": {"id": f"doc-{i + 1:02d}", "title": t,
                               "owner": r.choice(accounts)["account"]["account_id"]},
                      "pages": r.randint(1, 12)} for i, t in enumerate(r.sample(_TITLES, r.randint(2, 5)))]
        jobs = {f"job-{i + 1}": {"document_id": d["meta"]["id"], "copies": 1, "status": "done"}
                for i, d in enumerate(documents[: r.randint(0, 2)])}
        return {"accounts": accounts, "documents": documents, "jobs": jobs}

    def load_state(self, state: dict[str, Any]) -> None:
        """Start from ``{"accounts": [...], "documents": [...], "jobs": {...}, "connected": account id or None}``."""
        self.accounts = [dict(a, account=dict(a["account"])) for a in state.get("accounts", self.accounts)]
        self.documents = [dict(d, meta=dict(d["meta"])) for d in state.get("documents", [])]
        self.jobs = {k: dict(v) for k, v in state.get("jobs", {}).items()}
        self.connected = state.get("connected")

    def connect(self, api_key: str) -> dict[str, Any]:
        """Connect to an account with its API key.

        Args:
            api_key: The account's API key.

        Returns:
            account_id (str): The connected account.
            credits (float): Credits left on it.
        """
        account = next((a for a in self.accounts if a["account"]["api_key"] == api_key), None)
        if account is None:
            return {"error": "connect: unknown API key"}
        self.connected = account["account"]["account_id"]
        return {"account_id": self.connected, "credits": account["credits"]}

    def upload_document(self, title: str, pages: int) -> dict[str, Any]:
        """Upload a document to the connected account.

        Args:
            title: The document's title.
            pages: How many pages it has (1 to 50).

        Returns:
            document (dict): {meta: {id, title}, pages} of the stored document.
        """
        account = self._account("upload_document")
        if "error" in account:
            return account
        if not 1 <= pages <= 50:
            return {"error": f"upload_document: {pages} pages is outside 1 to 50"}
        doc = {"meta": {"id": f"doc-{len(self.documents) + 1:02d}", "title": title,
                        "owner": account["account"]["account_id"]}, "pages": pages}
        self.documents.append(doc)
        return {"document": {"meta": dict(doc["meta"]), "pages": pages}}

    def list_documents(self) -> dict[str, Any]:
        """The connected account's documents.

        Returns:
            documents (list): One {meta: {id, title}, pages} per document.
        """
        account = self._account("list_documents")
        if "error" in account:
            return account
        own = [d for d in self.documents if d["meta"]["owner"] == account["account"]["account_id"]]
        return {"documents": [{"meta": dict(d["meta"]), "pages": d["pages"]} for d in own]}

    def print_document(self, document_id: str, copies: int = 1,
                       quality: Literal["draft", "normal"] = "normal") -> dict[str, Any]:
        """Print a document of the connected account; each page costs credits (a draft half as much).

        Args:
            document_id: The id of the document, from upload_document or list_documents.
            copies: How many copies.
            quality: Print quality.

        Returns:
            job_id (str): The print job, for job_status.
            credits (float): Credits left.
        """
        account = self._account("print_document")
        if "error" in account:
            return account
        doc = next((d for d in self.documents if d["meta"]["id"] == document_id), None)
        if doc is None or doc["meta"]["owner"] != account["account"]["account_id"]:
            return {"error": f"print_document: the account has no document {document_id!r}"}
        cost = doc["pages"] * max(1, copies) * self.PRICE_PER_PAGE * (0.5 if quality == "draft" else 1.0)
        if cost > account["credits"]:
            return {"error": f"print_document: needs {cost:.2f} credits, {account['credits']:.2f} left"}
        account["credits"] = round(account["credits"] - cost, 2)
        job_id = f"job-{len(self.jobs) + 1}"
        self.jobs[job_id] = {"document_id": document_id, "copies": copies, "status": "queued"}
        return {"job_id": job_id, "credits": account["credits"]}

    def job_status(self, job_id: str) -> dict[str, Any]:
        """The status of a print job.

        Args:
            job_id: The job's id, from print_document.

        Returns:
            status (str): queued or done.
            document_id (str): The printed document.
        """
        account = self._account("job_status")
        if "error" in account:
            return account
        job = self.jobs.get(job_id)
        if job is None:
            return {"error": f"job_status: no job {job_id!r}"}
        return {"status": job["status"], "document_id": job["document_id"]}

    def buy_credits(self, amount: float) -> dict[str, Any]:
        """Add credits to the connected account.

        Args:
            amount: Credits to buy, 1 to 100.

        Returns:
            credits (float): Credits now on the account.
        """
        account = self._account("buy_credits")
        if "error" in account:
            return account
        if not 1 <= amount <= 100:
            return {"error": f"buy_credits: {amount} is outside 1 to 100"}
        account["credits"] = round(account["credits"] + amount, 2)
        return {"credits": account["credits"]}

    def _account(self, tool: str) -> dict[str, Any]:
        account = next((a for a in self.accounts if a["account"]["account_id"] == self.connected), None)
        return account if account is not None else {"error": f"{tool}: not connected; call connect first"}
