"""Exports of a real offline run: shape and round-trip checks for every format, the CLI, no secrets."""

from __future__ import annotations

import json
import re

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from fr_core.cli import app
from fr_core.errors import ConfigError, StoreError
from fr_core.export import FORMATS, accepted_rounds, answers_path, export_run, preview
from fr_core.export.formats import COT_MODES, to_funreason, to_hermes, to_openai, to_sharegpt
from fr_core.pipeline.variants import Variant, with_variant
from fr_core.llm.parsing import parse_python_calls
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store
from fr_core.sampling.flow import turn_flow

SECRET = "sk-test-THISMUSTNEVERLEAK0123456789"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("OPENAI_API_KEY", SECRET)
    db = tmp_path_factory.mktemp("export") / "w.db"
    store = Store(db)
    config = RunConfig.from_dict({"run": {"seed": 11}, "generate": {
        "envs": ["GorillaFileSystem", "GorillaFileSystem+TwitterAPI", "TradingBot"], "rounds": 2, "calls": 3}})
    result = run_batch(store, config, 16, concurrency=2)
    mp.undo()
    assert result.accepted >= 3
    return store, result.run_id


def _trajectories(store, run_id):
    return [r.trajectory for r in store.iter_samples(run_id, "accepted")]


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_openai_messages_and_tool_calls(run, tmp_path) -> None:
    """Each step is its own assistant message with tool_calls, answered by one tool message per call, before the
    next step; the calls are the passing attempt's, in order."""
    store, run_id = run
    report = export_run(store, run_id, "openai", tmp_path / "o.jsonl")
    records = _lines(tmp_path / "o.jsonl")
    assert report.written == len(records) == store.count_samples(run_id, "accepted")
    for record, trajectory in zip(records, _trajectories(store, run_id)):
        names = {t["function"]["name"] for t in json.loads(record["tools"])}
        messages = record["messages"]
        assert messages[0]["role"] == "system" and messages[-1]["role"] == "assistant"
        assert record["meta"]["sample_id"] == trajectory.sample_id
        assert json.loads(record["meta"]["provenance"])["seed"] == trajectory.provenance["seed"]
        calls, steps, pending = [], 0, set()
        for m in messages:
            assert set(m) == {"role", "content", "tool_calls", "tool_call_id"}
            if m["tool_calls"]:
                assert not pending, "a step starts before the previous step's results came back"
                steps += 1
                assert m["content"] is None or re.fullmatch(r"<think>.+</think>", m["content"], re.S)
                for c in m["tool_calls"]:
                    assert c["type"] == "function" and c["function"]["name"] in names
                    calls.append((c["function"]["name"], json.loads(c["function"]["arguments"])))
                    pending.add(c["id"])
            elif m["role"] == "tool":
                pending.remove(m["tool_call_id"])
        rounds = list(accepted_rounds(trajectory))
        assert calls == [(c.name, c.arguments) for r in rounds for c in r.calls]
        assert steps == sum(len(r.steps) for r in rounds)


def test_cot_modes_inline_field_none(run, tmp_path) -> None:
    store, run_id = run
    trajectory = _trajectories(store, run_id)[0]
    kept = [text for r in accepted_rounds(trajectory) for text in r.reasoning]
    for fmt in ("openai", "hermes", "funreason", "sharegpt"):
        for cot in COT_MODES:
            out = tmp_path / f"{fmt}_{cot}.jsonl"
            export_run(store, run_id, fmt, out, cot=cot)
            text = out.read_text()
            record = _lines(out)[0]
            items = record.get("messages") or record["conversations"]
            if cot == "inline":
                assert "<think>" in text
            elif cot == "field":
                assert "<think>" not in text
                found = [m.get("reasoning_content", m.get("reasoning")) for m in items]
                assert [x for x in found if x] == [x for x in kept if x], (fmt, cot)
            else:
                assert "<think>" not in text and "reasoning_content" not in text, (fmt, cot)
    with pytest.raises(ConfigError, match="cot mode"):
        export_run(store, run_id, "openai", tmp_path / "x.jsonl", cot="hidden")


def test_load_dataset_reads_back_the_same_rows(run, tmp_path) -> None:
    """``datasets`` pads heterogeneous records with nulls; our records read back exactly as written."""
    from datasets import load_dataset

    store, run_id = run
    for fmt in ("openai", "sharegpt", "hermes", "funreason"):
        for cot in ("inline", "field"):
            out = tmp_path / f"ds_{fmt}_{cot}.jsonl"
            export_run(store, run_id, fmt, out, cot=cot)
            rows = _lines(out)
            loaded = load_dataset("json", data_files=str(out), split="train",
                                  cache_dir=str(tmp_path / "hf_cache"))
            assert loaded.column_names == list(rows[0]) and len(loaded) == len(rows)
            assert [dict(r) for r in loaded] == rows, (fmt, cot)


def test_sharegpt_alternates_as_llama_factory_requires(run, tmp_path) -> None:
    store, run_id = run
    export_run(store, run_id, "sharegpt", tmp_path / "s.jsonl")
    for record, trajectory in zip(_lines(tmp_path / "s.jsonl"), _trajectories(store, run_id)):
        tools = json.loads(record["tools"])
        assert tools and all({"name", "description", "parameters"} <= set(t) for t in tools)
        calls = []
        for i, turn in enumerate(record["conversations"]):
            assert turn["from"] in (("human", "observation") if i % 2 == 0 else ("gpt", "function_call"))
            if turn["from"] == "function_call":
                value = json.loads(re.sub(r"^<think>.*?</think>", "", turn["value"], flags=re.S))
                for call in value if isinstance(value, list) else [value]:
                    assert set(call) == {"name", "arguments"}
                    calls.append(call)
        assert record["conversations"][-1]["from"] == "gpt"
        assert calls == [c.to_json() for r in accepted_rounds(trajectory) for c in r.calls]


def test_hermes_tool_call_tags_hold_the_calls(run, tmp_path) -> None:
    store, run_id = run
    export_run(store, run_id, "hermes", tmp_path / "h.jsonl")
    for record, trajectory in zip(_lines(tmp_path / "h.jsonl"), _trajectories(store, run_id)):
        assert "<tools>" in record["messages"][0]["content"]
        blocks = [json.loads(b) for m in record["messages"] if m["role"] == "assistant"
                  for b in re.findall(r"<tool_call>\n(.*?)\n</tool_call>", m["content"], re.S)]
        assert blocks == [c.to_json() for r in accepted_rounds(trajectory) for c in r.calls]
        steps = [m for m in record["messages"] if m["role"] == "assistant" and "<tool_call>" in m["content"]]
        assert len(steps) == sum(len(r.steps) for r in accepted_rounds(trajectory))


def test_funreason_think_then_calls_then_response_then_answer(run, tmp_path) -> None:
    store, run_id = run
    export_run(store, run_id, "funreason", tmp_path / "f.jsonl")
    for record, trajectory in zip(_lines(tmp_path / "f.jsonl"), _trajectories(store, run_id)):
        calls = []
        previous = None
        for m in record["messages"]:
            if m["role"] == "assistant" and m["content"].startswith("<think>"):
                match = re.fullmatch(r"<think>(.+)</think><tool_call>(\[.*\])</tool_call>", m["content"], re.S)
                assert match and previous in ("user", "tool")
                calls += parse_python_calls(match.group(2))
            elif m["role"] == "assistant":
                assert re.fullmatch(r"<answer>.+</answer>", m["content"], re.S) and previous == "tool"
            elif m["role"] == "tool":
                assert m["content"].startswith("<tool_response>") and previous == "assistant"
            previous = m["role"]
        assert calls == [c for r in accepted_rounds(trajectory) for c in r.calls]


def test_miss_func_tool_is_offered_only_from_its_round(run, tmp_path) -> None:
    store, run_id = run
    trajectory = next(t for t in _trajectories(store, run_id) if len(t.turns) == 2)
    name = trajectory.turns[1].outcome.passing.calls[0].name
    variant = with_variant(trajectory, Variant("miss_func", 1, tools=(name,)))
    for convert in (to_openai, to_hermes, to_funreason, to_sharegpt):
        record = convert(variant)
        top = record.get("tools") or record["messages"][0]["content"]
        assert f'"name": "{name}"' not in top, convert.__name__
        items = record.get("messages") or record["conversations"]
        offered = next(i for i, m in enumerate(items) if "New tools are available" in (m.get("content") or
                                                                                         m.get("value") or ""))
        asked = [i for i, m in enumerate(items) if m.get("role", m.get("from")) in ("user", "human")]
        assert asked[0] < offered <= asked[1], convert.__name__  # after round 1's request, by round 2's


def test_bfcl_ground_truth_parses_back_to_the_same_calls(run, tmp_path) -> None:
    store, run_id = run
    out = tmp_path / "b.jsonl"
    report = export_run(store, run_id, "bfcl", out)
    questions, answers = _lines(out), _lines(answers_path(out))
    assert report.paths == (out, answers_path(out)) and len(questions) == len(answers) == report.written > 0
    for q, a, trajectory in zip(questions, answers, _trajectories(store, run_id)):
        assert q["id"] == a["id"] and q["id"].startswith("multi_turn_base_")
        assert q["initial_config"] == trajectory.initial_config
        assert q["involved_classes"] == list(trajectory.classes)
        assert len(q["question"]) == len(a["ground_truth"]) == len(trajectory.turns)
        assert all(turn[0]["role"] == "user" for turn in q["question"])
        for strings, record in zip(a["ground_truth"], trajectory.turns):
            parsed = [parse_python_calls(s)[0] for s in strings]
            assert parsed == [step.call for step in turn_flow(record.turn, record.round)]
        assert all("." in p for p in q["path"])


def test_parquet_flat_table(run, tmp_path) -> None:
    store, run_id = run
    report = export_run(store, run_id, "parquet", tmp_path / "p.parquet", status=None)
    table = pq.read_table(tmp_path / "p.parquet")
    assert table.num_rows == report.written == store.count_samples(run_id)
    assert {"id", "status", "classes", "n_turns", "queries", "trajectory"} <= set(table.column_names)
    assert set(table.column("status").to_pylist()) <= {"accepted", "rejected", "failed"}


def test_no_export_contains_an_api_key(run, tmp_path) -> None:
    store, run_id = run
    for fmt in FORMATS:
        out = tmp_path / f"x.{'parquet' if fmt == 'parquet' else 'jsonl'}"
        for path in export_run(store, run_id, fmt, out, status=None).paths:
            assert SECRET.encode() not in path.read_bytes()


def test_cli_exports_every_format_and_explains_errors(run, tmp_path) -> None:
    store, run_id = run
    cli = CliRunner()
    for fmt in FORMATS:
        out = tmp_path / f"cli_{fmt}.{'parquet' if fmt == 'parquet' else 'jsonl'}"
        result = cli.invoke(app, ["export", "--db", str(store.path), "--run", run_id, "--format", fmt,
                                  "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.exists() and "samples written" in result.output
    shown = cli.invoke(app, ["export", "--db", str(store.path), "--run", run_id, "--format", "hermes", "--out",
                             str(tmp_path / "h.jsonl"), "--preview"])
    assert shown.exit_code == 0 and "<|im_start|>system" in shown.output and "<tool_call>" in shown.output
    bad = cli.invoke(app, ["export", "--db", str(store.path), "--run", run_id, "--format", "csv", "--out", "x"])
    assert bad.exit_code == 2 and "unknown" in bad.output
    with pytest.raises(StoreError, match="no run"):
        export_run(store, "nope", "openai", tmp_path / "n.jsonl")
    with pytest.raises(ConfigError):
        export_run(store, run_id, "csv", tmp_path / "n.csv")


def test_preview_renders_chatml(run, tmp_path) -> None:
    store, run_id = run
    export_run(store, run_id, "openai", tmp_path / "o.jsonl")
    export_run(store, run_id, "sharegpt", tmp_path / "s.jsonl")
    for path in (tmp_path / "o.jsonl", tmp_path / "s.jsonl"):
        text = preview(_lines(path)[0])
        assert text.startswith("<|im_start|>system") and "<tool_call>" in text and "<tool_response>" in text
        assert text.count("<|im_start|>") == text.count("<|im_end|>")
