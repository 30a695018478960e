"""What every export format reads from a trajectory: its accepted rounds (query, CoT, calls, results, answer) and
the basic tools of its environment."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from fr_core.errors import EnvError
from fr_core.pipeline.variants import variant_of
from fr_core.types import CallResult, ToolCall, ToolSpec, Trajectory

__all__ = ["Round", "accepted_rounds", "tools_for"]


@dataclass(frozen=True)
class Round:
    """One round as training data: the hard query, the passing attempt's reasoning and calls, their results, answer.

    ``clarify`` is the (assistant question, user reply) exchange before the calls of a miss-param round.
    """

    index: int
    query: str
    cot: str
    calls: tuple[ToolCall, ...]
    results: tuple[CallResult, ...]
    answer: str
    clarify: tuple[str, str] | None = None


def accepted_rounds(trajectory: Trajectory) -> Iterator[Round]:
    """The rounds with a passing attempt, in order, up to the first one without (later rounds build on it);
    a miss-param variant's round has its value left out of the query and asked for (``clarify``)."""
    variant = variant_of(trajectory)
    missing = variant if variant is not None and variant.kind == "miss_param" else None
    for record in trajectory.turns:
        attempt = record.outcome.passing if record.outcome else None
        if attempt is None or record.hard_query is None:
            return
        if missing is not None and missing.round == record.round:
            yield Round(record.round, missing.query, attempt.cot, attempt.calls, attempt.results, record.answer,
                        (missing.question, missing.reply))
        else:
            yield Round(record.round, record.hard_query.text, attempt.cot, attempt.calls, attempt.results,
                        record.answer)


@lru_cache(maxsize=64)
def tools_for(classes: tuple[str, ...]) -> tuple[ToolSpec, ...]:
    """The basic tools ``T_sub`` of a sample's environment (BFCL docs, or the user environment's own specs)."""
    from fr_core.envs import BFCL_CLASSES, bfcl_tool_specs

    if all(c in BFCL_CLASSES for c in classes):
        return tuple(spec for c in classes for spec in bfcl_tool_specs(c))
    from fr_core.envs import make_env

    try:
        return tuple(make_env("+".join(classes)).tools())
    except EnvError as exc:
        raise EnvError(f"export: cannot list the tools of environment {'+'.join(classes)!r}: {exc}") from None
