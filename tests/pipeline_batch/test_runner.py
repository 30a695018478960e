"""Batch runs: configs, deterministic resumable runs, and kill -9 / Ctrl-C of a real `fr generate` process."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fr_core.envs import make_env
from fr_core.errors import ConfigError
from fr_core.pipeline.config import CONFIGS_DIR, RunConfig, load_run_config
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store, sample_id

FR = str(Path(sys.executable).with_name("fr"))
OFFLINE = str(CONFIGS_DIR / "offline.toml")


def test_shipped_configs_load_and_point_at_known_profiles() -> None:
    from fr_core.llm import load_profiles

    profiles = load_profiles()
    for name in ("offline", "openai", "anthropic", "vllm", "user_tools"):
        config = load_run_config(name)
        assert config.agents.profile in profiles
    assert load_run_config(OFFLINE).agents.profile == "offline"
    root = CONFIGS_DIR.parents[1]
    assert all(make_env(str(root / spec)).tools() for spec in load_run_config("user_tools").generate.envs)


def test_bad_config_says_what_and_where(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[generate]\nenvs = ["GorillaFileSystem"]\nrounds = 0\ncolour = "red"\n')
    with pytest.raises(ConfigError, match=r"bad.toml: generate.rounds: .*greater than or equal to 1.*colour"):
        load_run_config(bad)
    with pytest.raises(ConfigError, match="shipped configs: .*offline"):
        load_run_config(tmp_path / "missing.toml")


def _small() -> RunConfig:
    return RunConfig.from_dict({"run": {"seed": 5}, "generate": {"envs": ["GorillaFileSystem", "TradingBot"],
                                                                "rounds": 2, "calls": 3}})


def test_run_is_deterministic_and_resume_fills_only_the_gaps(tmp_path) -> None:
    store = Store(tmp_path / "w.db")
    events = []
    full = run_batch(store, _small(), 12, concurrency=2, on_progress=lambda p: events.append(p.done))
    assert (full.done, full.interrupted) == (12, False) and events[-1] == 12
    first = {r.idx: r.data for r in store.iter_samples(full.run_id, None)}
    # A second run with the same seed gives the same samples; one cut short and resumed does too.
    stop = threading.Event()
    part = run_batch(store, _small(), 12, concurrency=1, stop=stop,
                     on_progress=lambda p: p.done >= 5 and stop.set())
    assert part.interrupted and store.get_run(part.run_id).status == "interrupted"
    done = run_batch(store, resume=part.run_id)
    assert (done.done, done.skipped, done.interrupted) == (12, part.done, False)
    second = {r.idx: r.data for r in store.iter_samples(part.run_id, None)}
    strip = lambda d: {k: v for k, v in d["provenance"].items() if k != "elapsed_s"}  # noqa: E731
    assert {i: (d["status"], d["turns"], strip(d)) for i, d in first.items()} == \
           {i: (d["status"], d["turns"], strip(d)) for i, d in second.items()}
    assert store.get_run(part.run_id).status == "done"
    more = run_batch(store, resume=part.run_id, n_samples=14)  # a resume may ask for more samples
    assert (more.done, more.skipped) == (14, 12) and store.done_indices(part.run_id) == set(range(14))


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
    except sqlite3.OperationalError:  # the file or its tables are not created yet
        return 0


def _start(db: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([FR, "generate", "--db", str(db), *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "120"})


def _wait_for_samples(db: Path, proc: subprocess.Popen, at_least: int) -> None:
    deadline = time.monotonic() + 60
    while _count(db) < at_least:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "no samples appeared"
        time.sleep(0.02)


def test_kill_9_then_resume_loses_and_duplicates_nothing(tmp_path) -> None:
    db, n = tmp_path / "w.db", 60  # killed at 25 and more, mid-run; the resume then finishes the rest
    proc = _start(db, "--config", OFFLINE, "--samples", str(n), "--concurrency", "2")
    _wait_for_samples(db, proc, 5)
    reader = Store(db)  # a reader (the app) open while the batch writes: it sees whole samples, never a lock error
    (run,) = reader.runs()
    seen = [row for _ in range(5) for row in reader.iter_samples(run.id, batch=16)]
    assert seen and all(row.trajectory is not None or row.error for row in seen)
    _wait_for_samples(db, proc, 25)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = Store(db)
    (run,) = store.runs()
    killed_at = store.count_samples(run.id)
    assert 0 < killed_at < n and run.status == "running"
    resumed = subprocess.run([FR, "generate", "--db", str(db), "--resume", run.id], capture_output=True, text=True,
                             timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    ids = [r.id for r in store.iter_samples(run.id, with_trajectory=False)]
    assert len(ids) == n and set(ids) == {sample_id(run.id, run.seed, i) for i in range(n)}
    assert store.get_run(run.id).status == "done"
    steps = sqlite3.connect(db).execute("SELECT COUNT(*) FROM (SELECT sample_id, stage, round, attempt, COUNT(*) c "
                                        "FROM steps GROUP BY 1, 2, 3, 4 HAVING c > 1)").fetchone()[0]
    assert steps == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_cleanly_and_says_how_to_resume(tmp_path, sig) -> None:
    db = tmp_path / "w.db"
    proc = subprocess.Popen([FR, "generate", "--db", str(db), "--config", OFFLINE, "--samples", "400"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "300"})
    _wait_for_samples(db, proc, 10)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume" in out and "Traceback" not in out + err
    (run,) = Store(db).runs()
    assert run.status == "interrupted"
