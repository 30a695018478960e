"""What a reviewer does to a stored sample: save, revert or re-run a round, keep a stale round, accept or reject;
each action writes to the store with who and when, and edits flow forward to later rounds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fr_core.errors import ReviewError
from fr_core.review.revise import (
    Checked,
    check_edit,
    current,
    current_attempt,
    record_of,
    revision_after,
    stale_rounds,
    start_env,
    steps_text,
)
from fr_core.store import Store
from fr_core.types import Attempt, Trajectory

if TYPE_CHECKING:
    import networkx as nx

    from fr_core.agents import AgentSet

__all__ = ["Saved", "load_current", "save_revision", "revert", "keep_as_is", "rerun_round", "decide",
           "failing_rounds"]


@dataclass(frozen=True)
class Saved:
    """A saved revision: its id, the check of its steps, and the later rounds it made stale (round -> why)."""

    id: int
    checked: Checked | None
    stale: dict[int, str]


def _generated(store: Store, sid: str) -> Trajectory:
    trajectory = store.get_sample(sid).trajectory
    if trajectory is None:
        raise ReviewError(f"sample {sid} failed before it had any rounds: there is nothing to revise")
    return trajectory


def load_current(store: Store, sid: str) -> Trajectory:
    """The stored sample as it now stands (latest revisions and review decision applied)."""
    return current(_generated(store, sid), store.edits(sid), store.review(sid))


def _before(trajectory: Trajectory, round_no: int) -> dict[str, str]:
    attempt = current_attempt(record_of(trajectory, round_no))
    return {"steps": "" if attempt is None else steps_text(attempt.steps, attempt.reasoning)}


def _record(store: Store, sid: str, round_no: int, before: Trajectory, after: dict[str, object], author: str,
            checked: Checked | None) -> Saved:
    """Store one revision of a round, then replay the later rounds from the new state and mark the changed ones."""
    generated = _generated(store, sid)
    eid = store.add_edit(sid, "round", _before(before, round_no), after, author, round_no=round_no)
    now = current(generated, store.edits(sid), store.review(sid))
    stale = stale_rounds(now, round_no)
    for n in range(round_no, len(now.turns) + 1):
        store.clear_stale(sid, n)
    if stale:
        store.mark_stale(sid, stale)
    return Saved(eid, checked, stale)


def save_revision(store: Store, sid: str, round_no: int, text: str, author: str = "", note: str = "") -> Saved:
    """Check edited steps of round ``round_no`` by execution and store them as the round's current version (a failing
    edit is stored too: it is the reviewer's draft of record, and the sample cannot be accepted with it unless
    anyway)."""
    before = load_current(store, sid)
    checked = check_edit(before, round_no, text)
    record = record_of(before, round_no)
    attempt = checked.attempt(0, record.answer)
    return _record(store, sid, round_no, before, revision_after(checked, text, attempt, note), author, checked)


def revert(store: Store, sid: str, round_no: int, to: int | None, author: str = "") -> Saved:
    """Make revision ``to`` (an edit id of this round) the round's current version again, or the generated text
    when ``to`` is ``None``; recorded as a new revision, so nothing is lost."""
    before = load_current(store, sid)
    if to is None:
        return _record(store, sid, round_no, before, {"original": True, "note": "reverted to the generated text"},
                       author, None)
    target = next((e for e in store.edits(sid) if e.id == to and e.round == round_no and e.field == "round"), None)
    if target is None:
        raise ReviewError(f"sample {sid} has no revision {to} of round {round_no}; the revision table lists them")
    after = {**target.after, "note": f"reverted to revision {to}", "reverted_to": to}
    return _record(store, sid, round_no, before, after, author, None)


def keep_as_is(store: Store, sid: str, round_no: int, author: str = "") -> None:
    """Keep a stale round's attempt as it is: the stale mark goes, the choice is recorded with who and when."""
    why = store.stale(store.get_sample(sid).run_id).get(sid, {}).get(round_no)
    if why is None:
        raise ReviewError(f"round {round_no} of sample {sid} is not stale")
    store.add_edit(sid, "keep", {"stale": why}, {"kept": True}, author, round_no=round_no)
    store.clear_stale(sid, round_no)


def rerun_round(store: Store, sid: str, round_no: int, agents: AgentSet, graph: nx.DiGraph, *, k_max: int = 3,
                author: str = "") -> Saved:
    """Run Phase III again for round ``round_no`` from its current start state (``agents``: an ``AgentSet``,
    offline or the configured model) and store its passing attempt (else its last) as the round's revision."""
    from fr_core.refine import refine

    before = load_current(store, sid)
    record = record_of(before, round_no)
    if record.hard_query is None or record.adv_tool is None:
        raise ReviewError(f"round {round_no} of sample {sid} has no hard query: Phase III cannot run for it")
    start = start_env(before, round_no)
    outcome = refine(record.hard_query, start.tools(), record.adv_tool, record.turn, start, agents, k_max,
                     graph=graph, round_index=record.round).output
    attempt = outcome.passing or outcome.attempts[-1]
    text = steps_text(attempt.steps, attempt.reasoning)
    checked = check_edit(before, round_no, text, start)
    kept = Attempt(0, (), checked.steps, attempt.answer or record.answer, checked.verdict.passed,
                   checked.verdict.reason, checked.verdict.rule)
    note = f"Phase III re-run: {'passed' if attempt.passed else 'no attempt passed'} in {len(outcome.attempts)}"
    return _record(store, sid, round_no, before, revision_after(checked, text, kept, note), author or "Phase III",
                   checked)


def failing_rounds(trajectory: Trajectory) -> dict[int, str]:
    """Rounds (1-based) whose reviewer's revision fails its check: round -> reason."""
    out = {}
    for r in trajectory.provenance.get("revisions", ()):
        attempt = current_attempt(record_of(trajectory, r["round"]))
        if attempt is not None and not attempt.passed:
            out[r["round"]] = attempt.reason
    return out


def decide(store: Store, sid: str, decision: str, author: str = "", reason: str = "", *,
           anyway: bool = False) -> None:
    """Record a review decision on a sample. Accepting a sample whose revised round fails its check needs
    ``anyway`` and a ``reason``; both are recorded."""
    if decision == "accepted" and not anyway:
        failing = failing_rounds(current(_generated(store, sid), store.edits(sid)))
        if failing:
            n, why = next(iter(failing.items()))
            raise ReviewError(f"sample {sid}: the edit of round {n} fails its check ({why}); fix it, or accept "
                              "anyway with a reason")
    store.set_review(sid, decision, author, reason, forced=anyway and decision == "accepted")
