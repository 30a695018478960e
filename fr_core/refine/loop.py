"""The guided iterative chain of Phase III: ``Prompt^{k+1} = Prompt^k + Error^k`` until an attempt validates; each
attempt is a sequence of steps the reasoner takes in a sandbox, reading each step's results before the next."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, TypedDict

import networkx as nx

from fr_core.agents.base import AgentSet, ReasoningAgent, ReasonTask, render
from fr_core.agents.narrate import dirty_reasons
from fr_core.agents.reasoning import FEEDBACK_PREFIX
from fr_core.envs.base import Environment
from fr_core.errors import ConfigError, FrError, LLMTransportError
from fr_core.refine.validate import MAX_EXTRA_READS, Verdict, ground_truth, validate
from fr_core.sampling import OutputLeaf
from fr_core.agents.base import failed_call_event
from fr_core.types import (AdvancedTool, Attempt, Deadline, Event, Query, RefineOutcome, Step, StepResult, ToolSpec,
                           Turn)

__all__ = ["Limits", "RefineTrace", "first_prompt", "run_attempt", "attempt_messages", "refine"]


@dataclass(frozen=True)
class Limits:
    """Bounds of one attempt: steps, calls in all, and read-only calls allowed beyond the ground truth's."""

    max_steps: int = 12
    max_calls: int = 16
    max_extra_reads: int = MAX_EXTRA_READS

    def __post_init__(self) -> None:
        if self.max_steps < 1 or self.max_calls < 1 or self.max_extra_reads < 0:
            raise ConfigError(f"refine limits must be positive (max_steps={self.max_steps}, "
                              f"max_calls={self.max_calls}, max_extra_reads={self.max_extra_reads})")


@dataclass(frozen=True)
class AttemptRun:
    """What one attempt did before validation: its steps, its answer, why it stopped early, the role events, and
    the sandbox it acted in, as the calls left it."""

    steps: tuple[Step, ...]
    answer: str
    error: str | None
    events: tuple[Event, ...]
    trace: dict[str, Any]
    env: Environment | None = None


class RefineTrace(TypedDict):
    """How the refine loop went: the ground truth's end state, each attempt's own trace (the raw reply of an
    unusable one), and ``k_max``."""

    truth_state: dict[str, Any]
    attempt_traces: list[dict[str, Any]]
    k_max: int


def first_prompt(adv_tool: AdvancedTool, query: Query) -> tuple[dict[str, Any], ...]:
    """``Prompt^1 = Des(T_adv)`` with the user's request."""
    content = render("reasoning_task.j2", tool={"name": adv_tool.spec.name, "description": adv_tool.spec.description},
                     query=query.text)
    return ({"role": "user", "content": content},)


def run_attempt(agent: ReasoningAgent, task: ReasonTask, prompt: tuple[dict[str, Any], ...], k: int,
                start: Environment, deadline: Deadline | None = None) -> AttemptRun:
    """One attempt, step by step: the reasoner proposes a step, its calls run in a sandbox copy of ``start`` (never
    ``start`` itself), the results go back, until it answers in words or a limit (``task.max_steps`` /
    ``task.max_calls``) or an unusable reply ends it."""
    env = start.copy()
    session = agent.begin(task, prompt, k, env)
    steps: list[Step] = []
    events: list[Event] = []
    results: tuple = ()
    calls = 0
    for n in range(task.max_steps + 1):
        if deadline:
            deadline.check(f"in round {task.round_index + 1} at step {n + 1} of attempt {k}")
        move = session.next(results)
        events.extend(move.events)
        if move.parse_error is not None:
            return AttemptRun(tuple(steps), "", f"step {n + 1}: {move.parse_error}", tuple(events),
                              {"raw": move.raw}, env)
        if not move.calls:
            return AttemptRun(tuple(steps), move.answer, None, tuple(events), {}, env)
        if n == task.max_steps or calls + len(move.calls) > task.max_calls:
            limit = (f"more than {task.max_steps} steps" if n == task.max_steps
                     else f"more than {task.max_calls} calls")
            return AttemptRun(tuple(steps), "", f"the attempt went on for {limit} without answering",
                              tuple(events), {}, env)
        results = tuple(env.execute(c) for c in move.calls)
        calls += len(move.calls)
        steps.append(Step(move.reasoning, move.calls, results, move.raw, move.recovered))
    raise AssertionError("unreachable")  # pragma: no cover


def attempt_messages(attempt: Attempt) -> tuple[dict[str, Any], ...]:
    """A failed attempt as the next prompt shows it: each step's reply and results, then the final words."""
    out: list[dict[str, Any]] = []
    for step in attempt.steps:
        calls = ", ".join(c.to_python() for c in step.calls)
        out.append({"role": "assistant", "content": f"<think>{step.reasoning}</think><tool_call>[{calls}]</tool_call>"})
        out.append({"role": "user", "content": "<tool_response>[" + ", ".join(r.to_text() for r in step.results)
                                               + "]</tool_response>"})
    if attempt.answer:
        out.append({"role": "assistant", "content": f"<answer>{attempt.answer}</answer>"})
    return tuple(out)


def refine(query: Query, t_sub: Iterable[ToolSpec], adv_tool: AdvancedTool, ground_truth_turn: Turn,
           env_snapshot: Environment, agents: AgentSet, k_max: int = 3, *, graph: nx.DiGraph,
           round_index: int = 0, history: tuple[dict[str, Any], ...] = (),
           observations: tuple[OutputLeaf, ...] = (), seed: int = 0, limits: Limits = Limits(),
           deadline: Deadline | None = None) -> StepResult[RefineOutcome, RefineTrace]:
    """Up to ``k_max`` attempts of ``A_R``, each acted out step by step from ``env_snapshot`` (the turn's start
    state, never mutated) and validated strictly against the ground truth; a failed attempt gets ``A_C``'s critique,
    which is appended to the next prompt. When the passing attempt came after critique, or its reasoning is not
    clean, the reasoner rewrites the reasoning from the request and the results alone (``Attempt.clean``). Every
    attempt is kept; the outcome is accepted when one passes. A ``deadline`` is checked before each role call."""
    if k_max < 1:
        raise ConfigError(f"refine: k_max must be at least 1, got {k_max}")
    tools = tuple(t_sub)
    truth = ground_truth(env_snapshot, ground_truth_turn, round_index)
    task = ReasonTask(query, tools, graph, round_index, history, observations, seed, limits.max_steps,
                      limits.max_calls)
    prompt = first_prompt(adv_tool, query)
    attempts: list[Attempt] = []
    traces: list[dict[str, Any]] = []
    for k in range(1, k_max + 1):
        run = run_attempt(agents.reasoning, task, prompt, k, env_snapshot, deadline)
        traces.append(run.trace)
        if run.error is not None:
            verdict = Verdict(False, f"no usable reply: {run.error}", (), {}, "parse")
        else:
            verdict = validate([c for s in run.steps for c in s.calls], env_snapshot, truth,
                               max_extra_reads=limits.max_extra_reads)
        attempt = Attempt(k, prompt, run.steps, run.answer, verdict.passed, verdict.reason, verdict.rule, None,
                          run.error, run.events)
        if verdict.passed:
            attempts.append(_kept_clean(attempt, agents, task, deadline))
            break
        if deadline:
            deadline.check(f"in round {round_index + 1} before the critique of attempt {k}")
        try:
            critique = agents.critiquing.critique(attempt, ground_truth_turn, adv_tool, graph, tools, round_index)
            attempt = replace(attempt, critique=critique.output,
                              llm_events=attempt.llm_events + tuple(critique.trace["events"]))
        except LLMTransportError:
            raise  # a server failure fails the sample (counted apart), never the attempt
        except FrError as exc:  # an unreadable critic leaves the attempt uncritiqued, not lost
            attempt = replace(attempt, llm_events=attempt.llm_events + (failed_call_event(exc, "critiquing"),))
        attempts.append(attempt)
        prompt = prompt + attempt_messages(attempt) + (
            {"role": "user", "content": render("feedback.j2", prefix=FEEDBACK_PREFIX,
                                               critique=attempt.critique or "the attempt failed: " + verdict.reason)},)
    passed = next((i for i, a in enumerate(attempts) if a.passed), None)
    outcome = RefineOutcome(passed is not None, tuple(attempts), passed)
    return StepResult(outcome, RefineTrace(truth_state=truth.state, attempt_traces=traces, k_max=k_max))


def _kept_clean(attempt: Attempt, agents: AgentSet, task: ReasonTask, deadline: Deadline | None) -> Attempt:
    """The passing attempt with its reasoning rewritten from the request and the results alone, when it came after
    critique or its own reasoning mentions anything but the request and the results."""
    if attempt.k == 1 and not any(dirty_reasons(s.reasoning) for s in attempt.steps):
        return attempt
    if deadline:
        deadline.check(f"in round {task.round_index + 1} before the clean rewrite")
    rewrite = agents.reasoning.rewrite(task, attempt.steps)
    return replace(attempt, clean=rewrite.output,
                   llm_events=attempt.llm_events + tuple(rewrite.trace["events"]))
