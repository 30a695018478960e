"""Local fake LLM servers on 127.0.0.1 speaking OpenAI chat-completions and Anthropic messages, for tests and demos.

They answer from a queue of ``FakeReply`` (text, tool calls, an HTTP error with Retry-After, extra delay, a raw body,
claimed usage) or else from a responder function (default: echo the last user message; ``with_faults`` adds seeded
server faults), with a fixed latency (from the request's arrival to the reply, the server's own work included), and
record each request. A request whose client hangs up while it waits is dropped, as a real server aborts it;
``in_flight`` counts the requests being answered now.

>>> with FakeOpenAIServer() as server:
...     import openai
...     client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
...     reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
...     reply.choices[0].message.content
'echo: hi'
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import re
import random
import select
import socket
import threading
import urllib.request
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fr_core.types import ToolCall

__all__ = ["FakeReply", "FakeServer", "FakeOpenAIServer", "FakeAnthropicServer", "FakeServerProcess",
           "echo_responder", "StepwiseModel", "with_faults"]


@dataclass(frozen=True)
class FakeReply:
    """One scripted answer: text and tool calls, or an HTTP error ``status`` (with ``retry_after`` seconds; ``text``
    becomes the error's message). ``body`` is sent as is instead of a reply (a broken server); ``usage`` replaces
    the token counts the server claims."""

    text: str = ""
    tool_calls: Sequence[ToolCall] = ()
    status: int = 200
    retry_after: float | None = None
    delay_s: float = 0.0
    body: str | None = None
    usage: dict[str, Any] | None = None
    #: How the reply goes out: "length" (Content-Length, kept alive), "chunked" (Transfer-Encoding: chunked, in
    #: several chunks with a trailer), "close" (no length: the body ends where the server closes the connection),
    #: "cut" (Content-Length, then half the body and a close: a server that died mid-reply) or "drop" (Content-Length,
    #: then the connection closed without a word, as a server whose keep-alive ran out).
    framing: str = "length"


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return " ".join(p.get("text", "") for p in content or [] if isinstance(p, dict) and "text" in p)
    return ""


def echo_responder(body: dict[str, Any]) -> FakeReply:
    """The default answer: ``echo: <last user message>``."""
    return FakeReply(text=f"echo: {_last_user_text(body)}")


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return " ".join(str(p.get("text", "")) for p in content or [] if isinstance(p, dict))


class StepwiseModel:
    """A scripted model behind a fake server (OpenAI or Anthropic bodies): JSON replies for the tooling, querying,
    critiquing and rewrite roles; as the reasoner it replays the chain listed in the tooling prompt of its task one
    call per step (native tool calls when the request offers tools, the ``<tool_call>`` text protocol otherwise),
    then answers "All done.". The tool it abstracts names a job (a digest of the chain) that the reasoner's task
    shows, so many samples may use it at once. ``broken`` maps a step number to a raw text reply sent instead, on
    the first attempt only (a malformed reply to test recovery)."""

    def __init__(self, broken: dict[int, str] | None = None) -> None:
        self.chains: dict[str, list[ToolCall]] = {}
        self.broken = dict(broken or {})
        self.attempts = 0

    def __call__(self, body: dict[str, Any]) -> FakeReply:
        messages = body.get("messages", [])
        # a role's prompt is its first user message (a re-ask after a parse error comes after it)
        last = next((_text_of(m.get("content")) for m in messages if m.get("role") == "user"), "")
        system = _text_of(body.get("system")) or (_text_of(messages[0].get("content")) if messages else "")
        if "You are the tooling agent" in last:
            from fr_core.llm.parsing import parse_python_calls

            lines = re.findall(r"^\d+\. \[\w+\] (.*?) -- ", last, re.M)
            job = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]
            self.chains[job] = [c for line in lines for c in parse_python_calls(line)]
            return FakeReply(json.dumps({"name": "tidy_files", "description": f"Tidies the files (job {job}).",
                                         "parameters": {}}))
        if "You are the querying agent" in last:
            return FakeReply(json.dumps({"query": "Please tidy up my project folder for me."}))
        if "You are the critiquing agent" in last:
            return FakeReply(json.dumps({"critique": "Make one step at a time and read each result."}))
        if "writing the reasoning of a tool-using assistant" in last:
            steps = len(re.findall(r"^Step \d+:", last, re.M))
            return FakeReply(json.dumps({"steps": [f"I make step {n} from the request." for n in
                                                   range(1, steps + 1)]}))
        if "one step at a time" not in system:
            return FakeReply("<answer>All done.</answer>")
        done = self._steps_done(messages)
        if done == 0:
            self.attempts += 1
        if self.attempts == 1 and done + 1 in self.broken:
            return FakeReply(self.broken[done + 1])
        # The current task is the last that names a job (earlier rounds' requests come first in later rounds).
        jobs = re.findall(r"\(job (\w+)\)", " ".join(_text_of(m.get("content")) for m in messages
                                                      if m.get("role") == "user"))
        chain = self.chains.get(jobs[-1], []) if jobs else []
        if done >= len(chain):
            return FakeReply("All done." if body.get("tools") else "<think>Everything ran.</think><answer>All done."
                                                                      "</answer>")
        call = chain[done]
        if body.get("tools"):
            return FakeReply(f"Step {done + 1}.", tool_calls=[call])
        return FakeReply(f"<think>Step {done + 1}.</think><tool_call>[{call.to_python()}]</tool_call>")

    @staticmethod
    def _steps_done(messages: list[dict[str, Any]]) -> int:
        """Assistant steps since the request of the current attempt (the last user text that is not a result)."""
        count = 0
        for message in reversed(messages):
            content = message.get("content")
            if message.get("role") == "assistant":
                count += 1
            elif message.get("role") == "user" and not (
                    isinstance(content, list) and any(isinstance(p, dict) and p.get("type") == "tool_result"
                                                      for p in content)) \
                    and not _text_of(content).startswith("<tool_response>"):
                return count
        return count
def with_faults(responder: Callable[[dict[str, Any]], FakeReply] = echo_responder, *, rate_limited: float = 0.0,
                server_error: float = 0.0, garbage: float = 0.0, surrogate: float = 0.0, cut: float = 0.0,
                seed: int = 0) -> Callable[[dict[str, Any]], FakeReply]:
    """``responder`` with seeded shares of its replies replaced by faults: HTTP 429, HTTP 500, a 200 body that
    is not JSON, a reply whose text holds a lone surrogate (text no store can encode as it is), and a reply cut
    off halfway by a closed connection."""
    rng, lock = random.Random(seed), threading.Lock()

    def answer(body: dict[str, Any]) -> FakeReply:
        with lock:
            draw = rng.random()
        for share, fault in (
            (rate_limited, FakeReply(status=429, retry_after=0)),
            (server_error, FakeReply(status=500)),
            (garbage, FakeReply(body="<html>502 Bad Gateway</html>")),
            (cut, FakeReply(text="never whole", framing="cut")),
        ):
            if draw < share:
                return fault
            draw -= share
        reply = responder(body)
        return FakeReply(text=reply.text + " \ud800", tool_calls=reply.tool_calls) if draw < surrogate else reply

    return answer


def _count_words(body: dict[str, Any]) -> int:
    return len(json.dumps(body.get("messages", [])).split())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256  # many clients connect at once in benchmarks

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out close their sockets mid-reply: that is expected here, stay quiet."""


class FakeServer:
    """Base of the fake servers: an HTTP server in a daemon thread, a reply queue, and a request log."""

    path = ""

    def __init__(self, *, latency_s: float = 0.0,
                 responder: Callable[[dict[str, Any]], FakeReply] = echo_responder) -> None:
        self.latency_s = latency_s
        self.responder = responder
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._queue: deque[FakeReply] = deque()
        self._lock = threading.Lock()
        self._in_flight = 0
        self.peak_in_flight = 0
        self.dropped = 0  # requests whose client hung up before the reply
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------------------------------------- lifecycle
    def start(self) -> FakeServer:
        handler = self._handler_class()
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{type(self).__name__}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("fake server is not running; call start() or use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """What to pass as the SDK's ``base_url``."""
        return self.url

    # -------------------------------------------------------------------------------------------- scripting
    def queue(self, *replies: FakeReply) -> None:
        """Answer the next requests with these replies, in order (then fall back to the responder)."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    @property
    def in_flight(self) -> int:
        """Requests received and not yet answered or dropped."""
        with self._lock:
            return self._in_flight

    def _count_in_flight(self, delta: int, *, dropped: bool = False) -> None:
        with self._lock:
            self._in_flight += delta
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
            self.dropped += dropped

    def _next_reply(self, body: dict[str, Any], headers: dict[str, str]) -> FakeReply:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            if self._queue:
                return self._queue.popleft()
        return self.responder(body)

    # -------------------------------------------------------------------------------------------- protocol
    def success_body(self, body: dict[str, Any], reply: FakeReply) -> dict[str, Any]:
        raise NotImplementedError

    def error_body(self, status: int, message: str = "") -> dict[str, Any]:
        raise NotImplementedError

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms each.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, status: int, payload: dict[str, Any] | str, extra: dict[str, str] | None = None,
                      framing: str = "length") -> None:
                data = (payload if isinstance(payload, str) else json.dumps(payload)).encode("utf-8", "surrogatepass")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if framing == "chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                elif framing == "close":
                    self.send_header("Connection", "close")
                else:
                    self.send_header("Content-Length", str(len(data)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if framing == "chunked":
                    third = max(1, len(data) // 3)
                    for n, start in enumerate(range(0, len(data), third)):
                        part = data[start:start + third]
                        self.wfile.write(b"%x%s\r\n%s\r\n" % (len(part), b";n=%d" % n if n else b"", part))
                    self.wfile.write(b"0\r\nX-Fake-Trailer: yes\r\n\r\n")
                elif framing == "cut":
                    self.wfile.write(data[:len(data) // 2])
                else:
                    self.wfile.write(data)
                if framing in ("close", "cut", "drop"):
                    self.wfile.flush()
                    self.close_connection = True

            def do_GET(self) -> None:
                if self.path == "/_stats":  # lets another process count the requests that reached us
                    self._send(200, {"requests": server.request_count, "in_flight": server.in_flight,
                                     "dropped": server.dropped})
                else:
                    self._send(404, {"error": {"message": f"unknown path {self.path}", "type": "not_found"}})

            def do_POST(self) -> None:
                received = time.monotonic()  # the latency runs from here: reading and answering are part of it
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.split("?")[0] != server.path:
                    self._send(404, {"error": {"message": f"unknown path {self.path}", "type": "not_found"}})
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._send(400, {"error": {"message": "body is not JSON", "type": "invalid_request"}})
                    return
                server._count_in_flight(1)
                try:
                    reply = server._next_reply(body, {k.lower(): v for k, v in self.headers.items()})
                    if self._hung_up_within(received + server.latency_s + reply.delay_s - time.monotonic()):
                        server._count_in_flight(0, dropped=True)
                        self.close_connection = True
                        return
                    self._answer(body, reply)
                finally:
                    server._count_in_flight(-1)

            def _hung_up_within(self, delay: float) -> bool:
                """Wait ``delay`` seconds, watching the connection: True as soon as the client closes it."""
                end = time.monotonic() + delay
                watch = select.poll()  # not select(): a long test session's sockets pass descriptor 1024
                watch.register(self.connection, select.POLLIN | select.POLLHUP)
                while (left := end - time.monotonic()) > 0:
                    if not watch.poll(left * 1000):
                        return False
                    try:
                        if not self.connection.recv(1, socket.MSG_PEEK):
                            return True
                    except OSError:
                        return True
                    time.sleep(left)  # bytes of a next request: nothing to watch for until the reply is out
                return False

            def _answer(self, body: dict[str, Any], reply: FakeReply) -> None:
                if reply.status != 200:
                    extra = {} if reply.retry_after is None else {"Retry-After": f"{reply.retry_after:g}"}
                    self._send(reply.status, server.error_body(reply.status, reply.text), extra, reply.framing)
                    return
                if reply.body is not None:
                    self._send(200, reply.body, framing=reply.framing)
                    return
                payload = server.success_body(body, reply)
                if reply.usage is not None:
                    payload["usage"] = {**payload["usage"], **reply.usage}
                self._send(200, payload, framing=reply.framing)

        return Handler


class FakeOpenAIServer(FakeServer):
    """``POST /v1/chat/completions``; use ``base_url`` (ends in ``/v1``) with the ``openai`` SDK."""

    path = "/v1/chat/completions"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def success_body(self, body: dict[str, Any], reply: FakeReply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
                 "function": {"name": c.name, "arguments": json.dumps(c.arguments)}} for c in reply.tool_calls]
        output = len(reply.text.split()) + 10 * len(reply.tool_calls)
        prompt = _count_words(body)
        return {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "message": message,
                             "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output}}

    def error_body(self, status: int, message: str = "") -> dict[str, Any]:
        kind = "rate_limit_exceeded" if status == 429 else "server_error"
        return {"error": {"message": message or f"fake {kind} ({status})", "type": kind, "code": kind}}


class FakeAnthropicServer(FakeServer):
    """``POST /v1/messages``; use ``base_url`` (the bare address) with the ``anthropic`` SDK."""

    path = "/v1/messages"

    def success_body(self, body: dict[str, Any], reply: FakeReply) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if reply.text:
            content.append({"type": "text", "text": reply.text})
        content.extend({"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:12]}", "name": c.name,
                        "input": c.arguments} for c in reply.tool_calls)
        return {"id": f"msg_{uuid.uuid4().hex[:12]}", "type": "message", "role": "assistant",
                "model": body.get("model", "fake"), "content": content,
                "stop_reason": "tool_use" if reply.tool_calls else "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": _count_words(body),
                          "output_tokens": len(reply.text.split()) + 10 * len(reply.tool_calls)}}

    def error_body(self, status: int, message: str = "") -> dict[str, Any]:
        kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message or f"fake {kind} ({status})"}}


_KINDS: dict[str, type[FakeServer]] = {"openai": FakeOpenAIServer, "anthropic": FakeAnthropicServer}


def _serve_until_told(kind: str, latency_s: float, responder: Callable[[dict[str, Any]], FakeReply],
                      conn: Any) -> None:
    with _KINDS[kind](latency_s=latency_s, responder=responder) as server:
        conn.send((server.url, server.base_url))
        try:
            conn.recv()  # any message, or the parent going away, stops the server
        except EOFError:
            pass


class FakeServerProcess:
    """A fake server (fixed latency; a responder that can be pickled, echo by default) in its own process, so its
    CPU does not compete with the client's; for benchmarks and demos. ``request_count`` asks the server over HTTP."""

    def __init__(self, kind: str = "openai", *, latency_s: float = 0.0,
                 responder: Callable[[dict[str, Any]], FakeReply] = echo_responder) -> None:
        if kind not in _KINDS:
            raise ValueError(f"fake server kind {kind!r} is unknown; use one of {', '.join(_KINDS)}")
        self.kind, self.latency_s, self.responder = kind, latency_s, responder
        self.url = self.base_url = ""
        self._process: Any = None
        self._conn: Any = None

    def start(self) -> FakeServerProcess:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve_until_told,
                                        args=(self.kind, self.latency_s, self.responder, child),
                                        name=f"fake-{self.kind}-server", daemon=True)
        self._process.start()
        if not self._conn.poll(60):
            self.stop()
            raise RuntimeError("the fake server process did not start within 60 s")
        self.url, self.base_url = self._conn.recv()
        return self

    @property
    def request_count(self) -> int:
        with urllib.request.urlopen(f"{self.url}/_stats", timeout=10) as reply:
            return int(json.loads(reply.read())["requests"])

    def stop(self) -> None:
        if self._process is None:
            return
        try:
            self._conn.send("stop")
        except (BrokenPipeError, OSError):
            pass
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._process = None

    def __enter__(self) -> FakeServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
