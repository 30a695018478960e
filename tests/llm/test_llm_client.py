"""The managed client through the real SDKs: retries (429 with Retry-After, 5xx, timeouts), limits, accounting,
events."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from fr_core.errors import ConfigError, LLMError
from fr_core.llm import Accounting, LLMCallError, LLMRequest, RetryableError, RetryPolicy, ScriptedClient, build_client
from fr_core.llm.fakeserver import FakeReply
from fr_core.types import ToolCall


def ask(text: str = "hi", **fields) -> LLMRequest:
    return LLMRequest(messages=[{"role": "user", "content": text}], **fields)


@pytest.mark.parametrize("server_name, provider", [("openai_server", "openai"), ("anthropic_server", "anthropic")])
def test_retries_429_and_500_then_succeeds(fast_retry, request, server_name, provider, make_profile):
    server = request.getfixturevalue(server_name)
    server.queue(FakeReply(status=429, retry_after=0), FakeReply(status=500), FakeReply(status=503),
                 FakeReply(text="finally"))
    events = []
    client = build_client(make_profile(provider, server.base_url), retry=fast_retry, on_event=events.append,
                          env={})
    response = client.complete(ask())
    assert response.text == "finally" and server.request_count == 4
    assert response.event.attempts == 4 and events == [response.event]
    assert client.accounting.totals().retries == 3


def test_retry_after_is_honoured(fast_retry, openai_server, make_profile):
    openai_server.queue(FakeReply(status=429, retry_after=0.3))
    client = build_client(make_profile("openai", openai_server.base_url), retry=fast_retry)
    started = time.perf_counter()
    assert client.complete(ask()).text == "echo: hi"
    assert time.perf_counter() - started >= 0.3


def test_client_errors_are_not_retried_and_failures_carry_an_event(fast_retry, openai_server, make_profile):
    openai_server.queue(FakeReply(status=400))
    events = []
    client = build_client(make_profile("openai", openai_server.base_url), retry=fast_retry, on_event=events.append)
    with pytest.raises(LLMCallError, match="HTTP 400") as info:
        client.complete(ask(label="A_R"))
    assert openai_server.request_count == 1
    assert info.value.event.error and info.value.event.label == "A_R" and events == [info.value.event]
    assert client.accounting.totals().failures == 1


def test_retries_give_up_after_max_attempts(fast_retry, anthropic_server, make_profile):
    anthropic_server.queue(*[FakeReply(status=529)] * 4)
    client = build_client(make_profile("anthropic", anthropic_server.base_url), retry=fast_retry)
    with pytest.raises(LLMCallError, match="after 4 attempts"):
        client.complete(ask())
    assert anthropic_server.request_count == 4


def test_slow_responses_time_out_and_are_retried(fast_retry, openai_server, make_profile):
    openai_server.queue(FakeReply(text="late", delay_s=1.0), FakeReply(text="fast"))
    client = build_client(make_profile("openai", openai_server.base_url, timeout_s=0.25), retry=fast_retry)
    assert client.complete(ask()).text == "fast"


def test_connection_refused_is_retried_then_reported(fast_retry, make_profile):
    client = build_client(make_profile("openai", "http://127.0.0.1:9/v1"), retry=fast_retry)
    with pytest.raises(LLMCallError, match="cannot connect"):
        client.complete(ask())


def test_concurrency_limit_is_shared_by_threads_and_event_loops(openai_server, make_profile):
    openai_server.latency_s = 0.05
    in_flight, peak, lock = [0], [0], threading.Lock()
    original = openai_server._next_reply

    def counting(body, headers):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
        return original(body, headers)

    openai_server._next_reply = counting
    profile = make_profile("openai", openai_server.base_url, concurrency=3)
    sync_client, async_client = build_client(profile), build_client(profile)

    def threads():
        workers = [threading.Thread(target=sync_client.complete, args=(ask(f"t{i}"),)) for i in range(6)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    async def tasks():
        await asyncio.gather(*(async_client.acomplete(ask(f"a{i}")) for i in range(6)))

    runner = threading.Thread(target=threads)
    runner.start()
    asyncio.run(tasks())
    runner.join()
    assert openai_server.request_count == 12 and peak[0] == 3


def test_requests_per_minute_limit(make_profile):
    client = build_client(make_profile("scripted", rpm=120), backend=ScriptedClient(lambda r: "ok"))
    started = time.perf_counter()
    for i in range(123):  # the bucket holds 120; three more need 3 * 0.5 s
        client.complete(ask(str(i)))
    assert 1.2 < time.perf_counter() - started < 5


def test_tokens_per_minute_limit_charges_the_true_usage(make_profile):
    from fr_core.llm import LLMResponse, Usage
    from fr_core.llm.base import estimate_tokens

    request = ask("x", max_tokens=990)
    tokens = estimate_tokens(request)  # the reply uses exactly what was reserved
    scripted = ScriptedClient(lambda r: LLMResponse(text="ok", usage=Usage(tokens - 990, 990)))
    client = build_client(make_profile("scripted", tpm=100 * tokens), backend=scripted)
    started = time.perf_counter()
    for _ in range(101):  # the bucket holds 100 such calls; one more waits 60 / 100 s
        client.complete(request)
    assert 0.5 < time.perf_counter() - started < 5
    assert client.accounting.totals().input_tokens + client.accounting.totals().output_tokens == 101 * tokens


def test_accounting_and_cost_from_profile_prices(openai_server, make_profile):
    accounting = Accounting()
    profile = make_profile("openai", openai_server.base_url, input_price_per_mtok=1.0, output_price_per_mtok=2.0)
    client = build_client(profile, accounting=accounting)
    responses = [client.complete(ask(f"question {i}")) for i in range(3)]
    totals = accounting.totals()
    assert totals.requests == 3 and totals.input_tokens == sum(r.usage.input_tokens for r in responses)
    expected = sum(r.usage.input_tokens * 1e-6 + r.usage.output_tokens * 2e-6 for r in responses)
    assert totals.cost_usd == pytest.approx(expected) and responses[0].cost_usd > 0
    assert list(accounting.by_model()) == ["openai:fake-model"]


def test_scripted_client_through_the_managed_client(fast_retry, make_profile):
    scripted = ScriptedClient(["<think>t</think><tool_call>[ls()]</tool_call>", [ToolCall("cd", {"folder": "a"})],
                               RetryableError("flaky", status=503), "after retry"])
    client = build_client(make_profile("scripted"), backend=scripted, retry=fast_retry)
    assert client.complete(ask()).text.endswith("</tool_call>")
    assert client.complete(ask()).tool_calls == (ToolCall("cd", {"folder": "a"}),)
    assert client.complete(ask()).text == "after retry"
    with pytest.raises(LLMError, match="no reply left"):
        client.complete(ask(label="A_C"))
    assert len(scripted.requests) == 5 and scripted.requests[0].model == "fake-model"


def test_build_client_refuses_offline_and_scripted_without_backend(make_profile):
    with pytest.raises(ConfigError, match="offline heuristic agents"):
        build_client(make_profile("offline"))
    with pytest.raises(ConfigError, match="ScriptedClient"):
        build_client(make_profile("scripted"))


def test_retry_policy_backoff_grows_with_jitter():
    import random

    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=5.0, jitter=0.5)
    rng = random.Random(0)
    delays = [policy.delay(n, RetryableError("x"), rng) for n in (1, 2, 3, 4, 5)]
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0 and 2.5 <= delays[4] <= 5.0
    assert policy.delay(1, RetryableError("x", retry_after=7.0), rng) == 7.0


def test_every_client_satisfies_the_protocol_and_events_serialise(openai_server, make_profile):
    import json

    from fr_core.llm import LLMClient
    from fr_core.llm.anthropic_backend import AnthropicBackend
    from fr_core.llm.openai_backend import OpenAIBackend

    openai_server.queue(FakeReply(text="x", tool_calls=[ToolCall("cd", {"folder": "a"})]))
    client = build_client(make_profile("openai", openai_server.base_url))
    for candidate in (client, client.backend, ScriptedClient([]), OpenAIBackend("m"), AnthropicBackend("m")):
        assert isinstance(candidate, LLMClient)
    event = client.complete(ask("hi", label="A_T")).event
    data = json.loads(json.dumps(event.to_dict()))
    assert data["kind"] == "llm_call" and data["label"] == "A_T" and data["tool_calls"] == [
        {"name": "cd", "arguments": {"folder": "a"}}]
    assert data["request"]["last_user"] == "hi" and data["usage"]["input_tokens"] > 0


def test_fake_server_in_its_own_process_counts_requests(make_profile):
    from fr_core.llm.fakeserver import FakeServerProcess

    with FakeServerProcess("anthropic") as server:
        client = build_client(make_profile("anthropic", server.base_url))
        assert client.complete(ask("over there")).text == "echo: over there"
        assert server.request_count == 1


def test_cancelled_waiters_do_not_leak_concurrency_slots():
    from fr_core.llm.limits import SharedSemaphore

    async def scenario():
        slots = SharedSemaphore(1)
        await slots.aacquire()
        waiter = asyncio.ensure_future(slots.aacquire())
        await asyncio.sleep(0)
        slots.release()  # the permit goes to the waiter ...
        waiter.cancel()  # ... which is cancelled before it runs: the permit must come back
        with pytest.raises(asyncio.CancelledError):
            await waiter
        await asyncio.wait_for(slots.aacquire(), timeout=1)  # held again
        blocked = asyncio.ensure_future(slots.aacquire())
        await asyncio.sleep(0)
        blocked.cancel()  # cancelled while still queued
        with pytest.raises(asyncio.CancelledError):
            await blocked
        slots.release()
        await asyncio.wait_for(slots.aacquire(), timeout=1)

    asyncio.run(scenario())
