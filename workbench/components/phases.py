"""Phases II–III for one sampled turn, the way ``generate_sample`` runs them, with every step result kept for display;
and re-validation of an edited attempt against that turn's ground truth."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx

from fr_core.agents import AgentSet
from fr_core.envs.base import Environment
from fr_core.errors import SamplingError
from fr_core.pipeline import Conversation, RoundOutcome, RoundSettings, RoundTrace, run_round
from fr_core.refine import Verdict, validate
from fr_core.refine.validate import ground_truth
from fr_core.synthesis import turn_flow
from fr_core.agents.base import QueryTrace, ToolingTrace
from fr_core.refine import RefineTrace
from fr_core.types import (AdvancedTool, Event, LeakCheck, Query, RefineOutcome, StepResult, ToolCall, Turn,
                           TurnRecord)

__all__ = ["TurnRun", "run_phases", "revalidate"]


@dataclass
class TurnRun:
    """A sampled turn and what Phases II and III made of it: the :func:`~fr_core.pipeline.run_round` result, its
    parts shown as step results (output and trace)."""

    classes: tuple[str, ...]
    seed: int
    round: int
    turn: Turn
    start: Environment  # the environment before the turn's calls (never mutated)
    graph: nx.DiGraph
    result: StepResult[RoundOutcome, RoundTrace]
    label: str = ""

    @property
    def _record(self) -> TurnRecord:
        record = self.result.output.record
        assert record is not None  # run_round always keeps a record of a given turn
        return record

    @property
    def adv(self) -> StepResult[AdvancedTool, ToolingTrace | None]:
        return StepResult(self._record.adv_tool, self.result.trace.get("abstraction"))

    @property
    def hard(self) -> StepResult[Query, QueryTrace | None]:
        return StepResult(self._record.hard_query, self.result.trace.get("query"))

    @property
    def easy(self) -> StepResult[Query, QueryTrace | None]:
        return StepResult(self._record.easy_query, self.result.trace.get("easy_query"))

    @property
    def leak(self) -> LeakCheck:
        assert self._record.leak is not None
        return self._record.leak

    @property
    def outcome(self) -> StepResult[RefineOutcome, RefineTrace | None] | None:
        refined = self._record.outcome
        return None if refined is None else StepResult(refined, self.result.trace.get("refine"))

    @property
    def truth(self) -> tuple[ToolCall, ...]:
        """The ground-truth calls: the turn's successful, non-deliberate calls."""
        return tuple(f.call for f in turn_flow(self.turn, self.round))

    def phase2_events(self) -> list[Event]:
        """LLM call events of the abstraction and the two queries."""
        return [e for r in (self.adv, self.hard, self.easy) for e in (r.trace or {}).get("events", ())]


def run_phases(classes: tuple[str, ...], seed: int, turn: Turn, start: Environment, graph: nx.DiGraph,
               agents: AgentSet, *, k_max: int = 3, noise: float = 0.5, round_index: int = 0) -> TurnRun:
    """Phases II–III for a turn sampled from ``start``: :func:`~fr_core.pipeline.run_round` with that turn
    (abstraction, hard query rewritten while it leaks, easy query, refine loop, answer)."""
    if not turn_flow(turn, round_index):
        raise SamplingError(f"the sampled turn has no successful call ({turn.end_reason}); pick another target "
                            "or seed")
    result = run_round(start.copy(), graph, agents, Conversation(), round_index,
                       settings=RoundSettings(k_max=k_max, noise=noise), seed=seed, turn=turn)
    return TurnRun(classes, seed, round_index, turn, start, graph, result)


def revalidate(calls: Sequence[ToolCall], start: Environment, turn: Turn, round_index: int) -> Verdict:
    """Execute ``calls`` from ``start`` and judge them against the turn's ground truth, as ``refine`` does."""
    return validate(calls, start, ground_truth(start, turn, round_index))
