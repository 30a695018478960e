"""BFCL environments: loading every base-category state, snapshot/restore, bad calls, hostile strings, clean imports."""

from __future__ import annotations

import ast
import json
import os
import random
import subprocess
import sys
import uuid
from importlib import resources
from pathlib import Path

import pytest

from fr_core.envs import BFCL_CLASSES, make_bfcl_env, make_env
from fr_core.envs.base import to_jsonable
from fr_core.types import CallResult, ToolCall

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "tools"

# Our own small starting states for the classes whose empty default state refuses most calls (not logged in).
OWN_STATES = {
    "TwitterAPI": {"username": "fr_tester", "password": "s3cret", "authenticated": True},
    "TradingBot": {"authenticated": True, "market_status": "Open"},
}


def _base_entries() -> list[dict]:
    """BFCL's base category, used here only to test that every class loads from its initial configs."""
    path = resources.files("bfcl_eval") / "data" / "BFCL_v4_multi_turn_base.json"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


BASE = _base_entries()


# -- loading --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", list(BFCL_CLASSES))
def test_class_loads_from_every_base_initial_config(cls):
    with_state = 0
    for entry in BASE:
        config = entry["initial_config"].get(cls)
        env = make_bfcl_env([cls], None if config is None else {cls: config})
        state = env.state()[cls]
        json.dumps(state)  # the state view is plain JSON
        if config is None:
            continue
        with_state += 1
        if cls == "GorillaFileSystem":
            # BFCL mounts the first top-level folder of the config as the root.
            first = next(iter(config["root"]))
            assert state["root"] == {first: config["root"][first]}, entry["id"]
        else:
            for key in set(config) & set(state):
                assert state[key] == to_jsonable(config[key]), (entry["id"], key)
    assert with_state > 0 or cls == "MathAPI"  # MathAPI is stateless


def test_every_base_entry_loads_as_one_environment():
    for entry in BASE:
        classes = list(dict.fromkeys([*entry["involved_classes"], *entry["initial_config"]]))
        env = make_bfcl_env(classes, entry["initial_config"])
        assert set(env.classes) == set(classes)
        names = [t.name for t in env.tools()]
        assert len(names) == len(set(names)), entry["id"]


# -- a deterministic mix of calls built from the schemas and the state -------------------------------------
def _strings(node, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if len(key) < 40:
                out.add(key)
            _strings(value, out)
    elif isinstance(node, list):
        for value in node:
            _strings(value, out)
    elif isinstance(node, str) and len(node) < 40:
        out.add(node)
    return out


def _value(schema: dict, rng: random.Random, pool: list[str]):
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    kind = schema.get("type", "string")
    if kind == "integer":
        return rng.randint(0, 10)
    if kind == "number":
        return round(rng.uniform(0, 100), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return [_value(schema.get("items", {}), rng, pool)]
    if kind == "object":
        return {}
    return rng.choice(pool)


def _random_call(env, rng: random.Random) -> ToolCall:
    spec = rng.choice(env.tools())
    pool = sorted(_strings(env.state(), set())) + ["notes.txt", "docs", "alice", "hello world"]
    args = {}
    for name, schema in spec.properties.items():
        if name in spec.required or rng.random() < 0.5:
            candidates = env.candidates(spec.name, name)
            args[name] = rng.choice(candidates) if candidates and rng.random() < 0.7 else _value(schema, rng, pool)
    return ToolCall(spec.name, args)


def _fingerprint(env) -> str:
    return json.dumps(env.state(), sort_keys=True, default=str)


@pytest.mark.parametrize("cls", list(BFCL_CLASSES))
def test_snapshot_restore_round_trips_after_many_calls(cls):
    env = make_bfcl_env([cls], {cls: OWN_STATES[cls]} if cls in OWN_STATES else None)
    rng = random.Random(7)
    for _ in range(40):
        assert isinstance(env.execute(_random_call(env, rng)), CallResult)
    snap, before = env.snapshot(), _fingerprint(env)
    ok = 0
    for _ in range(150):
        ok += env.execute(_random_call(env, rng)).ok
    assert ok > 0
    if cls != "MathAPI":  # the only stateless class
        assert _fingerprint(env) != before, "the calls should have changed the state"
    after = _fingerprint(env)
    env.restore(snap)
    assert _fingerprint(env) == before
    env.restore(snap)  # a snapshot can be restored more than once
    for _ in range(20):
        env.execute(_random_call(env, rng))
    env.restore(snap)
    assert _fingerprint(env) == before
    assert after != before or cls == "MathAPI"


@pytest.mark.parametrize("cls", ["GorillaFileSystem", "TwitterAPI", "TicketAPI", "TravelAPI"])
def test_copy_is_independent(cls):
    env = make_bfcl_env([cls], {cls: OWN_STATES[cls]} if cls in OWN_STATES else None)
    original = _fingerprint(env)
    clone = env.copy()
    rng = random.Random(3)
    for _ in range(100):
        clone.execute(_random_call(clone, rng))
    assert _fingerprint(clone) != original
    assert _fingerprint(env) == original
    env.execute(_random_call(env, random.Random(11)))
    assert _fingerprint(clone) != original  # and the other way round: the clone keeps its own state


def test_two_classes_in_one_environment_share_nothing_with_another():
    a = make_env("GorillaFileSystem+TwitterAPI", initial_config={"TwitterAPI": OWN_STATES["TwitterAPI"]})
    b = make_env(["GorillaFileSystem", "TwitterAPI"], initial_config={"TwitterAPI": OWN_STATES["TwitterAPI"]})
    assert a.execute(ToolCall("mkdir", {"dir_name": "only_in_a"})).ok
    assert a.execute(ToolCall("post_tweet", {"content": "hi"})).ok
    assert "only_in_a" in json.dumps(a.state()) and "only_in_a" not in json.dumps(b.state())
    assert a.state()["TwitterAPI"]["tweets"] != b.state()["TwitterAPI"]["tweets"]


# -- wrong calls are results, never exceptions (BFCL docs have no enums: see test_user_env) ---------------
@pytest.mark.parametrize(
    ("call", "words"),
    [
        (ToolCall("rm_rf_everything", {}), ["rm_rf_everything", "unknown tool"]),
        (ToolCall("mkdir", {}), ["mkdir", "dir_name", "missing"]),
        (ToolCall("mkdir", {"dir_name": 42}), ["mkdir", "dir_name", "string"]),
        (ToolCall("mkdir", {"dir_name": "x", "mode": "0777"}), ["mkdir", "mode", "unexpected"]),
        (ToolCall("ls", {"a": "yes"}), ["ls", "'a'", "boolean"]),
        (ToolCall("set_navigation", {"destination": ["Paris"]}), ["set_navigation", "destination"]),
        (ToolCall("lockDoors", {"unlock": True, "door": "driver"}), ["lockDoors", "door", "array"]),
        (ToolCall("add", {"a": True, "b": 2}), ["add", "'a'", "number"]),
        (ToolCall("mkdir", ["dir_name"]), ["mkdir", "arguments"]),  # type: ignore[arg-type]
    ],
)
def test_wrong_calls_return_errors_naming_tool_and_field(call, words):
    env = make_bfcl_env(["GorillaFileSystem", "VehicleControlAPI", "MathAPI"])
    before = _fingerprint(env)
    result = env.execute(call)
    assert isinstance(result, CallResult) and not result.ok
    for word in words:
        assert word in result.error, (word, result.error)
    assert _fingerprint(env) == before


def test_a_tool_that_fails_inside_returns_an_error_result():
    env = make_bfcl_env("MathAPI")
    result = env.execute(ToolCall("divide", {"a": 1, "b": 0}))
    assert not result.ok and result.error


# -- model output is data ------------------------------------------------------------------------------------
def _hostile_strings(sentinel: Path) -> list[str]:
    return [
        f"__import__('os').system('touch {sentinel}')",
        f"'); __import__('os').system('touch {sentinel}'); ('",
        f"$(touch {sentinel})",
        f"; touch {sentinel} #",
        f"{{{{__import__('os').system('touch {sentinel}')}}}}",
    ]


def _fill(schema: dict, hostile: str):
    kind = schema.get("type", "string")
    if schema.get("enum"):
        return hostile  # rejected by validation, which is also fine
    return {"string": hostile, "integer": 1, "number": 1.0, "boolean": True, "object": {"k": hostile}}.get(
        kind, [hostile] if kind == "array" else hostile
    )


def test_hostile_argument_strings_are_data_in_every_class():
    sentinel = Path("/tmp") / f"fr_pwned_{uuid.uuid4().hex}"
    calls = 0
    for cls in BFCL_CLASSES:
        env = make_bfcl_env([cls], {cls: OWN_STATES[cls]} if cls in OWN_STATES else None)
        for spec in env.tools():
            if not any(s.get("type") in ("string", "array", None) for s in spec.properties.values()):
                continue
            for hostile in _hostile_strings(sentinel):
                args = {p: _fill(s, hostile) for p, s in spec.properties.items()}
                result = env.execute(ToolCall(spec.name, args))
                assert isinstance(result, CallResult)
                calls += 1
    for spec_str in (f"{DATA / 'notes_app.py'}:NotesApp", str(DATA / "weather_tools.json")):
        env = make_env(spec_str)
        for spec in env.tools():
            for hostile in _hostile_strings(sentinel):
                env.execute(ToolCall(spec.name, {p: _fill(s, hostile) for p, s in spec.properties.items()}))
                calls += 1
    assert calls > 300
    assert not sentinel.exists(), "a hostile argument was executed"


_FORBIDDEN = {"eval", "exec", "compile", "__import__"}


def test_fr_core_never_calls_eval_or_exec():
    offenders = []
    for path in sorted((REPO / "fr_core").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source, filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else None
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "builtins":
                name = func.attr
            if name in _FORBIDDEN:
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} {name}(")
        # And a plain text grep, for calls hidden from the parser (getattr tricks are caught above by name).
        for lineno, line in enumerate(source.splitlines(), 1):
            code = line.split("#", 1)[0]
            for word in ("eval(", "exec("):
                i = code.find(word)
                if i >= 0 and (i == 0 or not (code[i - 1].isalnum() or code[i - 1] in "_.`")):
                    offenders.append(f"{path.relative_to(REPO)}:{lineno} {code.strip()}")
    assert not offenders, offenders


# -- importing and building environments leaves the user's folder alone --------------------------------------
_PROBE = r"""
import json, os, sys
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        opened.append(os.path.abspath(os.fsdecode(args[0])))
sys.addaudithook(hook)
import fr_core.envs
import fr_core.envs.user, fr_core.envs.bfcl, fr_core.envs.base, fr_core.envs.validate, fr_core.envs.factory
from fr_core.envs import BFCL_CLASSES, make_bfcl_env, make_env
from fr_core.types import ToolCall
for cls in BFCL_CLASSES:
    env = make_bfcl_env(cls)
    env.execute(ToolCall(env.tools()[0].name, {}))
make_env(sys.argv[1] + "/notes_app.py:NotesApp")
make_env(sys.argv[1] + "/weather_tools.json", initial_config={"replay": sys.argv[1] + "/weather_replay.json"})
cwd = os.getcwd()
print(json.dumps([p for p in opened if p.startswith(cwd) or os.path.basename(p) == ".env"]))
"""


def test_importing_env_modules_touches_nothing_in_the_working_directory(tmp_path):
    garbage = "=== not a dotenv file \x00\n export BROKEN='\nOPENAI_API_KEY\n"
    (tmp_path / ".env").write_text(garbage, encoding="utf-8")
    stat_before = (tmp_path / ".env").stat()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BFCL", "PYTHONSTARTUP"))}
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(DATA)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []  # nothing opened here, no .env read anywhere
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]
    assert (tmp_path / ".env").read_text(encoding="utf-8") == garbage
    assert (tmp_path / ".env").stat().st_mtime_ns == stat_before.st_mtime_ns


def test_copying_a_folder_into_itself_keeps_the_state_view_finite():
    env = make_bfcl_env("GorillaFileSystem")
    assert env.execute(ToolCall("mkdir", {"dir_name": "box"})).ok
    assert env.execute(ToolCall("cp", {"source": "box", "destination": "box"})).ok  # BFCL links box into itself
    view = env.state()["GorillaFileSystem"]["root"]
    box = next(iter(view.values()))["contents"]["box"]
    assert box["contents"]["box"]["contents"]["box"] == {"type": "directory", "contents": {}, "loop": True}
    snap, before = env.snapshot(), _fingerprint(env)
    assert isinstance(env.execute(ToolCall("find", {"path": ".", "name": "box"})), CallResult)  # no exception
    env.execute(ToolCall("rmdir", {"dir_name": "box"}))
    env.restore(snap)
    assert _fingerprint(env) == before


def test_a_refusal_reported_as_a_list_of_error_lines_is_a_failed_call() -> None:
    """TradingBot answers ``get_watchlist`` with ``["Error: User not authenticated. ..."]`` when logged out: a
    failed call (kept out of the data as one), not a watchlist of one entry."""
    from fr_core.envs.base import call_failed
    from fr_core.types import CallResult, ToolCall

    env = make_env("TradingBot", seed=1)
    env.execute(ToolCall("trading_logout", {}))
    refused = env.execute(ToolCall("get_watchlist", {}))
    assert isinstance(refused.value, list) and call_failed(refused), refused
    assert not call_failed(CallResult(ToolCall("get_watchlist", {}), value=["NVDA", "Errorless Inc"]))


def test_a_cabin_temperature_is_drawn_in_the_unit_it_is_a_temperature_of() -> None:
    from fr_core.sampling.params import sample_arguments

    env = make_env(["VehicleControlAPI"])
    spec = next(t for t in env.tools() if t.name == "adjustClimateControl")
    for seed in range(200):
        args, _ = sample_arguments(env, spec, [], random.Random(seed))
        assert (args.get("unit", "celsius") == "fahrenheit") == (args["temperature"] > 40), args


def test_tools_with_one_offer_key_are_offered_the_same_values_in_every_state():
    """Legality asks once, for all of them, whether the state offers a value to tools that share an offer key: the
    adapter's keys must hold in the states calls lead to, not only in the first one."""
    shared: dict[str, int] = {}
    for cls in BFCL_CLASSES:
        for seed in range(4):
            env = make_env(cls, seed=seed)
            rng = random.Random(seed)
            for step in range(25):
                groups: dict[tuple, list[tuple[str, list]]] = {}
                for spec in env.tools():
                    for param in spec.properties:
                        groups.setdefault(env.offer_key(spec.name, param), []).append(
                            (spec.name, env.candidates(spec.name, param)))
                for key, offered in groups.items():
                    assert all(values == offered[0][1] for _, values in offered), (key, step, offered)
                    shared[cls] = shared.get(cls, 0) + (len(offered) > 1)
                env.execute(_random_call(env, rng))
    # keys shared by several tools, so the check above compares something
    assert {c for c, n in shared.items() if n} >= {"GorillaFileSystem", "TwitterAPI", "TravelAPI", "TradingBot"}
