"""The managed LLM client: any backend plus cache, retries with backoff, shared limits, accounting and call events.

``build_client("profile-name")`` is the usual entry; every call returns an ``LLMResponse`` whose ``event`` says what
happened, and the same event goes to ``on_event`` (stages put it in their traces).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fr_core.errors import ConfigError, LLMCallError, LLMError, LLMTransportError
from fr_core.llm.base import (
    ENCODED_REQUEST,
    LLMCallEvent,
    LLMClient,
    LLMRequest,
    LLMResponse,
    RetryableError,
    Usage,
    estimate_tokens,
    implausible_usage,
)
from fr_core.llm.cache import CacheMode, LLMCache, keyed_parts
from fr_core.llm.config import ModelProfile, get_profile, resolve_api_key, uses_lean_transport
from fr_core.llm.limits import ProfileLimits, limits_for

__all__ = ["RetryPolicy", "UsageTotals", "Accounting", "ManagedClient", "build_client"]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; a server's Retry-After wins (capped). Tests use tiny delays."""

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    jitter: float = 0.5
    max_retry_after_s: float = 120.0

    def delay(self, attempt: int, error: RetryableError, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if error.retry_after is not None:
            return min(error.retry_after, self.max_retry_after_s)
        base = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return base * (1 - self.jitter * rng.random())


@dataclass(frozen=True)
class UsageTotals:
    """Totals over the calls an ``Accounting`` saw; tokens and cost count live calls only (cache hits are free).
    ``failures`` counts every failed call, ``transport_failures`` those of them the server caused;
    ``implausible_usage`` counts calls whose reported tokens were not believed (and not charged)."""

    requests: int = 0
    cache_hits: int = 0
    failures: int = 0
    retries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    transport_failures: int = 0
    implausible_usage: int = 0

    def __add__(self, other: UsageTotals) -> UsageTotals:
        return UsageTotals(*(a + b for a, b in zip(self._values(), other._values())))

    def __sub__(self, other: UsageTotals) -> UsageTotals:
        return UsageTotals(*(a - b for a, b in zip(self._values(), other._values())))

    def _values(self) -> tuple[Any, ...]:
        return (self.requests, self.cache_hits, self.failures, self.retries, self.input_tokens,
                self.output_tokens, self.cost_usd, self.transport_failures, self.implausible_usage)


class Accounting:
    """Thread-safe per-run token and cost totals, by ``provider:model``; share one across a run's clients."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_model: dict[str, list[float]] = {}

    def record(self, event: LLMCallEvent) -> None:
        live = not event.cached and event.error is None
        delta = (1, int(event.cached), int(event.error is not None), max(0, event.attempts - 1),
                 event.usage.input_tokens if live else 0, event.usage.output_tokens if live else 0, event.cost_usd,
                 int(event.transport), int(event.usage_note is not None))
        name = f"{event.provider}:{event.model}"
        with self._lock:
            row = self._by_model.setdefault(name, [0] * len(delta))
            for i, value in enumerate(delta):
                row[i] += value

    def merge(self, by_model: Mapping[str, UsageTotals]) -> None:
        """Add totals counted elsewhere (e.g. by a Ray worker), by ``provider:model``."""
        with self._lock:
            for name, totals in by_model.items():
                row = self._by_model.setdefault(name, [0] * len(totals._values()))
                for i, value in enumerate(totals._values()):
                    row[i] += value

    def totals(self) -> UsageTotals:
        return sum(self.by_model().values(), UsageTotals())

    def by_model(self) -> dict[str, UsageTotals]:
        with self._lock:
            return {name: UsageTotals(*row) for name, row in self._by_model.items()}  # type: ignore[arg-type]


class ManagedClient:
    """An ``LLMClient`` around a backend: cache, retries, process-wide limits, accounting and call events."""

    def __init__(self, backend: LLMClient, profile: ModelProfile, *, cache: LLMCache | None = None,
                 retry: RetryPolicy | None = None, accounting: Accounting | None = None,
                 on_event: Callable[[LLMCallEvent], None] | None = None) -> None:
        self.backend = backend
        self.profile = profile
        self.cache = cache
        self.retry = retry or RetryPolicy(max_attempts=profile.max_attempts)
        self.accounting = accounting if accounting is not None else Accounting()
        self.on_event = on_event
        # A fleet's concurrency is per server (the fleet backend enforces it), so the whole profile allows N times it.
        width = profile.concurrency * max(1, len(profile.base_urls))
        self.limits: ProfileLimits = limits_for(profile.name, width, profile.rpm, profile.tpm)
        self._rng = random.Random()

    def __repr__(self) -> str:
        return f"ManagedClient(profile={self.profile.name!r}, backend={self.backend!r})"

    # -------------------------------------------------------------------------------------------- shared steps
    def _prepare(self, request: LLMRequest) -> tuple[LLMRequest, str, str, str, str]:
        """The request with its model, its cache key, the canonical JSON the key hashes, and the canonical JSON of
        its messages and of its tools (for ``ENCODED_REQUEST``)."""
        if not request.model:
            request = replace(request, model=self.profile.model)
        return (request, *keyed_parts(self.profile.provider, request.model, request, self.endpoint))

    @property
    def endpoint(self) -> str:
        """The server(s) answering this profile, part of every cache key: a reply of one server is never
        served for another."""
        return " ".join(self.profile.endpoints)

    def reject(self, key: str, reason: str) -> None:
        """Mark the cached reply under ``key`` as unusable (it failed to parse) so it is asked again next time."""
        if self.cache is not None:
            self.cache.reject(key, reason)

    def _event(self, request: LLMRequest, key: str, started: float, **fields: Any) -> LLMCallEvent:
        event = LLMCallEvent(label=request.label, provider=self.profile.provider, model=request.model,
                             cache_key=key, request=request.summary(), started_at=started, **fields)
        self.accounting.record(event)
        if self.on_event is not None:
            self.on_event(event)
        return event

    def _cached(self, request: LLMRequest, key: str, started: float, clock: float) -> LLMResponse | None:
        if self.cache is None:
            return None
        try:
            hit = self.cache.get(key)
        except LLMError as exc:  # a replay-only miss
            raise self._failed(request, key, started, clock, 0, exc) from None
        if hit is None:
            return None
        latency = time.perf_counter() - clock
        event = self._event(request, key, started, text=hit.text, tool_calls=hit.tool_calls, usage=hit.usage,
                            latency_s=latency, cost_usd=0.0, cached=True, attempts=0)
        return replace(hit, cached=True, latency_s=latency, cost_usd=0.0, event=event)

    def _succeeded(self, request: LLMRequest, key: str, started: float, clock: float, attempts: int,
                   response: LLMResponse, canonical: str) -> LLMResponse:
        note = implausible_usage(response.usage)
        if note is not None:  # the raw payload keeps what the server claimed
            response = replace(response, usage=Usage())
        cost = self.profile.cost(response.usage.input_tokens, response.usage.output_tokens)
        response = replace(response, cost_usd=cost, cached=False, provider=response.provider or self.profile.provider)
        # Tool calls whose arguments are not JSON would be the same broken reply on every later run.
        if self.cache is not None and not response.tool_call_errors:
            self.cache.put(key, canonical, response)
        if self.limits.tokens is not None:
            self.limits.tokens.adjust(response.usage.total_tokens - estimate_tokens(request))
        latency = time.perf_counter() - clock
        event = self._event(request, key, started, text=response.text, tool_calls=response.tool_calls,
                            usage=response.usage, latency_s=latency, cost_usd=cost, attempts=attempts,
                            usage_note=note)
        return replace(response, latency_s=response.latency_s or latency, event=event)

    def _failed(self, request: LLMRequest, key: str, started: float, clock: float, attempts: int,
                error: LLMError) -> LLMCallError:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        transport = isinstance(error, RetryableError)
        event = self._event(request, key, started, latency_s=time.perf_counter() - clock, attempts=attempts,
                            error=str(error), transport=transport)
        where = f"profile {self.profile.name!r} ({self.profile.provider}:{request.model})"
        if transport:
            return LLMTransportError(f"transport failure: {where} got no usable answer{tries}: {error}; "
                                     "check the server, or raise max_attempts in the profile", event)
        return LLMCallError(f"{where} failed{tries}: {error}", event)

    def _wait_for_rate(self, request: LLMRequest) -> float:
        wait = 0.0
        if self.limits.requests is not None:
            wait = max(wait, self.limits.requests.reserve(1))
        if self.limits.tokens is not None:
            wait = max(wait, self.limits.tokens.reserve(estimate_tokens(request)))
        return wait

    def _retry_delay(self, request: LLMRequest, key: str, started: float, clock: float, attempts: int,
                     error: LLMError) -> float:
        """Seconds to wait before the next attempt, or raise the final LLMCallError."""
        if isinstance(error, RetryableError) and attempts < self.retry.max_attempts:
            return self.retry.delay(attempts, error, self._rng)
        raise self._failed(request, key, started, clock, attempts, error) from error

    # -------------------------------------------------------------------------------------------- public calls
    # complete / acomplete are twins: the same steps, one blocking, one awaiting.
    def complete(self, request: LLMRequest) -> LLMResponse:
        """Answer one request (from the cache when it has it), retrying transient failures."""
        started, clock = time.time(), time.perf_counter()
        request, key, canonical, _, _ = self._prepare(request)
        hit = self._cached(request, key, started, clock)
        if hit is not None:
            return hit
        attempt = 0
        while True:
            attempt += 1
            wait = self._wait_for_rate(request)
            if wait:
                time.sleep(wait)
            self.limits.concurrency.acquire()
            try:
                response: LLMResponse | None = self.backend.complete(request)
            except LLMError as exc:
                response, delay = None, self._retry_delay(request, key, started, clock, attempt, exc)
            finally:
                self.limits.concurrency.release()
            if response is not None:  # the slot is free again before caching and callbacks
                return self._succeeded(request, key, started, clock, attempt, response, canonical)
            time.sleep(delay)

    async def acomplete(self, request: LLMRequest) -> LLMResponse:
        """The async twin of ``complete``; limits are shared with threads and other event loops."""
        started, clock = time.time(), time.perf_counter()
        request, key, canonical, messages, tools = self._prepare(request)
        hit = self._cached(request, key, started, clock)
        if hit is not None:
            return hit
        attempt = 0
        handed = ENCODED_REQUEST.set((request, messages, tools))
        try:
            while True:
                attempt += 1
                wait = self._wait_for_rate(request)
                if wait:
                    await asyncio.sleep(wait)
                await self.limits.concurrency.aacquire()
                try:
                    response: LLMResponse | None = await self.backend.acomplete(request)
                except LLMError as exc:
                    response, delay = None, self._retry_delay(request, key, started, clock, attempt, exc)
                finally:
                    self.limits.concurrency.release()
                if response is not None:  # the slot is free again before caching and callbacks
                    return self._succeeded(request, key, started, clock, attempt, response, canonical)
                await asyncio.sleep(delay)
        except asyncio.CancelledError:  # a deadline: the call is dropped, and counted as a failed one
            self._event(request, key, started, latency_s=time.perf_counter() - clock, attempts=attempt,
                        error="cancelled: the caller's deadline passed before the reply")
            raise
        finally:
            ENCODED_REQUEST.reset(handed)


def _backend(profile: ModelProfile, env: Mapping[str, str] | None) -> LLMClient:
    if profile.provider == "openai":
        from fr_core.llm.openai_backend import LeanOpenAIBackend, OpenAIBackend

        key = resolve_api_key(profile, env)

        def one(url: str | None) -> OpenAIBackend:  # the lean backend refuses a URL it cannot reach
            kind = LeanOpenAIBackend if uses_lean_transport(profile, url) else OpenAIBackend
            return kind(profile.model, api_key=key, base_url=url, timeout_s=profile.timeout_s)

        if profile.base_urls:  # a fleet: one backend per server, each limited to the profile's concurrency
            from fr_core.llm.fleet import FleetBackend

            return FleetBackend([one(url) for url in profile.base_urls], profile.base_urls,
                                concurrency=profile.concurrency)
        return one(profile.base_url)
    if profile.provider == "anthropic":
        from fr_core.llm.anthropic_backend import AnthropicBackend

        return AnthropicBackend(profile.model, api_key=resolve_api_key(profile, env), base_url=profile.base_url,
                                timeout_s=profile.timeout_s)
    if profile.provider == "offline":
        raise ConfigError(f"profile {profile.name!r} uses the 'offline' provider, which has no LLM: use the offline "
                          "heuristic agents (fr_core.agents) instead of an LLM client")
    raise ConfigError(f"profile {profile.name!r} uses provider {profile.provider!r}, which needs a backend: "
                      "pass backend=ScriptedClient(...) to build_client")


def build_client(profile_or_name: ModelProfile | str, *, cache: LLMCache | str | Path | None = None,
                 cache_mode: CacheMode = "use", profiles_path: str | Path | None = None,
                 accounting: Accounting | None = None, on_event: Callable[[LLMCallEvent], None] | None = None,
                 retry: RetryPolicy | None = None, backend: LLMClient | None = None,
                 env: Mapping[str, str] | None = None) -> ManagedClient:
    """A managed client for a profile (a name from the TOML file, ``"provider:model"``, or a ModelProfile).

    ``cache`` may be an ``LLMCache`` or a SQLite path (opened with ``cache_mode``); ``backend`` replaces the
    provider's SDK backend (e.g. a ``ScriptedClient``); ``env`` replaces ``os.environ`` for key lookup.
    """
    profile = get_profile(profile_or_name, profiles_path) if isinstance(profile_or_name, str) else profile_or_name
    if isinstance(cache, (str, Path)):
        cache = LLMCache(cache, cache_mode)
    return ManagedClient(backend if backend is not None else _backend(profile, env), profile, cache=cache,
                         retry=retry, accounting=accounting, on_event=on_event)
