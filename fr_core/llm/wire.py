"""A lean HTTP/1.1 client for OpenAI-compatible servers reached over plain ``http://`` (vLLM, SGLang, Ollama on a
local network): keep-alive connections on asyncio streams, a small pool per event loop, JSON in and out.

At 64 model calls in flight the ``openai`` SDK and httpx spent most of a generation process's CPU on building
requests, checking their pools and task bookkeeping (bench_pipeline_llm.py); this client does only what a
chat-completions call over a trusted local link needs. HTTPS and the providers' own endpoints keep the SDK.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["WireConnectError", "WireLostError", "WirePool", "WireReply", "WireTimeout", "close_loop_pools",
           "lean_url"]

#: Seconds an idle connection is kept: under the 5 s keep-alive of uvicorn (vLLM, SGLang), so the server does not
#: close it just as we send on it.
IDLE_EXPIRY_S = 4.0
#: Idle connections kept per pool; more are closed as their requests end.
MAX_IDLE = 256
_HEAD_END = b"\r\n\r\n"


class WireConnectError(OSError):
    """No connection could be opened (refused, unreachable, name not found)."""


class WireLostError(OSError):
    """The connection broke, or the server's reply was no HTTP/1.1 reply, before the reply was whole."""


class WireTimeout(TimeoutError):
    """No whole reply within the request's timeout."""


@dataclass(frozen=True)
class WireReply:
    """One HTTP reply: status, headers (names in lower case) and the body."""

    status: int
    headers: dict[str, str]
    body: bytes


def lean_url(base_url: str | None) -> bool:
    """Whether the lean client can reach ``base_url``: plain ``http://`` with a host, no credentials or query."""
    if not base_url:
        return False
    url = urlsplit(base_url)
    return url.scheme == "http" and bool(url.hostname) and not url.username and not url.query and not url.fragment


class _Connection:
    __slots__ = ("reader", "writer", "idle_since")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.idle_since = 0.0

    def usable(self, now: float) -> bool:
        return now - self.idle_since < IDLE_EXPIRY_S and not self.writer.is_closing() and not self.reader.at_eof()

    def abort(self) -> None:
        """Close at once: the server sees the hang-up now (a cancelled request stops being answered)."""
        self.writer.transport.abort()


# every pool made on a loop, so the loop's owner can close their idle connections before closing it
_LOOP_POOLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, weakref.WeakSet[WirePool]] = \
    weakref.WeakKeyDictionary()


def close_loop_pools(loop: asyncio.AbstractEventLoop) -> None:
    """Close the idle connections of every pool made on ``loop`` (call it on the loop before closing it)."""
    for pool in list(_LOOP_POOLS.get(loop, ())):
        pool.close()


class WirePool:
    """Keep-alive HTTP/1.1 connections to one ``http://`` server, for the event loop that made it (make it on
    that loop).

    ``post`` sends one request on an idle connection (or a new one) and reads the whole reply (``Content-Length``,
    chunked, or up to the server's close); the connection goes back to the pool when the server keeps it open. A
    request that fails, times out or is cancelled closes its connection. A reused connection that the server had
    closed before reading the request (nothing of a reply came) is replaced by a new one once.
    """

    def __init__(self, base_url: str, *, headers: dict[str, str] | None = None) -> None:
        url = urlsplit(base_url)
        if not lean_url(base_url):
            raise ValueError("the lean HTTP client takes a plain http:// address with a host, no credentials or "
                             "query")
        self.host = url.hostname or ""
        self.port = url.port or 80
        self.prefix = url.path.rstrip("/")
        fields = {"Host": url.netloc, "Accept": "application/json", "Content-Type": "application/json",
                  "User-Agent": "funreason-mt", **(headers or {})}
        # Built once: the header lines every request repeats (the key, when there is one, is in here: never shown).
        self._fixed = "".join(f"{name}: {value}\r\n" for name, value in fields.items()).encode("latin-1")
        self._idle: list[_Connection] = []
        self.opened = 0  # connections opened over the pool's life (tests read it to see reuse)
        loop = asyncio.get_running_loop()
        pools = _LOOP_POOLS.get(loop)
        if pools is None:
            pools = _LOOP_POOLS[loop] = weakref.WeakSet()
        pools.add(self)

    def __repr__(self) -> str:  # never the headers: they may hold the key
        return f"WirePool(http://{self.host}:{self.port}{self.prefix}, idle={len(self._idle)})"

    @property
    def idle(self) -> int:
        return len(self._idle)

    def close(self) -> None:
        """Close the idle connections (requests under way keep theirs)."""
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.writer.close()

    async def post(self, path: str, body: bytes, timeout_s: float) -> WireReply:
        """POST ``body`` (JSON) to ``prefix + path``; the whole reply within ``timeout_s`` seconds, else
        :class:`WireTimeout`. Raises :class:`WireConnectError` or :class:`WireLostError` on a broken link."""
        request = (f"POST {self.prefix}{path} HTTP/1.1\r\n".encode("latin-1") + self._fixed
                   + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    connection, reused = self._take()
                    if connection is None:
                        connection = await self._open()
                    try:
                        reply, keep = await self._exchange(connection, request)
                    except BaseException as exc:
                        connection.abort()
                        if reused and isinstance(exc, _Stale):
                            continue  # the server had let it go: once more on a new connection
                        if isinstance(exc, _Stale):
                            raise WireLostError("the server closed the connection without a reply") from None
                        raise
                    if keep and len(self._idle) < MAX_IDLE:
                        connection.idle_since = time.monotonic()
                        self._idle.append(connection)
                    else:
                        connection.writer.close()
                    return reply
        except TimeoutError:
            raise WireTimeout(f"no whole reply within {timeout_s:g} s") from None

    def _take(self) -> tuple[_Connection | None, bool]:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()  # the most recent: the least likely to have expired
            if connection.usable(now):
                return connection, True
            connection.writer.close()
        return None, False

    async def _open(self) -> _Connection:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as exc:
            raise WireConnectError(exc.strerror or str(exc) or type(exc).__name__) from None
        self.opened += 1
        return _Connection(reader, writer)

    async def _exchange(self, connection: _Connection, request: bytes) -> tuple[WireReply, bool]:
        """Send ``request`` and read its reply; whether the connection may carry another request."""
        reader, writer = connection.reader, connection.writer
        replied = False  # a byte of the reply came: the server took the request
        try:
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(_HEAD_END)
            replied = True
            while True:
                status, version, headers = _head(head)
                if status >= 200:
                    break
                head = await reader.readuntil(_HEAD_END)  # 1xx (100 Continue, 103 Early Hints): the reply follows
            encoding = headers.get("transfer-encoding", "").lower()
            connection_header = headers.get("connection", "").lower()
            keep = "close" not in connection_header if version == "HTTP/1.1" else "keep-alive" in connection_header
            if status in (204, 304):
                body = b""
            elif "chunked" in encoding:
                body = await _chunked(reader)
            elif "content-length" in headers:
                try:
                    length = int(headers["content-length"])
                except ValueError:
                    raise WireLostError(f"the reply's Content-Length is no number: "
                                        f"{headers['content-length'][:40]!r}") from None
                body = await reader.readexactly(length) if length else b""
            else:  # the body runs to the server's close
                body, keep = await reader.read(), False
        except asyncio.IncompleteReadError as exc:
            if not replied and not exc.partial:
                raise _Stale() from None
            raise WireLostError("the server closed the connection in the middle of its reply") from None
        except asyncio.LimitOverrunError:
            raise WireLostError("the reply's header lines are longer than 64 KiB") from None
        except (ConnectionResetError, BrokenPipeError) as exc:
            if not replied:
                raise _Stale() from None
            raise WireLostError(f"the connection was reset in the middle of the reply ({exc})") from None
        except WireLostError:
            raise
        except OSError as exc:
            raise WireLostError(f"the connection broke ({exc.strerror or exc})") from None
        return WireReply(status, headers, body), keep


class _Stale(Exception):
    """The server closed (or reset) the connection before any byte of a reply: it did not take the request."""


def _head(head: bytes) -> tuple[int, str, dict[str, str]]:
    lines = head[:-4].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise WireLostError(f"the server's reply does not start with an HTTP/1.x status line: {lines[0][:60]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise WireLostError(f"the server's reply has a header line without a colon: {line[:60]!r}")
        name = name.strip().lower()
        value = value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return int(parts[1]), parts[0], headers


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    """A chunked body: ``size[;extension]`` lines, each chunk and its CRLF, a 0 chunk, then trailer lines."""
    parts: list[bytes] = []
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise WireLostError(f"a chunk of the reply has no size line: {line[:40]!r}") from None
        if size == 0:
            break
        parts.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise WireLostError("a chunk of the reply does not end with CRLF")
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailer fields, up to the empty line
        pass
    return b"".join(parts)
