"""``fr graph``: warm the probe cache, export G as node-link JSON, check G against BFCL's multi-turn ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import typer
from rich.console import Console
from rich.table import Table

from fr_core.cli.fail import fail
from fr_core.errors import FrError

__all__ = ["graph_app"]

graph_app = typer.Typer(help="The API relation graph G.", no_args_is_help=True)
console = Console()


@graph_app.command("export")
def export(
    env: list[str] = typer.Option(..., "--env", help="BFCL class name; repeat for several classes."),
    out: Path = typer.Option(..., "--out", help="Where to write the node-link JSON."),
) -> None:
    """Write G for the given classes as networkx node-link JSON (node id = tool name)."""
    from fr_core.graph.build import bfcl_graph

    try:
        g = bfcl_graph(env).output
    except FrError as exc:
        fail(exc)
    data = nx.node_link_data(g, edges="edges")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    console.print(f"wrote {g.number_of_nodes()} tools and {g.number_of_edges()} edges to {out}")


@graph_app.command("build")
def build(
    env: list[str] = typer.Option(None, "--env", help="BFCL class name; repeat for several (default: all eight)."),
    jobs: int = typer.Option(0, "--jobs", help="Classes probed at once, each in its own process (0: one per core)."),
) -> None:
    """Probe BFCL classes into the graph cache, so the CLI, the app and notebooks start warm."""
    import time

    from fr_core.envs.bfcl import BFCL_CLASSES
    from fr_core.graph.build import warm_bfcl_graphs
    from fr_core.graph.cache import cache_dir

    started = time.perf_counter()
    try:
        probed = warm_bfcl_graphs(env or list(BFCL_CLASSES), jobs=jobs or None)
    except FrError as exc:
        fail(exc)
    console.print(f"probed {', '.join(probed) or 'nothing (all cached)'} in {time.perf_counter() - started:.1f} s; "
                  f"cache: {cache_dir()}")


@graph_app.command("check")
def check(
    category: str = typer.Option(
        "base", help="BFCL v3 multi-turn category: base, miss_func, miss_param, long_context."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    show_misses: int = typer.Option(0, help="Also list this many missed pairs and illegal calls."),
) -> None:
    """Legality of ground-truth calls, recall of consecutive call pairs, and edge density per class."""
    from fr_core.graph.check import check_graph

    try:
        res = check_graph(category).output
    except FrError as exc:
        fail(exc)
    if as_json:
        print(json.dumps(res.as_dict()))
        return
    table = Table(title=f"G against BFCL v3 multi-turn '{category}' ground truth")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_row("(a) legal ground-truth calls", f"{res.legality:.3f} of {res.calls}", "≥ 0.95")
    table.add_row("(b) pair recall (edge or 2-step path)", f"{res.pair_recall:.3f} of {res.pairs}", "≥ 0.80")
    for cls, d in res.density.items():
        table.add_row(f"(c) density {cls}", f"{d:.3f}", "≤ 0.20")
    console.print(table)
    if show_misses:
        for pair, n in sorted(res.missed_pairs.items(), key=lambda kv: -kv[1])[:show_misses]:
            console.print(f"missed pair {pair} ×{n}")
        for line in res.illegal_examples[:show_misses]:
            console.print(f"illegal: {line}")
