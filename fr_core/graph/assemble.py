"""Assemble G from typed evidence: name flow from the specs, execution probes in each state, density pruning, the
manual overlay and the obstacle annotations; what was found goes into a :class:`GraphTrace`."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from fr_core.envs.base import Environment
from fr_core.graph.evidence import (EdgeEvidence, FlowEdge, ManualEdge, ObstacleEvidence, ProbeEvidence, ProbeOutcome,
                                    StateEdge)
from fr_core.graph.flow import name_flow_edges
from fr_core.graph.limits import PROBE_CALL_TIMEOUT_S, PROBE_TIMEOUT_S, ProbeBudgetSpent, TimedEnvironment
from fr_core.graph.model import add_edge, new_graph, prune_to_density
from fr_core.graph.obstacles import annotate_obstacles, probe_obstacles
from fr_core.graph.probe import probe_edges
from fr_core.graph.probing import flag_states
from fr_core.types import StepResult, ToolSpec

__all__ = ["GraphTrace", "apply_evidence", "build_graph", "mark_broken"]


@dataclass
class GraphTrace:
    """How a graph was built: evidence per edge, counts per kind, timings."""

    evidence: list[EdgeEvidence | ManualEdge] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    dropped: list[tuple[str, str, str]] = field(default_factory=list)  # weakest soft edges cut for density

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.evidence:
            out[e.kind] = out.get(e.kind, 0) + 1
        return out


# Per-tool probe outcomes, counted on the tool's node: it worked; it never worked; it accepted some of the state's
# values and refused others in one state (``picky``: the sampler tries such a call on a copy first).
_NODE_COUNTS = {"ok": "probe_successes", "failed": "probe_failures", "picky": "picky"}


def _count(g: nx.DiGraph, outcome: ProbeOutcome) -> None:
    if outcome.tool not in g:
        return
    node = g.nodes[outcome.tool]
    key = _NODE_COUNTS[outcome.outcome]
    node[key] = node.get(key, 0) + 1
    if outcome.reason and outcome.outcome == "failed":
        node["probe_error"] = outcome.reason


def _attributes(edge: EdgeEvidence) -> dict[str, Any]:
    """The edge attributes an edge of this kind carries: ``hard`` and ``condition``, the output ``field`` and the
    ``param`` it feeds (only those the evidence names, so the graph's edges look as they always have)."""
    if isinstance(edge, FlowEdge):
        return {"param": edge.param} if edge.field is None else {"field": edge.field, "param": edge.param}
    if isinstance(edge, StateEdge):
        return {"hard": edge.hard, "condition": edge.condition, **({} if edge.param is None else {"param": edge.param})}
    return {}


def apply_evidence(g: nx.DiGraph, evidence: Iterable[ProbeEvidence], trace: GraphTrace) -> None:
    """Add each edge between tools of ``g`` (kept in ``trace``) and count each probe outcome on its tool's node."""
    for e in evidence:
        if isinstance(e, ProbeOutcome):
            _count(g, e)
            continue
        if e.u not in g or e.v not in g:
            continue
        add_edge(g, e.u, e.v, kind=e.kind, reason=e.reason, **_attributes(e))
        trace.evidence.append(e)


def mark_broken(g: nx.DiGraph) -> list[str]:
    """Flag tools that take no arguments and failed in every probe state (node attribute ``broken`` says why).

    With arguments, a probe's naive values could be to blame; with none, the tool itself is (an API that
    always answers 404)."""
    broken = []
    for name, node in g.nodes(data=True):
        if not node.get("required") and node.get("probe_failures") and not node.get("probe_successes"):
            node["broken"] = f"failed in all {node['probe_failures']} probes: {node.get('probe_error', '')[:120]}"
            broken.append(name)
    return broken


def build_graph(
    specs: Iterable[ToolSpec],
    *,
    probe_envs: Iterable[Environment] = (),
    overlay: Any = None,
    seed: int = 0,
    max_density: float = 0.2,
    probe_call_timeout_s: float = PROBE_CALL_TIMEOUT_S,
    probe_timeout_s: float = PROBE_TIMEOUT_S,
) -> StepResult[nx.DiGraph, GraphTrace]:
    """G from the specs (name flow), execution probes in each of ``probe_envs``, then the manual overlay.

    A probe call that does not return within ``probe_call_timeout_s`` raises a GraphError naming the tool; past
    ``probe_timeout_s`` in all, probing stops and ``trace.seconds["probe_cut"]`` says when.
    """
    from fr_core.graph.overlay import apply_overlay

    trace = GraphTrace()
    t0 = time.perf_counter()
    specs = list(specs)
    g = new_graph(specs)
    apply_evidence(g, name_flow_edges(specs), trace)
    trace.seconds["name_flow"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    paths: list[ObstacleEvidence] = []
    until = time.monotonic() + probe_timeout_s
    try:
        for i, env in enumerate(probe_envs):
            env = TimedEnvironment(env, probe_call_timeout_s, until)
            for j, state in enumerate([env, *flag_states(env, seed=seed + i)]):
                apply_evidence(g, probe_edges(state, seed=seed + i + j), trace)
                paths.extend(probe_obstacles(state, seed=seed + i + j))
    except ProbeBudgetSpent:
        trace.seconds["probe_cut"] = probe_timeout_s
    trace.seconds["probe"] = time.perf_counter() - t1
    mark_broken(g)
    trace.dropped = prune_to_density(g, max_density)
    if overlay is not None:
        trace.evidence.extend(apply_overlay(g, overlay))
    annotate_obstacles(g, paths)
    trace.seconds["total"] = time.perf_counter() - t0
    return StepResult(g, trace)
