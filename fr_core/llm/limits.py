"""Process-wide limits per model profile: in-flight requests, requests per minute, tokens per minute.

One limiter serves threads and asyncio tasks (on any event loop) alike, so every caller in a process shares it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = ["SharedSemaphore", "RateLimiter", "ProfileLimits", "limits_for"]


class _Waiter:
    __slots__ = ("event", "loop", "future", "granted")

    def __init__(self, event: threading.Event | None = None, loop: Any = None, future: Any = None) -> None:
        self.event, self.loop, self.future, self.granted = event, loop, future, False


class SharedSemaphore:
    """A counting semaphore usable from threads (``acquire``) and coroutines (``aacquire``), FIFO, loop-agnostic."""

    def __init__(self, value: int) -> None:
        self._value = value
        self._lock = threading.Lock()
        self._waiters: deque[_Waiter] = deque()

    def acquire(self) -> None:
        with self._lock:
            if self._value > 0 and not self._waiters:
                self._value -= 1
                return
            waiter = _Waiter(event=threading.Event())
            self._waiters.append(waiter)
        waiter.event.wait()  # type: ignore[union-attr]

    async def aacquire(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._value > 0 and not self._waiters:
                self._value -= 1
                return
            waiter = _Waiter(loop=loop, future=loop.create_future())
            self._waiters.append(waiter)
        try:
            await waiter.future
        except asyncio.CancelledError:
            with self._lock:
                granted = waiter.granted
                if not granted:
                    self._waiters.remove(waiter)
            if granted:  # the permit arrived as we were cancelled: pass it on
                self.release()
            raise

    def release(self) -> None:
        with self._lock:
            if not self._waiters:
                self._value += 1
                return
            waiter = self._waiters.popleft()
            waiter.granted = True
        running = _running_loop()
        if waiter.event is not None:
            waiter.event.set()
        elif running is not None and running is waiter.loop:  # same loop: no need to wake it through its self-pipe
            running.call_soon(_resolve, waiter.future)
        else:
            waiter.loop.call_soon_threadsafe(_resolve, waiter.future)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class RateLimiter:
    """A token bucket of ``per_minute`` units; ``reserve(n)`` takes n units now and says how long to wait first."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._level = float(per_minute)
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def reserve(self, units: float) -> float:
        """Seconds the caller must wait before using ``units``; the units are taken (the bucket may go negative)."""
        units = min(units, self.per_minute)  # one huge request must still pass eventually
        with self._lock:
            now = time.monotonic()
            self._level = min(self.per_minute, self._level + (now - self._stamp) * self._rate)
            self._stamp = now
            self._level -= units
            return 0.0 if self._level >= 0 else -self._level / self._rate

    def adjust(self, units: float) -> None:
        """Give back (negative) or charge (positive) units once the true token count is known; at most a
        minute's worth either way, so no reported count can stall the bucket for long."""
        units = max(-self.per_minute, min(self.per_minute, units))
        with self._lock:
            self._level = max(-self.per_minute, min(self.per_minute, self._level - units))


@dataclass
class ProfileLimits:
    """The limits of one profile: concurrency and optional requests / tokens per minute."""

    concurrency: SharedSemaphore
    requests: RateLimiter | None
    tokens: RateLimiter | None


_REGISTRY: dict[tuple[str, int, int | None, int | None], ProfileLimits] = {}
_REGISTRY_LOCK = threading.Lock()


def limits_for(name: str, concurrency: int, rpm: int | None, tpm: int | None) -> ProfileLimits:
    """The process-wide limits of a profile: every client built from the same profile shares them."""
    key = (name, concurrency, rpm, tpm)
    with _REGISTRY_LOCK:
        if key not in _REGISTRY:
            _REGISTRY[key] = ProfileLimits(SharedSemaphore(concurrency),
                                           RateLimiter(rpm) if rpm else None,
                                           RateLimiter(tpm) if tpm else None)
        return _REGISTRY[key]
