"""Words shared by the offline agents: tokenizing, light stemming, synonyms, goal phrases from tool descriptions."""

from __future__ import annotations

import json
import math
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from fr_core.types import ToolSpec

__all__ = ["words", "stem", "SYNONYMS", "goal_phrase", "param_words", "render_value", "find_values", "say_date",
           "say_numbers", "BARE", "PLAIN_WORDS", "can_go_bare", "COUNTED"]

_STOP = frozenset("a an the of to from in on at for by with and or is are be it its this that any all given "
                  "specified specific current then also please using use".split())

#: Everyday synonyms used by the query writer for noise and by the reasoner to read them back (both "know English"),
#: shipped as data (``data/phrasebook/synonyms.toml``).
SYNONYMS: dict[str, tuple[str, ...]] = {
    word: tuple(alts) for word, alts in tomllib.loads(
        (Path(__file__).resolve().parents[2] / "data" / "phrasebook" / "synonyms.toml").read_text(encoding="utf-8")
    )["synonyms"].items()}

_REVERSE: dict[str, str] = {}
for _word, _alts in SYNONYMS.items():
    for _alt in _alts:
        _first = _alt.split()[0]
        if _first not in SYNONYMS:  # "add" is a word of its own, not only a synonym of "register"
            _REVERSE.setdefault(_first, _word)


def stem(word: str) -> str:
    """A crude stem: lower case, plural and verb endings cut, so "files"/"file" and "listing"/"list" meet."""
    w = word.lower()
    for suffix in ("ing", "es", "ed", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def words(text: str, *, canonical: bool = False) -> list[str]:
    """Content words of ``text`` (camelCase and snake_case split); ``canonical`` maps synonyms back first."""
    return list(_words(text, canonical))


@lru_cache(maxsize=8192)
def _words(text: str, canonical: bool) -> tuple[str, ...]:  # the same tool texts are read for every attempt
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    out = []
    for w in re.findall(r"[A-Za-z]+", text):
        w = w.lower()
        if w in _STOP or len(w) < 2:
            continue
        out.append(stem(_REVERSE.get(w, w) if canonical else w))
    return tuple(out)


def goal_phrase(spec: ToolSpec) -> str:
    """The first sentence of a tool's description as an imperative goal, without digits or a final period."""
    return _goal_phrase(spec.description, spec.name)


@lru_cache(maxsize=4096)
def _goal_phrase(description: str, name: str) -> str:
    first = re.split(r"(?<=[.!?])\s", description.strip() or name.replace("_", " "))[0]
    first = re.sub(r"\d+", "", first).rstrip(" .")
    first = re.sub(r"^(This tool|This function|Function to)\s+", "", first, flags=re.I)
    first = re.sub(r"^([A-Z][a-z]+)s\b", r"\1", first)  # "Activates the brake" → "Activate the brake"
    return first[:1].lower() + first[1:]


@lru_cache(maxsize=4096)
def param_words(name: str) -> str:
    """A parameter name as words: ``file_name`` → "file name", ``fuelAmount`` → "fuel amount",
    ``currentACTemperature`` → "current ac temperature"."""
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name))
    return spaced.replace("_", " ").lower().strip()


def render_value(value: Any) -> str:
    """A user value as it appears in a request: strings in double quotes, numbers bare, lists and objects as JSON."""
    return json.dumps(value, ensure_ascii=False)


#: Nouns a request counts after a number ("3 lines", "2 decimal places"): singular after 1 ("1 line"); a reader
#: takes either form.
COUNTED = frozenset("""lines places digits degrees gallons litres liters miles kilometres kilometers metres meters
shares days weeks hours minutes seconds words characters units points items times dollars euros pounds""".split())


#: A string a person writes without quotes: one word or file name, starting with a letter ("NVDA", "report.txt",
#: "research_39"); what :func:`find_values` would not split and a reader can tell apart from the words around it.
BARE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z]+)?")
#: Words a bare value never is: the little words of requests, which a reader would not take for a value.
PLAIN_WORDS = frozenset("""a an the it its this that these those me my our your his her their them us i you we he she
they to of in on at by for from with into onto as and or but so then next also please what which who how where when
is am are was be been being do does did have has had can could would will should may might must there here up out
all any some each every same before earlier last one""".split())


def can_go_bare(value: Any, reserved: set[str]) -> bool:
    """Whether a string value may be written without quotes: digits a reader reads back as the same number (no
    leading zero: "3717171"), or a :data:`BARE` word that is none of the little words of requests, and none of
    whose words is in ``reserved`` (tool names, which the prose must not contain)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value[0] != "0" and len(value) <= 15
    return (isinstance(value, str) and BARE.fullmatch(value) is not None and value.lower() not in PLAIN_WORDS
            and value.lower() not in ("true", "false", "null")
            and not set(re.split(r"[._]", value.lower())) & reserved)


_START = re.compile(r'["\[{\-0-9]|true\b|false\b')
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_ISO_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)")
_SAID_DATE = re.compile(rf"\b({'|'.join(_MONTHS)}) ([1-9]|[12]\d|3[01]), (\d{{4}})\b")


_NUMBER = r"-?\d+(?:\.\d+)?(?!\w|\.\d)"
_SAID_NUMBERS = re.compile(rf"(?<![\w.\-])({_NUMBER}(?:, {_NUMBER})+),? and ({_NUMBER})")


def say_numbers(value: Any) -> str | None:
    """Three or more numbers as a person lists them ("12, 7.5 and 40"), else ``None``; :func:`find_values` reads
    them back as one list."""
    if not isinstance(value, list) or len(value) < 3 or \
            not all(type(v) in (int, float) and math.isfinite(v) for v in value):
        return None
    return ", ".join(json.dumps(v) for v in value[:-1]) + " and " + json.dumps(value[-1])


def say_date(value: Any) -> str | None:
    """An ISO date as a person writes it ("2024-06-14" → "June 14, 2024"), else ``None``; :func:`find_values`
    reads it back."""
    m = _ISO_DATE.fullmatch(value) if isinstance(value, str) else None
    if m is None or not 1 <= int(m.group(2)) <= 12 or not 1 <= int(m.group(3)) <= 31:
        return None
    return f"{_MONTHS[int(m.group(2)) - 1]} {int(m.group(3))}, {m.group(1)}"


def find_values(text: str) -> list[tuple[int, int, Any]]:
    """Every value written in ``text`` as ``(start, end, value)``, left to right: JSON literals (quoted strings,
    numbers, lists ...), dates as :func:`say_date` writes them (read as ISO strings) and lists of numbers as
    :func:`say_numbers` writes them."""
    decoder = json.JSONDecoder()
    said: list[tuple[int, int, Any]] = [
        (m.start(), m.end(), f"{m.group(3)}-{_MONTHS.index(m.group(1)) + 1:02d}-{int(m.group(2)):02d}")
        for m in _SAID_DATE.finditer(text)]
    said += [(m.start(), m.end(), [json.loads(x) for x in m.group(1).split(", ")] + [json.loads(m.group(2))])
             for m in _SAID_NUMBERS.finditer(text)]
    out: list[tuple[int, int, Any]] = []
    i = 0
    while True:
        m = _START.search(text, i)
        if m is None:
            return sorted(out + said)
        start = m.start()
        written = next((d for d in said if d[0] <= start < d[1]), None)
        if written is not None:
            i = written[1]
            continue
        if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            i = start + 1
            continue
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            i = start + 1
            continue
        out.append((start, end, value))
        i = end
