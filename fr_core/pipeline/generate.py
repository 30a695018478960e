"""``generate_sample``: one multi-turn sample, Phases I→III per round, as a plain function a batch runner can call."""

from __future__ import annotations

import hashlib
import random
import time
from collections import Counter
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import networkx as nx

import fr_core
from fr_core.agents import AgentSet, make_agents
from fr_core.envs import BFCL_CLASSES, make_env
from fr_core.errors import FrError
from fr_core.graph import bfcl_graph, distances_to
from fr_core.refine import refine
from fr_core.envs.base import call_failed
from fr_core.sampling import round_target, sample_turn, turn_leaves
from fr_core.serialize import to_dict
from fr_core.synthesis import abstract_tool, check_leak, turn_flow, write_easy_query, write_query
from fr_core.types import Deadline, StepResult, Trajectory, TurnRecord

__all__ = ["generate_sample", "sample_id_for", "code_version"]


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


def _count_events(records: list[TurnRecord], extra: list[dict[str, Any]]) -> dict[str, Any]:
    events = list(extra)
    for r in records:
        for a in (r.outcome.attempts if r.outcome else ()):
            events.extend(a.llm_events)
    roles = Counter(e.get("role", "?") for e in events)
    return {"role_calls": dict(sorted(roles.items())), "llm_calls": sum(e.get("kind") == "llm_call" for e in events),
            "agent_calls": len(events)}


def generate_sample(env_spec: Any, graph: nx.DiGraph | None = None, rounds: int = 3, calls: int = 4,
                    agents: AgentSet | None = None, seed: int = 0, *, index: int = 0, k_max: int = 3,
                    noise: float = 0.5, size: str = "medium", strategy: str = "flow", error_share: float = 0.0,
                    leak_retries: int = 2, deadline: Deadline | None = None) -> StepResult[Trajectory]:
    """One sample: ``rounds`` rounds of Phase I (``calls`` calls), II (``T_adv``, queries) and III (``k_max`` attempts).

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
    sample_seed = seed * 10_007 + index
    if bfcl:
        from fr_core.envs.states import generate_initial_config

        initial_config: dict[str, Any] = generate_initial_config(classes, sample_seed, size)
        env = make_env(list(classes), initial_config=initial_config)
    else:
        initial_config = {}
        env = make_env(env_spec, seed=sample_seed)
    graph = graph if graph is not None else bfcl_graph(classes).output
    tools = tuple(env.tools())
    names = sorted(n for n in graph.nodes if n in {t.name for t in tools})
    pick_rng = random.Random(sample_seed * 7919 + 1)
    distances = {t: distances_to(graph, t) for t in names}
    records: list[TurnRecord] = []
    traces: list[dict[str, Any]] = []
    extra_events: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    called: set[str] = set()
    leaves: list = []
    leak_rejections = 0
    status, error = "accepted", None
    try:
        for r in range(rounds):
            if deadline:
                deadline.check(f"before round {r}")
            start = env.copy()
            picked = round_target(graph, env, called, leaves, strategy, pick_rng, distances, max_hops=calls - 1)
            if picked is None:
                status, error = "rejected", f"round {r}: no tool is reachable from the current state"
                break
            target, why = picked
            sampled = sample_turn(env, graph, target, calls, seed=sample_seed * 1000 + r, called=called,
                                  round_index=r, history=leaves, error_share=error_share, target_reason=why)
            turn = sampled.output
            trace: dict[str, Any] = {"round": r, "sampling": sampled.trace}
            traces.append(trace)
            if not turn_flow(turn, r):
                records.append(TurnRecord(r, turn, state_after=env.state()))
                status, error = "rejected", f"round {r}: the sampled turn has no successful call"
                break
            adv = abstract_tool(turn, agents.tooling, tools, graph, r)
            extra_events.extend((adv.trace or {}).get("events", ()))
            hist = tuple(history)
            for attempt in range(leak_retries + 1):
                if deadline:
                    deadline.check(f"in round {r} before hard query {attempt + 1}")
                hard = write_query(adv.output, agents.querying, noise, sample_seed * 31 + r * 7 + attempt,
                                   tools=tools, history=hist)
                extra_events.extend((hard.trace or {}).get("events", ()))
                leak = check_leak(hard.output, tools, adv.output)
                if leak.ok:
                    break
                leak_rejections += 1
            if deadline:
                deadline.check(f"in round {r} before the easy query")
            easy = write_easy_query(adv.output, agents.querying, sample_seed * 31 + r, tools=tools)
            extra_events.extend((easy.trace or {}).get("events", ()))
            trace.update(abstraction=adv.trace, query=hard.trace, easy_query=easy.trace)
            if not leak.ok:
                records.append(TurnRecord(r, turn, adv.output, hard.output, easy.output, leak,
                                          state_after=env.state()))
                status, error = "rejected", f"round {r}: every hard query leaked ({', '.join(leak.leaks[:3])})"
                break
            observations = tuple(leaves)
            outcome = refine(hard.output, tools, adv.output, turn, start, agents, k_max, graph=graph,
                             round_index=r, history=hist, observations=observations, seed=sample_seed * 131 + r,
                             deadline=deadline)
            trace["refine"] = outcome.trace
            answer = ""
            passing = outcome.output.passing
            if passing is not None:
                if deadline:
                    deadline.check(f"in round {r} before the answer")
                said = agents.reasoning.answer(hard.output, passing.calls, passing.results)
                answer = said.output
                extra_events.extend((said.trace or {}).get("events", ()))
            records.append(TurnRecord(r, turn, adv.output, hard.output, easy.output, leak, outcome.output, answer,
                                      env.state()))
            if passing is None:
                status, error = "rejected", f"round {r}: no attempt passed within k_max={k_max}"
                break
            history.append({"query": hard.output.text, "calls": [c.to_python() for c in passing.calls],
                            "results": [res.to_text()[:300] for res in passing.results], "answer": answer})
            called.update(s.call.name for s in turn.steps if not s.deliberate_error and not call_failed(s.result))
            leaves.extend(turn_leaves(turn, r))
    except FrError as exc:  # a model reply that cannot be used, a broken environment: the sample is kept, failed
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        raw = getattr(exc, "raw", "")
        if raw:
            traces.append({"error_raw": raw})
    provenance = {
        "seed": seed, "index": index, "sample_seed": sample_seed, "code_version": code_version(),
        "agent_kind": agents.kind, "model": agents.model,
        "config": {"env_spec": list(classes) if bfcl else str(env_spec), "rounds": rounds, "calls": calls,
                   "k_max": k_max, "noise": noise, "size": size, "strategy": strategy, "error_share": error_share,
                   "leak_retries": leak_retries, "agents": to_dict(agents.extra)},
        "leak_rejections": leak_rejections, **_count_events(records, extra_events),
        "elapsed_s": round(time.perf_counter() - started, 4),
    }
    trajectory = Trajectory(sample_id_for(env_spec, seed, index), classes, initial_config, tuple(records), status,
                            provenance, error)
    return StepResult(trajectory, {"rounds": traces})
