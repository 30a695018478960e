"""The lean HTTP/1.1 transport for OpenAI-compatible http:// servers against the fake server: replies in every
framing, the same errors as the SDK path for each failure, keep-alive reuse, the key header, cancellation, and
which profiles use it."""

from __future__ import annotations

import asyncio
import time

import pytest

from fr_core.errors import ConfigError, LLMError
from fr_core.llm import (LLMCallError, LLMRequest, ModelProfile, RetryableError, RetryPolicy, build_client,
                         load_profiles)
from fr_core.llm.fakeserver import FakeOpenAIServer, FakeReply, with_faults
from fr_core.llm.openai_backend import LeanOpenAIBackend, OpenAIBackend
from fr_core.llm.wire import WirePool
from fr_core.types import ToolCall, ToolSpec

CD = ToolSpec("cd", "Change directory.", {"type": "object", "properties": {"folder": {"type": "string"}},
                                          "required": ["folder"]})
ASK = LLMRequest(messages=[{"role": "system", "content": "You use tools."},
                           {"role": "user", "content": "go to docs, café"}],
                 tools=[CD], temperature=0.0, max_tokens=64, seed=3, response_format={"type": "json_object"})
FAST5 = RetryPolicy(max_attempts=5, base_delay_s=0.001, max_delay_s=0.005)
KEY = "sk-wire-NEVERLOGGED-0a1b2c3d4e5f"


def ask(text: str = "hi") -> LLMRequest:
    return LLMRequest(messages=[{"role": "user", "content": text}])


def lean(server: FakeOpenAIServer, **fields) -> LeanOpenAIBackend:
    return LeanOpenAIBackend("qwen", base_url=server.base_url, **fields)


def call(backend: LeanOpenAIBackend, request: LLMRequest = ASK):
    return asyncio.run(backend.acomplete(request))


def failure(backend: LeanOpenAIBackend, request: LLMRequest = ASK) -> LLMError:
    with pytest.raises(LLMError) as info:
        call(backend, request)
    return info.value


def test_a_reply_and_the_request_it_answers_match_the_sdk_path(openai_server, make_profile):
    """The same request reaches the server over both paths, and the same response comes back."""
    openai_server.queue(FakeReply(text="Going.", tool_calls=[ToolCall("cd", {"folder": "docs"})]))
    via_lean = call(lean(openai_server))
    openai_server.queue(FakeReply(text="Going.", tool_calls=[ToolCall("cd", {"folder": "docs"})]))
    via_sdk = asyncio.run(OpenAIBackend("qwen", base_url=openai_server.base_url).acomplete(ASK))
    # through the managed client, the body is made from the JSON its cache key encoded
    managed = build_client(make_profile("openai", openai_server.base_url, model="qwen"), env={})
    assert asyncio.run(managed.acomplete(ASK)).text == "echo: go to docs, café"
    assert openai_server.requests[0] == openai_server.requests[1] == openai_server.requests[2]  # café and all
    sent = openai_server.requests[0]
    assert sent["tools"] == [CD.to_openai()] and sent["seed"] == 3 and sent["max_tokens"] == 64
    assert sent["response_format"] == {"type": "json_object"} and sent["model"] == "qwen"
    for response in (via_lean, via_sdk):
        assert response.text == "Going." and response.tool_calls == (ToolCall("cd", {"folder": "docs"}),)
        assert response.finish_reason == "tool_calls" and response.usage.input_tokens > 0
        assert response.provider == "openai" and response.model == "qwen"
    assert via_lean.raw["choices"][0]["message"]["content"] == "Going."


@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
def test_every_body_framing_is_read_whole(openai_server, framing):
    long_text = "word " * 5000  # several reads, and chunks of several kilobytes
    openai_server.queue(FakeReply(text=long_text, framing=framing), FakeReply(text="next", framing=framing))
    backend = lean(openai_server)

    async def two():
        return [await backend.acomplete(ask()), await backend.acomplete(ask())], backend.pool().opened

    (first, second), opened = asyncio.run(two())
    assert first.text == long_text and second.text == "next"
    assert opened == (2 if framing == "close" else 1)  # a body that ends at the close takes its connection along


def test_keep_alive_connections_are_reused_across_requests(openai_server):
    openai_server.latency_s = 0.05
    backend = lean(openai_server)

    async def run():
        for i in range(5):
            assert (await backend.acomplete(ask(str(i)))).text == f"echo: {i}"
        one_by_one = backend.pool().opened
        texts = [r.text for r in await asyncio.gather(*(backend.acomplete(ask(str(i))) for i in range(20)))]
        at_once = backend.pool().opened
        await asyncio.gather(*(backend.acomplete(ask(str(i))) for i in range(20)))
        return one_by_one, texts, at_once, backend.pool().opened, backend.pool().idle

    one_by_one, texts, at_once, again, idle = asyncio.run(run())
    assert one_by_one == 1  # five calls, one connection
    assert texts == [f"echo: {i}" for i in range(20)] and at_once == 20
    assert again == 20 and idle == 20  # the second wave of 20 found 20 open connections
    assert openai_server.request_count == 45


def test_each_event_loop_has_its_own_pool(openai_server):
    backend = lean(openai_server)
    assert call(backend, ask("a")).text == "echo: a"
    assert call(backend, ask("b")).text == "echo: b"  # a second asyncio.run: a new loop, a new pool


def test_a_connection_the_server_let_go_is_replaced_without_an_error(openai_server, monkeypatch):
    """A kept-alive connection the server closed (its keep-alive ran out) is not an error: the request goes on a
    new connection, even when the close is not seen before sending on it."""
    openai_server.queue(FakeReply(text="first", framing="drop"))
    backend = lean(openai_server)
    monkeypatch.setattr("fr_core.llm.wire._Connection.usable", lambda self, now: True)  # blind to the close

    async def run():
        first = await backend.acomplete(ask())
        await asyncio.sleep(0.05)  # the server's close arrives
        return first.text, (await backend.acomplete(ask("again"))).text, backend.pool().opened

    assert asyncio.run(run()) == ("first", "echo: again", 2)
    assert openai_server.request_count == 2  # the closed connection never delivered the second request


@pytest.mark.parametrize("status", [429, 500, 502, 503, 408, 409])
def test_transient_statuses_are_retryable_with_the_servers_wait(openai_server, status):
    openai_server.queue(FakeReply(status=status, retry_after=2.5))
    error = failure(lean(openai_server))
    assert type(error) is RetryableError and error.status == status and error.retry_after == 2.5
    assert f"answered HTTP {status}: Error code: {status} - fake" in str(error)


@pytest.mark.parametrize("status", [400, 404, 422, 401, 403])
def test_client_errors_are_permanent(openai_server, status):
    openai_server.queue(FakeReply(status=status, text="the request is wrong"))
    error = failure(lean(openai_server))
    assert type(error) is LLMError
    assert f"answered HTTP {status}: Error code: {status} - the request is wrong" in str(error)
    assert ("check the API key environment variable" in str(error)) == (status in (401, 403))


def test_a_200_whose_body_is_no_chat_completion_is_transient(openai_server):
    """As on the SDK path: a body that is not JSON, or JSON that is no reply, is a server fault to retry; an
    empty choices list is the model's own failure."""
    backend = lean(openai_server)
    for body, expected in (("<html>502 Bad Gateway</html>", RetryableError), ("[1, 2]", RetryableError),
                           ('{"choices": [{"message": "hi"}]}', RetryableError), ('{"choices": []}', LLMError)):
        openai_server.queue(FakeReply(body=body))
        assert type(failure(backend)) is expected, body
    openai_server.queue(FakeReply(text="fine", framing="chunked"))
    assert call(backend).text == "fine"  # the connection is still good after those


def test_a_reply_cut_off_by_a_closed_connection_is_transient(openai_server):
    openai_server.queue(FakeReply(text="never whole " * 50, framing="cut"))
    error = failure(lean(openai_server))
    assert type(error) is RetryableError and "lost the connection" in str(error)
    assert call(lean(openai_server)).text == "echo: go to docs, café"


def test_timeouts_and_refused_connections_are_transient(openai_server):
    openai_server.queue(FakeReply(text="late", delay_s=2.0))
    started = time.monotonic()
    error = failure(lean(openai_server, timeout_s=0.3))
    assert type(error) is RetryableError and "timed out" in str(error)
    assert time.monotonic() - started < 1.5
    refused = failure(LeanOpenAIBackend("qwen", base_url="http://127.0.0.1:9/v1"))
    assert type(refused) is RetryableError and str(refused).startswith("cannot connect to http://127.0.0.1:9/v1")


def test_the_managed_client_retries_over_the_lean_path(openai_server, make_profile):
    openai_server.queue(FakeReply(status=429, retry_after=0.3), FakeReply(status=503),
                        FakeReply(text="cut", framing="cut"), FakeReply(text="late", delay_s=1.0),
                        FakeReply(text="finally"))
    client = build_client(make_profile("openai", openai_server.base_url, transport="lean", timeout_s=0.4,
                                       max_attempts=5), retry=FAST5, env={})
    assert isinstance(client.backend, LeanOpenAIBackend)

    async def run():
        started = time.monotonic()
        response = await client.acomplete(ask())
        return response, time.monotonic() - started

    response, took = asyncio.run(run())
    assert response.text == "finally" and response.event.attempts == 5 and took >= 0.3  # Retry-After honoured
    assert client.accounting.totals().retries == 4
    openai_server.queue(FakeReply(status=400))
    with pytest.raises(LLMCallError, match="HTTP 400"):
        asyncio.run(client.acomplete(ask("bad")))
    assert openai_server.request_count == 6  # a client error is not retried


def test_a_fault_injected_server_is_survived_as_on_the_sdk_path(make_profile):
    """Seeded 429s, 500s, bodies that are not JSON and replies cut off: every call ends in its echo or, retries
    spent, in a transport failure, on both paths alike."""
    outcomes = {}
    for transport in ("lean", "sdk"):
        faults = with_faults(rate_limited=0.15, server_error=0.15, garbage=0.1, cut=0.1, seed=4)
        with FakeOpenAIServer(responder=faults) as server:
            client = build_client(make_profile("openai", server.base_url, transport=transport),
                                  retry=FAST5, env={})

            async def run(client=client):
                return await asyncio.gather(*(client.acomplete(ask(str(i))) for i in range(60)),
                                            return_exceptions=True)

            results = asyncio.run(run())
        outcomes[transport] = ["ok" if not isinstance(r, Exception) else type(r).__name__ for r in results]
        for i, result in enumerate(results):
            assert (result.text == f"echo: {i}") if not isinstance(result, Exception) else \
                type(result).__name__ == "LLMTransportError"
        assert client.accounting.totals().requests == 60
    # half the replies are faults: with 5 attempts about 2 calls in 60 spend them all
    assert outcomes["lean"].count("ok") >= 52 and outcomes["sdk"].count("ok") >= 52


def test_the_key_goes_in_the_header_only_when_configured_and_is_never_shown(openai_server, make_profile):
    openai_server.queue(FakeReply(status=401, text=f"key {KEY} is not valid"))
    client = build_client(make_profile("openai", openai_server.base_url, api_key_env="WIRE_KEY"),
                          env={"WIRE_KEY": KEY})
    with pytest.raises(LLMCallError) as info:
        asyncio.run(client.acomplete(ask()))
    assert openai_server.headers[-1]["authorization"] == f"Bearer {KEY}"
    assert KEY not in str(info.value) and KEY not in (info.value.event.error or "")
    backend = client.backend
    assert KEY not in repr(backend) and KEY not in repr(client)

    async def pool_repr():
        return repr(backend.pool())

    assert KEY not in asyncio.run(pool_repr())
    keyless = build_client(make_profile("openai", openai_server.base_url), env={"OPENAI_API_KEY": KEY})
    assert asyncio.run(keyless.acomplete(ask())).text == "echo: hi"
    assert "authorization" not in openai_server.headers[-1]  # a compatible server gets no key it was not given


def test_a_cancelled_call_closes_its_connection_at_once():
    """A call cancelled while it waits (a sample's deadline) hangs up: the server stops answering it at once,
    and the pool keeps no connection of it."""
    with FakeOpenAIServer(latency_s=30) as server:
        backend = lean(server)

        async def run():
            task = asyncio.ensure_future(backend.acomplete(ask()))
            while server.in_flight == 0:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            until = time.monotonic() + 2
            while server.in_flight and time.monotonic() < until:
                await asyncio.sleep(0.01)
            return server.in_flight, server.dropped, backend.pool().idle

        started = time.monotonic()
        assert asyncio.run(run()) == (0, 1, 0)
        assert time.monotonic() - started < 3


def test_a_pool_refuses_what_it_cannot_reach():
    async def make(url: str) -> WirePool:
        return WirePool(url)

    for url in ("https://api.openai.com/v1", "http://user:pw@host/v1", "http://host/v1?x=1", "ftp://host"):
        with pytest.raises(ValueError):
            asyncio.run(make(url))
    with pytest.raises(ConfigError, match="plain http://"):
        LeanOpenAIBackend("m", base_url="https://api.example.com/v1")


def test_which_profiles_use_the_lean_transport(tmp_path):
    def backend(**fields) -> object:
        return build_client(ModelProfile(name=f"p{len(fields)}{sorted(fields)}", provider="openai", model="m",
                                         **fields), env={"OPENAI_API_KEY": "sk-test"}).backend

    assert type(backend(base_url="http://10.0.0.5:8000/v1")) is LeanOpenAIBackend  # auto: plain http
    assert type(backend(base_url="https://vllm.example.com/v1")) is OpenAIBackend  # auto: https keeps the SDK
    assert type(backend()) is OpenAIBackend  # OpenAI's own API keeps the SDK
    assert type(backend(base_url="http://10.0.0.5:8000/v1", transport="sdk")) is OpenAIBackend
    fleet = backend(base_urls=("http://a:8000/v1", "https://b/v1"))
    assert [type(e.backend) for e in fleet._endpoints] == [LeanOpenAIBackend, OpenAIBackend]
    with pytest.raises(ConfigError, match="plain http://"):
        backend(base_url="https://vllm.example.com/v1", transport="lean")
    models = tmp_path / "models.toml"
    for table, says in (('base_url = "https://x/v1"\ntransport = "lean"', "https://x/v1 is not one"),
                        ('transport = "lean"', "the provider API"),
                        ('transport = "fast"', "transport")):
        models.write_text(f'[profiles.p]\nprovider = "openai"\nmodel = "m"\n{table}\n')
        with pytest.raises(ConfigError, match=says):
            load_profiles(models)
    models.write_text('[profiles.p]\nprovider = "openai"\nmodel = "m"\nbase_url = "http://h:1/v1"\n'
                      'transport = "lean"\n')
    assert load_profiles(models)["p"].transport == "lean"


def test_a_reply_that_is_not_http_is_transient():
    """A server that answers with something other than HTTP/1.x (a wrong port, a proxy's banner) is a broken link,
    retried like one, not a crash."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        for banner in (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
                       b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\n"):
            conn, _ = listener.accept()
            conn.recv(65536)
            conn.sendall(banner)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    backend = LeanOpenAIBackend("qwen", base_url=f"http://127.0.0.1:{port}/v1", timeout_s=5)
    errors = [failure(backend) for _ in range(3)]
    says = [str(e) for e in errors]
    thread.join(5)
    listener.close()
    assert "does not start with an HTTP/1.x status line" in says[0]
    assert "header line without a colon" in says[1] and "Content-Length is no number" in says[2]
    assert all(type(e) is RetryableError and str(e).startswith("lost the connection to http://127.0.0.1")
               for e in errors)
