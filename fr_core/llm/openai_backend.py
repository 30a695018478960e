"""OpenAI chat-completions backend, also for OpenAI-compatible servers (vLLM, SGLang, Ollama, LM Studio) via base_url.

The ``openai`` SDK is imported when a backend is built.
"""

from __future__ import annotations

from typing import Any

from fr_core.errors import LLMError, ParseError
from fr_core.llm.base import LLMRequest, LLMResponse, Usage
from fr_core.llm.parsing import json_tool_call
from fr_core.llm.sdk import SDKBackend

__all__ = ["OpenAIBackend"]


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
