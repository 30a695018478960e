"""Phase I settings in one frozen, validated object: calls per round, rounds, error share, target strategy, seed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from fr_core.errors import ConfigError

__all__ = ["SamplerConfig", "STRATEGIES", "POLICIES", "AFTER_TARGET"]

STRATEGIES = ("uniform", "deep", "flow", "coverage")
POLICIES = ("directed", "random")
AFTER_TARGET = ("explore", "related", "stop")


@dataclass(frozen=True)
class SamplerConfig:
    """How to sample one episode; every field is checked on construction.

    ``calls`` is M (calls per round), ``rounds`` is N, ``error_share`` the share of calls made to fail on
    purpose, ``flow_bias`` the chance of taking an argument from an earlier output when one fits,
    ``policy`` the walk ("directed" = Eq. 2, "random" = uniform over legal tools, the baseline),
    ``after_target`` what a directed round does once its target was called: "explore" (Eq. 2, a random legal tool),
    "related" (only tools that take an output of the round's calls) or "stop" (the round ends at its target).
    """

    calls: int = 4
    rounds: int = 3
    error_share: float = 0.0
    strategy: str = "flow"
    policy: str = "directed"
    seed: int = 0
    flow_bias: float = 0.85
    retry: bool = True
    diff_state: bool = True
    after_target: str = "explore"

    def __post_init__(self) -> None:
        for name in ("calls", "rounds", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"sampler config: '{name}' must be an integer, got {value!r}")
        if not 1 <= self.calls <= 100:
            raise ConfigError(
                f"sampler config: 'calls' (M, calls per round) must be between 1 and 100, got {self.calls}"
            )
        if not 1 <= self.rounds <= 100:
            raise ConfigError(f"sampler config: 'rounds' (N) must be between 1 and 100, got {self.rounds}")
        if self.seed < 0:
            raise ConfigError(f"sampler config: 'seed' must be ≥ 0, got {self.seed}")
        for name in ("error_share", "flow_bias"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"sampler config: '{name}' must be a number between 0 and 1, got {value!r}")
        if self.strategy not in STRATEGIES:
            raise ConfigError(
                f"sampler config: unknown target strategy {self.strategy!r}; choose one of {', '.join(STRATEGIES)}"
            )
        if self.policy not in POLICIES:
            raise ConfigError(f"sampler config: unknown policy {self.policy!r}; choose one of {', '.join(POLICIES)}")
        if self.after_target not in AFTER_TARGET:
            raise ConfigError(f"sampler config: unknown after_target {self.after_target!r}; choose one of "
                              f"{', '.join(AFTER_TARGET)}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SamplerConfig":
        """Build from a config file's mapping; unknown keys are an error, not silently ignored."""
        if not isinstance(data, dict):
            raise ConfigError(f"sampler config must be a mapping, got {type(data).__name__}")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"sampler config: unknown key(s) {unknown}; known keys: {sorted(known)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
