"""The ``fr`` command line: environments, graph, sampling and batch generation."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from fr_core.graph.commands import graph_app
from fr_core.pipeline.commands import register as register_batch
from fr_core.sampling.commands import sample_command


app = typer.Typer(help="FunReason-MT Workbench: generate hard, verified multi-turn function-calling data.",
                  no_args_is_help=True)
console = Console()


@app.command()
def envs(tools: bool = typer.Option(True, help="List each environment's tools.")) -> None:
    """List the available environments and their tools."""
    from fr_core.envs import BFCL_CLASSES, bfcl_tool_specs

    table = Table(title="Environments (BFCL v3 multi-turn classes)")
    table.add_column("class")
    table.add_column("domain")
    table.add_column("tools", overflow="fold")
    for cls in BFCL_CLASSES.values():
        specs = bfcl_tool_specs(cls.name)
        table.add_row(cls.name, cls.domain, ", ".join(s.name for s in specs) if tools else str(len(specs)))
    console.print(table)


app.add_typer(graph_app, name="graph")
app.command("sample")(sample_command)
register_batch(app)  # generate, runs, export


def main() -> None:
    app()


if __name__ == "__main__":
    main()
