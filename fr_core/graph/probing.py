"""What a probe does to an environment: draw arguments, read its scalar state, see which tools worked, list the
views a read-only tool offers; shared by the edge and obstacle detectors."""

from __future__ import annotations

import random
from typing import Any

from fr_core.envs.base import Environment, call_failed
from fr_core.graph.flow import tokens
from fr_core.types import CallResult, ToolCall, ToolSpec

__all__ = ["OPTIONS", "VARIANTS", "Recording", "flag_states", "leaves", "options", "probe_args", "scalars",
           "settled", "views", "works_with_other_values"]

VARIANTS = 4  # argument draws per tool in a probe: enough to hit a valid route, a locking and an unlocking call
OPTIONS = 12  # a parameter with at most this many valid values is a choice of view (displayCarStatus(option=…))

_DUMMY = {"string": "probe", "integer": 1, "number": 1.0, "boolean": True, "object": {}}


def probe_args(env: Environment, spec: ToolSpec, rng: random.Random,
               fixed: dict[str, Any] | None = None) -> dict[str, Any]:
    """Arguments for one probe call of ``spec``: values the state offers, else enum, default or dummy values."""
    args: dict[str, Any] = {}
    required = set(spec.required)
    for pname, schema in spec.properties.items():
        if fixed and pname in fixed:
            args[pname] = fixed[pname]
            continue
        cands = env.candidates(spec.name, pname)
        if cands:
            value = rng.choice(cands)
            args[pname] = [value] if schema.get("type") == "array" and not isinstance(value, list) else value
        elif "enum" in schema:
            args[pname] = rng.choice(schema["enum"])
        elif schema.get("type") == "boolean":
            args[pname] = rng.choice([True, False])
        elif "default" in schema and schema["default"] is not None:
            args[pname] = schema["default"]
        elif pname in required:
            typ = schema.get("type", "string")
            if typ == "array":
                item = (schema.get("items") or {}).get("type", "string")
                args[pname] = [_DUMMY.get(item, "probe")]
            else:
                args[pname] = _DUMMY.get(typ, "probe")
    for first, second, valid in env.probe_pairs(spec.name):  # arguments that only work together (a card and its PIN)
        if first in args and second in args and valid and (args[first], args[second]) not in valid \
                and not (fixed and (first in fixed or second in fixed)):
            # A draw of its own, so the probes' other draws stay as they were.
            pick = random.Random(f"{spec.name}:{args[first]}:{args[second]}")
            args[first], args[second] = valid[pick.randrange(len(valid))]
    return args


def leaves(value: Any, key: str = "", out: list | None = None) -> list[tuple[str, Any]]:
    """(key, value) of each string (and each id-named integer) inside a returned value."""
    out = [] if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            leaves(v, str(k), out)
    elif isinstance(value, list):
        for v in value[:50]:
            leaves(v, key, out)
    elif isinstance(value, str) and 1 < len(value) <= 200:
        out.append((key, value))
    elif isinstance(value, int) and not isinstance(value, bool) and "id" in tokens(key):
        out.append((key, value))
    return out


def scalars(env: Environment) -> dict[tuple[str, str], Any]:
    """Each public scalar attribute of each owned instance (login flags, current user, pedal status ...)."""
    out: dict[tuple[str, str], Any] = {}
    if not hasattr(env, "instance"):  # only object-backed environments have attributes to read
        return out
    for cls in env.classes:  # type: ignore[attr-defined]
        for attr, value in vars(env.instance(cls)).items():
            if not attr.startswith("_") and (value is None or isinstance(value, (bool, int, float, str))):
                out[(cls, attr)] = value
    return out


def settled(before: dict[tuple[str, str], Any], after: dict[tuple[str, str], Any], owner: str) -> dict[str, Any]:
    """Attributes of ``owner`` that a call set to a definite value: a status word, a flag, a count down to 0.

    (A level such as fuel is left out: "equal to what one probe left" would be the wrong condition.)
    """
    return {a: v for (c, a), v in after.items()
            if c == owner and before.get((c, a)) != v
            and (v is None or isinstance(v, (bool, str)) or (isinstance(v, int) and v == 0))}


class Recording:
    """An environment seen through a probe: remembers every tool that succeeded at least once, in any state."""

    def __init__(self, env: Environment) -> None:
        self._env = env
        self.worked: set[str] = set()

    def execute(self, call: ToolCall) -> CallResult:
        result = self._env.execute(call)
        if not call_failed(result):
            self.worked.add(call.name)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)


def works_with_other_values(env: Environment, after: Any, v: ToolSpec, rng: random.Random) -> bool:
    """Whether ``v`` works in the state ``after`` with some other draw of the values that state offers."""
    for _ in range(VARIANTS):
        env.restore(after)
        ok = not call_failed(env.execute(ToolCall(v.name, probe_args(env, v, rng))))
        env.restore(after)
        if ok:
            return True
    return False


def options(env: Environment, spec: ToolSpec) -> dict[str, list[Any]]:
    """Parameters of ``spec`` that pick one of a few views (an enum or a short candidate list), with their values."""
    out = {}
    for pname, schema in spec.properties.items():
        values = schema.get("enum") or env.candidates(spec.name, pname)
        if 1 < len(values) <= OPTIONS and all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in values):
            out[pname] = list(values)
    return out


def views(env: Environment, spec: ToolSpec, args: dict[str, Any], base: Any) -> list[tuple[dict[str, Any], Any]]:
    """What ``spec`` shows in the base state: the probe's call, plus one call per option of each view parameter,
    so a change is seen whichever part of the state it touched (the fuel, the doors or the engine)."""
    calls = [args] + [{**args, p: x} for p, values in options(env, spec).items() for x in values if args.get(p) != x]
    out = []
    for call in calls:
        env.restore(base)
        result = env.execute(ToolCall(spec.name, call))
        if not call_failed(result):
            out.append((call, result.value))
    env.restore(base)
    return out


def flag_states(env: Environment, *, seed: int = 0) -> list[Environment]:
    """Copies of ``env`` after each tool that raises a flag of its class (a login sets ``current_user``), so the
    probes also see what only works behind it (create a note, then read it) when ``env`` starts logged out."""
    rng = random.Random(seed)
    before = scalars(env)
    out = []
    for spec in env.tools():
        state = env.copy()
        if call_failed(state.execute(ToolCall(spec.name, probe_args(state, spec, rng)))):
            continue
        if any(v and not before.get(k, True) and k[0] == spec.owner for k, v in scalars(state).items()):
            out.append(state)
    return out
