"""Validation of an attempt by execution: same final state as the ground truth, and its results contained."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fr_core.envs.base import Environment
from fr_core.synthesis.flow import turn_flow
from fr_core.types import CallResult, ToolCall, Turn

__all__ = ["Verdict", "validate", "execute_calls", "ground_truth"]


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt passed, why (in words), and its execution results."""

    passed: bool
    reason: str
    results: tuple[CallResult, ...]
    state: dict[str, Any]


def execute_calls(start: Environment, calls: Sequence[ToolCall]) -> tuple[tuple[CallResult, ...], Environment]:
    """Run ``calls`` in a fresh copy of ``start`` (never ``start`` itself); the results and the copy."""
    env = start.copy()
    return tuple(env.execute(c) for c in calls), env


def ground_truth(start: Environment, turn: Turn, round_index: int) -> tuple[dict[str, Any], tuple[CallResult, ...]]:
    """What an attempt is judged against: the state after the turn's calls and the results of its kept steps."""
    results, env = execute_calls(start, turn.calls)
    kept = {s.index for s in turn_flow(turn, round_index)}
    return env.state(), tuple(r for i, r in enumerate(results) if i in kept)


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in list(a) + [k for k in b if k not in a]:
            out += _differences(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
            if len(out) >= 3:
                break
        return out
    return [] if a == b else [path or "(root)"]


def validate(calls: Sequence[ToolCall], start: Environment, truth_state: dict[str, Any],
             truth_results: Sequence[CallResult]) -> Verdict:
    """Execute ``calls`` from ``start`` and compare with the ground truth (BFCL's state and response checks).

    Passes when the final ``env.state()`` equals ``truth_state`` and every ground-truth result (tool and value) is
    among the attempt's results.
    """
    results, env = execute_calls(start, calls)
    state = env.state()
    got = Counter((r.call.name, r.to_text()) for r in results)
    missing = [(r.call.name, r.to_text()) for r in truth_results]
    missing = list((Counter(missing) - got).elements())
    diff = _differences(state, truth_state)
    if not calls:
        return Verdict(False, "no calls were made", results, state)
    if diff:
        reason = f"final state differs from the ground truth at {', '.join(diff)}"
        if missing:
            reason += f"; {len(missing)} expected result(s) missing (first from {missing[0][0]})"
        return Verdict(False, reason, results, state)
    if missing:
        return Verdict(False, f"final state matches but {len(missing)} expected result(s) are missing "
                              f"(first from {missing[0][0]})", results, state)
    return Verdict(True, "final state and all expected results match the ground truth", results, state)
