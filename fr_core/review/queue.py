"""The review queue over a run: one row per sample (generation status, review decision, stale rounds, edits) and
the filters a reviewer narrows it with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fr_core.store import Store

__all__ = ["REVIEW_STATES", "QueueFilter", "queue_rows", "filter_queue"]

#: What a sample's review column says: a reviewer's decision, or ``undecided``.
REVIEW_STATES: tuple[str, ...] = ("undecided", "accepted", "rejected")


def queue_rows(store: Store, run_id: str) -> list[dict[str, Any]]:
    """One row per sample of the run, in index order, read without loading any trajectory."""
    reviews = store.reviews(run_id)
    stale = store.stale(run_id)
    edited = {sid: len({e.round for e in edits if e.field == "round"})
              for sid, edits in store.run_edits(run_id).items()}
    rows = []
    for r in store.iter_samples(run_id, with_trajectory=False, batch=2048):
        review = reviews.get(r.id)
        rows.append({"sample": r.id, "status": r.status, "review": review.decision if review else "undecided",
                     "stale": ", ".join(f"round {n}" for n in sorted(stale.get(r.id, {}))),
                     "edited rounds": edited.get(r.id, 0), "env": "+".join(r.classes), "turns": r.n_turns,
                     "attempts": r.n_attempts, "error": r.error or ""})
    return rows


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows; an empty choice means any. ``matches`` are the ids a text search found (``None``: no
    search)."""

    status: tuple[str, ...] = ()
    review: tuple[str, ...] = ()
    envs: tuple[str, ...] = ()
    stale_only: bool = False
    min_attempts: int = 0
    matches: frozenset[str] | None = None


def filter_queue(rows: Iterable[dict[str, Any]], f: QueueFilter) -> list[dict[str, Any]]:
    """The rows ``f`` lets through, in their order."""
    return [r for r in rows
            if (not f.status or r["status"] in f.status) and (not f.review or r["review"] in f.review)
            and (not f.envs or r["env"] in f.envs) and (not f.stale_only or r["stale"])
            and r["attempts"] >= f.min_attempts and (f.matches is None or r["sample"] in f.matches)]
