"""A batch run with LLM agents against a local fake OpenAI server: calls cached in the run's database, usage and
cost recorded with the run, a repeated run answered from the cache (but for replies that failed to parse), and no
API key stored anywhere."""

from __future__ import annotations

import sqlite3

from fr_core.llm.fakeserver import FakeOpenAIServer, StepwiseModel
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store

SECRET = "sk-test-NEVERSTORED-0123456789abcdef"


def test_llm_run_caches_calls_in_the_store_and_keeps_no_key(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with FakeOpenAIServer() as server:
        models = tmp_path / "models.toml"
        models.write_text(f'[profiles.fake]\nprovider = "openai"\nmodel = "fake-model"\nbase_url = '
                          f'"{server.base_url}"\nmax_attempts = 1\ninput_price_per_mtok = 1.0\n'
                          f'output_price_per_mtok = 2.0\n')
        config = RunConfig.from_dict({"agents": {"profile": "fake"}, "llm": {"profiles": str(models)},
                                      "generate": {"envs": ["GorillaFileSystem"], "rounds": 1, "calls": 2}})
        db = tmp_path / "w.db"
        store = Store(db)
        first = run_batch(store, config, 2, concurrency=2)
        asked = server.request_count
        assert first.done == 2 and asked > 0 and first.llm_calls >= asked
        run = store.get_run(first.run_id)
        assert run.usage["requests"] >= asked and run.usage["cost_usd"] > 0
        cached, rejected = sqlite3.connect(db).execute("SELECT COUNT(*), COUNT(rejected) FROM llm_cache").fetchone()
        assert cached > 0
        again = run_batch(store, config, 2, concurrency=1)
        # Same seed, same prompts: every call answered from the cache but the replies that failed to parse (the
        # fake server echoes), which are asked again.
        assert server.request_count == asked + rejected
        assert [r.status for r in store.iter_samples(again.run_id)] == \
               [r.status for r in store.iter_samples(first.run_id)]
        assert store.run_stats(first.run_id).cost_usd > 0
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("w.db*"))
    assert SECRET.encode() not in raw


def test_the_model_server_never_sees_more_calls_than_the_profile_allows(tmp_path) -> None:
    """Four samples at once share one event loop for their model calls, and the profile's limit of two calls in
    flight holds there, whichever sample makes them."""
    with FakeOpenAIServer(latency_s=0.05, responder=StepwiseModel()) as server:
        models = tmp_path / "models.toml"
        models.write_text(f'[profiles.narrow]\nprovider = "openai"\nmodel = "fake-model"\nbase_url = '
                          f'"{server.base_url}"\nconcurrency = 2\n')
        config = RunConfig.from_dict({"agents": {"profile": "narrow"}, "llm": {"profiles": str(models)},
                                      "generate": {"envs": ["GorillaFileSystem"], "rounds": 1, "calls": 2}})
        progress = run_batch(Store(tmp_path / "w.db"), config, 4, concurrency=4)
        assert progress.done == 4 and progress.accepted > 0 and server.request_count > 8
        assert server.peak_in_flight == 2 and server.in_flight == 0
