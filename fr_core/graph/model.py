"""The API relation graph G=(T,R,P) as a networkx DiGraph, and legality and distances over it.

Nodes are tool names with attributes ``owner``, ``description``, ``parameters``; an edge ``u → v`` says
``u`` prepares ``v``. Edges with ``hard=True`` are prerequisites: they carry a ``condition`` saying how the
environment state can satisfy them without calling ``u`` (a value already available, a flag already set).
"""

from __future__ import annotations

import copy
import functools
import weakref
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from fr_core.envs.base import Environment
from fr_core.types import ToolSpec

__all__ = [
    "EDGE_KINDS",
    "GraphIndex",
    "StateMemo",
    "graph_index",
    "new_graph",
    "add_edge",
    "prerequisite_groups",
    "is_legal",
    "legal_tools",
    "blocked_reason",
    "missing_prerequisites",
    "distances_to",
    "class_density",
    "condition_holds",
    "edge_score",
    "prune_to_density",
]

EDGE_KINDS = ("state", "param_flow", "observe", "topic", "manual")


def new_graph(specs: Iterable[ToolSpec]) -> nx.DiGraph:
    """A graph with one node per tool and no edges yet."""
    g = nx.DiGraph()
    for spec in specs:
        g.add_node(
            spec.name,
            owner=spec.owner,
            description=spec.description,
            parameters=sorted(spec.properties),
            required=spec.required,
        )
    return g


def add_edge(g: nx.DiGraph, u: str, v: str, *, kind: str, reason: str, hard: bool = False,
             condition: Mapping[str, Any] | None = None, weight: float = 1.0, **extra: Any) -> None:
    """Add (or strengthen) an edge; a second piece of evidence is appended to ``reason``, not lost.

    >>> g = nx.DiGraph(); add_edge(g, "cd", "cat", kind="state", reason="cat finds files only after cd")
    >>> g.edges["cd", "cat"]["kind"]
    'state'
    """
    if u == v:
        return
    if g.has_edge(u, v):
        data = g.edges[u, v]
        if reason not in data["reason"]:
            data["reason"] = f"{data['reason']}; {reason}"
        # A hard prerequisite found by execution outranks a soft data-flow match.
        if hard and not data.get("hard"):
            data.update(kind=kind, hard=True, condition=condition)
        data["evidence"] = data.get("evidence", 1) + 1
        return
    g.add_edge(u, v, kind=kind, reason=reason, hard=hard, condition=condition, weight=weight,
               evidence=1, **extra)


def _group_key(condition: Mapping[str, Any] | None) -> str:
    if not condition:
        return "call"
    if condition.get("type") == "candidates":
        return f"param:{condition['param']}"
    if condition.get("type") == "truthy":
        return f"flag:{condition['owner']}:{','.join(condition['attrs'])}"
    if condition.get("type") == "equals":
        return f"state:{condition['owner']}:" + ",".join(f"{a}={v!r}" for a, v in sorted(condition["values"].items()))
    return "call"


def prerequisite_groups(g: nx.DiGraph, tool: str) -> dict[str, list[str]]:
    """Hard in-edges of ``tool`` grouped by what they provide; one member of each group is enough."""
    groups: dict[str, list[str]] = {}
    for u, _, data in g.in_edges(tool, data=True):
        if data.get("hard"):
            groups.setdefault(_group_key(data.get("condition")), []).append(u)
    return groups


def _all_groups(g: nx.DiGraph) -> dict[str, dict[str, list[str]]]:
    """:func:`prerequisite_groups` of every tool in one pass over the edges (what ``legal_tools`` needs)."""
    out: dict[str, dict[str, list[str]]] = {}
    for u, v, data in g.edges(data=True):
        if data.get("hard"):
            out.setdefault(v, {}).setdefault(_group_key(data.get("condition")), []).append(u)
    return out


def condition_holds(condition: Mapping[str, Any] | None, tool: str, env: Environment | None) -> bool:
    """Whether the state of ``env`` meets an edge's ``condition`` for ``tool`` (a value offered, a flag set ...)."""
    if not condition or env is None:
        return False
    if condition.get("type") == "candidates":
        return bool(env.candidates(tool, condition["param"]))
    if condition.get("type") == "truthy":
        try:
            inst = env.instance(condition["owner"])  # type: ignore[attr-defined]
        except (AttributeError, KeyError):
            return False
        return all(bool(getattr(inst, attr, None)) for attr in condition["attrs"])
    if condition.get("type") == "equals":
        try:
            inst = env.instance(condition["owner"])  # type: ignore[attr-defined]
        except (AttributeError, KeyError):
            return False
        return all(getattr(inst, attr, None) == value for attr, value in condition["values"].items())
    return False


def is_legal(g: nx.DiGraph, tool: str, called: set[str] | frozenset[str],
             env: Environment | None = None) -> tuple[bool, str]:
    """``I(T, T_called)``: every prerequisite group is met: by the current state when the group has a state
    condition and ``env`` is given, else by a called tool.

    Returns the verdict and a readable reason (which group is missing, or what satisfied each).
    """
    return _verdict(g, tool, prerequisite_groups(g, tool), called, env)


def _met_by(g: nx.DiGraph, tool: str, sources: list[str], called: set[str] | frozenset[str],
            env: Environment | None) -> str | None:
    """What meets one prerequisite group (``"current state"`` or a called tool), or ``None``. With a state
    condition and ``env``, the state is the truth: a login called earlier does not count after a logout."""
    condition = g.edges[sources[0], tool].get("condition")
    if env is not None and condition:
        return "current state" if condition_holds(condition, tool, env) else None
    return next((u for u in sources if u in called), None)


def _verdict(g: nx.DiGraph, tool: str, groups: dict[str, list[str]], called: set[str] | frozenset[str],
             env: Environment | None) -> tuple[bool, str]:
    missing, met = [], []
    for key, sources in groups.items():
        by = _met_by(g, tool, sources, called, env)
        if by:
            met.append(f"{key} by {by}")
        else:
            missing.append(f"{key} (needs one of {', '.join(sorted(sources))})")
    if missing:
        return False, f"{tool} not legal: missing " + "; ".join(missing)
    return True, (f"{tool} legal: " + "; ".join(met)) if met else f"{tool} has no prerequisites"


def missing_prerequisites(g: nx.DiGraph, tool: str, called: set[str] | frozenset[str],
                          env: Environment | None = None) -> dict[str, list[str]]:
    """The prerequisite groups of ``tool`` that are not met now (same verdicts as :func:`is_legal`)."""
    return {key: sources for key, sources in prerequisite_groups(g, tool).items()
            if not _met_by(g, tool, sources, called, env)}


def blocked_reason(g: nx.DiGraph, tool: str, env: Environment | None, memo: StateMemo | None = None) -> str | None:
    """Why ``tool`` cannot work from the current state whatever is called first, or ``None``.

    A ``broken`` tool (failed in every probe) is always blocked; otherwise the first of its ``blocked_when``
    conditions (an error no probed tool cleared, and the status values it came with) that holds in ``env``
    (``memo``: the answers so far in this state, see :class:`StateMemo`).
    """
    if memo is None or env is not memo.env:
        return _blocked(g.nodes[tool], tool, env)
    if tool not in memo.blocked:
        memo.blocked[tool] = _blocked(g.nodes[tool], tool, env)
    return memo.blocked[tool]


def _blocked(node: Mapping[str, Any], tool: str, env: Environment | None) -> str | None:
    if node.get("broken"):
        return f"{tool} broken: {node['broken']}"
    for cond in node.get("blocked_when", ()):
        if condition_holds({"type": "equals", "owner": cond["owner"], "values": cond["values"]}, tool, env):
            shown = ", ".join(f"{a}={v!r}" for a, v in cond["values"].items())
            return f"{tool} blocked: {cond['gist']!r} and no tool was seen clearing it ({shown})"
    return None


def legal_tools(g: nx.DiGraph, called: set[str] | frozenset[str], env: Environment | None = None, *,
                index: GraphIndex | None = None, memo: StateMemo | None = None) -> list[str]:
    """All tools legal now, in node order (deterministic). ``index``: :func:`graph_index` of ``g``, when the
    caller asks many times (it saves reading the edges on every call); ``memo``: the legality answers so far in
    this state of ``env`` (see :class:`StateMemo`)."""
    if env is None or index is None:
        groups = _all_groups(g) if index is None else index.groups
        return [t for t in g.nodes if t not in groups or _verdict(g, t, groups[t], called, env)[0]]
    if memo is None or memo.env is not env:
        return [t for t in index.nodes if not index.missing(t, called, env, first=True)]
    key = frozenset(called)
    legal = memo.legal.get(key)
    if legal is None and memo.legal:  # same state, more tools called: none of which a group waits for
        last, known = next(reversed(memo.legal.items()))
        if last < key and not any(u in index.waiting for u in key - last):
            legal = memo.legal[key] = known
    if legal is None:
        legal = memo.legal[key] = []
        answers, holds = memo.answers, memo.holds
        for t, checks in index.checks_in_order:
            for condition, owner, what in checks:
                met: bool | None
                if not condition:
                    met = not key.isdisjoint(what)
                else:
                    met = answers.get(what)
                    if met is None:
                        met = holds(condition, t, owner, what)
                if not met:
                    break
            else:
                legal.append(t)
    return list(legal)


def answer_key(condition: Mapping[str, Any], tool: str) -> Hashable:
    """What the answer of ``condition`` for ``tool`` depends on besides the state: which offered values it asks about
    (the condition's ``offers`` key: every tool that takes a card id alike shares "a card is registered"), or, for a
    flag or value check, the check alone (every tool behind a login shares the answer of "logged in")."""
    kind = condition.get("type")
    if kind == "candidates":  # tools the environment offers the same values share the answer
        return ("offered", *condition["offers"]) if condition.get("offers") else (kind, tool, condition["param"])
    if kind == "truthy":
        return kind, condition.get("owner"), tuple(condition["attrs"])
    if kind == "equals":
        return kind, condition.get("owner"), repr(sorted(condition["values"].items()))
    return id(condition), tool


class StateMemo:
    """Legality in the current state of one environment: which state conditions hold, each kept until a call of
    a tool of the class whose state it read (a call changes only its own class's state), and the legal tools per
    called set and the blocked tools, kept until any state changes. The sampler asks the same questions at every
    step. Call :meth:`forget` with the class of every call that changed the state."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.legal: dict[frozenset[str], list[str]] = {}
        self.blocked: dict[str, str | None] = {}  # tool → why its blocked_when holds now
        self.answers: dict[Hashable, bool] = {}  # answer_key of a condition and tool → whether it holds now
        self._asked: dict[str, list[Hashable]] = {}  # class → the answers that read its state

    def holds(self, condition: Mapping[str, Any], tool: str, owner: str | None, key: Hashable = None) -> bool:
        """``condition_holds(condition, tool, env)``, remembered under its :func:`answer_key` (``key``, when the
        caller has it) while ``owner``, the class it reads, has not changed."""
        if not owner:
            return condition_holds(condition, tool, self.env)
        if key is None:
            key = answer_key(condition, tool)
        hit = self.answers.get(key)
        if hit is None:
            hit = self.answers[key] = condition_holds(condition, tool, self.env)
            self._asked.setdefault(owner, []).append(key)
        return hit

    def forget(self, owner: str) -> None:
        """A tool of class ``owner`` changed its state."""
        for key in self._asked.pop(owner, ()):
            del self.answers[key]
        self.legal.clear()
        self.blocked.clear()


@dataclass(frozen=True, eq=False)
class GraphIndex:
    """What legality, distances and data flow read from a graph's edges, read once: the sampler asks thousands of
    times per second. Built by :func:`graph_index`, which notices when the graph's edges changed."""

    nodes: tuple[str, ...]
    groups: dict[str, dict[str, list[str]]]  # tool → prerequisite group → its tools (see prerequisite_groups)
    # tool → per prerequisite group: (its key, the state condition that meets it, the class that condition reads)
    checks: dict[str, tuple[tuple[str, Mapping[str, Any] | None, str | None], ...]]
    links: dict[str, dict[str, frozenset[tuple[str, str]]]]  # tool → parameter → (tool, output field) feeding it
    may_block: frozenset[str]  # tools marked broken or with blocked_when conditions (see blocked_reason)
    broken: frozenset[str]  # tools marked broken (failed in every probe)
    _distances: dict[str, dict[str, int]] = field(default_factory=dict)
    _reach: dict[frozenset[str], dict[str, int]] = field(default_factory=dict)

    @functools.cached_property
    def checks_in_order(self) -> tuple[tuple[str, tuple[tuple[Mapping[str, Any] | None, str | None, Any], ...]], ...]:
        """``(tool, its checks)`` for every tool, in node order (made once: legality reads it at every step). A check
        is ``(condition, the class it reads, what)``: with a condition, ``what`` is the key of its answer in
        :attr:`StateMemo.answers`; without, the group's tools, one of which must have been called."""
        return tuple((t, tuple((c, owner, answer_key(c, t) if c else frozenset(self.groups[t][key]))
                               for key, c, owner in self.checks.get(t, ()))) for t in self.nodes)

    @functools.cached_property
    def waiting(self) -> frozenset[str]:
        """The tools whose call meets a prerequisite group of another tool (a group without a state condition):
        calling any other tool leaves legality as it was."""
        return frozenset(u for _, checks in self.checks_in_order for condition, _, what in checks if not condition
                         for u in what)

    @functools.cached_property
    def feeders(self) -> dict[str, tuple[frozenset[str], ...]]:
        """Per tool, for each of its parameters with data-flow links, the tools whose outputs feed it."""
        return {t: tuple(frozenset(u for u, _ in links) for links in by_param.values())
                for t, by_param in self.links.items()}

    def distances(self, g: nx.DiGraph, target: str) -> dict[str, int]:
        """:func:`distances_to` of ``target`` (computed once; the caller must not change the answer)."""
        dist = self._distances.get(target)
        if dist is None:
            dist = self._distances[target] = distances_to(g, target)
        return dist

    def reach(self, g: nx.DiGraph, legal: Iterable[str]) -> dict[str, int]:
        """Per tool, the hops from the nearest of the ``legal`` tools to it (0 when it is legal itself); tools no
        legal tool leads to are absent. Remembered per legal set (a few hundred at most)."""
        key = frozenset(legal)
        hops = self._reach.get(key)
        if hops is None:  # one search forward from all legal tools at once
            hops = _hops([t for t in self.nodes if t in key], g.successors)
            if len(self._reach) < 512:
                self._reach[key] = hops
        return hops

    def missing(self, tool: str, called: set[str] | frozenset[str], env: Environment | None,
                memo: StateMemo | None = None, *, first: bool = False) -> dict[str, list[str]]:
        """:func:`missing_prerequisites` of ``tool``, from the index (only the first missing group when
        ``first``: enough to know it is not legal)."""
        out = {}
        for key, condition, owner in self.checks.get(tool, ()):
            if env is None or not condition:
                met = any(u in called for u in self.groups[tool][key])
            elif memo is not None and memo.env is env:
                met = memo.holds(condition, tool, owner)
            else:
                met = condition_holds(condition, tool, env)
            if not met:
                out[key] = self.groups[tool][key]
                if first:
                    break
        return out


def _order(g: nx.DiGraph) -> tuple[Any, ...]:
    """The order of the nodes and of each node's out-edges (the order of a prerequisite group's tools)."""
    return tuple(g._node), tuple(map(tuple, g._adj.values()))


def _copy(data: dict[str, Any], deep: str) -> dict[str, Any]:
    """A copy of a node's or an edge's data; its field ``deep`` (a list or map the index reads) copied deeply."""
    return {**data, deep: copy.deepcopy(data[deep])} if data.get(deep) else dict(data)


@dataclass(frozen=True)
class _Seen:
    """A graph as its index read it: the order of its nodes and edges and a copy of their data. ``seen.nodes ==
    g._node and seen.edges == g._adj`` tells at C speed, field by field, whether any node or edge was added,
    removed or given other data since (a condition or a ``blocked_when`` changed in place too). networkx documents
    ``_node`` and ``_adj`` as a graph's data for subclasses."""

    order: tuple[Any, ...]
    nodes: dict[str, dict[str, Any]]
    edges: dict[str, dict[str, dict[str, Any]]]

    @classmethod
    def of(cls, g: nx.DiGraph) -> _Seen:
        return cls(_order(g), {n: _copy(d, "blocked_when") for n, d in g._node.items()},
                   {u: {v: _copy(d, "condition") for v, d in nbrs.items()} for u, nbrs in g._adj.items()})

    def same(self, g: nx.DiGraph) -> bool:
        return self.order == _order(g) and self.nodes == g._node and self.edges == g._adj


_INDEXES: weakref.WeakKeyDictionary[nx.DiGraph, tuple[_Seen, GraphIndex]] = weakref.WeakKeyDictionary()


def graph_index(g: nx.DiGraph) -> GraphIndex:
    """The :class:`GraphIndex` of ``g``, reused while its nodes and edges are the same (an edge added, removed or
    given other data, a node marked broken or blocked, makes a new one). The sampler asks once per episode."""
    cached = _INDEXES.get(g)
    if cached is not None and cached[0].same(g):
        return cached[1]
    groups = _all_groups(g)
    owners = dict(g.nodes(data="owner"))
    checks = {}
    for t, by_key in groups.items():
        conditions = [(key, g.edges[sources[0], t].get("condition")) for key, sources in by_key.items()]
        checks[t] = tuple((key, c, (c.get("owner") if c.get("type") != "candidates" else owners.get(t)) if c else None)
                          for key, c in conditions)
    links: dict[str, dict[str, set[tuple[str, str]]]] = {}
    for u, v, data in g.edges(data=True):
        if data.get("kind") == "param_flow" and data.get("field") and data.get("param"):
            source = (u, str(data["field"]).split(".")[-1].replace("[]", ""))
            links.setdefault(v, {}).setdefault(data["param"], set()).add(source)
    index = GraphIndex(tuple(g), groups, checks,
                       {t: {p: frozenset(x) for p, x in by_param.items()} for t, by_param in links.items()},
                       frozenset(n for n, d in g.nodes(data=True) if d.get("broken") or d.get("blocked_when")),
                       frozenset(n for n, d in g.nodes(data=True) if d.get("broken")))
    _INDEXES[g] = (_Seen.of(g), index)
    return index


def distances_to(g: nx.DiGraph, target: str) -> dict[str, int]:
    """``dist(T_k, target)``: edges on the shortest path T_k ⇝ target; tools that cannot reach it are absent.

    >>> g = nx.DiGraph([("login", "ls"), ("ls", "cat")])
    >>> distances_to(g, "cat")
    {'cat': 0, 'ls': 1, 'login': 2}
    """
    return _hops([target], g.predecessors)


def _hops(starts: Iterable[str], neighbours: Callable[[str], Iterable[str]]) -> dict[str, int]:
    """Breadth-first hops from ``starts`` (0 each) along ``neighbours``; nodes never reached are absent."""
    hops = dict.fromkeys(starts, 0)
    queue = deque(hops)
    while queue:
        node = queue.popleft()
        for nxt in neighbours(node):
            if nxt not in hops:
                hops[nxt] = hops[node] + 1
                queue.append(nxt)
    return hops


def class_density(g: nx.DiGraph) -> dict[str, float]:
    """Edge density inside each owning class: edges between its tools / (n·(n−1))."""
    by_owner: dict[str, list[str]] = {}
    for node, data in g.nodes(data=True):
        by_owner.setdefault(data.get("owner", ""), []).append(node)
    out = {}
    for owner, nodes in by_owner.items():
        n = len(nodes)
        inside = g.subgraph(nodes).number_of_edges()
        out[owner] = inside / (n * (n - 1)) if n > 1 else 0.0
    return out


def edge_score(data: dict[str, Any]) -> float:
    """Strength of an edge's evidence: manual > hard state > state > data flow, plus repeated sightings."""
    base = {"manual": 10.0, "state": 3.0, "param_flow": 2.0, "observe": 1.5, "topic": 1.2}.get(
        data.get("kind", ""), 1.0
    )
    return base + (2.0 if data.get("hard") else 0.0) + 0.1 * min(data.get("evidence", 1), 10)


def prune_to_density(g: nx.DiGraph, max_density: float = 0.2) -> list[tuple[str, str, str]]:
    """Keep, inside each class, only the strongest soft edges so its density stays ≤ ``max_density``.

    A class of n tools keeps at least n − 1 edges (a chain). Hard prerequisites and manual edges are never
    dropped. Returns the dropped ``(u, v, reason)``.
    """
    dropped = []
    by_owner: dict[str, list[str]] = {}
    for node, data in g.nodes(data=True):
        by_owner.setdefault(data.get("owner", ""), []).append(node)
    for nodes in by_owner.values():
        n = len(nodes)
        budget = max(int(max_density * n * (n - 1)), n - 1)  # a tiny class may still form a chain
        inside = list(g.subgraph(nodes).edges(data=True))
        excess = len(inside) - budget
        if excess <= 0:
            continue
        soft = [(edge_score(d), u, v) for u, v, d in inside if not d.get("hard") and d.get("kind") != "manual"]
        for _, u, v in sorted(soft)[:excess]:
            dropped.append((u, v, g.edges[u, v]["reason"]))
            g.remove_edge(u, v)
    return dropped
