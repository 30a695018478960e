"""Phases II–III for one sampled turn, the way ``generate_sample`` runs them, with every step result kept for display;
and re-validation of an edited attempt against that turn's ground truth."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from fr_core.agents import AgentSet
from fr_core.envs import make_env
from fr_core.envs.base import Environment
from fr_core.errors import SamplingError
from fr_core.refine import Verdict, refine, validate
from fr_core.refine.validate import ground_truth
from fr_core.synthesis import abstract_tool, check_leak, turn_flow, write_easy_query, write_query
from fr_core.types import AdvancedTool, LeakCheck, Query, RefineOutcome, StepResult, ToolCall, Trajectory, Turn

__all__ = ["TurnRun", "run_phases", "revalidate", "start_env_for"]


@dataclass
class TurnRun:
    """A sampled turn and what Phases II and III made of it (step results with their traces)."""

    classes: tuple[str, ...]
    seed: int
    round: int
    turn: Turn
    start: Environment  # the environment before the turn's calls (never mutated)
    graph: nx.DiGraph
    adv: StepResult[AdvancedTool]
    hard: StepResult[Query]
    easy: StepResult[Query]
    leak: LeakCheck
    outcome: StepResult[RefineOutcome] | None
    label: str = ""

    @property
    def truth(self) -> tuple[ToolCall, ...]:
        """The ground-truth calls: the turn's successful, non-deliberate calls."""
        return tuple(f.call for f in turn_flow(self.turn, self.round))

    def phase2_events(self) -> list[dict[str, Any]]:
        """LLM call events of the abstraction and the two queries."""
        return [e for r in (self.adv, self.hard, self.easy) for e in (r.trace or {}).get("events", ())]


def run_phases(classes: tuple[str, ...], seed: int, turn: Turn, start: Environment, graph: nx.DiGraph,
               agents: AgentSet, *, k_max: int = 3, noise: float = 0.5, round_index: int = 0) -> TurnRun:
    """``T_adv``, hard and easy queries, leak check, then the refine loop (skipped when the hard query leaks)."""
    if not turn_flow(turn, round_index):
        raise SamplingError(f"the sampled turn has no successful call ({turn.end_reason}); pick another target "
                            "or seed")
    tools = tuple(start.tools())
    adv = abstract_tool(turn, agents.tooling, tools, graph, round_index)
    hard = write_query(adv.output, agents.querying, noise, seed, tools=tools)
    easy = write_easy_query(adv.output, agents.querying, seed, tools=tools)
    leak = check_leak(hard.output, tools, adv.output)
    outcome = None
    if leak.ok:
        outcome = refine(hard.output, tools, adv.output, turn, start, agents, k_max, graph=graph,
                         round_index=round_index, seed=seed)
    return TurnRun(classes, seed, round_index, turn, start, graph, adv, hard, easy, leak, outcome)


def revalidate(calls: Sequence[ToolCall], start: Environment, turn: Turn, round_index: int) -> Verdict:
    """Execute ``calls`` from ``start`` and judge them against the turn's ground truth, as ``refine`` does."""
    return validate(calls, start, ground_truth(start, turn, round_index))


def start_env_for(trajectory: Trajectory, round_index: int) -> Environment:
    """The environment at the start of a round: the initial state with every earlier round's calls replayed."""
    env = make_env(list(trajectory.classes), initial_config=copy.deepcopy(trajectory.initial_config))
    for record in trajectory.turns[:round_index]:
        for call in record.turn.calls:
            env.execute(call)
    return env
