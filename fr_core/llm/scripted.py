"""A scripted LLM client for tests and demos: answers from a queue of replies or from a function of the request."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Union

from fr_core.errors import LLMError
from fr_core.llm.base import LLMRequest, LLMResponse, Usage
from fr_core.types import ToolCall

__all__ = ["Reply", "ScriptedClient"]

#: A scripted reply: text, native tool calls, a full response, or an exception to raise (e.g. RetryableError).
Reply = Union[str, Sequence[ToolCall], LLMResponse, BaseException]


class ScriptedClient:
    """Answers requests in order from ``replies`` (or by calling ``replies(request)``), recording every request.

    >>> client = ScriptedClient(["<tool_call>[ls()]</tool_call>"])
    >>> client.complete(LLMRequest(messages=[{"role": "user", "content": "list"}])).text
    '<tool_call>[ls()]</tool_call>'
    """

    provider = "scripted"

    def __init__(self, replies: Iterable[Reply] | Callable[[LLMRequest], Reply], *, model: str = "scripted") -> None:
        self.model = model
        self._function = replies if callable(replies) else None
        self._queue: deque[Reply] = deque() if callable(replies) else deque(replies)
        self._lock = threading.Lock()
        self.requests: list[LLMRequest] = []

    def add(self, *replies: Reply) -> None:
        """Queue more replies."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._queue)

    def _reply(self, request: LLMRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._function is None:
                if not self._queue:
                    raise LLMError(f"scripted client has no reply left for request {len(self.requests)} "
                                   f"({request.label or 'unlabelled'}); queue more replies")
                return self._queue.popleft()
        return self._function(request)

    def complete(self, request: LLMRequest) -> LLMResponse:
        reply = self._reply(request)
        if isinstance(reply, BaseException):
            raise reply
        model = request.model or self.model
        if isinstance(reply, LLMResponse):
            return replace(reply, provider=reply.provider or self.provider, model=reply.model or model)
        prompt_words = sum(len(str(m.get("content") or "").split()) for m in request.messages)
        if isinstance(reply, str):
            return LLMResponse(text=reply, raw={"scripted": reply}, usage=Usage(prompt_words, len(reply.split())),
                               provider=self.provider, model=model, finish_reason="stop")
        calls = tuple(reply)
        if not all(isinstance(c, ToolCall) for c in calls):
            raise LLMError(f"scripted reply {reply!r} is not text, ToolCalls, an LLMResponse or an exception")
        return LLMResponse(text="", tool_calls=calls, raw={"scripted": [c.to_json() for c in calls]},
                           usage=Usage(prompt_words, 10 * len(calls)), provider=self.provider, model=model,
                           finish_reason="tool_calls", tool_call_ids=tuple(f"call_{i}" for i in range(len(calls))))

    async def acomplete(self, request: LLMRequest) -> LLMResponse:
        return self.complete(request)
