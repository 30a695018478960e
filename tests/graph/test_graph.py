"""The API relation graph: evidence-based edges, legality with state, distances, overlay, export and the BFCL check."""

import json

import networkx as nx
import pytest
from typer.testing import CliRunner

from fr_core.cli import app
from fr_core.envs import make_bfcl_env
from fr_core.envs.bfcl.states import generate_state
from fr_core.errors import GraphError
from fr_core.graph import (
    add_edge,
    apply_overlay,
    bfcl_graph,
    build_graph,
    class_density,
    distances_to,
    edit_overlay,
    graph_index,
    is_legal,
    legal_tools,
    load_overlay,
    save_overlay,
)
from fr_core.graph.check import check_graph
from fr_core.graph.model import EDGE_KINDS, StateMemo
from fr_core.types import ToolCall, ToolSpec


@pytest.fixture(scope="module")
def twitter():
    return bfcl_graph("TwitterAPI").output


def test_every_edge_is_explained(twitter):
    assert twitter.number_of_edges() > 0
    for u, v, data in twitter.edges(data=True):
        assert data["kind"] in EDGE_KINDS
        assert data["reason"] and u != v


def test_login_is_a_hard_prerequisite_that_state_can_satisfy(twitter):
    state = generate_state("TwitterAPI", seed=3)
    env = make_bfcl_env("TwitterAPI", {"TwitterAPI": {**state, "authenticated": False}})
    ok, reason = is_legal(twitter, "post_tweet", set(), env)
    assert not ok and "authenticate_twitter" in reason
    assert is_legal(twitter, "post_tweet", {"authenticate_twitter"})[0]  # without a state: the called set
    env.execute(ToolCall("authenticate_twitter", {"username": state["username"], "password": state["password"]}))
    assert is_legal(twitter, "post_tweet", {"authenticate_twitter"}, env)[0]
    # Already logged in: the prerequisite is met by the state, no call needed.
    logged_in = make_bfcl_env("TwitterAPI", {"TwitterAPI": {**state, "authenticated": True}})
    ok, reason = is_legal(twitter, "post_tweet", set(), logged_in)
    assert ok and "current state" in reason
    assert "post_tweet" in legal_tools(twitter, set(), logged_in)


def test_remembered_legality_follows_the_state_and_graph_edits():
    """The sampler's remembered answers (the graph's index, the state memo) give what a fresh look gives: after a
    login the memo forgets the class, and an edge added to the graph makes a new index."""
    g = bfcl_graph("TwitterAPI").output.copy()
    state = generate_state("TwitterAPI", seed=3)
    env = make_bfcl_env("TwitterAPI", {"TwitterAPI": {**state, "authenticated": False}})
    memo, index = StateMemo(env), graph_index(g)
    before = legal_tools(g, set(), env, index=index, memo=memo)
    assert before == legal_tools(g, set(), env) and "post_tweet" not in before
    env.execute(ToolCall("authenticate_twitter", {"username": state["username"], "password": state["password"]}))
    memo.forget("TwitterAPI")
    after = legal_tools(g, set(), env, index=index, memo=memo)
    assert after == legal_tools(g, set(), env) and "post_tweet" in after
    add_edge(g, "get_user_stats", "post_tweet", kind="manual", reason="a test edit", hard=True)
    assert graph_index(g) is not index
    assert "post_tweet" not in legal_tools(g, set(), env, index=graph_index(g), memo=StateMemo(env))
    assert graph_index(g) is graph_index(g)  # unchanged graph: the same index


def test_tools_offered_alike_share_one_legality_answer():
    """A state condition "the state offers a value" carries the environment's offer key: booking, cancelling and
    invoicing all wait for an access token, and the sampler asks once whether there is one."""
    g = bfcl_graph("TravelAPI").output
    conditions = [(v, d["condition"]) for _, v, d in g.edges(data=True)
                  if (d.get("condition") or {}).get("type") == "candidates"]
    assert conditions and all(c.get("offers") for _, c in conditions)
    tools_by_key: dict[tuple, set[str]] = {}
    for tool, c in conditions:
        tools_by_key.setdefault(tuple(c["offers"]), set()).add(tool)
    assert len(tools_by_key[("TravelAPI", "access_token")]) > 3
    for seed in range(6):
        env = make_bfcl_env("TravelAPI", {"TravelAPI": generate_state("TravelAPI", seed=seed)})
        memo = StateMemo(env)
        assert legal_tools(g, set(), env, index=graph_index(g), memo=memo) == legal_tools(g, set(), env)
        assert len([k for k in memo.answers if k[0] == "offered"]) <= len(tools_by_key)



def test_graph_index_is_made_again_after_any_edit_it_reads():
    """The index is reused only while the graph is the same: a condition changed in place, an edge's kind, a node
    marked broken, an edge removed and added again (its group's order) each make a new one that reads the edit."""
    g = bfcl_graph("TwitterAPI").output.copy()
    index = graph_index(g)
    assert graph_index(g) is index
    u, v, cond = next((u, v, d["condition"]) for u, v, d in g.edges(data=True) if d.get("condition"))
    cond["_test"] = 1  # in place: the same dict object
    changed = graph_index(g)
    assert changed is not index and graph_index(g) is changed
    g.nodes["post_tweet"]["broken"] = "failed in every probe"
    broken = graph_index(g)
    assert broken is not changed and "post_tweet" in broken.broken
    data = dict(g.edges[u, v])
    g.remove_edge(u, v)
    removed = graph_index(g)
    assert removed is not broken
    g.add_edge(u, v, **data)  # the same edge again, now last among u's edges
    readded = graph_index(g)
    assert readded is not removed and graph_index(g) is readded
    w, x = next((w, x) for w, x, d in g.edges(data=True) if d.get("kind") != "param_flow")
    g.edges[w, x].update(kind="param_flow", param="a_test_param", field="a_test_field")
    assert graph_index(g).links[x]["a_test_param"] == {(w, "a_test_field")}

def test_file_system_needs_a_file_in_reach():
    g = bfcl_graph("GorillaFileSystem").output
    docs = {"docs": {"type": "directory", "contents": {"a.txt": {"type": "file", "content": "hello"}}}}
    empty = make_bfcl_env("GorillaFileSystem",
                          {"GorillaFileSystem": {"root": {"home": {"type": "directory", "contents": docs}}}})
    assert not is_legal(g, "cat", set(), empty)[0]  # nothing to read in the cwd
    assert is_legal(g, "cat", {"cd"})[0]
    empty.execute(ToolCall("cd", {"folder": "docs"}))
    assert is_legal(g, "cat", set(), empty)[0]  # a file is there now


def test_distances_walk_toward_the_target(twitter):
    dist = distances_to(twitter, "comment")
    assert dist["comment"] == 0
    assert all(d >= 1 for t, d in dist.items() if t != "comment")
    for t, d in dist.items():
        if d > 0:
            assert any(dist.get(s) == d - 1 for s in twitter.successors(t))


def test_density_stays_under_the_budget():
    for cls, d in class_density(bfcl_graph(["GorillaFileSystem", "TwitterAPI"]).output).items():
        assert d <= 0.2, cls


def test_name_flow_on_user_specs_explains_the_match():
    specs = [
        ToolSpec("find_user", "Find a user.", {"type": "object", "properties": {"name": {"type": "string"}}},
                 {"type": "object", "properties": {"user_id": {"type": "string"}}}, owner="Shop"),
        ToolSpec("ship_order", "Ship to a user.", {"type": "object", "properties": {
            "recipient_id": {"type": "string", "description": "The user id of the recipient."}}}, owner="Shop"),
    ]
    g = build_graph(specs).output
    assert g.has_edge("find_user", "ship_order")
    assert "user_id" in g.edges["find_user", "ship_order"]["reason"]


def test_overlay_edits_round_trip(tmp_path, twitter):
    g = twitter.copy()
    overlay = edit_overlay({"add": [], "remove": []}, "add", "get_user_stats", "follow_user", "stats before following")
    some_edge = next(iter(g.edges))
    overlay = edit_overlay(overlay, "remove", *some_edge, "not a real dependency")
    path = tmp_path / "overlay.json"
    save_overlay(overlay, path)
    applied = apply_overlay(g, load_overlay(path))
    assert g.edges["get_user_stats", "follow_user"]["kind"] == "manual"
    assert not g.has_edge(*some_edge)
    assert {a.kind for a in applied} == {"manual", "manual_remove"}
    with pytest.raises(GraphError, match="reason"):
        edit_overlay(overlay, "add", "a", "b", "  ")


def test_bad_overlay_file_names_the_problem(tmp_path):
    bad = tmp_path / "o.json"
    bad.write_text('{"add": [{"source": "a"}]}')
    with pytest.raises(GraphError, match=r"add\[0\].*target"):
        load_overlay(bad)
    bad.write_text("{not json")
    with pytest.raises(GraphError, match="line 1"):
        load_overlay(bad)


def test_cli_export_writes_node_link_json(tmp_path):
    out = tmp_path / "g.json"
    res = CliRunner().invoke(app, ["graph", "export", "--env", "GorillaFileSystem", "--env", "TwitterAPI",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    g = nx.node_link_graph(json.loads(out.read_text()), edges="edges")
    assert "cd" in g and "post_tweet" in g and g.number_of_edges() > 10
    bad = CliRunner().invoke(app, ["graph", "export", "--env", "NoSuchAPI", "--out", str(out)])
    assert bad.exit_code == 2 and "NoSuchAPI" in bad.output


def test_bfcl_check_figures():
    """Measured against BFCL's base ground truth (measuring only: nothing is built from it)."""
    res = check_graph("base").output
    assert res.calls > 1000
    assert res.legality >= 0.95
    assert all(d <= 0.2 for d in res.density.values())
    assert res.pair_recall >= 0.8
    res = CliRunner().invoke(app, ["graph", "check", "--category", "miss_param", "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["calls"] > 0


def test_views_see_each_option_and_name_the_subjects_they_look_at():
    """A read-only tool with a view option (displayCarStatus(option=…)) is probed on every option, so it
    observes changes in any part of the state, even after a chain of obstacles (startEngine); and each option
    names a subject, linking the view to the tools that act on it."""
    g = bfcl_graph("VehicleControlAPI").output
    observed = g.edges["startEngine", "displayCarStatus"]
    assert observed["kind"] == "observe" and "option='engine'" in observed["reason"]
    assert "option='fuel'" in g.edges["fillFuelTank", "displayCarStatus"]["reason"]
    topic = g.edges["displayCarStatus", "lockDoors"]
    assert topic["kind"] == "topic" and "option='doors'" in topic["reason"] and "door" in topic["reason"]
    assert not g.has_edge("displayCarStatus", "gallon_to_liter")  # no option names a unit conversion


def test_detectors_hand_typed_evidence_that_the_cache_form_keeps():
    """Each detector returns small typed records (edges, probe outcomes, obstacle paths); their plain form (what the
    disk cache keeps) reads back as the same records, through JSON too."""
    from fr_core.graph.evidence import (ObstaclePath, ProbeOutcome, StateEdge, StatusMoved, evidence_from_json,
                                        evidence_to_json)
    from fr_core.graph.obstacles import probe_obstacles
    from fr_core.graph.probe import probe_edges

    found = []
    for cls in ("VehicleControlAPI", "TwitterAPI"):
        env = make_bfcl_env([cls], {cls: generate_state(cls, seed=0)})
        before = env.state()
        found += [*probe_edges(env, seed=0), *probe_obstacles(env, seed=0)]
        assert env.state() == before  # probing restores the state it started from
    kinds = {type(e) for e in found}
    assert {StateEdge, ProbeOutcome, ObstaclePath, StatusMoved} <= kinds
    assert all(evidence_from_json(json.loads(json.dumps(evidence_to_json(e)))) == e for e in found)
    hard = [e for e in found if isinstance(e, StateEdge) and e.hard]
    assert hard and all(e.condition and e.condition["type"] in ("candidates", "truthy", "equals") for e in hard)


def test_after_a_graph_is_built_a_full_collection_walks_only_what_is_new():
    """What loading BFCL and a graph brings (some 130k objects) stays out of the collector's full passes, which
    otherwise walked it once or twice in every sampling run; nothing collectable is kept out with it."""
    import gc

    g = bfcl_graph(["TwitterAPI", "GorillaFileSystem"]).output
    assert len(gc.get_objects()) < 20_000 < gc.get_freeze_count()
    assert g.number_of_nodes() > 0
