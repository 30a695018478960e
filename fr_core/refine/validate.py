"""Strict validation of an attempt by execution: each rejection names the rule it broke, so the critic and the app
can say it (BFCL's state and response checks, plus no failed, repeated, absurd or superfluous calls)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fr_core.envs.base import Environment, call_failed
from fr_core.envs.validate import check_arguments
from fr_core.sampling.flow import turn_flow
from fr_core.types import CallResult, ToolCall, Turn

__all__ = ["RULES", "Truth", "Verdict", "validate", "execute_calls", "ground_truth", "MAX_EXTRA_READS"]

#: Every rule an attempt can break, in the order they are checked.
RULES: tuple[str, ...] = ("no_calls", "schema", "constraint", "failed_call", "repeated_call", "state", "results",
                          "extra_reads")

#: Read-only calls an attempt may make beyond the ground truth's (looking before acting is fine, browsing is not).
MAX_EXTRA_READS = 1


@dataclass(frozen=True)
class Truth:
    """What an attempt is judged against: the ground truth's final state, the results it must contain, how many
    read-only calls and repeated calls it made itself, and whether its turn is an error-recovery turn by design."""

    state: dict[str, Any]
    results: tuple[CallResult, ...]
    reads: int = 0
    repeats: int = 0
    recovery: bool = False


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt passed; ``rule`` names the rule it broke (empty when it passed), ``reason`` says how."""

    passed: bool
    reason: str
    results: tuple[CallResult, ...]
    state: dict[str, Any]
    rule: str = ""


@dataclass(frozen=True)
class _Run:
    results: tuple[CallResult, ...]
    changed: tuple[bool, ...]  # whether each call changed the state
    env: Environment


def _run(start: Environment, calls: Sequence[ToolCall]) -> _Run:
    env = start.copy()
    results, changed = [], []
    before = env.state()
    for call in calls:
        results.append(env.execute(call))
        after = env.state()
        changed.append(after != before)
        before = after
    return _Run(tuple(results), tuple(changed), env)


def execute_calls(start: Environment, calls: Sequence[ToolCall]) -> tuple[tuple[CallResult, ...], Environment]:
    """Run ``calls`` in a fresh copy of ``start`` (never ``start`` itself); the results and the copy."""
    run = _run(start, calls)
    return run.results, run.env


def _repeats(calls: Sequence[ToolCall], results: Sequence[CallResult], changed: Sequence[bool]) -> int:
    """Calls that repeat an earlier identical successful call to no purpose: the same answer again, or the same
    change made twice."""
    seen: set[str] = set()
    answers: set[tuple[str, str]] = set()
    count = 0
    for call, result, did_change in zip(calls, results, changed):
        if call_failed(result):  # a retry after a failure repeats nothing that worked
            continue
        key = call.to_python()
        if key in seen and ((key, result.to_text()) in answers or did_change):
            count += 1
        seen.add(key)
        answers.add((key, result.to_text()))
    return count


def ground_truth(start: Environment, turn: Turn, round_index: int) -> Truth:
    """The ground truth of a sampled turn, executed from ``start``: final state, the results of its kept steps,
    its read-only and repeated calls; a turn with deliberate errors is an error-recovery turn by design."""
    run = _run(start, turn.calls)
    kept = sorted(s.index for s in turn_flow(turn, round_index))
    return Truth(run.env.state(), tuple(run.results[i] for i in kept),
                 reads=sum(1 for i in kept if not run.changed[i] and not call_failed(run.results[i])),
                 repeats=_repeats([turn.calls[i] for i in kept], [run.results[i] for i in kept],
                                  [run.changed[i] for i in kept]),
                 recovery=any(s.deliberate_error for s in turn.steps))


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in list(a) + [k for k in b if k not in a]:
            out += _differences(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
            if len(out) >= 3:
                break
        return out
    return [] if a == b else [path or "(root)"]


def _recovered(n: int, calls: Sequence[ToolCall], results: Sequence[CallResult]) -> bool:
    """Whether the failed call ``n`` is followed by a successful call of the same tool."""
    return any(c.name == calls[n].name and not call_failed(r) for c, r in zip(calls[n + 1:], results[n + 1:]))


def validate(calls: Sequence[ToolCall], start: Environment, truth: Truth, *,
             max_extra_reads: int = MAX_EXTRA_READS) -> Verdict:
    """Execute ``calls`` from ``start`` and judge them against ``truth``, rule by rule (see :data:`RULES`).

    - ``no_calls``: nothing was called; ``schema``: an argument outside the tool's schema; ``constraint``: arguments
      that contradict each other (a minimum above its maximum, a move onto itself) or break the environment's own
      constraints; ``failed_call``: a call answered with an error (allowed only in an error-recovery turn by design,
      when a later call of the same tool succeeds); ``repeated_call``: an identical call that repeats a change or an
      answer, beyond the ground truth's own; ``state``: the final state differs; ``results``: a ground-truth result
      is missing; ``extra_reads``: more than ``max_extra_reads`` read-only calls beyond the ground truth's.
    """
    run = _run(start, calls)
    state = run.env.state()

    def fail(rule: str, reason: str) -> Verdict:
        return Verdict(False, reason, run.results, state, rule)

    if not calls:
        return fail("no_calls", "no calls were made")
    specs = {t.name: t for t in start.tools()}
    for n, call in enumerate(calls):
        spec = specs.get(call.name)
        problem = f"unknown tool '{call.name}'" if spec is None else check_arguments(spec, call.arguments)
        if problem:
            return fail("schema", f"call {n + 1} `{call.to_python()}`: {problem}")
        problem = start.check_constraints(call)
        if problem:
            return fail("constraint", f"call {n + 1} `{call.to_python()}`: {problem}")
    for n, result in enumerate(run.results):
        if call_failed(result) and not (truth.recovery and _recovered(n, calls, run.results)):
            return fail("failed_call", f"call {n + 1} `{calls[n].to_python()}` failed: {result.to_text()[:160]}")
    repeats = _repeats(calls, run.results, run.changed)
    if repeats > truth.repeats:
        return fail("repeated_call", f"{repeats - truth.repeats} call(s) repeat an earlier identical call")
    diff = _differences(state, truth.state)
    got = Counter((r.call.name, r.to_text()) for r in run.results)
    missing = list((Counter((r.call.name, r.to_text()) for r in truth.results) - got).elements())
    if diff:
        reason = f"final state differs from the ground truth at {', '.join(diff)}"
        if missing:
            reason += f"; {len(missing)} expected result(s) missing (first from {missing[0][0]})"
        return fail("state", reason)
    if missing:
        return fail("results", f"final state matches but {len(missing)} expected result(s) are missing "
                               f"(first from {missing[0][0]})")
    reads = sum(1 for r, changed in zip(run.results, run.changed) if not changed and not call_failed(r))
    if reads - truth.reads > max_extra_reads:
        return fail("extra_reads", f"{reads - truth.reads} read-only calls beyond the ground truth's "
                                   f"(at most {max_extra_reads})")
    return Verdict(True, "final state and all expected results match the ground truth", run.results, state)
