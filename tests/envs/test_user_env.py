"""User environments: a Python tool class and JSON tool specs with the mock/replay backend."""

from __future__ import annotations

import json
import random
from enum import Enum
from pathlib import Path
from typing import Literal, Optional, TypedDict

import pytest

from fr_core.envs import (
    Environment,
    JsonToolEnvironment,
    load_json_specs,
    load_python_env,
    make_env,
    make_json_env,
    make_python_env,
    specs_from_class,
)
from fr_core.errors import ConfigError, EnvError, ToolSpecError
from fr_core.types import ToolCall

DATA = Path(__file__).resolve().parents[2] / "data" / "tools"
NOTES = f"{DATA / 'notes_app.py'}:NotesApp"
WEATHER = DATA / "weather_tools.json"
REPLAY = DATA / "weather_replay.json"


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class Point(TypedDict):
    x: int
    y: int


class Demo:
    """Tools with every kind of hint."""

    def __init__(self) -> None:
        self.log: list[str] = []

    def plain(self, name: str, count: int, ratio: float, flag: bool = False) -> dict:
        """Do a plain thing.

        Longer explanation that continues
        over two lines.

        Args:
            name: Who it is for.
            count (int): How many; the text goes on
                on a second line.
            ratio: A share between 0 and 1.

        Returns:
            A dict with the result.
        """
        self.log.append(name)
        return {"name": name, "count": count}

    def typed(
        self,
        words: list[str],
        table: dict[str, int],
        maybe: Optional[str] = None,
        either: int | None = None,
        mode: Literal["fast", "slow"] = "fast",
        colour: Colour = Colour.RED,
    ) -> Point:
        """Numpy-style docs.

        Parameters
        ----------
        words : list of str
            Words to use.
        mode : str
            How fast.

        Returns
        -------
        Point
            Where it ends.
        """
        return {"x": len(words), "y": len(table)}

    @staticmethod
    def helper(a: int) -> int:
        """A static tool."""
        return a * 2

    def _private(self) -> None:
        """Not a tool."""

    def load_state(self, state: dict) -> None:
        self.log = list(state.get("log", []))


def _spec(specs, name):
    return next(s for s in specs if s.name == name)


# -- specs from a class ----------------------------------------------------------------------------------------
def test_specs_from_class_reads_hints_and_docstrings():
    specs = specs_from_class(Demo)
    assert [s.name for s in specs] == ["plain", "typed", "helper"]  # no private methods, no load_state hook
    plain = _spec(specs, "plain")
    assert plain.description == "Do a plain thing. Longer explanation that continues over two lines."
    assert plain.owner == "Demo"
    props = plain.properties
    assert props["name"] == {"type": "string", "description": "Who it is for."}
    assert props["count"] == {"type": "integer", "description": "How many; the text goes on on a second line."}
    assert props["ratio"]["type"] == "number"
    assert props["flag"] == {"type": "boolean", "default": False}
    assert plain.required == ["name", "count", "ratio"]
    assert plain.response == {"type": "object", "description": "A dict with the result."}

    typed = _spec(specs, "typed")
    tp = typed.properties
    assert tp["words"] == {"type": "array", "items": {"type": "string"}, "description": "Words to use."}
    assert tp["table"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert tp["maybe"] == {"type": "string", "nullable": True, "default": None}
    assert tp["either"] == {"type": "integer", "nullable": True, "default": None}
    assert tp["mode"] == {"type": "string", "enum": ["fast", "slow"], "description": "How fast.", "default": "fast"}
    assert tp["colour"] == {"type": "string", "enum": ["red", "blue"], "default": "red"}
    assert typed.required == ["words", "table"]
    assert typed.response["type"] == "object"
    assert typed.response["properties"] == {"x": {"type": "integer"}, "y": {"type": "integer"}}
    assert "Where it ends." in typed.response["description"]

    helper = _spec(specs, "helper")
    assert helper.properties == {"a": {"type": "integer"}} and helper.response == {"type": "integer"}


def test_returns_fields_become_response_properties():
    specs = {s.name: s for s in make_env(NOTES).tools()}
    assert set(specs) == {"login", "logout", "create_note", "list_notes", "read_note", "delete_note"}
    assert specs["create_note"].response["properties"]["note_id"]["type"] == "string"
    assert specs["create_note"].properties["priority"]["enum"] == ["low", "normal", "high"]
    assert specs["read_note"].required == ["note_id"]
    assert "call login" not in specs["login"].description  # the summary only, not the body


def test_bad_python_tool_classes_raise_tool_spec_errors():
    class Varargs:
        def run(self, *items: str) -> None:
            """Takes anything."""

    class Weird:
        def run(self, thing: complex) -> None:
            """Complex numbers are not JSON."""

    class Empty:
        pass

    with pytest.raises(ToolSpecError, match=r"Varargs\.run.*items"):
        specs_from_class(Varargs)
    with pytest.raises(ToolSpecError, match=r"Weird\.run\(thing\)"):
        specs_from_class(Weird)
    with pytest.raises(ToolSpecError, match="Empty has no public methods"):
        specs_from_class(Empty)


# -- the Python class environment ---------------------------------------------------------------------------
def test_notes_app_ids_flow_between_calls_and_login_is_a_prerequisite():
    env = load_python_env(NOTES)
    assert isinstance(env, Environment)
    refused = env.execute(ToolCall("create_note", {"title": "t", "body": "b"}))
    assert not refused.ok and "login" in refused.error
    assert env.execute(ToolCall("login", {"username": "alice", "password": "wonderland"})).ok
    made = env.execute(ToolCall("create_note", {"title": "Groceries", "body": "milk", "tags": ["home"]}))
    note_id = made.value["note_id"]
    assert env.candidates("read_note", "note_id") == [note_id]
    read = env.execute(ToolCall("read_note", {"note_id": note_id}))
    assert read.value == {"note_id": note_id, "title": "Groceries", "body": "milk", "tags": ["home"]}
    assert env.execute(ToolCall("list_notes", {"tag": None})).ok  # Optional accepts an explicit null
    assert env.execute(ToolCall("delete_note", {"note_id": note_id})).value == {"deleted": note_id}
    gone = env.execute(ToolCall("read_note", {"note_id": note_id}))
    assert not gone.ok and note_id in gone.error


def test_a_mapping_in_the_state_offers_names_and_keeps_their_values_paired():
    """``users = {name: password}``: ``login(username=…)`` is offered the names, ``password`` the passwords, and
    the sampler keeps each name with its own password, so a generated login works."""
    from fr_core.sampling.params import sample_arguments

    env = make_env(NOTES, initial_config={"users": {"carol": "pw1", "dave": "pw2", "erin": "pw3"}})
    assert env.candidates("login", "username") == ["carol", "dave", "erin"]
    assert env.candidates("login", "password") == ["pw1", "pw2", "pw3"]
    assert env.pairs("login") == [("username", "password", (("carol", "pw1"), ("dave", "pw2"), ("erin", "pw3")))]
    assert env.candidates("create_note", "title") == [] and env.pairs("create_note") == []
    spec = next(s for s in env.tools() if s.name == "login")
    for seed in range(30):
        args, sources = sample_arguments(env, spec, (), random.Random(seed))
        assert env.execute(ToolCall("login", args)).ok, args
        assert {s.kind for s in sources} == {"state"}


def test_python_env_loads_initial_state_and_round_trips_snapshots():
    state = {
        "users": {"carol": "pw"},
        "current_user": "carol",
        "notes": {"n7": {"note_id": "n7", "owner": "carol", "title": "x", "body": "y", "tags": [], "priority": "low"}},
    }
    env = make_env(NOTES, initial_config=state)
    assert env.state()["NotesApp"]["notes"]["n7"]["title"] == "x"
    assert env.candidates("delete_note", "note_id") == ["n7"]
    snap, before = env.snapshot(), env.state()
    clone = env.copy()
    for i in range(5):
        assert env.execute(ToolCall("create_note", {"title": f"t{i}", "body": "b"})).ok
    assert env.execute(ToolCall("create_note", {"title": "t", "body": "b"})).value["note_id"] == "n13"
    assert env.state() != before
    assert clone.state() == before  # the copy did not move
    env.restore(snap)
    assert env.state() == before


def test_python_env_owns_a_copy_of_a_given_instance():
    demo = Demo()
    env = make_python_env(demo, initial_state={"log": ["start"]}, name="demo")
    assert env.name == "demo"
    assert env.execute(ToolCall("plain", {"name": "a", "count": 1, "ratio": 0.5})).ok
    assert env.state()["Demo"]["log"] == ["start", "a"]
    assert demo.log == []


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (ToolCall("nope", {}), ["nope", "unknown tool"]),
        (ToolCall("create_note", {"title": "t"}), ["create_note", "body", "missing"]),
        (ToolCall("create_note", {"title": 3, "body": "b"}), ["create_note", "title", "string"]),
        (ToolCall("create_note", {"title": "t", "body": "b", "colour": "red"}),
         ["create_note", "colour", "unexpected"]),
        (ToolCall("create_note", {"title": "t", "body": "b", "priority": "urgent"}),
         ["create_note", "priority", "one of"]),
        (ToolCall("create_note", {"title": "t", "body": "b", "tags": [1]}), ["create_note", "tags", "string"]),
    ],
)
def test_wrong_calls_on_user_envs_return_errors(call, words):
    for env in (make_env(NOTES), make_json_env([_NOTE_JSON])):
        env.execute(ToolCall("login", {"username": "alice", "password": "wonderland"}))
        result = env.execute(call)
        assert not result.ok, env
        for word in words:
            assert word in result.error, (word, result.error)


def test_load_python_env_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_python_env(f"{tmp_path / 'missing.py'}:X")
    with pytest.raises(ConfigError, match="path/to/file.py:ClassName"):
        load_python_env("notes_app.NotesApp")
    with pytest.raises(ConfigError, match="no class 'Notes'.*NotesApp"):
        load_python_env(f"{DATA / 'notes_app.py'}:Notes")
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(EnvError, match=r"broken\.py.*boom"):
        load_python_env(f"{broken}:Anything")
    needs_args = tmp_path / "needs_args.py"
    needs_args.write_text("class Tool:\n    def __init__(self, key):\n        pass\n"
                          "    def run(self) -> None:\n        pass\n")
    with pytest.raises(EnvError, match="no\\s+arguments"):
        load_python_env(f"{needs_args}:Tool")
    with pytest.raises(EnvError, match="load_state"):
        make_python_env(type("NoHook", (), {"run": lambda self: None}), initial_state={"a": 1})


# -- JSON specs with the mock backend ----------------------------------------------------------------------
_NOTE_JSON = {
    "type": "function",
    "function": {
        "name": "create_note",
        "description": "Create a note.",
        "parameters": {
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "body": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "priority": {"type": "string", "enum": ["low", "normal", "high"]},
            },
            "required": ["title", "body"],
        },
    },
}


def test_json_specs_load_both_shapes():
    specs = load_json_specs(WEATHER, owner="weather")
    assert [s.name for s in specs] == [
        "find_city", "get_current_weather", "get_forecast", "subscribe_alerts", "cancel_alerts"
    ]
    current = specs[1]
    assert current.owner == "weather" and current.required == ["city_id"]
    assert current.properties["unit"]["enum"] == ["celsius", "fahrenheit"]
    assert current.response["properties"]["humidity"]["type"] == "integer"
    assert specs[-1].response is None  # a bare spec without a response schema
    assert specs[0].to_openai()["function"]["name"] == "find_city"


def test_replay_responses_are_returned_and_defaults_match():
    env = make_json_env(WEATHER, replay=REPLAY)
    assert isinstance(env, JsonToolEnvironment) and isinstance(env, Environment)
    found = env.execute(ToolCall("find_city", {"query": "Paris"}))
    assert found.value["cities"][0]["city_id"] == "city-paris-fr"
    # unit defaults to celsius, so both forms hit the same recording
    for args in ({"city_id": "city-paris-fr"}, {"city_id": "city-paris-fr", "unit": "celsius"}):
        assert env.execute(ToolCall("get_current_weather", args)).value["temperature"] == 18.5
    f = env.execute(ToolCall("get_current_weather", {"city_id": "city-paris-fr", "unit": "fahrenheit"}))
    assert f.value["temperature"] == 65.3
    recorded_error = env.execute(ToolCall("get_forecast", {"city_id": "city-atlantis", "days": 3}))
    assert recorded_error.error == "get_forecast: unknown city_id 'city-atlantis'"
    assert [c["source"] for c in env.state()["calls"]] == ["replay"] * 3  # the error and the repeat add nothing
    assert env.candidates("get_forecast", "city_id") == ["city-paris-fr", "city-paris-us"]


def test_mock_is_deterministic_and_follows_the_response_schema():
    call = ToolCall("get_forecast", {"city_id": "city-x", "days": 3})
    a, b = make_json_env(WEATHER, seed=1), make_json_env(WEATHER, seed=1)
    first = a.execute(call).value
    assert first == b.execute(call).value == a.execute(call).value
    assert make_json_env(WEATHER, seed=2).execute(call).value != first
    assert first["city_id"] == "city-x"  # a response field named like an argument echoes it
    for day in first["days"]:
        assert -20 <= day["high"] <= 45 and day["condition"] in ["sunny", "cloudy", "rain", "snow", "fog"]
        assert len(day["date"]) == 10
    sub = a.execute(ToolCall("subscribe_alerts", {"city_id": "city-x", "email": "me@example.com"})).value
    assert sub["subscription_id"].startswith("subscription-") and sub["email"] == "me@example.com"
    assert a.state()["ids"]["subscription_id"] == [sub["subscription_id"]]
    assert a.candidates("cancel_alerts", "subscription_id") == [sub["subscription_id"]]
    echo = a.execute(ToolCall("cancel_alerts", {"subscription_id": sub["subscription_id"]}))
    assert echo.value == {"status": "ok", "subscription_id": sub["subscription_id"]}


def test_json_env_snapshot_restore_and_copy():
    env = make_env(str(WEATHER), seed=3, initial_config={"replay": str(REPLAY)})
    env.execute(ToolCall("find_city", {"query": "Paris"}))
    snap, before = env.snapshot(), env.state()
    clone = env.copy()
    for days in range(1, 8):
        assert env.execute(ToolCall("get_forecast", {"city_id": "city-paris-fr", "days": days})).ok
    assert len(env.state()["calls"]) == 8
    assert clone.state() == before
    env.restore(snap)
    assert env.state() == before
    bad = env.execute(ToolCall("get_forecast", {"city_id": "c", "days": "3"}))
    assert not bad.ok and "days" in bad.error and env.state() == before  # rejected calls are not logged


def _write(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ('[{"name": "a",\n  "description": "x",,}]', r"not valid JSON at line 2"),
        ({"name": "a"}, r"expected a JSON list"),
        ([{"description": "no name"}], r"tools\[0\]\.name is missing"),
        ([{"type": "function", "function": {"description": "x"}}], r"tools\[0\]\.function\.name is missing"),
        ([{"name": "bad name!"}], r"tools\[0\]\.name 'bad name!'"),
        ([{"name": "a", "parameters": []}], r"tools\[0\]\.parameters must be a JSON object"),
        ([{"name": "a", "parameters": {"type": "array"}}], r"tools\[0\]\.parameters\.type must be 'object'"),
        ([{"name": "a"}, {"name": "b"}, {"name": "a"}], r"tools\[2\]\.name: duplicate tool name 'a'.*tools\[0\]"),
        ([{"name": "a", "parameters": {"type": "object", "properties": {"x": {"type": "dict"}}}}],
         r"tools\[0\]\.parameters\.properties\.x\.type: unknown type 'dict'.*'object'"),
        ([{"name": "a", "parameters": {"type": "object", "properties": {}, "required": ["x"]}}],
         r"tools\[0\]\.parameters\.required names \['x'\]"),
        ([{"name": "a", "response": "a string"}], r"tools\[0\]\.response must be a JSON object"),
        ([{"name": "a", "description": 5}], r"tools\[0\]\.description must be a string"),
        ([], r"the tool list is empty"),
    ],
)
def test_malformed_spec_files_name_file_and_field(tmp_path, content, pattern):
    path = _write(tmp_path, "tools.json", content)
    with pytest.raises(ToolSpecError, match=pattern) as info:
        make_json_env(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("{oops", r"replay\.json: not valid JSON at line 1"),
        ({"responses": [{"name": "nope", "response": {}}]}, r"responses\[0\]\.name 'nope' is not one of the tools"),
        ([{"name": "find_city", "arguments": {"query": "x"}}], r"responses\[0\] needs exactly one of"),
        ([{"name": "find_city", "arguments": {"q": "x"}, "response": {}}], r"responses\[0\]\.arguments.*query"),
    ],
)
def test_malformed_replay_files_name_file_and_field(tmp_path, content, pattern):
    path = _write(tmp_path, "replay.json", content)
    with pytest.raises(ToolSpecError, match=pattern):
        make_json_env(WEATHER, replay=path)


def test_a_replay_entry_without_arguments_answers_every_call_of_its_tool():
    env = make_json_env(WEATHER, replay=[{"name": "cancel_alerts", "error": "alerts are switched off"}])
    assert env.execute(ToolCall("cancel_alerts", {"subscription_id": "any"})).error == "alerts are switched off"


# -- make_env dispatch --------------------------------------------------------------------------------------
def test_make_env_dispatches_and_explains_bad_specs(tmp_path):
    assert make_env("MathAPI", initial_config={}).name == "MathAPI"
    assert make_env(NOTES).name == "NotesApp"
    assert make_env(str(WEATHER)).name == "weather_tools"
    with pytest.raises(ConfigError, match="'Nope' is not a BFCL class.*path/to/file.py:Class"):
        make_env("MathAPI+Nope")
    with pytest.raises(ConfigError, match="no such tool spec file"):
        make_env(str(tmp_path / "missing.json"))
    with pytest.raises(ConfigError, match="only 'replay'"):
        make_env(str(WEATHER), initial_config={"state": {}})


def test_make_env_generates_bfcl_states_when_none_is_given():
    pytest.importorskip("fr_core.envs.bfcl.states")
    a = make_env("TwitterAPI+TicketAPI", seed=5)
    b = make_env("TwitterAPI+TicketAPI", seed=5)
    assert a.state() == b.state()
    assert make_env("TwitterAPI+TicketAPI", seed=6).state() != a.state()
