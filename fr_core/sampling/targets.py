"""Target tool strategies for each round: uniform over reachable tools, deep (farther targets first), flow
(tools that can take earlier outputs) or coverage-driven (least-sampled first)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fr_core.errors import ConfigError
from fr_core.types import Turn

__all__ = ["Coverage", "pick_target"]


@dataclass
class Coverage:
    """Counts across turns (and episodes, when shared): executed calls per tool (a tool is *sampled* once it
    ran, whatever it answered), successful consecutive tool pairs, and turns whose target was missed. The one
    mutable accumulator of the sampler; pass the same object to several :func:`~fr_core.sampling.sample_episode`
    calls to cover a whole graph."""

    tools: Counter = field(default_factory=Counter)
    pairs: Counter = field(default_factory=Counter)
    misses: Counter = field(default_factory=Counter)
    turns: int = 0

    def record(self, turn: Turn) -> None:
        executed = [s.call.name for s in turn.steps if not s.deliberate_error]
        ok = [s.call.name for s in turn.steps if s.result.ok and not s.deliberate_error]
        self.tools.update(executed)
        self.pairs.update(zip(ok, ok[1:]))
        if not turn.reached_target:
            self.misses[turn.target] += 1
        self.turns += 1

    def uncovered(self, tools: Sequence[str]) -> list[str]:
        return sorted(t for t in tools if not self.tools[t])


def pick_target(
    strategy: str,
    reachable: Mapping[str, int],
    rng: random.Random,
    *,
    coverage: Coverage | None = None,
    last_tool: str | None = None,
    fed: Mapping[str, int] | None = None,
) -> tuple[str, str]:
    """A target among ``reachable`` (tool → hops from a legal tool) and why it was picked.

    ``uniform``: any reachable tool. ``deep``: a tool not yet legal (≥ 1 hop away), drawn with weight equal to
    its distance, so the turn has to walk a prerequisite chain first (uniform when every tool is legal).
    ``flow``: a tool with parameters the graph's data-flow edges link to tools that already returned output in
    this episode (``fed``: tool → how many such parameters), weighted by that count (uniform when none).
    ``coverage``: the tools sampled least so far (then missed least), then the
    one whose pair with ``last_tool`` was seen least, ties broken by ``rng`` over sorted names.
    """
    pool = sorted(reachable)
    if not pool:
        raise ConfigError("no target can be picked: no tool is reachable from the current state")
    if strategy == "uniform":
        return rng.choice(pool), f"uniform over {len(pool)} reachable tools"
    if strategy == "deep":
        far = [t for t in pool if reachable[t] >= 1]
        if not far:
            return rng.choice(pool), f"deep: every one of {len(pool)} reachable tools is legal already, uniform"
        target = rng.choices(far, weights=[reachable[t] for t in far])[0]
        return target, (f"deep: {reachable[target]} hop(s) away, weighted by distance over {len(far)} "
                        f"non-legal of {len(pool)} reachable tools")
    if strategy == "flow":
        weights = {t: (fed or {}).get(t, 0) for t in pool}
        fedable = [t for t in pool if weights[t]]
        if not fedable:
            return rng.choice(pool), f"flow: no reachable tool takes an earlier output yet, uniform over {len(pool)}"
        target = rng.choices(fedable, weights=[weights[t] for t in fedable])[0]
        return target, (f"flow: {weights[target]} of its parameter(s) can take earlier outputs "
                        f"({len(fedable)} such of {len(pool)} reachable tools)")
    if strategy != "coverage":
        raise ConfigError(f"unknown target strategy {strategy!r}; choose uniform, deep, flow or coverage")
    cov = coverage or Coverage()

    def key(t: str) -> tuple[int, int, int]:
        return cov.tools[t], cov.misses[t], cov.pairs[(last_tool, t)] if last_tool else 0

    best = min(key(t) for t in pool)
    tied = [t for t in pool if key(t) == best]
    target = rng.choice(tied)
    calls, misses, pair = best
    reason = f"coverage: sampled {calls}× so far, missed {misses}×"
    if last_tool:
        reason += f", pair ({last_tool} → {target}) seen {pair}×"
    return target, reason + f"; {len(tied)} tied of {len(pool)} reachable"
