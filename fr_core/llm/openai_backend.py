"""OpenAI chat-completions backend, also for OpenAI-compatible servers (vLLM, SGLang, Ollama, LM Studio) via base_url.

The ``openai`` SDK is imported when a backend is built (by the lean backend, which sends async calls to plain http://
servers over ``fr_core.llm.wire``, only for a blocking call).
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from typing import Any

from fr_core.errors import ConfigError, LLMError, ParseError
from fr_core.llm.base import ENCODED_REQUEST, LLMRequest, LLMResponse, RetryableError, Usage
from fr_core.llm.parsing import json_tool_call
from fr_core.llm.sdk import SDKBackend
from fr_core.llm.wire import WireConnectError, WireLostError, WirePool, WireReply, WireTimeout, lean_url
from fr_core.redact import scrub

__all__ = ["OpenAIBackend", "LeanOpenAIBackend"]


class OpenAIBackend(SDKBackend):
    """Chat completions with native tool calls; the key stays inside the SDK client, never in output."""

    provider = "openai"
    label = "OpenAI-compatible"
    default_host = "api.openai.com"

    def __init__(self, model: str, *, api_key: str | None = None, base_url: str | None = None,
                 timeout_s: float = 60.0) -> None:
        try:
            import openai
        except ImportError:  # pragma: no cover - openai is a declared dependency
            raise LLMError("the OpenAI backend needs the 'openai' package: pip install openai") from None
        super().__init__(openai, openai.OpenAI, openai.AsyncOpenAI, model, api_key=api_key, base_url=base_url,
                         timeout_s=timeout_s)

    def _params(self, request: LLMRequest) -> dict[str, Any]:
        params: dict[str, Any] = {"model": request.model or self.model,
                                  "messages": [dict(m) for m in request.messages]}
        if request.tools:
            params["tools"] = request.openai_tools()
        params.update(self._sampling(request))
        return params

    def _sampling(self, request: LLMRequest) -> dict[str, Any]:
        """The request's parameters besides model, messages and tools."""
        params: dict[str, Any] = {}
        if request.temperature is not None:
            params["temperature"] = request.temperature
        if request.max_tokens is not None:
            # OpenAI's own newer models only take max_completion_tokens; compatible servers know max_tokens.
            params["max_completion_tokens" if self.base_url is None else "max_tokens"] = request.max_tokens
        if request.seed is not None:
            params["seed"] = request.seed
        if request.response_format is not None:
            params["response_format"] = dict(request.response_format)
        return params

    def _create(self, client: Any, params: dict[str, Any]) -> Any:
        # The params are plain JSON already: posting them as they are skips the SDK's typed transform of every
        # message and tool schema, which costs ~10 ms of CPU a request with a large tool list (bench_eval.py).
        # The reply is taken as the JSON it is (cast_to=object): building the SDK's typed ChatCompletion and dumping
        # it back for ``raw`` was a tenth of the event loop's CPU at 64 in flight (bench_pipeline_llm.py).
        return client.post("/chat/completions", body=params, cast_to=object)

    def _response(self, completion: Any, latency_s: float) -> LLMResponse:
        choices = completion.get("choices")
        if not choices:
            raise LLMError(f"{self.label} server {self.where} returned no choices for model {self.model}")
        choice = choices[0]
        message = choice.get("message") or {}
        calls, ids, errors = [], [], []
        for tc in message.get("tool_calls") or []:
            function = tc.get("function")
            if function is None:  # custom (non-function) tool calls are not ours
                continue
            try:
                calls.append(json_tool_call({"name": function.get("name"),
                                             "arguments": function.get("arguments") or "{}"}))
                ids.append(tc.get("id"))
            except ParseError as exc:
                errors.append(f"{function.get('name')}: {exc}")
        reasoning = message.get("reasoning_content") or message.get("reasoning") or ""
        usage = completion.get("usage") or {}
        return LLMResponse(
            text=message.get("content") or "", tool_calls=tuple(calls), raw=completion,
            usage=Usage(usage.get("prompt_tokens", 0) or 0, usage.get("completion_tokens", 0) or 0),
            latency_s=latency_s, provider=self.provider, model=completion.get("model") or self.model,
            finish_reason=choice.get("finish_reason") or "", reasoning=reasoning if isinstance(reasoning, str) else "",
            tool_call_ids=tuple(ids), tool_call_errors=tuple(errors))


class LeanOpenAIBackend(OpenAIBackend):
    """The OpenAI backend whose async calls to a plain ``http://`` server (vLLM, SGLang, Ollama) go over our own
    keep-alive HTTP/1.1 connections (``fr_core.llm.wire``, a pool per event loop) instead of the SDK; blocking
    ``complete`` keeps the SDK. Same parameters, same reading of the reply, same errors as the SDK path: a timeout,
    a refused or broken connection, 408/409/429 (with Retry-After) and 5xx are transient, other 4xx permanent, and a
    200 whose body is no chat completion is transient. A cancelled call closes its connection."""

    def __init__(self, model: str, *, api_key: str | None = None, base_url: str | None = None,
                 timeout_s: float = 60.0) -> None:
        if not lean_url(base_url):
            raise ConfigError(f"the lean HTTP transport reaches plain http:// servers only, not {base_url!r}; "
                              'use transport = "sdk" (or "auto") for this profile')
        # The SDK (a second of imports on a busy machine) is loaded on the first blocking call only.
        SDKBackend.__init__(self, None, None, None, model, api_key=api_key, base_url=base_url, timeout_s=timeout_s)
        self.timeout_s = timeout_s
        # The key, when the profile names one, goes in the Authorization header of this server's requests only.
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._pools: weakref.WeakKeyDictionary[Any, WirePool] = weakref.WeakKeyDictionary()

    def complete(self, request: LLMRequest) -> LLMResponse:
        """A blocking call, through the SDK."""
        if self._sdk is None:
            import openai

            self._sdk, self._sync_cls, self._async_cls = openai, openai.OpenAI, openai.AsyncOpenAI
        return super().complete(request)

    def pool(self) -> WirePool:
        """The running event loop's connection pool to this server (made on first use)."""
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = WirePool(self.base_url or "", headers=self._headers)
        return pool

    async def acomplete(self, request: LLMRequest) -> LLMResponse:
        pool = self.pool()
        try:
            body = self._body(request)
        except (TypeError, ValueError) as exc:  # the SDK's path gives a body it cannot encode the same error
            raise RetryableError(f"the request to {self.where} could not be written as JSON ({exc})") from None
        started = time.perf_counter()
        try:
            reply = await pool.post("/chat/completions", body, self.timeout_s)
        except WireTimeout:
            raise self._error_of(RetryableError(f"{self.label} request to {self.where} timed out")) from None
        except WireConnectError as exc:
            raise self._error_of(RetryableError(f"cannot connect to {self.where} ({exc}); is the server running?"))\
                from None
        except WireLostError as exc:
            raise self._error_of(RetryableError(f"lost the connection to {self.where} ({exc})")) from None
        if not 200 <= reply.status < 300:
            raise self._error_of(self._status_error(reply.status, _error_detail(reply), reply.headers))
        try:
            payload = json.loads(reply.body)
        except ValueError as exc:
            if "json" not in reply.headers.get("content-type", ""):  # the SDK hands such a body back as text
                return self._read(reply.body.decode("utf-8", "replace"), time.perf_counter() - started)
            raise self._not_json(exc) from None
        return self._read(payload, time.perf_counter() - started)

    def _body(self, request: LLMRequest) -> bytes:
        """The JSON body (as the SDK writes one: UTF-8, no spaces, no NaN). The messages and tools are the
        canonical JSON the managed client made for the cache key when it hands them over (``ENCODED_REQUEST``),
        so a long history is encoded once per call, not twice."""
        handed = ENCODED_REQUEST.get()
        if handed is not None and handed[0] is request:
            messages, tools = handed[1], handed[2]
        else:
            messages, tools = _ENCODE([dict(m) for m in request.messages]), _ENCODE(request.openai_tools())
        text = f'{{"model":{_ENCODE(request.model or self.model)},"messages":{messages}'
        if request.tools:
            text += f',"tools":{tools}'
        for name, value in self._sampling(request).items():
            text += f',"{name}":{_ENCODE(value)}'
        return (text + "}").encode()

    @staticmethod
    def _error_of(error: LLMError) -> LLMError:
        error.args = (scrub(str(error)),)  # a server may echo the key it was sent
        return error


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _error_detail(reply: WireReply) -> str:
    """What the SDK puts in an HTTP error's message: ``Error code: N``, then the body's error message if any."""
    detail = f"Error code: {reply.status}"
    try:
        body = json.loads(reply.body)
    except ValueError:
        return detail
    error = body.get("error", body) if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return f"{detail} - {message}" if isinstance(message, str) and message else detail
