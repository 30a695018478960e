"""What every export format reads from a trajectory: its accepted rounds (query, steps with their kept reasoning,
answer) and the basic tools of its environment."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from fr_core.errors import EnvError
from fr_core.pipeline.variants import variant_of
from fr_core.types import CallResult, Step, ToolCall, ToolSpec, Trajectory

__all__ = ["Round", "accepted_rounds", "tools_for"]


@dataclass(frozen=True)
class Round:
    """One round as training data: the hard query, the passing attempt's steps with their kept reasoning (clean),
    and the answer.

    ``clarify`` is the (assistant question, user reply) exchange before the calls of a miss-param round;
    ``new_tools`` names the tools first offered in this round (a miss-func round).
    """

    index: int
    query: str
    steps: tuple[Step, ...]
    reasoning: tuple[str, ...]
    answer: str
    clarify: tuple[str, str] | None = None
    new_tools: tuple[str, ...] = ()

    @property
    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(c for s in self.steps for c in s.calls)

    @property
    def results(self) -> tuple[CallResult, ...]:
        return tuple(r for s in self.steps for r in s.results)


def accepted_rounds(trajectory: Trajectory) -> Iterator[Round]:
    """The rounds with a passing attempt, in order, up to the first one without (later rounds build on it);
    a miss-param variant's round has its value left out of the query and asked for (``clarify``); a miss-func
    variant's withheld tools are offered from its round on (``new_tools``)."""
    variant = variant_of(trajectory)
    for record in trajectory.turns:
        attempt = record.outcome.passing if record.outcome else None
        if attempt is None or record.hard_query is None:
            return
        query, clarify = record.hard_query.text, None
        new: tuple[str, ...] = ()
        if variant is not None and variant.round == record.round:
            if variant.kind == "miss_param":
                query, clarify = variant.query, (variant.question, variant.reply)
            elif variant.kind == "miss_func":
                new = variant.tools
        yield Round(record.round, query, attempt.steps, attempt.reasoning, record.answer, clarify, new)


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
