"""G for the BFCL classes and for any environment spec: per-class probe evidence kept in the disk cache (and warmed
in parallel), assembled with the name flow between classes and the shipped overlay.

What an edge means and how each kind is found: :mod:`fr_core.graph.flow` (``param_flow`` by name),
:mod:`fr_core.graph.probe` (``param_flow``, ``state``, ``observe``, ``topic`` by execution),
:mod:`fr_core.graph.obstacles` (``clears``, ``blocked_when``), :mod:`fr_core.graph.overlay` (``manual``).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Any, cast

import networkx as nx

from fr_core.envs.base import Environment
from fr_core.graph.assemble import GraphTrace, apply_evidence, build_graph, mark_broken
from fr_core.graph.cache import cached, is_cached
from fr_core.graph.evidence import ObstacleEvidence, ProbeEvidence, evidence_from_json, evidence_to_json
from fr_core.graph.flow import name_flow_edges
from fr_core.graph.limits import PROBE_CALL_TIMEOUT_S, PROBE_TIMEOUT_S
from fr_core.graph.model import new_graph, prune_to_density
from fr_core.graph.obstacles import (ObstacleNotes, annotate_obstacles, apply_obstacle_notes, obstacle_notes,
                                     probe_obstacles)
from fr_core.graph.probe import probe_edges
from fr_core.types import StepResult

__all__ = ["CONTRAST_SEEDS", "EDGE_PROBES", "OBSTACLE_PROBES", "PROBE_SEEDS", "bfcl_graph", "spec_graph",
           "warm_bfcl_graphs"]

CONTRAST_SEEDS = tuple(range(24))  # states for the obstacle contrast: it needs states where each tool works too
PROBE_SEEDS = tuple(range(6))  # several generated states: some logged in, some not
EDGE_PROBES: dict[str, Any] = {"seeds": PROBE_SEEDS}
OBSTACLE_PROBES: dict[str, Any] = {"seeds": CONTRAST_SEEDS, "depth": 2}


def _probe_class_edges(cls: str) -> tuple[ProbeEvidence, ...]:
    from fr_core.envs.bfcl import make_bfcl_env
    from fr_core.envs.bfcl.states import generate_initial_config

    edges: list[ProbeEvidence] = []
    for seed in EDGE_PROBES["seeds"]:
        env = make_bfcl_env([cls], generate_initial_config([cls], seed))
        edges.extend(probe_edges(env, seed=seed))
    return tuple(edges)


def _probe_class_obstacles(cls: str) -> tuple[ObstacleEvidence, ...]:
    """Obstacle paths over more generated states than the edge probes: the contrast needs states where each
    tool works (the six edge-probe states of TradingBot, for one, all have a closed market)."""
    from fr_core.envs.bfcl import make_bfcl_env
    from fr_core.envs.bfcl.states import generate_initial_config

    paths: list[ObstacleEvidence] = []
    for seed in OBSTACLE_PROBES["seeds"]:
        env = make_bfcl_env([cls], generate_initial_config([cls], seed))
        paths.extend(probe_obstacles(env, seed=seed, depth=OBSTACLE_PROBES["depth"]))
    return tuple(paths)


@lru_cache(maxsize=64)
def _bfcl_class_edges(cls: str) -> tuple[ProbeEvidence, ...]:
    stored = cached("edges", cls, EDGE_PROBES, lambda: tuple(evidence_to_json(e) for e in _probe_class_edges(cls)))
    return tuple(cast(ProbeEvidence, evidence_from_json(e)) for e in stored)


@lru_cache(maxsize=64)
def _bfcl_class_obstacles(cls: str) -> tuple[ObstacleEvidence, ...]:
    stored = cached("obstacles", cls, OBSTACLE_PROBES,
                    lambda: tuple(evidence_to_json(p) for p in _probe_class_obstacles(cls)))
    return tuple(cast(ObstacleEvidence, evidence_from_json(p)) for p in stored)


@lru_cache(maxsize=64)
def _bfcl_class_obstacle_notes(cls: str) -> ObstacleNotes:
    """What the class's obstacle paths write on G (:func:`~fr_core.graph.obstacles.obstacle_notes`), kept in the
    cache beside the paths: a few hundred plain values to read instead of tens of thousands of path records."""
    from fr_core.envs.bfcl import bfcl_tool_specs

    return cast(ObstacleNotes, cached(
        "obstacle_notes", cls, OBSTACLE_PROBES,
        lambda: obstacle_notes(_bfcl_class_obstacles(cls), {s.name: s.owner for s in bfcl_tool_specs(cls)})))


def _warm_class(cls: str) -> str:
    _bfcl_class_edges(cls)
    _bfcl_class_obstacle_notes(cls)
    return cls


def warm_bfcl_graphs(classes: Iterable[str], jobs: int | None = None) -> list[str]:
    """Probe the BFCL classes whose results are not in the graph cache yet, up to ``jobs`` classes at once in
    separate processes (default: one per core), so every later ``bfcl_graph`` reads them; returns those probed."""
    from fr_core.envs.bfcl import bfcl_tool_specs

    classes = list(dict.fromkeys(classes))
    for c in classes:
        bfcl_tool_specs(c)  # an unknown name fails here, before any process starts
    todo = [c for c in classes if not (is_cached("edges", c, EDGE_PROBES)
                                       and is_cached("obstacle_notes", c, OBSTACLE_PROBES))]
    jobs = min(len(todo), jobs or os.cpu_count() or 1)
    if jobs <= 1:
        return [_warm_class(c) for c in todo]
    # fork is the cheapest start (nothing to re-import) but unsafe in a process that already runs other threads
    method = "fork" if threading.active_count() == 1 and "fork" in mp.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context(method)) as pool:
        return list(pool.map(_warm_class, todo))


def bfcl_graph(classes: Iterable[str] | str, *, overlay: Any = "default",
               max_density: float = 0.2) -> StepResult[nx.DiGraph, GraphTrace]:
    """G for a combination of BFCL classes: per-class probes on our generated states (cached), cross-class
    name flow, and the shipped manual overlay (``overlay=None`` to leave it out)."""
    from fr_core.envs.bfcl import bfcl_tool_specs
    from fr_core.graph.overlay import default_overlay

    classes = [classes] if isinstance(classes, str) else list(classes)
    specs = [s for c in classes for s in bfcl_tool_specs(c)]
    trace = GraphTrace()
    t0 = time.perf_counter()
    g = new_graph(specs)
    apply_evidence(g, name_flow_edges(specs), trace)
    for c in classes:
        apply_evidence(g, _bfcl_class_edges(c), trace)
    mark_broken(g)
    trace.dropped = prune_to_density(g, max_density)
    if overlay is not None:
        from fr_core.graph.overlay import apply_overlay

        trace.evidence.extend(apply_overlay(g, default_overlay() if overlay == "default" else overlay))
    tools = [s.name for s in specs]
    if len(set(tools)) == len(tools):  # each tool's notes come from its own class alone
        apply_obstacle_notes(g, [note for c in classes for note in _bfcl_class_obstacle_notes(c)])
    else:
        annotate_obstacles(g, [p for c in classes for p in _bfcl_class_obstacles(c)])
    # What is loaded by now (BFCL's modules, the probed evidence, this graph: some 130k objects) lives as long as
    # the process samples; leave it out of the collector's full passes, which would walk it again and again (one
    # full pass was 15-20 % of sampling 144 episodes right after loading). Collected first, so no garbage is kept:
    # 40 ms the first time, about 1 ms later (only what is new since the last freeze is walked).
    gc.collect()
    gc.freeze()
    trace.seconds["total"] = time.perf_counter() - t0
    return StepResult(g, trace)


def _distinct_states(spec: str, seeds: Iterable[int], size: str) -> list[Environment]:
    """The environment of ``spec`` in the state each seed makes, each distinct state once (a class without its
    own state generator has one state whatever the seed)."""
    from fr_core.envs.factory import make_env

    envs: list[Environment] = []
    seen: list[Any] = []
    for seed in seeds:
        env = make_env(spec, seed=seed, size=size)
        state = env.state()
        if state not in seen:
            seen.append(state)
            envs.append(env)
    return envs


def spec_graph(spec: str, *, seed: int = 0, size: str = "medium", probe_call_timeout_s: float = PROBE_CALL_TIMEOUT_S,
               probe_timeout_s: float = PROBE_TIMEOUT_S) -> StepResult[nx.DiGraph, GraphTrace]:
    """G for an environment spec (see :func:`fr_core.envs.make_env`): the cached graph of BFCL classes, else name
    flow plus probes on the distinct states the environment makes for :data:`PROBE_SEEDS` (after ``seed``)."""
    from fr_core.envs.bfcl import BFCL_CLASSES

    names = [n.strip() for n in spec.split("+")]
    if all(n in BFCL_CLASSES for n in names):
        return bfcl_graph(names)
    envs = _distinct_states(spec, (seed + s for s in PROBE_SEEDS), size)
    return build_graph(envs[0].tools(), probe_envs=envs, seed=seed, probe_call_timeout_s=probe_call_timeout_s,
                       probe_timeout_s=probe_timeout_s)
