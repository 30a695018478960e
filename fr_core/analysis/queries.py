"""What hard queries hide and say: word overlap with the tools' descriptions, grounding kinds per environment, arbitrary
picks left hidden, and later turns that refer back to an earlier one."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from fr_core.agents.lexicon import say_date, say_numbers
from fr_core.types import AdvancedTool, ToolSpec, Trajectory, TurnRecord

__all__ = ["description_overlap", "grounding_counts", "hidden_picks", "refers_back", "refer_back_share"]

_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')
_WORD = re.compile(r"[a-z]+")


def _trigrams(text: str) -> list[tuple[str, ...]]:
    """Word trigrams of the text between quoted values (a trigram never spans a value)."""
    out = []
    for part in _QUOTED.split(text.lower()):
        words = _WORD.findall(part)
        out += [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
    return out


def description_overlap(queries: Iterable[str], tools: Sequence[ToolSpec]) -> float:
    """The share of the queries' word trigrams (outside quoted values) that also occur in the tools' descriptions:
    how much of a request is pasted from the documentation.

    >>> description_overlap(["please display the contents of a file"],
    ...                     [ToolSpec("cat", "Display the contents of a file.")])
    0.8
    """
    known = {g for t in tools for g in _trigrams(t.description)}
    grams = [g for q in queries for g in _trigrams(q)]
    return sum(g in known for g in grams) / len(grams) if grams else 0.0


def _accepted_records(trajectories: Iterable[Trajectory]) -> Iterable[tuple[Trajectory, TurnRecord, AdvancedTool]]:
    for t in trajectories:
        if t.status == "accepted":
            yield from ((t, r, r.adv_tool) for r in t.turns if r.adv_tool is not None)


def grounding_counts(trajectories: Iterable[Trajectory]) -> Counter[tuple[str, str]]:
    """How the arguments of accepted turns can be known, per environment: ``(env, kind) → count``."""
    return Counter(("+".join(t.classes), g.kind) for t, _, adv in _accepted_records(trajectories)
                   for g in adv.grounding)


def _written(value: Any, text: str) -> bool:
    """Whether a request says ``value``: as itself, as JSON, a list of one string as that string, a date or a list
    of numbers as people write them ("June 14, 2024", "12, 7.5 and 40"), or a word in lower case ("sell")."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        value = value[0]
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if shown in text or any(said is not None and said in text for said in (say_date(value), say_numbers(value))):
        return True
    # a coded word said as a person says it ("sell" for "Sell")
    return isinstance(value, str) and value.isalpha() and re.search(rf"\b{value}\b", text, re.I) is not None


def hidden_picks(trajectories: Iterable[Trajectory]) -> int:
    """Accepted turns holding an arbitrary pick (a value among several a tool listed) that their request does not
    say: what a model trained on it would have to guess."""
    return sum(any(g.kind in ("visible", "ungrounded") and not _written(g.value, r.hard_query.text)
                   for g in adv.grounding)
               for _, r, adv in _accepted_records(trajectories) if r.hard_query is not None)


def refers_back(record: TurnRecord) -> bool:
    """Whether a turn's request refers to something an earlier turn said or made without repeating it."""
    if record.adv_tool is None or record.hard_query is None:
        return False
    return any(g.earlier is not None and g.kind in ("said", "derived") and not _written(g.value, record.hard_query.text)
               for g in record.adv_tool.grounding)


def refer_back_share(trajectories: Iterable[Trajectory]) -> tuple[float, int]:
    """The share of later accepted turns (round 2 on) that refer back to an earlier turn, and how many there are."""
    later = [r for _, r, _ in _accepted_records(trajectories) if r.round > 0]
    return (sum(refers_back(r) for r in later) / len(later) if later else 0.0), len(later)
