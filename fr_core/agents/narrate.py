"""Offline wording of a turn from its request and results alone: each step's reasoning, the answer to the user, and
the check that kept reasoning is clean (no critic, no retry, no probe, no blanks)."""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Sequence
from typing import Any

from fr_core.agents.lexicon import COUNTED, param_words
from fr_core.agents.phrasebook import report
from fr_core.envs.base import call_failed
from fr_core.types import CallResult, Step, ToolCall, ToolSpec

__all__ = ["summarize", "narrate_step", "describe_outcome", "dirty_reasons"]

_DIRTY = re.compile(r"\b(?:critic|critique|feedback|retry|retried|try again|tried again|previous attempt|"
                    r"last attempt|probe[sd]?|graph edge|ground truth)\b", re.I)
_BLANK = re.compile(r"\S {3,}\S|_{3,}|§\d*§")


def dirty_reasons(text: str) -> list[str]:
    """Why a kept reasoning or answer text is not clean training data (empty list when it is).

    >>> dirty_reasons("The critic said `cd` comes first. Try again.")
    ['mentions critic', 'mentions Try again']
    >>> dirty_reasons("with     as the password")
    ['has a blanked value']
    """
    found = [f"mentions {m.group(0)}" for m in _DIRTY.finditer(text)]
    if _BLANK.search(text):
        found.append("has a blanked value")
    return list(dict.fromkeys(found))


def _short(value: Any, limit: int = 60) -> str:
    """``value`` as a person writes it: at most ``limit`` characters, a float to six significant digits but every
    digit before the point (40.699999999999996 → 40.7, 167.75836909078484 → 167.758, 84885.73475 → 84885.73)."""
    if isinstance(value, float) and math.isfinite(value):
        whole = len(str(int(abs(value))))
        value = round(value, max(2, 6 - whole)) if abs(value) >= 1 else float(f"{value:.6g}")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def summarize(value: Any, limit: int = 160) -> str:
    """A tool result in a few words a person reads: messages as they are, records as ``key value`` pairs, lists
    counted and named. Empty for ``None``.

    >>> summarize({"count": 14, "type": "lines"})
    'count 14, type lines'
    >>> summarize({"matches": ["a/b.txt"]})
    'matches a/b.txt'
    >>> summarize([1, 2, 3, 4, 5, 6, 7])
    '1, 2, 3, 4, 5 and 2 more'
    >>> summarize({"result": 167.75836909078484, "unit": "km"})
    'result 167.758, unit km'
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and not value.strip():
        return "nothing"
    if isinstance(value, (int, float, str)):
        return _short(value, limit).rstrip(".")
    if isinstance(value, list):
        if not value:
            return "nothing"
        if all(not isinstance(v, (dict, list)) for v in value):
            shown = [_short(v, 40) for v in value[:5]]
            if len(value) > 5:
                return f"{', '.join(shown)} and {len(value) - 5} more"
            return _and(shown) if len(value) > 1 else shown[0]
        if len(value) == 1:  # "one entry: id 692, ...", not "1 entries, the first ..."
            return f"one entry: {summarize(value[0], limit)}"
        return f"{len(value)} entries, the first {summarize(value[0], limit // 2)}"
    if isinstance(value, dict):
        if not value:  # "your bookings: nothing", not "your bookings:"
            return "nothing"
        for key in ("result", "message", "status", "error"):
            if isinstance(value.get(key), str) and len(value) <= 2 and value[key].strip():
                return _short(value[key], limit).rstrip(".")
        parts = []
        for key, v in value.items():
            if isinstance(v, dict):
                text = f"{param_words(key)} ({summarize(v, 60)})"
            else:
                text = f"{param_words(key)} {summarize(v, 60)}"
            parts.append(text)
            if sum(len(p) for p in parts) > limit:
                break
        return _short(", ".join(parts), limit)
    return _short(value, limit)


def _values(value: Any) -> list[str]:
    """The scalar values inside a result, as text (for "where did this argument come from")."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in _values(v)] + [str(k) for k in value]
    if isinstance(value, list):
        return [s for v in value for s in _values(v)]
    return [] if value is None or isinstance(value, bool) else [str(value)]


def _source(name: str, value: Any, query: str, earlier: Sequence[tuple[ToolCall, CallResult]],
            spec: ToolSpec | None, context: str) -> str:
    """Where the value of argument ``name`` can be known from, in words; empty when it needs no comment."""
    words = param_words(name)
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if text and text.lower() in query.lower():
        return ""  # the user said it: nothing to explain
    for call, result in reversed(earlier):
        if call_failed(result):
            continue
        found = [v for v in _values(result.value) if v == text or (isinstance(value, (int, float)) and
                                                                   v == str(value))]
        if found:
            return f"the {words} {_short(value, 40)} comes from what `{call.name}` returned"
    if text and text.lower() in context.lower():
        return f"the {words} {_short(value, 40)} is the one from earlier in our conversation"
    schema = spec.properties.get(name, {}) if spec else {}
    if "default" in schema and schema["default"] == value:
        return f"the default {words} ({_short(value, 30)}) fits"
    return ""


_OPENERS = ("I start with", "First,", "To begin,", "I'll begin with", "The first thing is")
_NEXT = ("Next,", "Then", "Now", "After that,", "With that,")
_READS = ("`{tool}` returned {what}.", "`{tool}` gave {what}.", "From `{tool}`: {what}.",
          "The answer of `{tool}`: {what}.")


def _step_of(call: ToolCall) -> str:
    return f"`{call.to_python()}`" if len(call.to_python()) <= 90 else f"`{call.name}`"


def narrate_step(query: str, earlier: Sequence[Step], calls: Sequence[ToolCall], specs: dict[str, ToolSpec],
                 rng: random.Random, *, context: str = "") -> str:
    """The reasoning of one step, from the request, the results seen so far and the step's calls: what the last
    results said, which call comes now and where its non-obvious values come from. ``context`` is the earlier
    conversation (for values said before)."""
    parts: list[str] = []
    seen = [(c, r) for s in earlier for c, r in zip(s.calls, s.results)]
    if earlier:
        last = earlier[-1]
        for call, result in zip(last.calls, last.results):
            if call_failed(result):
                parts.append(f"`{call.name}` did not work ({_short(result.error or result.to_text(), 80)}).")
            else:
                what = summarize(result.value, 100)
                if what:
                    parts.append(rng.choice(_READS).format(tool=call.name, what=what))
    lead = rng.choice(_NEXT if earlier else _OPENERS)
    if len(calls) > 1:
        parts.append(f"{lead} {_and([_step_of(c) for c in calls])}; they do not depend on each other.")
    else:
        parts.append(f"{lead} {_step_of(calls[0])}.")
    notes = [n for c in calls for name, value in c.arguments.items()
             if (n := _source(name, value, query, seen, specs.get(c.name), context))]
    if notes:
        note = _and(notes)
        parts.append(note[:1].upper() + note[1:] + ".")
    return " ".join(parts)


_LEADS = ("All set. ", "Done. ", "Here's what happened: ", "That's taken care of. ", "Finished. ", "Here you go: ",
          "OK. ", "Sure. ")


def _unwrap(value: Any) -> Any:
    """A result's one field, when it has one (``{"result": 638.6}`` → 638.6)."""
    return next(iter(value.values())) if isinstance(value, dict) and len(value) == 1 else value


def _sentence(call: ToolCall, result: CallResult, rng: random.Random) -> str:
    what = summarize(_unwrap(result.value), 140)
    template = report(call.name)
    if template is not None:  # the phrasebook's report: "created the folder drafts", "booked it (booking 4711)"
        if not what:
            template = re.sub(r"\s*\(\{result\}\)|:?\s*\{result\}", "", template)
        values = {k: _short(v, 40) for k, v in call.arguments.items()}
        fields = result.value if isinstance(result.value, dict) else {}

        def fill(m: re.Match[str]) -> str:
            name, _, field = m.group(1).partition(".")
            if name == "result":
                return summarize(fields[field], 60) if field else what
            return values[name]
        try:  # "1 lines" → "1 line"
            return re.sub(r"\b1 (\w+)s\b", lambda m: m.group(0)[:-1] if m.group(1) + "s" in COUNTED else m.group(0),
                          re.sub(r"\{(\w+(?:\.\w+)?)\}", fill, template))
        except KeyError:
            pass  # an optional argument the call left out, a field the result lacks: say it the general way
    args = _and([f"{param_words(k)} {_short(v, 40)}" for k, v in call.arguments.items()]) if call.arguments else ""
    if not what or what in ("yes",):
        return rng.choice([f"that went through for {args}", f"done for {args}"] if args else ["that went through"])
    return rng.choice([f"for {args}: {what}", f"{what}"] if args else [what])


def describe_outcome(steps: Sequence[Step], rng: random.Random) -> str:
    """The answer to the user from what the steps returned: a sentence for each distinct call (the last
    eight of a long turn), in varied words; never a step count."""
    done = [(c, r) for s in steps for c, r in zip(s.calls, s.results) if not call_failed(r)]
    if not done:
        return "I could not get that done: each of the tools I tried answered with an error."
    seen: set[str] = set()
    unique = []
    for call, result in done:
        key = call.to_python()
        if key not in seen:
            seen.add(key)
            unique.append((call, result))
    sentences: dict[str, int] = {}  # two calls reported alike ("sent USR005 your note") are said once, counted
    for c, r in unique[-8:]:
        said = _sentence(c, r, rng)
        sentences[said] = sentences.get(said, 0) + 1
    body = "; ".join(s + ("" if n == 1 else " (twice)" if n == 2 else f" ({n} times)") for s, n in sentences.items())
    if re.match(r"[a-z]+[\s,:;]", body):  # a word, not a name: "Deleted x", but "import_karaoke.py says"
        body = body[:1].upper() + body[1:]
    text = (rng.choice(_LEADS) if rng.random() < 0.35 else "") + body
    return text if text.endswith((".", "!", "?")) else text + "."
