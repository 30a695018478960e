"""The LLM-backed roles run the same loop; malformed output is a recorded failed attempt the critic answers."""

import json
import re

from fr_core.agents import make_agents
from fr_core.envs import make_env
from fr_core.graph import bfcl_graph
from fr_core.llm import ScriptedClient, build_client
from fr_core.llm.config import ModelProfile
from fr_core.llm.fakeserver import FakeOpenAIServer, FakeReply
from fr_core.pipeline import generate_sample
from fr_core.refine import refine
from fr_core.sampling import sample_turn
from fr_core.synthesis import abstract_tool, turn_flow, write_query

CLASS = ["GorillaFileSystem"]


class FakeModel:
    """A scripted model: JSON for A_T / A_Q / A_C, and for A_R first garbage, then the chain it saw in A_T's prompt."""

    def __init__(self) -> None:
        self.chain = ""

    def __call__(self, messages: list[dict]) -> str:
        last = messages[-1]["content"]
        first = messages[0]["content"]
        if "You are the tooling agent" in last:
            self.chain = ", ".join(re.findall(r"^\d+\. \[\w+\] (.*?) -- ", last, re.M))
            return 'Here you go: {"name": "tidy_files", "description": "Tidies the files.", "parameters": {}}'
        if "You are the querying agent" in last:
            return json.dumps({"query": "Please tidy up my project folder for me."})
        if "You are the critiquing agent" in last:
            return json.dumps({"critique": "No calls could be read: put them inside <tool_call>[...]</tool_call>."})
        if "solves user requests by calling tools" in first:
            if not any(m["content"].startswith("Feedback") for m in messages):
                return "I would call some tools here, I think."  # malformed: no calls at all
            return f"<think>The critic wants tags.</think><tool_call>[{self.chain}]</tool_call>"
        return "<answer>All done.</answer>"


def test_scripted_client_runs_the_loop_and_records_the_malformed_attempt() -> None:
    model = FakeModel()
    client = ScriptedClient(lambda request: model([dict(m) for m in request.messages]))
    agents = make_agents("scripted", client=client)
    graph = bfcl_graph(CLASS).output
    env = make_env(CLASS, seed=4)
    start = env.copy()
    turn = sample_turn(env, graph, "cat", calls=4, seed=4).output
    tools = tuple(env.tools())
    adv = abstract_tool(turn, agents.tooling, tools, graph).output
    query = write_query(adv, agents.querying, 0.5, 1, tools=tools).output
    outcome = refine(query, tools, adv, turn, start, agents, k_max=3, graph=graph).output
    first, second = outcome.attempts
    assert first.parse_error and not first.passed and first.calls == ()
    assert first.raw == "I would call some tools here, I think."
    assert "tool_call" in first.critique
    assert outcome.accepted and outcome.passed_index == 1
    assert second.prompt[-1]["content"].startswith("Feedback on your previous attempt:")
    assert [c for c in second.calls] == [s.call for s in turn_flow(turn, 0)] or second.passed
    assert all(e["kind"] == "llm_call" for a in outcome.attempts for e in a.llm_events)
    assert adv.spec.name == "tidy_files" and adv.agent.startswith("llm:")


def test_generate_sample_through_the_openai_sdk_against_the_fake_server() -> None:
    model = FakeModel()
    with FakeOpenAIServer(responder=lambda body: FakeReply(text=model(body["messages"]))) as server:
        profile = ModelProfile("fake", "openai", "fake-model", base_url=server.base_url, api_key_env="FAKE_KEY",
                               max_attempts=1)
        client = build_client(profile, env={"FAKE_KEY": "test"})
        agents = make_agents("fake", client=client)
        traj = generate_sample(CLASS, bfcl_graph(CLASS).output, rounds=2, calls=3, agents=agents, seed=3).output
    assert traj.status == "accepted", traj.error
    assert traj.provenance["agent_kind"] == "llm" and traj.provenance["model"] == "fake-model"
    for record in traj.turns:
        assert [a.passed for a in record.outcome.attempts] == [False, True]
        assert record.outcome.attempts[0].parse_error
        assert record.answer == "All done."
    # tooling, hard + easy query, 2 reasoning, 1 critique, 1 answer per round
    assert traj.provenance["llm_calls"] == len(server.requests) == 7 * 2


def test_unreadable_tooling_reply_fails_the_sample_and_keeps_the_raw_text() -> None:
    client = ScriptedClient(lambda request: "no json here")
    traj = generate_sample(CLASS, bfcl_graph(CLASS).output, rounds=1, agents=make_agents("s", client=client), seed=1)
    assert traj.output.status == "failed" and "ParseError" in traj.output.error
    assert traj.trace["rounds"][-1]["error_raw"] == "no json here"
