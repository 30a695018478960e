"""The Ray executor: the same samples as the local executor for the same seed, resume without loss or duplicates,
``fr generate --executor ray --ray-address`` joining a running Ray runtime, and SIGTERM stopping a Ray run
cleanly although ``ray.init`` installs handlers of its own."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fr_core.errors import ConfigError
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store

ray = pytest.importorskip("ray", reason="Ray is an optional dependency: pip install '.[ray]'")
# Under make test's pytest-xdist (--dist loadfile) this module runs on one worker: one Ray runtime at a time.
pytestmark = pytest.mark.slow

FR = str(Path(sys.executable).with_name("fr"))


@pytest.fixture(scope="module")
def ray_runtime():
    """One local Ray runtime for the module (starting one takes seconds); yields its address."""
    context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield context.address_info["gcs_address"]
    ray.shutdown()


def _config() -> RunConfig:
    return RunConfig.from_dict({"run": {"seed": 11}, "generate": {"envs": ["GorillaFileSystem", "TradingBot"],
                                                                 "rounds": 2, "calls": 3}})


def _samples(store: Store, run_id: str) -> dict[str, tuple]:
    """Sample id (without the run id) -> status, error and trajectory, timings left out."""
    out = {}
    for row in store.iter_samples(run_id):
        data = dict(row.data or {})
        if "provenance" in data:
            data["provenance"] = {k: v for k, v in data["provenance"].items() if k != "elapsed_s"}
        out[row.id.removeprefix(run_id)] = (row.status, row.error, data)
    return out


def test_ray_executor_gives_exactly_the_local_samples(ray_runtime, tmp_path) -> None:
    store = Store(tmp_path / "w.db")
    local = run_batch(store, _config(), 6, concurrency=2)
    remote = run_batch(store, _config(), 6, concurrency=2, executor="ray")
    assert (remote.done, remote.interrupted) == (6, False)
    expected = _samples(store, local.run_id)
    assert len(expected) == 6 and _samples(store, remote.run_id) == expected
    assert ray.is_initialized()  # a runtime the caller started is left running


def test_ray_run_resumes_without_loss_or_duplicates(ray_runtime, tmp_path) -> None:
    store = Store(tmp_path / "w.db")
    stop = threading.Event()
    part = run_batch(store, _config(), 6, concurrency=2, executor="ray", stop=stop,
                     on_progress=lambda p: p.done >= 2 and stop.set())
    assert part.interrupted and 2 <= part.done < 6
    done = run_batch(store, resume=part.run_id, executor="ray")
    assert (done.done, done.skipped) == (6, part.done)
    assert store.done_indices(part.run_id) == set(range(6))
    assert len(list(store.iter_samples(part.run_id, with_trajectory=False))) == 6
    local = run_batch(store, _config(), 6, concurrency=2)
    assert _samples(store, part.run_id) == _samples(store, local.run_id)


def test_cli_joins_a_running_ray_runtime(ray_runtime, tmp_path) -> None:
    db = tmp_path / "w.db"
    out = subprocess.run([FR, "generate", "--db", str(db), "-n", "2", "--executor", "ray", "--ray-address",
                          ray_runtime], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "done:" in out.stdout and len(Store(db).list_runs()[0].run.id) > 0


def test_llm_usage_on_ray_workers_counts_in_the_run(ray_runtime, tmp_path) -> None:
    from fr_core.llm.fakeserver import FakeOpenAIServer

    with FakeOpenAIServer() as one, FakeOpenAIServer() as two:
        models = tmp_path / "models.toml"
        models.write_text(f'[profiles.fleet]\nprovider = "openai"\nmodel = "fake-model"\nmax_attempts = 1\n'
                          f'input_price_per_mtok = 1.0\nbase_urls = ["{one.base_url}", "{two.base_url}"]\n')
        config = RunConfig.from_dict({"agents": {"profile": "fleet"}, "llm": {"profiles": str(models)},
                                      "generate": {"envs": ["GorillaFileSystem"], "rounds": 1, "calls": 2}})
        store = Store(tmp_path / "w.db")
        result = run_batch(store, config, 4, concurrency=2, executor="ray")
        asked = one.request_count + two.request_count
    assert result.done == 4 and asked > 0 and result.llm_calls == asked
    usage = store.get_run(result.run_id).usage
    assert usage["requests"] == asked and usage["cost_usd"] > 0
    with sqlite3.connect(store.path) as conn:  # workers call live, no LLM cache: only the driver writes the store
        assert "llm_cache" not in {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}


def _stored(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_sigterm_stops_a_ray_run_it_started_cleanly(tmp_path) -> None:
    db = tmp_path / "w.db"
    proc = subprocess.Popen([FR, "generate", "--db", str(db), "-n", "100000", "--executor", "ray"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 150  # Ray's start and shutdown take minutes when the suite's other worker is busy
    while _stored(db) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=150)
    assert proc.returncode == 130, out
    run = Store(db).list_runs()[0]
    assert run.run.status == "interrupted" and run.stored == _stored(db) >= 2 and "--resume" in out


def test_unknown_executor_is_refused_before_a_run_is_created(tmp_path) -> None:
    store = Store(tmp_path / "w.db")
    with pytest.raises(ConfigError, match="unknown executor 'dask'"):
        run_batch(store, _config(), 2, executor="dask")
    assert store.list_runs() == []
