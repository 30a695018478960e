"""The method on a user's own tools: the shipped examples and two test environments shaped unlike BFCL (ids one
record down, a login by card and PIN, credits and copies that run out), sampled from general evidence only."""

from __future__ import annotations

from pathlib import Path

import pytest

from fr_core.envs.factory import make_env
from fr_core.graph import spec_graph
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.sampling import SamplerConfig, sample_episodes, sample_turn, summarize
from fr_core.store import Store
from fr_core.types import ToolCall

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = f"{ROOT}/tests/data/tools/library.py:LendingLibrary"
PRINT_SHOP = f"{ROOT}/tests/data/tools/print_shop.py:PrintShop"
USER_ENVS = (f"{ROOT}/data/tools/notes_app.py:NotesApp", f"{ROOT}/data/tools/weather_tools.json", LIBRARY,
             PRINT_SHOP)


def test_state_values_are_found_by_name_and_shape():
    env = make_env(LIBRARY, seed=1)
    # Ids of the collection a parameter names, one record down ({"loan": {"loan_id": ...}}), and two fields
    # of one record kept together (a card number and its PIN).
    assert env.candidates("return_book", "loan_id") and all(x.startswith("ln-") for x in
                                                            env.candidates("return_book", "loan_id"))
    (first, second, pairs), = env.pairs("sign_in")
    members = env.state()["LendingLibrary"]["members"]
    assert (first, second) == ("card_number", "pin")
    assert set(pairs) == {(m["card"]["card_number"], m["pin"]) for m in members}
    shop = make_env(PRINT_SHOP, seed=1)
    docs = shop.state()["PrintShop"]["documents"]
    assert shop.candidates("print_document", "document_id") == [d["meta"]["id"] for d in docs]


def test_probes_run_on_the_class_generated_states():
    g = spec_graph(LIBRARY).output
    assert {u for u, _, d in g.in_edges("borrow_book", data=True) if d["hard"]} == {"sign_in"}
    assert "generate_state" not in g  # the state generator is a hook, not a tool


@pytest.mark.parametrize("spec", USER_ENVS, ids=lambda s: s.rsplit("/", 1)[-1])
def test_directed_sampler_on_user_environments(spec):
    """A guard on the figures bench/bench_sampler.py prints (100 episodes: success and reach about 0.9 to 1.0); 40
    episodes here, so the bars leave room for the smaller sample."""
    g = spec_graph(spec).output
    stats = summarize(sample_episodes(lambda s: make_env(spec, seed=s), g, 40, SamplerConfig(rounds=3, calls=4)))
    assert stats.success_rate >= 0.95, stats.top_failures()
    assert stats.reach_rate >= 0.9, stats.reach_rate
    assert stats.args_by_kind.get("output", 0) > 0, stats.args_by_kind  # ids flow from one call to the next


def test_a_tool_that_would_fail_now_is_left_or_its_error_cleared_first():
    """The member signed in owes nothing, so pay_fine would refuse every amount: tried on a copy, it is left for
    another tool (the trace says why); a tool whose refusal the graph knows how to clear is preceded by that call
    instead. No call fails."""
    g = spec_graph(LIBRARY).output
    left = cleared = 0
    for seed in range(12):
        env = make_env(LIBRARY, seed=seed)
        member = env.state()["LendingLibrary"]["members"][0]
        assert env.execute(ToolCall("sign_in", {"card_number": member["card"]["card_number"],
                                                "pin": member["pin"]})).ok
        assert env.execute(ToolCall("pay_fine", {"amount": member["fines"]})).ok
        steps = sample_turn(env, g, "list_loans", calls=4, seed=seed, called={"sign_in"}).trace.steps
        assert all(s.ok for s in steps), [(s.tool, s.error) for s in steps if not s.ok]
        left += any("pay_fine would fail now, tried on a copy" in s.reason for s in steps)
        cleared += any(s.rule == "recover" and "refused every value the state offers on a copy" in s.reason
                       for s in steps)
    assert left and cleared, (left, cleared)


def test_generate_with_only_user_environments_accepts_as_bfcl_runs_do(tmp_path):
    config = RunConfig.from_dict({"run": {"seed": 0}, "generate": {"envs": list(USER_ENVS), "rounds": 3,
                                                                    "calls": 4, "variants": {}}})
    store = Store(tmp_path / "w.db")
    progress = run_batch(store, config, 60, concurrency=2)
    assert progress.failed == 0 and progress.accepted / progress.done >= 0.4, progress
    for row in store.iter_samples(progress.run_id, "accepted"):
        for record in row.trajectory.turns:
            assert record.adv_tool.grounding and record.outcome.passing.steps
