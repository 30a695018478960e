"""What the OpenAI and Anthropic backends share: SDK clients per event loop and mapping SDK errors to ours."""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any

from fr_core.errors import LLMError
from fr_core.llm.base import LLMRequest, LLMResponse, RetryableError, is_retryable_status, retry_after_seconds
from fr_core.redact import scrub

__all__ = ["SDKBackend"]

ASYNC_POOLS = 8  # SDK clients (connection pools) per event loop, taking requests in turn


class SDKBackend:
    """A backend over an official SDK module (``openai`` or ``anthropic``, same error classes); subclasses say
    how to build the parameters, which endpoint to call and how to read the payload. SDK retries are off: the
    managed client retries."""

    provider = ""
    label = ""
    default_host = ""

    def __init__(self, sdk: Any, sync_cls: Any, async_cls: Any, model: str, *, api_key: str | None,
                 base_url: str | None, timeout_s: float) -> None:
        self._sdk = sdk
        self._sync_cls, self._async_cls = sync_cls, async_cls
        self.model = model
        self.base_url = base_url
        # Local servers accept any key, but the SDKs refuse to start without one.
        self._options: dict[str, Any] = {"api_key": api_key or "not-needed", "base_url": base_url,
                                         "timeout": timeout_s, "max_retries": 0}
        self._client: Any = None  # the blocking SDK client, made on the first blocking call
        # event loop → its SDK clients and how many requests they were given (see acomplete)
        self._async_clients: weakref.WeakKeyDictionary[Any, tuple[list[Any], list[int]]] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:  # never show the options: they hold the key
        return f"{type(self).__name__}(model={self.model!r}, base_url={self.base_url!r})"

    @property
    def where(self) -> str:
        return self.base_url or self.default_host

    def _params(self, request: LLMRequest) -> dict[str, Any]:
        raise NotImplementedError

    def _create(self, client: Any, params: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _response(self, payload: Any, latency_s: float) -> LLMResponse:
        raise NotImplementedError

    def _error(self, exc: Exception) -> LLMError:
        """Our error for an SDK error, its text scrubbed: a server may echo the key it was sent."""
        error = self._classify(exc)
        error.args = (scrub(str(error)),)
        return error

    def _classify(self, exc: Exception) -> LLMError:
        sdk = self._sdk
        if isinstance(exc, sdk.APITimeoutError):
            return RetryableError(f"{self.label} request to {self.where} timed out")
        if isinstance(exc, sdk.APIConnectionError):
            return RetryableError(f"cannot connect to {self.where} ({exc}); is the server running?")
        if isinstance(exc, sdk.APIStatusError):
            return self._status_error(exc.status_code, exc.message, exc.response.headers)
        return LLMError(f"{self.label} SDK error from {self.where}: {exc}")

    def _status_error(self, status: int, detail: str, headers: Any) -> LLMError:
        """An HTTP error status: transient (timeout, conflict, 429 with its Retry-After, 5xx) or permanent."""
        message = f"{self.label} server {self.where} answered HTTP {status}: {detail}"
        if is_retryable_status(status):
            return RetryableError(message, status=status, retry_after=retry_after_seconds(headers))
        if status in (401, 403):
            message += "; check the API key environment variable of this profile"
        return LLMError(message)

    def _read(self, payload: Any, latency_s: float) -> LLMResponse:
        """The response in a payload; a body the SDK could not read as its reply type is a transient failure."""
        if isinstance(payload, (str, bytes)):  # the SDK hands back a body that was not JSON as it came
            raise RetryableError(f"{self.label} server {self.where} answered HTTP 200 with a body that is not JSON "
                                 f"({scrub(str(payload)[:80])!r})")
        try:
            return self._response(payload, latency_s)
        except (AttributeError, TypeError, KeyError) as exc:
            raise RetryableError(f"{self.label} server {self.where} answered HTTP 200 with a reply that is not a "
                                 f"{self.label} reply ({type(exc).__name__}: {scrub(str(exc))[:120]})") from None

    def _not_json(self, exc: ValueError) -> RetryableError:
        return RetryableError(f"{self.label} server {self.where} answered with a body that is not JSON ({exc})")

    def complete(self, request: LLMRequest) -> LLMResponse:
        params = self._params(request)
        started = time.perf_counter()
        try:
            if self._client is None:
                self._client = self._sync_cls(**self._options)
            payload = self._create(self._client, params)
        except self._sdk.APIError as exc:
            raise self._error(exc) from None
        except ValueError as exc:  # the SDK's json.loads of a body the server said was JSON
            raise self._not_json(exc) from None
        return self._read(payload, time.perf_counter() - started)

    async def acomplete(self, request: LLMRequest) -> LLMResponse:
        loop = asyncio.get_running_loop()
        clients = self._async_clients.get(loop)
        if clients is None:  # an httpx async pool belongs to one event loop
            clients = self._async_clients[loop] = ([], [0])
        # Requests take turns over ASYNC_POOLS clients: an httpx pool looks at each of its connections for every
        # request it sends (expired? idle?), so one pool of 64 connections costs several times the CPU of eight
        # pools of 8 (bench_pipeline_llm.py at 64 in flight: a quarter of the loop's time was that look).
        pool, turn = clients
        turn[0] += 1
        if len(pool) < ASYNC_POOLS:
            pool.append(self._async_cls(**self._options))
        client = pool[turn[0] % len(pool)]
        params = self._params(request)
        started = time.perf_counter()
        try:
            payload = await self._create(client, params)
        except self._sdk.APIError as exc:
            raise self._error(exc) from None
        except ValueError as exc:
            raise self._not_json(exc) from None
        return self._read(payload, time.perf_counter() - started)
