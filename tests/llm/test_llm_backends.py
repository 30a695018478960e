"""The real openai and anthropic SDKs against local fake servers: text, native tool calls, message conversion."""

from __future__ import annotations

import asyncio
import json

from fr_core.llm import LLMRequest
from fr_core.llm.anthropic_backend import AnthropicBackend, to_anthropic_messages
from fr_core.llm.fakeserver import FakeReply
from fr_core.llm.openai_backend import OpenAIBackend
from fr_core.types import ToolCall, ToolSpec

CD = ToolSpec("cd", "Change directory.", {"type": "object", "properties": {"folder": {"type": "string"}},
                                          "required": ["folder"]})
ASK = LLMRequest(messages=[{"role": "system", "content": "You use tools."}, {"role": "user", "content": "go to docs"}],
                 tools=[CD], temperature=0.0, max_tokens=64, seed=3)


def test_openai_text_and_request_parameters(openai_server):
    backend = OpenAIBackend("qwen", api_key="sk-test", base_url=openai_server.base_url)
    response = backend.complete(ASK)
    assert response.text == "echo: go to docs" and response.provider == "openai" and response.model == "qwen"
    assert response.usage.input_tokens > 0 and response.finish_reason == "stop"
    sent = openai_server.requests[-1]
    assert sent["tools"] == [CD.to_openai()] and sent["seed"] == 3 and sent["max_tokens"] == 64
    assert openai_server.headers[-1]["authorization"] == "Bearer sk-test"
    assert response.raw["choices"][0]["message"]["content"] == "echo: go to docs"


def test_openai_native_tool_calls(openai_server):
    openai_server.queue(FakeReply(tool_calls=[ToolCall("cd", {"folder": "docs"}), ToolCall("ls", {})]))
    response = OpenAIBackend("qwen", base_url=openai_server.base_url).complete(ASK)
    assert response.tool_calls == (ToolCall("cd", {"folder": "docs"}), ToolCall("ls", {}))
    assert len(response.tool_call_ids) == 2 and response.finish_reason == "tool_calls"


def test_openai_malformed_native_arguments_are_kept_as_errors(openai_server):
    def bad_arguments(body):
        return FakeReply(tool_calls=[ToolCall("cd", {"folder": "x"})])

    openai_server.responder = bad_arguments
    backend = OpenAIBackend("qwen", base_url=openai_server.base_url)
    original = backend._response

    def corrupt(completion, latency):  # a server that emits broken JSON arguments
        completion["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = '{"folder": '
        return original(completion, latency)

    backend._response = corrupt
    response = backend.complete(ASK)
    assert response.tool_calls == () and "cd" in response.tool_call_errors[0]


def test_openai_async(openai_server):
    backend = OpenAIBackend("qwen", base_url=openai_server.base_url)

    async def run():
        return await asyncio.gather(*(backend.acomplete(LLMRequest(messages=[{"role": "user", "content": str(i)}]))
                                      for i in range(40)))

    # 40 at once take turns over the backend's connection pools; each gets its own reply
    assert [r.text for r in asyncio.run(run())] == [f"echo: {i}" for i in range(40)]
    assert [r.text for r in asyncio.run(run())] == [f"echo: {i}" for i in range(40)]  # a second event loop works


def test_anthropic_text_tool_use_and_system(anthropic_server):
    anthropic_server.queue(FakeReply(text="Going there.", tool_calls=[ToolCall("cd", {"folder": "docs"})]))
    backend = AnthropicBackend("claude-test", api_key="sk-ant-test", base_url=anthropic_server.base_url)
    response = backend.complete(ASK)
    assert response.text == "Going there." and response.tool_calls == (ToolCall("cd", {"folder": "docs"}),)
    assert response.finish_reason == "tool_use" and response.tool_call_ids[0].startswith("toolu_")
    sent = anthropic_server.requests[-1]
    assert sent["system"] == "You use tools." and sent["max_tokens"] == 64 and sent["temperature"] == 0.0
    assert sent["tools"] == [{"name": "cd", "description": "Change directory.", "input_schema": CD.parameters}]
    assert [m["role"] for m in sent["messages"]] == ["user"]
    headers = anthropic_server.headers[-1]
    assert "sk-ant-test" in (headers.get("x-api-key", ""), headers.get("authorization", "").removeprefix("Bearer "))


def test_anthropic_async(anthropic_server):
    backend = AnthropicBackend("claude-test", base_url=anthropic_server.base_url)
    response = asyncio.run(backend.acomplete(LLMRequest(messages=[{"role": "user", "content": "hi"}])))
    assert response.text == "echo: hi" and response.usage.output_tokens == 2


def test_openai_tool_conversation_becomes_anthropic_blocks():
    call = {"id": "call_1", "type": "function", "function": {"name": "cd", "arguments": json.dumps({"folder": "a"})}}
    system, messages = to_anthropic_messages((
        {"role": "system", "content": "S1"}, {"role": "system", "content": "S2"},
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": "ok", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"cwd": "a"}'},
        {"role": "user", "content": "and now?"},
    ))
    assert system == "S1\n\nS2"
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"][1] == {"type": "tool_use", "id": "call_1", "name": "cd", "input": {"folder": "a"}}
    assert messages[2]["content"] == [{"type": "tool_result", "tool_use_id": "call_1", "content": '{"cwd": "a"}'},
                                      {"type": "text", "text": "and now?"}]


def test_openai_a_200_whose_json_is_no_chat_completion_is_a_transient_failure(openai_server):
    """The reply is read as the JSON it is: a list, or an object without choices, is a server fault, not a crash."""
    from fr_core.errors import LLMError
    from fr_core.llm.base import RetryableError

    backend = OpenAIBackend("qwen", base_url=openai_server.base_url)
    for body, expected in (("[1, 2]", RetryableError), ('{"choices": [{"message": "hi"}]}', RetryableError),
                           ('{"choices": []}', LLMError)):
        openai_server.queue(FakeReply(body=body))
        try:
            backend.complete(ASK)
        except LLMError as exc:
            assert type(exc) is expected, (body, exc)
        else:
            raise AssertionError(f"{body} was taken as a reply")
    openai_server.queue(FakeReply(text="fine", usage={"prompt_tokens": 7, "completion_tokens": 2}))
    response = backend.complete(ASK)
    assert response.text == "fine" and response.usage.input_tokens == 7 and response.raw["choices"]
