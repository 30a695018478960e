"""``fr eval`` end to end: the oracle passes every case, the noisy backend fails at the rate it is set to, a killed
evaluation resumes losing and repeating no case, LLM calls are cached and counted, and ``fr export --max-pass-rate``
keeps the samples a model fails often enough."""

from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from fr_core.cli import app
from fr_core.evaluate.cases import bfcl_cases
from fr_core.evaluate.score import score_case
from fr_core.evaluate.scripted import OracleResponder, expected_accuracy
from fr_core.evaluate.store import EvalStore
from fr_core.llm.fakeserver import FakeOpenAIServer
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store


def _eval(*args: str) -> dict:
    result = CliRunner().invoke(app, ["eval", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_oracle_passes_all_200_base_cases(tmp_path):
    figures = _eval("--model", "oracle", "--data", "bfcl:base", "--db", str(tmp_path / "w.db"))
    assert figures["cases"] == 200 and figures["accuracy"] == 1.0 and figures["test_backend"] is True
    assert sum(f["cases"] for f in figures["by_env"].values()) == 200
    assert figures["usage"]["requests"] > 1000 and figures["usage"]["cost_usd"] == 0.0


def test_noisy_accuracy_matches_the_rate_it_implies(tmp_path):
    rate, k = 0.25, 3
    figures = _eval("--model", f"scripted:noisy:{rate}", "--data", "bfcl:miss_param", "--k", str(k),
                    "--db", str(tmp_path / "w.db"))
    expected = expected_accuracy(bfcl_cases("miss_param"), rate)
    error = math.sqrt(expected * (1 - expected) / (200 * k))
    assert abs(figures["accuracy"] - expected) < 3 * error, (figures["accuracy"], expected)
    assert figures[f"pass@{k}"] > figures["accuracy"]


def test_a_call_in_a_turn_that_cannot_be_done_fails_it():
    case = next(c for c in bfcl_cases("miss_param") if any(not t.truth for t in c.turns))
    turns = [list(t.truth) for t in case.turns]
    empty = next(i for i, t in enumerate(case.turns) if not t.truth)
    assert score_case(case, turns).passed
    turns[empty] = list(case.turns[empty + 1].truth)  # acting on a guess instead of asking for the missing value
    verdict = score_case(case, turns)
    assert not verdict.passed and verdict.rule == "irrelevance" and verdict.failed_turn == empty
    turns = [list(t.truth) for t in case.turns]
    turns[0] = []
    assert score_case(case, turns).rule == "no_calls"


def test_unknown_data_and_a_bad_scripted_model_are_clear_errors(tmp_path):
    result = CliRunner().invoke(app, ["eval", "--model", "oracle", "--data", "bfcl:nope",
                                      "--db", str(tmp_path / "w.db")])
    assert result.exit_code == 2 and "unknown evaluation data 'bfcl:nope'" in " ".join(result.output.split())
    result = CliRunner().invoke(app, ["eval", "--model", "scripted:noisy:2", "--db", str(tmp_path / "w.db")])
    assert result.exit_code == 2 and "noisy:RATE" in " ".join(result.output.split())


@pytest.fixture()
def fake_profile(tmp_path, monkeypatch):
    """A profile on a local fake OpenAI server that answers as the oracle, with prices so cost is counted."""
    server = FakeOpenAIServer(latency_s=0.05, responder=OracleResponder(bfcl_cases("base"))).start()
    models = tmp_path / "models.toml"
    models.write_text(f'[profiles.fake]\nprovider = "openai"\nmodel = "fake-model"\nbase_url = "{server.base_url}"\n'
                      'concurrency = 8\ninput_price_per_mtok = 1.0\noutput_price_per_mtok = 2.0\n')
    monkeypatch.setenv("FR_MODELS", str(models))
    yield server
    server.stop()


def _stored(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT case_id FROM eval_cases")]


def test_a_killed_evaluation_resumes_with_no_case_lost_or_repeated(tmp_path, fake_profile):
    db = tmp_path / "w.db"
    command = [sys.executable, "-m", "fr_core", "eval", "--model", "fake", "--data", "bfcl:base", "--limit", "24",
               "--concurrency", "3", "--db", str(db), "--json"]
    proc = subprocess.Popen(command, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not db.exists() or len(_safe_stored(db)) < 6):
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _stored(db)
    assert 6 <= len(before) < 24
    eval_id = EvalStore(db).evaluations()[0].id
    figures = _eval("--resume", eval_id, "--db", str(db))
    after = _stored(db)
    assert sorted(after) == sorted(set(after)) and len(after) == 24 and set(before) <= set(after)
    assert figures["resumed_from"] == len(before) and figures["accuracy"] == 1.0
    assert figures["usage"]["cost_usd"] > 0 and figures["usage"]["input_tokens"] > 0


def test_a_second_evaluation_of_the_same_cases_comes_from_the_cache(tmp_path, fake_profile):
    db = str(tmp_path / "w.db")
    first = _eval("--model", "fake", "--data", "bfcl:base", "--limit", "12", "--concurrency", "3", "--db", db)
    served = fake_profile.request_count
    again = _eval("--model", "fake", "--data", "bfcl:base", "--limit", "12", "--concurrency", "3", "--db", db)
    assert fake_profile.request_count == served and again["accuracy"] == first["accuracy"] == 1.0
    assert again["usage"]["cache_hits"] == again["usage"]["requests"] == first["usage"]["requests"] > 0
    assert again["usage"]["cost_usd"] == 0 < first["usage"]["cost_usd"]


def _safe_stored(db) -> list[str]:
    try:
        return _stored(db)
    except sqlite3.OperationalError:  # the tables are not made yet
        return []


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    db = tmp_path_factory.mktemp("eval-run") / "w.db"
    config = RunConfig.from_dict({"run": {"seed": 5}, "generate": {
        "envs": ["GorillaFileSystem", "TwitterAPI+GorillaFileSystem", "TravelAPI"], "rounds": 2, "calls": 3}})
    result = run_batch(Store(db), config, 12, concurrency=2)
    assert result.accepted >= 6
    return db, result.run_id, result.accepted


def test_generated_samples_get_a_difficulty_and_export_keeps_the_hard_ones(generated, tmp_path):
    db, run_id, accepted = generated
    oracle = _eval("--model", "oracle", "--data", f"run:{run_id}", "--db", str(db))
    assert oracle["cases"] == accepted and oracle["accuracy"] == 1.0 and oracle["by_category"] == {
        "generated": {"cases": accepted, "accuracy": 1.0, "pass@1": 1.0}}

    noisy = _eval("--model", "scripted:noisy:0.4", "--data", f"run:{run_id}", "--k", "4", "--db", str(db))
    difficulty = EvalStore(db).difficulty(noisy["eval_id"])
    assert len(difficulty) == accepted and set(difficulty.values()) <= {0, 0.25, 0.5, 0.75, 1.0}
    assert min(difficulty.values()) < 1.0
    cut = sorted(difficulty.values())[len(difficulty) // 2]
    hard = {s for s, rate in difficulty.items() if rate <= cut}

    out = tmp_path / "hard.jsonl"
    result = CliRunner().invoke(app, ["export", "--run", run_id, "--format", "openai", "--out", str(out), "--db",
                                      str(db), "--max-pass-rate", str(cut), "--eval", noisy["eval_id"],
                                      "--keep-duplicates", "--keep-contaminated"])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == len(hard)
    assert f"{len(hard)} samples passed at most {cut:g}" in " ".join(result.output.split())

    base = _eval("--model", "oracle", "--data", "bfcl:base", "--limit", "2", "--db", str(db))
    result = CliRunner().invoke(app, ["export", "--run", run_id, "--format", "openai", "--out", str(out), "--db",
                                      str(db), "--max-pass-rate", "0.5", "--eval", base["eval_id"]])
    assert result.exit_code == 2 and f"measured bfcl:base, not run:{run_id}" in " ".join(result.output.split())
    result = CliRunner().invoke(app, ["export", "--run", run_id, "--format", "openai", "--out", str(out), "--db",
                                      str(db), "--max-pass-rate", "0.5"])
    assert result.exit_code == 2 and "go together" in " ".join(result.output.split())


def test_a_state_failure_says_where_the_state_differs():
    case = bfcl_cases("base", 1)[0]
    turns = [list(t.truth) for t in case.turns]
    turns[0] = turns[0][:-1]  # the move into temp is missing
    verdict = score_case(case, turns)
    assert verdict.rule == "state" and verdict.failed_turn == 0
    paths = [path for path, _, _ in verdict.turns[0].diff]
    assert any(p.endswith("temp.contents.final_report.pdf") for p in paths)
