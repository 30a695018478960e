"""Render G as an offline pyvis network: nodes coloured by class, edges styled by kind, highlights for a target,
its distances, search matches and a sampled trace's path.

The page is pyvis's own template and vis-network files, filled here with the node and edge records pyvis's
``Network`` would make: importing ``pyvis.network`` imports IPython and jsonpickle (~0.4 s of a first render) for
nothing this page uses.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx
import streamlit as st

from fr_core.envs import BFCL_CLASSES
from fr_core.jinja_cache import TemplateCache

__all__ = ["CLASS_COLOURS", "EDGE_STYLES", "strip_cdn", "graph_html", "network_html", "show_graph", "vis_records",
           "edge_rows", "legend_html", "markdown_table"]

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
    nodes, edges = vis_records(g, target=target, distances=distances, matches=matches, path=path, kinds=kinds)
    return strip_cdn(network_html(nodes, edges, height=height, physics=physics))


def vis_records(
    g: nx.DiGraph,
    *,
    target: str | None = None,
    distances: Mapping[str, int] | None = None,
    matches: Iterable[str] = (),
    path: Sequence[str] = (),
    kinds: Iterable[str] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The vis-network node and edge records of ``g`` with the highlights, as pyvis's ``Network.add_node`` and
    ``add_edge`` (directed) record them."""
    kinds = set(kinds) if kinds is not None else None
    matches, on_path = set(matches), set(path)
    path_edges = _path_edges(path)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
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
        nodes.append({
            "color": {"background": "#dddddd" if faded else colour, "border": border,
                      "highlight": {"background": colour, "border": "#000000"}},
            "title": title, "size": size, "borderWidth": 4 if node in on_path or node in matches else 1,
            "id": node, "label": label, "shape": "star" if node == target else "dot",
        })
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
        edges.append({"title": title, "color": colour, "dashes": dashes, "width": width, "from": u, "to": v,
                      "arrows": "to"})
    for u, v in path_edges - set(g.edges):  # a trace step the graph has no edge for: show it, dotted
        if u in g and v in g:
            edges.append({"title": f"{u} → {v}\ntrace step with no edge in G", "color": PATH_COLOUR,
                          "dashes": [2, 6], "width": 2, "from": u, "to": v, "arrows": "to"})
    return nodes, edges


def _options(physics: bool) -> str:
    """pyvis's default ``Options`` as its ``to_json`` writes them, physics on or off."""
    return json.dumps({
        "configure": {"enabled": False},
        "edges": {"color": {"inherit": True}, "smooth": {"enabled": True, "type": "dynamic"}},
        "interaction": {"dragNodes": True, "hideEdgesOnDrag": False, "hideNodesOnDrag": False},
        "physics": {"enabled": physics, "stabilization": {"enabled": True, "fit": True, "iterations": 1000,
                                                          "onlyDynamicEdges": False, "updateInterval": 50}},
    }, sort_keys=True, indent=4)


@lru_cache(maxsize=1)
def _template() -> Any:
    """pyvis's page template, its vis-network files inlined (found without importing the package)."""
    from jinja2 import Environment, FileSystemLoader

    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pyvis is not installed; run make setup")
    folder = Path(next(iter(spec.submodule_search_locations))) / "templates"
    return Environment(loader=FileSystemLoader(str(folder) + "/"), bytecode_cache=TemplateCache()) \
        .get_template("template.html")


def network_html(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], *, height: int = 620,
                 physics: bool = True) -> str:
    """The page pyvis's ``Network(height, width="100%", directed=True, cdn_resources="in_line")`` generates for
    these records (``generate_html``), CDN tags included (see :func:`strip_cdn`)."""
    return _template().render(
        height=f"{height}px", width="100%", nodes=nodes, edges=edges, heading="", options=_options(physics),
        physics_enabled=physics, use_DOT=False, dot_lang="", widget=False, bgcolor="#ffffff", conf=False,
        tooltip_link=any("href" in (n.get("title") or "") for n in nodes), neighborhood_highlight=False,
        select_menu=False, filter_menu=False, notebook=False, cdn_resources="in_line")


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


def markdown_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """``rows`` (dicts with the same keys) as a Markdown table, ``|`` in a value escaped."""
    if not rows:
        return ""
    keys = list(rows[0])

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(keys) + " |", "|" + " --- |" * len(keys)]
    lines += ["| " + " | ".join(cell(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def legend_html(classes: Iterable[str]) -> str:
    """A one-line HTML legend: class colours, edge kinds, and what the highlights mean."""
    dots = " ".join(f'<span style="color:{CLASS_COLOURS.get(c, "#bab0ac")}">●</span> {c}' for c in classes)
    lines = " ".join(f'<span style="color:{col}">{"┄" if dashed else "━"}</span> {k}'
                     for k, (col, dashed) in EDGE_STYLES.items())
    return (f"<small>{dots} &nbsp;|&nbsp; {lines} &nbsp;|&nbsp; thick = hard prerequisite · "
            f'<span style="color:{PATH_COLOUR}">━</span> sampled trace · ★ target, [n] = hops to it · '
            "hover a node or edge for its description or reason</small>")
