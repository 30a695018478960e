"""The notebooks' data sets: BFCL views, sampler baselines and (when the pipeline is importable) a generated run."""

from __future__ import annotations

import pytest

from fr_core.analysis.runs import (
    bfcl_class_sets,
    bfcl_views,
    generate_run,
    generated_views,
    pipeline_available,
    sampler_views,
    stored_views,
    trajectory_views,
)


def test_bfcl_views_follow_the_entries():
    sets = bfcl_class_sets()
    assert len(sets) == 200 and all(sets)
    views = bfcl_views(limit=3)
    assert [v.sample_id for v in views] == ["multi_turn_base_0", "multi_turn_base_1", "multi_turn_base_2"]
    assert views[0].source == "BFCL v3 base" and views[0].classes == sets[0]
    assert sum(len(t.calls) for t in views[0].turns) == 10  # 3 + 2 + 1 + 4 ground-truth calls


def test_random_walk_baseline_is_seeded():
    a = sampler_views([("MathAPI",), ("TicketAPI",)], seed=5, policy="random", queries=None)
    b = sampler_views([("MathAPI",), ("TicketAPI",)], seed=5, policy="random", queries=None)
    assert a == b and a[0].source == "random walk" and len(a[0].turns) == 3
    assert all(t.query == "" for v in a for t in v.turns)


@pytest.mark.skipif(not pipeline_available(), reason="fr_core.pipeline / fr_core.agents not importable")
def test_generated_run_and_its_easy_queries():
    run = generate_run([("TicketAPI",), ("MathAPI",)], seed=1, rounds=2)
    assert len(run) == 2
    hard = trajectory_views(run, accepted_only=False)
    easy = trajectory_views(run, query="easy", source="easy", accepted_only=False)
    assert [v.sample_id for v in hard] == [v.sample_id for v in easy]
    assert all(h.calls == e.calls for h, e in zip(hard, easy))


def test_generated_views_say_how_they_were_made():
    got = generated_views([("TicketAPI",), ("MathAPI",), ("TwitterAPI",)], seed=2, rounds=2)
    assert got.how and len(got.hard) == len(got.easy)
    assert all(v.source == "generated" for v in got.hard) and all(v.source == "easy queries" for v in got.easy)
    assert ("pipeline" in got.how) == pipeline_available()


def test_generated_views_fall_back_to_the_sampler(monkeypatch):
    import fr_core.analysis.runs as runs

    monkeypatch.setattr(runs, "pipeline_available", lambda: False)
    got = runs.generated_views([("TicketAPI",), ("MathAPI",)], seed=2, rounds=2)
    assert "directed sampler episodes only" in got.how and got.trajectories == []
    assert len(got.hard) == 2 and all(len(v.turns) == 2 for v in got.hard)


@pytest.mark.skipif(not pipeline_available(), reason="fr_core.pipeline / fr_core.agents not importable")
def test_stored_views_read_the_newest_run(tmp_path):
    from fr_core.store import Store

    db = tmp_path / "w.db"
    assert stored_views(db) is None and not db.exists()  # a missing store is not created
    run = generate_run([("TicketAPI",), ("MathAPI",), ("TwitterAPI",)], seed=4, rounds=2)
    with Store(db) as store:
        assert stored_views(db) is None  # no run yet
        rid = store.create_run({"note": "test"}, 4, len(run))
        for i, traj in enumerate(run):
            store.add_sample(rid, i, traj)
    got = stored_views(db, accepted_only=False)
    assert got is not None and rid in got.how and len(got.hard) == len(run) == len(got.trajectories)
    assert [v.sample_id for v in got.hard] == [t.sample_id for t in run]
    assert stored_views(db, "no-such-run") is None


def test_analysis_data_prefers_a_stored_run(monkeypatch, tmp_path):
    import fr_core.analysis.runs as runs

    marker = runs.GeneratedViews([], [], "stored", [])
    monkeypatch.setattr(runs, "stored_views", lambda db: marker if db else None)
    monkeypatch.setattr(runs, "sampler_views", lambda sets, seed, **kw: [kw["source"]])
    monkeypatch.setattr(runs, "bfcl_views", lambda category: ["bfcl"])
    got = runs.analysis_data(3, db=tmp_path / "w.db")
    assert got.generated is marker and got.random_walk == ["random walk"] and got.directed_walk == ["directed walk"]
    assert set(got.graphs) == set(got.class_sets) and len(got.class_sets) == 200


def test_analysis_data_stride_and_repeats_choose_the_class_sets(monkeypatch):
    import fr_core.analysis.runs as runs

    made = {}
    monkeypatch.setattr(runs, "generated_views",
                        lambda sets, seed: made.setdefault("sets", list(sets)) and runs.GeneratedViews([], [], "", []))
    monkeypatch.setattr(runs, "sampler_views", lambda sets, seed, **kw: [kw["source"], len(list(sets))])
    monkeypatch.setattr(runs, "bfcl_views", lambda category: ["bfcl"])
    every = runs.bfcl_class_sets("base")
    got = runs.analysis_data(0, repeats=3, db="", stride=4)
    assert got.class_sets == every[::4] and len(got.class_sets) == 50
    assert made["sets"] == every[::4] * 3 and got.random_walk == ["random walk", 50]
    with pytest.raises(ValueError, match="at least 1"):
        runs.analysis_data(0, repeats=1, db="", stride=0)
