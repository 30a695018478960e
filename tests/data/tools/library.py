"""A members' lending library (a user environment for the tests): members sign in with a card number and a PIN,
search the catalogue, borrow the copies there are (they run out), return loans and pay fines.

Its shape differs from BFCL's on purpose: books and loans are records whose ids sit one level down
(``{"book": {"book_id": ...}}``), loans hang inside each member's record, and a book's copies run out.
"""

from __future__ import annotations

import random
from typing import Any, Optional

__all__ = ["LendingLibrary"]

_TITLES = ("The Quiet Harbour", "Maps of Forgotten Rivers", "A Short History of Salt", "Night Trains",
           "The Glass Orchard", "Learning to Sail", "Cooking with Seasons", "The Last Lighthouse",
           "Notes on Birdsong", "Mountains in Winter", "The Clockmaker's Daughter", "Field Guide to Moss")
_AUTHORS = ("Ines Valdivia", "Tomas Heller", "Ruth Okafor", "Mara Lindqvist", "Jon Ashby", "Priya Raman")
_NAMES = ("Ada", "Bram", "Chloe", "Dmitri", "Esme", "Farouk", "Gwen", "Hiro")


class LendingLibrary:
    """Lending desk of a small library; borrowing, returning and paying need a signed-in member."""

    def __init__(self) -> None:
        self.catalogue: list[dict[str, Any]] = [
            {"book": {"book_id": "bk-101", "title": "Night Trains", "author": "Jon Ashby"}, "copies": 1},
            {"book": {"book_id": "bk-102", "title": "Learning to Sail", "author": "Ruth Okafor"}, "copies": 2},
        ]
        self.members: list[dict[str, Any]] = [
            {"card": {"card_number": "C-1001", "name": "Ada"}, "pin": "4821", "fines": 0.0, "loans": []},
        ]
        self.signed_in: Optional[str] = None
        self.next_loan = 1

    @staticmethod
    def generate_state(seed: int) -> dict[str, Any]:
        """A seeded state for ``load_state``: a few books (some with a single copy), members, open loans, fines."""
        r = random.Random(seed)
        titles = r.sample(_TITLES, r.randint(4, 8))
        catalogue = [{"book": {"book_id": f"bk-{100 + i}", "title": t, "author": r.choice(_AUTHORS)},
                      "copies": r.randint(0, 2)} for i, t in enumerate(titles)]
        members, loan = [], 1
        for i, name in enumerate(r.sample(_NAMES, r.randint(2, 4))):
            loans = []
            for _ in range(r.randint(0, 2)):
                book = r.choice(catalogue)["book"]
                loans.append({"loan": {"loan_id": f"ln-{loan:03d}", "book_id": book["book_id"]},
                              "due": f"2025-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"})
                loan += 1
            members.append({"card": {"card_number": f"C-{1001 + i}", "name": name}, "pin": f"{r.randint(0, 9999):04d}",
                            "fines": r.choice((0.5, 1.5, 4.0, 7.25)), "loans": loans})
        return {"catalogue": catalogue, "members": members, "signed_in": None}

    def load_state(self, state: dict[str, Any]) -> None:
        """Start from ``{"catalogue": [...], "members": [...], "signed_in": card number or None}``."""
        self.catalogue = [dict(b, book=dict(b["book"])) for b in state.get("catalogue", self.catalogue)]
        self.members = [dict(m, card=dict(m["card"]), loans=[dict(x, loan=dict(x["loan"])) for x in m["loans"]])
                        for m in state.get("members", self.members)]
        self.signed_in = state.get("signed_in")
        numbers = [int(x["loan"]["loan_id"].split("-")[1]) for m in self.members for x in m["loans"]]
        self.next_loan = max(numbers, default=0) + 1

    def sign_in(self, card_number: str, pin: str) -> dict[str, Any]:
        """Sign a member in at the desk.

        Args:
            card_number: The member's library card number, e.g. 'C-1001'.
            pin: The member's four-digit PIN.

        Returns:
            name (str): The member's name.
            open_loans (int): How many books the member has out.
        """
        member = self._member(card_number)
        if member is None or member["pin"] != pin:
            return {"error": f"sign_in: card {card_number!r} and that PIN do not match"}
        self.signed_in = card_number
        return {"name": member["card"]["name"], "open_loans": len(member["loans"])}

    def search_catalogue(self, query: str) -> dict[str, Any]:
        """Find books whose title or author contains a word.

        Args:
            query: A word of the title or the author's name.

        Returns:
            results (list): One {book: {book_id, title, author}, copies} per match.
        """
        q = query.lower()
        hits = [b for b in self.catalogue if q in b["book"]["title"].lower() or q in b["book"]["author"].lower()]
        return {"results": [dict(b, book=dict(b["book"])) for b in hits]}

    def borrow_book(self, book_id: str) -> dict[str, Any]:
        """Borrow one copy of a book for the signed-in member.

        Args:
            book_id: The id of the book, from search_catalogue.

        Returns:
            loan (dict): {loan_id, book_id} of the new loan.
            due (str): The date to return it by.
        """
        member = self._current("borrow_book")
        if "error" in member:
            return member
        entry = next((b for b in self.catalogue if b["book"]["book_id"] == book_id), None)
        if entry is None:
            return {"error": f"borrow_book: no book {book_id!r} in the catalogue"}
        if entry["copies"] <= 0:
            return {"error": f"borrow_book: no copy of {entry['book']['title']!r} is left"}
        entry["copies"] -= 1
        loan = {"loan": {"loan_id": f"ln-{self.next_loan:03d}", "book_id": book_id}, "due": "2026-01-15"}
        self.next_loan += 1
        member["loans"].append(loan)
        return {"loan": dict(loan["loan"]), "due": loan["due"]}

    def return_book(self, loan_id: str) -> dict[str, Any]:
        """Return a borrowed book.

        Args:
            loan_id: The id of the loan, from borrow_book or list_loans.

        Returns:
            returned (str): The book id now back on the shelf.
        """
        member = self._current("return_book")
        if "error" in member:
            return member
        loan = next((x for x in member["loans"] if x["loan"]["loan_id"] == loan_id), None)
        if loan is None:
            return {"error": f"return_book: the member has no loan {loan_id!r}"}
        member["loans"].remove(loan)
        book_id = loan["loan"]["book_id"]
        for entry in self.catalogue:
            if entry["book"]["book_id"] == book_id:
                entry["copies"] += 1
        return {"returned": book_id}

    def list_loans(self) -> dict[str, Any]:
        """The signed-in member's open loans.

        Returns:
            loans (list): One {loan: {loan_id, book_id}, due} per loan.
        """
        member = self._current("list_loans")
        if "error" in member:
            return member
        return {"loans": [dict(x, loan=dict(x["loan"])) for x in member["loans"]]}

    def pay_fine(self, amount: float) -> dict[str, Any]:
        """Pay part or all of the signed-in member's fines.

        Args:
            amount: How much to pay, at most what is owed.

        Returns:
            remaining (float): The fines still owed.
        """
        member = self._current("pay_fine")
        if "error" in member:
            return member
        if amount <= 0 or amount > member["fines"]:
            return {"error": f"pay_fine: {amount} is not between 0 and the {member['fines']:.2f} owed"}
        member["fines"] = round(member["fines"] - amount, 2)
        return {"remaining": member["fines"]}

    def _member(self, card_number: str) -> Optional[dict[str, Any]]:
        return next((m for m in self.members if m["card"]["card_number"] == card_number), None)

    def _current(self, tool: str) -> dict[str, Any]:
        member = self._member(self.signed_in) if self.signed_in else None
        return member if member is not None else {"error": f"{tool}: no member is signed in; call sign_in first"}
