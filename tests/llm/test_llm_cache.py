"""The content-addressed cache: what the key covers, the four modes, whole-run replay, and no API key on disk."""

from __future__ import annotations

import asyncio

import pytest

from fr_core.errors import ConfigError, LLMTransportError
from fr_core.llm import LLMCache, LLMCallError, LLMRequest, build_client, cache_key
from fr_core.types import ToolSpec

REQUEST = LLMRequest(messages=[{"role": "user", "content": "plan the trip"}], tools=[ToolSpec("t", "d")],
                     temperature=0.7, max_tokens=100, seed=1)


def ask(text: str, **fields) -> LLMRequest:
    return LLMRequest(messages=[{"role": "user", "content": text}], **fields)


def test_key_covers_what_changes_the_answer_and_nothing_else():
    base = cache_key("openai", "m", REQUEST)
    assert base == cache_key("openai", "m", LLMRequest(**{**REQUEST.__dict__, "label": "other step"}))
    with_tools = LLMRequest(**{**REQUEST.__dict__, "tools": [ToolSpec("t", "d").to_openai()]})
    assert base == cache_key("openai", "m", with_tools)
    for changed in ({"sample_index": 1}, {"temperature": 0.2}, {"seed": 2}, {"max_tokens": 5},
                    {"messages": [{"role": "user", "content": "plan the trip!"}]}, {"tools": []},
                    {"response_format": {"type": "json_object"}}):
        assert cache_key("openai", "m", LLMRequest(**{**REQUEST.__dict__, **changed})) != base, changed
    assert cache_key("anthropic", "m", REQUEST) != base and cache_key("openai", "m2", REQUEST) != base


def test_keys_are_the_sha256_of_the_canonical_request_json_whatever_was_seen_before():
    """The key text is made piece by piece (and tool specs' JSON is kept while they live): it must stay the
    sorted-key JSON of ``canonical_request``, so keys recorded by earlier versions still hit."""
    import gc
    import hashlib
    import json

    from fr_core.llm.cache import canonical_request, keyed_parts

    for round_ in range(3):  # new specs each round: a dead spec's JSON is never served for a new one
        spec = ToolSpec("cd", f"Change directory ({round_}), café.", {"type": "object", "properties": {
            "folder": {"type": "string", "enum": ["a", "b"][: round_ + 1]}}, "required": ["folder"]})
        for request in (REQUEST, LLMRequest(messages=[{"role": "user", "content": "x", "name": "u"}],
                                            tools=[spec, {"name": "ls", "parameters": {"z": 1, "a": 2}}, spec],
                                            response_format={"type": "json_object"}, sample_index=round_)):
            expected = json.dumps(canonical_request("openai", "m", request, "http://h/v1"), sort_keys=True,
                                  separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            for _ in range(2):
                key, text = keyed_parts("openai", "m", request, "http://h/v1")[:2]
                assert text == expected and key == hashlib.sha256(expected.encode()).hexdigest()
        del spec, request
        gc.collect()


def test_use_mode_serves_repeats_from_the_same_server_whatever_the_key(openai_server, make_profile, tmp_path):
    cache = LLMCache(tmp_path / "cache.sqlite")
    profile = make_profile("openai", openai_server.base_url, api_key_env="FAKE_KEY")
    first = build_client(profile, cache=cache, env={"FAKE_KEY": "k1"}).complete(ask("a"))
    again = build_client(profile, cache=cache, env={"FAKE_KEY": "k2"}).complete(ask("a"))
    assert openai_server.request_count == 1 and not first.cached and again.cached
    assert again.text == first.text and again.cost_usd == 0 and again.event.cached and again.event.attempts == 0
    sample2 = build_client(profile, cache=cache, env={"FAKE_KEY": "k1"}).complete(ask("a", sample_index=1))
    assert not sample2.cached and openai_server.request_count == 2


def test_a_reply_of_one_server_is_never_served_for_another(openai_server, make_profile, tmp_path, fast_retry):
    cache = LLMCache(tmp_path / "cache.sqlite")
    build_client(make_profile("openai", openai_server.base_url), cache=cache).complete(ask("a"))
    other_host = make_profile("openai", "http://127.0.0.1:1/v1")  # same model, another address
    with pytest.raises(LLMTransportError, match="transport failure"):
        build_client(other_host, cache=cache, retry=fast_retry).complete(ask("a"))
    assert cache_key("openai", "m", REQUEST, "http://a/v1") != cache_key("openai", "m", REQUEST, "http://b/v1")


def test_refresh_off_and_replay_only_modes(openai_server, make_profile, tmp_path):
    path = tmp_path / "cache.sqlite"
    profile = make_profile("openai", openai_server.base_url)
    build_client(profile, cache=path).complete(ask("a"))
    assert build_client(profile, cache=path, cache_mode="use").complete(ask("a")).cached
    assert not build_client(profile, cache=path, cache_mode="refresh").complete(ask("a")).cached
    assert not build_client(profile, cache=path, cache_mode="off").complete(ask("a")).cached
    assert openai_server.request_count == 3
    replay = build_client(profile, cache=path, cache_mode="replay_only")
    assert replay.complete(ask("a")).cached
    with pytest.raises(LLMCallError, match="replay-only cache") as info:
        replay.complete(ask("never recorded"))
    assert info.value.event.error and openai_server.request_count == 3
    with pytest.raises(ConfigError, match="cache mode"):
        LLMCache(path, "sometimes")


def test_whole_run_replays_with_the_server_gone(openai_server, make_profile, tmp_path):
    path = tmp_path / "run.sqlite"
    profile = make_profile("openai", openai_server.base_url)
    prompts = [ask(f"turn {i}", sample_index=i % 2) for i in range(20)]

    async def run(client):
        return [r.text for r in await asyncio.gather(*(client.acomplete(p) for p in prompts))]

    recorded = asyncio.run(run(build_client(profile, cache=path)))
    openai_server.stop()
    replayed = build_client(profile, cache=path, cache_mode="replay_only")
    assert asyncio.run(run(replayed)) == recorded
    assert replayed.accounting.totals().cache_hits == 20 and replayed.accounting.totals().cost_usd == 0


def test_api_key_never_reaches_the_cache_events_or_reprs(openai_server, make_profile, tmp_path):
    secret = "sk-test-SECRET-0123456789abcdef"
    events = []
    path = tmp_path / "cache.sqlite"
    profile = make_profile("openai", openai_server.base_url, api_key_env="FR_TEST_KEY")
    client = build_client(profile, cache=path, env={"FR_TEST_KEY": secret}, on_event=events.append)
    response = client.complete(ask("hello"))
    client.complete(ask("hello"))
    assert openai_server.headers[0]["authorization"] == f"Bearer {secret}"  # it was really used
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())  # the db, its -wal and -shm files
    assert b"hello" in stored and secret.encode() not in stored and b"SECRET" not in stored
    texts = [repr(client), repr(client.backend), repr(profile), repr(response), *(repr(e.to_dict()) for e in events)]
    assert not any(secret in t for t in texts)
