"""Issue 19, case 6: a tool that never returns, a schema asking for a hundred million items, nesting 2,000 deep,
``minimum > maximum`` or a string ``minimum``, and a thousand tools: each ends in bounded time with one clear
error naming the tool (or, for size, a graph built within its probe budget), never a hang or a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fr_core.envs import make_env
from fr_core.errors import ConfigError, GraphError
from fr_core.graph import build_graph
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store

FR = str(Path(sys.executable).with_name("fr"))

HANGING = '''
import time


class Door:
    """A door whose bell waits for ever."""

    def __init__(self):
        self.open = False

    def ring(self) -> dict:
        """Ring the bell."""
        time.sleep(3600)
        return {}

    def open_door(self) -> dict:
        """Open the door."""
        self.open = True
        return {"open": True}
'''


def _tool(name: str, params: dict, **extra: object) -> dict:
    return {"type": "function", "function": {"name": name, "description": "d", **extra, "parameters": {
        "type": "object", "properties": params, "required": list(params)}}}


def test_6_a_tool_that_never_returns_stops_the_probe_with_its_name(tmp_path) -> None:
    (tmp_path / "door.py").write_text(HANGING, encoding="utf-8")
    env = make_env(f"{tmp_path / 'door.py'}:Door")
    started = time.monotonic()
    with pytest.raises(GraphError, match="tool 'ring' did not return within 0.5 s"):
        build_graph(env.tools(), probe_envs=[env], probe_call_timeout_s=0.5)
    assert time.monotonic() - started < 10
    config = RunConfig.from_dict({"generate": {"envs": [f"{tmp_path / 'door.py'}:Door"], "probe_call_timeout_s": 0.5}})
    store = Store(tmp_path / "w.db")
    with pytest.raises(ConfigError, match=r"generate.envs\[0\] .* tool 'ring' did not return"):
        run_batch(store, config, 2)
    assert store.runs() == []  # stopped before the run existed, not one hung sample after another


@pytest.mark.parametrize("name, params, extra, says", [
    ("many", {"xs": {"type": "array", "items": {"type": "integer"}, "minItems": 100_000_000}}, {},
     "minItems is 100,000,000"),
    ("huge_reply", {"n": {"type": "integer"}}, {"response": {"type": "object", "properties": {
        "xs": {"type": "array", "minItems": 100_000_000}}}}, "minItems is 100,000,000"),
    ("upside_down", {"n": {"type": "integer", "minimum": 10, "maximum": 1}}, {},
     "minimum (10) is greater than maximum (1)"),
    ("worded", {"n": {"type": "integer", "minimum": "5"}}, {}, "minimum must be a number, got '5'"),
    ("deep", {"x": json.loads('{"type": "object", "properties": {"a": ' * 40 + '{"type": "string"}' + "}}" * 40)},
     {}, "nests more than 32 levels deep"),
])
def test_6_schemas_that_would_hang_or_crash_are_refused_naming_the_tool(tmp_path, name, params, extra, says) -> None:
    (tmp_path / "tools.json").write_text(json.dumps([_tool(name, params, **extra)]))
    done = subprocess.run([FR, "sample", "--env", str(tmp_path / "tools.json"), "--rounds", "1", "--calls", "2"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "400"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"tool {name!r}" in done.stderr and says in done.stderr, done.stderr


def test_6_a_schema_nested_2000_deep_is_refused_not_a_traceback(tmp_path) -> None:
    deep = '{"type": "object", "properties": {"a": ' * 2000 + '{"type": "string"}' + "}}" * 2000
    (tmp_path / "tools.json").write_text(f'[{{"name": "deep", "parameters": {deep}}}]')
    done = subprocess.run([FR, "sample", "--env", str(tmp_path / "tools.json")], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "COLUMNS": "400"})
    assert done.returncode == 2 and "Traceback" not in done.stderr and "nested too deeply" in done.stderr


def test_6_a_thousand_tools_build_a_graph_within_the_probe_budget(tmp_path) -> None:
    tools = [_tool(f"tool_{i}", {f"item_{i % 50}_id": {"type": "string"}}, response={
        "type": "object", "properties": {f"item_{(i + 1) % 50}_id": {"type": "string"}}}) for i in range(1000)]
    (tmp_path / "tools.json").write_text(json.dumps(tools))
    env = make_env(str(tmp_path / "tools.json"))
    started = time.monotonic()
    result = build_graph(env.tools(), probe_envs=[env], probe_timeout_s=2)
    assert time.monotonic() - started < 30
    assert result.output.number_of_nodes() == 1000 and result.trace.seconds["probe_cut"] == 2
