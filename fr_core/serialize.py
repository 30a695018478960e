"""Plain-JSON form of the frozen data types (``to_dict``) and the typed way back (``from_dict``,
``trajectory_from_dict``)."""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from fr_core.errors import ConfigError
from fr_core.types import LLMCallEvent, RoleEvent, Trajectory, event_from_dict

__all__ = ["to_dict", "from_dict", "trajectory_from_dict"]

T = TypeVar("T")


def to_dict(obj: Any) -> Any:
    """Any of the frozen dataclasses (or a value inside one) as JSON data: dicts, lists, strings, numbers.

    >>> from fr_core.types import ToolCall
    >>> to_dict(ToolCall("cd", {"folder": "docs"}))
    {'name': 'cd', 'arguments': {'folder': 'docs'}}

    Events keep the form they have always been stored in (a ``kind``, and only the fields a role event uses):

    >>> from fr_core.types import RoleEvent
    >>> to_dict(RoleEvent(role="querying", label="offline heuristic", hard=True))
    {'kind': 'role_call', 'role': 'querying', 'label': 'offline heuristic', 'hard': True}
    """
    if isinstance(obj, (RoleEvent, LLMCallEvent)):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_dict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    return obj


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(tp: Any, data: Any, where: str) -> Any:
    if tp is Any or data is None and tp is type(None):
        return data
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if data is None and type(None) in options:
            return None
        real = [o for o in options if o is not type(None)]
        if set(real) == {RoleEvent, LLMCallEvent} and isinstance(data, dict):
            return event_from_dict(data)
        return _build(real[0], data, where) if len(real) == 1 else data
    if origin is Literal:
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected an object for {tp.__name__}, got {type(data).__name__}")
        hints = _hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = set(data) - names
        if unknown:
            raise ConfigError(f"{where}: {tp.__name__} has no field(s) {sorted(unknown)}")
        return tp(**{k: _build(hints[k], v, f"{where}.{k}") for k, v in data.items()})
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v, f"{where}[{i}]") for i, v in enumerate(data))
        return tuple(_build(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, data)))
    if origin is dict:
        _, vt = get_args(tp) or (Any, Any)
        return {k: _build(vt, v, f"{where}.{k}") for k, v in data.items()}
    if origin is list:
        (vt,) = get_args(tp) or (Any,)
        return [_build(vt, v, f"{where}[{i}]") for i, v in enumerate(data)]
    return data


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a frozen dataclass ``cls`` from ``to_dict`` output, turning lists back into tuples where typed so."""
    return _build(cls, data, cls.__name__)


def _legacy_attempt(data: dict[str, Any]) -> dict[str, Any]:
    """An attempt stored before attempts had steps (one block of calls, one CoT) as a one-step attempt."""
    if "steps" in data or "calls" not in data:
        return data
    data = dict(data)
    step = {"reasoning": data.pop("cot", ""), "calls": data.pop("calls"), "results": data.pop("results", []),
            "raw": data.pop("raw", ""), "recovered": False}
    return {**data, "steps": [step], "answer": data.get("answer", "")}


def trajectory_from_dict(data: dict[str, Any]) -> Trajectory:
    """The ``Trajectory`` that ``to_dict`` turned into ``data``; ``from_dict(Trajectory, to_dict(t)) == t``.

    Trajectories stored before attempts had steps load as one-step attempts.
    """
    turns = []
    for turn in data.get("turns", ()):
        outcome = turn.get("outcome") if isinstance(turn, dict) else None
        if isinstance(outcome, dict) and outcome.get("attempts"):
            turn = {**turn, "outcome": {**outcome, "attempts": [_legacy_attempt(a) for a in outcome["attempts"]]}}
        turns.append(turn)
    return from_dict(Trajectory, {**data, "turns": turns} if "turns" in data else data)
