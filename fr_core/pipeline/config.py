"""Batch-run settings read from a TOML file (``data/configs/*.toml``): seed, agents, generation knobs, LLM cache."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fr_core.errors import ConfigError
from fr_core.graph.limits import PROBE_CALL_TIMEOUT_S, PROBE_TIMEOUT_S
from fr_core.store.store import MAX_SAMPLES

__all__ = ["RunConfig", "load_run_config", "CONFIGS_DIR"]

#: The shipped configs: ``offline.toml`` (the default), ``openai.toml``, ``anthropic.toml``, ``vllm.toml``.
CONFIGS_DIR = Path(__file__).resolve().parents[2] / "data" / "configs"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunSection(_Frozen):
    """``[run]``: the run's seed (every sample's seed derives from it and its index), defaults for the CLI."""

    seed: int = Field(0, ge=0)
    samples: int = Field(100, ge=1, le=MAX_SAMPLES)
    concurrency: int = Field(2, ge=1, le=1024)


class AgentsSection(_Frozen):
    """``[agents]``: ``profile`` is ``offline`` or a profile of ``data/models.toml``; API keys come from env vars."""

    profile: str = "offline"
    mistake_rate: float = Field(0.2, ge=0.0, le=1.0)


class GenerateSection(_Frozen):
    """``[generate]``: the environments to draw from (one per sample) and the knobs of ``generate_sample``."""

    envs: list[str] = Field(min_length=1)
    rounds: int = Field(3, ge=1, le=100)
    calls: int = Field(4, ge=1, le=100)
    k_max: int = Field(3, ge=1, le=20)
    noise: float = Field(0.5, ge=0.0, le=1.0)
    size: Literal["small", "medium", "large"] = "medium"
    strategy: Literal["uniform", "deep", "flow", "coverage"] = "flow"
    error_share: float = Field(0.0, ge=0.0, le=1.0)
    # What a round does once its target was called: explore (Eq. 2), related (tools taking its outputs) or stop.
    after_target: Literal["explore", "related", "stop"] = "explore"
    leak_retries: int = Field(2, ge=0, le=20)
    # Seconds one sample may take (0 or None: no limit); past it the sample is stored as failed (SampleTimeout).
    sample_timeout_s: float | None = Field(300.0, ge=0)
    # Limits of the execution probes that build the graph of a non-BFCL environment (see fr_core.graph.limits).
    probe_call_timeout_s: float = Field(PROBE_CALL_TIMEOUT_S, gt=0)
    probe_timeout_s: float = Field(PROBE_TIMEOUT_S, gt=0)
    # Shares of samples made into harder variants: miss_func, miss_param, long_context (see pipeline.variants).
    variants: dict[str, float] = Field(default_factory=dict)

    @field_validator("variants")
    @classmethod
    def _known_variants(cls, shares: dict[str, float]) -> dict[str, float]:
        from fr_core.pipeline.variants import choose_variant

        try:
            choose_variant(shares, 0, 0)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return shares

    @field_validator("envs")
    @classmethod
    def _no_blank(cls, envs: list[str]) -> list[str]:
        if any(not e.strip() for e in envs):
            raise ValueError("an environment spec is empty")
        return envs


class LLMSection(_Frozen):
    """``[llm]``: how LLM responses are cached in the run's database file (table ``llm_cache``)."""

    cache_mode: Literal["use", "refresh", "off", "replay_only"] = "use"
    profiles: str | None = None  # a models TOML other than data/models.toml


class RunConfig(_Frozen):
    """One batch run's whole configuration; stored with the run, so ``--resume`` replays the same stream."""

    run: RunSection = RunSection()
    agents: AgentsSection = AgentsSection()
    generate: GenerateSection
    llm: LLMSection = LLMSection()

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "config") -> RunConfig:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"{where}: {problems}") from None


def load_run_config(path: str | Path) -> RunConfig:
    """Read and validate a run config; a bare name such as ``offline`` means ``data/configs/offline.toml``."""
    file = Path(path)
    if not file.suffix and not file.exists():
        file = CONFIGS_DIR / f"{file.name}.toml"
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        shipped = ", ".join(sorted(p.stem for p in CONFIGS_DIR.glob("*.toml")))
        raise ConfigError(f"run config {file} does not exist; shipped configs: {shipped}") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"run config {file} cannot be read: {exc}") from None
    return RunConfig.from_dict(data, str(file))
