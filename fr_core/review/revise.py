"""A reviewer's revision of a round: edited steps parsed and checked by execution from the round's current start
state, and the current version of a sample (its latest revisions and review decision applied)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from fr_core.envs import make_env
from fr_core.envs.base import Environment
from fr_core.envs.validate import check_arguments
from fr_core.errors import FrError, ReviewError, ToolSpecError
from fr_core.llm import parse_tool_calls
from fr_core.refine.validate import Verdict, ground_truth, validate
from fr_core.serialize import from_dict, to_dict
from fr_core.store import EditRow, ReviewRow
from fr_core.types import Attempt, RefineOutcome, Step, ToolCall, ToolSpec, Trajectory, TurnRecord

__all__ = ["Checked", "parse_steps", "steps_text", "calls_text", "record_of", "current_attempt", "start_env",
           "check_edit", "revision_after", "current", "revised_rounds", "stale_rounds"]


def calls_text(calls: Iterable[ToolCall]) -> str:
    """Calls in the FunReason python-call form ``[f(a=1), g()]``."""
    return "[" + ", ".join(c.to_python() for c in calls) + "]"


def steps_text(steps: Sequence[Step], reasoning: Sequence[str]) -> str:
    """Steps as editable text: one ``<think>…</think><tool_call>[…]</tool_call>`` block per step, blocks separated
    by a blank line."""
    return "\n\n".join(f"<think>{text}</think><tool_call>{calls_text(step.calls)}</tool_call>"
                       for text, step in zip(reasoning, steps))


def parse_steps(text: str, specs: Mapping[str, ToolSpec]) -> tuple[list[tuple[str, list[ToolCall]]], list[str]]:
    """The edited steps, each ``(reasoning, calls)`` (blocks separated by blank lines; calls in JSON or python-call
    form, parsed as data, never evaluated), and argument warnings; raises ``FrError`` with a readable message for
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


def record_of(trajectory: Trajectory, round_no: int) -> TurnRecord:
    """Round ``round_no`` (1-based) of the sample; a clear error for a round it does not have."""
    if not 1 <= round_no <= len(trajectory.turns):
        raise ReviewError(f"sample {trajectory.sample_id} has rounds 1 to {len(trajectory.turns)}, not {round_no}")
    return trajectory.turns[round_no - 1]


def current_attempt(record: TurnRecord) -> Attempt | None:
    """The attempt a round stands for: the passing one, else the last one (``None`` before Phase III)."""
    if record.outcome is None or not record.outcome.attempts:
        return None
    return record.outcome.passing or record.outcome.attempts[-1]


def revised_rounds(trajectory: Trajectory) -> set[int]:
    """The rounds (1-based) whose current attempt is a reviewer's revision (see :func:`current`)."""
    return {int(r["round"]) for r in trajectory.provenance.get("revisions", ())}


def start_env(trajectory: Trajectory, round_no: int) -> Environment:
    """The environment at the start of round ``round_no``: the initial state, then every earlier round replayed:
    its reviewer's revision where there is one (edits flow forward), else its ground-truth calls."""
    record_of(trajectory, round_no)
    env = make_env(list(trajectory.classes), initial_config=copy.deepcopy(trajectory.initial_config))
    revised = revised_rounds(trajectory)
    for record in trajectory.turns[:round_no - 1]:
        attempt = current_attempt(record)
        calls = attempt.calls if record.round + 1 in revised and attempt is not None else record.turn.calls
        for call in calls:
            env.execute(call)
    return env


@dataclass(frozen=True)
class Checked:
    """Edited steps executed and validated: the steps with their results, argument warnings and the verdict."""

    steps: tuple[Step, ...]
    warnings: tuple[str, ...]
    verdict: Verdict
    truth: tuple[ToolCall, ...]  # the round's ground-truth calls
    expected: dict[str, Any]  # the state the ground truth leaves, replayed from the same start

    @property
    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(c for s in self.steps for c in s.calls)

    def attempt(self, k: int, answer: str) -> Attempt:
        """The edited steps as an attempt ``k`` with this verdict."""
        v = self.verdict
        return Attempt(k, (), self.steps, answer, v.passed, v.reason, v.rule)


def check_edit(trajectory: Trajectory, round_no: int, text: str, start: Environment | None = None) -> Checked:
    """Parse edited steps of round ``round_no`` and validate them by execution from the round's current start
    state (``start`` when the caller has it) against its ground truth replayed from that state."""
    record = record_of(trajectory, round_no)
    start = start if start is not None else start_env(trajectory, round_no)
    parsed, warnings = parse_steps(text, {t.name: t for t in start.tools()})
    calls = [c for _, cs in parsed for c in cs]
    truth = ground_truth(start, record.turn, record.round)
    verdict = validate(calls, start, truth)
    results = iter(verdict.results)
    steps = tuple(Step(reasoning, tuple(cs), tuple(next(results) for _ in cs)) for reasoning, cs in parsed)
    return Checked(steps, tuple(warnings), verdict, record.turn.calls, truth.state)


def revision_after(checked: Checked, text: str, attempt: Attempt, note: str = "") -> dict[str, Any]:
    """What a stored revision of a round holds: the edited text, its CoT and calls, the attempt it makes (with the
    results executed) and its verdict, and the reviewer's note."""
    v = checked.verdict
    return {"steps": text, "cot": attempt.cot, "calls": calls_text(checked.calls), "attempt": to_dict(attempt),
            "verdict": {"passed": v.passed, "reason": v.reason, "rule": v.rule}, "note": note}


def current(trajectory: Trajectory, edits: Sequence[EditRow], review: ReviewRow | None = None) -> Trajectory:
    """The sample as the data now stands: each round's latest revision as its current attempt (a failing one
    counts as passing only when the reviewer accepted it anyway), ``edited`` and the revision ids in the provenance,
    and the review decision there too (``rescued`` when a reviewer accepted a sample generation rejected)."""
    latest: dict[int, EditRow] = {}
    for edit in edits:
        if edit.field == "round" and edit.round is not None:
            latest[edit.round] = edit
    turns = list(trajectory.turns)
    revisions = []
    forced = review is not None and review.decision == "accepted" and review.forced
    for round_no, edit in sorted(latest.items()):
        if edit.after.get("original") or round_no > len(turns):
            continue  # reverted to the generated text
        attempt = from_dict(Attempt, edit.after["attempt"])
        attempt = replace(attempt, passed=attempt.passed or forced)
        record = turns[round_no - 1]
        before = record.outcome.attempts if record.outcome else ()
        attempts = before + (replace(attempt, k=len(before) + 1),)
        turns[round_no - 1] = replace(record, outcome=RefineOutcome(attempt.passed, attempts,
                                                                    len(attempts) - 1 if attempt.passed else None))
        revisions.append({"round": round_no, "id": edit.id, "author": edit.author, "created": edit.created})
    provenance = dict(trajectory.provenance)
    provenance["edited"] = bool(revisions)
    provenance["revisions"] = revisions
    if review is not None:
        provenance["review"] = {"decision": review.decision, "author": review.author, "created": review.created,
                                "reason": review.reason, "accepted_anyway": review.forced,
                                "rescued": review.decision == "accepted" and trajectory.status != "accepted"}
    return replace(trajectory, turns=tuple(turns), provenance=provenance)


def stale_rounds(trajectory: Trajectory, round_no: int) -> dict[int, str]:
    """Rounds after ``round_no`` whose current attempt, checked against its ground truth replayed from the state the
    edited rounds now leave, no longer gives the verdict it was kept with: round (1-based) -> why."""
    out = {}
    for n in range(round_no + 1, len(trajectory.turns) + 1):
        record = record_of(trajectory, n)
        attempt = current_attempt(record)
        if attempt is None:
            continue
        start = start_env(trajectory, n)
        now = validate(attempt.calls, start, ground_truth(start, record.turn, record.round))
        if now.passed != attempt.passed:
            out[n] = (f"after the edit of round {round_no}, round {n} {'passes' if now.passed else 'fails'}: "
                      f"{now.reason} (it {'passed' if attempt.passed else 'failed'} before)")
    return out
