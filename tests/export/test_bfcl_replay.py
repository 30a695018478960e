"""BFCL's own executor, run on the ground truth of our BFCL export (our generated data only, never model output),
gives turn by turn the results and the state our environment adapter recorded."""

from __future__ import annotations

import json
import uuid

import pytest

from fr_core.envs.base import ObjectEnvironment
from fr_core.envs.bfcl import bfcl_knowledge
from fr_core.envs.bfcl.classes import _specs_cached
from fr_core.export import answers_path, export_run
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store
from fr_core.sampling.flow import turn_flow

multi_turn_utils = pytest.importorskip("bfcl_eval.eval_checker.multi_turn_eval.multi_turn_utils")


def _as_bfcl(value: object) -> str:
    """A result as BFCL's executor reports it: strings as they are, dicts as JSON, anything else through str()."""
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, dict) else str(value)


def test_bfcl_executor_reproduces_results_and_states(tmp_path) -> None:
    store = Store(tmp_path / "w.db")
    config = RunConfig.from_dict({"run": {"seed": 3}, "generate": {
        "envs": ["GorillaFileSystem", "GorillaFileSystem+TwitterAPI", "TradingBot", "TravelAPI+MessageAPI"],
        "rounds": 2, "calls": 3}})
    run = run_batch(store, config, 12, concurrency=1)
    out = tmp_path / "bfcl.jsonl"
    report = export_run(store, run.run_id, "bfcl", out)
    assert report.written >= 3
    questions = [json.loads(line) for line in out.read_text().splitlines()]
    answers = [json.loads(line) for line in answers_path(out).read_text().splitlines()]
    trajectories = [r.trajectory for r in store.iter_samples(run.run_id, "accepted")]
    model = f"fr_test_{uuid.uuid4().hex[:8]}"
    for q, a, trajectory in zip(questions, answers, trajectories):
        for strings, record in zip(a["ground_truth"], trajectory.turns):
            results, instances = multi_turn_utils.execute_multi_turn_func_call(
                strings, q["initial_config"], q["involved_classes"], model, q["id"])
            ours = [step.call for step in turn_flow(record.turn, record.round)]
            recorded = [_as_bfcl(s.result.value) for s in record.turn.steps if s.call in ours and s.result.ok]
            assert results == recorded[: len(ours)], strings
            env = ObjectEnvironment("+".join(q["involved_classes"]), instances,
                                    [s for c in q["involved_classes"] for s in _specs_cached(c)],
                                    knowledge={c: bfcl_knowledge(c) for c in q["involved_classes"]})
            assert env.state() == record.state_after
