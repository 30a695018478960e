"""A fleet of OpenAI-compatible endpoints behind one backend: least-in-flight spreading, per-endpoint limits,
failover of a failed or timed-out request to another endpoint."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from fr_core.errors import ConfigError
from fr_core.llm.base import LLMClient, LLMRequest, LLMResponse, RetryableError
from fr_core.llm.limits import SharedSemaphore

__all__ = ["EndpointStats", "FleetBackend"]


@dataclass(frozen=True)
class EndpointStats:
    """What one endpoint of a fleet served: requests sent, transient failures, and requests in flight now."""

    where: str
    requests: int
    failures: int
    in_flight: int


class _Endpoint:
    def __init__(self, backend: LLMClient, where: str, concurrency: int) -> None:
        self.backend, self.where = backend, where
        self.slots = SharedSemaphore(concurrency)
        self.requests = self.failures = self.in_flight = 0
        self.failed_at = float("-inf")

    def call(self, request: LLMRequest) -> LLMResponse:
        self.slots.acquire()
        try:
            return self.backend.complete(request)
        finally:
            self.slots.release()

    async def acall(self, request: LLMRequest) -> LLMResponse:
        await self.slots.aacquire()
        try:
            return await self.backend.acomplete(request)
        finally:
            self.slots.release()


class FleetBackend:
    """An ``LLMClient`` over several backends (one per server). Each request goes to the healthy endpoint with
    the fewest requests in flight (ties in turn); a transient error or timeout sends it to an endpoint it has not
    tried yet, and only when every endpoint failed does the error reach the managed client, which backs off and
    retries. An endpoint that just failed is avoided for ``cooldown_s`` while another one is healthy."""

    def __init__(self, backends: Sequence[LLMClient], wheres: Sequence[str], *, concurrency: int = 8,
                 cooldown_s: float = 2.0) -> None:
        if not backends or len(backends) != len(wheres):
            raise ConfigError("FleetBackend needs one endpoint address per backend, and at least one backend")
        self._endpoints = [_Endpoint(b, w, concurrency) for b, w in zip(backends, wheres)]
        self.cooldown_s = cooldown_s
        self._lock = threading.Lock()
        self._turn = itertools.count()

    def __repr__(self) -> str:
        return f"FleetBackend({[e.where for e in self._endpoints]!r})"

    def stats(self) -> list[EndpointStats]:
        """Per-endpoint counts since the backend was built, in the order the endpoints were given."""
        with self._lock:
            return [EndpointStats(e.where, e.requests, e.failures, e.in_flight) for e in self._endpoints]

    def _pick(self, tried: set[int]) -> _Endpoint | None:
        now, turn = time.monotonic(), next(self._turn)
        n = len(self._endpoints)
        with self._lock:
            choices = [(now - e.failed_at < self.cooldown_s, e.in_flight, (i - turn) % n, i)
                       for i, e in enumerate(self._endpoints) if id(e) not in tried]
            if not choices:
                return None
            endpoint = self._endpoints[min(choices)[3]]
            endpoint.in_flight += 1
            endpoint.requests += 1
            return endpoint

    def _done(self, endpoint: _Endpoint, failed: bool) -> None:
        with self._lock:
            endpoint.in_flight -= 1
            if failed:
                endpoint.failures += 1
                endpoint.failed_at = time.monotonic()

    # complete / acomplete are twins: one pass over the fleet, one blocking, one awaiting.
    def complete(self, request: LLMRequest) -> LLMResponse:
        tries = _Pass(self)
        for endpoint in tries:
            with tries.attempt(endpoint):
                return endpoint.call(request)
        raise tries.failed()

    async def acomplete(self, request: LLMRequest) -> LLMResponse:
        tries = _Pass(self)
        for endpoint in tries:
            with tries.attempt(endpoint):
                return await endpoint.acall(request)
        raise tries.failed()


class _Pass:
    """One request's pass over a fleet: the endpoints it has not tried yet, best first, and their errors."""

    def __init__(self, fleet: FleetBackend) -> None:
        self.fleet, self.tried, self.errors = fleet, set[int](), list[str]()

    def __iter__(self) -> Iterator[_Endpoint]:
        while (endpoint := self.fleet._pick(self.tried)) is not None:
            self.tried.add(id(endpoint))
            yield endpoint

    @contextmanager
    def attempt(self, endpoint: _Endpoint) -> Iterator[None]:
        """Around one call to the endpoint: a transient error is noted and swallowed, so the pass tries the next."""
        failed = False
        try:
            yield
        except RetryableError as exc:
            failed = True
            self.errors.append(str(exc))
        finally:
            self.fleet._done(endpoint, failed)

    def failed(self) -> RetryableError:
        return RetryableError(f"all {len(self.tried)} endpoints of the fleet failed: " + "; ".join(self.errors))
