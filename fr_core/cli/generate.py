"""``fr generate`` (a batch run with a progress bar, resumable) and ``fr runs`` (runs with per-stage pass rates)."""

from __future__ import annotations

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
from fr_core.store.store import MAX_SAMPLES

__all__ = ["generate_command", "runs_command", "register"]

console = Console()



def generate_command(
    config: Path = typer.Option(
        Path("offline"),
        "--config",
        "-c",
        help="Run config (TOML); a bare name such as offline means data/configs/NAME.toml.",
    ),
    samples: int = typer.Option(
        None, "--samples", "-n", min=1, max=MAX_SAMPLES, help="Samples in the run (default: the config's)."
    ),
    db: Path = typer.Option(None, "--db", help="SQLite store (default runs/workbench.db under this folder)."),
    concurrency: int = typer.Option(None, "--concurrency", min=1, help="Samples in flight (default: the config's)."),
    resume: str = typer.Option(
        None, "--resume", help="Continue a stored run: its config and seed, the missing samples."
    ),
    retry_failed: bool = typer.Option(
        False,
        "--retry-failed",
        help="With --resume: make the run's failed samples again (those a reviewer edited are kept).",
    ),
    executor: str = typer.Option(
        "local",
        "--executor",
        help="local (threads in this process) or ray (Ray tasks; "
        "this process still writes the store). See docs/scale.md.",
    ),
    ray_address: str = typer.Option(
        None, "--ray-address", help="Ray cluster to join (auto, or HOST:PORT); default: a Ray runtime on this machine."
    ),
    sample_timeout: float = typer.Option(
        None,
        "--sample-timeout",
        min=0,
        help="Seconds one sample may take before it is stored as failed and the "
        "run goes on (default: the config's generate.sample_timeout_s; 0: no limit).",
    ),
) -> None:
    """Generate a batch of samples into the store; Ctrl-C stops cleanly and --resume RUN_ID continues."""
    from fr_core.pipeline.config import load_run_config
    from fr_core.pipeline.runner import BatchProgress, run_batch
    from fr_core.store import DEFAULT_DB, Store

    # A scheduler's SIGTERM stops the run the way Ctrl-C does: samples in flight are stored, the run can resume.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if retry_failed and not resume:
            raise FrError("--retry-failed goes with --resume RUN_ID: it makes that run's failed samples again")
        store = Store(db or DEFAULT_DB)
        run_config = None if resume else load_run_config(config)
        columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("[green]{task.fields[accepted]} accepted[/green] [yellow]{task.fields[rejected]} "
                              "rejected[/yellow] [red]{task.fields[failed]} failed[/red] "
                              "({task.fields[transport]} transport)"),
                   TextColumn("{task.fields[rate]:.1f}/s  LLM {task.fields[llm]} calls ${task.fields[cost]:.4f}"),
                   TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as bar:
            task = None

            def show(p: BatchProgress) -> None:
                nonlocal task
                fields: dict[str, Any] = dict(accepted=p.accepted, rejected=p.rejected, failed=p.failed, rate=p.rate,
                                              llm=p.llm_calls, cost=p.cost_usd, transport=p.transport_failed)
                if task is None:
                    task = bar.add_task(p.run_id, total=p.total, completed=p.done, **fields)
                bar.update(task, completed=p.done, **fields)

            result = run_batch(store, run_config, samples, resume=resume, concurrency=concurrency, on_progress=show,
                               executor=executor, ray_address=ray_address, sample_timeout=sample_timeout,
                               retry_failed=retry_failed)
    except FrError as exc:
        fail(exc)
    if result.interrupted:
        console.print(f"[yellow]stopped[/yellow] with {result.done}/{result.total} samples stored; continue with "
                      f"[bold]fr generate --db {store.path} --resume {result.run_id}[/bold]")
        raise typer.Exit(130)
    console.print(f"run [bold]{result.run_id}[/bold] done: {result.accepted} accepted, {result.rejected} rejected, "
                  f"{result.failed} failed ({result.transport_failed} on transport), in {store.path}")


def _pct(count: int, total: int) -> str:
    return f"{100 * count / total:.0f}% ({count}/{total})" if total else "–"


def runs_command(db: Path = typer.Option(None, "--db",
                                         help="SQLite store (default runs/workbench.db under this folder).")) -> None:
    """List the store's runs with per-stage pass rates and cost per accepted sample."""
    from fr_core.store import DEFAULT_DB, Store

    path = db or DEFAULT_DB
    if not Path(path).exists():
        fail(FrError(f"no store at {path}; run `fr generate` first or pass --db"))
    try:
        stats = Store(path).list_runs()
    except FrError as exc:
        fail(exc)
    table = Table(title=f"Runs in {path}")
    for name in (
        "run",
        "status",
        "samples",
        "accepted",
        "failed (transport)",
        "target reached",
        "failed calls",
        "query leaks (rewrites)",
        "refine passed at k=1,2,…",
        "not passed",
        "variants",
        "cost / accepted",
        "agents",
        "code",
    ):
        table.add_column(name, overflow="fold")
    for s in stats:
        by_k = ", ".join(f"{k}: {_pct(n, s.refine_turns)}" for k, n in sorted(s.passed_at.items())) or "–"
        cost = "–" if s.cost_per_accepted is None else f"${s.cost_per_accepted:.4f}"
        variants = ", ".join(f"{k}: {n}" for k, n in sorted(s.variants.items())) or "–"
        table.add_row(s.run.id, s.run.status, f"{s.stored}/{s.run.n_samples}", _pct(s.accepted, s.stored),
                      f"{s.failed} ({s.transport_failed})",
                      _pct(s.target_reached, s.rounds), str(s.failed_calls),
                      f"{_pct(s.query_leaks, s.queries)} ({s.leak_rewrites})", by_k,
                      _pct(s.refine_turns - sum(s.passed_at.values()), s.refine_turns), variants, cost,
                      str(s.run.config.get("agents", {}).get("profile", "?")), s.run.code_version)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``generate``, ``runs`` and ``export`` to the ``fr`` command line."""
    from fr_core.cli.export import export_command

    app.command("generate")(generate_command)
    app.command("runs")(runs_command)
    app.command("export")(export_command)
