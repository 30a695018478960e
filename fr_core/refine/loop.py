"""The guided iterative chain of Phase III: ``Prompt^{k+1} = Prompt^k + Error^k`` until an attempt validates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import networkx as nx

from fr_core.agents.base import AgentSet, ReasonTask, render
from fr_core.agents.reasoning import FEEDBACK_PREFIX
from fr_core.envs.base import Environment
from fr_core.errors import ConfigError, FrError
from fr_core.refine.validate import Verdict, ground_truth, validate
from fr_core.sampling import OutputLeaf
from fr_core.types import AdvancedTool, Attempt, Deadline, Query, RefineOutcome, StepResult, ToolSpec, Turn

__all__ = ["first_prompt", "refine"]


def first_prompt(adv_tool: AdvancedTool, query: Query) -> tuple[dict[str, Any], ...]:
    """``Prompt^1 = Des(T_adv)`` with the user's request."""
    content = render("reasoning_task.j2", tool={"name": adv_tool.spec.name, "description": adv_tool.spec.description},
                     query=query.text)
    return ({"role": "user", "content": content},)


def refine(query: Query, t_sub: Iterable[ToolSpec], adv_tool: AdvancedTool, ground_truth_turn: Turn,
           env_snapshot: Environment, agents: AgentSet, k_max: int = 3, *, graph: nx.DiGraph,
           round_index: int = 0, history: tuple[dict[str, Any], ...] = (),
           observations: tuple[OutputLeaf, ...] = (), seed: int = 0,
           deadline: Deadline | None = None) -> StepResult[RefineOutcome]:
    """Up to ``k_max`` attempts of ``A_R``, each executed from ``env_snapshot`` (the turn's start state, never
    mutated) and validated against the ground truth; a failed attempt gets ``A_C``'s critique, which is appended to
    the next prompt. Every attempt is kept; the outcome is accepted when one passes. A ``deadline`` is checked
    before each role call (:class:`~fr_core.errors.SampleTimeout` once it has passed)."""
    if k_max < 1:
        raise ConfigError(f"refine: k_max must be at least 1, got {k_max}")
    tools = tuple(t_sub)
    truth_state, truth_results = ground_truth(env_snapshot, ground_truth_turn, round_index)
    task = ReasonTask(query, tools, graph, round_index, history, observations, seed)
    prompt = first_prompt(adv_tool, query)
    attempts: list[Attempt] = []
    traces: list[Any] = []
    for k in range(1, k_max + 1):
        if deadline:
            deadline.check(f"in round {round_index} before refine attempt {k}")
        step = agents.reasoning.attempt(task, prompt, k, env_snapshot.copy())
        draft = step.output
        traces.append(step.trace)
        if draft.parse_error is not None:
            verdict = Verdict(False, f"no executable calls: {draft.parse_error}", (), {})
        else:
            verdict = validate(draft.calls, env_snapshot, truth_state, truth_results)
        attempt = Attempt(k, prompt, draft.raw, draft.cot, draft.calls, verdict.results, verdict.passed,
                          verdict.reason, None, draft.parse_error, tuple(draft.events))
        if verdict.passed:
            attempts.append(attempt)
            break
        if deadline:
            deadline.check(f"in round {round_index} before the critique of attempt {k}")
        try:
            critique = agents.critiquing.critique(attempt, ground_truth_turn, adv_tool, graph, tools, round_index)
            attempt = replace(attempt, critique=critique.output,
                              llm_events=attempt.llm_events + tuple((critique.trace or {}).get("events", ())))
        except FrError as exc:  # an unavailable or unreadable critic leaves the attempt uncritiqued, not lost
            attempt = replace(attempt, llm_events=attempt.llm_events + (
                {"kind": "llm_call", "role": "critiquing", "error": str(exc), "raw": getattr(exc, "raw", "")},))
        attempts.append(attempt)
        prompt = prompt + ({"role": "assistant", "content": draft.raw},
                           {"role": "user", "content": render("feedback.j2", prefix=FEEDBACK_PREFIX,
                                                              critique=attempt.critique or "the attempt failed: "
                                                              + verdict.reason)})
    passed = next((i for i, a in enumerate(attempts) if a.passed), None)
    outcome = RefineOutcome(passed is not None, tuple(attempts), passed)
    return StepResult(outcome, {"truth_state": truth_state, "attempt_traces": traces, "k_max": k_max})
