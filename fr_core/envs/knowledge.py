"""What an environment knows about its tools' arguments: the protocol hooks the sampler and validation read.

:class:`ClassKnowledge` answers them for one class. Its defaults read the live state by name and shape (values
stored under a parameter's name in nested maps and records, the keys of a collection the parameter names, a
name → secret mapping a login pairs); an adapter (``fr_core.envs.bfcl``) subclasses it where it knows more.
:class:`KnowledgeHooks` turns one environment's per-class answers into the hooks of the protocol.
"""

from __future__ import annotations

import decimal
import numbers

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fr_core.envs import phrases
from fr_core.envs.validate import argument_constraints
from fr_core.types import ToolCall, ToolSpec

__all__ = ["ArgumentHint", "ClassKnowledge", "FreshContext", "KnowledgeHooks", "Pair", "field_values",
           "described_examples", "is_text", "public_changes", "public_state", "state_amounts", "state_words",
           "to_jsonable"]

Pair = tuple[str, str, tuple[tuple[Any, Any], ...]]


@dataclass(frozen=True)
class ArgumentHint:
    """How one parameter takes its value, beyond what the state offers."""

    fresh: bool = False  # the call creates or types in a value (a new name, an amount, a message)
    new_only: bool = False  # the value names something new: never one the state or an earlier output holds
    prefer_fresh: bool = False  # the state's values are only a fallback for a fresh one
    text: bool = False  # free text the call types in (a message): never carried over from an output
    chain: frozenset[str] = frozenset()  # output fields whose numbers may feed it (a computed result → an operand)
    choice: bool = False  # one of a few fixed words the user picks (a mode, a unit): from an output only of its kind


@dataclass(frozen=True)
class FreshContext:
    """What a fresh-value rule may look at: the environment, the tool's owner instance, the arguments so far."""

    env: Any  # the Environment (its protocol lives in envs.base, which builds on this module)
    tool: str
    param: str
    schema: dict[str, Any]
    args: dict[str, Any]
    rng: random.Random
    instance: Any = None


_JSON_ATOMS = frozenset({str, int, float, bool, type(None)})


def to_jsonable(value: Any, _depth: int = 0) -> Any:
    """Turn a tool's return value into plain JSON data (tuples→lists, sets→sorted lists, other numbers such as
    ``Decimal`` → int or float, objects→str)."""
    kind = type(value)
    if kind in _JSON_ATOMS:  # the plain builtin types first: most values are, and they skip the checks below
        return value
    atoms = _JSON_ATOMS  # an item that is one is taken as it is, without a call
    if kind is dict and _depth <= 50:
        return {k if type(k) is str else str(k): v if type(v) in atoms else to_jsonable(v, _depth + 1)
                for k, v in value.items()}
    if kind is list and _depth <= 50:
        return [v if type(v) in atoms else to_jsonable(v, _depth + 1) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        return float(value)
    if _depth > 50:
        return repr(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, _depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_jsonable(v, _depth + 1) for v in value), key=repr)
    return repr(value)


def public_state(instance: object) -> dict[str, Any]:
    """The public attributes of an instance as JSON: the default state view of a class."""
    return {k: to_jsonable(v) for k, v in vars(instance).items() if not k.startswith("_")}


def public_changes(before: object, after: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """:func:`public_state` of two states of one instance, keeping only what differs: the attributes, and inside
    maps the keys, whose values differ (in the order of the full views). A diff of these parts is the diff of the
    full views, without converting what a call left alone (the other tweets when one is added)."""
    public = {k: v for k, v in vars(before).items() if not k.startswith("_")}
    return _changed_parts(public, {k: v for k, v in vars(after).items() if not k.startswith("_")}, -1)


def _changed_parts(old: dict[str, Any], new: dict[str, Any], depth: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The entries of two maps with string keys whose values differ, as JSON; maps of string keys on both sides are
    narrowed the same way, anything else is converted whole."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in (*old, *(k for k in new if k not in old)):
        if key in old and key in new:
            a, b = old[key], new[key]
            if a == b:
                continue
            if _string_map(a) and _string_map(b) and depth < 50:
                before[key], after[key] = _changed_parts(a, b, depth + 1)
            else:
                before[key], after[key] = to_jsonable(a, depth + 1), to_jsonable(b, depth + 1)
        elif key in old:
            before[key] = to_jsonable(old[key], depth + 1)
        else:
            after[key] = to_jsonable(new[key], depth + 1)
    return before, after


def _string_map(value: Any) -> bool:
    return type(value) is dict and all(type(k) is str for k in value)


def field_values(data: Any, key: str) -> list[Any]:
    """Every non-object value stored under ``key`` anywhere in ``data``, first occurrence first, no repeats.

    >>> field_values({"notes": [{"note_id": "n1"}, {"note_id": "n2"}], "note_id": "n1"}, "note_id")
    ['n1', 'n2']
    """
    found: list[Any] = []
    seen: set[str] = set()

    def add(value: Any) -> None:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, (dict, list)):
                continue
            mark = json.dumps(item, sort_keys=True, default=str)
            if mark not in seen:
                seen.add(mark)
                found.append(item)

    def walk(node: Any, depth: int) -> None:
        if depth > 50:
            return
        if isinstance(node, dict):
            for k, v in node.items():
                if k == key:
                    add(v)
                walk(v, depth + 1)
        elif isinstance(node, list):
            for v in node:
                walk(v, depth + 1)

    walk(data, 0)
    return found


_WORD = re.compile(r"[a-z0-9]+")
_ID_WORDS = frozenset({"id", "ids", "key", "code", "no", "number", "name", "ref"})


def _words(name: str) -> list[str]:
    return _WORD.findall(re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower())


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ses") or word.endswith("xes"):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _subject(param: str) -> str | None:
    """The thing an id-like parameter names: ``book_id`` → ``book``, ``loanId`` → ``loan``; else ``None``."""
    words = _words(param)
    if len(words) >= 2 and words[-1] in _ID_WORDS:
        return _singular(words[-2])
    return None


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and bool(value)


def _record_id(record: Any, subject: str) -> Any:
    """A record's own id: its ``id`` or ``<subject>_id`` field, else that of a record it holds (``{"meta": {"id":
    ...}}``); ``None`` when it has none."""
    if not _is_record(record):
        return None
    for key in ("id", f"{subject}_id"):
        if key in record and not isinstance(record[key], (dict, list, bool)):
            return record[key]
    inner = [_record_id(v, subject) for v in record.values() if isinstance(v, dict)]
    return next((i for i in inner if i is not None), None)


def _collection_ids(data: Any, subject: str) -> list[Any]:
    """Ids of the records of collections named for ``subject`` anywhere in ``data``: the keys of a map of records
    (``loans = {"L-3": {...}}``) or the ids of a list of records (``loans = [{"id": "L-3"}, ...]``, also one level
    down: ``documents = [{"meta": {"id": "doc-1"}}]``)."""
    found: list[Any] = []

    def named(key: str) -> bool:
        words = _words(key)
        return bool(words) and _singular(words[-1]) == subject

    def walk(node: Any, key: str, depth: int) -> None:
        if depth > 30:
            return
        if isinstance(node, dict):
            if key and named(key) and all(_is_record(v) for v in node.values()):
                found.extend(k for k in node if k not in found)
            for k, v in node.items():
                walk(v, str(k), depth + 1)
        elif isinstance(node, list):
            if key and named(key):
                found.extend(i for i in (_record_id(r, subject) for r in node) if i is not None and i not in found)
            for v in node:
                walk(v, key, depth + 1)

    walk(data, "", 0)
    return found


def state_words(data: Any, limit: int = 40) -> list[str]:
    """Distinct lower-case words (≥ 4 letters) of the short texts in ``data``: keywords a search will find."""
    found: dict[str, None] = {}

    def walk(node: Any, depth: int) -> None:
        if depth > 30 or len(found) > 4 * limit:
            return
        if isinstance(node, dict):
            for v in node.values():
                walk(v, depth + 1)
        elif isinstance(node, list):
            for v in node:
                walk(v, depth + 1)
        elif isinstance(node, str) and " " in node.strip():
            for raw in node.split():
                word = raw.strip(".,;:!?()[]{}\"'#@").lower()
                if len(word) >= 4 and word.isalpha():
                    found[word] = None

    walk(data, 0)
    return sorted(found)[:limit]


_MAX_RECORDS = 2000  # records looked at for pairs: a state view is small, a long answer log is cut here


def _record_pairs(data: Any, first: str, second: str) -> tuple[tuple[Any, Any], ...]:
    """``(a, b)`` for every smallest record holding exactly one value under ``first`` and one under ``second``
    (``{"card": {"card_number": "C-1"}, "pin": "4821"}`` → ``("C-1", "4821")``); none when any record holds
    several (a list of transfers is not a pairing)."""
    found: list[tuple[Any, Any]] = []
    budget = [_MAX_RECORDS]

    def walk(node: Any, depth: int) -> bool:
        """Whether ``node`` holds a pair (then its parents are not the smallest record)."""
        if depth > 30 or budget[0] <= 0:
            return False
        budget[0] -= 1
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        inner = [walk(c, depth + 1) for c in children]
        if any(inner) or not isinstance(node, dict):
            return any(inner)
        a, b = field_values(node, first), field_values(node, second)
        if len(a) == 1 and len(b) == 1:
            found.append((a[0], b[0]))
            return True
        return False

    walk(data, 0)
    return tuple(dict.fromkeys(found))


_EXAMPLE = re.compile(
    r"""(?:e\.g\.|for example|such as|like)\s*:?\s*((?:['"][^'"]{1,60}['"](?:\s*(?:,|or|and)\s*)?)+)""", re.I
)


def described_examples(schema: dict[str, Any]) -> list[str]:
    """Example values the tool's author quotes in a parameter's description (``"A city name, e.g. 'Spring'"``).

    >>> described_examples({"description": "A city name or part of one, e.g. 'Spring' or 'Paris'."})
    ['Spring', 'Paris']
    """
    text = str(schema.get("description") or "")
    return [v for m in _EXAMPLE.finditer(text) for v in re.findall(r"""['"]([^'"]{1,60})['"]""", m.group(1))]


def state_amounts(data: Any, limit: int = 12) -> list[float]:
    """Distinct positive non-integral numbers in ``data`` (balances, fines, prices), smallest first: the amounts an
    amount parameter the state names nothing for may take."""
    found: set[float] = set()

    def walk(node: Any, depth: int) -> None:
        if depth > 30 or len(found) > 4 * limit:
            return
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            for v in node:
                walk(v, depth + 1)
        elif isinstance(node, float) and node > 0 and not node.is_integer():
            found.add(node)

    walk(data, 0)
    return sorted(found)[:limit]


_SEARCH_PARAMS = frozenset({"keyword", "query", "search", "term", "pattern", "text_query"})


def is_text(param: str) -> bool:
    """A parameter whose name says it is free text written for the call (not a search word)."""
    return param in phrases.TEXT_KINDS and param not in _SEARCH_PARAMS


def _mappings(state: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Top-level maps from names to plain values (``users = {"alice": "wonderland"}``)."""
    return [(attr, value) for attr, value in state.items()
            if isinstance(value, dict) and value and all(isinstance(k, str) for k in value)
            and all(isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in value.values())]


def _names_entry(attr: str, param: str, schema: dict[str, Any]) -> bool:
    """A string parameter naming an entry of ``attr``: ``username``/``user``/``user_id`` for ``users``."""
    singular = _singular(attr)
    name = param.lower().replace("_", "")
    return schema.get("type", "string") == "string" and name in {singular, f"{singular}name", f"{singular}id"}


class ClassKnowledge:
    """One class's answers to the environment hooks. Every method reads the live ``instance`` cheaply (no copies).

    The defaults are general evidence for any class: a subclass overrides what an adapter knows better."""

    def state_view(self, instance: object) -> dict[str, Any]:
        return public_state(instance)

    @property
    def whole_views(self) -> bool:
        """Whether the class has a state view of its own, which :meth:`state_changes` gives whole (the default view
        is narrowed to the parts that differ): a whole view of a state can be remembered and shown again."""
        return type(self).state_view is not ClassKnowledge.state_view

    def state_changes(self, before: object, after: object) -> tuple[Any, Any]:
        """The state views of two states of one instance, or only the parts of them that differ."""
        if self.whole_views:
            return self.state_view(before), self.state_view(after)
        return public_changes(before, after)

    def candidates(self, instance: object, spec: ToolSpec, param: str) -> list[Any]:
        """Values the state holds for ``param``: stored under its name anywhere (nested maps, fields of records);
        else the ids of a collection it names (``loan_id`` → the keys of ``loans``); else the entries of a
        mapping it names (``username`` → the keys of ``users``) or the values paired with them (``password``);
        else, for a search parameter, words of the state's texts; for a string, the examples its description
        quotes; for a number, the state's amounts."""
        state = self.state_view(instance)
        found = field_values(state, param)
        if found:
            return found
        subject = _subject(param)
        if subject:
            found = _collection_ids(state, subject)
            if found:
                return found
        schema = spec.properties.get(param) or {}
        for attr, mapping in _mappings(state):
            if _names_entry(attr, param, schema):
                return list(mapping)
        paired = [b for _, second, pairs in self.pairs(instance, spec) if second == param for _, b in pairs]
        if paired:
            return paired
        if param in _SEARCH_PARAMS and schema.get("type", "string") == "string":
            found = state_words(state)
            if found:
                return found
        if schema.get("type", "string") == "string":
            found = described_examples(schema)
            if found:
                return found
        if schema.get("type") == "number":
            return state_amounts(state)
        return []

    def offer_key(self, spec: ToolSpec, param: str) -> tuple[str, ...]:
        """A key that the tools offered the same values for ``param`` in every state of the class share: whether
        the state offers one is asked once for all of them. Default: the tool and the parameter (:meth:`candidates`
        may read the tool's own description)."""
        return spec.name, param

    def argument_hint(self, spec: ToolSpec, param: str) -> ArgumentHint:
        """Free text (a message, a title) is typed in fresh; a parameter with an ``enum`` is a choice."""
        text = is_text(param)
        return ArgumentHint(fresh=text, text=text, choice=bool((spec.properties.get(param) or {}).get("enum")))

    def fresh_value(self, ctx: FreshContext) -> Any:
        """A new value for ``ctx.param`` (by default its free text), or ``None`` when there is no rule."""
        return self.free_text(ctx.tool, ctx.param, ctx.rng)

    def free_text(self, tool: str, param: str, rng: random.Random) -> str | None:
        """A realistic phrase for a free-text parameter, or ``None`` when its name does not say it is text."""
        return phrases.text_for(phrases.TEXT_KINDS.get(param), rng)

    def pairs(self, instance: object, spec: ToolSpec) -> list[Pair]:
        """Two required arguments the state keeps together: both fields of one record (a card number and its
        PIN), or an entry of a mapping the tool names and one other argument the state holds nothing for
        (``login(username, password)`` over ``users = {name: password}``)."""
        state = self.state_view(instance)
        out = []
        held = [p for p in spec.required if field_values(state, p)]
        for i, first in enumerate(held):
            for second in held[i + 1:]:
                together = _record_pairs(state, first, second)
                if together:
                    out.append((first, second, together))
        for attr, mapping in _mappings(state):
            keys = [p for p, schema in spec.properties.items() if _names_entry(attr, p, schema)]
            others = [p for p in spec.required if p not in keys and not field_values(state, p)]
            if len(keys) == 1 and len(others) == 1:
                out.append((keys[0], others[0], tuple(mapping.items())))
        return out

    def probe_pairs(self, instance: object, spec: ToolSpec) -> list[Pair]:
        """The pairs the graph's probes keep together (by default all of :meth:`pairs`)."""
        return self.pairs(instance, spec)

    def distinct(self, spec: ToolSpec) -> tuple[tuple[str, str], ...]:
        """Pairs of arguments that must not be equal (a copy onto itself)."""
        return ()

    def check_constraints(self, instance: object, spec: ToolSpec, call: ToolCall) -> str | None:
        """``None`` when the call's arguments keep the class's own rules, else which rule they break."""
        for first, second in self.distinct(spec):
            if first in call.arguments and call.arguments.get(first) == call.arguments.get(second):
                return f"{spec.name}: '{first}' and '{second}' must differ (both {call.arguments[first]!r:.60})"
        return None


GENERAL = ClassKnowledge()


class KnowledgeHooks:
    """The protocol's knowledge hooks for an environment that can name, per tool, its spec, its class's
    :class:`ClassKnowledge` and the instance (``None`` when the environment has no object state)."""

    def _knowing(self, tool: str) -> tuple[ToolSpec, ClassKnowledge, object] | None:
        raise NotImplementedError

    def candidates(self, tool: str, param: str) -> list[Any]:
        """Values the current state offers for ``param`` of ``tool`` (existing files, user ids ...)."""
        known = self._knowing(tool)
        if known is None or param not in known[0].properties:
            return []
        spec, knowledge, instance = known
        return knowledge.candidates(instance, spec, param)

    def offer_key(self, tool: str, param: str) -> tuple[str, ...]:
        """Tools of this environment with the same key for ``param`` are offered the same values in every state."""
        known = self._knowing(tool)
        if known is None or param not in known[0].properties:
            return tool, param
        return known[0].owner, *known[1].offer_key(known[0], param)

    def argument_hint(self, tool: str, param: str) -> ArgumentHint:
        known = self._knowing(tool)
        return ArgumentHint() if known is None else known[1].argument_hint(known[0], param)

    def fresh_value(self, tool: str, param: str, args: dict[str, Any], rng: random.Random) -> Any:
        """A value the call types in or creates for ``param`` (``None``: no rule), given the arguments so far."""
        known = self._knowing(tool)
        if known is None:
            return None
        spec, knowledge, instance = known
        schema = spec.properties.get(param) or {}
        return knowledge.fresh_value(FreshContext(self, tool, param, schema, args, rng, instance))

    def free_text(self, tool: str, param: str, rng: random.Random) -> str | None:
        known = self._knowing(tool)
        return None if known is None else known[1].free_text(tool, param, rng)

    def pairs(self, tool: str) -> list[Pair]:
        """Arguments of ``tool`` that only work together, as ``(first, second, valid pairs)``; the sampler keeps
        such arguments paired."""
        known = self._knowing(tool)
        return [] if known is None else known[1].pairs(known[2], known[0])

    def probe_pairs(self, tool: str) -> list[Pair]:
        known = self._knowing(tool)
        return [] if known is None else known[1].probe_pairs(known[2], known[0])

    def distinct(self, tool: str) -> Sequence[tuple[str, str]]:
        known = self._knowing(tool)
        return () if known is None else known[1].distinct(known[0])

    def check_constraints(self, call: ToolCall) -> str | None:
        """``None`` when the call's arguments agree with each other and with the environment's own rules."""
        known = self._knowing(call.name)
        if known is None:
            return None
        spec, knowledge, instance = known
        return argument_constraints(spec, call.arguments) or knowledge.check_constraints(instance, spec, call)
