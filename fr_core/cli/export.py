"""``fr export``: write a stored run in one training-data format, streaming."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from fr_core.cli.fail import fail
from fr_core.errors import FrError

__all__ = ["export_command"]

console = Console()


def export_command(
    run: str = typer.Option(..., "--run", help="Run id (see `fr runs`)."),
    fmt: str = typer.Option(..., "--format", "-f", help="openai, sharegpt, hermes, funreason, bfcl or parquet."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file (.jsonl, or .parquet)."),
    db: Path = typer.Option(None, "--db", help="SQLite store (default runs/workbench.db under this folder)."),
    status: str = typer.Option("accepted", help="Samples to export by generation status: accepted, rejected, failed "
                                                "or all."),
    review: str = typer.Option("not-rejected", "--review",
                               help="Reviewers' decisions: not-rejected (drop reviewer-rejected samples, add "
                                    "reviewer-accepted ones as rescued), accepted (reviewer-accepted only) or any."),
    original: bool = typer.Option(False, "--original", help="Write the generated text, not reviewers' revisions."),
    keep_contaminated: bool = typer.Option(False, help="Keep samples too close to BFCL's multi-turn test set."),
    keep_duplicates: bool = typer.Option(False, help="Keep near-duplicates of earlier samples of the run."),
    show: bool = typer.Option(False, "--preview", help="Also print the first record through a ChatML template."),
    cot: str = typer.Option("inline", "--cot", help="Reasoning in chat formats: inline (<think> in the text), "
                                                   "field (a reasoning_content key) or none."),
    max_pass_rate: float = typer.Option(None, "--max-pass-rate", min=0.0, max=1.0,
                                        help="With --eval: keep the samples the model passed at most this share of "
                                        "its attempts (hard ones; samples it did not attempt are left out)."),
    evaluation: str = typer.Option(None, "--eval", help="Evaluation of this run by a model (see `fr evals`)."),
) -> None:
    """Export a run's samples (accepted ones by default, reviewers' revisions and decisions applied) to a file, one
    sample at a time."""
    from fr_core.export import export_run
    from fr_core.store import DEFAULT_DB, Store

    path = db or DEFAULT_DB
    try:
        if not Path(path).exists():
            raise FrError(f"no store at {path}; run `fr generate` first or pass --db")
        only = None
        if (max_pass_rate is None) != (evaluation is None):
            raise FrError("--max-pass-rate and --eval go together: the pass rates are those of that evaluation")
        if evaluation is not None:
            from fr_core.evaluate.store import hard_samples

            only = hard_samples(path, evaluation, run, max_pass_rate)
        report = export_run(Store(path), run, fmt, out, status=None if status == "all" else status,
                            guard=not keep_contaminated, dedup=not keep_duplicates, cot=cot, review=review,
                            original=original, only=only)
    except FrError as exc:
        fail(exc)
    files = ", ".join(str(p) for p in report.paths)
    if show and fmt in ("openai", "sharegpt", "hermes", "funreason") and report.written:
        import json

        from fr_core.export import preview

        with Path(out).open(encoding="utf-8") as fh:
            console.print(preview(json.loads(fh.readline())), markup=False, highlight=False)
    if only is not None:
        console.print(f"{len(only)} samples passed at most {max_pass_rate:g} of their attempts in {evaluation}")
    filtered = f"{report.contaminated} contaminated (BFCL test overlap), {report.duplicates} near-duplicates"
    if fmt == "parquet":
        console.print(f"{report.written} samples written to {files}; flagged in columns: {filtered}")
    else:
        console.print(f"{report.written} of {report.read} samples written to {files}; dropped: {filtered}, "
                      f"{report.skipped - report.contaminated - report.duplicates} without an accepted round")
