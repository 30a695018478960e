"""The paper's Eq. 2: pick the next tool from the legal set given the target, and say which rule fired and why."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import networkx as nx

from fr_core.graph import distances_to

__all__ = ["Choice", "Rule", "choose_next_tool", "choose_random_tool"]

Rule = Literal["explore", "target", "toward", "random"]  # the sampler adds "retry" and "recover" steps


@dataclass(frozen=True)
class Choice:
    """The chosen tool, the rule that chose it, a readable reason, and the tool's distance to the target."""

    tool: str
    rule: Rule
    reason: str
    distance: int | None = None


def choose_next_tool(
    graph: nx.DiGraph,
    legal: Iterable[str],
    called: Iterable[str],
    target: str,
    rng: random.Random,
    *,
    distances: Mapping[str, int] | None = None,
    blocked: Collection[str] = (),
    broken: Collection[str] | None = None,
) -> Choice | None:
    """Eq. 2 over ``legal`` given this turn's ``called`` set; ``distances`` (from
    :func:`fr_core.graph.distances_to`) may be passed to save the search on every step; ``blocked``: tools that
    cannot work from the current state (see :func:`fr_core.graph.blocked_reason`), left out of exploration, as are
    the tools the graph marks ``broken`` (read from the graph's nodes unless the caller passes them, as
    :attr:`fr_core.graph.GraphIndex.broken`).

    1. target already called → a random legal tool (explore);
    2. target legal → the target;
    3. else the legal tool nearest the target (ties broken by ``rng``).
    Returns ``None`` when rule 3 applies and no legal tool can reach the target.
    Candidates are sorted first, so the result never depends on set order.

    >>> g = nx.DiGraph([("cd", "cat")]); g.add_node("ls")
    >>> choose_next_tool(g, ["cd", "ls"], set(), "cat", random.Random(0))  # doctest: +NORMALIZE_WHITESPACE
    Choice(tool='cd', rule='toward', reason='target cat not legal yet: cd is the legal tool nearest to it, 1 hop(s)',
           distance=1)
    """
    if distances is None:
        distances = distances_to(graph, target) if target in graph else {}
    pool = sorted(set(legal))
    if not pool:
        return None
    if target in set(called):
        # Exploration skips tools the graph flags as broken (no arguments, failed in every probe) or blocked.
        if broken is None:
            broken = {t for t in pool if graph.nodes[t].get("broken")}
        working = [t for t in pool if t not in broken and t not in blocked]
        tool = rng.choice(working or pool)
        return Choice(
            tool,
            "explore",
            f"target {target} already called: random legal tool among {len(working or pool)}",
            distances.get(tool),
        )
    if target in pool:
        return Choice(target, "target", f"target {target} is legal and not called yet", 0)
    reachable = [t for t in pool if t in distances]
    if not reachable:
        return None
    best = min(distances[t] for t in reachable)
    nearest = [t for t in reachable if distances[t] == best]
    tool = rng.choice(nearest)
    ties = f" (tie among {', '.join(nearest)})" if len(nearest) > 1 else ""
    return Choice(tool, "toward", f"target {target} not legal yet: {tool} is the legal tool nearest to it, "
                                  f"{best} hop(s){ties}", best)


def choose_random_tool(distances: Mapping[str, int], legal: Iterable[str], rng: random.Random) -> Choice | None:
    """The random-walk baseline: uniform over the legal tools, whatever the target."""
    pool = sorted(set(legal))
    if not pool:
        return None
    tool = rng.choice(pool)
    return Choice(tool, "random", f"random walk: uniform over {len(pool)} legal tools", distances.get(tool))
