"""Snapshots without deepcopy: restores give back the exact state (generators included), copies are independent."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import pytest

from fr_core.envs import BFCL_CLASSES, make_env, make_python_env
from fr_core.envs.base import state_change
from fr_core.sampling import state_diff
from fr_core.types import ToolCall

DATA = Path(__file__).resolve().parents[2] / "data" / "tools"


def _calls(env, seed: int, n: int) -> list[ToolCall]:
    """``n`` calls with arguments the state offers (or the first enum value, or a small string)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        spec = rng.choice(env.tools())
        args = {}
        for name, schema in spec.properties.items():
            options = env.candidates(spec.name, name) or schema.get("enum") or [
                {"integer": 1, "number": 2.5, "boolean": True, "array": [], "object": {}}.get(schema.get("type"), "x")]
            args[name] = rng.choice(options)
        out.append(ToolCall(spec.name, args))
    return out


def _run(env, calls) -> str:
    return json.dumps([(r.value, r.error) for r in map(env.execute, calls)], sort_keys=True, default=str)


def _view(env) -> str:
    return json.dumps(env.state(), sort_keys=True, default=str)


SPECS = [*BFCL_CLASSES, "GorillaFileSystem+MessageAPI", f"{DATA / 'notes_app.py'}:NotesApp",
         str(DATA / "weather_tools.json")]


@pytest.mark.parametrize("spec", SPECS)
def test_after_a_restore_the_same_calls_give_the_same_results(spec):
    env = make_env(spec, seed=3)
    _run(env, _calls(env, 1, 20))
    snap, before = env.snapshot(), _view(env)
    calls = _calls(env, 2, 30)
    first = _run(env, calls)
    env.restore(snap)
    assert _view(env) == before
    assert _run(env, calls) == first  # generators inside the state (ids, prices) were restored too


@pytest.mark.parametrize("spec", SPECS)
def test_a_copy_and_its_original_do_not_share_state(spec):
    env = make_env(spec, seed=4)
    before = _view(env)
    clone = env.copy()
    _run(clone, _calls(clone, 5, 30))
    assert _view(env) == before
    changed = _view(clone)
    _run(env, _calls(env, 6, 30))
    assert _view(clone) == changed


def test_restore_after_a_call_to_one_class_keeps_the_other_instance():
    env = make_env("GorillaFileSystem+TwitterAPI", seed=0)
    files = env.instance("GorillaFileSystem")
    snap, before = env.snapshot(), _view(env)
    env.execute(ToolCall("post_tweet", {"content": "hello"}))
    env.restore(snap)
    assert _view(env) == before
    assert env.instance("GorillaFileSystem") is files  # only the class a call can have changed was restored


class Odd:
    """A state pickle cannot take (a lock and a lambda), kept in slots."""

    __slots__ = ("count", "lock", "key")

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()
        self.key = lambda x: x

    def bump(self) -> int:
        """Add one to the counter."""
        self.count += 1
        return self.count

    def __deepcopy__(self, memo):
        clone = Odd()
        clone.count = self.count
        return clone


def test_a_state_that_cannot_be_serialised_is_still_snapshotted_and_copied():
    env = make_python_env(Odd)
    snap = env.snapshot()
    assert env.execute(ToolCall("bump", {})).value == 1
    clone = env.copy()
    assert clone.execute(ToolCall("bump", {})).value == 2
    env.restore(snap)
    assert env.execute(ToolCall("bump", {})).value == 1


def test_a_snapshot_of_other_classes_is_refused():
    env = make_env("TwitterAPI", seed=0)
    with pytest.raises(ValueError, match="cannot restore TwitterAPI"):
        env.restore(make_env("TicketAPI", seed=0).snapshot())


class Dice:
    """A tool class whose generator is a public attribute."""

    def __init__(self) -> None:
        self.rng = random.Random(7)
        self.rolls: list[int] = []
        self.notes: dict[str, str] = {"first": "hello"}

    def roll(self) -> int:
        """Roll a die."""
        self.rolls.append(self.rng.randint(1, 6))
        return self.rolls[-1]

    def note(self, key: str, text: str) -> str:
        """Keep a note.

        Args:
            key: Its name.
            text: What it says.
        """
        self.notes[key] = text
        return text


def test_a_state_diff_shows_what_the_call_changed_and_only_that():
    env = make_python_env(Dice)
    before = env.snapshot()
    assert env.execute(ToolCall("roll", {})).ok
    old, new = state_change(env, "Dice", before)
    assert state_diff(old, new) == [{"op": "add", "path": "rolls[]", "after": env.state()["Dice"]["rolls"][0]}]
    before = env.snapshot()
    assert env.execute(ToolCall("note", {"key": "second", "text": "bye"})).ok
    assert state_diff(*state_change(env, "Dice", before)) == [{"op": "add", "path": "notes.second", "after": "bye"}]
    before = env.snapshot()
    assert env.execute(ToolCall("note", {"key": "second", "text": "bye"})).ok
    assert state_change(env, "Dice", before) is None  # the same note again changes nothing


def test_the_values_a_state_offers_follow_its_calls_and_restores():
    """Candidates are remembered per frozen state of their class: a call that creates a file offers it at once,
    a restore takes it back, and a caller changing the answer does not change the next one."""
    env = make_env("GorillaFileSystem", seed=0)
    snap = env.snapshot()
    files = env.candidates("cat", "file_name")
    assert "brand_new.txt" not in files
    files.append("not_a_file.txt")
    assert "not_a_file.txt" not in env.candidates("cat", "file_name")
    env.execute(ToolCall("touch", {"file_name": "brand_new.txt"}))
    assert "brand_new.txt" in env.candidates("cat", "file_name")
    env.snapshot()
    assert "brand_new.txt" in env.candidates("cat", "file_name")
    env.restore(snap)
    assert "brand_new.txt" not in env.candidates("cat", "file_name")
    clone = env.copy()
    clone.execute(ToolCall("touch", {"file_name": "only_in_the_copy.txt"}))
    clone.snapshot()
    assert "only_in_the_copy.txt" in clone.candidates("cat", "file_name")
    assert "only_in_the_copy.txt" not in env.candidates("cat", "file_name")


class _Dice:
    """A class that draws from its own generator in some tools and never in another."""

    def __init__(self) -> None:
        self.rolls: list[int] = []
        self._random = random.Random(7)

    def roll(self) -> list[int]:
        """Roll a die."""
        self.rolls.append(self._random.randint(1, 6))
        return self.rolls

    def count(self) -> int:
        """How many rolls so far."""
        return len(self.rolls)

    def peek(self) -> int:
        """A roll that is not kept: only the generator moves on."""
        return self._random.randint(1, 6)


def test_a_generator_a_class_holds_draws_as_before_and_a_state_check_sees_every_draw():
    from fr_core.envs.base import Tracked, state_unchanged

    plain, tracked = random.Random(7), Tracked(7)
    assert [tracked.randint(1, 6) for _ in range(50)] + [tracked.choice("abcdef"), tracked.gauss(0, 1)] == \
        [plain.randint(1, 6) for _ in range(50)] + [plain.choice("abcdef"), plain.gauss(0, 1)]
    env = make_python_env(_Dice)
    owner = env.classes[0]
    before = env.snapshot()
    env.execute(ToolCall("count", {}))
    assert state_unchanged(env, owner, before)  # a call that drew nothing left the generator as it was
    first = env.execute(ToolCall("roll", {})).value
    assert not state_unchanged(env, owner, before)
    env.restore(before)
    assert state_unchanged(env, owner, before)
    assert env.execute(ToolCall("roll", {})).value == first  # the generator came back with the state
    copy = env.copy()
    assert copy.execute(ToolCall("roll", {})).value == env.execute(ToolCall("roll", {})).value
    moved = env.snapshot()
    env.execute(ToolCall("peek", {}))
    assert not state_unchanged(env, owner, moved)  # only the generator moved: a change all the same
