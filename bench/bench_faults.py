"""Fault-injection run: a batch against a local fake model server that answers 20 % HTTP 429/500, 5 % garbage,
1 % text with a lone surrogate, over environments where 1 % of tool instances hang; every sample must be stored.

    python bench/bench_faults.py [--samples 300] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from fr_core.llm.fakeserver import FakeOpenAIServer, StepwiseModel, with_faults
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store

KEY = "sk-fault-run-NEVERSTORED-0123456789"

# A user environment whose every HANG_EVERY-th instance has a tool that never returns (a real bug in a user's
# tool: a loop waiting for a server that will not answer).
_TOOLS = '''
import itertools
import time

_made = itertools.count()


class Notes:
    """A notebook whose list_notes hangs in one instance of {every}."""

    def __init__(self):
        self.notes = {{"n1": "buy milk"}}
        self.hangs = next(_made) % {every} == {every} - 1

    def add_note(self, text: str) -> dict:
        """Add a note.

        Args:
            text: What the note says.
        """
        note_id = f"n{{len(self.notes) + 1}}"
        self.notes[note_id] = text
        return {{"note_id": note_id}}

    def list_notes(self) -> dict:
        """List the notes' ids."""
        if self.hangs:
            time.sleep(3600)
        return {{"note_ids": sorted(self.notes)}}

    def read_note(self, note_id: str) -> dict:
        """Read a note.

        Args:
            note_id: The note's id.
        """
        if note_id not in self.notes:
            return {{"error": f"no note {{note_id}}"}}
        return {{"text": self.notes[note_id]}}
'''


#: A model that does each role plainly and acts step by step (``StepwiseModel``: the chain A_T saw, one call a step).
_role_reply = StepwiseModel()


def fault_run(samples: int, folder: Path, *, concurrency: int = 8, hang_every: int = 50,
              sample_timeout_s: float = 2.0, seed: int = 0) -> dict[str, Any]:
    """Run the fault-injected batch in ``folder``; the figures, and where a key was found (nowhere, we hope)."""
    tools = folder / "faulty_tools.py"
    tools.write_text(_TOOLS.format(every=hang_every), encoding="utf-8")
    responder = with_faults(_role_reply, rate_limited=0.10, server_error=0.10, garbage=0.05, surrogate=0.01,
                            seed=seed)
    with FakeOpenAIServer(responder=responder) as server:
        models = folder / "models.toml"
        # The profile names its key variable, so the key is sent: it must still never reach the store.
        models.write_text(f'[profiles.faulty]\nprovider = "openai"\nmodel = "fake-model"\nbase_url = '
                          f'"{server.base_url}"\napi_key_env = "FAULT_RUN_KEY"\nmax_attempts = 2\n'
                          f'concurrency = {concurrency}\ninput_price_per_mtok = 1.0\noutput_price_per_mtok = 2.0\n',
                          encoding="utf-8")
        config = RunConfig.from_dict({
            "run": {"seed": seed, "concurrency": concurrency}, "agents": {"profile": "faulty"},
            "llm": {"profiles": str(models)},
            "generate": {"envs": ["GorillaFileSystem", f"{tools}:Notes"], "rounds": 1, "calls": 3, "k_max": 2,
                         "sample_timeout_s": sample_timeout_s}})
        db = folder / "faults.db"
        store = Store(db)
        started = time.perf_counter()
        progress = run_batch(store, config, samples, concurrency=concurrency)
        seconds = time.perf_counter() - started
        requests = server.request_count
    stats = store.run_stats(progress.run_id)
    rows = list(store.iter_samples(progress.run_id, with_trajectory=False))
    reasons = Counter((r.failure, (r.error or "").split(":")[0]) for r in rows if r.status == "failed")
    store.close()
    raw = b"".join(p.read_bytes() for p in folder.glob("faults.db*"))
    cached = sqlite3.connect(db).execute("SELECT COUNT(*) FROM llm_cache").fetchone()[0]
    return {"samples": samples, "seconds": round(seconds, 1), "requests": requests, "stored": stats.stored,
            "run_status": stats.run.status, "accepted": stats.accepted, "rejected": stats.rejected,
            "failed": stats.failed, "failed_by_kind": stats.failures,
            "failed_without_reason": sum(r.status == "failed" and not r.error for r in rows),
            "failure_reasons": {f"{kind}/{name}": n for (kind, name), n in sorted(reasons.items())},
            "llm_transport_failures": stats.run.usage.get("transport_failures", 0),
            "llm_calls": stats.run.usage.get("requests", 0), "cache_rows": cached,
            "key_found_in_store": KEY.encode() in raw}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    import os

    os.environ["FAULT_RUN_KEY"] = KEY
    with tempfile.TemporaryDirectory() as folder:
        figures = fault_run(args.samples, Path(folder), concurrency=args.concurrency)
    print(json.dumps(figures, indent=1))
    if figures["stored"] != args.samples or figures["failed_without_reason"] or figures["key_found_in_store"] \
            or figures["run_status"] == "running":
        raise SystemExit("fault-injection run lost data, left the run running or leaked the key")


if __name__ == "__main__":
    main()
