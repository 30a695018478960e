"""Render G as an offline pyvis network: nodes coloured by class, edges styled by kind, highlights for a target,
its distances, search matches and a sampled trace's path."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import networkx as nx
import streamlit as st
from pyvis.network import Network

from fr_core.envs import BFCL_CLASSES

__all__ = ["CLASS_COLOURS", "EDGE_STYLES", "strip_cdn", "graph_html", "show_graph", "edge_rows", "legend_html"]

CLASS_COLOURS = dict(zip(BFCL_CLASSES, (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
)))
# kind -> (colour, dashes)
EDGE_STYLES = {"state": ("#e07b39", False), "param_flow": ("#9aa5b1", True), "observe": ("#8c6bb1", True),
               "topic": ("#c7b98f", True), "manual": ("#2e9d4a", False)}
PATH_COLOUR = "#d62728"

# Any <link>/<script> pointing at the network: the app must render with no internet.
_REMOTE_TAG = re.compile(
    r"<link\b[^>]*\bhref\s*=\s*[\"']?https?://[^>]*>"
    r"|<script\b[^>]*\bsrc\s*=\s*[\"']?https?://[^>]*>\s*</script>",
    re.IGNORECASE | re.DOTALL,
)


def strip_cdn(html: str) -> str:
    """Drop every ``<link href=http…>`` and ``<script src=http…></script>`` tag (pyvis adds bootstrap's CDN)."""
    return _REMOTE_TAG.sub("", html)


def _path_edges(path: Sequence[str]) -> set[tuple[str, str]]:
    return {(a, b) for a, b in zip(path, path[1:]) if a != b}


def graph_html(
    g: nx.DiGraph,
    *,
    target: str | None = None,
    distances: Mapping[str, int] | None = None,
    matches: Iterable[str] = (),
    path: Sequence[str] = (),
    kinds: Iterable[str] | None = None,
    height: int = 620,
    physics: bool = True,
) -> str:
    """Self-contained HTML (vis-network inlined, no remote URLs) for ``g`` with the given highlights."""
    kinds = set(kinds) if kinds is not None else None
    matches, on_path = set(matches), set(path)
    path_edges = _path_edges(path)
    net = Network(height=f"{height}px", width="100%", directed=True, cdn_resources="in_line", notebook=False)
    for node, data in g.nodes(data=True):
        owner = data.get("owner", "")
        label = node if distances is None or node not in distances else f"{node} [{distances[node]}]"
        params = ", ".join(data.get("parameters", []))
        title = f"{node}({params})\nclass: {owner}\n{data.get('description', '')[:300]}"
        if distances is not None:
            title += f"\ndistance to {target}: {distances.get(node, 'unreachable')}"
        if data.get("broken"):
            title += f"\nbroken: {data['broken']}"
        for blocked in data.get("blocked_when", ()):
            title += f"\n{blocked['reason']}"
        colour = CLASS_COLOURS.get(owner, "#bab0ac")
        size = 26 if node == target else 20 if node in matches else 14
        border = PATH_COLOUR if node in on_path else "#222222" if node in matches or node == target else colour
        faded = distances is not None and node not in distances and node not in matches and node not in on_path
        net.add_node(
            node, label=label, title=title, size=size, shape="star" if node == target else "dot",
            color={"background": "#dddddd" if faded else colour, "border": border,
                   "highlight": {"background": colour, "border": "#000000"}},
            borderWidth=4 if node in on_path or node in matches else 1,
        )
    for u, v, data in g.edges(data=True):
        kind = data.get("kind", "")
        if kinds is not None and kind not in kinds and (u, v) not in path_edges:
            continue
        colour, dashes = EDGE_STYLES.get(kind, ("#888888", False))
        hard = bool(data.get("hard"))
        title = f"{u} → {v}\n{kind}{' · hard prerequisite' if hard else ''}\n{data.get('reason', '')}"
        if (u, v) in path_edges:
            colour, width = PATH_COLOUR, 4
        else:
            width = 2.5 if hard else 1
        net.add_edge(u, v, title=title, color=colour, dashes=dashes, width=width)
    for u, v in path_edges - set(g.edges):  # a trace step the graph has no edge for: show it, dotted
        if u in g and v in g:
            net.add_edge(u, v, title=f"{u} → {v}\ntrace step with no edge in G", color=PATH_COLOUR,
                         dashes=[2, 6], width=2)
    net.toggle_physics(physics)
    return strip_cdn(net.generate_html(notebook=False))


def show_graph(html: str, height: int = 620) -> None:
    """Embed the HTML from :func:`graph_html` in the page (``st.iframe``, successor of ``components.v1.html``)."""
    st.iframe(html, height=height + 40)


def edge_rows(g: nx.DiGraph, kinds: Iterable[str] | None = None, matches: Iterable[str] = ()) -> list[dict]:
    """Edges as table rows (optionally only given kinds and only edges touching ``matches``)."""
    kinds = set(kinds) if kinds is not None else None
    matches = set(matches)
    rows = []
    for u, v, d in g.edges(data=True):
        if kinds is not None and d.get("kind") not in kinds:
            continue
        if matches and u not in matches and v not in matches:
            continue
        rows.append({"source": u, "target": v, "kind": d.get("kind"), "hard": bool(d.get("hard")),
                     "reason": d.get("reason", "")})
    return rows


def legend_html(classes: Iterable[str]) -> str:
    """A one-line HTML legend: class colours, edge kinds, and what the highlights mean."""
    dots = " ".join(f'<span style="color:{CLASS_COLOURS.get(c, "#bab0ac")}">●</span> {c}' for c in classes)
    lines = " ".join(f'<span style="color:{col}">{"┄" if dashed else "━"}</span> {k}'
                     for k, (col, dashed) in EDGE_STYLES.items())
    return (f"<small>{dots} &nbsp;|&nbsp; {lines} &nbsp;|&nbsp; thick = hard prerequisite · "
            f'<span style="color:{PATH_COLOUR}">━</span> sampled trace · ★ target, [n] = hops to it · '
            "hover a node or edge for its description or reason</small>")
