"""``fr eval`` (a model on BFCL multi-turn or on a stored run, resumable) and ``fr evals`` (the stored evaluations)."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fr_core.cli.fail import fail
from fr_core.errors import FrError

__all__ = ["eval_command", "evals_command", "register"]

console = Console()



def eval_command(
    model: str = typer.Option(None, "--model", "-m", help="Model profile of data/models.toml (or provider:model); "
                              "oracle and noisy are scripted test backends."),
    data: str = typer.Option("bfcl:base", "--data", help="bfcl:base, bfcl:miss_func, bfcl:miss_param, "
                             "bfcl:long_context, or run:RUN_ID (the run's accepted samples)."),
    limit: int = typer.Option(None, "--limit", min=1, help="Only the first N cases."),
    db: Path = typer.Option(None, "--db", help="SQLite store (default runs/workbench.db under this folder)."),
    k: int = typer.Option(1, "--k", min=1, help="Attempts per case (temperature from the profile)."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Cases in flight."),
    resume: str = typer.Option(None, "--resume", help="Continue a stored evaluation: its settings, the missing cases."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Evaluate a model turn by turn in our environments, scored the BFCL way; Ctrl-C stops, --resume continues."""
    from fr_core.evaluate.run import EvalProgress, EvalSettings, evaluate, summarise
    from fr_core.evaluate.scripted import TEST_BACKEND_LABEL
    from fr_core.evaluate.store import EvalStore
    from fr_core.store import DEFAULT_DB

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    path = db or DEFAULT_DB
    try:
        if resume is None and model is None:
            raise FrError("fr eval needs --model PROFILE (or --resume EVAL_ID)")
        settings = None if resume else EvalSettings(model, data, k=k, limit=limit, concurrency=concurrency)

        columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[passed]}/{task.fields[attempts]} attempts passed  LLM {task.fields[llm]} "
                              "calls ${task.fields[cost]:.4f}"), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True, disable=as_json) as bar:
            task = None

            def show(p: EvalProgress) -> None:
                nonlocal task
                fields: dict[str, Any] = dict(passed=p.passed_attempts, attempts=p.attempts, llm=p.llm_calls,
                                              cost=p.cost_usd)
                if task is None:
                    task = bar.add_task(p.eval_id, total=p.total, completed=p.done, **fields)
                bar.update(task, completed=p.done, **fields)

            progress = evaluate(path, settings, resume=resume, on_progress=show)
        evals = EvalStore(path)
        row = evals.get(progress.eval_id)
        figures = {"eval_id": row.id, "model": row.model, "data": row.data, "k": row.k,
                   "test_backend": row.test_backend, **summarise(evals.cases(row.id, with_attempts=False), row.k),
                   "stored": progress.done, "total": progress.total, "resumed_from": progress.skipped,
                   "usage": row.usage, "store": str(path)}
    except FrError as exc:
        fail(exc)
    if progress.interrupted:
        console.print(f"[yellow]stopped[/yellow] with {progress.done}/{progress.total} cases stored; continue with "
                      f"[bold]fr eval --db {path} --resume {progress.eval_id}[/bold]")
        raise typer.Exit(130)
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    label = f" [yellow]({TEST_BACKEND_LABEL})[/yellow]" if row.test_backend else ""
    console.print(f"evaluation [bold]{row.id}[/bold] of {row.model}{label} on {row.data}: accuracy "
                  f"{figures['accuracy']:.4f}, pass@{row.k} {figures[f'pass@{row.k}']:.4f} over {figures['cases']} "
                  f"cases; LLM {row.usage.get('requests', 0)} calls, ${row.usage.get('cost_usd', 0.0):.4f}")
    for key in ("by_category", "by_env"):
        table = Table(title=key.replace("_", " "))
        for name in ("", "cases", "accuracy", f"pass@{row.k}"):
            table.add_column(name)
        for name, f in figures[key].items():
            table.add_row(name, str(f["cases"]), f"{f['accuracy']:.4f}", f"{f[f'pass@{row.k}']:.4f}")
        console.print(table)


def evals_command(db: Path = typer.Option(None, "--db", help="SQLite store (default runs/workbench.db).")) -> None:
    """List the store's evaluations with their accuracy."""
    from fr_core.evaluate.run import summarise
    from fr_core.evaluate.store import EvalStore
    from fr_core.store import DEFAULT_DB

    path = db or DEFAULT_DB
    if not Path(path).exists():
        fail(FrError(f"no store at {path}; run `fr eval` first or pass --db"))
    try:
        evals = EvalStore(path)
        table = Table(title=f"Evaluations in {path}")
        for name in ("evaluation", "model", "data", "status", "cases", "accuracy", "pass@k", "cost"):
            table.add_column(name, overflow="fold")
        for row in evals.evaluations():
            f = summarise(evals.cases(row.id, with_attempts=False), row.k)
            table.add_row(row.id, row.model + (" (test backend)" if row.test_backend else ""), row.data,
                          row.status, f"{f['cases']}/{row.n_cases}", f"{f['accuracy']:.4f}",
                          f"{f[f'pass@{row.k}']:.4f} (k={row.k})", f"${row.usage.get('cost_usd', 0.0):.4f}")
    except FrError as exc:
        fail(exc)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``eval`` and ``evals`` to the ``fr`` command line."""
    app.command("eval")(eval_command)
    app.command("evals")(evals_command)
