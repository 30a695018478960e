"""The LLM-backed reasoner acts step by step through native tool calling (OpenAI and Anthropic, real SDKs against
local fake servers) or the text protocol; calls returned as text are recovered; malformed replies at any step make a
failed attempt the critic answers, never a crash."""

from __future__ import annotations

import pytest

from fr_core.agents import make_agents
from fr_core.graph import bfcl_graph
from fr_core.llm import ScriptedClient, build_client
from fr_core.llm.config import ModelProfile
from fr_core.llm.fakeserver import FakeAnthropicServer, FakeOpenAIServer, StepwiseModel
from fr_core.pipeline import generate_sample
from fr_core.synthesis import turn_flow

CLASS = ["GorillaFileSystem"]


def _agents(server, provider: str, **profile):
    p = ModelProfile("fake", provider, "fake-model", base_url=server.base_url if provider == "openai" else server.url,
                     api_key_env="FAKE_KEY", max_attempts=1, **profile)
    return make_agents("fake", client=build_client(p, env={"FAKE_KEY": "test"}))


@pytest.mark.parametrize("server_class, provider", [(FakeOpenAIServer, "openai"), (FakeAnthropicServer, "anthropic")])
def test_multi_step_attempts_through_native_tool_calling(server_class, provider) -> None:
    model = StepwiseModel()
    with server_class(responder=model) as server:
        traj = generate_sample(CLASS, bfcl_graph(CLASS).output, rounds=2, calls=3, agents=_agents(server, provider),
                               seed=3).output
        bodies = list(server.requests)
    assert traj.status == "accepted", traj.error
    for record in traj.turns:
        passing = record.outcome.passing
        truth = [s.call for s in turn_flow(record.turn, record.round)]
        assert [s.calls for s in passing.steps] == [(c,) for c in truth]  # one call per step, results read between
        assert not any(s.recovered for s in passing.steps)
        assert record.answer == "All done."
    reasoning = [b for b in bodies if b.get("tools")]
    assert reasoning, "the reasoner offered its tools natively"
    if provider == "openai":  # the second step's request carries the first step's call and its tool reply
        later = next(b for b in reasoning if any(m.get("role") == "tool" for m in b["messages"]))
        call = next(m for m in later["messages"] if m.get("tool_calls"))
        reply = next(m for m in later["messages"] if m.get("role") == "tool")
        assert reply["tool_call_id"] == call["tool_calls"][0]["id"]
    else:
        later = next(b for b in reasoning if any(isinstance(m["content"], list) and any(
            p.get("type") == "tool_result" for p in m["content"]) for m in b["messages"]))
        assert any(p.get("type") == "tool_use" for m in later["messages"] if isinstance(m["content"], list)
                   for p in m["content"])
        json_roles = [b for b in bodies if b.get("tool_choice")]  # structured output as a forced tool
        assert json_roles and all(b["tool_choice"]["name"] == "json_reply" for b in json_roles)


@pytest.mark.parametrize("bad", ['<tool_call>[cd(folder=</tool_call>', "<think>unclosed", "   "])
def test_malformed_reply_at_step_two_is_a_failed_attempt_the_critic_answers(bad) -> None:
    model = StepwiseModel(broken={2: bad})
    with FakeOpenAIServer(responder=model) as server:
        traj = generate_sample(CLASS, bfcl_graph(CLASS).output, rounds=1, calls=3,
                               agents=_agents(server, "openai"), seed=3).output
    outcome = traj.turns[0].outcome
    first = outcome.attempts[0]
    assert not first.passed and first.rule == "parse" and "step 2" in first.parse_error
    assert len(first.steps) == 1 and first.critique  # the first step ran, the critic answered
    assert traj.status == "accepted" and outcome.passed_index == 1, traj.error
    assert outcome.passing.clean is not None  # the kept reasoning was written again without the retry


def test_calls_written_as_text_are_recovered_as_data() -> None:
    """A server that answers a tools request with a bare JSON call as text (Qwen on llama.cpp does) still acts."""
    model = StepwiseModel()

    def as_text(body):
        reply = model(body)
        if reply.tool_calls:
            call = reply.tool_calls[0]
            import json

            return type(reply)(text=f'```json\n{json.dumps(call.to_json())}\n```')
        return reply

    with FakeOpenAIServer(responder=as_text) as server:
        traj = generate_sample(CLASS, bfcl_graph(CLASS).output, rounds=1, calls=3, agents=_agents(server, "openai"),
                               seed=3).output
    passing = traj.turns[0].outcome.passing
    assert traj.status == "accepted", traj.error
    assert passing.steps and all(s.recovered for s in passing.steps)


def test_text_protocol_profile() -> None:
    model = StepwiseModel()
    with FakeOpenAIServer(responder=model) as server:
        traj = generate_sample(CLASS, bfcl_graph(CLASS).output, rounds=1, calls=3,
                               agents=_agents(server, "openai", tool_calling="text"), seed=3).output
        bodies = list(server.requests)
    assert traj.status == "accepted", traj.error
    assert not any(b.get("tools") for b in bodies)
    assert any("<tool_response>" in str(b["messages"]) for b in bodies)


def test_json_role_reply_is_asked_again_once_with_the_parse_error() -> None:
    model = StepwiseModel()
    broken = ['{"query": "Tidy up']  # the first querying reply is cut off

    def respond(request):
        if request.label == "querying" and broken:
            return broken.pop()
        reply = model({"messages": [dict(m) for m in request.messages], "tools": list(request.tools)})
        return list(reply.tool_calls) or reply.text

    client = ScriptedClient(respond)
    traj = generate_sample(CLASS, bfcl_graph(CLASS).output, rounds=1, calls=3,
                           agents=make_agents("s", client=client), seed=3).output
    assert traj.status == "accepted", traj.error
    assert traj.turns[0].hard_query.text == "Please tidy up my project folder for me."
    asked = [r for r in client.requests if r.label == "querying"]
    assert "could not be read" in str(asked[1].messages[-1]["content"])


def test_unreadable_tooling_reply_fails_the_sample_and_keeps_the_raw_text() -> None:
    client = ScriptedClient(lambda request: "no json here")
    traj = generate_sample(CLASS, bfcl_graph(CLASS).output, rounds=1, agents=make_agents("s", client=client), seed=1)
    assert traj.output.status == "failed" and "ParseError" in traj.output.error
    assert traj.trace["rounds"][-1]["error_raw"] == "no json here"
    assert len(client.requests) == 2  # asked once more with the parse error
