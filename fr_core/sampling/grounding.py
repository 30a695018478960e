"""The grounding table of a turn: for every argument of its ground-truth calls, how a model can know the value
(said by the user, derived from an earlier output, visible in a tool's output and picked by the user's words, or a
default), so a hard query hides only what can be worked out and states every arbitrary pick."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from fr_core.envs.base import call_failed
from fr_core.sampling.flow import FlowStep, turn_flow
from fr_core.sampling.params import output_leaves
from fr_core.types import ArgSource, Grounding, ToolSpec, Turn, TurnRecord

__all__ = ["ground_turn", "ungrounded", "state_scalars", "MAX_SAID_CHARS"]

#: The longest value a user can be expected to type; a longer arbitrary pick cannot be stated and is ungrounded.
MAX_SAID_CHARS = 80

_INDEX = re.compile(r"\[\d+\]|\{key\}")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _sayable(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return len(value) <= 6 and all(_sayable(v) for v in value)
    return isinstance(value, (int, float, str)) and "\n" not in _text(value) and len(_text(value)) <= MAX_SAID_CHARS


def _producer(source: ArgSource, turn: Turn, round_index: int, earlier: Sequence[TurnRecord]) -> Any:
    """The output value of the call that produced ``source`` (this turn or an earlier one), or ``None``."""
    if source.from_call is None:
        return None
    r, step = source.from_call
    record_turn = turn if r == round_index else next((e.turn for e in earlier if e.round == r), None)
    if record_turn is None or step >= len(record_turn.steps):
        return None
    return record_turn.steps[step].result.value


def _unique_in(source: ArgSource, output: Any, round_index: int) -> tuple[bool, int]:
    """Whether ``source.value`` is the only candidate of its kind in ``output`` (the one leaf at its path, list
    indices ignored), and how many candidates there are."""
    _, _, path = source.detail.partition(" → ")
    pattern = _INDEX.sub("", path)
    same = [leaf for leaf in output_leaves(output, "", round_index, 0) if _INDEX.sub("", leaf.path) == pattern]
    return len(same) <= 1, len(same)


def _said_before(arg: str, value: Any, earlier: Sequence[TurnRecord]) -> int | None:
    """The earlier round whose request said ``value`` for ``arg``, when that is the latest value any earlier call
    gave an argument of that kind (its name but for a number: ``file_name1`` is a file as ``file_name`` is), so
    "the same file as before" points at it and nothing else; else ``None``."""
    for record in reversed(earlier):
        steps = [s for s in turn_flow(record.turn, record.round) if any(_kin(k, arg) for k in s.call.arguments)]
        if not steps:
            continue
        kin = {k: v for k, v in steps[-1].call.arguments.items() if _kin(k, arg)}
        if kin.get(arg, next(iter(kin.values()))) != value or arg not in steps[-1].user_args \
                or any(v != value for v in kin.values()):
            return None
        text = _text(value)
        query = record.hard_query.text if record.hard_query else ""
        return record.round if re.search(rf"(?<![\w.]){re.escape(text)}(?![\w])", query) else None
    return None


def _words(name: str) -> set[str]:
    return set(re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").lower().split())


def _kin(a: str, b: str) -> bool:
    """Whether two arguments name the same kind of thing but for a number (``file_name1``, ``file_name``), so a
    reader could take one for the other."""
    return a == b or re.sub(r"\d+$", "", a) == re.sub(r"\d+$", "", b)


def _latest_named(arg: str, value: Any, source: ArgSource, earlier: Sequence[TurnRecord]) -> bool:
    """Whether an earlier round's output that ``source`` comes from is the latest earlier output with a field
    named like ``arg``, and that field holds ``value`` (what "the ... from before" points at)."""
    for record in reversed(earlier):
        for step in reversed(record.turn.steps):
            leaves = [leaf for leaf in output_leaves(step.result.value, "", record.round, 0)
                      if _words(leaf.key) & _words(arg)]
            if leaves:
                return len({_text(leaf.value) for leaf in leaves}) == 1 and leaves[0].value == value
    return False


def state_scalars(state: Any) -> frozenset[str]:
    """Every value a state holds (dict keys too: a folder's file names), as text: what a user living in that state
    can know and say."""
    out: set[str] = set()
    stack = [state]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            out.update(_text(k) for k in node)
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, set, frozenset)):
            stack.extend(node)
        elif node is not None and not isinstance(node, bool):
            out.add(_text(node))
    return frozenset(out)


def _known(value: Any, known: frozenset[str]) -> bool:
    """Whether ``known`` holds ``value``, or every item of a list ``value`` (stocks to watch, all named somewhere)."""
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_known(v, known) for v in value)
    return _text(value) in known


def _unwieldy(value: Any) -> bool:
    """A number no one would type: a float with more than four decimals (``167.75836909078484``)."""
    return isinstance(value, float) and len(repr(value).partition(".")[2]) > 4


def _latest_of(tool: str, at: tuple[int, int], turn: Turn, round_index: int, before: int,
               earlier: Sequence[TurnRecord]) -> bool:
    """Whether call ``at`` (round, step) is the last successful call of ``tool`` before step ``before`` of this
    turn: what "the <tool> from before" points at."""
    calls = [(r.round, i, s) for r in earlier for i, s in enumerate(r.turn.steps)]
    calls += [(round_index, i, s) for i, s in enumerate(turn.steps[:before])]
    last = [(r, i) for r, i, s in calls if s.call.name == tool and not call_failed(s.result)]
    return bool(last) and last[-1] == at


def _default(spec: ToolSpec | None, arg: str, value: Any) -> bool:
    schema = spec.properties.get(arg, {}) if spec else {}
    return arg not in (spec.required if spec else ()) and "default" in schema and schema["default"] == value


def _row(step: FlowStep, n: int, arg: str, turn: Turn, round_index: int, specs: dict[str, ToolSpec],
         earlier: Sequence[TurnRecord], known: frozenset[str] | None) -> Grounding:
    value = step.call.arguments[arg]
    tool = step.call.name
    source = next((s for s in step.hidden if s.name == arg), None)
    if source is not None:
        producer, _, path = source.detail.partition(" → ")
        output = _producer(source, turn, round_index, earlier)
        unique, count = _unique_in(source, output, round_index) if output is not None else (False, 0)
        from_round = source.from_call[0] if source.from_call else round_index
        later = from_round if from_round != round_index else None
        key = path.rsplit(".", 1)[-1] if path else ""
        # a value a call of this turn made, found nowhere in the state before it (a sum, a new id): the user cannot
        # have seen it when they asked, so the request never says it
        new = later is None and known is not None and not _known(value, known)
        named = bool(_words(_INDEX.sub("", key)) & _words(arg))  # "id" for ticket_id: "the ticket you just opened"
        if (unique and count == 1 and ((new and not named) or _unwieldy(value)) and source.from_call is not None
                and _latest_of(producer, source.from_call, turn, round_index, step.index, earlier)):
            # the one value a tool gave, too long to type or made just now: the request names the tool ("that
            # standard deviation", "that total")
            return Grounding(n, tool, arg, value, "derived", f"the value `{producer}` returned"
                             + (f" in round {from_round + 1}" if later is not None else ""), later, via=producer)
        if unique and not named:
            unique = False  # a field named otherwise ("result" → number): which one is meant, only saying tells
        if unique and later is not None and not _latest_named(arg, value, source, earlier):
            unique = False  # "the ... from before" would not point at it: the request must say it
        if unique:
            return Grounding(n, tool, arg, value, "derived", f"the only {path or 'value'} that `{producer}` returned"
                             + (f" in round {from_round + 1}" if later is not None else ""), later)
        if new:
            return Grounding(n, tool, arg, value, "ungrounded", f"one of {count} values `{producer}` made in this "
                             "turn: the user cannot have seen it, and no rule picks it")
        if _sayable(value):
            return Grounding(n, tool, arg, value, "visible", f"`{producer}` lists it among {count}; the request "
                             "names it", later)
        return Grounding(n, tool, arg, value, "ungrounded", f"one of {count} values `{producer}` returned, too long "
                         "to say and picked by no rule")
    if _default(specs.get(tool), arg, value):
        return Grounding(n, tool, arg, value, "default", "the tool's default")
    before = _said_before(arg, value, earlier)
    if before is not None:
        return Grounding(n, tool, arg, value, "said", f"said in round {before + 1}", before)
    return Grounding(n, tool, arg, value, "said", "the request gives it")


def ground_turn(turn: Turn, round_index: int, tools: Sequence[ToolSpec],
                earlier: Sequence[TurnRecord] = (), known: frozenset[str] | None = None) -> tuple[Grounding, ...]:
    """One row per argument of the turn's ground-truth calls (``turn_flow`` order), saying how a model can know it.

    - *derived*: it comes from an earlier output where it is the only candidate, in a field named like the argument
      (the ``id`` a call just returned for ``ticket_id``);
    - *visible*: an earlier output lists it among others: an arbitrary pick, so the request must name it;
    - *default*: an optional argument at the schema's default; *said*: the user gives it, in this request or an
      earlier one (``earlier`` set: the request may refer back to it);
    - *ungrounded*: an arbitrary pick that cannot be said (too long, not a plain value), or that a call of this
      turn made (``known``, the :func:`state_scalars` of the state the turn started from, holds no such value: the
      user cannot have seen it; ``None``: not checked). Such a value is *derived* when it is the one value its tool
      gave ("that total").
    """
    specs = {t.name: t for t in tools}
    rows: list[Grounding] = []
    for n, step in enumerate(turn_flow(turn, round_index)):
        rows.extend(_row(step, n, arg, turn, round_index, specs, earlier, known) for arg in step.call.arguments)
        if known is not None:  # what the user gives for this call, they know for the next ("mkdir temp_4", then ...)
            hidden = {s.name for s in step.hidden}
            known = known | state_scalars([v for arg, v in step.call.arguments.items() if arg not in hidden])
    return tuple(rows)


def ungrounded(rows: Sequence[Grounding]) -> list[str]:
    """The arguments no model could know, as ``tool.arg`` (empty when every argument is grounded)."""
    return [f"{g.tool}.{g.arg}" for g in rows if g.kind == "ungrounded"]
