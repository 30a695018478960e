"""``fr sample``: sample one episode on an environment and print it readably (rich) or as JSON."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from fr_core.cli.fail import fail
from fr_core.errors import FrError
from fr_core.sampling.config import SamplerConfig
from fr_core.sampling.sampler import EpisodeTrace, sample_episode

__all__ = ["sample_command", "render_episode"]


def _args_text(step: Any) -> str:
    parts = []
    for src in step.sources:
        origin = src.kind if src.from_call is None else f"output of r{src.from_call[0]}.s{src.from_call[1]}"
        parts.append(f"{src.name}={src.value!r} [dim]({origin})[/dim]")
    return ", ".join(parts) or "[dim]no arguments[/dim]"


def render_episode(trace: EpisodeTrace, console: Console) -> None:
    """Print an episode: one table per round with the rule, the call, argument provenance and the result."""
    cfg = trace.config
    console.print(f"[bold]{trace.env}[/bold]  rounds={cfg.rounds} calls={cfg.calls} seed={cfg.seed} "
                  f"strategy={cfg.strategy} policy={cfg.policy} error_share={cfg.error_share}")
    for turn in trace.turns:
        status = (
            "[green]reached[/green]"
            if any(s.ok and s.tool == turn.target for s in turn.steps)
            else "[yellow]not reached[/yellow]"
        )
        table = Table(title=f"Round {turn.round}: target [bold]{turn.target}[/bold] ({turn.target_reason}) — {status}",
                      show_lines=True, title_justify="left")
        table.add_column("#", justify="right")
        table.add_column("rule / why", overflow="fold", max_width=38)
        table.add_column("call and argument provenance", overflow="fold")
        table.add_column("result", overflow="fold", max_width=48)
        for s in turn.steps:
            rule = f"[cyan]{s.rule}[/cyan]: {s.reason}"
            call = f"[bold]{s.tool}[/bold]({_args_text(s)})"
            if s.deliberate_error:
                call += f"\n[magenta]deliberate error:[/magenta] {s.deliberate_detail}"
            text = json.dumps(s.value, ensure_ascii=False, default=str) if s.ok else f"[red]{s.error}[/red]"
            if len(text) > 300:
                text = text[:297] + "..."
            if s.state_diff:
                text += "\n[dim]state: " + "; ".join(f"{d['op']} {d['path']}" for d in s.state_diff[:4]) + "[/dim]"
            table.add_row(str(s.step), rule, call, text)
        console.print(table)
        console.print(f"[dim]{turn.end_reason}[/dim]")


def sample_command(
    env: str = typer.Option(..., "--env", help="BFCL classes joined by '+', 'file.py:Class' or 'tools.json'."),
    rounds: int = typer.Option(3, help="N: rounds (user turns)."),
    calls: int = typer.Option(4, help="M: calls per round."),
    seed: int = typer.Option(0, help="Seed of the state and of every choice."),
    strategy: str = typer.Option(
        "flow", help="Target strategy: flow (tools that can take earlier outputs), uniform, deep or coverage."
    ),
    policy: str = typer.Option("directed", help="directed (Eq. 2) or random (baseline walk)."),
    error_share: float = typer.Option(0.0, help="Share of calls made to fail on purpose (0–1)."),
    after_target: str = typer.Option(
        "explore", help="Once a round's target was called: explore (Eq. 2), related (only tools taking outputs seen "
                        "so far) or stop (the round ends at its target)."),
    as_json: bool = typer.Option(False, "--json", help="Print the full trace as JSON."),
) -> None:
    """Sample one episode of N rounds × M calls with the directed sampler and show its trace."""
    from fr_core.envs.factory import make_env
    from fr_core.graph import spec_graph

    console = Console()
    try:
        config = SamplerConfig(calls=calls, rounds=rounds, seed=seed, strategy=strategy, policy=policy,
                               error_share=error_share, after_target=after_target)
        environment = make_env(env, seed=seed)
        graph = spec_graph(env).output
        trace = sample_episode(environment, graph, config).trace
    except FrError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(trace.to_json(), ensure_ascii=False, default=str, indent=1))
    else:
        render_episode(trace, console)
