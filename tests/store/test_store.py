"""The run store: round trips, idempotent per-sample writes, streaming listing, stats, edits, secrets, schema."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from fr_core.errors import StoreError
from fr_core.store import SCHEMA_VERSION, Store, migrate, sample_id, sanitize_config, schema_version


def test_sample_round_trips_with_its_steps(tmp_path, trajectory) -> None:
    store = Store(tmp_path / "w.db")
    run = store.create_run({"agents": {"kind": "offline"}}, seed=7, n_samples=3)
    assert store.add_sample(run, 0, trajectory, seconds=0.5)
    row = store.get_sample(sample_id(run, 7, 0))
    assert row.trajectory == trajectory
    assert (row.status, row.n_turns, row.n_attempts, row.classes) == ("accepted", 1, 2, ("GorillaFileSystem",))
    stages = [(s.stage, s.attempt, s.ok) for s in store.steps(row.id)]
    assert stages == [("sample", 0, True), ("abstract", 0, True), ("query", 0, True), ("refine", 1, False),
                      ("refine", 2, True)]
    assert store.steps(row.id)[-1].llm_calls[0]["cache_key"] == "k2"


def test_same_index_is_never_stored_twice(tmp_path, trajectory, make_trajectory) -> None:
    store = Store(tmp_path / "w.db")
    run = store.create_run({}, seed=1, n_samples=2)
    assert store.add_sample(run, 0, trajectory)
    assert not store.add_sample(run, 0, make_trajectory("other", "rejected"))
    assert store.count_samples(run) == 1
    assert len(store.steps(sample_id(run, 1, 0))) == 5
    assert store.get_sample(sample_id(run, 1, 0)).status == "accepted"


def test_failed_sample_without_trajectory(tmp_path) -> None:
    store = Store(tmp_path / "w.db")
    run = store.create_run({}, seed=1, n_samples=2)
    store.add_sample(run, 1, error="EnvError: no such class")
    row = store.get_sample(sample_id(run, 1, 1))
    assert (row.status, row.error, row.trajectory) == ("failed", "EnvError: no such class", None)
    assert store.done_indices(run) == {1}
    with pytest.raises(StoreError, match="trajectory or an error"):
        store.add_sample(run, 2)


def test_iter_samples_streams_in_order_and_filters(tmp_path, make_trajectory) -> None:
    store = Store(tmp_path / "w.db")
    run = store.create_run({}, seed=3, n_samples=30)
    for i in range(30):
        store.add_sample(run, 29 - i, make_trajectory(f"s{i}", "accepted" if i % 3 else "rejected"))
    rows = list(store.iter_samples(run, batch=7))
    assert [r.idx for r in rows] == list(range(30))
    rejected = list(store.iter_samples(run, "rejected", with_trajectory=False, batch=4))
    assert len(rejected) == 10 and all(r.data is None and r.status == "rejected" for r in rejected)


def test_run_stats_and_listing(tmp_path, make_trajectory) -> None:
    store = Store(tmp_path / "w.db")
    run = store.create_run({"samples": 4}, seed=0, n_samples=4)
    store.add_sample(run, 0, make_trajectory("a", passes_at=1, cost=0.02))
    store.add_sample(run, 1, make_trajectory("b", passes_at=2, cost=0.02))
    store.add_sample(run, 2, make_trajectory("c", "rejected", passes_at=3, cost=0.02))
    store.add_sample(run, 3, error="boom")
    store.finish_run(run, timings={"wall_s": 1.5})
    (stats,) = store.list_runs()
    assert (stats.stored, stats.accepted, stats.rejected, stats.failed) == (4, 2, 1, 1)
    assert stats.passed_at == {1: 1, 2: 1} and stats.refine_turns == 3
    assert (stats.rounds, stats.target_reached, stats.queries, stats.query_leaks) == (3, 3, 3, 0)
    assert stats.cost_per_accepted == pytest.approx(0.03)
    assert stats.run.status == "done" and stats.run.timings == {"wall_s": 1.5}
    assert (stats.leak_rewrites, stats.variants) == (0, {})


def test_edits_keep_before_after_author(tmp_path, trajectory) -> None:
    store = Store(tmp_path / "w.db")
    run = store.create_run({}, seed=0, n_samples=1)
    store.add_sample(run, 0, trajectory)
    sid = sample_id(run, 0, 0)
    eid = store.add_edit(sid, "turns[0].cot", "old", {"cot": "new"}, author="ana")
    (edit,) = store.edits(sid)
    assert (edit.id, edit.before, edit.after, edit.author) == (eid, "old", {"cot": "new"}, "ana")
    with pytest.raises(StoreError, match="no sample"):
        store.add_edit("nope", "x", 1, 2)


def test_config_never_keeps_secrets(tmp_path) -> None:
    config = {"agents": {"api_key": "sk-abcdefghijklmnop", "OPENAI_TOKEN": "x", "client_secret": "y",
                         "api_key_env": "OPENAI_API_KEY", "max_tokens": 100, "note": "sk-abcdefghijklmnopq"}}
    store = Store(tmp_path / "w.db")
    run = store.create_run(config, seed=0, n_samples=1)
    assert store.get_run(run).config == {"agents": {"api_key_env": "OPENAI_API_KEY", "max_tokens": 100}}
    raw = (tmp_path / "w.db").read_bytes() + (tmp_path / "w.db-wal").read_bytes()
    assert b"sk-abc" not in raw
    assert sanitize_config([{"token": 1}, "ghp_aaaaaaaaaaaaaaaa"]) == [{}]


def test_schema_versioned_and_newer_file_refused(tmp_path) -> None:
    path = tmp_path / "w.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    assert schema_version(conn) == SCHEMA_VERSION == migrate(conn)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this code"):
        Store(path)


def test_version_1_file_is_migrated_and_keeps_its_samples(tmp_path, trajectory) -> None:
    path = tmp_path / "w.db"
    store = Store(path)
    run = store.create_run({}, seed=0, n_samples=2)
    store.add_sample(run, 0, trajectory)
    sid = next(store.iter_samples(run)).id
    store.close()
    conn = sqlite3.connect(path)  # make it a version-1 file, as written before the v2, v3 and v4 changes
    conn.execute("DROP TABLE reviews")
    conn.execute("DROP TABLE stale")
    conn.execute("ALTER TABLE edits DROP COLUMN round")
    conn.execute("INSERT INTO edits (sample_id, field, before, after, author, created) "
                 "VALUES (?, 'round0', '{}', '{}', 'ana', 1.0)", (sid,))
    conn.execute("DROP INDEX samples_run_status")
    conn.execute("ALTER TABLE samples DROP COLUMN leak_rewrites")
    conn.execute("ALTER TABLE samples DROP COLUMN variant")
    conn.execute("ALTER TABLE samples DROP COLUMN failure")
    conn.execute("DROP TABLE claims")
    conn.execute("CREATE INDEX samples_run_status ON samples (run_id, status, idx)")
    conn.execute("UPDATE schema_version SET version = 1")
    conn.commit()
    conn.close()
    store = Store(path)
    assert schema_version(store._conn) == SCHEMA_VERSION == 4
    (row,) = store.iter_samples(run)
    assert row.trajectory == trajectory and (row.leak_rewrites, row.variant) == (0, None)
    (edit,) = store.edits(sid)
    assert (edit.field, edit.round) == ("round", 1)  # a 0-based "round0" of old is round 1
    assert store.add_sample(run, 1, trajectory) and store.run_stats(run).stored == 2


def test_shares_a_file_with_the_llm_cache(tmp_path) -> None:
    from fr_core.llm import LLMCache

    LLMCache(tmp_path / "w.db")
    store = Store(tmp_path / "w.db")
    assert store.create_run({}, seed=0, n_samples=0)


def test_reader_sees_committed_samples_while_writer_writes(tmp_path, make_trajectory) -> None:
    writer, reader = Store(tmp_path / "w.db"), Store(tmp_path / "w.db")
    run = writer.create_run({}, seed=0, n_samples=50)
    it = reader.iter_samples(run, batch=5)
    for i in range(20):
        writer.add_sample(run, i, make_trajectory(f"s{i}"))
    seen = [next(it).idx for _ in range(5)]
    for i in range(20, 50):
        writer.add_sample(run, i, make_trajectory(f"s{i}"))
    seen += [r.idx for r in it]
    assert seen == list(range(50))


def test_listing_ten_thousand_samples_is_fast(tmp_path) -> None:
    store = Store(tmp_path / "w.db")
    run = store.create_run({}, seed=0, n_samples=10_000)
    data = json.dumps({"small": True})
    with store._transaction() as conn:  # bulk fixture; the public path is add_sample, one transaction a sample
        conn.executemany("INSERT INTO samples (id, run_id, idx, status, n_turns, trajectory, created) "
                         "VALUES (?, ?, ?, ?, 3, ?, 0)",
                         [(sample_id(run, 0, i), run, i, ("accepted", "rejected")[i % 2], data)
                          for i in range(10_000)])
    started = time.perf_counter()
    rows = list(store.iter_samples(run, "accepted", with_trajectory=False))
    assert len(rows) == 5000 and time.perf_counter() - started < 2.0
    plan = " ".join(r[-1] for r in store._query(
        "EXPLAIN QUERY PLAN SELECT id FROM samples WHERE run_id = ? AND status = ? AND idx > ? ORDER BY idx",
        (run, "accepted", -1)))
    assert "samples_run_status" in plan


def test_several_connections_opening_a_new_file_at_once_all_succeed(tmp_path):
    """A page and a background batch may create the store together: each migration step runs exactly once."""
    import threading

    from fr_core.store import Store

    for trial in range(10):
        path = tmp_path / f"race{trial}.db"
        errors: list[Exception] = []

        def open_store(path: Path = path, errors: list[Exception] = errors) -> None:
            try:
                Store(path).close()
            except Exception as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=open_store) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
