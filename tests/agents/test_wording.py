"""How the offline querying agent's requests read: written English in every register, reasons and spelled-out
contractions that the offline reasoner still reads back into the tools asked for."""

from __future__ import annotations

import re

import networkx as nx
import pytest

from fr_core.agents import make_agents
from fr_core.agents.base import ReasonTask
from fr_core.agents.phrasebook import expand_contractions, phrasings, realise, reasons
from fr_core.agents.reasoning import OfflineReasoning
from fr_core.envs import BFCL_CLASSES, make_env
from fr_core.refine.loop import run_attempt
from fr_core.types import AdvancedTool, Query, ToolCall, ToolSpec

FS = ["GorillaFileSystem"]


def _adv(calls: list[tuple[str, dict]], values: dict) -> AdvancedTool:
    spec = ToolSpec("task_flow", "Does it.", {"type": "object", "properties": {}}, owner="advanced")
    bindings = tuple((p, i, p) for i, (_, args) in enumerate(calls) for p in args)
    return AdvancedTool(spec, tuple(ToolCall(n, a) for n, a in calls), values, (), "test",
                        tuple("goal" for _ in calls), bindings, tuple(-1 for _ in calls))


def _read(text: str, env, seed: int = 0) -> list[ToolCall]:
    """The calls the offline reasoner (making no mistakes) plans for ``text``."""
    task = ReasonTask(Query(text, "hard", 1.0, seed, {}, "test"), tuple(env.tools()), nx.DiGraph(), seed=seed)
    run = run_attempt(OfflineReasoning(mistake_rate=0.0), task, (), 1, env)
    return [c for step in run.steps for c in step.calls]


_CALLS = [("mkdir", {"dir_name": "exports_74"}), ("rm", {"file_name": "old_notes.txt"}),
          ("mv", {"source": "draft.md", "destination": "archive"}), ("pwd", {}), ("du", {})]


@pytest.mark.parametrize("noise", [0.5, 1.0])
def test_hard_requests_read_as_written_english(noise) -> None:
    tools = tuple(make_env(FS).tools())
    querying = make_agents("offline").querying
    adv = _adv(_CALLS, {k: v for _, args in _CALLS for k, v in args.items()})
    for seed in range(150):
        text = querying.write(adv, tools, noise=noise, seed=seed).output.text
        assert not re.search(r" [,.?;]|  |,,|, ,|\bbut, |: [^ ]+: ", text), text  # "25.0 , and", "Unrelated, but, "
        assert not re.search(r"\ba exports_74\b", text), text  # "an exports_74 folder"
        for sentence in re.split(r"(?<=[.?!]) ", text):
            assert sentence[:1].isupper() or sentence[:1] in '"[', (sentence, text)


def test_an_before_a_value_read_with_a_vowel_is_read_back() -> None:
    env = make_env(FS)
    querying = make_agents("offline").querying
    adv = _adv([("mkdir", {"dir_name": "exports_74"})], {"dir_name": "exports_74"})
    seen = 0
    for seed in range(200):
        text = querying.write(adv, tuple(env.tools()), noise=1.0, seed=seed).output.text
        if re.search(r"\ban \"?exports_74", text):
            seen += 1
            assert ToolCall("mkdir", {"dir_name": "exports_74"}) in _read(text, env.copy(), seed), text
    assert seen >= 3


@pytest.mark.parametrize("cls", BFCL_CLASSES)
def test_a_request_without_contractions_is_read_back_as_its_tool(cls) -> None:
    env = make_env(cls)
    checked = 0
    for spec in env.tools():
        for phrasing in phrasings(spec):
            wording = realise(phrasing.text, None)
            formal = expand_contractions(wording)
            if phrasing.slots or formal == wording:  # values need their own set-up: the wordings without any
                continue
            names = [c.name for c in _read(f"Please {formal}.", env.copy())]
            assert spec.name in names, (formal, names)
            checked += 1
    assert checked or cls in ("MathAPI",)


def test_a_reason_said_with_a_goal_adds_no_step() -> None:
    env = make_env(FS)
    specs = {t.name: t for t in env.tools()}
    said = {"rm": 'delete "old_notes.txt"', "du": "tell me how much space this folder takes",
            "pwd": "tell me which folder I'm in", "mkdir": 'create a folder called "exports_74"'}
    for name, goal in said.items():
        for line in reasons(specs[name]):
            for why in {realise(line, None), expand_contractions(realise(line, None))}:
                names = [c.name for c in _read(f"Please {goal}, since {why}.", env.copy())]
                assert names == [name], (why, names)


def test_a_coded_value_is_said_in_words_and_read_back_as_its_code() -> None:
    env = make_env(FS)
    name = env.candidates("wc", "file_name")[0]  # a file in the working folder
    querying = make_agents("offline").querying
    adv = _adv([("wc", {"file_name": name, "mode": "w"})], {"file_name": name, "mode": "w"})
    for seed in range(20):
        text = querying.write(adv, tuple(env.tools()), noise=1.0, seed=seed).output.text
        assert "words" in text and not re.search(r"\b(?:many|in) \"?w\b", text), text
        assert ToolCall("wc", {"file_name": name, "mode": "w"}) in _read(text, env.copy(), seed), text


def test_a_one_item_list_is_said_as_its_item_and_read_back_as_a_list() -> None:
    env = make_env(["VehicleControlAPI"])
    querying = make_agents("offline").querying
    call = ("lockDoors", {"unlock": False, "door": ["driver"]})
    adv = _adv([call], dict(call[1]))
    for seed in range(12):
        text = querying.write(adv, tuple(env.tools()), noise=1.0, seed=seed).output.text
        assert '["driver"]' not in text and "driver" in text, text
        assert ToolCall(*call) in _read(text, env.copy(), seed), text


def test_a_date_is_written_as_people_write_it_and_read_back_as_iso() -> None:
    env = make_env(["TravelAPI"])
    querying = make_agents("offline").querying
    call = ("verify_traveler_information", {"first_name": "Dalia", "last_name": "Sandoval",
                                            "date_of_birth": "1976-11-02", "passport_number": "US1420220"})
    adv = _adv([call], dict(call[1]))
    for seed in range(12):
        text = querying.write(adv, tuple(env.tools()), noise=1.0, seed=seed).output.text
        assert "November 2, 1976" in text and "1976-11-02" not in text, text
        assert ToolCall(*call) in _read(text, env.copy(), seed), text


def test_digits_of_a_text_argument_go_without_quotes_and_are_read_back_as_text() -> None:
    env = make_env(["VehicleControlAPI"])
    querying = make_agents("offline").querying
    call = ("estimate_distance", {"cityA": "69238", "cityB": "56108"})
    adv = _adv([call], dict(call[1]))
    for seed in range(12):
        text = querying.write(adv, tuple(env.tools()), noise=1.0, seed=seed).output.text
        assert "69238" in text and '"69238"' not in text, text
        assert ToolCall(*call) in _read(text, env.copy(), seed), text


@pytest.mark.parametrize("tool", ["mean", "standard_deviation", "sum_values", "max_value"])
def test_a_list_of_numbers_is_written_as_people_list_them_and_read_back_as_one_list(tool) -> None:
    env = make_env(["MathAPI"])
    querying = make_agents("offline").querying
    call = (tool, {"numbers": [12, 7.5, 40, 3]})
    adv = _adv([call], dict(call[1]))
    for seed in range(6):
        text = querying.write(adv, tuple(env.tools()), noise=1.0, seed=seed).output.text
        assert "12, 7.5, 40 and 3" in text and "[" not in text, text
        assert ToolCall(*call) in _read(text, env.copy(), seed), text


@pytest.mark.parametrize("updates", [{"status": "In Progress", "title": "Refund not received"}, {"priority": 2},
                                     {"description": "It works. Mostly.", "priority": 3}])
def test_an_object_argument_is_said_field_by_field_and_read_back_as_one_object(updates) -> None:
    env = make_env(["TicketAPI"])
    ticket = env.candidates("edit_ticket", "ticket_id")[0]
    querying = make_agents("offline").querying
    call = ("edit_ticket", {"ticket_id": ticket, "updates": updates})
    adv = _adv([call], dict(call[1]))
    for seed in range(5):
        text = querying.write(adv, tuple(env.tools()), noise=1.0, seed=seed).output.text
        assert "{" not in text and all(f"{k} " in text for k in updates), text
        assert ToolCall(*call) in _read(text, env.copy(), seed), text


@pytest.mark.parametrize("call", [("lockDoors", {"unlock": False, "door": ["driver", "passenger", "rear_left"]}),
                                  ("lockDoors", {"unlock": True, "door": ["driver", "passenger"]}),
                                  ("setCruiseControl", {"speed": 60, "activate": False, "distanceToNextVehicle": 40})])
def test_a_true_or_false_and_a_list_of_words_are_said_in_words_and_read_back(call) -> None:
    env = make_env(["VehicleControlAPI"])
    querying = make_agents("offline").querying
    adv = _adv([call], dict(call[1]))
    for seed in range(6):
        text = querying.write(adv, tuple(env.tools()), noise=1.0, seed=seed).output.text
        assert not re.search(r"\b(?:true|false)\b|\[", text), text
        assert ToolCall(*call) in _read(text, env.copy(), seed), text


def test_a_code_said_for_one_goal_is_pointed_at_for_the_next_and_read_back() -> None:
    env = make_env(["MessageAPI"])
    env.execute(ToolCall("message_login", {"user_id": "USR001"}))
    querying = make_agents("offline").querying
    calls = [("send_message", {"receiver_id": "USR002", "message": "Parking is full today."}),
             ("send_message", {"receiver_id": "USR003", "message": "Lunch at noon?"}),
             ("send_message", {"receiver_id": "USR003", "message": "Bring the slides."})]
    bindings = (("receiver_id", 0, "receiver_id"), ("message", 0, "message"), ("receiver_id_2", 1, "receiver_id"),
                ("message_2", 1, "message"), ("receiver_id_2", 2, "receiver_id"), ("message_3", 2, "message"))
    values = {"receiver_id": "USR002", "message": "Parking is full today.", "receiver_id_2": "USR003",
              "message_2": "Lunch at noon?", "message_3": "Bring the slides."}
    base = _adv(calls, {})
    adv = AdvancedTool(base.spec, base.inner_calls, values, (), "test", base.roles, bindings, base.serves)
    pointed = 0
    for seed in range(12):
        text = querying.write(adv, tuple(env.tools()), noise=1.0, seed=seed).output.text
        pointed += text.count("USR003") == 1
        assert [ToolCall(*c) for c in calls] == _read(text, env.copy(), seed), text
    assert pointed >= 4  # most of the time the second mention of USR003 points back at the first
