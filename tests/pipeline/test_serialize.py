"""Trajectories survive to_dict → JSON → trajectory_from_dict exactly."""

import json

from fr_core.envs import make_env
from fr_core.graph import bfcl_graph
from fr_core.sampling import sample_turn
from fr_core.serialize import from_dict, to_dict, trajectory_from_dict
from fr_core.types import (
    AdvancedTool,
    Attempt,
    LLMCallEvent,
    RoleEvent,
    Step,
    Usage,
    CallResult,
    LeakCheck,
    Query,
    RefineOutcome,
    ToolCall,
    ToolSpec,
    Trajectory,
    TurnRecord,
)


def _trajectory() -> Trajectory:
    classes = ["GorillaFileSystem", "TwitterAPI"]
    env = make_env(classes, seed=3)
    graph = bfcl_graph(classes).output
    config = env.state()
    turn = sample_turn(env, graph, "cat", calls=4, seed=3).output
    spec = ToolSpec("read_note_adv", "Read a note.", {"type": "object", "properties": {"name": {"type": "string"}},
                                                       "required": ["name"]})
    adv = AdvancedTool(spec, turn.calls, {"name": "a.txt"}, ("docs",), "offline heuristic")
    call = ToolCall("cd", {"folder": "docs", "n": [1, 2]})
    attempt = Attempt(1, ({"role": "user", "content": "hi"},),
                      (Step("because", (call,), (CallResult(call, error="no such folder"),), "raw"),), "",
                      False, "state differs", "state", "cd needs ...", None,
                      (LLMCallEvent(role="reasoning", provider="openai", model="m", cache_key="k1", latency_s=0.1,
                                    tool_calls=(call,), usage=Usage(12, 3), cost_usd=0.002),
                       RoleEvent(role="critiquing", label="offline heuristic"),
                       RoleEvent(role="answer", label="offline heuristic", mistakes=("dropped a call",))))
    record = TurnRecord(0, turn, adv, Query("Read it", "hard", 0.3, 5, {"name": "a.txt"}),
                        Query("cd then cat", "easy"), LeakCheck(False, ("cd",)),
                        RefineOutcome(False, (attempt,), None), "", env.state())
    return Trajectory("s-1", tuple(classes), config, (record,), "rejected", {"seed": 3, "agent": "offline"})


def test_trajectory_round_trips_through_json() -> None:
    traj = _trajectory()
    data = json.loads(json.dumps(to_dict(traj)))
    back = trajectory_from_dict(data)
    assert back == traj
    assert isinstance(back.turns[0].turn.steps, tuple)
    assert back.turns[0].turn.steps[0].sources == traj.turns[0].turn.steps[0].sources


def test_from_dict_rebuilds_any_type() -> None:
    call = ToolCall("cd", {"folder": "docs"})
    assert from_dict(CallResult, to_dict(CallResult(call, value={"a": [1]}))) == CallResult(call, value={"a": [1]})


def test_events_stored_before_they_were_typed_load_typed() -> None:
    """Old runs stored events as loose dicts: a role call with its extras, a bare backend's call with a few fields,
    a failed critique with its raw reply; they load as typed events and write back in the same form."""
    data = json.loads(json.dumps(to_dict(_trajectory())))
    attempt = data["turns"][0]["outcome"]["attempts"][0]
    attempt["llm_events"] = [
        {"kind": "role_call", "role": "querying", "label": "offline heuristic", "hard": True},
        {"kind": "llm_call", "role": "reasoning", "provider": "openai", "model": "m", "text": "hi",
         "latency_s": 0.5, "cached": False, "usage": {"input_tokens": 4, "output_tokens": 2}, "cost_usd": 0.01},
        {"kind": "llm_call", "role": "critiquing", "error": "bad JSON", "raw": "not json"},
    ]
    role, call, failed = trajectory_from_dict(data).turns[0].outcome.attempts[0].llm_events
    assert role == RoleEvent(role="querying", label="offline heuristic", hard=True)
    assert role.to_dict() == attempt["llm_events"][0]
    assert isinstance(call, LLMCallEvent) and call.usage == Usage(4, 2) and call.cost_usd == 0.01
    assert isinstance(failed, LLMCallEvent) and failed.error == "bad JSON" and failed.text == "not json"
