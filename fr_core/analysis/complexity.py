"""Complexity of multi-turn samples: size, tools, data-flow chains, graph depth, query length, attempts, errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from fr_core.analysis.views import SampleView, example_sample  # noqa: F401  (the doctests use example_sample)

__all__ = [
    "turns_per_sample",
    "calls_per_sample",
    "calls_per_turn",
    "distinct_tools",
    "distinct_classes",
    "longest_flow_chain",
    "graph_depth",
    "flow_share",
    "query_length",
    "attempts_needed",
    "error_turns",
    "complexity_row",
    "complexity_rows",
]


def turns_per_sample(sample: SampleView) -> int:
    """Number of rounds.

    >>> turns_per_sample(example_sample())
    2
    """
    return len(sample.turns)


def calls_per_sample(sample: SampleView) -> int:
    """Ground-truth calls over all rounds.

    >>> calls_per_sample(example_sample())
    5
    """
    return len(sample.calls)


def calls_per_turn(sample: SampleView) -> float:
    """Mean ground-truth calls per round (0.0 for an empty sample).

    >>> calls_per_turn(example_sample())
    2.5
    """
    return len(sample.calls) / len(sample.turns) if sample.turns else 0.0


def distinct_tools(sample: SampleView) -> int:
    """Distinct tools called.

    >>> distinct_tools(example_sample())
    5
    """
    return len({c.name for c in sample.calls})


def distinct_classes(sample: SampleView) -> int:
    """Distinct environment classes whose tools are called (a call with no known owner counts as its own class).

    >>> distinct_classes(example_sample())
    2
    """
    return len({c.owner or c.name for c in sample.calls})


def longest_flow_chain(sample: SampleView) -> int:
    """Edges on the longest data-flow chain: call A's output feeds B's argument, B's feeds C's... (0: no flow).

    Links follow ``CallView.flow_from`` back to the producing call, across rounds.

    >>> longest_flow_chain(example_sample())  # list_files → read_file → count_words
    2
    """
    depth: dict[tuple[int, int], int] = {}
    for call in sorted(sample.calls, key=lambda c: (c.round, c.step)):
        depth[(call.round, call.step)] = max((depth[f] + 1 for f in call.flow_from if f in depth), default=0)
    return max(depth.values(), default=0)


def graph_depth(sample: SampleView, graph: nx.DiGraph) -> int:
    """Edges on the longest chain of calls, in call order, where each hands over to the next along an API-graph edge.

    It says how deep into the graph's dependency structure a sample reaches (``open_folder → list_files →
    read_file`` is 2).

    >>> g = nx.DiGraph([("open_folder", "list_files"), ("list_files", "read_file"), ("read_file", "count_words"),
    ...                 ("open_folder", "read_file")])
    >>> graph_depth(example_sample(), g)
    3
    """
    calls = sorted(sample.calls, key=lambda c: (c.round, c.step))
    best = [0] * len(calls)
    for j, cj in enumerate(calls):
        for i in range(j):
            if calls[i].name != cj.name and graph.has_edge(calls[i].name, cj.name):
                best[j] = max(best[j], best[i] + 1)
    return max(best, default=0)


def flow_share(sample: SampleView) -> float:
    """Share of arguments taken from an earlier call's output (0.0 when there are no arguments).

    >>> flow_share(example_sample())
    0.4
    """
    args = sum(c.args for c in sample.calls)
    return sum(len(c.flow_from) for c in sample.calls) / args if args else 0.0


def query_length(sample: SampleView) -> float:
    """Mean words per round's query.

    >>> query_length(example_sample())
    8.0
    """
    return sum(len(t.query.split()) for t in sample.turns) / len(sample.turns) if sample.turns else 0.0


def attempts_needed(sample: SampleView) -> float | None:
    """Mean attempts the critique loop needed per round that passed (``None`` when no round was refined).

    >>> attempts_needed(example_sample())
    1.5
    """
    tries = [t.attempts for t in sample.turns if t.attempts is not None]
    return sum(tries) / len(tries) if tries else None


def error_turns(sample: SampleView) -> int:
    """Rounds in which at least one tool call answered with an error.

    >>> error_turns(example_sample())
    1
    """
    return sum(1 for t in sample.turns if t.error_responses)


def complexity_row(sample: SampleView, graph: nx.DiGraph | None = None) -> dict[str, Any]:
    """Every complexity metric of one sample as a flat row (``graph_depth`` is ``None`` without a graph).

    >>> row = complexity_row(example_sample())
    >>> row["calls"], row["flow_chain"], row["graph_depth"]
    (5, 2, None)
    """
    return {
        "sample_id": sample.sample_id,
        "source": sample.source,
        "env": sample.env,
        "turns": turns_per_sample(sample),
        "calls": calls_per_sample(sample),
        "calls_per_turn": calls_per_turn(sample),
        "tools": distinct_tools(sample),
        "classes": distinct_classes(sample),
        "flow_chain": longest_flow_chain(sample),
        "graph_depth": graph_depth(sample, graph) if graph is not None else None,
        "flow_share": flow_share(sample),
        "query_words": query_length(sample),
        "attempts": attempts_needed(sample),
        "error_turns": error_turns(sample),
    }


def complexity_rows(samples: Iterable[SampleView],
                    graphs: Mapping[tuple[str, ...], nx.DiGraph] | None = None) -> list[dict[str, Any]]:
    """Rows for many samples; ``graphs`` maps a sample's ``classes`` to its API graph (missing: depth ``None``).

    >>> [r["turns"] for r in complexity_rows([example_sample(), example_sample()])]
    [2, 2]
    """
    graphs = graphs or {}
    return [complexity_row(s, graphs.get(s.classes)) for s in samples]
