"""How a person asks for what a tool does: phrasings per tool shipped as data (``data/phrasebook/<Class>.toml``),
with a fallback built from the tool's name for tools no phrasebook knows; read by the query writer and, to
understand requests, by the offline reasoner."""

from __future__ import annotations

import itertools
import json
import random
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fr_core.agents.lexicon import goal_phrase, param_words
from fr_core.errors import ConfigError
from fr_core.types import ToolSpec

__all__ = ["PHRASEBOOK_DIR", "Phrasing", "phrasings", "scenes", "reasons", "life", "report", "result_noun", "style",
           "check_phrasebooks", "realise", "arg_noun", "alternatives", "REFER_BACK", "SAID_NOW", "FROM_BEFORE",
           "WORKED_OUT", "CONTRACTIONS", "expand_contractions", "value_word", "word_value"]

#: Where the phrasebooks live (one TOML file per environment class, named after it).
PHRASEBOOK_DIR = Path(__file__).resolve().parents[2] / "data" / "phrasebook"

#: How a request refers back to a value an earlier request said (the reasoner reads it back the same way).
REFER_BACK = ("(the same|that same|the very same|the exact same|that exact same) {words} (as before|as last time"
              "|as earlier|I gave you|I used before|I mentioned|I named earlier|as a moment ago|I asked about"
              "|we just used|as in my last request|I brought up|I told you about|we talked about|I pointed you to"
              "|we dealt with|as in my previous message|I had you use|we were working with|I spelled out)")
#: How a request points at a value it said itself a moment before, for another goal ("using token X, get me the
#: invoice ...; then cancel booking 7 with the same token I just gave you").
SAID_NOW = "(the same|that same) {words} (I just gave you|I just mentioned|as a second ago|I just said)"
#: How a request points at a value an earlier turn's result holds, without saying it.
FROM_BEFORE = ("the {words} (from before|from earlier|from last time|you found earlier|you got last time"
               "|from your last answer|you came back with|you reported|you turned up|you pulled up earlier"
               "|from a moment ago|you gave me|you told me about|you looked up|from your previous reply"
               "|you dug up|you fetched earlier|you worked out before|from your earlier reply|you just showed me)")
#: How a request points at a value the assistant works out in this turn, without saying it.
WORKED_OUT = "that {words}"

#: Contractions a formal writer spells out ("what's" → "what is"); the reader takes either form.
CONTRACTIONS = {
    "what's": "what is", "that's": "that is", "it's": "it is", "there's": "there is", "where's": "where is",
    "who's": "who is", "how's": "how is", "here's": "here is", "i'm": "I am", "i'd": "I would", "i've": "I have",
    "i'll": "I will", "you're": "you are", "you've": "you have", "we're": "we are", "don't": "do not",
    "doesn't": "does not", "didn't": "did not", "can't": "cannot", "won't": "will not", "isn't": "is not",
    "it'd": "it would", "couldn't": "could not", "we've": "we have", "haven't": "have not", "aren't": "are not",
}
_CONTRACTED = re.compile(r"\b(?:" + "|".join(re.escape(c) for c in CONTRACTIONS) + r")\b", re.I)

_SLOT = re.compile(r"\{(\w+)\}")
#: A choice between wordings in any phrasebook line: ``(show|list|pull up)``; an empty choice makes words optional.
_CHOICE = re.compile(r"\(([^()]*\|[^()]*)\)")


def alternatives(text: str) -> list[str | list[str]]:
    """``text`` as literal pieces and choices: ``"(show|list) {x}"`` → ``[["show", "list"], " {x}"]``."""
    out: list[str | list[str]] = []
    last = 0
    for m in _CHOICE.finditer(text):
        out += [text[last:m.start()], m.group(1).split("|")]
        last = m.end()
    return [p for p in [*out, text[last:]] if p != ""]


def realise(text: str, rng: random.Random | None) -> str:
    """One wording of a phrasebook line: a seeded pick in each ``(a|b|c)`` choice (the first with no ``rng``)."""
    def pick(m: re.Match[str]) -> str:
        options = m.group(1).split("|")
        return rng.choice(options) if rng else options[0]
    return re.sub(r"  +", " ", _CHOICE.sub(pick, text))


def expand_contractions(text: str) -> str:
    """``text`` with its contractions spelled out, as a formal writer types ("I'm" → "I am"), keeping a capital.

    >>> expand_contractions("What's left? I'm not sure it's done, it's been a while.")
    'What is left? I am not sure it is done, it has been a while.'
    """
    def full(m: re.Match[str]) -> str:
        out = CONTRACTIONS[m.group(0).lower()]
        if out.endswith(" is") and re.match(r"\s+(?:been|got|gone)\b", text[m.end():]):
            out = out[:-3] + " has"  # "it's been" is "it has been"
        return out[:1].upper() + out[1:] if m.group(0)[:1].isupper() else out
    return _CONTRACTED.sub(full, text)


@dataclass(frozen=True)
class Phrasing:
    """One way to ask for a tool: ``text`` with ``{arg}`` slots and ``(a|b)`` choices of wording; ``context``
    phrasings give a prerequisite's values (credentials) rather than a goal."""

    tool: str
    text: str
    context: bool = False

    @property
    def slots(self) -> tuple[str, ...]:
        return _slots(self.text)

    @property
    def wordings(self) -> tuple[str, ...]:
        """Every wording its choices allow: ``"(show|list) {x}"`` → ``("show {x}", "list {x}")``."""
        pieces = [p if isinstance(p, list) else [p] for p in alternatives(self.text)]
        return tuple(re.sub(r"  +", " ", "".join(combo)) for combo in itertools.product(*pieces))


@cache
def _book(owner: str) -> dict[str, dict[str, tuple[str, ...]]]:
    file = PHRASEBOOK_DIR / f"{owner}.toml"
    if not owner or not file.is_file():
        return {}
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"phrasebook {file} is not valid TOML: {exc}; fix the file") from None
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for section in ("goals", "context", "scenes", "reasons", "done", "results", "nouns"):
        table = data.get(section, {})
        if not isinstance(table, dict) or any(not isinstance(v, list) or not all(isinstance(x, str) for x in v)
                                              for v in table.values()):
            raise ConfigError(f"phrasebook {file}: [{section}] must map names to lists of strings")
        for name, lines in table.items():
            for line in lines:
                problem = _line_problem(line)
                if problem:
                    raise ConfigError(f"phrasebook {file}: [{section}] {name}: {line!r} {problem}; fix the line")
        out[section] = {k: tuple(v) for k, v in table.items()}
    return out


def _line_problem(line: str) -> str | None:
    """Why a phrasebook line cannot be used, or ``None``: choices must not nest nor hold a ``{slot}``."""
    depth = 0
    for char in line:
        depth += (char == "(") - (char == ")")
        if depth > 1:
            return "nests a choice in a choice"
    if any("{" in alt for piece in alternatives(line) if isinstance(piece, list) for alt in piece):
        return "has a {slot} inside a (a|b) choice: give each wording its own line"
    return None


def _from_spec(spec: ToolSpec) -> tuple[str, ...]:
    """Phrasings for a tool no phrasebook knows: its name as words (``borrow_book`` → "borrow book"); a one-word
    name would name the tool itself, so then the first words of its description's first sentence. Ship
    ``data/phrasebook/<Class>.toml`` for requests that read like a person's."""
    name = param_words(spec.name)
    if " " not in name:
        first = re.split(r"[.,;:(]", goal_phrase(spec))[0].strip()
        name = " ".join(first.split()[:6]) or name
    verb, _, rest = name.partition(" ")
    named = (f"{verb} the {rest}",) if rest and not re.match(r"(?:the|a|an|my|for|to|in|on)\b", rest) else ()
    return (name, f"{name} for me", *named, f"I (need|want|would like) to {name}",
            f"{name} (now|when you can|right away)")


@cache
def _value_words(owner: str) -> dict[str, dict[str, dict[str, str]]]:
    """The ``[values.<tool>]`` tables of a phrasebook: how a person says a coded value (``wc`` mode ``l`` →
    "lines"), by tool and argument."""
    file = PHRASEBOOK_DIR / f"{owner}.toml"
    if not owner or not file.is_file():
        return {}
    table = tomllib.loads(file.read_text(encoding="utf-8")).get("values", {})
    ok = isinstance(table, dict) and all(
        isinstance(args, dict) and all(isinstance(words, dict) and all(isinstance(w, str) for w in words.values())
                                       for words in args.values()) for args in table.values())
    if not ok:
        raise ConfigError(f"phrasebook {file}: [values.<tool>] must map arguments to {{value = \"words\"}} tables")
    return table


def value_word(spec: ToolSpec, arg: str, value: object) -> str | None:
    """How a person says ``value`` of ``spec``'s argument ``arg`` ("lines" for ``wc`` mode ``l``, "lock" for
    ``lockDoors`` unlock ``false``), if the phrasebook says."""
    key = value if isinstance(value, str) else json.dumps(value) if isinstance(value, bool) else None
    return None if key is None else _value_words(spec.owner).get(spec.name, {}).get(arg, {}).get(key)


def word_value(spec: ToolSpec, arg: str, said: object) -> object:
    """The value a person's word stands for (``wc`` mode "lines" → ``l``, "lock" → ``false`` for a boolean
    argument), else ``said`` itself."""
    if isinstance(said, str):
        for value, word in _value_words(spec.owner).get(spec.name, {}).get(arg, {}).items():
            if word.lower() == said.lower():
                boolean = spec.properties.get(arg, {}).get("type") == "boolean" and value in ("true", "false")
                return value == "true" if boolean else value
    return said


@cache
def _reports() -> dict[str, str]:
    """Every phrasebook's ``[done]`` line per tool name (tool names are unique across the shipped classes)."""
    out: dict[str, str] = {}
    for file in sorted(PHRASEBOOK_DIR.glob("*.toml")):
        for tool, lines in _book(file.stem).get("done", {}).items():
            out.setdefault(tool, lines[0])
    return out


def report(tool: str) -> str | None:
    """How the assistant reports a call of ``tool`` in its answer, if a phrasebook says: ``{arg}`` slots for the
    call's values, ``{result}`` for what it returned, ``{result.field}`` for one field of a record it returned."""
    return _reports().get(tool)


def result_noun(spec: ToolSpec) -> str:
    """What a person calls the one value ``spec`` returns when pointing back at it ("the product from before"):
    its phrasebook's ``[results]`` line, else the tool's name as words. Each noun names one tool of its class."""
    return next(iter(_book(spec.owner).get("results", {}).get(spec.name, ())), "") or param_words(spec.name)


def arg_noun(owner: str, arg: str) -> str:
    """What a person calls the thing argument ``arg`` of ``owner``'s tools names when pointing back at it ("the
    same destination as before"): its phrasebook's ``[nouns]`` line, else ``""`` (the argument's own words serve,
    unless they read as no noun: "travel to")."""
    return next(iter(_book(owner).get("nouns", {}).get(arg, ())), "")


def scenes(owners: tuple[str, ...]) -> tuple[str, ...]:
    """Who is asking and why ("I'm tidying my workspace before the review."): the ``[scenes]`` lines of the
    owners' phrasebooks, to open a request in a persona's voice."""
    return tuple(line for owner in owners for line in _book(owner).get("scenes", {}).get("lines", ()))


def reasons(spec: ToolSpec) -> tuple[str, ...]:
    """Why a person might want a tool's goal ("since it's just clutter"): the ``[reasons]`` lines of its owner's
    phrasebook for the tool, then those for ``any`` goal of that environment."""
    table = _book(spec.owner).get("reasons", {})
    return table.get(spec.name, ()) + table.get("any", ())


#: The lists a line of life fills its slots from (``{person}``, ``{Person}`` capitalised, ...).
_LIFE_SLOTS = {"person": "people", "event": "events", "time": "times", "place": "places", "feeling": "feelings",
               "chore": "chores", "weather": "weather", "hobby": "hobbies"}


@cache
def _life() -> dict[str, tuple[str, ...]]:
    return {name: _pool("life", name, _LIFE_SLOTS) for name in ("scenes", "reasons", *_LIFE_SLOTS.values())}


def life(kind: str, rng: random.Random) -> str:
    """A line of the life around a request (``data/phrasebook/life.toml``), composed at random: a scene before it
    (``kind="scenes"``: "My landlord is visiting on Thursday.") or a reason after a goal (``"reasons"``: "I have a
    dentist appointment tomorrow")."""
    pools = _life()

    def fill(m: re.Match[str]) -> str:
        said = realise(rng.choice(pools[_LIFE_SLOTS[m.group(1).lower()]]), rng)
        return said[:1].upper() + said[1:] if m.group(1)[0].isupper() else said
    return _SLOT.sub(fill, realise(rng.choice(pools[kind]), rng))


@cache
def style(name: str) -> tuple[str, ...]:
    """A pool of ``data/phrasebook/style.toml``: how any request is framed (``openers``, ``connectors``,
    ``follow_ups``, ``greetings``, ``closers``, ``again``, ``joiners``)."""
    return _pool("style", name)


def check_phrasebooks(tools: Iterable[ToolSpec]) -> None:
    """Read the phrasebooks of ``tools``' classes and every shared pool, so that a broken line stops a run before
    it starts (:class:`ConfigError` naming the file and line) instead of failing each sample."""
    for owner in {spec.owner for spec in tools}:
        _book(owner)
    for name in _shared("style"):
        style(name)
    _life()


@cache
def _shared(table: str) -> dict[str, object]:
    """The ``[table]`` table of ``data/phrasebook/<table>.toml`` (the pools every environment shares)."""
    file = PHRASEBOOK_DIR / f"{table}.toml"
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))[table]
    except (OSError, KeyError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read its [{table}] table ({exc}); restore the file from the repository") \
            from None


def _pool(table: str, name: str, slots: dict[str, str] | None = None) -> tuple[str, ...]:
    """Pool ``name`` of a shared table, each line checked: choices that do not nest, and (with ``slots``) no slot
    but those (in either case)."""
    file = PHRASEBOOK_DIR / f"{table}.toml"
    pool = _shared(table).get(name)
    if not isinstance(pool, list) or not pool or not all(isinstance(x, str) for x in pool):
        raise ConfigError(f"{file}: [{table}].{name} must be a non-empty list of strings")
    for line in pool:
        problem = _line_problem(line) or next((f"has an unknown slot {{{slot}}}" for slot in _slots(line)
                                               if slots is not None and slot.lower() not in slots), None)
        if problem:
            raise ConfigError(f"{file}: [{table}].{name}: {line!r} {problem}; fix the line")
    return tuple(pool)


def phrasings(spec: ToolSpec, *, context: bool = False) -> tuple[Phrasing, ...]:
    """The phrasings of a tool: its phrasebook's goals (or context lines), else ones built from its name."""
    known = _known(spec.owner, spec.name, context)
    if known or context:
        return known
    return tuple(Phrasing(spec.name, t) for t in _from_spec(spec))


@cache
def _known(owner: str, tool: str, context: bool) -> tuple[Phrasing, ...]:
    """A phrasebook's phrasings of one tool, built once (the reader tries every one on every clause)."""
    texts = _book(owner).get("context" if context else "goals", {}).get(tool, ())
    return tuple(Phrasing(tool, t, context) for t in texts)


@cache
def _slots(text: str) -> tuple[str, ...]:
    return tuple(_SLOT.findall(text))
