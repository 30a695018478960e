"""The grounding table: an arbitrary pick is stated (or the turn rejected), a value the data determines stays
unsaid, later requests refer back instead of repeating; figures over offline samples."""

from __future__ import annotations

import re

import pytest

from fr_core.agents import make_agents
from fr_core.agents.base import ReasonTask
from fr_core.agents.reasoning import OfflineReasoning
from fr_core.analysis import description_overlap, hidden_picks, refer_back_share
from fr_core.envs import make_env
from fr_core.graph import bfcl_graph
from fr_core.pipeline import generate_sample
from fr_core.refine.loop import run_attempt
from fr_core.synthesis import abstract_tool, ground_turn, state_scalars, ungrounded, write_query
from fr_core.types import ArgSource, CallResult, ToolCall, TracedCall, Turn

FS = ["GorillaFileSystem"]


def _traced(env, call: ToolCall, *sources: ArgSource) -> TracedCall:
    return TracedCall(call, env.execute(call), sources)


def test_an_arbitrary_pick_from_a_listing_is_stated_in_the_request() -> None:
    env = make_env(FS, seed=4)
    start = env.copy()
    listing = env.execute(ToolCall("ls", {})).value["current_directory_content"]
    files = [f for f in listing if "." in f]
    assert len(files) >= 3
    picked = files[2]  # the third name of the listing: nothing in the data singles it out
    env = start.copy()
    steps = (_traced(env, ToolCall("ls", {})),
             _traced(env, ToolCall("wc", {"file_name": picked}),
                     ArgSource("file_name", picked, "output",
                               f"ls → current_directory_content[{listing.index(picked)}]", (0, 0))))
    turn = Turn("wc", steps)
    tools = tuple(start.tools())
    agents = make_agents("offline")
    adv = abstract_tool(turn, agents.tooling, tools, bfcl_graph(FS).output).output
    row = next(g for g in adv.grounding if g.arg == "file_name")
    assert row.kind == "visible" and "ls" in row.why and not ungrounded(adv.grounding)
    assert picked in adv.user_values.values() and picked not in adv.hidden_values
    for seed in range(5):
        query = write_query(adv, agents.querying, 0.5, seed, tools=tools).output.text
        assert re.search(rf'(?<![\w."]){re.escape(picked)}(?![\w])|"{re.escape(picked)}"', query), query


def test_a_pick_that_cannot_be_said_leaves_the_turn_ungrounded() -> None:
    lines = [f"line {n}: " + "a long sentence nobody would type out in a request " * 2 for n in range(3)]
    listing = TracedCall(ToolCall("grep", {"file_name": "log.txt", "pattern": "line"}),
                         CallResult(ToolCall("grep", {}), value={"matching_lines": lines}))
    use = TracedCall(ToolCall("echo", {"content": lines[1], "file_name": "out.txt"}),
                     CallResult(ToolCall("echo", {}), value=None),
                     (ArgSource("content", lines[1], "output", "grep → matching_lines[1]", (0, 0)),))
    rows = ground_turn(Turn("echo", (listing, use)), 0, tuple(make_env(FS).tools()))
    assert ungrounded(rows) == ["echo.content"]
    assert {(g.arg, g.kind) for g in rows} >= {("file_name", "said"), ("pattern", "said")}


def test_a_value_the_data_determines_stays_unsaid() -> None:
    env = make_env(["TicketAPI"], seed=2)
    user = env.candidates("ticket_login", "username")[0]
    assert env.execute(ToolCall("ticket_login", {"username": user, "password": "any-pass-1"})).ok
    start = env.copy()
    created = ToolCall("create_ticket", {"title": "Printer on fire", "description": "Smoke from tray 2."})
    first = _traced(env, created)
    ticket = first.result.value["id"]
    steps = (first, _traced(env, ToolCall("close_ticket", {"ticket_id": ticket}),
                            ArgSource("ticket_id", ticket, "output", "create_ticket → id", (0, 0))))
    tools = tuple(start.tools())
    agents = make_agents("offline")
    adv = abstract_tool(Turn("close_ticket", steps), agents.tooling, tools, bfcl_graph(["TicketAPI"]).output).output
    row = next(g for g in adv.grounding if g.arg == "ticket_id")
    assert row.kind == "derived" and "create_ticket" in row.why
    query = write_query(adv, agents.querying, 0.5, 1, tools=tools).output.text
    assert str(ticket) not in query and '"Printer on fire"' in query


def test_a_long_number_a_tool_gave_is_pointed_at_by_name_and_read_back() -> None:
    env = make_env(["MathAPI"], seed=1)
    start = env.copy()
    first = _traced(env, ToolCall("standard_deviation", {"numbers": [472.2, 274.2, 22.4, 163.8, 435.2]}))
    spread = first.result.value["result"]
    assert len(repr(spread).partition(".")[2]) > 4  # 167.75836909078484: no one types that
    scaled = ToolCall("multiply", {"a": spread, "b": 506.0})
    steps = (first, _traced(env, scaled, ArgSource("a", spread, "output", "standard_deviation → result", (0, 0))))
    tools, graph = tuple(start.tools()), bfcl_graph(["MathAPI"]).output
    agents = make_agents("offline")
    adv = abstract_tool(Turn("multiply", steps), agents.tooling, tools, graph).output
    row = next(g for g in adv.grounding if g.arg == "a")
    assert row.kind == "derived" and row.via == "standard_deviation"
    _unsaid_and_read_back(adv, agents, start, graph, scaled, hidden=str(spread), said="506.0")


def _unsaid_and_read_back(adv, agents, start, graph, call: ToolCall, *, hidden: str, said: str) -> None:
    """Requests for ``adv`` never write ``hidden`` but write ``said``, and the reasoner makes ``call`` from them."""
    tools = tuple(start.tools())
    for seed in range(4):
        query = write_query(adv, agents.querying, 0.5, seed, tools=tools).output
        assert hidden not in query.text and said in query.text, query.text
        run = run_attempt(OfflineReasoning(mistake_rate=0.0), ReasonTask(query, tools, graph, seed=seed), (), 1,
                          start.copy())
        assert call in [c for step in run.steps for c in step.calls], query.text


def test_a_number_a_call_of_the_same_turn_made_is_never_the_users_to_say() -> None:
    env = make_env(["MathAPI"], seed=1)
    start = env.copy()
    first = _traced(env, ToolCall("sum_values", {"numbers": [195, 147, 344.4]}))
    total = first.result.value["result"]
    scaled = ToolCall("multiply", {"a": 887, "b": total})
    steps = (first, _traced(env, scaled, ArgSource("b", total, "output", "sum_values → result", (0, 0))))
    tools, graph = tuple(start.tools()), bfcl_graph(["MathAPI"]).output
    agents = make_agents("offline")
    # without the state the turn started from, a short number a tool listed reads as one the user can name
    assert next(g for g in abstract_tool(Turn("multiply", steps), agents.tooling, tools, graph).output.grounding
                if g.arg == "b").kind == "visible"
    adv = abstract_tool(Turn("multiply", steps), agents.tooling, tools, graph,
                        known=state_scalars(start.state())).output
    row = next(g for g in adv.grounding if g.arg == "b")
    assert row.kind == "derived" and row.via == "sum_values", row
    _unsaid_and_read_back(adv, agents, start, graph, scaled, hidden=str(total), said="887")


def test_a_name_the_state_held_before_the_turn_stays_the_users_to_say() -> None:
    env = make_env(FS, seed=4)
    start = env.copy()
    listing = env.execute(ToolCall("ls", {})).value["current_directory_content"]
    picked = [f for f in listing if "." in f][2]
    env = start.copy()
    steps = (_traced(env, ToolCall("ls", {})),
             _traced(env, ToolCall("wc", {"file_name": picked}),
                     ArgSource("file_name", picked, "output",
                               f"ls → current_directory_content[{listing.index(picked)}]", (0, 0))))
    rows = ground_turn(Turn("wc", steps), 0, tuple(start.tools()), known=state_scalars(start.state()))
    assert next(g for g in rows if g.arg == "file_name").kind == "visible"


@pytest.fixture(scope="module")
def samples():
    envs = ["GorillaFileSystem", "GorillaFileSystem+TwitterAPI", "TicketAPI+GorillaFileSystem", "TradingBot",
            "MathAPI+GorillaFileSystem", "VehicleControlAPI"]
    graphs = {e: bfcl_graph(e.split("+")).output for e in envs}
    return [generate_sample(envs[i % len(envs)].split("+"), graphs[envs[i % len(envs)]], rounds=3, seed=i).output
            for i in range(36)]


def test_offline_requests_hide_nothing_arbitrary_refer_back_and_paste_no_descriptions(samples) -> None:
    accepted = [t for t in samples if t.status == "accepted"]
    assert len(accepted) >= len(samples) * 0.4
    assert hidden_picks(samples) == 0
    share, later = refer_back_share(samples)
    assert later >= 10 and share >= 0.2, share  # 0.38 on the shipped config (bench/bench_queries.py)
    for t in accepted:
        tools = make_env("+".join(t.classes)).tools()
        for record in t.turns:
            assert all(g.kind in ("said", "derived", "visible", "default") for g in record.adv_tool.grounding)
            assert description_overlap([record.hard_query.text], tools) <= 0.15, record.hard_query.text


def test_the_llm_querying_prompt_carries_the_grounding_table_and_the_conversation() -> None:
    from fr_core.llm import ScriptedClient

    env = make_env(["TicketAPI"], seed=2)
    user = env.candidates("ticket_login", "username")[0]
    env.execute(ToolCall("ticket_login", {"username": user, "password": "any-pass-1"}))
    start = env.copy()
    first = _traced(env, ToolCall("create_ticket", {"title": "Printer on fire", "description": "Smoke."}))
    ticket = first.result.value["id"]
    steps = (first, _traced(env, ToolCall("close_ticket", {"ticket_id": ticket}),
                            ArgSource("ticket_id", ticket, "output", "create_ticket → id", (0, 0))))
    client = ScriptedClient(['{"query": "Log that the printer is on fire, then close it again."}'])
    agents = make_agents("s", client=client)
    adv = abstract_tool(Turn("close_ticket", steps), make_agents("offline").tooling, tuple(start.tools()),
                        bfcl_graph(["TicketAPI"]).output).output
    history = ({"query": "Which tickets are open?", "steps": [], "answer": "Three."},)
    query = write_query(adv, agents.querying, 0.5, 1, tools=tuple(start.tools()), history=history).output
    prompt = client.requests[0].messages[0]["content"]
    assert query.text.startswith("Log that the printer")
    assert f"close_ticket.ticket_id = {ticket}: WORKED OUT" in prompt
    assert 'create_ticket.title = "Printer on fire": SAY' in prompt
    assert "Which tickets are open?" in prompt and "refer back" in prompt and "standup.md" in prompt


def test_the_same_file_as_before_points_back_only_when_no_sibling_argument_named_another_file() -> None:
    """ "The same file as before" points at the file an earlier request gave last; when the last call of that turn
    took two files (diff's file_name1 and file_name2), the words could mean either, so the value is said again."""
    from fr_core.types import Query, TurnRecord

    tools = tuple(make_env(FS).tools())
    env = make_env(FS, seed=3)
    names = [f for f in env.execute(ToolCall("ls", {})).value["current_directory_content"] if "." in f][:2]
    assert len(names) == 2
    first, other = names
    touched = Turn("wc", (_traced(env, ToolCall("wc", {"file_name": first})),))
    compared = Turn("diff", (_traced(env, ToolCall("wc", {"file_name": first})),
                             _traced(env, ToolCall("diff", {"file_name1": other, "file_name2": first}))))
    later = Turn("tail", (_traced(env, ToolCall("tail", {"file_name": first})),))
    for earlier_turn, points_back in ((touched, True), (compared, False)):
        said = f"Count the lines of {first}" + (f", then compare {other} with {first}" if earlier_turn is compared
                                                 else "")
        record = TurnRecord(0, earlier_turn, hard_query=Query(said, "hard"))
        row = next(g for g in ground_turn(later, 1, tools, (record,)) if g.arg == "file_name")
        assert row.kind == "said" and (row.earlier == 0) is points_back, (row, said)
