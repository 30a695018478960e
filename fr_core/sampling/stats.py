"""Figures over sampled episodes: call success, target reach, data-flow share (what tests and the bench report)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from fr_core.sampling.sampler import EpisodeTrace

__all__ = ["EpisodeStats", "summarize"]


@dataclass(frozen=True)
class EpisodeStats:
    """Counts over many episodes; the rates are properties so nothing is stored twice."""

    episodes: int = 0
    turns: int = 0
    reachable_turns: int = 0
    reached_turns: int = 0
    calls: int = 0
    accidental_calls: int = 0  # non-deliberate calls
    accidental_ok: int = 0
    deliberate_errors: int = 0
    retries: int = 0
    args: int = 0
    args_by_kind: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)  # "tool: error" → count, non-deliberate only

    @property
    def success_rate(self) -> float:
        """Share of non-deliberate calls that executed without error."""
        return self.accidental_ok / self.accidental_calls if self.accidental_calls else 0.0

    @property
    def reach_rate(self) -> float:
        """Share of turns whose target was reachable within the turn and was called successfully."""
        return self.reached_turns / self.reachable_turns if self.reachable_turns else 0.0

    @property
    def flow_share(self) -> float:
        """Share of arguments taken from an earlier call's output (cross-tool data flow)."""
        return self.args_by_kind.get("output", 0) / self.args if self.args else 0.0

    def top_failures(self, n: int = 8) -> list[tuple[str, int]]:
        return Counter(self.failures).most_common(n)


def summarize(traces: Iterable[EpisodeTrace]) -> EpisodeStats:
    """Add up the traces of many episodes."""
    counts: Counter = Counter()
    kinds: Counter = Counter()
    failures: Counter = Counter()
    for ep in traces:
        counts["episodes"] += 1
        for turn in ep.turns:
            counts["turns"] += 1
            if turn.reachable:
                counts["reachable_turns"] += 1
                counts["reached_turns"] += any(s.ok and s.tool == turn.target and not s.deliberate_error
                                               for s in turn.steps)
            for s in turn.steps:
                counts["calls"] += 1
                counts["retries"] += s.retry_of is not None
                if s.deliberate_error:
                    counts["deliberate_errors"] += 1
                    continue
                counts["accidental_calls"] += 1
                counts["accidental_ok"] += s.ok
                if not s.ok:
                    failures[f"{s.tool}: {str(s.error)[:80]}"] += 1
                for src in s.sources:
                    counts["args"] += 1
                    kinds[src.kind] += 1
    return EpisodeStats(**counts, args_by_kind=dict(kinds), failures=dict(failures))
