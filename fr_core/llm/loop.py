"""One event loop for a run's model calls: threads doing CPU work hand their calls to it, and a sample's deadline
cancels the calls it still has pending, so nothing keeps spending after a timeout."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from fr_core.errors import LLMError
from fr_core.llm.base import LLMRequest, LLMResponse
from fr_core.llm.client import ManagedClient
from fr_core.llm.wire import close_loop_pools
from fr_core.types import Deadline

__all__ = ["CallLoop", "LoopClient", "calls_until"]

T = TypeVar("T")

#: The deadline of the sample the current thread works on (each thread has its own).
_DEADLINE: ContextVar[Deadline | None] = ContextVar("fr_call_deadline", default=None)

#: Seconds a thread holds the GIL before another may take it while a loop is open (Python's default is 5 ms). The
#: loop thread does the I/O of every call in flight: each reply waits this long for it when samples' threads are
#: busy, and at 5 ms that was 10 % of the rate at 32 in flight against a 200 ms server (bench_pipeline_llm.py).
SWITCH_INTERVAL_S = 0.001
_open_loops = [0, 0.0]  # loops open now, and the interval before the first of them
_open_lock = threading.Lock()


@contextmanager
def calls_until(deadline: Deadline | None) -> Iterator[None]:
    """Within the block, model calls made through a :class:`LoopClient` from this thread end at ``deadline``:
    a call still pending then is cancelled (its connection closed) and raises ``SampleTimeout``."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class CallLoop:
    """An asyncio event loop in a daemon thread that runs the model calls of every sample of a run; each call
    runs under the deadline of the sample that made it. Use as a context manager (``close`` cancels what is left)."""

    def __init__(self) -> None:
        with _open_lock:
            if not _open_loops[0]:
                _open_loops[1] = sys.getswitchinterval()
                sys.setswitchinterval(min(_open_loops[1], SWITCH_INTERVAL_S))
            _open_loops[0] += 1
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fr-model-calls", daemon=True)
        self._thread.start()

    def __enter__(self) -> CallLoop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for its result here, under this thread's deadline (``calls_until``)."""
        deadline = _DEADLINE.get()
        if deadline is not None:
            try:
                deadline.check("before a model call")
            except BaseException:
                coro.close()
                raise
        if self._loop.is_closed():
            coro.close()
            raise LLMError("the run's model-call loop is closed: the run has ended")
        future = asyncio.run_coroutine_threadsafe(self._bounded(coro, deadline), self._loop)
        try:
            return future.result()
        except TimeoutError:
            if deadline is None:
                raise
            deadline.check("waiting for a model reply (the call was cancelled)")
            raise
        except concurrent.futures.CancelledError:
            raise LLMError("a model call was cancelled because the run ended") from None

    @staticmethod
    async def _bounded(coro: Coroutine[Any, Any, T], deadline: Deadline | None) -> T:
        if deadline is None:
            return await coro
        # The loop's clock is time.monotonic(), the deadline's too.
        async with asyncio.timeout_at(deadline.at):
            return await coro

    def close(self) -> None:
        """Cancel the calls still running, stop the loop and its thread."""
        if self._loop.is_closed():
            return

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            close_loop_pools(asyncio.get_running_loop())  # the lean transport's idle connections
            await asyncio.sleep(0)  # their sockets close on the next turn of the loop

        asyncio.run_coroutine_threadsafe(cancel_all(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        with _open_lock:
            _open_loops[0] -= 1
            if not _open_loops[0]:
                sys.setswitchinterval(_open_loops[1])


class LoopClient:
    """A managed client whose blocking ``complete`` runs its async twin on a :class:`CallLoop`: the calling thread
    waits, the loop does the I/O, the profile's concurrency limit is awaited there, and the thread's deadline
    cancels the call."""

    def __init__(self, client: ManagedClient, loop: CallLoop) -> None:
        self.client, self.loop = client, loop

    def __repr__(self) -> str:
        return f"LoopClient({self.client!r})"

    def __getattr__(self, name: str) -> Any:  # profile, model, accounting, cache, reject: the managed client's
        return getattr(self.client, name)

    def complete(self, request: LLMRequest) -> LLMResponse:
        return self.loop.call(self.client.acomplete(request))

    async def acomplete(self, request: LLMRequest) -> LLMResponse:
        return await self.client.acomplete(request)
