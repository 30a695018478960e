"""Evaluations in the run store's SQLite file: one row per evaluation, one per case (all its attempts, written in one
transaction), so a killed evaluation resumes with no case lost or repeated, and per-sample difficulty stays with
the run it measures."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fr_core.errors import StoreError
from fr_core.redact import scrub
from fr_core.store.sqlite import SQLiteFile

__all__ = ["EvalRow", "CaseRow", "EvalStore", "hard_samples"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS evaluations (
    id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    data TEXT NOT NULL,
    k INTEGER NOT NULL,
    n_cases INTEGER NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    test_backend INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    finished REAL,
    usage TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS eval_cases (
    eval_id TEXT NOT NULL REFERENCES evaluations(id),
    idx INTEGER NOT NULL,
    case_id TEXT NOT NULL,
    category TEXT NOT NULL,
    env TEXT NOT NULL,
    sample_id TEXT,
    passed INTEGER NOT NULL,
    k INTEGER NOT NULL,
    attempts TEXT NOT NULL,
    seconds REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    PRIMARY KEY (eval_id, case_id)
);
CREATE INDEX IF NOT EXISTS eval_cases_sample ON eval_cases (sample_id)
"""


@dataclass(frozen=True)
class EvalRow:
    """One evaluation: the model profile, the data source, attempts per case, its settings and LLM usage."""

    id: str
    model: str
    data: str
    k: int
    n_cases: int
    config: dict[str, Any]
    status: str
    test_backend: bool
    created: float
    finished: float | None
    usage: dict[str, Any]


@dataclass(frozen=True)
class CaseRow:
    """One evaluated case: how many of its ``k`` attempts passed, and every attempt (turns, steps, verdict)."""

    eval_id: str
    idx: int
    case_id: str
    category: str
    env: str
    sample_id: str | None
    passed: int
    k: int
    attempts: list[dict[str, Any]]
    seconds: float

    @property
    def pass_rate(self) -> float:
        return self.passed / self.k if self.k else 0.0


def _dump(value: Any) -> str:
    return scrub(json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":")))


class EvalStore(SQLiteFile):
    """The evaluation tables of a store file (created when missing); safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        try:
            super().__init__(path)
            self._conn.execute("PRAGMA busy_timeout=30000")
            with self._transaction() as conn:
                for statement in _SCHEMA.split(";"):
                    conn.execute(statement)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the evaluations of store {path}: {exc}; check the path") from None

    def create(self, model: str, data: str, k: int, n_cases: int, config: Mapping[str, Any], *,
               test_backend: bool = False) -> str:
        """Record a new evaluation; returns its id."""
        eval_id = f"eval-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        with self._transaction() as conn:
            conn.execute("INSERT INTO evaluations (id, model, data, k, n_cases, config, status, test_backend, created)"
                         " VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)",
                         (eval_id, model, data, k, n_cases, _dump(dict(config)), int(test_backend), time.time()))
        return eval_id

    def finish(self, eval_id: str, status: str, usage: Mapping[str, Any]) -> None:
        """Set the status and add this invocation's LLM usage to the stored totals."""
        old = self.get(eval_id).usage
        total = {k: old.get(k, 0) + v for k, v in usage.items()}
        with self._transaction() as conn:
            conn.execute("UPDATE evaluations SET status = ?, finished = ?, usage = ? WHERE id = ?",
                         (status, time.time(), _dump(total), eval_id))

    def get(self, eval_id: str) -> EvalRow:
        rows = self._query(f"SELECT {_EVAL_COLS} FROM evaluations WHERE id = ?", (eval_id,))
        if not rows:
            raise StoreError(f"store {self.path} has no evaluation {eval_id!r}; list them with `fr evals`")
        return _eval_row(rows[0])

    def evaluations(self) -> list[EvalRow]:
        return [_eval_row(r) for r in self._query(f"SELECT {_EVAL_COLS} FROM evaluations ORDER BY created DESC")]

    def add_case(self, eval_id: str, idx: int, case_id: str, category: str, env: str, sample_id: str | None,
                 passed: int, k: int, attempts: list[dict[str, Any]], seconds: float) -> bool:
        """Store one case with all its attempts in one transaction; ``False`` when it was stored already."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO eval_cases (eval_id, idx, case_id, category, env, sample_id, passed, k, "
                "attempts, seconds, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (eval_id, idx, case_id, category, env, sample_id, passed, k, _dump(attempts), seconds, time.time()))
        return cursor.rowcount == 1

    def done_cases(self, eval_id: str) -> set[str]:
        return {r[0] for r in self._query("SELECT case_id FROM eval_cases WHERE eval_id = ?", (eval_id,))}

    def cases(self, eval_id: str, *, with_attempts: bool = True) -> list[CaseRow]:
        cols = "eval_id, idx, case_id, category, env, sample_id, passed, k, " + (
            "attempts" if with_attempts else "'[]'") + ", seconds"
        rows = self._query(f"SELECT {cols} FROM eval_cases WHERE eval_id = ? ORDER BY idx", (eval_id,))
        return [CaseRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8]), r[9]) for r in rows]

    def difficulty(self, eval_id: str) -> dict[str, float]:
        """Per generated sample of the evaluation, the share of its attempts the model passed."""
        self.get(eval_id)
        return {r[0]: r[1] / r[2] for r in self._query(
            "SELECT sample_id, passed, k FROM eval_cases WHERE eval_id = ? AND sample_id IS NOT NULL", (eval_id,))}


_EVAL_COLS = "id, model, data, k, n_cases, config, status, test_backend, created, finished, usage"


def _eval_row(r: tuple[Any, ...]) -> EvalRow:
    return EvalRow(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], bool(r[7]), r[8], r[9], json.loads(r[10]))


def hard_samples(path: str | Path, eval_id: str, run_id: str, max_pass_rate: float) -> frozenset[str]:
    """The samples of run ``run_id`` that evaluation ``eval_id`` passed at most ``max_pass_rate`` of the time."""
    evals = EvalStore(path)
    row = evals.get(eval_id)
    if row.data != f"run:{run_id}":
        raise StoreError(f"evaluation {eval_id} measured {row.data}, not run:{run_id}; evaluate the run first "
                         f"(fr eval --data run:{run_id})")
    return frozenset(s for s, rate in evals.difficulty(eval_id).items() if rate <= max_pass_rate + 1e-12)
