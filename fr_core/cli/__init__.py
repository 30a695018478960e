"""The ``fr`` command line: environments, graph, sampling and batch generation. All typer code lives in this
package: one module per command group, over library functions of the stages."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from fr_core.cli.evaluate import register as register_eval
from fr_core.cli.generate import register as register_batch
from fr_core.cli.graph import graph_app
from fr_core.cli.sample import sample_command


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


#: The server options the workbench always runs with, whatever folder it is started from (Streamlit reads the
#: repo's ``.streamlit/config.toml`` only when started in the repo root): this machine only, no usage statistics.
APP_OPTIONS = ("--server.address", "127.0.0.1", "--browser.serverAddress", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.headless", "true")


@app.command("app")
def app_command(port: int = typer.Option(8501, min=1, max=65535, help="Port on 127.0.0.1.")) -> None:
    """Start the workbench on http://127.0.0.1:PORT (this machine only, usage statistics off), from any folder."""
    script = Path(__file__).resolve().parents[2] / "workbench" / "app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(script), *APP_OPTIONS, "--server.port", str(port)]
    console.print(f"workbench on http://127.0.0.1:{port} (store: runs/workbench.db under {Path.cwd()}, or $FR_STORE)")
    os.execv(sys.executable, command)  # Streamlit takes over this process: Ctrl-C and signals reach it directly


app.add_typer(graph_app, name="graph")
app.command("sample")(sample_command)
register_batch(app)  # generate, runs, export
register_eval(app)  # eval, evals


def main() -> None:
    app()


if __name__ == "__main__":
    main()
