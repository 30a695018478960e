"""``A_Q``, the querying agent: a hard request that needs ``T_adv`` implicitly, or the easy step-by-step one."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from fr_core.agents.base import OFFLINE_LABEL, QueryTrace, ask_json, render
from fr_core.agents.lexicon import (BARE, COUNTED, SYNONYMS, can_go_bare, goal_phrase, param_words, render_value,
                                    say_date, say_numbers, words)
from fr_core.agents.phrasebook import (FROM_BEFORE, REFER_BACK, SAID_NOW, WORKED_OUT, Phrasing, arg_noun,
                                      expand_contractions, life, phrasings, realise, reasons, result_noun, scenes,
                                      style, value_word)
from fr_core.llm import LLMClient
from fr_core.types import AdvancedTool, Grounding, Query, RoleEvent, StepResult, ToolSpec

__all__ = ["OfflineQuerying", "LLMQuerying", "avoid_tool_names"]

#: Plain wording used at ``ε = 0``; every other wording is chosen with probability :func:`_varies` from the style
#: pools of ``data/phrasebook/style.toml``.
_PLAIN_OPENER = "Please {x}."
_PLAIN_CONNECTOR = ", then "
_PLAIN_MENTION = "{w} {v}"
_MENTIONS = ("{w} {v}", "{v} as the {w}", "the {w} {v}", "{w} {v}")
_OWN = ("my ", "our ", "the ")
#: How a pointer at a value from before follows the goal it serves ("Open a ticket named ..., going by the priority
#: you found earlier").
_POINTER_JOINERS = (", using ", " — use ", ", going by ", ", based on ", " — take ")
#: How often (times ``ε``) a request opens on its first goal with no frame ("Copy alerts into backups."), and how
#: often a next goal simply starts a new sentence ("... What's in notes.md?") instead of a connector (", and after
#: that"): connectors are few words said again and again, and most people just write the next sentence.
_OPEN_RATE = 0.8
_BREAK_RATE = 1.6


_QUOTED = re.compile(r'("(?:[^"\\]|\\.)*")')


def _outside_quotes(text: str, change: Callable[[str], str]) -> str:
    """``text`` with ``change`` applied to every part outside its quoted values (what the user types stays as is)."""
    return "".join(part if i % 2 else change(part) for i, part in enumerate(_QUOTED.split(text)))


def avoid_tool_names(text: str, tool_names: set[str], rng: random.Random) -> str:
    """Replace words that are basic tool names (``find``, ``sort``, ``add``...) by a synonym, outside quoted values."""
    def fix(segment: str) -> str:
        def swap(m: re.Match[str]) -> str:
            w = m.group(0)
            alts = SYNONYMS.get(w.lower())
            if w.lower() not in tool_names or not alts:
                return w
            said = rng.choice(alts)
            return said[:1].upper() + said[1:] if w[:1].isupper() else said  # "Sort ..." → "Order ..."
        swapped = re.sub(r"[A-Za-z_]+", swap, segment)
        return re.sub(r"\b(up|out|down|off) \1\b", r"\1", swapped)  # "add up to" → "sum up to", not "sum up up to"

    return _outside_quotes(text, fix)


_QUESTION = re.compile(r"(?:what|what's|which|how|who|where|when|why|is|am|are|was|were|can|could|will|would|do|does"
                       r"|did|has|have|had|should|shall|may)\b", re.I)


def _asks(clause: str) -> bool:
    """Whether a request reads as a question ("what's on my watchlist") rather than an instruction."""
    return bool(_QUESTION.match(clause))


def _ends_asking(clause: str) -> bool:
    """Whether a clause ends on a question: its last sentence asks ("I'm USR002 on the chat. Which texts have I
    sent?")."""
    return _asks(re.split(r"(?<=[.?!])\s+", clause)[-1])


#: A request written as a statement ("I need an empty notes.txt", "ticket 7 can be closed", "let's do a buy ..."): no
#: frame around it ("Please I need ...", "I'd like you to let's ...").
_STATES = re.compile(r"I\b|let's\b|time to\b|no need\b|\S+(?: \S+){0,3} (?:can|could|should|must) (?:now |)be\b")
_ASKING_FRAME = re.compile(r"\b(?:could|can|would) you\b[^.?]*$", re.I)


def _sentences(clauses: list[str], noise: float, rng: random.Random, *, fresh: bool = True) -> str:
    """The requests joined into sentences, each ending as what it is: a question (one that opens with "what ..."
    or is framed "could you ...") with "?", an instruction with "."; the opener frames the first sentence. After a
    follow-up lead ("Great, now"; ``fresh`` false) only openers that read on from it frame the request."""
    texts, asked = [clauses[0]], [_ends_asking(clauses[0])]
    for clause in clauses[1:]:
        pool = style("connectors") if _asks(clause) or _STATES.match(clause) else \
            style("connectors") + style("request_connectors")
        connector = ". " if rng.random() < noise * _BREAK_RATE else _pick(rng, noise, _PLAIN_CONNECTOR, pool)
        if connector[:1] in ".?":  # a new sentence: its lead ("Next, ", "I'd also like you to ") and the request
            lead = connector[1:].lstrip()
            text = lead + clause
            texts.append(text[:1].upper() + text[1:])
            asked.append(_ends_asking(clause) or bool(_ASKING_FRAME.search(lead)))
        else:
            texts[-1] += connector + clause
            asked[-1] = _ends_asking(clause) or bool(_ASKING_FRAME.search(texts[-1]))
    openers = style("openers") + style("fresh_openers") if fresh else style("openers")
    opener = (_pick(rng, noise, "{X}", style("question_openers")) if fresh else "{X}") if _asks(clauses[0]) \
        else "{X}" if _STATES.match(clauses[0]) or rng.random() < noise * _OPEN_RATE \
        else _pick(rng, noise, _PLAIN_OPENER, openers)
    framed = opener.rstrip(".?")
    first = texts[0]
    texts[0] = framed.replace("{X}", first[:1].upper() + first[1:]) if "{X}" in framed else framed.format(x=first)
    if not _asks(clauses[0]):  # "Could you {x}?" asks, whatever it frames
        asked[0] = asked[0] or opener.endswith("?") or bool(_ASKING_FRAME.search(texts[0]))
    return " ".join(text + ("" if re.search(r'[.?!]"$', text) else "?" if ask else ".")
                    for text, ask in zip(texts, asked))


def _varies(rng: random.Random, noise: float) -> bool:
    """Whether one choice of wording leaves the plain one: with probability ``2ε`` (capped at 1). Word choice is
    a person's habit, not indirectness: from ``ε = 0.5`` on, every pick is free, while what a request leaves
    implicit (register, scene, greeting) keeps growing with ``ε``."""
    return rng.random() < 2 * noise


#: Words an article stays with even in a terse request ("help me out a bit", "got a minute?").
_IDIOMS = (r"(?:bit|minute|moment|sec|second|chance|hand|favour|dear|star|lifesaver|look|few|couple|handful|while|lot"
           r"|read|go|to Z)\b")
#: An article a terse request drops ("check tyre pressure"), but not in an idiom nor after "as".
_NO_ARTICLE = re.compile(r"(?<!\bas )\b(?:the|a|an) (?!" + _IDIOMS + r")", re.I)
#: "a" before a word read with a vowel ("a empty file" → "an empty file"; not "a user", "a one-off", "a euro").
_A_BEFORE_VOWEL = re.compile(r"\b([Aa]) (?=(?:[aiAI]|[eE](?!u)|[oO](?!ne))\w)")


def _pick(rng: random.Random, noise: float, plain: str, pool: tuple[str, ...]) -> str:
    """``plain`` at ``ε = 0``; otherwise (see :func:`_varies`) a seeded choice from ``pool``, in a seeded wording."""
    return realise(rng.choice(pool), rng) if _varies(rng, noise) else plain


def _say(text: str, rng: random.Random, noise: float) -> str:
    """A phrasebook line in its first wording at ``ε = 0``; otherwise (see :func:`_varies`) in a seeded one."""
    return realise(text, rng if _varies(rng, noise) else None)


def _mention(adv: AdvancedTool, param: str, arg: str, rng: random.Random, noise: float,
             pool: tuple[str, ...] = _MENTIONS) -> str:
    template = _pick(rng, noise, _PLAIN_MENTION, pool)
    return template.format(w=param_words(arg), v=render_value(adv.user_values[param]))


def _mentions(adv: AdvancedTool, index: int, rng: random.Random, noise: float) -> list[str]:
    out = [_mention(adv, param, arg, rng, noise) for param, i, arg in adv.bindings if i == index]
    if len(out) > 1 and rng.random() < noise:
        rng.shuffle(out)
    return out


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _referent(arg: str, owner: str = "") -> str:
    """What a request calls the thing an argument names when it points back at it: its phrasebook's noun
    (``travel_to`` → "destination"), else its words (``file_name`` → "file")."""
    return arg_noun(owner, arg) or re.sub(r"(?<=\w) name$", "", param_words(arg))


def _written(value: Any, reserved: set[str] | None) -> str:
    """A value as the request writes it: a word or file name without quotes when the writer leaves them off
    (``reserved`` not ``None``: the words a bare value must not contain), a list of one string as that string
    ("lock the driver door", not '["driver"]'), a date or a list of numbers or words as people write them ("June 14,
    2024", "12, 7.5 and 40", "driver and passenger"), anything else as JSON."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        value = value[0]
    if said := say_date(value) or say_numbers(value):
        return said
    if reserved is not None and isinstance(value, list) and len(value) > 1 and all(
            can_go_bare(v, reserved) and not v.isdigit() for v in value):
        return _and(value)  # "the driver and passenger doors"
    return value if reserved is not None and can_go_bare(value, reserved) else render_value(value)


def _quoted(text: str) -> str:
    """A value written bare, in quotes again (where a reader could not tell it from the words around it)."""
    return render_value(text) if BARE.fullmatch(text) and text not in ("true", "false", "null") else text


def _pointed(g: Grounding, specs: dict[str, ToolSpec]) -> str:
    """What a request calls a derived value it points at: the argument's thing, or the result of the tool that gave
    it ("the product")."""
    if g.via:
        return result_noun(specs.get(g.via) or ToolSpec(g.via, ""))
    return _referent(g.arg, specs[g.tool].owner if g.tool in specs else "")


def _code(value: Any) -> bool:
    """A code no one types twice in one message: a token, an id or a card number (digits in one word, no file or
    folder name); a name or a file is said again."""
    return isinstance(value, str) and any(c.isdigit() for c in value) and not re.search(r"[\s._]", value)


def _said(adv: AdvancedTool, index: int, rng: random.Random, noise: float, reserved: set[str] | None, *,
          refer: bool = True, owner: str = "", told: dict[str, Any] | None = None) -> dict[str, str]:
    """The values the request gives for inner call ``index`` (a tool of ``owner``), by argument, as written: the
    value itself, or (with ``refer``) a reference back when an earlier request said it, or, most of the time, a
    :func:`_code` this request ``told`` for another goal already ("the same token I just gave you")."""
    back = {g.arg for g in adv.grounding if g.call == index and g.kind == "said" and g.earlier is not None}
    out = {}
    for param, i, arg in adv.bindings:
        if i != index:
            continue
        value = adv.user_values[param]
        if refer and arg in back:
            out[arg] = _say(REFER_BACK.format(words=_referent(arg, owner)), rng, noise)
        elif refer and told and told.get(arg) == value and _code(value) and rng.random() < 0.7:
            out[arg] = _say(SAID_NOW.format(words=_referent(arg, owner)), rng, noise)
        else:
            out[arg] = _written(value, reserved)
    return out


def _unsaid(adv: AdvancedTool, index: int, specs: dict[str, ToolSpec], rng: random.Random, noise: float
            ) -> dict[str, str]:
    """How a phrasing may point at the values call ``index`` works out (never the value itself)."""
    return {g.arg: _say((FROM_BEFORE if g.earlier is not None else WORKED_OUT).format(words=_pointed(g, specs)),
                        rng, noise)
            for g in adv.grounding if g.call == index and g.kind == "derived"}


def _from_before(adv: AdvancedTool, index: int, used: set[str], specs: dict[str, ToolSpec], rng: random.Random,
                 noise: float) -> str:
    """A pointer at what call ``index`` takes from an earlier round's result, or from a tool it names, and its
    phrasing did not point at ("the ticket id from before", "that standard deviation"), or ""."""
    rows = [g for g in adv.grounding if g.call == index and g.kind == "derived"
            and (g.earlier is not None or g.via) and g.arg not in used]
    if not rows:
        return ""
    pointer = WORKED_OUT if all(g.earlier is None for g in rows) else FROM_BEFORE
    return _say(pointer.format(words=_and(list(dict.fromkeys(_pointed(g, specs) for g in rows)))), rng, noise)


def _fill(text: str, values: dict[str, str]) -> str:
    """A phrasing with its slots filled: "a" before a value read with a vowel becomes "an" ("an exports folder"),
    and a counted noun after 1 is singular ("the last 1 line", "to 1 decimal place")."""
    text = re.sub(r"\b([Aa]) (?=\{(\w+)\})", lambda m: m.group(1) + ("n " if re.match(
        r"[aeiouAEIOU]", values.get(m.group(2), "")) else " "), text)
    text = re.sub(r"(\{(\w+)\}\s+(?:decimal\s+|more\s+)?)(\w+)s\b",
                  lambda m: m.group(1) + m.group(3) if values.get(m.group(2)) in ("1", "1.0")
                  and m.group(3).lower() + "s" in COUNTED else m.group(0), text)
    filled = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], text)
    return re.sub(r"\b(the|a|an) (?=the |that )", "", filled)  # "delete the the same ... folder"


#: Words a pointer may stand before ("the total from before plus 4"); before any other word or another slot it
#: reads as a stutter ("the amount from before shares", "that order type order").
_AFTER_POINTER = frozenset("and or to into in as at by for of on with from plus minus times over under ignoring "
                           "leaving without is are was up down off out together rounded taking using going "
                           "paying charged".split())
_NEXT_TO_SLOT = re.compile(r"\{(\w+)\}(?=\s*\(?(\{|'s\b|[A-Za-z]+))")  # "(" : a choice's first wording
_AFTER_SLOT = re.compile(r"(?<=\})\s*\{(\w+)\}")


def _no_pointer_room(text: str) -> set[str]:
    """The slots of a phrasing a pointer cannot fill without a stutter: before a word that is not a connector, or
    next to another slot ("{first_name} {last_name}"), or before a possessive ("the account from before's")."""
    return {m.group(1) for m in _NEXT_TO_SLOT.finditer(text)
            if m.group(2) == "{" or m.group(2).lower() not in _AFTER_POINTER} | set(_AFTER_SLOT.findall(text))


def _pointers(values: dict[str, str]) -> set[str]:
    """The arguments whose written value points at it instead of saying it ("the same file as before")."""
    return {a for a, v in values.items() if v.startswith(("the ", "that "))}


def _choose(options: tuple[Phrasing, ...], values: dict[str, str], rng: random.Random, noise: float,
            owner: str = "") -> Phrasing | None:
    """The phrasing that says the most of ``values`` and nothing else; ties broken by ``ε`` (:func:`_varies`)."""
    usable = [p for p in options if set(p.slots) <= set(values)]
    if not usable:
        return None
    pointers = _pointers(values)
    usable = [p for p in usable if not _no_pointer_room(p.text) & pointers] or usable
    best = max(len(p.slots) for p in usable)
    top = [p for p in usable if len(p.slots) == best]
    top = [p for p in top if all(_points_well(p.text, a, owner) for a in pointers)] or top
    return rng.choice(top) if _varies(rng, noise) else top[0]


#: Words after a slot that a pointer in it would leave dangling ("to the same precision as before digits").
_UNITS = ("digits", "places", "decimal", "degrees", "gallons", "litres", "liters", "miles", "mph", "percent", "%",
          "units", "shares", "order", "m ")


_SLOT_IN = re.compile(r"\{\w+\}")


def _points_well(text: str, arg: str, owner: str = "") -> bool:
    """Whether a pointer back ("the same ticket id as before") reads well in ``text``'s slot for ``arg``: not just
    after a word it repeats ("ticket the same ticket id ...", "the folder called that same folder") nor right before
    a unit ("... as before digits")."""
    at = text.find("{" + arg + "}")
    if at < 0:
        return True
    choice = re.search(r"\(([^()]*)\)\s*$", text[:at])  # "(price|limit) {price}": each wording before it
    head = text[:choice.start()] if choice else text[:at]
    befores = [head + b for b in choice.group(1).split("|")] if choice else [head]
    after = re.sub(r"^[\s(]+", "", text[at + len(arg) + 2:]).lower()
    named = {w for w in _referent(arg, owner).split() if len(w) >= 3}
    # the thing named in the last three words: "the folder called that same folder", "price the price from before"
    return not any(named & set(re.findall(r"[a-z]+", _SLOT_IN.sub(" ", b).lower())[-3:]) for b in befores) \
        and not after.startswith(_UNITS)


def _phrase(spec: ToolSpec, values: dict[str, str], rng: random.Random, noise: float,
            unsaid: dict[str, str] | None = None, plain: dict[str, str] | None = None) -> tuple[str, set[str]]:
    """A goal as a person asks for it (its phrasebook), with the values it needs; values no phrasing has a slot
    for follow as "name value". A slot for a value the assistant works out may point at it (``unsaid``) when no
    phrasing does without. A value said before is said again (``plain``) where a pointer back would stutter.
    Returns the text and the arguments it names."""
    chosen = _choose(phrasings(spec), values, rng, noise, spec.owner)
    if chosen is None and unsaid:
        chosen = _choose(phrasings(spec), {**unsaid, **values}, rng, noise, spec.owner)
    # strip: a wording may end in an empty choice ("25.0 (degrees|)")
    wording = _say(chosen.text, rng, noise).strip() if chosen else ""
    if plain:  # "the folder that same folder": the folder is said again
        no_room = _no_pointer_room(wording)
        stutters = {a for a in _pointers(values) if a in no_room or not _points_well(wording, a, spec.owner)}
        values = {a: plain[a] if a in stutters and a in plain else v for a, v in values.items()}
    slots = set(chosen.slots) if chosen else set()
    worded = {a: _fields(spec, a, v) or _in_words(spec, a, v) if a in slots else v for a, v in values.items()}
    first = chosen.slots[0] if chosen is not None and chosen.text.startswith("{") else ""
    values, coded = worded, {a for a in slots if worded.get(a) != values.get(a)}  # "lock": read back in any case
    if first in values and first not in coded and values[first][:1].islower():  # a capital must not change a value
        values = {**values, first: _quoted(values[first])}
    text = _fill(wording, {**(unsaid or {}), **values}) if chosen else param_words(spec.name)
    rest = [v if v.startswith(("the ", "that ")) else f"{param_words(a)} {_quoted(v)}" for a, v in values.items()
            if a not in slots]  # a pointer back ("the same access token as before") names the argument itself
    if rest:
        text += _pick(rng, noise, " with ", style("joiners")) + _and(rest)
    return text, slots


def _fields(spec: ToolSpec, arg: str, written: str) -> str | None:
    """An object argument with named fields as a person says it ("status "Open" and priority 2", not a JSON
    object), or ``None`` when it is none."""
    schema = spec.properties.get(arg, {})
    try:
        value = json.loads(written)
    except ValueError:
        return None
    props = schema.get("properties") or {}
    if schema.get("type") != "object" or not isinstance(value, dict) or not value or not set(value) <= set(props) \
            or not all(type(v) in (str, int, float) for v in value.values()):
        return None
    return _and([f"{param_words(k)} {render_value(v)}" for k, v in value.items()])


def _in_words(spec: ToolSpec, arg: str, written: str) -> str:
    """A coded value in a phrasing's slot as a person says it ("how many lines", not "how many l"), if the
    phrasebook says how; a value after the phrasing keeps its code, named by its argument ("mode l")."""
    try:
        value = json.loads(written)
    except ValueError:
        value = written
    return value_word(spec, arg, value) or written


def _context(spec: ToolSpec, values: dict[str, str], rng: random.Random, noise: float) -> str:
    """A prerequisite's values as a person gives them ("I'm dana_k on the feed, password ...")."""
    chosen = _choose(phrasings(spec, context=True), values, rng, noise)
    if chosen is not None and set(chosen.slots) == set(values):
        return _fill(_say(chosen.text, rng, noise), values)
    return _pick(rng, noise, "my ", _OWN) + _and([f"{param_words(a)} {_quoted(v)}" for a, v in values.items()])


def _small_talk(specs: dict[str, ToolSpec]) -> Callable[[str], bool]:
    """Whether a sentence shares no word with the tools' names and descriptions: small talk (a greeting, a reason)
    that a reader must not take for a step."""
    tool_words = _tool_words(tuple((spec.name, goal_phrase(spec)) for spec in specs.values()))
    return lambda sentence: not set(words(sentence, canonical=True)) & tool_words


@lru_cache(maxsize=256)
def _tool_words(tools: tuple[tuple[str, str], ...]) -> frozenset[str]:
    return frozenset(w for name, goal in tools for w in words(goal + " " + name, canonical=True))


def _reason(spec: ToolSpec, quiet: Callable[[str], bool], rng: random.Random) -> str:
    """Why the person wants a goal, said after it: its environment's reason (", since it's just clutter") or, half
    the time, the life around the request (", as I have a dentist appointment tomorrow"); "" when none fits."""
    pool = reasons(spec)
    why = realise(rng.choice(pool), rng) if pool and rng.random() < 0.5 else _life_line("reasons", quiet, rng)
    return realise(rng.choice(style("reason_joiners")), rng) + why if why and quiet(why) else ""


def _scene(owners: tuple[str, ...], quiet: Callable[[str], bool], rng: random.Random) -> str:
    """Who is asking and why, before the request: a scene of its environments' phrasebooks ("Earnings season is
    making me nervous.") or, half the time, the life around it ("I've got a job interview on Thursday.")."""
    pool = [line for line in (realise(x, rng) for x in scenes(owners)) if quiet(line)]
    return rng.choice(pool) if pool and rng.random() < 0.5 else _life_line("scenes", quiet, rng)


def _life_line(kind: str, quiet: Callable[[str], bool], rng: random.Random) -> str:
    """A line of life (:func:`~fr_core.agents.phrasebook.life`) that shares no word with the tools, or ""."""
    return next((line for line in (life(kind, rng) for _ in range(3)) if quiet(line)), "")


class OfflineQuerying:
    """Writes requests as a person would, from the environment's phrasebook and the turn's grounding table, with
    seeded noise ``ε``; the easy request spells the steps out from the tool descriptions, for comparison.

    The hard request states only the goals (the inner calls whose role is "goal"), each with the values the user
    gives (said or visible in the grounding table; a value an earlier request said is referred back to); "context"
    calls (logins, lookups a goal needs) are not described, their values ride along with the goal they serve as a
    person gives them; "implicit" calls and derived values are left out (a value an earlier round produced is
    pointed at: "the ticket id from before"). ``ε`` picks among phrasings, openers, connectors, greetings, closers
    and a register (terse: no articles; formal: no contractions).
    """

    kind = "offline"
    label = OFFLINE_LABEL

    def write(self, adv: AdvancedTool, tools: tuple[ToolSpec, ...], *, hard: bool = True, noise: float = 0.5,
              seed: int = 0, history: tuple[dict[str, Any], ...] = ()) -> StepResult[Query, QueryTrace]:
        rng = random.Random(seed)
        specs = {t.name: t for t in tools}
        if hard:
            clauses = self._hard_clauses(adv, specs, noise, rng)
            text = self._hard_text(clauses, specs, noise, rng, bool(history))
        else:
            clauses = self._easy_clauses(adv, specs, rng)
            text = "Step by step: " + " ".join(f"{n}) {c}." for n, c in enumerate(clauses, 1))
        query = Query(text, "hard" if hard else "easy", noise, seed, dict(adv.user_values), self.label)
        return StepResult(query, QueryTrace(clauses=clauses,
                                            events=[RoleEvent(role="querying", label=self.label, hard=hard)]))

    @staticmethod
    def _hard_text(clauses: list[str], specs: dict[str, ToolSpec], noise: float, rng: random.Random,
                   follow_up: bool) -> str:
        lead = _pick(rng, noise, "Now", style("follow_ups")) if follow_up and rng.random() < 0.35 else ""
        text = _sentences(clauses, noise, rng, fresh=not lead)
        if lead:
            if lead.endswith(":") and ":" in re.split(r"[.?!] ", text)[0]:  # not "Moving on: my plan: ..."
                lead = lead[:-1] + ","
            # "Thanks. Now copy ...", but "Now I ...", "Now Sell 4 NVDA": a capital that is a value (or "I") stays
            kept = re.match(r"I\b", text) or (clauses[0][:1].isupper() and text.startswith(clauses[0]))
            text = lead + " " + (text if kept else text[:1].lower() + text[1:])
        quiet = _small_talk(specs)
        register = rng.random()
        if register < noise * 0.5:  # terse register: no articles, as in a hurried chat message
            text = _outside_quotes(text, lambda p: _NO_ARTICLE.sub("", p))
            text = re.sub(r"(?:^|(?<=[.?!] ))[a-z]", lambda m: m.group(0).upper(), text)  # "A further thing:"
        owners = tuple(dict.fromkeys(spec.owner for spec in specs.values()))
        # a persona sets the scene, on a later turn too, but never between a follow-up's "Thanks. Now" and its request
        if not lead and rng.random() < noise * (0.6 if follow_up else 1.2):
            scene = _scene(owners, quiet, rng)
            text = (scene + " " + text[:1].upper() + text[1:]).strip()
        if not lead and rng.random() < noise * 0.25 and ":" not in text:  # not "Hi! Great, now ..."
            greeting = rng.choice([g for g in map(lambda g: realise(g, rng), style("greetings")) if quiet(g)] or [""])
            text = (greeting + " " + text[:1].upper() + text[1:]).strip()
        if rng.random() < noise * 0.25:
            closer = rng.choice([c for c in map(lambda c: realise(c, rng), style("closers")) if quiet(c)] or [""])
            text = (text + " " + closer).strip()
        if noise * 0.5 <= register < noise * 1.2:  # formal register: no contractions ("what is", "I am")
            text = _outside_quotes(text, expand_contractions)
        return _outside_quotes(avoid_tool_names(text, set(specs), rng), lambda p: _A_BEFORE_VOWEL.sub(r"\1n ", p))

    @staticmethod
    def _hard_clauses(adv: AdvancedTool, specs: dict[str, ToolSpec], noise: float, rng: random.Random) -> list[str]:
        roles = adv.roles or tuple("goal" for _ in adv.inner_calls)
        serves = adv.serves or tuple(-1 for _ in adv.inner_calls)
        # a prerequisite the phrasebook has a context line for (credentials) rides with the goal it serves;
        # any other is asked for in its own words, like a goal
        roles = tuple("goal" if r == "context" and not phrasings(specs.get(c.name) or ToolSpec(c.name, ""),
                                                                   context=True) else r
                      for c, r in zip(adv.inner_calls, roles))
        riders: dict[int, list[int]] = {}  # goal index → the context calls whose values ride with it
        for i, role in enumerate(roles):
            if role == "context":
                j = serves[i] if i < len(serves) else -1
                riders.setdefault(j if 0 <= j < len(roles) and roles[j] == "goal" else i, []).append(i)
        # with probability ε the writer types words and file names bare (report.txt, NVDA), all through the request
        reserved = {name.lower() for name in specs} if _varies(rng, noise) else None
        quiet = _small_talk(specs)
        clauses: list[str] = []
        told: dict[str, Any] = {}  # what this request said so far, by argument
        last: tuple[str, Any] | None = None
        # with probability ε the request says why one of its goals is wanted
        goal, why_at = 0, rng.randrange(max(1, roles.count("goal"))) if rng.random() < noise else -1
        for i, (call, role) in enumerate(zip(adv.inner_calls, roles)):
            spec = specs.get(call.name) or ToolSpec(call.name, "")
            if role == "goal":
                same = last == (call.name, call.arguments)
                last = (call.name, call.arguments)
                if same and not riders.get(i):
                    said = _said(adv, i, rng, noise, reserved, owner=spec.owner)
                    clauses.append(_phrase(spec, said, rng, noise, _unsaid(adv, i, specs, rng, noise),
                                           _said(adv, i, rng, noise, reserved, refer=False))[0]
                                   + _pick(rng, noise, " again", style("again")))
                    continue
                text, used = _phrase(spec, _said(adv, i, rng, noise, reserved, owner=spec.owner, told=told), rng,
                                     noise, _unsaid(adv, i, specs, rng, noise),
                                     _said(adv, i, rng, noise, reserved, refer=False))
                told.update((arg, adv.user_values[param]) for param, j, arg in adv.bindings if j == i)
                earlier = _from_before(adv, i, used, specs, rng, noise)
                if earlier:
                    text += _pick(rng, noise, ", using ", _POINTER_JOINERS) + earlier
                if goal == why_at:  # one why per request: a person with three reasons sounds made up
                    text += _reason(spec, quiet, rng)
                goal += 1
            elif role == "context" and riders.get(i) == [i]:
                text = ""  # a context call with no goal after it to serve: only its values are said
            else:
                continue
            context = [_context(specs.get(adv.inner_calls[k].name) or ToolSpec(adv.inner_calls[k].name, ""),
                                _said(adv, k, rng, noise, reserved, refer=False), rng, noise)
                       for k in riders.get(i, ())]
            if not text:
                clauses.append(_and(context))
            elif context and re.match(r"I\b", context[0]) and rng.random() < noise * 0.5:  # who I am, then the goal
                clauses.append(_and(context) + ". " + text[:1].upper() + text[1:])
            elif context:
                clauses.append(text + _pick(rng, noise, " — ", (" — ", ", and ")) + _and(context))
            else:
                clauses.append(text)
        return clauses or ["check that everything is in order"]

    @staticmethod
    def _easy_clauses(adv: AdvancedTool, specs: dict[str, ToolSpec], rng: random.Random) -> list[str]:
        clauses = []
        for i, call in enumerate(adv.inner_calls):
            goal = goal_phrase(specs[call.name]) if call.name in specs else call.name
            mentions = _mentions(adv, i, rng, 0.0)
            bound = {arg for _, j, arg in adv.bindings if j == i}
            fed = [param_words(a) for a in call.arguments if a not in bound]
            if fed:
                mentions.append("the " + " and ".join(fed) + " from an earlier step")
            clauses.append(goal[:1].upper() + goal[1:] + (" with " + " and ".join(mentions) if mentions else ""))
        return clauses


#: How the LLM querying prompt marks each grounding kind (and whether an earlier turn said or made it).
_MARKS = {("said", False): "SAY", ("said", True): "EARLIER", ("visible", False): "SAY", ("visible", True): "SAY",
          ("derived", False): "WORKED OUT", ("derived", True): "FROM BEFORE", ("default", False): "DEFAULT",
          ("default", True): "DEFAULT", ("ungrounded", False): "SAY", ("ungrounded", True): "SAY"}


class _QueryReply(BaseModel):
    query: str


class LLMQuerying:
    """Asks a model for the request; the JSON reply is validated, the raw text kept in the trace."""

    kind = "llm"

    def __init__(self, client: LLMClient, model: str = "") -> None:
        self.client = client
        self.label = f"llm:{model or getattr(client, 'model', 'model')}"

    def write(self, adv: AdvancedTool, tools: tuple[ToolSpec, ...], *, hard: bool = True, noise: float = 0.5,
              seed: int = 0, history: tuple[dict[str, Any], ...] = ()) -> StepResult[Query, QueryTrace]:
        prompt = render("querying.j2", tool=adv.spec.to_openai()["function"], values=adv.user_values, hard=hard,
                        noise=noise, history=[h.get("query", "") for h in history],
                        grounding=[{"tool": g.tool, "arg": g.arg, "value": g.value, "why": g.why, "mark": _MARKS[
                            (g.kind, g.earlier is not None)]} for g in adv.grounding])
        reply, text, events = ask_json(self.client, [{"role": "user", "content": prompt}], _QueryReply,
                                       role="querying", seed=seed, temperature=min(1.0, 0.3 + noise))
        query = Query(reply.query.strip(), "hard" if hard else "easy", noise, seed, dict(adv.user_values), self.label)
        return StepResult(query, QueryTrace(prompt=prompt, raw=text, events=events))
