"""Issue 19, cases 3 to 5: what a model server does never leaks a key, skews a figure or poisons a later run. Keys
go only to their endpoint and are scrubbed everywhere; implausible usage is not charged; a server's failure is a
transport failure, retried, then counted apart; replies that failed to parse are asked again; and a fault-injected
batch stores every sample with its reason."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fr_core.export import export_run
from fr_core.llm import LLMRequest, ModelProfile, RetryPolicy, build_client
from fr_core.llm.fakeserver import FakeOpenAIServer, FakeReply
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store

FR = str(Path(sys.executable).with_name("fr"))
KEY = "sk-live-NEVERSTORED-4f9a8b7c6d5e4f3a"
FAST = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.005)
_spec = importlib.util.spec_from_file_location("bench_faults", Path(__file__).parents[2] / "bench" / "bench_faults.py")
bench_faults = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_faults)


def _models(tmp_path: Path, server: FakeOpenAIServer, **fields: object) -> Path:
    extra = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in fields.items())
    path = tmp_path / "models.toml"
    path.write_text(f'[profiles.fake]\nprovider = "openai"\nmodel = "fake-model"\nbase_url = "{server.base_url}"\n'
                    f"max_attempts = 2\ninput_price_per_mtok = 1.0\noutput_price_per_mtok = 2.0\n{extra}")
    return path


def _config(models: Path, **generate: object) -> RunConfig:
    return RunConfig.from_dict({"agents": {"profile": "fake"}, "llm": {"profiles": str(models)},
                                "generate": {"envs": ["GorillaFileSystem"], "rounds": 1, "calls": 2, **generate}})


def _files_hold(folder: Path, secret: str) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_3_a_compatible_server_gets_no_key_unless_its_profile_names_one(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with FakeOpenAIServer() as server:
        profile = ModelProfile("local", "openai", "m", base_url=server.base_url)
        build_client(profile).complete(LLMRequest(messages=[{"role": "user", "content": "hi"}]))
        assert KEY not in str(server.headers)
        named = ModelProfile("named", "openai", "m", base_url=server.base_url, api_key_env="OPENAI_API_KEY")
        build_client(named).complete(LLMRequest(messages=[{"role": "user", "content": "hi"}]))
        assert server.headers[-1]["authorization"] == f"Bearer {KEY}"  # sent only because the profile says so


def test_3_a_key_a_server_echoes_is_found_in_no_store_log_or_export(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ECHOED_KEY", KEY)
    server = FakeOpenAIServer()
    server.responder = lambda body: FakeReply(status=401, text=f"invalid key {server.headers[-1]['authorization']}")
    with server:
        db = tmp_path / "w.db"
        store = Store(db)
        progress = run_batch(store, _config(_models(tmp_path, server, api_key_env="ECHOED_KEY")), 2, concurrency=2)
        assert server.request_count > 0 and KEY in str(server.headers)  # it was sent, and echoed back
    rows = list(store.iter_samples(progress.run_id))
    assert [r.status for r in rows] == ["failed", "failed"] and all("invalid key Bearer [redacted]" in r.error
                                                                     for r in rows)
    for fmt, name in (("openai", "o.jsonl"), ("parquet", "p.parquet"), ("bfcl", "b.jsonl")):
        export_run(store, progress.run_id, fmt, tmp_path / "out" / name, status=None)
    env = {**os.environ, "COLUMNS": "400"}
    logs = [subprocess.run([FR, *args, "--db", str(db)], capture_output=True, text=True, env=env, timeout=120)
            for args in (["runs"], ["export", "--run", progress.run_id, "-f", "sharegpt", "-o",
                                   str(tmp_path / "out" / "s.jsonl"), "--status", "all"])]
    assert all(log.returncode == 0 for log in logs)
    assert _files_hold(tmp_path, KEY) == [] and not any(KEY in log.stdout + log.stderr for log in logs)


def test_4_implausible_usage_is_recorded_as_such_and_never_charged(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        server.queue(FakeReply(text="a", usage={"prompt_tokens": 10**15}),
                     FakeReply(text="b", usage={"prompt_tokens": -7}),
                     FakeReply(text="c", usage={"completion_tokens": 10**8}))
        profile = ModelProfile("greedy", "openai", "m", base_url=server.base_url, tpm=10_000,
                               input_price_per_mtok=3.0, output_price_per_mtok=3.0)
        client = build_client(profile)
        started = time.monotonic()
        events = [client.complete(LLMRequest(messages=[{"role": "user", "content": t}])).event for t in "abcd"]
        assert time.monotonic() - started < 10  # the token bucket was not stalled by 10^15 tokens
    assert [e.usage_note is not None for e in events] == [True, True, True, False]
    assert all(e.cost_usd >= 0 for e in events) and sum(e.cost_usd for e in events[:3]) == 0
    totals = client.accounting.totals()
    assert totals.implausible_usage == 3 and 0 <= totals.input_tokens < 1000 and totals.cost_usd >= 0


def test_5_a_server_that_fails_is_retried_then_counted_as_transport_and_retry_failed_redoes_it(tmp_path) -> None:
    with FakeOpenAIServer() as server:
        server.queue(FakeReply(body="<html>Bad Gateway</html>"))  # a 200 that is not JSON: retried, then fine
        response = build_client(ModelProfile("p", "openai", "m", base_url=server.base_url), retry=FAST).complete(
            LLMRequest(messages=[{"role": "user", "content": "hi"}]))
        assert response.text == "echo: hi" and response.event.attempts == 2
        server.responder = lambda body: FakeReply(status=503)
        store = Store(tmp_path / "w.db")
        config = _config(_models(tmp_path, server), sample_timeout_s=60)
        first = run_batch(store, config, 3, concurrency=3)
        stats = store.run_stats(first.run_id)
        assert (first.failed, first.transport_failed, stats.transport_failed) == (3, 3, 3)
        assert all(r.error.startswith("LLMTransportError: transport failure") for r in store.iter_samples(first.run_id))
        assert store.get_run(first.run_id).usage["transport_failures"] == 3
        server.responder = bench_faults._role_reply
        again = run_batch(store, resume=first.run_id, retry_failed=True)
    assert store.count_samples(first.run_id) == 3 and store.count_samples(first.run_id, "failed") == 0
    assert again.transport_failed == 0 and store.get_run(first.run_id).status == "done"


def test_5_a_reply_that_failed_to_parse_is_asked_again_not_served_from_cache(tmp_path) -> None:
    with FakeOpenAIServer(responder=lambda body: FakeReply(text="no json here")) as server:
        store = Store(tmp_path / "w.db")
        config = _config(_models(tmp_path, server))
        first = run_batch(store, config, 1, concurrency=1)
        assert [r.error.split(":")[0] for r in store.iter_samples(first.run_id)] == ["ParseError"]
        asked = server.request_count
        server.responder = bench_faults._role_reply  # the model is fixed; the same prompts are sent again
        second = run_batch(store, config, 1, concurrency=1)
    assert server.request_count > asked + 1
    assert [r.status for r in store.iter_samples(second.run_id)] == ["accepted"]


@pytest.mark.timeout(300)
def test_5_6_a_fault_injected_batch_stores_every_sample_with_its_reason(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FAULT_RUN_KEY", bench_faults.KEY)
    figures = bench_faults.fault_run(30, tmp_path, concurrency=4, hang_every=8)
    assert figures["stored"] == 30 and figures["run_status"] == "done"
    assert figures["failed_without_reason"] == 0 and not figures["key_found_in_store"]
    assert sum(figures["failed_by_kind"].values()) == figures["failed"]
    assert figures["failed_by_kind"].get("timeout", 0) >= 1  # the hanging tool: stored as failed, run went on
    assert figures["accepted"] > 0
