"""Issue 19, cases 1, 2 and 7: nothing a user or a tool does loses data or leaves a run ``running``: exports never
overwrite the store, a sample failing in any way (a tool's SystemExit, unencodable text, a broken store write) is
stored with its reason, bad arguments get one clear line, two resumes of one run share its samples. (The app on
127.0.0.1 from any folder: tests/app/test_app_server.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fr_core.errors import ConfigError
from fr_core.export import export_run
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store

FR = str(Path(sys.executable).with_name("fr"))

TOOLS = '''
class Shop:
    """A shop: its notes hold a lone surrogate, its checkout ends the process."""

    def __init__(self):
        self.items = ["apple", "pear"]

    def list_items(self) -> dict:
        """List the items."""
        return {"items": self.items, "note": "caf\\ud800"}

    def checkout(self, item: str) -> dict:
        """Check an item out.

        Args:
            item: The item.
        """
        raise SystemExit(3)
'''


def _fr(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "400"}  # one message on one line, as the user reads it
    return subprocess.run([FR, *args], capture_output=True, text=True, cwd=cwd, timeout=300, env=env)


def _shop(tmp_path: Path) -> str:
    (tmp_path / "shop.py").write_text(TOOLS, encoding="utf-8")
    return f"{tmp_path / 'shop.py'}:Shop"


def _config(*envs: str, **generate: object) -> RunConfig:
    return RunConfig.from_dict({"generate": {"envs": list(envs), "rounds": 1, "calls": 3, **generate}})


def test_1_export_never_writes_over_the_store_or_into_a_folder(tmp_path) -> None:
    db = tmp_path / "v.db"
    run = run_batch(Store(db), _config("GorillaFileSystem"), 3, concurrency=1).run_id
    size = db.stat().st_size
    for out in (db, Path(f"{db}-wal"), tmp_path):
        done = _fr("export", "--run", run, "--format", "openai", "--db", str(db), "--out", str(out), cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr
        assert "is the store" in done.stderr or "is a folder" in done.stderr, done.stderr
    assert db.stat().st_size >= size and Store(db).count_samples(run) == 3  # 0 data lost
    good = _fr("export", "--run", run, "--format", "openai", "--db", str(db), "--out", str(tmp_path / "o.jsonl"),
               "--status", "all", cwd=tmp_path)
    assert good.returncode == 0 and (tmp_path / "o.jsonl").exists()
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed into place


def test_1_a_failed_export_leaves_the_earlier_file_whole(tmp_path, monkeypatch) -> None:
    store = Store(tmp_path / "w.db")
    run = run_batch(store, _config("GorillaFileSystem"), 2, concurrency=1).run_id
    out = tmp_path / "o.jsonl"
    out.write_text("earlier export\n")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("fr_core.export.writer._line", broken)
    with pytest.raises(Exception, match="nothing was written there"):
        export_run(store, run, "openai", out, status=None)
    assert out.read_text() == "earlier export\n" and not list(tmp_path.glob(".*.tmp"))


def test_2_a_tool_ending_the_process_or_returning_unencodable_text_fails_only_its_call(tmp_path) -> None:
    spec = _shop(tmp_path)
    sampled = _fr("sample", "--env", spec, "--rounds", "1", "--calls", "3", cwd=tmp_path)
    assert sampled.returncode in (0, 2) and (sampled.stdout + sampled.stderr).strip()  # not a silent exit 3
    assert "Traceback" not in sampled.stderr and "SystemExit" in sampled.stdout + sampled.stderr
    store = Store(tmp_path / "w.db")
    progress = run_batch(store, _config(spec), 6, concurrency=2)
    assert progress.done == 6 and store.get_run(progress.run_id).status == "done"
    rows = list(store.iter_samples(progress.run_id))
    assert len(rows) == 6 and all(r.status != "failed" or r.error for r in rows)
    text = "".join(str(r.data) for r in rows)
    assert "\ud800" not in text and "caf\ufffd" in text  # sanitised, stored, readable


def test_2_any_failure_of_a_sample_is_stored_with_its_reason_and_the_run_finishes(tmp_path, monkeypatch) -> None:
    calls = {"n": 0}
    real = Store.add_sample

    def flaky(self, run_id, idx, trajectory=None, **kwargs):
        calls["n"] += 1
        if idx == 1 and trajectory is not None:
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return real(self, run_id, idx, trajectory, **kwargs)

    def exits(*args, **kwargs):
        raise SystemExit(3)

    monkeypatch.setattr(Store, "add_sample", flaky)
    store = Store(tmp_path / "w.db")
    progress = run_batch(store, _config("GorillaFileSystem"), 3, concurrency=1)
    row = next(r for r in store.iter_samples(progress.run_id) if r.idx == 1)
    assert row.status == "failed" and row.failure == "internal" and "could not be stored" in row.error
    monkeypatch.setattr("fr_core.pipeline.runner.generate_sample", exits)
    second = run_batch(store, _config("GorillaFileSystem"), 2, concurrency=2)
    assert [r.error for r in store.iter_samples(second.run_id)] == ["internal error SystemExit: 3"] * 2
    assert {r.status for r in store.runs()} == {"done"}


def test_2_a_run_is_never_left_running_by_an_error(tmp_path) -> None:
    store = Store(tmp_path / "w.db")

    def crash(progress) -> None:
        if progress.done:
            raise RuntimeError("the progress display broke")

    with pytest.raises(RuntimeError):
        run_batch(store, _config("GorillaFileSystem"), 4, concurrency=1, on_progress=crash)
    (run,) = store.runs()
    assert run.status == "failed" and store.count_samples(run.id) >= 1


def test_7_bad_arguments_get_one_clear_line_and_no_run(tmp_path) -> None:
    for samples in ("99999999999999999999", "300000000"):
        done = _fr("generate", "--samples", samples, "--db", str(tmp_path / "w.db"), cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr and "10000000" in done.stderr
    (tmp_path / "bad.toml").write_text('[generate]\nenvs = ["GorillaFileSystem", "NoSuchAPI"]\n')
    done = _fr("generate", "--config", str(tmp_path / "bad.toml"), "--db", str(tmp_path / "w.db"), cwd=tmp_path)
    assert done.returncode == 2 and "generate.envs[1] = 'NoSuchAPI'" in done.stderr
    assert Store(tmp_path / "w.db").runs() == []  # found before the run existed, not when samples failed
    with pytest.raises(ConfigError, match="1 to 10,000,000 samples"):
        run_batch(Store(tmp_path / "w.db"), _config("GorillaFileSystem"), 300_000_000)


def test_7_the_default_store_follows_the_current_folder(tmp_path) -> None:
    done = _fr("generate", "--samples", "2", "--concurrency", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "runs" / "workbench.db").exists()
    listed = _fr("runs", cwd=tmp_path)
    assert listed.returncode == 0 and "failed (transport)" in listed.stdout


def test_7_two_resumes_of_one_run_share_its_samples(tmp_path) -> None:
    db = tmp_path / "w.db"
    store = Store(db)
    run = run_batch(store, _config("GorillaFileSystem"), 1, concurrency=1).run_id
    store.set_run_target(run, 16)
    made: list[int] = []
    real = Store.add_sample

    def counting(self, run_id, idx, *args, **kwargs):
        made.append(idx)
        return real(self, run_id, idx, *args, **kwargs)

    Store.add_sample = counting
    try:
        threads = [threading.Thread(target=run_batch, args=(Store(db),), kwargs={"resume": run, "concurrency": 2})
                   for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        Store.add_sample = real
    assert sorted(made) == list(range(1, 16))  # each missing sample made once, by one of the two
    assert store.count_samples(run) == 16 and store.get_run(run).status == "done"
