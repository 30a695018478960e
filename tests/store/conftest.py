"""A small hand-made trajectory for the store and export tests (no environment, no agents)."""

from __future__ import annotations

import pytest

from fr_core.types import (
    AdvancedTool,
    Attempt,
    LLMCallEvent,
    Step,
    CallResult,
    LeakCheck,
    Query,
    RefineOutcome,
    ToolCall,
    ToolSpec,
    TracedCall,
    Trajectory,
    Turn,
    TurnRecord,
)


def make_trajectory(sid: str = "s-1", status: str = "accepted", passes_at: int = 2, cost: float = 0.01) -> Trajectory:
    cd, cat = ToolCall("cd", {"folder": "docs"}), ToolCall("cat", {"file_name": "a.txt"})
    steps = (TracedCall(cd, CallResult(cd, {"current_working_directory": "docs"})),
             TracedCall(cat, CallResult(cat, {"file_content": "hello"})))
    turn = Turn("cat", steps, reached_target=True, end_reason="target reached")
    spec = ToolSpec("read_doc", "Read a document.", {"type": "object", "properties": {"name": {"type": "string"}},
                                                     "required": ["name"]})
    adv = AdvancedTool(spec, (cd, cat), {"name": "a.txt"}, (), "offline heuristic")
    attempts = []
    for k in range(1, passes_at + 1):
        ok = k == passes_at and status == "accepted"
        calls = (cd, cat) if ok else (cat,)
        attempts.append(Attempt(k, ({"role": "user", "content": "Show me a.txt in docs"},),
                                (Step("I go to docs then read it.", calls,
                                      tuple(CallResult(c, {"ok": True}) for c in calls), f"raw {k}"),), "",
                                ok, "matches" if ok else "state differs", "" if ok else "state",
                                None if ok else "cd first", None,
                                (LLMCallEvent(role="reasoner", model="m", cache_key=f"k{k}",
                                              cost_usd=cost / passes_at),)))
    record = TurnRecord(0, turn, adv, Query("Show me a.txt in docs", "hard", 0.2, 1, {"name": "a.txt"}),
                        Query("cd to docs, then cat a.txt", "easy"), LeakCheck(True),
                        RefineOutcome(status == "accepted", tuple(attempts),
                                      passes_at - 1 if status == "accepted" else None),
                        "Here is a.txt: hello", {"GorillaFileSystem": {"cwd": "docs"}})
    return Trajectory(sid, ("GorillaFileSystem",), {"GorillaFileSystem": {"root": {"docs": {"a.txt": "hello"}}}},
                      (record,), status, {"seed": 1, "agent": "offline heuristic"})


@pytest.fixture
def trajectory() -> Trajectory:
    return make_trajectory()


@pytest.fixture(name="make_trajectory")
def make_trajectory_fixture():
    return make_trajectory
