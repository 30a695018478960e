"""Typed LLM requests and responses, and the ``LLMClient`` protocol every backend implements (call events and
``Usage`` are shared data in :mod:`fr_core.types`)."""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from fr_core.errors import LLMCallError, LLMError, LLMTransportError
from fr_core.types import LLMCallEvent, ToolCall, ToolSpec, Usage

__all__ = [
    "Usage",
    "LLMRequest",
    "LLMResponse",
    "LLMCallEvent",
    "LLMClient",
    "RetryableError",
    "LLMCallError",
    "LLMTransportError",
    "MAX_CALL_TOKENS",
    "implausible_usage",
    "tool_to_openai",
    "estimate_tokens",
    "is_retryable_status",
    "retry_after_seconds",
]


#: More tokens than any model takes or writes in one call: a server reporting more is not believed.
MAX_CALL_TOKENS = 10_000_000


def implausible_usage(usage: Usage) -> str | None:
    """Why a server's token counts cannot be true (not whole numbers, negative, beyond ``MAX_CALL_TOKENS``), or
    ``None`` when they are plausible; implausible counts are recorded as such and never charged."""
    for name in ("input_tokens", "output_tokens"):
        value = getattr(usage, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CALL_TOKENS:
            return (f"the server reported {name}={value!r}, not a whole number from 0 to {MAX_CALL_TOKENS:,}; "
                    "the call is not charged")
    return None


def tool_to_openai(tool: ToolSpec | Mapping[str, Any]) -> dict[str, Any]:
    """One ``tools`` entry in OpenAI form, from a ToolSpec, an OpenAI dict or a bare ``{"name", "parameters"}``."""
    if isinstance(tool, ToolSpec):
        return tool.to_openai()
    tool = dict(tool)
    if tool.get("type") == "function" and isinstance(tool.get("function"), Mapping):
        return tool
    if "name" in tool:
        return {"type": "function", "function": {
            "name": tool["name"], "description": tool.get("description", ""),
            "parameters": tool.get("parameters", {"type": "object", "properties": {}})}}
    raise LLMError(f"tool {str(tool)[:80]} is neither a ToolSpec nor an OpenAI tool dict; pass ToolSpec objects")


@dataclass(frozen=True)
class LLMRequest:
    """One chat request in OpenAI message form; ``sample_index`` makes n samples of one prompt distinct.

    ``model`` may be empty: the client's profile fills it in. ``label`` names the calling step in events only.
    """

    messages: tuple[Mapping[str, Any], ...]
    model: str = ""
    tools: tuple[ToolSpec | Mapping[str, Any], ...] = ()
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    sample_index: int = 0
    response_format: Mapping[str, Any] | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.messages, (str, bytes)) or not isinstance(self.messages, Sequence):
            raise LLMError("LLMRequest.messages must be a list of {'role': ..., 'content': ...} dicts")
        object.__setattr__(self, "messages", tuple(self.messages))
        object.__setattr__(self, "tools", tuple(self.tools))
        for i, message in enumerate(self.messages):
            if not isinstance(message, Mapping) or "role" not in message:
                raise LLMError(f"LLMRequest.messages[{i}] must be a dict with a 'role'; got {str(message)[:80]}")

    def openai_tools(self) -> list[dict[str, Any]]:
        return [tool_to_openai(t) for t in self.tools]

    def sampling(self) -> dict[str, Any]:
        """The sampling parameters that change the answer (part of the cache key)."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, "seed": self.seed,
                "response_format": dict(self.response_format) if self.response_format is not None else None}

    def summary(self) -> dict[str, Any]:
        """A short description for events and logs (the full request stays in the cache)."""
        last_user = next((m.get("content") for m in reversed(self.messages) if m.get("role") == "user"), "")
        text = last_user if isinstance(last_user, str) else json.dumps(last_user, default=str)
        return {"label": self.label, "model": self.model, "messages": len(self.messages),
                "tools": len(self.tools), "last_user": text[:300], "sample_index": self.sample_index,
                **self.sampling()}


def estimate_tokens(request: LLMRequest) -> int:
    """A rough token count (4 characters a token) used to reserve tokens-per-minute before the call."""
    chars = sum(len(json.dumps(m, default=str)) for m in request.messages)
    chars += sum(len(json.dumps(tool_to_openai(t))) for t in request.tools)
    return chars // 4 + (request.max_tokens or 512)


@dataclass(frozen=True)
class LLMResponse:
    """A model's answer: text, native tool calls, the raw provider payload, usage, latency, cost and provenance.

    ``cached`` responses cost nothing (``cost_usd == 0``) but keep the usage first reported.
    ``tool_call_errors`` lists native tool calls whose arguments were not valid JSON (the raw payload has them).
    """

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)
    usage: Usage = Usage()
    latency_s: float = 0.0
    cost_usd: float = 0.0
    cached: bool = False
    provider: str = ""
    model: str = ""
    finish_reason: str = ""
    reasoning: str = ""
    tool_call_ids: tuple[str, ...] = ()
    tool_call_errors: tuple[str, ...] = ()
    event: LLMCallEvent | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the cache (no event, no latency: those belong to one call)."""
        return {"text": self.text, "tool_calls": [c.to_json() for c in self.tool_calls], "raw": dict(self.raw),
                "usage": asdict(self.usage), "provider": self.provider, "model": self.model,
                "finish_reason": self.finish_reason, "reasoning": self.reasoning,
                "tool_call_ids": list(self.tool_call_ids), "tool_call_errors": list(self.tool_call_errors),
                "cost_usd": self.cost_usd}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LLMResponse:
        return cls(
            text=data.get("text", ""),
            tool_calls=tuple(ToolCall(c["name"], dict(c.get("arguments", {}))) for c in data.get("tool_calls", [])),
            raw=data.get("raw", {}), usage=Usage(**data.get("usage", {})), provider=data.get("provider", ""),
            model=data.get("model", ""), finish_reason=data.get("finish_reason", ""),
            reasoning=data.get("reasoning", ""), tool_call_ids=tuple(data.get("tool_call_ids", ())),
            tool_call_errors=tuple(data.get("tool_call_errors", ())), cost_usd=data.get("cost_usd", 0.0))


@runtime_checkable
class LLMClient(Protocol):
    """Anything that answers an ``LLMRequest``: a raw backend, a scripted client, or a managed client."""

    def complete(self, request: LLMRequest) -> LLMResponse: ...

    async def acomplete(self, request: LLMRequest) -> LLMResponse: ...


#: While the managed client awaits its backend: the request and the canonical JSON of its messages and of its tools
#: (OpenAI form), already made for the cache key; a backend that writes JSON itself may send them as they are.
ENCODED_REQUEST: ContextVar[tuple[LLMRequest, str, str] | None] = ContextVar("fr_encoded_request", default=None)


class RetryableError(LLMError):
    """A transient failure (429, 5xx, timeout, lost connection, a body that is not JSON) that a retry may fix;
    raised by backends. When retries run out the managed client raises ``LLMTransportError``."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def is_retryable_status(status: int) -> bool:
    """HTTP statuses worth retrying: timeout, conflict, rate limit, server errors (incl. Anthropic's 529)."""
    return status in (408, 409, 429) or status >= 500


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """The server's requested wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None

