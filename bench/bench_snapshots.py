"""Snapshot benchmark: per environment, microseconds for ``copy``, ``snapshot`` and ``restore`` next to what they
cost as a ``copy.deepcopy`` of the same state, measured in one run (the yardstick moves with the machine).

Run: ``.venv/bin/python bench/bench_snapshots.py [--repeats 400]``.

Each restore switches between two snapshots of different states, so every restore has to change the state; the
deepcopy yardstick switches between the same two states the way ``restore`` did before (a deep copy of each).
The last line restores a two-class environment after a call to one class (what a probe or a validation does).
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fr_core.envs import BFCL_CLASSES, make_env
from fr_core.envs.base import Environment, ObjectEnvironment
from fr_core.types import ToolCall

DATA = Path(__file__).resolve().parents[1] / "data" / "tools"


def per_item(fn: Callable[[Any], object], items: Sequence[Any]) -> float:
    """Microseconds per call of ``fn`` over ``items``: the best of five passes."""
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, (time.perf_counter() - t0) / len(items))
    return best * 1e6


def started(spec: str, seed: int) -> Environment:
    """An environment of ``spec`` after every tool that needs no arguments was called once (a JSON environment's
    state is its call log: it must not be empty)."""
    env = make_env(spec, seed=seed)
    for tool in env.tools():
        if not tool.required:
            env.execute(ToolCall(tool.name, {}))
    return env


def deep_state(env: Environment) -> Any:
    """What a snapshot of ``env`` deep-copied before."""
    return env._instances if isinstance(env, ObjectEnvironment) else (env._log, env._ids)


def measure(spec: str, repeats: int) -> tuple[float, float, float, float]:
    """(deepcopy, copy, snapshot, restore) in microseconds for one environment spec."""
    env, other = started(spec, 0), started(spec, 1)
    deep = per_item(copy.deepcopy, [deep_state(env), deep_state(other)] * (repeats // 2))
    cp = per_item(lambda e: e.copy(), [env] * repeats)
    flips = [env.snapshot(), other.snapshot()] * (repeats // 2)
    snap = per_item(lambda e: e.snapshot(), [env] * repeats)
    return deep, cp, snap, per_item(env.restore, flips)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=400)
    opts = ap.parse_args()
    specs = [*BFCL_CLASSES, f"{DATA / 'notes_app.py'}:NotesApp", str(DATA / "weather_tools.json")]
    print(f"{'environment':22s} {'deepcopy':>9s} {'copy':>9s} {'snapshot':>9s} {'restore':>9s} "
          f"{'copy ×':>7s} {'restore ×':>9s}   (µs; × = deepcopy / it)")
    worst = float("inf")
    for spec in specs:
        deep, cp, snap, rest = measure(spec, opts.repeats)
        worst = min(worst, deep / rest)
        print(f"{Path(spec).stem.split(':')[-1][:22]:22s} {deep:9.1f} {cp:9.1f} {snap:9.1f} {rest:9.1f} "
              f"{deep / cp:7.1f} {deep / rest:9.1f}")
    print(f"slowest restore against deepcopy: {worst:.1f}× (goal ≥ 5×)")

    env = make_env("GorillaFileSystem+TwitterAPI", seed=0)
    base, call = env.snapshot(), ToolCall("posting_get_login_status", {})

    def call_then_restore(_: object) -> None:
        env.execute(call)
        env.restore(base)

    both = per_item(call_then_restore, range(opts.repeats)) - per_item(env.execute, [call] * opts.repeats)
    deep = per_item(copy.deepcopy, [env._instances] * opts.repeats)
    print(f"GorillaFileSystem+TwitterAPI, restore after a TwitterAPI call: {both:.1f} µs (deepcopy {deep:.1f} µs)")


if __name__ == "__main__":
    main()
