"""The step-trace rows of one trajectory (sampling, abstraction, query, each refine attempt) and its cost."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fr_core.types import LLMCallEvent, Trajectory, TurnRecord

__all__ = ["STAGES", "StepRow", "trajectory_steps", "llm_calls", "find_llm_events", "trajectory_cost"]

STAGES = ("sample", "abstract", "query", "refine")


@dataclass(frozen=True)
class StepRow:
    """One stage of one round: ``ok`` is its verdict (target reached, abstraction made, no leak, attempt passed)."""

    stage: str
    round: int
    attempt: int = 0
    ok: bool | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    llm_calls: tuple[dict[str, Any], ...] = ()


def llm_calls(events: Iterable[object]) -> tuple[dict[str, Any], ...]:
    """The short record of LLM calls kept with a step: role, model, cache key (the call's id), cost, cache hit."""
    return tuple({"role": e.role or e.label, "model": e.model, "cache_key": e.cache_key,
                  "cost_usd": float(e.cost_usd or 0.0), "cached": bool(e.cached)}
                 for e in events if isinstance(e, LLMCallEvent))


def _round_steps(record: TurnRecord) -> Iterator[StepRow]:
    turn, r = record.turn, record.round
    failed = sum(1 for s in turn.steps if not s.result.ok)
    yield StepRow("sample", r, ok=turn.reached_target, inputs={"target": turn.target},
                  outputs={"calls": [c.to_python() for c in turn.calls], "failed_calls": failed,
                           "deliberate_errors": sum(1 for s in turn.steps if s.deliberate_error),
                           "end_reason": turn.end_reason})
    adv = record.adv_tool
    yield StepRow("abstract", r, ok=adv is not None, inputs={"calls": len(turn.steps)},
                  outputs={} if adv is None else {"tool": adv.spec.name, "agent": adv.agent,
                                                  "inner_calls": [c.to_python() for c in adv.inner_calls]})
    if record.hard_query is not None or record.leak is not None:
        yield StepRow("query", r, ok=None if record.leak is None else record.leak.ok,
                      inputs={"tool": adv.spec.name if adv else ""},
                      outputs={"hard": record.hard_query.text if record.hard_query else "",
                               "easy": record.easy_query.text if record.easy_query else "",
                               "leaks": list(record.leak.leaks) if record.leak else []})
    if record.outcome is not None:
        query = record.hard_query.text if record.hard_query else ""
        for a in record.outcome.attempts:
            yield StepRow("refine", r, attempt=a.k, ok=a.passed, inputs={"query": query, "messages": len(a.prompt)},
                          outputs={"calls": [c.to_python() for c in a.calls], "reason": a.reason,
                                   "critique": a.critique, "parse_error": a.parse_error},
                          llm_calls=llm_calls(a.llm_events))


def trajectory_steps(trajectory: Trajectory) -> list[StepRow]:
    """Every stage of every round, in order; the full data stays in the trajectory itself."""
    return [step for record in trajectory.turns for step in _round_steps(record)]


def find_llm_events(obj: Any) -> Iterator[LLMCallEvent]:
    """Every LLM call event anywhere inside a step trace (its dicts, lists and tuples)."""
    if isinstance(obj, LLMCallEvent):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from find_llm_events(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from find_llm_events(value)


def trajectory_cost(trajectory: Trajectory, trace: Any = None) -> float:
    """US dollars of the sample's LLM calls: every attempt's events and those in ``trace`` (each call once)."""
    events = [e for rec in trajectory.turns if rec.outcome for a in rec.outcome.attempts for e in a.llm_events]
    unique = {(e.cache_key, e.started_at, e.role): e for e in [*find_llm_events(events), *find_llm_events(trace)]}
    return sum(c["cost_usd"] for c in llm_calls(unique.values()))
