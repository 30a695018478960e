"""The data flow of a sampled turn: which calls count, which arguments a user supplies, which values stay hidden."""

from __future__ import annotations

from dataclasses import dataclass

from fr_core.envs.base import call_failed
from fr_core.types import ArgSource, ToolCall, Turn

__all__ = ["FlowStep", "turn_flow"]


@dataclass(frozen=True)
class FlowStep:
    """One successful call of a turn: its position, the user-supplied and the hidden (output-fed) arguments."""

    index: int
    call: ToolCall
    user_args: tuple[str, ...]
    hidden: tuple[ArgSource, ...]
    feeds_later: bool


def turn_flow(turn: Turn, round_index: int) -> tuple[FlowStep, ...]:
    """The turn's successful, non-deliberate calls (the ground truth) with their argument provenance; a call that
    repeats an earlier one with the same answer is left out.

    An argument taken from an earlier output (this round's or an earlier one's) is hidden; every other argument
    (state, schema, random) is a value the user must give.
    """
    kept, seen = [], set()
    for i, s in enumerate(turn.steps):
        if s.deliberate_error or call_failed(s.result):
            continue
        key = (s.call.to_python(), s.result.to_text())
        if key in seen:  # the same call giving the same answer again: nothing a request would ask for
            continue
        seen.add(key)
        kept.append(i)
    fed = {s.from_call for i in kept for s in turn.steps[i].sources if s.kind == "output" and s.from_call}
    out = []
    for i in kept:
        step = turn.steps[i]
        hidden = tuple(s for s in step.sources if s.kind == "output")
        hidden_names = {s.name for s in hidden}
        user = tuple(k for k in step.call.arguments if k not in hidden_names)
        out.append(FlowStep(i, step.call, user, hidden, (round_index, i) in fed))
    return tuple(out)
