"""Anthropic messages-API backend: OpenAI-form messages in, ``tool_use`` blocks out as ToolCalls.

System messages become the ``system`` parameter, ``tool`` messages become ``tool_result`` blocks. Anthropic has no
``seed`` (ignored here, but it still distinguishes cache entries); a JSON-schema ``response_format`` becomes a forced
tool whose input is returned as the reply text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fr_core.errors import LLMError
from fr_core.llm.base import LLMRequest, LLMResponse, Usage, tool_to_openai
from fr_core.llm.sdk import SDKBackend
from fr_core.types import ToolCall

__all__ = ["AnthropicBackend", "to_anthropic_messages", "DEFAULT_MAX_TOKENS", "JSON_REPLY_TOOL"]

#: The forced tool that carries a structured (JSON-schema) reply; its input comes back as the reply text.
JSON_REPLY_TOOL = "json_reply"

#: The messages API requires max_tokens; used when the request leaves it open.
DEFAULT_MAX_TOKENS = 4096


def _text_blocks(content: Any) -> list[dict[str, Any]]:
    if content is None or content == "":
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks = []
    for part in content:  # OpenAI content parts
        if isinstance(part, Mapping) and part.get("type") == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        elif isinstance(part, Mapping):
            blocks.append(dict(part))
    return blocks


def to_anthropic_messages(messages: tuple[Mapping[str, Any], ...]) -> tuple[str, list[dict[str, Any]]]:
    """``(system, messages)`` for the messages API from OpenAI chat messages; same-role neighbours are merged."""
    system: list[str] = []
    out: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if not blocks:
            return
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})

    for i, message in enumerate(messages):
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend(b["text"] for b in _text_blocks(message.get("content")) if b.get("type") == "text")
        elif role == "user":
            add("user", _text_blocks(message.get("content")))
        elif role == "assistant":
            blocks = _text_blocks(message.get("content"))
            for tc in message.get("tool_calls") or []:
                function = tc.get("function", tc)
                arguments = function.get("arguments", {})
                if isinstance(arguments, str):
                    try:
                        arguments = json.loads(arguments or "{}")
                    except ValueError:
                        raise LLMError(f"message {i}: tool call arguments are not valid JSON: {arguments[:80]}") \
                            from None
                blocks.append({"type": "tool_use", "id": tc.get("id", f"call_{i}"), "name": function["name"],
                               "input": arguments})
            add("assistant", blocks)
        elif role == "tool":
            content = message.get("content", "")
            add("user", [{"type": "tool_result", "tool_use_id": message.get("tool_call_id", ""),
                          "content": content if isinstance(content, str) else json.dumps(content)}])
        else:
            raise LLMError(f"message {i} has role {role!r}; the Anthropic backend knows system, user, assistant, tool")
    return "\n\n".join(system), out


class AnthropicBackend(SDKBackend):
    """Messages-API calls with ``tool_use`` blocks; the key stays inside the SDK client."""

    provider = "anthropic"
    label = "Anthropic"
    default_host = "api.anthropic.com"

    def __init__(self, model: str, *, api_key: str | None = None, base_url: str | None = None,
                 timeout_s: float = 60.0) -> None:
        try:
            import anthropic
        except ImportError:  # pragma: no cover - anthropic is a declared dependency
            raise LLMError("the Anthropic backend needs the 'anthropic' package: pip install anthropic") from None
        super().__init__(anthropic, anthropic.Anthropic, anthropic.AsyncAnthropic, model, api_key=api_key,
                         base_url=base_url, timeout_s=timeout_s)

    def _params(self, request: LLMRequest) -> dict[str, Any]:
        system, messages = to_anthropic_messages(request.messages)
        params: dict[str, Any] = {"model": request.model or self.model, "messages": messages,
                                  "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS}
        if system:
            params["system"] = system
        if request.tools:
            params["tools"] = [{"name": f["name"], "description": f.get("description", ""),
                                "input_schema": f.get("parameters", {"type": "object", "properties": {}})}
                               for f in (tool_to_openai(t)["function"] for t in request.tools)]
        schema = (request.response_format or {}).get("json_schema") if request.response_format else None
        if schema and not request.tools:  # structured output: a forced tool whose input is the reply
            params["tools"] = [{"name": JSON_REPLY_TOOL, "description": "Give the reply as this JSON object.",
                                "input_schema": schema.get("schema", {"type": "object"})}]
            params["tool_choice"] = {"type": "tool", "name": JSON_REPLY_TOOL}
        if request.temperature is not None:
            # Newer SDKs dropped the keyword (newer models fix sampling); older models still accept the field.
            params["extra_body"] = {"temperature": request.temperature}
        return params

    def _create(self, client: Any, params: dict[str, Any]) -> Any:
        return client.messages.create(**params)

    def _response(self, message: Any, latency_s: float) -> LLMResponse:
        texts, thinking, calls, ids = [], [], [], []
        for block in message.content:
            if block.type == "text":
                texts.append(block.text)
            elif block.type == "thinking":
                thinking.append(block.thinking)
            elif block.type == "tool_use" and block.name == JSON_REPLY_TOOL:
                texts.append(json.dumps(block.input or {}, ensure_ascii=False))
            elif block.type == "tool_use":
                calls.append(ToolCall(block.name, dict(block.input or {})))
                ids.append(block.id)
        usage = message.usage
        return LLMResponse(
            text="".join(texts), tool_calls=tuple(calls), raw=message.model_dump(mode="json"),
            usage=Usage(usage.input_tokens or 0, usage.output_tokens or 0), latency_s=latency_s,
            provider=self.provider, model=message.model or self.model, finish_reason=message.stop_reason or "",
            reasoning="\n\n".join(thinking), tool_call_ids=tuple(ids))
