"""Phase I sampler: Eq. 2, argument provenance, deliberate errors, reach and success over many seeded episodes."""

from __future__ import annotations

import json
import random
from functools import lru_cache
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from fr_core.envs import BFCL_CLASSES
from fr_core.envs.factory import make_env
from fr_core.errors import ConfigError, SamplingError
from fr_core.graph import bfcl_graph
from fr_core.graph.check import class_combinations
from fr_core.sampling import (
    Coverage,
    SamplerConfig,
    choose_next_tool,
    sample_episode,
    sample_episodes,
    sample_turn,
    summarize,
)
from fr_core.types import CallResult, ToolSpec

# The full 500 episodes per environment run in bench/bench_sampler.py; 20 keep the suite fast on 2 cores.
EPISODES = 20

# Environments whose reach bar still misses for reasons the graph cannot fix. They still run; a miss is an
# expected failure naming the cause, a pass is reported as XPASS.
GRAPH_GAPS = {
    "TradingBot": "withdraw_funds needs market_status 'Open', which no tool sets (half the generated states are closed)",
    "VehicleControlAPI": "startEngine also needs the brake pressed fully (private _brakePedalForce == 1000), which "
                         "no public state shows; get_outside_temperature_from_weather_com always answers 404",
}


ENVS = list(BFCL_CLASSES) + class_combinations("base")


@lru_cache(maxsize=None)
def graph(spec: str) -> nx.DiGraph:
    return bfcl_graph(spec.split("+")).output


@lru_cache(maxsize=None)
def figures(spec: str, policy: str):
    traces = sample_episodes(lambda s: make_env(spec, seed=s), graph(spec), EPISODES,
                             SamplerConfig(rounds=3, calls=4, seed=1000, policy=policy))
    return summarize(traces)


# -- Eq. 2 ---------------------------------------------------------------------------------------------------


def test_eq2_rules_fire_in_order_and_say_why():
    g = nx.DiGraph([("login", "ls"), ("ls", "cat"), ("pwd", "cat")])
    g.add_node("help")
    rng = random.Random(0)
    toward = choose_next_tool(g, ["login", "help"], set(), "cat", rng)
    assert (toward.rule, toward.tool, toward.distance) == ("toward", "login", 2)
    target = choose_next_tool(g, ["cat", "help"], {"login"}, "cat", rng)
    assert (target.rule, target.tool) == ("target", "cat")
    explore = choose_next_tool(g, ["cat", "help"], {"cat"}, "cat", rng)
    assert explore.rule == "explore" and "already called" in explore.reason
    assert choose_next_tool(g, ["help"], set(), "cat", rng) is None  # no legal tool leads to the target


def test_eq2_ties_depend_on_seed_not_on_set_order():
    g = nx.DiGraph([("a", "t"), ("b", "t"), ("c", "t")])
    picks = {choose_next_tool(g, order, set(), "t", random.Random(5)).tool
             for order in (["a", "b", "c"], ["c", "b", "a"], {"b", "a", "c"})}
    assert len(picks) == 1
    assert "tie among a, b, c" in choose_next_tool(g, ["a", "b", "c"], set(), "t", random.Random(5)).reason


# -- config ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad, words", [
    (dict(calls=0), "'calls'"), (dict(rounds=-1), "'rounds'"), (dict(error_share=1.5), "'error_share'"),
    (dict(strategy="greedy"), "uniform, deep, coverage"), (dict(policy="bfs"), "directed, random"),
    (dict(calls="4"), "integer"),
])
def test_config_rejects_bad_values_with_clear_messages(bad, words):
    with pytest.raises(ConfigError, match=words):
        SamplerConfig(**bad)
    with pytest.raises(ConfigError, match="unknown key"):
        SamplerConfig.from_dict({"cals": 4})


# -- one turn / episode ----------------------------------------------------------------------------------------


def test_turn_trace_has_every_decision_and_provenance():
    env = make_env("TravelAPI", seed=3)
    res = sample_turn(env, graph("TravelAPI"), "book_flight", calls=4, seed=3)
    turn, trace = res.output, res.trace
    assert len(turn.steps) == len(trace.steps) == 4
    first = trace.steps[0]
    assert first.legal and first.rule in ("target", "toward") and first.tool == turn.steps[0].call.name
    for step in trace.steps:
        assert {s.name for s in step.sources} == set(step.arguments)
        assert all(s.kind in ("state", "output", "schema", "random") for s in step.sources)
    booked = [s for s in trace.steps if s.tool == "book_flight" and s.ok]
    assert booked and any(d["path"].startswith("booking_record.") for d in booked[0].state_diff)


def test_state_carries_across_rounds_and_outputs_feed_later_arguments():
    flows = 0
    for seed in range(10):
        res = sample_episode(make_env("TravelAPI", seed=seed), graph("TravelAPI"), rounds=3, calls=4, seed=seed)
        for t in res.trace.turns:
            for s in t.steps:
                for src in s.sources:
                    if src.kind == "output":
                        flows += 1
                        r, k = src.from_call
                        earlier = res.trace.turns[r].steps[k]
                        assert (r, k) < (s.round, s.step) and earlier.ok
                        assert src.detail.startswith(earlier.tool)
    assert flows > 10


def test_same_state_and_seed_give_identical_traces():
    a = sample_episode(make_env("GorillaFileSystem+TwitterAPI", seed=4), graph("GorillaFileSystem+TwitterAPI"),
                       rounds=3, calls=4, seed=9, error_share=0.2)
    b = sample_episode(make_env("GorillaFileSystem+TwitterAPI", seed=4), graph("GorillaFileSystem+TwitterAPI"),
                       rounds=3, calls=4, seed=9, error_share=0.2)
    assert json.dumps(a.trace.to_json(), default=str) == json.dumps(b.trace.to_json(), default=str)


def test_deliberate_errors_fail_realistically_and_are_marked():
    marked = 0
    for seed in range(6):
        res = sample_episode(make_env("TravelAPI+MessageAPI", seed=seed), graph("TravelAPI+MessageAPI"),
                             rounds=3, calls=4, seed=seed, error_share=0.5)
        for turn, t in zip(res.output, res.trace.turns):
            for call, s in zip(turn.steps, t.steps):
                assert call.deliberate_error == s.deliberate_error
                if s.deliberate_error:
                    marked += 1
                    assert not s.ok and s.error and s.deliberate_detail
                    assert any(src.detail.startswith("deliberate error") for src in s.sources)
    assert marked >= 10


def test_unreachable_target_ends_the_turn_with_a_reason():
    g = nx.DiGraph(graph("TravelAPI"))
    g.add_node("ghost_tool")
    res = sample_turn(make_env("TravelAPI", seed=1), g, "ghost_tool", calls=4, seed=1)
    assert res.output.steps == () and "not a tool" in res.output.end_reason
    gated = nx.DiGraph(graph("MathAPI"))
    for tool in list(gated.nodes):
        if tool != "add":
            gated.add_edge("add", tool, kind="manual", reason="test", hard=True, condition=None)
    gated.remove_edges_from([(u, "add") for u in list(gated.predecessors("add"))])
    gated.add_edge("mean", "add", kind="manual", reason="test", hard=True, condition=None)
    res = sample_turn(make_env("MathAPI", seed=1), gated, "add", calls=4, seed=1)
    assert res.output.steps == () and "unreachable" in res.output.end_reason
    assert res.trace.start_hops is None and not res.trace.reachable


class _Broken:
    """An environment whose every tool fails."""

    name = "broken"

    def tools(self):
        return [ToolSpec("ping", "ping", owner="Broken"), ToolSpec("pong", "pong", owner="Broken")]

    def execute(self, call):
        return CallResult(call, error=f"{call.name}: service down")

    def snapshot(self):
        return None

    def restore(self, snapshot):
        return None

    def state(self):
        return {}

    def candidates(self, tool, param):
        return []

    def copy(self):
        return self


def test_environment_where_everything_fails_is_reported():
    g = nx.DiGraph()
    g.add_nodes_from(["ping", "pong"])
    with pytest.raises(SamplingError, match="ping: ping: service down") as info:
        sample_episode(_Broken(), g, rounds=2, calls=3, seed=0)
    assert all("every call failed" in t.end_reason for t in info.value.trace.turns)


# -- the bars, per BFCL class and base-category combination ---------------------------------------------------


@pytest.mark.parametrize("spec", ENVS)
def test_directed_sampler_bars(spec):
    d, r = figures(spec, "directed"), figures(spec, "random")
    # The comparison with the random walk holds everywhere.
    assert d.reach_rate > r.reach_rate, (spec, d.reach_rate, r.reach_rate)
    gaps = [GRAPH_GAPS[c] for c in spec.split("+") if c in GRAPH_GAPS]
    ok = d.success_rate >= 0.90 and d.reach_rate >= 0.95
    if not ok and gaps:
        pytest.xfail(f"{spec}: success {d.success_rate:.3f}, reach {d.reach_rate:.3f}; " + "; ".join(gaps))
    assert d.success_rate >= 0.90, (spec, d.success_rate, d.top_failures())
    assert d.reach_rate >= 0.95, (spec, d.reach_rate)


def test_directed_sampler_has_more_data_flow_than_the_random_walk_overall():
    d = [figures(s, "directed") for s in ENVS]
    r = [figures(s, "random") for s in ENVS]
    flow_d = sum(x.args_by_kind.get("output", 0) for x in d) / sum(x.args for x in d)
    flow_r = sum(x.args_by_kind.get("output", 0) for x in r) / sum(x.args for x in r)
    assert flow_d > flow_r, (flow_d, flow_r)


@pytest.mark.parametrize("cls", list(BFCL_CLASSES))
def test_coverage_targets_cover_every_tool_within_200_turns(cls):
    cov = Coverage()
    tools = sorted(graph(cls).nodes)
    seed = 0
    while cov.turns < 200 and cov.uncovered(tools):
        sample_episode(make_env(cls, seed=seed), graph(cls), rounds=3, calls=4, seed=seed, strategy="coverage",
                       coverage=cov)
        seed += 1
    assert not cov.uncovered(tools), (cls, cov.uncovered(tools), cov.turns)


# -- user environment and CLI ----------------------------------------------------------------------------------

NOTES = Path(__file__).resolve().parents[2] / "data" / "tools" / "notes_app.py"


@pytest.mark.skipif(not NOTES.exists(), reason="example user tools not shipped")
@pytest.mark.xfail(strict=False,
                   reason="user Python-class envs offer no state candidates yet, so login credentials are guessed")
def test_user_environment_episode():
    from fr_core.sampling.commands import graph_for

    spec = f"{NOTES}:NotesApp"
    env = make_env(spec, seed=0)
    traces = sample_episodes(lambda s: make_env(spec, seed=s), graph_for(spec, env), 10, rounds=3, calls=4)
    stats = summarize(traces)
    assert stats.calls > 0 and stats.success_rate >= 0.8, stats.top_failures()


def test_cli_prints_a_readable_episode_and_json():
    from fr_core.cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["sample", "--env", "TravelAPI", "--rounds", "3", "--calls", "4", "--seed", "7"])
    assert out.exit_code == 0, out.output
    assert "Round 0: target" in out.output and "Round 2" in out.output
    js = runner.invoke(app, ["sample", "--env", "TravelAPI", "--rounds", "2", "--calls", "3", "--seed", "7", "--json"])
    data = json.loads(js.output)
    assert len(data["turns"]) == 2 and data["turns"][0]["steps"][0]["sources"] is not None
    bad = runner.invoke(app, ["sample", "--env", "TravelAPI", "--calls", "0"])
    assert bad.exit_code == 2 and "calls" in bad.output
