"""The export filters: BFCL contamination guard and near-duplicate filter, alone and inside export_run."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fr_core.export import ContaminationGuard, NearDuplicateFilter, export_run
from fr_core.graph.check import load_bfcl_entries
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store


@pytest.fixture(scope="module")
def guard() -> ContaminationGuard:
    return ContaminationGuard()


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("quality") / "w.db")
    config = RunConfig.from_dict({"run": {"seed": 2}, "generate": {"envs": ["GorillaFileSystem"], "rounds": 2,
                                                                  "calls": 3}})
    run = run_batch(store, config, 10, concurrency=1)
    rows = list(store.iter_samples(run.run_id, "accepted"))
    assert len(rows) >= 2
    return store, run.run_id, rows


def _with_query(trajectory, text):
    record = trajectory.turns[0]
    return replace(trajectory, turns=(replace(record, hard_query=replace(record.hard_query, text=text)),
                                      *trajectory.turns[1:]))


def test_guard_passes_our_data_and_flags_bfcl_questions_and_states(guard, stored) -> None:
    _, _, rows = stored
    ours = rows[0].trajectory
    assert not guard.check(ours).flagged
    entry = load_bfcl_entries("base")[0]
    copied = _with_query(ours, entry["question"][0][0]["content"])
    verdict = guard.check(copied)
    assert verdict.flagged and verdict.overlap == 1.0 and verdict.bfcl_id == entry["id"]
    same_state = replace(ours, initial_config={"GorillaFileSystem": entry["initial_config"]["GorillaFileSystem"]})
    verdict = guard.check(same_state)
    assert verdict.flagged and verdict.same_config == ("GorillaFileSystem",)


def test_near_duplicates_are_caught_and_different_texts_kept() -> None:
    dedup = NearDuplicateFilter()
    text = ("Please move the quarterly report from the documents folder into the archive folder, then tell me how "
            "many lines the report has and post a short summary of it to my followers")
    assert not dedup.is_duplicate(text)
    assert dedup.is_duplicate(text)
    assert dedup.is_duplicate(text + " now")
    assert not dedup.is_duplicate("Buy 10 shares of the stock with the best price today and show my balance")
    assert dedup.dropped == 2


def test_export_drops_contaminated_and_duplicate_samples(guard, stored, tmp_path) -> None:
    store, run_id, rows = stored
    entry = load_bfcl_entries("base")[0]
    n = store.count_samples(run_id)
    # Two more samples of the run: a copy of sample 0 and one whose query is a BFCL test question.
    store.add_sample(run_id, n, replace(rows[0].trajectory, sample_id="copy"))
    store.add_sample(run_id, n + 1, _with_query(rows[1].trajectory, entry["question"][0][0]["content"]))
    accepted = store.count_samples(run_id, "accepted")
    report = export_run(store, run_id, "openai", tmp_path / "o.jsonl")
    assert (report.contaminated, report.duplicates, report.written) == (1, 1, accepted - 2)
    kept = export_run(store, run_id, "openai", tmp_path / "all.jsonl", guard=False, dedup=False)
    assert kept.written == accepted
    import pyarrow.parquet as pq

    export_run(store, run_id, "parquet", tmp_path / "p.parquet")
    table = pq.read_table(tmp_path / "p.parquet").to_pydict()
    assert sum(table["contaminated"]) == 1 and sum(table["near_duplicate"]) == 1
