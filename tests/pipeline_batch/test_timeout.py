"""No sample blocks a batch run: past ``generate.sample_timeout_s`` a sample is stored as failed, whether it stops
at its own deadline or hangs in a call that never returns, and the other samples are stored as usual."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from fr_core.agents import Move, OfflineReasoning, make_agents
from fr_core.errors import ConfigError
from fr_core.llm.fakeserver import FakeOpenAIServer, echo_responder
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store

FR = str(Path(sys.executable).with_name("fr"))


def _config(timeout: float, **generate: object) -> RunConfig:
    return RunConfig.from_dict({"run": {"seed": 5}, "generate": {"envs": ["GorillaFileSystem", "TradingBot"],
                                                                "rounds": 2, "calls": 3, "sample_timeout_s": timeout,
                                                                **generate}})


def _use_reasoner(monkeypatch: pytest.MonkeyPatch, reasoning: OfflineReasoning) -> None:
    """Runs build the offline roles with this ``A_R`` instead of the usual one."""
    agents = replace(make_agents("offline"), reasoning=reasoning)
    monkeypatch.setattr("fr_core.pipeline.runner.build_agents", lambda config, db, accounting, loop=None: agents)


class SlowUnreadableReasoning(OfflineReasoning):
    """An ``A_R`` taking ``seconds`` an attempt to answer without any call, as a slow, confused model does."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def begin(self, *args, **kwargs):
        seconds = self.seconds

        class Session:
            def next(self, results) -> Move:
                time.sleep(seconds)
                return Move(raw="I would call some tools here.", parse_error="no <tool_call> block")

        return Session()


class HangingReasoning(OfflineReasoning):
    """The offline ``A_R``, except that its first call does not return until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self._calls = 0
        self._lock = threading.Lock()

    def begin(self, *args, **kwargs):
        with self._lock:
            self._calls += 1
            first = self._calls == 1
        if first:
            self.release.wait(60)
        return super().begin(*args, **kwargs)


@pytest.mark.timeout(30)
def test_a_sample_past_its_deadline_stops_between_attempts_and_is_stored_failed(tmp_path, monkeypatch) -> None:
    _use_reasoner(monkeypatch, SlowUnreadableReasoning(0.3))
    store = Store(tmp_path / "w.db")
    started = time.monotonic()
    progress = run_batch(store, _config(0.2, envs=["GorillaFileSystem"], rounds=1), 2, concurrency=2)
    assert time.monotonic() - started < 3  # stopped by its own deadline, long before the watchdog's 5.2 s
    assert (progress.done, progress.failed) == (2, 2)
    for row in store.iter_samples(progress.run_id):
        assert row.error.startswith("SampleTimeout: the sample timed out in round 1 before the critique of attempt 1,")
        assert "(limit 0.2 s: generate.sample_timeout_s" in row.error
        assert row.trajectory is not None and row.trajectory.status == "failed"  # what it did before is kept
    assert store.get_run(progress.run_id).status == "done"


@pytest.mark.timeout(60)
def test_a_sample_that_never_returns_is_abandoned_and_the_run_goes_on(tmp_path, monkeypatch) -> None:
    # a limit no ordinary sample comes near, even on a busy machine: the only failure is the sample that hangs
    store, n, limit = Store(tmp_path / "w.db"), 4, 2.0
    reference = run_batch(store, _config(limit), n, concurrency=1)
    expected = {r.idx: r.status for r in store.iter_samples(reference.run_id)}
    hanging = HangingReasoning()
    _use_reasoner(monkeypatch, hanging)

    def on_progress(p) -> None:
        if p.failed == reference.failed + 1 and not hanging.release.is_set():
            # The abandoned sample now finishes while the run goes on: its late result must not be stored again.
            hanging.release.set()
            time.sleep(0.5)

    started = time.monotonic()
    progress = run_batch(store, _config(limit), n, concurrency=1, on_progress=on_progress)
    assert limit * 1.1 + 5 < time.monotonic() - started < 20  # the watchdog: the limit + 10% + 5 s
    rows = {r.idx: r for r in store.iter_samples(progress.run_id)}
    assert len(rows) == n and (progress.done, progress.failed) == (n, reference.failed + 1)
    assert rows[0].status == "failed" and rows[0].trajectory is None
    assert re.match(r"SampleTimeout: timed out after [78] s in a worker that did not return \(limit 2 s", rows[0].error)
    assert {i: r.status for i, r in rows.items() if i} == {i: s for i, s in expected.items() if i}
    assert store.get_run(progress.run_id).status == "done"


@pytest.mark.timeout(60)
def test_fr_generate_exits_although_an_llm_call_never_answers(tmp_path) -> None:
    release = threading.Event()

    def hang_first(body: dict) -> object:
        if server.request_count == 1:  # accepted, never answered (until the test is over)
            release.wait(120)
        return echo_responder(body)

    with FakeOpenAIServer(responder=hang_first) as server:
        models = tmp_path / "models.toml"
        models.write_text(f'[profiles.fake]\nprovider = "openai"\nmodel = "fake-model"\nbase_url = '
                          f'"{server.base_url}"\nmax_attempts = 1\ntimeout_s = 600\n')
        config = tmp_path / "run.toml"
        config.write_text(f'[agents]\nprofile = "fake"\n[llm]\nprofiles = "{models}"\n'
                          '[generate]\nenvs = ["GorillaFileSystem"]\nrounds = 1\n')
        db = tmp_path / "w.db"
        try:
            started = time.monotonic()
            done = subprocess.run([FR, "generate", "--db", str(db), "--config", str(config), "--samples", "2",
                                   "--concurrency", "1", "--sample-timeout", "0.5"], capture_output=True, text=True,
                                  timeout=45, env={**os.environ, "FAKE_API_KEY": "test", "OPENAI_API_KEY": "test",
                                                   "COLUMNS": "200"})
            elapsed = time.monotonic() - started
        finally:
            release.set()
    assert done.returncode == 0, done.stderr
    assert elapsed < 30  # the stuck thread did not keep the process alive after the run
    (run,) = Store(db).runs()
    rows = list(Store(db).iter_samples(run.id))
    assert [r.idx for r in rows] == [0, 1] and run.status == "done"
    # At its deadline the call it waited for was cancelled: the sample stopped there, not at the watchdog.
    assert rows[0].error.startswith("SampleTimeout: the sample timed out waiting for a model reply (the call was "
                                    "cancelled)")
    assert "did not return" not in rows[1].error  # the echo server's replies fail it quickly for another reason


@pytest.mark.timeout(60)
def test_a_sample_that_times_out_leaves_no_model_call_in_flight(tmp_path) -> None:
    """At a sample's deadline the model call it waits for is cancelled: the server sees the client hang up at
    once, nothing of that sample stays in flight, and no later call is made for it."""
    with FakeOpenAIServer(latency_s=30) as server:  # no reply comes within a sample's 1 s
        models = tmp_path / "models.toml"
        models.write_text(f'[profiles.slow]\nprovider = "openai"\nmodel = "fake-model"\nbase_url = '
                          f'"{server.base_url}"\nmax_attempts = 3\ntimeout_s = 120\n')
        config = RunConfig.from_dict({"run": {"seed": 5}, "agents": {"profile": "slow"},
                                      "llm": {"profiles": str(models)},
                                      "generate": {"envs": ["GorillaFileSystem"], "rounds": 1, "calls": 3,
                                                   "sample_timeout_s": 1}})
        in_flight_after: list[int] = []

        def on_progress(p) -> None:
            if p.failed > len(in_flight_after):  # a sample just failed; the run goes on (its loop still open)
                until = time.monotonic() + 1
                while server.in_flight and time.monotonic() < until:
                    time.sleep(0.01)
                in_flight_after.append(server.in_flight)

        store = Store(tmp_path / "w.db")
        started = time.monotonic()
        progress = run_batch(store, config, 2, concurrency=1, on_progress=on_progress)
        elapsed = time.monotonic() - started
        asked = server.request_count
        time.sleep(1.5)
        assert server.request_count == asked  # no call of a timed-out sample comes later
        assert server.in_flight == 0 and server.dropped == asked == 2  # each sample's one call, hung up on
    assert in_flight_after == [0, 0]
    assert elapsed < 5  # stopped at the deadlines, long before the watchdog's 6.1 s
    assert (progress.done, progress.failed) == (2, 2)
    for row in store.iter_samples(progress.run_id):
        assert row.error.startswith("SampleTimeout: the sample timed out waiting for a model reply")
    usage = store.get_run(progress.run_id).usage
    assert usage["requests"] == usage["failures"] == 2  # the cancelled calls are counted, as failed ones


def test_sample_timeout_must_not_be_negative(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"generate.sample_timeout_s: .*greater than or equal to 0"):
        _config(-1)
    assert _config(0).generate.sample_timeout_s == 0  # 0: no limit
    store = Store(tmp_path / "w.db")
    with pytest.raises(ConfigError, match=r"--sample-timeout: generate.sample_timeout_s"):
        run_batch(store, _config(1), 1, sample_timeout=-5)
    assert store.runs() == []  # rejected before a run was created
