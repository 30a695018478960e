"""Argument sampling with provenance: earlier outputs first, then the live state, fresh values, the schema.

Every argument comes back with an :class:`~fr_core.types.ArgSource` saying where it came from. Values taken
from an earlier call's output carry ``from_call=(round, step)`` and the output path: this data flow is what
makes the queries written later hard (the user never says the id; the model must carry it over).
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fr_core.envs.base import Environment, call_failed
from fr_core.envs.knowledge import ArgumentHint
from fr_core.envs.phrases import DIR_NAMES, NAMES
from fr_core.graph.flow import GENERIC, tokens
from fr_core.graph.model import graph_index
from fr_core.types import ArgSource, ToolCall, ToolSpec

__all__ = ["OutputLeaf", "flow_links", "output_leaves", "sample_arguments", "checked_arguments", "schema_value",
           "corrupt_arguments", "call_failed"]

_MAX_LEAVES = 200
_ASK = random.Random(0)  # only asks whether a parameter has free text at all: its draws are never used
_NONE_WORDS = (None, "None", "none", "")


@dataclass(frozen=True)
class OutputLeaf:
    """One scalar an earlier call returned: where (round, step, tool, path) and what (key, value)."""

    round: int
    step: int
    tool: str
    path: str
    key: str
    value: Any


def _is_collection(d: dict[str, Any]) -> bool:
    """A dict keyed by ids (bookings, cards, orders): its keys are data, not field names."""
    return bool(d) and all(isinstance(v, dict) for v in d.values())


def output_leaves(value: Any, tool: str, round_index: int, step: int) -> tuple[OutputLeaf, ...]:
    """The scalar leaves of one output (and the keys of id-keyed collections), at most 200."""
    out: list[OutputLeaf] = []

    def walk(node: Any, path: str, key: str) -> None:
        if len(out) >= _MAX_LEAVES:
            return
        if isinstance(node, str):  # the most common leaf first
            if 0 < len(node) <= 120 and "\n" not in node:
                out.append(OutputLeaf(round_index, step, tool, path, key, node))
        elif isinstance(node, dict):
            collection = _is_collection(node)
            for k, v in node.items():
                if collection:
                    out.append(OutputLeaf(round_index, step, tool, f"{path}{{key}}", key, k))
                walk(v, f"{path}.{k}" if path else str(k), key if collection else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node[:50]):
                walk(v, f"{path}[{i}]", key)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            out.append(OutputLeaf(round_index, step, tool, path, key, node))

    walk(value, "", "")
    return tuple(out)


def _head(name: str) -> str:
    parts = [p for p in name.replace("-", "_").split("_") if p]
    return parts[-1].lower() if parts else ""


@functools.lru_cache(maxsize=65536)
def _similar(key: str, param: str) -> bool:
    """Same words, or the same head word and a shared specific word (``user_id`` ≁ ``receiver_id``: only 'id')."""
    a, b = tokens(key), tokens(param)
    return a == b or (_head(key) == _head(param) and bool((a & b) - GENERIC))


def _names_id(name: str) -> bool:
    """A name whose last word is ``id`` (``order_id``, ``accountId``, ``id``)."""
    words = re.findall(r"[a-z0-9]+", re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower())
    return bool(words) and words[-1] in ("id", "ids")


_FITTING_TYPES: dict[str | None, tuple[type, ...] | None] = {
    "string": (str,), "integer": (int,), "number": (int, float), None: None,
}


def _fitting_types(schema: dict[str, Any]) -> tuple[type, ...] | None:
    """The Python types of the values that fit a parameter's schema (of its items, for an array): ``None`` when
    the schema names no type (any value fits), ``()`` when no output leaf can fit (a boolean, an object)."""
    want = schema.get("type")
    if want == "array":
        want = (schema.get("items") or {}).get("type")
    return _FITTING_TYPES.get(want, ())


def _matching_leaves(history: Sequence[OutputLeaf], param: str, schema: dict[str, Any], cands: list[Any],
                     hint: ArgumentHint, linked: frozenset[tuple[str, str]] = frozenset(),
                     tool: str = "") -> list[tuple[OutputLeaf, Any]]:
    """Leaves that fit ``param``: a value the state accepts (best with a similar name), or, when the state
    offers nothing, a similar name and the right type (or a number from a field the hint's ``chain`` names:
    a computed result feeds an operand). For a fresh parameter only a leaf of the very same name counts (its
    values obey rules an output may break); free text never comes from an output.
    A leaf from a ``(tool, field)`` in ``linked`` (the graph's data-flow edges into this parameter) ranks
    first, still only with a value the state accepts (``get_nearest_airport_by_city`` → ``travel_from``).
    A ``choice`` (a mode, a unit: one of a few fixed words) comes only from a field whose specific words the
    parameter or the tool names (``headlightStatus`` → ``setHeadlights.mode``; the "auto" of ``climateMode`` is the
    same word by coincidence, not data flow)."""
    exact = hint.fresh
    about = tokens(param) | tokens(tool) if hint.choice else None
    types = _fitting_types(schema)
    if not history or hint.text or types == ():
        return []
    is_array = schema.get("type") == "array"
    try:  # at C speed when the state offers no lists or records (every parameter but an array's)
        plain = set(cands)
    except TypeError:
        plain = {c for c in cands if not isinstance(c, (list, dict))}
    # the items of the lists the state offers, which an array parameter takes one at a time
    inner = {x for c in cands if isinstance(c, list) for x in c if not isinstance(x, (list, dict))} if is_array \
        else set()
    if cands:  # only a leaf holding a value the state accepts can fit: the others are passed over at once
        accepted = plain | inner
        history = [leaf for leaf in history if leaf.value in accepted]
    best: list[tuple[OutputLeaf, Any]] = []
    best_score = 0
    for leaf in history:
        v = leaf.value
        if (types is not None and not isinstance(v, types)) or (about is not None
                                                                and tokens(leaf.key) - GENERIC - about):
            continue
        if cands:
            if v in plain:
                value = v
            elif is_array and v in inner and [v] in cands:
                value = [v]
            else:
                continue
            score = 3 if (leaf.tool, leaf.key) in linked else 2 if _similar(leaf.key, param) else 1
            if score == 1 and not (isinstance(v, str) and len(v) >= 4):
                continue  # a number that happens to be a valid id (a priority 2 as ticket 2) is no data flow
        else:
            numeric_chain = leaf.key in hint.chain and isinstance(v, (int, float))
            if numeric_chain:
                if not 0 < v < 1e6 or is_array:
                    continue
            elif (leaf.tool, leaf.key) not in linked and not (
                    tokens(leaf.key) == tokens(param) if exact else _similar(leaf.key, param)):
                continue
            elif _names_id(leaf.key) and not _names_id(param):
                continue  # an id is no amount, price or name, whatever a data-flow edge says
            value = [v] if is_array else v
            score = 3 if (leaf.tool, leaf.key) in linked else 2
        if score > best_score:
            best, best_score = [], score
        if score == best_score:
            best.append((leaf, value))
    return best


def flow_links(graph: Any, tool: str) -> dict[str, frozenset[tuple[str, str]]]:
    """Per parameter of ``tool``, the ``(tool, output field)`` pairs that the graph's ``param_flow`` edges say
    feed it (``credit_card_list.card_number`` → ``("get_all_credit_cards", "card_number")``)."""
    return dict(graph_index(graph).links.get(tool, {}))


def schema_value(env: Environment, schema: dict[str, Any], param: str, rng: random.Random,
                 tool: str) -> tuple[Any, str]:
    """A value from the schema alone (enum, default, free text, a typed draw) and how it was made."""
    if schema.get("enum"):
        return rng.choice(list(schema["enum"])), "enum"
    if schema.get("default") not in _NONE_WORDS and "default" in schema:
        return schema["default"], "default"
    typ = schema.get("type", "string")
    if typ == "string":
        text = env.free_text(tool, param, rng)
        return (text, "free text") if text else (f"{param}_{rng.randint(1, 99)}", "type string")
    if typ == "integer":
        return rng.randint(1, 10), "type integer"
    if typ == "number":
        return round(rng.uniform(1, 100), 2), "type number"
    if typ == "boolean":
        return rng.random() < 0.5, "type boolean"
    if typ == "array":
        item, how = schema_value(env, schema.get("items") or {"type": "string"}, param, rng, tool)
        return [item], how
    if typ == "object":
        return {}, "type object"
    return None, "no type"


_REDRAWS = 4  # fresh draws of a call's arguments that break one of the environment's constraints


def sample_arguments(
    env: Environment,
    spec: ToolSpec,
    history: Sequence[OutputLeaf],
    rng: random.Random,
    *,
    flow_bias: float = 0.85,
    links: Mapping[str, frozenset[tuple[str, str]]] | None = None,
) -> tuple[dict[str, Any], tuple[ArgSource, ...]]:
    """Arguments for one call of ``spec`` and where each came from.

    Per parameter: an earlier output that fits (with probability ``flow_bias``), else a fresh value when the
    call means to create one (new file name, amount, free text), else a value the state offers, else the
    schema (enum, default, type). Optional parameters are filled when the state or an output can fill them
    and their default is empty (e.g. ``retrieve_invoice(booking_id=...)``), else half of the time when some
    meaningful value exists; never with a made-up placeholder. ``links``: per parameter, the ``(tool, field)``
    outputs the graph says feed it (see :func:`flow_links`). Arguments that break the environment's constraints
    (``env.check_constraints``: a diff of a file with itself, a minimum above its maximum) are drawn again, up to
    four times; the last draw is returned when none keeps them.
    """
    return checked_arguments(env, spec, history, rng, flow_bias=flow_bias, links=links)[:2]


def checked_arguments(env: Environment, spec: ToolSpec, history: Sequence[OutputLeaf], rng: random.Random, *,
                      flow_bias: float = 0.85, links: Mapping[str, frozenset[tuple[str, str]]] | None = None
                      ) -> tuple[dict[str, Any], tuple[ArgSource, ...], str | None]:
    """:func:`sample_arguments`, and the constraint the arguments break (``None``: they keep them all)."""
    args, sources = _draw_arguments(env, spec, history, rng, flow_bias, links)
    for _ in range(_REDRAWS):
        if not env.check_constraints(ToolCall(spec.name, args)):
            return args, sources, None
        args, sources = _draw_arguments(env, spec, history, rng, flow_bias, links)
    return args, sources, env.check_constraints(ToolCall(spec.name, args))


def _draw_arguments(env: Environment, spec: ToolSpec, history: Sequence[OutputLeaf], rng: random.Random,
                    flow_bias: float, links: Mapping[str, frozenset[tuple[str, str]]] | None
                    ) -> tuple[dict[str, Any], tuple[ArgSource, ...]]:
    properties, required = spec.properties, set(spec.required)
    args: dict[str, Any] = {}
    sources: dict[str, ArgSource] = {}
    ordered = [p for p in properties if p in required] + [p for p in properties if p not in required]
    taken: list[Any] = []  # values this call already took from earlier outputs
    for param in ordered:
        schema = properties[param] or {}
        hint = env.argument_hint(spec.name, param)
        fresh = hint.fresh
        if hint.new_only:  # a new name: neither the state's values nor earlier outputs
            cands, fits = [], []
        else:
            cands = env.candidates(spec.name, param)
            fits = _matching_leaves(history, param, schema, cands, hint, linked=(links or {}).get(param, frozenset()),
                                    tool=spec.name)
        if fits and taken:  # one earlier output twice in a call (add(x, x), "the log and the log") is absurd
            fits = [(leaf, value) for leaf, value in fits if not _among(value, taken)]
        if param not in required:
            has_value = (cands or fits or fresh or schema.get("enum")
                         or env.free_text(spec.name, param, _ASK) is not None)
            empty_default = schema.get("default") in _NONE_WORDS
            if not has_value or not ((empty_default and (cands or fits)) or rng.random() < 0.5):
                continue
        if fits and rng.random() < flow_bias:
            leaf, value = fits[rng.randrange(len(fits))]
            src = ArgSource(param, value, "output", f"{leaf.tool} → {leaf.path or leaf.key}",
                            from_call=(leaf.round, leaf.step))
            taken.append(value)
        elif fresh and (not cands or hint.prefer_fresh):
            value = env.fresh_value(spec.name, param, args, rng)
            if value in cands:
                src = ArgSource(param, value, "state", "the value the state holds for this call")
            else:
                src = ArgSource(param, value, "random", "fresh value for this call")
        elif cands:
            value = cands[rng.randrange(len(cands))]
            src = ArgSource(param, value, "state", f"one of {len(cands)} values the state offers")
        else:
            value, how = schema_value(env, schema, param, rng, spec.name)
            src = ArgSource(param, value, "random" if how == "free text" else "schema", how)
        args[param] = value
        sources[param] = src
    _fix_pairs(env, spec, args, sources, rng)
    _keep_distinct(env, spec, args, sources, rng)
    return args, tuple([sources[p] for p in args])


def _among(value: Any, values: Sequence[Any]) -> bool:
    """``value in values`` by equality and type, so ``1`` and ``True`` or ``1.0`` stay different values."""
    return any(type(v) is type(value) and v == value for v in values)


def _fix_pairs(env: Environment, spec: ToolSpec, args: dict[str, Any], sources: dict[str, ArgSource],
               rng: random.Random) -> None:
    """Make two arguments that only work together agree (``env.pairs``: a served route, a username and its
    password): the second follows the first; or, when the second came from an output, the first follows it;
    else both are drawn together."""
    for first, second, valid in env.pairs(spec.name):
        if first not in args or second not in args or not valid or (args[first], args[second]) in valid:
            continue
        partners = [b for a, b in valid if a == args[first]]
        if partners:
            args[second] = partners[rng.randrange(len(partners))]
            sources[second] = ArgSource(second, args[second], "state", f"one of {len(partners)} values that go "
                                                                       f"with {first}={args[first]!r}")
            continue
        partners = [a for a, b in valid if b == args[second]]
        if partners and sources[second].kind == "output":
            args[first] = partners[rng.randrange(len(partners))]
            sources[first] = ArgSource(first, args[first], "state", f"one of {len(partners)} values that go "
                                                                    f"with {second}={args[second]!r}")
            continue
        args[first], args[second] = valid[rng.randrange(len(valid))]
        detail = f"one of {len(valid)} ({first}, {second}) pairs the tool serves"
        sources[first] = ArgSource(first, args[first], "state", detail)
        sources[second] = ArgSource(second, args[second], "state", detail)


def _keep_distinct(env: Environment, spec: ToolSpec, args: dict[str, Any], sources: dict[str, ArgSource],
                   rng: random.Random) -> None:
    """Two arguments that must differ (``cp x x`` copies a folder into itself and makes the tree cyclic)."""
    for first, second in env.distinct(spec.name):
        if first not in args or args.get(first) != args.get(second):
            continue
        others = [c for c in env.candidates(spec.name, second) if c != args[first]]
        if others:
            value = others[rng.randrange(len(others))]
            args[second] = value
            sources[second] = ArgSource(second, value, "state", f"one of {len(others)} values ≠ {first}")


# -- deliberate errors -----------------------------------------------------------------------------------------

_AMOUNT_WORDS = frozenset({"amount", "price", "fuel", "budget", "cost", "balance", "gallon", "liter"})


def _wrong_value(value: Any, cands: list[Any], rng: random.Random) -> Any:
    """A realistic value that does not exist in the state: another id, a missing file, an unknown user."""
    taken = {c for c in cands if not isinstance(c, (list, dict))}
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        ints = [c for c in taken if isinstance(c, int) and not isinstance(c, bool)]
        return (max(ints) if ints else value) + rng.randint(1000, 9000)
    if isinstance(value, list):
        if not value:
            return None
        inner = _wrong_value(value[0], [x for c in cands if isinstance(c, list) for x in c], rng)
        return None if inner is None else [inner] + list(value[1:])
    if not isinstance(value, str) or not value:
        return None
    for _ in range(10):
        if any(ch.isdigit() for ch in value):
            wrong = "".join(str(rng.randint(0, 9)) if ch.isdigit() else ch for ch in value)
        elif "." in value.strip("."):
            stem, ext = value.rsplit(".", 1)
            wrong = f"{stem}_{rng.choice(('old', 'v2', 'final', 'copy'))}.{ext}"
        elif value.isupper():
            wrong = value[:-1] + rng.choice("QXZ")
        else:
            wrong = rng.choice(NAMES + DIR_NAMES)
        if wrong != value and wrong not in taken:
            return wrong
    return None


def corrupt_arguments(
    env: Environment,
    spec: ToolSpec,
    args: dict[str, Any],
    sources: tuple[ArgSource, ...],
    rng: random.Random,
) -> tuple[dict[str, Any], tuple[ArgSource, ...], str] | None:
    """Make one argument realistically wrong (an id or file that does not exist, an amount over the balance).

    Returns the new arguments, sources and a description, or ``None`` when no argument can be made wrong.
    """
    options = []
    for src in sources:
        name_words = tokens(src.name)
        if isinstance(src.value, (int, float)) and not isinstance(src.value, bool) and name_words & _AMOUNT_WORDS:
            options.append((src, float(10 ** rng.randint(6, 8)), "an amount far beyond what the state allows"))
        elif src.kind in ("state", "output"):
            cands = env.candidates(spec.name, src.name)
            wrong = _wrong_value(src.value, cands, rng)
            if wrong is not None:
                options.append((src, wrong, f"a value the state does not have (instead of {src.value!r})"))
    if not options:
        return None
    src, wrong, why = options[rng.randrange(len(options))]
    new_args = dict(args)
    new_args[src.name] = wrong
    new_sources = tuple(
        ArgSource(s.name, wrong, "random", f"deliberate error: {why}") if s.name == src.name else s for s in sources
    )
    return new_args, new_sources, f"{src.name}={wrong!r}: {why}"


