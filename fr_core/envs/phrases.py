"""Small invented vocabularies for values a call types in (names, phrases, dates), drawn with a caller's seeded rng."""

from __future__ import annotations

import random
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from fr_core.errors import ConfigError

__all__ = ["phrase", "NAMES", "LAST", "FILE_STEMS", "FILE_EXTS", "DIR_NAMES", "TEXT_KINDS", "text_for",
           "new_name", "digits", "date", "money", "number"]

_CHOICE = re.compile(r"\(([^()]*\|[^()]*)\)")
_SLOT = re.compile(r"\{(\w+)\}")
TYPED = Path(__file__).resolve().parents[2] / "data" / "phrases" / "typed.toml"


@cache
def _typed() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """The pools of ``data/phrases/typed.toml``: templates per kind of text, and the lists their slots draw from."""
    try:
        table = tomllib.loads(TYPED.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"typed-in texts {TYPED}: {exc}") from exc
    pools: dict[str, dict[str, tuple[str, ...]]] = {}
    for part in ("templates", "fill"):
        section = table.get(part, {})
        if not isinstance(section, dict) or not all(
                isinstance(v, list) and v and all(isinstance(x, str) for x in v) for v in section.values()):
            raise ConfigError(f"typed-in texts {TYPED}: [{part}] must map names to non-empty lists of strings")
        pools[part] = {k: tuple(v) for k, v in section.items()}
    for part, lists in pools.items():
        for name, lines in lists.items():
            for line in lines:
                missing = set(_SLOT.findall(line)) - set(pools["fill"])
                if missing or '"' in line:
                    why = f"no [fill] list {sorted(missing)}" if missing else "a double quote"
                    raise ConfigError(f"typed-in texts {TYPED}: [{part}].{name} has {why} in {line!r}")
    return pools["templates"], pools["fill"]


def phrase(kind: str, rng: random.Random) -> str:
    """A phrase of the pool ``kind``: a template drawn evenly, each ``{slot}`` an item of its [fill] list, then a
    wording of each choice (so a template with many choices does not crowd out the others)."""
    templates, fill = _typed()
    text = _SLOT.sub(lambda m: rng.choice(fill[m.group(1)]), rng.choice(templates[kind]))
    return _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), text)


NAMES = ("Ava", "Benedikt", "Carmen", "Dev", "Elena", "Farid", "Greta", "Hugo", "Ilona", "Jonah", "Kemal", "Lucia",
         "Milo", "Nora", "Otto", "Priya", "Ruben", "Sofia", "Timo", "Yara", "Aiko", "Bram", "Chiara", "Dmitri",
         "Esme", "Femi", "Gustavo", "Hana", "Ivo", "Jasmin", "Kwame", "Leila", "Mateus", "Nikolai", "Olu", "Paloma",
         "Quentin", "Rosalind", "Sven", "Tamsin", "Ugo", "Vesna", "Wren", "Xiadani", "Yusuf", "Zofia")
LAST = ("Baker", "Costa", "Dahl", "Ekwueme", "Fischer", "Garcia", "Horvat", "Ito", "Jensen", "Kowalski", "Lindqvist",
        "Moreau", "Novak", "Okonkwo", "Petrov", "Quispe", "Rossi", "Sato", "Tanaka", "Umarov", "Varga", "Wojcik",
        "Yilmaz", "Zhou", "Abara", "Brennan", "Castillo", "Dubois", "Eriksen", "Fontaine", "Haddad", "Iyer")
FILE_STEMS = ("notes", "summary", "todo", "draft", "report", "budget", "minutes", "plan", "checklist", "ideas",
              "results", "backup", "readme", "agenda", "changelog", "inventory", "roster", "itinerary", "recipes",
              "contacts", "receipts", "timeline", "outline", "glossary", "playlist", "wishlist", "survey", "quotes",
              "expenses", "schedule", "handover", "lesson_plan", "guestlist", "manifest", "memo", "proposal")
FILE_EXTS = ("txt", "md", "csv", "log", "py", "json", "yaml", "tsv", "html", "xml", "ini", "sh", "rst", "tex", "toml",
             "sql", "js", "cfg")
DIR_NAMES = ("archive", "drafts", "reports", "backup", "old", "projects", "shared", "temp", "photos", "invoices",
             "exports", "research", "2024", "q3", "letters", "receipts", "scans", "travel", "recipes", "clients",
             "lectures", "contracts", "slides", "assets", "fieldwork", "bids", "minutes", "tenders", "podcasts",
             "sketches", "grants", "payroll", "snapshots", "press", "datasets", "templates")

# A parameter's name → which phrase pool its free text comes from.
TEXT_KINDS = {
    "message": "message", "content": "post", "comment_content": "reply", "title": "title",
    "description": "description", "resolution": "resolution", "messages": "log", "destination": "destination",
    "body": "note", "text": "note", "note": "note", "pattern": "word", "keyword": "word",
}


def text_for(kind: str | None, rng: random.Random) -> str | None:
    """A phrase of the pool ``kind`` (:func:`phrase`), or ``None`` for no pool."""
    return phrase(kind, rng) if kind in _typed()[0] else None


def new_name(rng: random.Random, pool: tuple[str, ...], taken: set[Any], suffix: str = "") -> str:
    """A name from ``pool`` (sometimes numbered) that is not in ``taken``."""
    for _ in range(20):
        name = rng.choice(pool)
        if rng.random() < 0.4:
            name = f"{name}_{rng.randint(2, 99)}"
        name += suffix
        if name not in taken:
            return name
    return f"{rng.choice(pool)}_{rng.randint(100, 999)}{suffix}"


def digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(n))


def date(rng: random.Random, years: tuple[int, int]) -> str:
    return f"{rng.randint(*years)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def money(rng: random.Random, lo: float, hi: float, exact: float = 0.3) -> float | int:
    """An amount of money in ``[lo, hi]`` as a person types it: most of the time a round figure (``500``, ``1250``,
    ``35``), else to the cent (share ``exact``)."""
    value = rng.uniform(lo, hi)
    if rng.random() < exact:
        return round(value, 2)
    step = 1 if value < 20 else 5 if value < 200 else 50 if value < 2000 else 100
    rounded = round(value / step) * step
    return int(rounded) if lo <= rounded <= hi else round(value, 2)


def number(rng: random.Random, lo: int, hi: int, places: int = 1, exact: float = 0.4) -> float | int:
    """A number in ``[lo, hi]`` as a person types it: a whole number, or (share ``exact``) one with ``places``
    decimals; never a whole number written with decimals ("60.0")."""
    if rng.random() < exact:
        value = round(rng.uniform(lo, hi), places)
        return int(value) if value.is_integer() else value
    return rng.randint(lo, hi)
