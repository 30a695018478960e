"""Hand edits of a turn's CoT and calls: the list of editable turns, draft keeping, checking and saving revisions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

import streamlit as st

from fr_core.edits import Revision, load_revisions, save_revision
from fr_core.envs.base import Environment
from fr_core.envs.validate import check_arguments
from fr_core.errors import FrError, ToolSpecError
from fr_core.llm import parse_tool_calls
from fr_core.store import Store
from fr_core.synthesis import turn_flow
from fr_core.types import Attempt, ToolCall, ToolSpec, Trajectory, Turn
from workbench.components.attempt_view import calls_text
from workbench.components.phases import TurnRun, start_env_for

__all__ = ["Editable", "editables", "review_reason", "steps_text", "draft_area", "parse_edit", "save_edit",
           "revision_rows"]

DRAFTS = "cot.drafts"  # item id -> {"steps": str}; survives switching items and failed checks


def steps_text(item: Editable) -> str:
    """An attempt's steps as editable text: one ``<think>…</think><tool_call>[…]</tool_call>`` block per step,
    blocks separated by a blank line (a turn with no attempt shows its ground-truth calls as one step)."""
    if item.attempt is None:
        return f"<think></think><tool_call>{calls_text(item.turn.calls)}</tool_call>"
    return "\n\n".join(f"<think>{text}</think><tool_call>{calls_text(step.calls)}</tool_call>"
                        for text, step in zip(item.attempt.reasoning, item.attempt.steps))


@dataclass
class Editable:
    """One turn a person can edit: where it comes from, its start environment, ground truth and starting attempt."""

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
            self.start = start_env_for(self.trajectory, self.round)
        return self.start


def editables(run: TurnRun | None, samples: list[Trajectory] | None,
              stored: tuple[str, str, Trajectory] | None = None) -> list[Editable]:
    """Every attempt of the last critique run, every round of the session's samples and of the opened stored one."""
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
            a = r.outcome.passing or r.outcome.attempts[-1] if r.outcome and r.outcome.attempts else None
            out.append(Editable(f"{sid}:r{r.round}{where}", f"{sid} ({t.status}) · round {r.round + 1}{where}",
                                sid, r.round, r.turn, None, a, t, store))
    return out


def review_reason(item: Editable) -> str:
    """Why the item needs a human look ("" when it does not): its sample was rejected, or its turn needed retries."""
    record = item.trajectory.turns[item.round] if item.trajectory is not None else None
    outcome = record.outcome if record is not None else None
    if outcome is not None and not outcome.accepted:
        return f"no attempt passed in {len(outcome.attempts)}"
    if outcome is not None and outcome.passed_index:
        return f"passed only at attempt {outcome.passed_index + 1} (low confidence)"
    if item.trajectory is not None and item.trajectory.status != "accepted":
        return f"sample {item.trajectory.status}"
    return ""


def draft_area(item: Editable, field: str, label: str, height: int) -> str:
    """A text area whose content is kept in ``st.session_state`` per item, so no edit is ever lost."""
    drafts = st.session_state.setdefault(DRAFTS, {})
    original = {"steps": steps_text(item)}
    draft = drafts.setdefault(item.item_id, dict(original))
    key = f"cot.{field}.{item.item_id}"
    if key not in st.session_state:
        st.session_state[key] = draft[field]

    def keep() -> None:
        drafts[item.item_id][field] = st.session_state[key]

    return st.text_area(label, key=key, height=height, on_change=keep)


def parse_edit(text: str, specs: Mapping[str, ToolSpec]) -> tuple[list[tuple[str, list[ToolCall]]], list[str]]:
    """The edited steps, each ``(reasoning, calls)`` (FunReason blocks separated by blank lines; calls in JSON or
    python-call form, never evaluated), and argument warnings; raises ``FrError`` with a readable message for
    unparsable text, a step without calls or an unknown tool."""
    steps = []
    for n, block in enumerate((b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()), 1):
        try:
            parsed = parse_tool_calls(block, specs)
        except FrError as exc:
            raise FrError(f"step {n}: {exc}") from None
        if not parsed.calls:
            raise FrError(f"step {n} has no calls: write them as <tool_call>[f(a=1)]</tool_call>")
        steps.append((parsed.think, list(parsed.calls)))
    calls = [c for _, step in steps for c in step]
    unknown = [c.name for c in calls if c.name not in specs]
    if unknown:
        raise ToolSpecError(f"unknown tool(s) {', '.join(sorted(set(unknown)))}: this environment has "
                            f"{', '.join(sorted(specs))}")
    warnings = [f"{c.name}: {msg}" for c in calls if (msg := check_arguments(specs[c.name], c.arguments))]
    return steps, warnings


def save_edit(item: Editable, text: str, verdict: Any, who: str, note: str, decision: str) -> Revision:
    """Save the edited steps as a revision with provenance (before/after, verdict, who, when): into the sample's
    store when it came from one, else appended to the edits JSONL file."""
    steps, _ = parse_edit(text, _specs(item))
    if any(not reasoning.strip() for reasoning, _ in steps):
        raise FrError("a step has no reasoning: write it inside <think>…</think> before saving (the draft is kept)")
    before = {"steps": steps_text(item)}
    after = {"steps": text, "cot": "\n\n".join(r for r, _ in steps),
             "calls": calls_text([c for _, cs in steps for c in cs])}
    revision = Revision(item.sample_id, item.round, before, after,
                        {"passed": verdict.passed, "reason": verdict.reason, "rule": verdict.rule}, who=who.strip(),
                        note=note, decision=decision)
    if item.store is None:
        return save_revision(revision)
    store = Store(item.store)
    try:
        after = {**revision.after, "verdict": revision.verdict, "note": note, "decision": decision}
        store.add_edit(item.sample_id, f"round{item.round}", before, after, revision.who)
        row = store.edits(item.sample_id)[-1]
    finally:
        store.close()
    return replace(revision, who=row.author,
                   when=datetime.fromtimestamp(row.created, timezone.utc).isoformat(timespec="seconds"))


def _specs(item: Editable) -> dict[str, ToolSpec]:
    return {t.name: t for t in item.start_env().tools()}


def revision_rows(item: Editable) -> list[dict[str, Any]]:
    """The saved revisions of the item's sample, from its store or the JSONL file, oldest first."""
    if item.store is None:
        return [{"when": r.when, "who": r.who, "round": r.round + 1, "decision": r.decision,
                 "passed": r.verdict.get("passed"), "note": r.note, "before": r.before, "after": r.after}
                for r in load_revisions(sample_id=item.sample_id)]
    store = Store(item.store)
    try:
        edits = store.edits(item.sample_id)
    finally:
        store.close()
    return [{"when": datetime.fromtimestamp(e.created, timezone.utc).isoformat(timespec="seconds"), "who": e.author,
             "round": e.field, "decision": (e.after or {}).get("decision", ""),
             "passed": ((e.after or {}).get("verdict") or {}).get("passed"), "note": (e.after or {}).get("note", ""),
             "before": e.before, "after": e.after} for e in edits]
