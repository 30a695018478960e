"""Named model profiles read from TOML (provider, model, endpoint, limits, prices); API keys come only from env vars."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fr_core.errors import ConfigError
from fr_core.llm.wire import lean_url
from fr_core.redact import register_secret

__all__ = [
    "PROVIDERS",
    "DEFAULT_KEY_ENV",
    "DEFAULT_PROFILES_PATH",
    "ModelProfile",
    "load_profiles",
    "get_profile",
    "resolve_api_key",
    "uses_lean_transport",
]

Provider = Literal["openai", "anthropic", "scripted", "offline"]
PROVIDERS: tuple[str, ...] = ("openai", "anthropic", "scripted", "offline")
DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
#: ``data/models.toml`` of the source tree; override with the ``FR_MODELS`` environment variable or a path argument.
DEFAULT_PROFILES_PATH = Path(__file__).resolve().parents[2] / "data" / "models.toml"


@dataclass(frozen=True)
class ModelProfile:
    """How to reach one model and what it may cost; holds the *name* of the key's env var, never the key."""

    name: str
    provider: str
    model: str
    base_url: str | None = None
    api_key_env: str | None = None
    concurrency: int = 8
    rpm: int | None = None
    tpm: int | None = None
    input_price_per_mtok: float = 0.0
    output_price_per_mtok: float = 0.0
    timeout_s: float = 60.0
    max_attempts: int = 5
    #: A fleet of OpenAI-compatible servers serving the same model; ``concurrency`` then limits each of them.
    base_urls: tuple[str, ...] = ()
    #: How the reasoner calls tools: "native" (OpenAI tool_calls, Anthropic tool_use) or "text" (the
    #: ``<tool_call>`` protocol, for servers without tool calling).
    tool_calling: str = "native"
    #: Whether JSON role replies ask for structured output (OpenAI json_schema, guided JSON on compatible servers,
    #: a forced tool on Anthropic).
    structured_output: bool = True
    #: Sampling temperature for the model's replies where a caller takes it from the profile (``fr eval``);
    #: ``None``: the server's default.
    temperature: float | None = None
    #: How an OpenAI profile reaches its server(s): "auto" (the lean HTTP/1.1 client for plain http:// servers,
    #: the openai SDK for https and OpenAI's own API), "lean" (always the lean client: http:// servers only) or
    #: "sdk" (always the SDK).
    transport: str = "auto"

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_urls", tuple(self.base_urls))

    @property
    def endpoints(self) -> tuple[str, ...]:
        """Every server address of the profile: ``base_urls``, else ``base_url``, else none (the provider's own)."""
        return self.base_urls or ((self.base_url,) if self.base_url else ())

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """US dollars for a call, from the per-million-token prices."""
        return (input_tokens * self.input_price_per_mtok + output_tokens * self.output_price_per_mtok) / 1e6


class _ProfileModel(BaseModel):
    """Validation of one ``[profiles.NAME]`` table (boundary only; the core uses ``ModelProfile``)."""

    model_config = ConfigDict(extra="forbid")
    provider: Provider
    model: str = Field(min_length=1)
    base_url: str | None = None
    api_key_env: str | None = None
    concurrency: int = Field(8, ge=1, le=4096)
    rpm: int | None = Field(None, ge=1)
    tpm: int | None = Field(None, ge=1)
    input_price_per_mtok: float = Field(0.0, ge=0)
    output_price_per_mtok: float = Field(0.0, ge=0)
    timeout_s: float = Field(60.0, gt=0)
    max_attempts: int = Field(5, ge=1, le=50)
    base_urls: list[str] = Field(default_factory=list)
    tool_calling: Literal["native", "text"] = "native"
    structured_output: bool = True
    temperature: float | None = Field(None, ge=0, le=2)
    transport: Literal["auto", "lean", "sdk"] = "auto"


def _profiles_path(path: str | Path | None) -> Path:
    if path is not None:
        return Path(path)
    return Path(os.environ.get("FR_MODELS", DEFAULT_PROFILES_PATH))


def load_profiles(path: str | Path | None = None) -> dict[str, ModelProfile]:
    """All profiles of a TOML file: ``[profiles.NAME]`` tables with provider, model, base_url, limits, prices."""
    file = _profiles_path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"model profiles file {file} does not exist; copy data/models.toml or set FR_MODELS"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"model profiles file {file} is not valid TOML: {exc}") from None
    tables = data.get("profiles")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"model profiles file {file} has no [profiles.NAME] tables")
    profiles: dict[str, ModelProfile] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{file}: profiles.{name} must be a table")
        if any("key" == k or k.endswith("api_key") for k in table):
            raise ConfigError(f"{file}: profiles.{name} contains an API key; keys belong in environment "
                              "variables only: set api_key_env to the variable's name")
        try:
            checked = _ProfileModel.model_validate(table)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"{file}: profiles.{name} is invalid: {problems}") from None
        if checked.base_url and checked.base_urls:
            raise ConfigError(f"{file}: profiles.{name} sets both base_url and base_urls; "
                              "list every server in base_urls")
        if checked.base_urls and checked.provider != "openai":
            raise ConfigError(f"{file}: profiles.{name} lists base_urls, a fleet of OpenAI-compatible servers, "
                              f"but its provider is {checked.provider!r}; use provider = \"openai\"")
        if checked.transport == "lean":
            urls: list[str | None] = list(checked.base_urls) or [checked.base_url]
            plain = [u for u in urls if not lean_url(u)]
            if checked.provider != "openai" or plain:
                raise ConfigError(f"{file}: profiles.{name} asks for transport = \"lean\", the lean HTTP client "
                                  "for OpenAI-compatible servers at plain http:// addresses, but "
                                  + (f"its provider is {checked.provider!r}" if checked.provider != "openai" else
                                     f"{plain[0] or 'the provider API (no base_url)'} is not one")
                                  + '; use transport = "auto" or "sdk"')
        profiles[name] = ModelProfile(name=name, **checked.model_dump())
    return profiles


def get_profile(name: str, path: str | Path | None = None) -> ModelProfile:
    """One named profile, or an ad-hoc ``"provider:model"`` profile (e.g. ``"openai:gpt-4o-mini"``)."""
    provider, sep, model = name.partition(":")
    if sep and provider in PROVIDERS and model:
        return ModelProfile(name=name, provider=provider, model=model)
    profiles = load_profiles(path)
    if name not in profiles:
        raise ConfigError(f"no model profile {name!r} in {_profiles_path(path)}; "
                          f"known: {', '.join(sorted(profiles))} (or use 'provider:model')")
    return profiles[name]


def resolve_api_key(profile: ModelProfile, env: Mapping[str, str] | None = None) -> str | None:
    """The profile's API key from the environment, for the endpoint it belongs to; the key is registered so it is
    scrubbed from everything written.

    A profile with its own server (``base_url`` / ``base_urls``) gets only the key its ``api_key_env`` names:
    ``OPENAI_API_KEY`` is never sent to a compatible server unless the profile says so (``None``: a keyless
    local server). The provider's own endpoint gets ``api_key_env`` or the provider's usual variable. Raises
    ConfigError naming the variable to set when a needed key is missing.
    """
    env = os.environ if env is None else env
    var = profile.api_key_env or (None if profile.endpoints else DEFAULT_KEY_ENV.get(profile.provider))
    if var is None:
        return None  # vLLM / SGLang / Ollama on our own machines need no key
    key = env.get(var, "").strip()
    if not key:
        raise ConfigError(f"model profile {profile.name!r} ({profile.provider}) needs an API key: "
                          f"set the environment variable {var}")
    register_secret(key)
    return key


def uses_lean_transport(profile: ModelProfile, base_url: str | None) -> bool:
    """Whether calls of ``profile`` to ``base_url`` go over the lean HTTP client (see ``transport``; with "lean"
    always, and the client refuses a URL that is not plain http://)."""
    if profile.provider != "openai" or profile.transport == "sdk":
        return False
    return profile.transport == "lean" or lean_url(base_url)
