"""The shipped phrasebooks: every wording of every goal reads as one clause, and the offline reasoner reads a
request made from it back into the tool it was written for."""

from __future__ import annotations

import json
import random
import re

import networkx as nx
import pytest

from fr_core.agents.base import ReasonTask
from fr_core.agents.phrasebook import alternatives, phrasings, realise
from fr_core.agents.reasoning import OfflineReasoning
from fr_core.envs import BFCL_CLASSES, make_env
from fr_core.refine.loop import run_attempt
from fr_core.types import Query, ToolCall


def _goals(cls: str):
    env = make_env(cls)
    return env, [(spec, p) for spec in env.tools() for p in phrasings(spec) if not p.context]


@pytest.mark.parametrize("cls", BFCL_CLASSES)
def test_every_wording_is_one_clause_with_its_slots_outside_the_choices(cls) -> None:
    _, goals = _goals(cls)
    assert goals
    for _, phrasing in goals:
        for piece in alternatives(phrasing.text):
            if isinstance(piece, list):
                assert not any("{" in alt for alt in piece), phrasing.text
        for wording in phrasing.wordings:
            assert not re.search(r"[.;:!?]\s", wording + " "), wording  # a reader would split it into two


def _value(schema: dict) -> object:
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    return {"integer": 7, "number": 12.5, "array": ["alpha", "beta"], "object": {"note": "x"},
            "boolean": True}.get(kind, "plum")


@pytest.mark.parametrize("cls", BFCL_CLASSES)
def test_a_request_in_any_wording_is_read_back_as_its_tool(cls) -> None:
    env, goals = _goals(cls)
    tools = tuple(env.tools())
    rng = random.Random(0)
    owners: dict[str, set[str]] = {}  # a wording two tools share (unit conversions) may be read as either
    for spec, phrasing in goals:
        for w in phrasing.wordings:
            owners.setdefault(w, set()).add(spec.name)
    missed = []
    for n, (spec, phrasing) in enumerate(goals):
        for _ in range(2):
            wording = realise(phrasing.text, rng)
            if len(owners[wording]) > 1:
                continue
            values = {slot: _value(spec.properties.get(slot, {})) for slot in phrasing.slots}
            text = re.sub(r"\{(\w+)\}", lambda m, v=values: json.dumps(v[m.group(1)]), wording)
            task = ReasonTask(Query(f"Please {text}.", "hard", 1.0, n, values, "test"), tools, nx.DiGraph(), seed=n)
            run = run_attempt(OfflineReasoning(mistake_rate=0.0), task, (), 1, env)
            names = [c.name for step in run.steps for c in step.calls]
            if spec.name not in names:
                missed.append((wording, names))
    assert not missed, missed[:5]


def test_a_broken_phrasebook_line_is_refused_with_its_place(tmp_path, monkeypatch) -> None:
    from fr_core.agents import phrasebook
    from fr_core.errors import ConfigError
    from fr_core.types import ToolSpec

    (tmp_path / "Library.toml").write_text('[goals]\nborrow = ["(take|(grab|get)) {title} home"]\n')
    monkeypatch.setattr(phrasebook, "PHRASEBOOK_DIR", tmp_path)
    phrasebook._book.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"Library.toml: \[goals\] borrow: .* nests a choice"):
            phrasings(ToolSpec("borrow", "", owner="Library"))
        (tmp_path / "Library.toml").write_text('[goals]\nborrow = ["take ({title}|it) home"]\n')
        phrasebook._book.cache_clear()
        with pytest.raises(ConfigError, match=r"slot\} inside"):
            phrasings(ToolSpec("borrow", "", owner="Library"))
    finally:
        phrasebook._book.cache_clear()


@pytest.mark.parametrize("cls", sorted(BFCL_CLASSES))
def test_nouns_name_arguments_of_the_class_and_replace_words_that_are_no_noun(cls) -> None:
    """A pointer back says "the same destination as before", not "that same travel to as before"; every
    ``[nouns]`` entry names an argument the class's tools have."""
    from fr_core.agents.phrasebook import _book
    from fr_core.agents.querying import _referent

    args = {p for spec in make_env(cls).tools() for p in spec.properties}
    nouns = _book(cls).get("nouns", {})
    assert set(nouns) <= args, f"unknown arguments in {cls}'s [nouns]: {sorted(set(nouns) - args)}"
    for arg in args:
        last = _referent(arg, cls).split()[-1]
        assert last not in ("to", "from", "in", "out"), f"{cls}.{arg} is pointed at as {_referent(arg, cls)!r}"
    if cls == "TravelAPI":
        assert _referent("travel_to", cls) == "destination" and _referent("booking_id", cls) == "booking id"


@pytest.mark.parametrize("cls", BFCL_CLASSES)
def test_the_word_test_before_the_regex_passes_every_wording_the_regex_reads(cls) -> None:
    """The reasoner compiles a phrasing's pattern only for a clause holding the words it needs (``_anchors``):
    every wording of every phrasing, with a word swapped for a synonym as a request may, passes that test
    whenever the pattern reads it."""
    from fr_core.agents.lexicon import SYNONYMS
    from fr_core.agents.reasoning import _anchors, _match_phrasing

    env = make_env(cls)
    read = tried = 0
    for spec in env.tools():
        for phrasing in (*phrasings(spec, context=True), *phrasings(spec)):
            for seed in range(4):
                rng = random.Random(seed)
                words = re.sub(r"\{\w+\}", " §0§ ", realise(phrasing.text, rng)).split()
                marked = " ".join(rng.choice(SYNONYMS[w.lower()]) if w.lower() in SYNONYMS and seed % 2 else w
                                  for w in words)
                tried += 1
                if _match_phrasing(phrasing.text, marked) is None:
                    continue
                read += 1
                low = marked.lower()
                assert all(any(form in low for form in group) for group in _anchors(phrasing.text)), (phrasing, marked)
    assert read > 0.9 * tried


def test_life_lines_fill_every_slot_and_say_no_value() -> None:
    """A line of life around a request ("My landlord will be visiting on Thursday.") is whole English: every slot
    filled, a capitalised slot starts with a capital, and nothing a reader could take for a value (no digits, no
    quotes)."""
    from fr_core.agents.lexicon import find_values
    from fr_core.agents.phrasebook import life

    rng = random.Random(7)
    lines = [life(kind, rng) for kind in ("scenes", "reasons") for _ in range(300)]
    assert len(set(lines)) > 450  # composed, not a short list
    for line in lines:
        assert "{" not in line and "(" not in line and not re.search(r"[0-9\"]", line), line
        assert not find_values(line), (line, find_values(line))
    assert all(line[0].isupper() for line in lines[:300])


def test_a_broken_life_line_is_refused_with_its_place(tmp_path, monkeypatch) -> None:
    from fr_core.agents import phrasebook
    from fr_core.errors import ConfigError

    lists = "people = [\"my aunt\"]\nevents = [\"a fair\"]\ntimes = [\"today\"]\nplaces = [\"at home\"]\n"
    (tmp_path / "life.toml").write_text("[life]\n" + lists + 'scenes = ["{Friend} is here."]\nreasons = ["x"]\n')
    monkeypatch.setattr(phrasebook, "PHRASEBOOK_DIR", tmp_path)
    phrasebook._life.cache_clear()
    phrasebook._shared.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"life.toml: \[life\].scenes: .* unknown slot \{Friend\}"):
            phrasebook.life("scenes", random.Random(0))
    finally:
        phrasebook._life.cache_clear()
        phrasebook._shared.cache_clear()


def test_a_counted_noun_after_one_is_singular_and_read_back() -> None:
    """"the last 1 lines" is written "the last 1 line"; the reader takes it for ``tail(lines=1)`` all the same."""
    from fr_core.agents.querying import _fill

    text = _fill("show me the last {lines} lines of {file_name}", {"lines": "1", "file_name": "notes.txt"})
    assert text == "show me the last 1 line of notes.txt"
    assert _fill("round {number} to {digits} decimal places", {"number": "2.5", "digits": "3"}).endswith("places")
    assert _fill("what is {a} plus {b}", {"a": "1", "b": "2"}) == "what is 1 plus 2"
    env = make_env("GorillaFileSystem")
    listed = env.execute(ToolCall("ls", {})).value["current_directory_content"]
    name = next(n for n in listed if "." in n)
    query = Query(f"Please {text.replace('notes.txt', name)}.", "hard", 1.0, 0, {"lines": 1}, "test")
    task = ReasonTask(query, tuple(env.tools()), nx.DiGraph(), seed=0)
    run = run_attempt(OfflineReasoning(mistake_rate=0.0), task, (), 1, env)
    calls = [(c.name, c.arguments) for step in run.steps for c in step.calls]
    assert ("tail", {"file_name": name, "lines": 1}) in calls, calls


def test_a_broken_shared_pool_stops_a_run_before_it_starts(tmp_path, monkeypatch, capsys) -> None:
    """A phrasebook line a user broke stops ``fr generate`` at once, naming the file, pool and line (not 200
    samples failed one by one); the message keeps its brackets on the terminal."""
    import shutil

    import typer

    from fr_core.agents import phrasebook
    from fr_core.cli.fail import fail
    from fr_core.errors import ConfigError
    from fr_core.pipeline.config import RunConfig
    from fr_core.pipeline.runner import check_envs

    for file in phrasebook.PHRASEBOOK_DIR.glob("*.toml"):
        shutil.copy(file, tmp_path / file.name)
    style_file = tmp_path / "style.toml"
    style_file.write_text(style_file.read_text().replace('"Could you {x}?"', '"Could you ((x)) {x}?"', 1))
    caches = (phrasebook._book, phrasebook._shared, phrasebook._life, phrasebook.style)
    monkeypatch.setattr(phrasebook, "PHRASEBOOK_DIR", tmp_path)
    for c in caches:
        c.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"style.toml: \[style\].openers: .*nests a choice") as caught:
            check_envs(RunConfig.from_dict({"generate": {"envs": ["MathAPI"]}}))
        with pytest.raises(typer.Exit):
            fail(caught.value)
        assert "[style].openers" in capsys.readouterr().err
    finally:
        for c in caches:
            c.cache_clear()


def _logins(cls: str) -> list:
    return [spec for spec in make_env(cls).tools() if phrasings(spec, context=True)]


@pytest.mark.parametrize("cls", [c for c in BFCL_CLASSES if _logins(c)])
def test_credentials_in_any_context_wording_are_read_back_as_their_login(cls) -> None:
    """Credentials said in a ``[context]`` wording next to a goal they unlock ("... — I'm dana_k on the feed,
    password "tulip-92"", or first: "I'm dana_k .... Post ...") make the reader call the login with those values."""
    env = make_env(cls)
    tools = tuple(env.tools())
    logins = _logins(cls)
    # a goal that says no value, so the only values in the request are the credentials
    goal = next(w for spec in tools if spec not in logins for p in phrasings(spec) if not p.slots
                for w in p.wordings if len(w.split()) >= 3)
    rng = random.Random(0)
    missed = []
    for login in logins:
        for n, phrasing in enumerate(phrasings(login, context=True)):
            for k in range(3):
                wording = realise(phrasing.text, rng if k else None)
                values = {slot: f"{slot[:4]}_{n}{k}x" for slot in phrasing.slots}
                said = re.sub(r"\{(\w+)\}", lambda m, v=values: json.dumps(v[m.group(1)]), wording)
                text = [f"{goal} — {said}", f"{goal}, and {said}", f"{said}. {goal[:1].upper()}{goal[1:]}"][k]
                query = Query(f"Please {text}.", "hard", 1.0, n, values, "test")
                task = ReasonTask(query, tools, nx.DiGraph(), seed=n)
                run = run_attempt(OfflineReasoning(mistake_rate=0.0), task, (), 1, env)
                calls = [(c.name, c.arguments) for step in run.steps for c in step.calls]
                if not any(name == login.name and all(args.get(s) == v for s, v in values.items())
                           for name, args in calls):
                    missed.append((text, calls))
    assert not missed, missed[:5]
