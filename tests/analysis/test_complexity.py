"""Complexity metrics on hand-made samples with known answers, and the views built from each data source."""

from __future__ import annotations

import doctest

import networkx as nx
import pytest

from fr_core.analysis import complexity, diversity, views
from fr_core.analysis.complexity import (
    attempts_needed,
    calls_per_sample,
    calls_per_turn,
    complexity_row,
    distinct_classes,
    distinct_tools,
    error_turns,
    flow_share,
    graph_depth,
    longest_flow_chain,
    query_length,
    turns_per_sample,
)
from fr_core.analysis.views import CallView, SampleView, TurnView, view_bfcl_entry, view_trajectory, view_turns
from fr_core.types import (
    ArgSource,
    Attempt,
    Step,
    CallResult,
    Query,
    RefineOutcome,
    ToolCall,
    TracedCall,
    Trajectory,
    Turn,
    TurnRecord,
)


def _chain_sample() -> SampleView:
    """a → b → c → d through outputs across three rounds, plus an unrelated e; one round saw an error."""
    return SampleView("s", "hand", ("A", "B"), (
        TurnView("one two three", (CallView(0, 0, "a", "A", 1), CallView(0, 1, "b", "A", 2, ((0, 0),)))),
        TurnView("four five", (CallView(1, 0, "c", "A", 1, ((0, 1),)), CallView(1, 1, "e", "B", 3)),
                 error_responses=2, attempts=3),
        TurnView("six", (CallView(2, 0, "d", "B", 2, ((1, 0), (0, 0))),), attempts=1),
    ))


def test_size_metrics():
    s = _chain_sample()
    assert turns_per_sample(s) == 3
    assert calls_per_sample(s) == 5
    assert calls_per_turn(s) == pytest.approx(5 / 3)
    assert distinct_tools(s) == 5
    assert distinct_classes(s) == 2


def test_flow_metrics():
    s = _chain_sample()
    assert longest_flow_chain(s) == 3  # a → b → c → d
    assert flow_share(s) == pytest.approx(4 / 9)
    empty = SampleView("e", "hand", (), ())
    assert longest_flow_chain(empty) == 0 and flow_share(empty) == 0.0 and calls_per_turn(empty) == 0.0


def test_graph_depth_follows_graph_edges_in_call_order():
    s = _chain_sample()
    # d → a exists in the graph but d comes after a: it must not count.
    g = nx.DiGraph([("a", "c"), ("c", "e"), ("e", "d"), ("d", "a")])
    assert graph_depth(s, g) == 3
    assert graph_depth(s, nx.DiGraph()) == 0


def test_query_attempts_errors():
    s = _chain_sample()
    assert query_length(s) == 2.0
    assert attempts_needed(s) == 2.0
    assert error_turns(s) == 1
    assert attempts_needed(SampleView("x", "hand", (), (TurnView("q", ()),))) is None


def test_row_has_every_metric():
    row = complexity_row(_chain_sample(), nx.DiGraph([("a", "b")]))
    assert row["graph_depth"] == 1 and row["flow_chain"] == 3 and row["source"] == "hand" and row["env"] == "A+B"


def _traced(name, args, sources=(), error=None, deliberate=False):
    return TracedCall(ToolCall(name, args), CallResult(ToolCall(name, args), {"ok": 1}, error), tuple(sources),
                      deliberate)


def test_view_trajectory_keeps_ground_truth_and_provenance():
    t0 = Turn("cat", (
        _traced("cd", {"folder": "docs"}),
        _traced("ls", {}),
        _traced("cat", {"file_name": "x"}, error="No such file"),  # accidental failure: not ground truth
        _traced("cat", {"file_name": "a.txt"}, [ArgSource("file_name", "a.txt", "output", "", (0, 1))]),
    ))
    t1 = Turn("wc", (_traced("wc", {"file_name": "a.txt", "mode": "w"},
                             [ArgSource("file_name", "a.txt", "output", "", (0, 3)),
                              ArgSource("mode", "w", "schema")]),))
    attempt = Attempt(1, (), (Step("think"),), "", True, "ok")
    failed = Attempt(0, (), (Step("wrong"),), "", False, "no")
    recs = (
        TurnRecord(0, t0, hard_query=Query("show me the notes", "hard"),
                   easy_query=Query("cd then ls then cat", "easy"),
                   outcome=RefineOutcome(True, (failed, attempt), 1)),
        TurnRecord(1, t1, hard_query=Query("how long is it", "hard"), easy_query=Query("run wc", "easy"),
                   outcome=RefineOutcome(True, (attempt,), 0)),
    )
    traj = Trajectory("t", ("GorillaFileSystem",), {}, recs, "accepted")
    v = view_trajectory(traj)
    assert [c.name for c in v.calls] == ["cd", "ls", "cat", "wc"]
    assert v.calls[2].step == 3 and v.calls[0].owner == "GorillaFileSystem"
    assert longest_flow_chain(v) == 2  # ls → cat → wc
    assert error_turns(v) == 1 and attempts_needed(v) == 1.5
    assert v.turns[0].cot == "think" and v.turns[0].query == "show me the notes"
    assert view_trajectory(traj, query="easy").turns[1].query == "run wc"
    with pytest.raises(ValueError):
        view_trajectory(traj, query="medium")


def test_view_turns_without_queries():
    v = view_turns([Turn("ls", (_traced("ls", {}),))], ["GorillaFileSystem"], sample_id="e1")
    assert v.turns[0].query == "" and calls_per_sample(v) == 1 and v.source == "sampler"


def test_view_bfcl_entry_replays_ground_truth():
    entry = {
        "id": "hand_0", "involved_classes": ["MathAPI"], "initial_config": {},
        "question": [[{"role": "user", "content": "add 12 and 30"}], [{"role": "user", "content": "then its root"}]],
        "ground_truth": [["add(a=12, b=30)"], ["square_root(number=42.0, precision=2)"]],
    }
    v = view_bfcl_entry(entry)
    assert [c.name for c in v.calls] == ["add", "square_root"] and v.classes == ("MathAPI",)
    # 42.0 is not in the second question: it came from add's output.
    assert v.calls[1].flow_from == ((0, 0),) and longest_flow_chain(v) == 1
    assert v.calls[0].flow_from == ()  # 12 and 30 are in the question and in no earlier output
    said = dict(entry, question=[entry["question"][0], [{"role": "user", "content": "now the root of 42"}]])
    assert view_bfcl_entry(said).calls[1].flow_from == ()  # the user wrote 42 (the call says 42.0): not data flow


@pytest.mark.parametrize("module", [complexity, diversity, views])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
