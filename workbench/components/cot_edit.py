"""Hand edits of a turn's CoT and calls: the list of editable turns, draft keeping, and saving revisions (into the
sample's store, where they become its current version, or into the edits JSONL file for session samples)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

import streamlit as st

from fr_core import review
from fr_core.edits import Revision, load_revisions, save_revision
from fr_core.envs.base import Environment
from fr_core.errors import FrError
from fr_core.store import Store
from fr_core.synthesis import turn_flow
from fr_core.types import Attempt, ToolCall, Trajectory, Turn
from workbench.components.phases import TurnRun

__all__ = ["Editable", "editables", "item_text", "draft_area", "save_edit", "revision_rows"]

DRAFTS = "cot.drafts"  # item id -> {"steps": str}; survives switching items and failed checks


def item_text(item: Editable) -> str:
    """The item's current steps as editable text (a turn with no attempt shows its ground-truth calls as one
    step)."""
    if item.attempt is None:
        return f"<think></think><tool_call>{review.calls_text(item.turn.calls)}</tool_call>"
    return review.steps_text(item.attempt.steps, item.attempt.reasoning)


@dataclass
class Editable:
    """One turn a person can edit: where it comes from, its start environment, ground truth and starting attempt.
    ``round`` is 0-based (as in ``TurnRecord.round``); people see ``round + 1``."""

    item_id: str
    label: str
    sample_id: str
    round: int
    turn: Turn
    start: Environment | None  # built lazily for data set samples (replaying earlier rounds)
    attempt: Attempt | None
    trajectory: Trajectory | None = None
    store: str | None = None  # the SQLite store the sample lives in (edits go there), else the JSONL file

    def truth(self) -> tuple[ToolCall, ...]:
        """The ground-truth calls (successful, non-deliberate calls of the turn)."""
        return tuple(f.call for f in turn_flow(self.turn, self.round))

    def start_env(self) -> Environment:
        if self.start is None:
            assert self.trajectory is not None
            self.start = review.start_env(self.trajectory, self.round + 1)
        return self.start


def editables(run: TurnRun | None, samples: list[Trajectory] | None,
              stored: tuple[str, str, Trajectory] | None = None) -> list[Editable]:
    """Every attempt of the last critique run, every round of the session's samples and of the opened stored one
    (as it now stands: its latest revisions applied)."""
    out: list[Editable] = []
    if run is not None and run.outcome is not None:
        sid = f"critique:{'+'.join(run.classes)}:seed{run.seed}:{run.turn.target}"
        for a in run.outcome.output.attempts:
            verdict = "passed" if a.passed else "failed"
            out.append(Editable(f"{sid}:k{a.k}", f"Critique run · attempt {a.k} ({verdict})",
                                sid, run.round, run.turn, run.start, a))
    # (sample id, trajectory, store path): a stored sample is known by its store id, edits go to that store
    sources = [(t.sample_id, t, None) for t in samples or []] + ([(stored[1], stored[2], stored[0])] if stored else [])
    for sid, t, store in sources:
        where = " · stored" if store else ""
        for r in t.turns:
            out.append(Editable(f"{sid}:r{r.round + 1}{where}", f"{sid} ({t.status}) · round {r.round + 1}{where}",
                                sid, r.round, r.turn, None, review.current_attempt(r), t, store))
    return out


def draft_area(item: Editable, field: str, label: str, height: int) -> str:
    """A text area whose content is kept in ``st.session_state`` per item, so no edit is ever lost."""
    drafts = st.session_state.setdefault(DRAFTS, {})
    original = {"steps": item_text(item)}
    draft = drafts.setdefault(item.item_id, dict(original))
    key = f"cot.{field}.{item.item_id}"
    if key not in st.session_state:
        st.session_state[key] = draft[field]

    def keep() -> None:
        drafts[item.item_id][field] = st.session_state[key]

    return st.text_area(label, key=key, height=height, on_change=keep)


def save_edit(item: Editable, text: str, verdict: Any, who: str, note: str, decision: str) -> Revision:
    """Save the edited steps as a revision with provenance (before/after, verdict, who, when). A stored sample's
    revision goes to its store and becomes its current version, and accept / reject there is the sample's review
    decision (a failing edit is refused for accept); a session sample's goes to the edits JSONL file."""
    steps, _ = review.parse_steps(text, {t.name: t for t in item.start_env().tools()})
    if any(not reasoning.strip() for reasoning, _ in steps):
        raise FrError("a step has no reasoning: write it inside <think>…</think> before saving (the draft is kept)")
    revision = Revision(item.sample_id, item.round + 1, {"steps": item_text(item)},
                        {"steps": text, "cot": "\n\n".join(r for r, _ in steps),
                         "calls": review.calls_text([c for _, cs in steps for c in cs])},
                        {"passed": verdict.passed, "reason": verdict.reason, "rule": verdict.rule}, who=who.strip(),
                        note=note, decision=decision)
    if item.store is None:
        return save_revision(revision)
    store = Store(item.store)
    try:
        saved = review.save_revision(store, item.sample_id, item.round + 1, text, who, note)
        if decision:
            review.decide(store, item.sample_id, "accepted" if decision == "accept" else "rejected", who, note)
        row = next(e for e in store.edits(item.sample_id) if e.id == saved.id)
    finally:
        store.close()
    return replace(revision, who=row.author,
                   when=datetime.fromtimestamp(row.created, timezone.utc).isoformat(timespec="seconds"))


def revision_rows(item: Editable) -> list[dict[str, Any]]:
    """The saved revisions of the item's sample, from its store or the JSONL file, oldest first."""
    if item.store is None:
        return [{"when": r.when, "who": r.who, "round": r.round, "decision": r.decision,
                 "passed": r.verdict.get("passed"), "note": r.note, "before": r.before, "after": r.after}
                for r in load_revisions(sample_id=item.sample_id)]
    store = Store(item.store)
    try:
        edits = [e for e in store.edits(item.sample_id) if e.field == "round"]
        decision = store.review(item.sample_id)
    finally:
        store.close()
    return [{"when": datetime.fromtimestamp(e.created, timezone.utc).isoformat(timespec="seconds"), "who": e.author,
             "round": e.round, "decision": decision.decision if decision and e is edits[-1] else "",
             "passed": (e.after.get("verdict") or {}).get("passed"), "note": e.after.get("note", ""),
             "before": e.before, "after": e.after} for e in edits]
