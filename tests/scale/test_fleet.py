"""A model profile with several base_urls: traffic spread over two fake OpenAI servers, one failing half of its
requests with HTTP 500; every failed request is retried on the healthy server and a batch run completes."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from fr_core.errors import ConfigError
from fr_core.llm import LLMRequest, RetryPolicy, build_client, load_profiles
from fr_core.llm.fakeserver import FakeOpenAIServer, FakeReply, echo_responder
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store


class HalfFailing:
    """A responder answering every second request with HTTP 500, remembering the requests it failed."""

    def __init__(self) -> None:
        self.calls, self.failed = 0, []
        self._lock = threading.Lock()

    def __call__(self, body: dict) -> FakeReply:
        with self._lock:
            self.calls += 1
            if self.calls % 2:
                self.failed.append(json.dumps(body, sort_keys=True))
                return FakeReply(status=500)
        return echo_responder(body)


@pytest.fixture()
def fleet(tmp_path):
    """Two fake servers (the second one flaky) and a models file whose profile ``fleet`` lists both."""
    flaky = HalfFailing()
    with FakeOpenAIServer() as healthy, FakeOpenAIServer(responder=flaky) as bad:
        models = tmp_path / "models.toml"
        models.write_text(f'[profiles.fleet]\nprovider = "openai"\nmodel = "fake-model"\nconcurrency = 2\n'
                          f'max_attempts = 3\nbase_urls = ["{healthy.base_url}", "{bad.base_url}"]\n')
        yield healthy, bad, flaky, models


def _served(server: FakeOpenAIServer) -> set[str]:
    return {json.dumps(body, sort_keys=True) for body in server.requests}


def test_fleet_spreads_requests_and_fails_over_to_the_healthy_server(fleet) -> None:
    healthy, bad, flaky, models = fleet
    client = build_client("fleet", profiles_path=models,
                          retry=RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.005))
    requests = [LLMRequest(messages=({"role": "user", "content": f"question {i}"},)) for i in range(24)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(client.complete, requests))
    assert [a.text for a in answers] == [f"echo: question {i}" for i in range(24)]
    assert healthy.request_count > 0 and flaky.calls > 0 and flaky.failed
    assert set(flaky.failed) <= _served(healthy)  # each failed request went to the healthy server next
    stats = {s.where: s for s in client.backend.stats()}
    assert stats[bad.base_url].failures == len(flaky.failed) and stats[healthy.base_url].failures == 0
    assert sum(s.requests for s in stats.values()) == 24 + len(flaky.failed)
    assert all(s.in_flight == 0 for s in stats.values())
    assert all(a.event.attempts == 1 for a in answers)  # failover happened inside one managed attempt


def test_batch_run_completes_through_a_half_failing_fleet(fleet, tmp_path) -> None:
    healthy, bad, flaky, models = fleet
    config = RunConfig.from_dict({"agents": {"profile": "fleet"}, "llm": {"profiles": str(models)},
                                  "generate": {"envs": ["GorillaFileSystem"], "rounds": 1, "calls": 2}})
    store = Store(tmp_path / "w.db")
    result = run_batch(store, config, 3, concurrency=2)
    assert result.done == 3 and not result.interrupted
    # Echo answers are no valid agent replies, so samples may fail to parse, but never on the server errors.
    errors = [row.error or "" for row in store.iter_samples(result.run_id, with_trajectory=False)]
    assert len(errors) == 3 and not [e for e in errors if "HTTP" in e or "endpoint" in e]
    assert healthy.request_count > 0 and bad.request_count > 0 and flaky.failed
    assert set(flaky.failed) <= _served(healthy)


def test_fleet_profile_errors_are_clear(tmp_path) -> None:
    models = tmp_path / "models.toml"
    models.write_text('[profiles.x]\nprovider = "openai"\nmodel = "m"\nbase_url = "http://a/v1"\n'
                      'base_urls = ["http://b/v1"]\n')
    with pytest.raises(ConfigError, match="both base_url and base_urls"):
        load_profiles(models)
    models.write_text('[profiles.x]\nprovider = "anthropic"\nmodel = "m"\nbase_urls = ["http://b"]\n')
    with pytest.raises(ConfigError, match="use provider"):
        load_profiles(models)
    models.write_text('[profiles.x]\nprovider = "openai"\nmodel = "m"\nbase_url = "http://a/v1"\n')
    assert load_profiles(models)["x"].endpoints == ("http://a/v1",)  # a single base_url still works


def test_async_calls_and_timeouts_fail_over_too(tmp_path) -> None:
    import asyncio

    with FakeOpenAIServer() as healthy, FakeOpenAIServer(latency_s=3.0) as slow:
        models = tmp_path / "models.toml"
        models.write_text(f'[profiles.fleet]\nprovider = "openai"\nmodel = "fake-model"\ntimeout_s = 0.3\n'
                          f'max_attempts = 1\nbase_urls = ["{slow.base_url}", "{healthy.base_url}"]\n')
        client = build_client("fleet", profiles_path=models)

        async def ask() -> list[str]:
            requests = [LLMRequest(messages=({"role": "user", "content": f"q{i}"},)) for i in range(4)]
            return [r.text for r in await asyncio.gather(*(client.acomplete(r) for r in requests))]

        assert asyncio.run(ask()) == [f"echo: q{i}" for i in range(4)]
        stats = {s.where: s for s in client.backend.stats()}
        assert stats[slow.base_url].requests == stats[slow.base_url].failures > 0  # every one timed out ...
        assert healthy.request_count == 4  # ... and went to the healthy server
