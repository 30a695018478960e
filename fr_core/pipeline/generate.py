"""``generate_sample``: one multi-turn sample, Phases I→III per round, as a plain function a batch runner can call."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, TypedDict

import networkx as nx

import fr_core
from fr_core.agents import AgentSet, make_agents
from fr_core.agents.base import QueryTrace, ToolingTrace
from fr_core.agents.narrate import dirty_reasons
from fr_core.envs import BFCL_CLASSES, make_env
from fr_core.envs.base import Environment, call_failed
from fr_core.errors import FrError
from fr_core.graph import bfcl_graph, distances_to
from fr_core.refine import Limits, RefineTrace, refine
from fr_core.sampling import TurnTrace, round_target, sample_turn, turn_leaves
from fr_core.seeds import derive_seed
from fr_core.serialize import to_dict
from fr_core.synthesis import (abstract_tool, check_leak, state_scalars, turn_flow, ungrounded, write_easy_query,
                               write_query)
from fr_core.types import Attempt, Deadline, Event, LLMCallEvent, Query, StepResult, Trajectory, Turn, TurnRecord

__all__ = ["RoundSettings", "Conversation", "RoundOutcome", "RoundTrace", "SampleTrace", "run_round", "generate_sample",
           "sample_id_for", "code_version"]


@cache
def code_version() -> str:
    """``fr_core.__version__`` plus the git commit when the package runs from a checkout (read from files, no git)."""
    git = Path(__file__).resolve().parents[2] / ".git"
    sha = ""
    try:
        head = (git / "HEAD").read_text().strip()
        if head.startswith("ref: "):
            ref = head[5:]
            ref_file = git / ref
            if ref_file.is_file():
                sha = ref_file.read_text().strip()
            elif (git / "packed-refs").is_file():
                sha = next((line.split()[0] for line in (git / "packed-refs").read_text().splitlines()
                            if line.endswith(" " + ref)), "")
        else:
            sha = head
    except OSError:
        pass
    try:
        version = fr_core.__version__
    except AttributeError:  # an editable install seen as a namespace package from outside the checkout
        version = metadata.version("funreason-mt-workbench")
    return f"{version}+{sha[:10]}" if sha else version


def sample_id_for(env_spec: Any, seed: int, index: int = 0) -> str:
    """A stable id from the environment spec, the seed and the index: the same inputs give the same id."""
    spec = "+".join(env_spec) if isinstance(env_spec, (list, tuple)) else str(env_spec)
    return "s-" + hashlib.sha256(f"{spec}|{seed}|{index}".encode()).hexdigest()[:16]


def _classes(env_spec: Any) -> tuple[str, ...]:
    if isinstance(env_spec, (list, tuple)):
        return tuple(env_spec)
    return tuple(n.strip() for n in str(env_spec).split("+"))


def _count_events(records: list[TurnRecord], extra: list[Event]) -> dict[str, Any]:
    events = list(extra)
    for r in records:
        for a in (r.outcome.attempts if r.outcome else ()):
            events.extend(a.llm_events)
    roles = Counter(e.role or "?" for e in events)
    return {"role_calls": dict(sorted(roles.items())), "llm_calls": sum(isinstance(e, LLMCallEvent) for e in events),
            "agent_calls": len(events)}


@dataclass(frozen=True)
class RoundSettings:
    """The knobs of one round: ``calls`` (M), ``k_max``, ``noise`` (ε), target ``strategy``, ``error_share``,
    hard-query ``leak_retries`` and the attempt ``limits``."""

    calls: int = 4
    k_max: int = 3
    noise: float = 0.5
    strategy: str = "flow"
    error_share: float = 0.0
    leak_retries: int = 2
    limits: Limits = Limits()
    after_target: str = "explore"


@dataclass
class Conversation:
    """What carries from round to round of one sample: the turns as the reasoner sees them, the tools called, the
    output leaves of the ground truth so far, and the accepted rounds (what earlier requests said and made)."""

    history: list[dict[str, Any]] = field(default_factory=list)
    called: set[str] = field(default_factory=set)
    leaves: list[Any] = field(default_factory=list)
    records: list[TurnRecord] = field(default_factory=list)  # the accepted rounds so far


@dataclass(frozen=True)
class RoundOutcome:
    """One round: its record (``None`` when no target was reachable), why it was rejected (``None`` when accepted),
    the role events outside the attempts, and how many hard queries leaked."""

    record: TurnRecord | None
    rejected: str | None
    events: tuple[Event, ...] = ()
    leak_rejections: int = 0


#: Turns sampled again, at most, when one holds a value no user could give (an id a call of the turn just minted).
_RESAMPLES = 2


class RoundTrace(TypedDict, total=False):
    """How one round went, stage by stage (a stage the round did not reach is absent); ``error_raw``, alone in the
    last entry of a failed sample, is the model reply that could not be used."""

    round: int
    sampling: TurnTrace
    resampled: int  # turns sampled again because no user could have given some value of the one before
    grounding: list[dict[str, Any]]
    abstraction: ToolingTrace
    query: QueryTrace
    easy_query: QueryTrace
    refine: RefineTrace
    error_raw: str


class SampleTrace(TypedDict):
    """How a sample was made: each round's trace."""

    rounds: list[RoundTrace]


def _history_entry(query: str, attempt: Attempt, answer: str) -> dict[str, Any]:
    return {"query": query, "answer": answer, "steps": [
        {"reasoning": text, "calls": [c.to_json() for c in step.calls],
         "results": [json.loads(r.to_text()) for r in step.results]}
        for text, step in zip(attempt.reasoning, attempt.steps)]}


def _final_answer(agents: AgentSet, query: Query, attempt: Attempt) -> tuple[str, list[Event]]:
    """The passing attempt's own answer when it came at once and reads clean; else the answer role's."""
    if attempt.k == 1 and attempt.answer.strip() and not dirty_reasons(attempt.answer):
        return attempt.answer.strip(), []
    said = agents.reasoning.answer(query, attempt.steps)
    return said.output, list(said.trace["events"])


def run_round(env: Environment, graph: nx.DiGraph, agents: AgentSet, conversation: Conversation, round_index: int,
              *, settings: RoundSettings = RoundSettings(), seed: int = 0,
              distances: dict[str, dict[str, int]] | None = None,
              deadline: Deadline | None = None, turn: Turn | None = None) -> StepResult[RoundOutcome, RoundTrace]:
    """One round, Phases I→III: pick a target, sample the ground-truth turn in ``env`` (mutated: the state carries
    on), abstract it, write the hard query (rewritten while it leaks) and the easy one, then the refine loop and the
    answer. ``conversation`` is updated when the round is accepted. Used by ``generate_sample``, the app and the
    notebooks alike; every random choice derives from ``seed`` and the round's index.

    ``turn``: a ground-truth turn already sampled from ``env``'s current state (the app's sampler page): Phase I
    replays its calls on ``env`` instead of sampling one."""
    r, s = round_index, settings
    tools = tuple(env.tools())
    events: list[Event] = []
    if deadline:
        deadline.check(f"before round {r + 1}")
    start = env.copy()
    trace = RoundTrace(round=r)
    known = state_scalars(start.state())
    given = turn
    if given is None:
        names = sorted(n for n in graph.nodes if n in {t.name for t in tools})
        distances = distances if distances is not None else {t: distances_to(graph, t) for t in names}
        picked = round_target(graph, env, conversation.called, conversation.leaves, s.strategy,
                              random.Random(derive_seed(seed, "target", r)), distances, max_hops=s.calls - 1)
        if picked is None:
            return StepResult(RoundOutcome(None, f"round {r + 1}: no tool is reachable from the current state"), trace)
        target, why = picked
    for again in range(1 if given is not None else _RESAMPLES + 1):
        if given is not None:
            current = given
            for call in current.calls:
                env.execute(call)
        else:
            if again:  # the turn before held a value no user could give: the same target, walked again
                env.restore(start.snapshot())
                trace["resampled"] = again
            sampled = sample_turn(env, graph, target, s.calls,
                                  seed=derive_seed(seed, "sample", r, *((again,) if again else ())),
                                  called=conversation.called, round_index=r, history=conversation.leaves,
                                  error_share=s.error_share, target_reason=why, after_target=s.after_target)
            current = sampled.output
            trace["sampling"] = sampled.trace
        if not turn_flow(current, r):
            return StepResult(RoundOutcome(TurnRecord(r, current, state_after=env.state()),
                                           f"round {r + 1}: the sampled turn has no successful call"), trace)
        adv = abstract_tool(current, agents.tooling, tools, graph, r, conversation.records, known)
        missing = ungrounded(adv.output.grounding)
        if not missing:
            break
    turn = current
    events.extend(adv.trace["events"])
    trace["grounding"] = [to_dict(g) for g in adv.output.grounding]
    if missing:
        record = TurnRecord(r, turn, adv.output, state_after=env.state())
        return StepResult(RoundOutcome(record, f"round {r + 1}: ungrounded ({', '.join(missing[:3])}: no model could "
                                               "know these values)", tuple(events)), trace)
    hist = tuple(conversation.history)
    leaks = 0
    for attempt in range(s.leak_retries + 1):
        if deadline:
            deadline.check(f"in round {r + 1} before hard query {attempt + 1}")
        hard = write_query(adv.output, agents.querying, s.noise, derive_seed(seed, "hard", r, attempt),
                           tools=tools, history=hist)
        events.extend(hard.trace["events"])
        leak = check_leak(hard.output, tools, adv.output)
        if leak.ok:
            break
        leaks += 1
    if deadline:
        deadline.check(f"in round {r + 1} before the easy query")
    easy = write_easy_query(adv.output, agents.querying, derive_seed(seed, "easy", r), tools=tools)
    events.extend(easy.trace["events"])
    trace.update({"abstraction": adv.trace, "query": hard.trace, "easy_query": easy.trace})
    if not leak.ok:
        record = TurnRecord(r, turn, adv.output, hard.output, easy.output, leak, state_after=env.state())
        return StepResult(RoundOutcome(record, f"round {r + 1}: every hard query leaked ({', '.join(leak.leaks[:3])})",
                                       tuple(events), leaks), trace)
    outcome = refine(hard.output, tools, adv.output, turn, start, agents, s.k_max, graph=graph, round_index=r,
                     history=hist, observations=tuple(conversation.leaves), seed=derive_seed(seed, "refine", r),
                     limits=s.limits, deadline=deadline)
    trace["refine"] = outcome.trace
    passing = outcome.output.passing
    answer = ""
    if passing is not None:
        if deadline:
            deadline.check(f"in round {r + 1} before the answer")
        answer, answer_events = _final_answer(agents, hard.output, passing)
        events.extend(answer_events)
    record = TurnRecord(r, turn, adv.output, hard.output, easy.output, leak, outcome.output, answer, env.state())
    if passing is None:
        return StepResult(RoundOutcome(record, f"round {r + 1}: no attempt passed within k_max={s.k_max}",
                                       tuple(events), leaks), trace)
    conversation.history.append(_history_entry(hard.output.text, passing, answer))
    conversation.called.update(st.call.name for st in turn.steps
                               if not st.deliberate_error and not call_failed(st.result))
    conversation.leaves.extend(turn_leaves(turn, r))
    conversation.records.append(record)
    return StepResult(RoundOutcome(record, None, tuple(events), leaks), trace)


def generate_sample(env_spec: Any, graph: nx.DiGraph | None = None, rounds: int = 3, calls: int = 4,
                    agents: AgentSet | None = None, seed: int = 0, *, index: int = 0, k_max: int = 3,
                    noise: float = 0.5, size: str = "medium", strategy: str = "flow", error_share: float = 0.0,
                    leak_retries: int = 2, limits: Limits = Limits(), after_target: str = "explore",
                    deadline: Deadline | None = None) -> StepResult[Trajectory, SampleTrace]:
    """One sample: ``rounds`` rounds of :func:`run_round` (Phase I with ``calls`` calls, II, III with ``k_max``).

    ``env_spec`` is a list of BFCL classes or a :func:`~fr_core.envs.make_env` spec; the initial state comes from
    the seeded generator (BFCL) and the state carries across rounds. Later rounds' agents get the conversation so
    far. The sample is "accepted" when every round is, "rejected" at the first round that is not (no usable trace,
    a leaking query after ``leak_retries`` rewrites, or no attempt passing), "failed" when a step raised an error
    or the ``deadline`` passed (checked before each round and each role call: a ``SampleTimeout``).
    """
    started = time.perf_counter()
    agents = agents or make_agents("offline")
    classes = _classes(env_spec)
    bfcl = all(c in BFCL_CLASSES for c in classes)
    sample_seed = derive_seed(seed, "sample", index)
    if bfcl:
        from fr_core.envs.bfcl.states import generate_initial_config

        initial_config: dict[str, Any] = generate_initial_config(classes, sample_seed, size)
        env = make_env(list(classes), initial_config=initial_config)
    else:
        initial_config = {}
        env = make_env(env_spec, seed=sample_seed)
    graph = graph if graph is not None else bfcl_graph(classes).output
    names = sorted(n for n in graph.nodes if n in {t.name for t in env.tools()})
    distances = {t: distances_to(graph, t) for t in names}
    settings = RoundSettings(calls, k_max, noise, strategy, error_share, leak_retries, limits, after_target)
    conversation = Conversation()
    records: list[TurnRecord] = []
    traces: list[RoundTrace] = []
    extra_events: list[Event] = []
    leak_rejections = 0
    status: Literal["accepted", "rejected", "failed"] = "accepted"
    error: str | None = None
    try:
        for r in range(rounds):
            result = run_round(env, graph, agents, conversation, r, settings=settings, seed=sample_seed,
                               distances=distances, deadline=deadline)
            out = result.output
            traces.append(result.trace)
            extra_events.extend(out.events)
            leak_rejections += out.leak_rejections
            if out.record is not None:
                records.append(out.record)
            if out.rejected is not None:
                status, error = "rejected", out.rejected
                break
    except FrError as exc:  # a model reply that cannot be used, a broken environment: the sample is kept, failed
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        raw = getattr(exc, "raw", "")
        if raw:
            traces.append(RoundTrace(error_raw=raw))
    provenance = {
        "seed": seed, "index": index, "sample_seed": sample_seed, "code_version": code_version(),
        "agent_kind": agents.kind, "model": agents.model,
        "config": {"env_spec": list(classes) if bfcl else str(env_spec), "rounds": rounds, "calls": calls,
                   "k_max": k_max, "noise": noise, "size": size, "strategy": strategy, "error_share": error_share,
                   "leak_retries": leak_retries, "max_steps": limits.max_steps, "max_calls": limits.max_calls,
                   "agents": to_dict(agents.extra)},
        "leak_rejections": leak_rejections, **_count_events(records, extra_events),
        "elapsed_s": round(time.perf_counter() - started, 4),
    }
    trajectory = Trajectory(sample_id_for(env_spec, seed, index), classes, initial_config, tuple(records), status,
                            provenance, error)
    return StepResult(trajectory, SampleTrace(rounds=traces))
