"""Model profiles from TOML: the shipped example, validation errors, and API keys from the environment only."""

from __future__ import annotations

import pytest

from fr_core.errors import ConfigError
from fr_core.llm import ModelProfile, build_client, get_profile, load_profiles, resolve_api_key


def test_shipped_profiles_cover_every_provider_kind():
    profiles = load_profiles()
    providers = {p.provider for p in profiles.values()}
    assert {"openai", "anthropic", "offline"} <= providers
    assert any(p.base_url and "8000" in p.base_url for p in profiles.values())  # vLLM
    assert any(p.base_url and "11434" in p.base_url for p in profiles.values())  # Ollama
    mini = profiles["openai-mini"]
    assert mini.cost(1_000_000, 1_000_000) == pytest.approx(mini.input_price_per_mtok + mini.output_price_per_mtok)


def test_missing_key_names_the_variable():
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        build_client("openai-mini", env={})
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        build_client("claude-sonnet", env={})
    custom = ModelProfile("x", "openai", "m", base_url="http://127.0.0.1:1/v1", api_key_env="MY_KEY")
    with pytest.raises(ConfigError, match="MY_KEY"):
        resolve_api_key(custom, env={})
    assert resolve_api_key(custom, env={"MY_KEY": "k"}) == "k"


def test_local_servers_need_no_key():
    assert resolve_api_key(get_profile("vllm-qwen3-4b"), env={}) is None
    assert build_client("ollama-qwen3", env={}).backend.base_url == "http://127.0.0.1:11434/v1"


def test_ad_hoc_provider_model_profiles():
    profile = get_profile("anthropic:claude-test")
    assert (profile.provider, profile.model) == ("anthropic", "claude-test")
    with pytest.raises(ConfigError, match="no model profile 'nope'"):
        get_profile("nope")


@pytest.mark.parametrize("body, fragment", [
    ('[profiles.a]\nprovider = "openai"\nmodel = "m"\napi_key = "sk-123"\n', "environment variables only"),
    ('[profiles.a]\nprovider = "cohere"\nmodel = "m"\n', "provider"),
    ('[profiles.a]\nprovider = "openai"\nmodel = "m"\nconcurency = 3\n', "concurency"),
    ('[profiles.a]\nprovider = "openai"\nmodel = "m"\nconcurrency = 0\n', "concurrency"),
    ('[profiles.a\n', "not valid TOML"),
    ('title = "x"\n', "no [profiles.NAME]"),
])
def test_bad_profile_files_get_clear_errors(tmp_path, body, fragment):
    path = tmp_path / "models.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match="models.toml") as info:
        load_profiles(path)
    assert fragment in str(info.value)
    with pytest.raises(ConfigError, match="does not exist"):
        load_profiles(tmp_path / "missing.toml")
