"""Build G from evidence we can explain: parameter-name flow in the specs, and state dependencies found by execution.

* ``param_flow`` (soft): an output field of ``u`` can feed a parameter of ``v``, by name/type/description, or
  because executing ``u`` returned a value that is a valid argument of ``v`` in that state.
* ``state`` (hard when a condition explains it): ``v`` fails before ``u`` and succeeds after it (a login flag
  set), or ``v`` can use an argument value that only exists after ``u`` (a folder ``cd`` entered, a file ``touch``ed).
* ``manual``: edits from the JSON overlay (see :mod:`fr_core.graph.overlay`).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import networkx as nx

from fr_core.envs.base import Environment, call_failed
from fr_core.graph.cache import cached, is_cached
from fr_core.graph.limits import PROBE_CALL_TIMEOUT_S, PROBE_TIMEOUT_S, ProbeBudgetSpent, TimedEnvironment
from fr_core.graph.model import add_edge, new_graph, prune_to_density
from fr_core.types import CallResult, StepResult, ToolCall, ToolSpec

__all__ = [
    "GraphTrace",
    "annotate_obstacles",
    "build_graph",
    "error_gist",
    "flag_states",
    "mark_broken",
    "name_flow_edges",
    "probe_edges",
    "probe_obstacles",
    "bfcl_graph",
    "tokens",
    "warm_bfcl_graphs",
]

# Words that say nothing about *which* entity a field carries.
GENERIC = frozenset(
    "status result success error message value data info information detail list response content "
    "type text count number amount total new current the a of to for and or in is id name".split()
)


@dataclass
class GraphTrace:
    """How a graph was built: evidence per edge, counts per kind, timings."""

    evidence: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    dropped: list[tuple[str, str, str]] = field(default_factory=list)  # weakest soft edges cut for density

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.evidence:
            out[e["kind"]] = out.get(e["kind"], 0) + 1
        return out


# Verbs in tool names: they say what a tool does, not what it is about.
VERBS = frozenset("get set list add remove delete create update find check display view show search compute "
                  "estimate retrieve fetch post send make fill press release start stop activate adjust".split())

_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")


@lru_cache(maxsize=65536)
def tokens(text: str) -> frozenset[str]:
    """Lower-case word stems of an identifier or sentence: ``receiverId`` → {receiver, id}."""
    out = set()
    for t in _SPLIT.split(text or ""):
        t = t.lower()
        if not t:
            continue
        if len(t) > 3 and t.endswith("s") and not t.endswith(("ss", "us", "is")):
            t = t[:-1]
        out.add(t)
    return frozenset(out)


def _fields(schema: dict[str, Any] | None, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(path, name, json type, description) of every response field, one level into arrays/objects."""
    if not isinstance(schema, dict):
        return []
    out = []
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}{name}"
        typ = sub.get("type", "")
        if typ == "array" and name.endswith("_list"):
            name = name[: -len("_list")]  # ``travel_cost_list`` carries travel costs
        if typ == "array" and isinstance(sub.get("items"), dict):
            item = sub["items"]
            if item.get("properties"):
                out.extend(_fields(item, path + "[]."))
                continue
            typ = item.get("type", "string")
        elif typ == "object" and sub.get("properties") and not prefix:
            out.extend(_fields(sub, path + "."))
            continue
        out.append((path, name, typ, sub.get("description", "")))
    return out


def _types_compatible(out_type: Any, in_schema: dict[str, Any]) -> bool:
    want = in_schema.get("type", "")
    if not out_type or not want or not isinstance(out_type, str):
        return True
    if want == "array":
        want = (in_schema.get("items") or {}).get("type", out_type)
    wants = set(want) if isinstance(want, list) else {want}
    if out_type in wants or ({out_type} | wants) <= {"integer", "number", "null"}:
        return True
    return False


def name_flow_edges(specs: Iterable[ToolSpec]) -> list[dict[str, Any]]:
    """Output-field → parameter matches from the specs alone (fast: inverted indexes, no pairwise scan).

    A match needs the same normalised name (``booking_id`` → ``booking_id``), or, inside one class, the
    field's entity words in the parameter's name and description (``user_id`` → ``receiver_id``: "User ID
    of the receiver"; ``gallon`` → ``fuelAmount``: "amount of fuel in gallons").
    """
    specs = list(specs)
    by_name: dict[frozenset[str], list[tuple[ToolSpec, str, dict[str, Any]]]] = {}
    by_owner: dict[str, list[tuple[ToolSpec, str, dict[str, Any], frozenset[str]]]] = {}
    for spec in specs:
        for pname, pschema in spec.properties.items():
            ptoks = tokens(pname)
            by_name.setdefault(ptoks, []).append((spec, pname, pschema))
            words = ptoks | tokens(str(pschema.get("description", "")))
            by_owner.setdefault(spec.owner, []).append((spec, pname, pschema, words))
    edges = []
    for u in specs:
        for path, fname, ftype, _ in _fields(u.response):
            ftoks = tokens(fname)
            entity = ftoks - GENERIC
            if not entity:
                continue
            matches = [(v, p, s, "same name") for v, p, s in by_name.get(ftoks, [])]
            matches += [(v, p, s, f"'{fname}' matches '{p}' by its description")
                        for v, p, s, words in by_owner.get(u.owner, [])
                        if entity <= words]
            seen = set()
            for v, pname, pschema, how in matches:
                if v.name == u.name or (v.name, pname) in seen or not _types_compatible(ftype, pschema):
                    continue
                seen.add((v.name, pname))
                edges.append(dict(u=u.name, v=v.name, kind="param_flow", field=path, param=pname,
                                  reason=f"{u.name} returns {path}, which feeds {v.name}({pname}=…): {how}"))
    return edges


# -- execution probes --------------------------------------------------------------------------------

_DUMMY = {"string": "probe", "integer": 1, "number": 1.0, "boolean": True, "object": {}}


def _probe_args(env: Environment, spec: ToolSpec, rng: random.Random,
                fixed: dict[str, Any] | None = None) -> dict[str, Any]:
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


def _leaves(value: Any, key: str = "", out: list | None = None) -> list[tuple[str, Any]]:
    out = [] if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            _leaves(v, str(k), out)
    elif isinstance(value, list):
        for v in value[:50]:
            _leaves(v, key, out)
    elif isinstance(value, str) and 1 < len(value) <= 200:
        out.append((key, value))
    elif isinstance(value, int) and not isinstance(value, bool) and "id" in tokens(key):
        out.append((key, value))
    return out


def _scalars(env: Environment) -> dict[tuple[str, str], Any]:
    """Each public scalar attribute of each owned instance (login flags, current user, pedal status ...)."""
    out: dict[tuple[str, str], Any] = {}
    if not hasattr(env, "instance"):  # only object-backed environments have attributes to read
        return out
    for cls in env.classes:  # type: ignore[attr-defined]
        for attr, value in vars(env.instance(cls)).items():
            if not attr.startswith("_") and (value is None or isinstance(value, (bool, int, float, str))):
                out[(cls, attr)] = value
    return out


def _settled(before: dict[tuple[str, str], Any], after: dict[tuple[str, str], Any], owner: str) -> dict[str, Any]:
    """Attributes of ``owner`` that a call set to a definite value: a status word, a flag, a count down to 0.

    (A level such as fuel is left out: "equal to what one probe left" would be the wrong condition.)
    """
    return {a: v for (c, a), v in after.items()
            if c == owner and before.get((c, a)) != v
            and (v is None or isinstance(v, (bool, str)) or (isinstance(v, int) and v == 0))}


class _Recording:
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


VARIANTS = 4  # argument draws per tool in a probe: enough to hit a valid route, a locking and an unlocking call


def _error_text(result: CallResult) -> str:
    """The words of a failure: the error, or the ``error`` a refusal carries as data (``[{"error": ...}]``)."""
    if result.error is not None:
        return result.error
    value = result.value
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and isinstance(item.get("error"), str):
            return item["error"]
    if isinstance(value, dict) and (refused := [k for k, x in value.items() if x is False]):
        return f"{', '.join(refused)} is false"
    return result.to_text()


_PREFIXES = re.compile(r"^(?:\s*[^\s:]+:\s+)+")  # 'cat: report.txt: ' names the tool and the file
_PHRASE_END = re.compile(r"[.:](?:\s|$)")


def _about(error: str, args: dict[str, Any]) -> bool:
    """The error names one of the call's own string arguments ("alice has no note 'n9'")."""
    return any(isinstance(x, str) and len(x) > 1 and x in error for x in args.values())


def _gist(error: str | None, args: dict[str, Any] | None = None) -> str:
    """The first phrase of an error, after leading ``tool:``/``file:`` prefixes: 'doors must be locked. Unlocked:
    driver' and '...: rear' are one error; 'cat: No such file' is 'No such file'.

    >>> _gist("cat: report.txt: No such file or directory")
    'No such file or directory'
    >>> _gist("All doors must be locked. Unlocked doors: driver")
    'All doors must be locked'

    The call's own string arguments are masked, so the gist names the error, not the file it was about:

    >>> _gist("rmdir: cannot remove 'old': Directory not empty", {"dir_name": "old"})
    "cannot remove '…'"
    >>> _gist("diff: a.txt or b.txt: No such file or directory", {"file_name1": "a.txt", "file_name2": "b.txt"})
    'No such file or directory'
    """
    text = error or ""
    for value in (args or {}).values():
        for x in value if isinstance(value, list) else [value]:
            if isinstance(x, str) and len(x) > 1:
                text = text.replace(x, "…")
    phrases = [p.strip() for p in _PHRASE_END.split(_PREFIXES.sub("", text, count=1))]
    # A phrase of masked values ('… or …: No such file') names nothing: the next one says what went wrong.
    return next((p for p in phrases if len(re.findall(r"[A-Za-z]{2,}", p)) >= 2), phrases[0])


def _works_with_other_values(env: Environment, after: Any, v: ToolSpec, rng: random.Random) -> bool:
    """Whether ``v`` works in the state ``after`` with some other draw of the values that state offers."""
    for _ in range(VARIANTS):
        env.restore(after)
        ok = not call_failed(env.execute(ToolCall(v.name, _probe_args(env, v, rng))))
        env.restore(after)
        if ok:
            return True
    return False


def probe_edges(env: Environment, *, seed: int = 0) -> list[dict[str, Any]]:
    """Execute every ordered tool pair (u, v) from the env's current state and record the dependencies seen."""
    env = _Recording(env)
    rng = random.Random(seed)
    specs = env.tools()
    base = env.snapshot()
    scalars_before = _scalars(env)
    cands_before = {(s.name, p): list(env.candidates(s.name, p)) for s in specs for p in s.properties}
    failed_before: dict[str, tuple[dict[str, Any], str]] = {}
    seen_before: dict[str, tuple[dict[str, Any], Any]] = {}
    for v in specs:
        env.restore(base)
        args = _probe_args(env, v, rng)
        rv = env.execute(ToolCall(v.name, args))
        if call_failed(rv):
            failed_before[v.name] = (args, _error_text(rv))
        else:
            seen_before[v.name] = (args, rv.value)
    env.restore(base)
    views = {v.name: _views(env, v, seen_before[v.name][0], base) for v in specs if v.name in seen_before}
    edges: list[dict[str, Any]] = []
    base_state = env.state()
    read_only: set[str] = set()
    runs = []  # (tool, result) for up to VARIANTS distinct successful argument draws per tool
    for u in specs:
        seen: list[dict[str, Any]] = []
        outcomes: set[bool] = set()
        for _ in range(VARIANTS):
            env.restore(base)
            args = _probe_args(env, u, rng)
            if args in seen:
                continue
            seen.append(args)
            ru = env.execute(ToolCall(u.name, args))
            outcomes.add(call_failed(ru))
            if not call_failed(ru):
                if env.state() == base_state:
                    read_only.add(u.name)
                runs.append((u, ru, env.snapshot()))
        if outcomes == {True, False}:
            edges.append(dict(u=u.name, kind="probe_picky",
                              reason=f"{u.name} accepted some of the values the state offers and refused others"))
    for u, ru, after in runs:
        env.restore(after)
        scalars_after = _scalars(env)
        raised = sorted(k for k, v in scalars_after.items() if v and not scalars_before.get(k, True))
        leaves = _leaves(ru.value)
        for v in specs:
            if v.name == u.name:
                continue
            for pname in v.properties:
                now = env.candidates(v.name, pname)
                if not now:
                    continue
                before = cands_before[(v.name, pname)]
                flow = next(((k, x) for k, x in leaves if x in now), None)
                if flow:
                    edges.append(dict(u=u.name, v=v.name, kind="param_flow", field=flow[0], param=pname,
                                      reason=f"{u.name} returned {flow[0]}={flow[1]!r}, a valid {pname} of {v.name}"))
                fresh = [c for c in now if c not in before]
                if fresh:
                    env.restore(after)
                    rv = env.execute(ToolCall(v.name, _probe_args(env, v, rng, {pname: fresh[0]})))
                    env.restore(after)
                    if not call_failed(rv):
                        # Only a required argument makes this a prerequisite; an optional one is a soft link.
                        hard = pname in v.required
                        edges.append(dict(u=u.name, v=v.name, kind="state", hard=hard, param=pname,
                                          condition={"type": "candidates", "param": pname} if hard else None,
                                          reason=f"{v.name}({pname}={fresh[0]!r}) works only after {u.name} "
                                                 f"made that value available"))
            if v.name in read_only and v.owner == u.owner and u.name not in read_only:
                for args, value in views.get(v.name, ()):
                    env.restore(after)
                    rv = env.execute(ToolCall(v.name, args))
                    env.restore(after)
                    if not call_failed(rv) and rv.value != value:
                        shown = f"({', '.join(f'{k}={x!r}' for k, x in args.items())})" if args else ""
                        edges.append(
                            dict(
                                u=u.name,
                                v=v.name,
                                kind="observe",
                                reason=f"{v.name}{shown} shows what {u.name} changed (same call, new output)",
                            )
                        )
                        break
            if v.name in failed_before:
                args, error = failed_before[v.name]
                env.restore(after)
                rv = env.execute(ToolCall(v.name, args))
                env.restore(after)
                failed = call_failed(rv)
                settled = _settled(scalars_before, scalars_after, v.owner)
                owner_flags = [a for c, a in raised if c == v.owner]
                now = _error_text(rv)
                # From an error about v's own arguments back to a state obstacle (a logout) is no progress.
                moved = (failed and _gist(now, args) != _gist(error, args) and v.owner == u.owner
                         and not (_about(error, args) and not _about(now, args)))
                if moved and owner_flags and _about(now, args) and not _about(error, args):
                    # The state obstacle is gone; what is left is about v's own arguments (a note that does not
                    # exist): u is a prerequisite through the flag it raised (a user logged in).
                    edges.append(dict(u=u.name, v=v.name, kind="state", hard=True,
                                      condition={"type": "truthy", "owner": v.owner, "attrs": owner_flags},
                                      reason=f"{u.name} set {', '.join(owner_flags)} and cleared {v.name}'s "
                                             f"{error[:60]!r}; its error is now about its own arguments "
                                             f"({now[:60]!r})"))
                elif moved:
                    # One obstacle of several (doors locked, then brake pressed) is a prerequisite of its own,
                    # once another tool is seen clearing the next obstacle: a logout also changes the error.
                    chain = _next_obstacle(env, specs, after, u, v, args, now, rng, failed_before,
                                           {x.name: [a for a, _ in views.get(x.name, ())] for x in specs
                                            if x.name in read_only and x.owner == v.owner})
                    hard = bool(settled and chain)
                    if (
                        not hard
                        and owner_flags
                        and _works_with_other_values(env, after, v, random.Random(f"{u.name}>{v.name}"))
                    ):
                        # What is refused now is the first draw's own value (a book with no copy left): with
                        # other values the state offers, v works behind the flag u raised.
                        edges.append(dict(u=u.name, v=v.name, kind="state", hard=True,
                                          condition={"type": "truthy", "owner": v.owner, "attrs": owner_flags},
                                          reason=f"{v.name} failed before {u.name} and worked after it set "
                                                 f"{', '.join(owner_flags)}, with other values the state offers"))
                    edges.append(
                        dict(
                            u=u.name,
                            v=v.name,
                            kind="state",
                            hard=hard,
                            condition={"type": "equals", "owner": v.owner, "values": settled} if hard else None,
                            reason=f"{u.name} removed one obstacle of {v.name}: its error went from "
                            f"{error[:60]!r} to {now[:60]!r}",
                        )
                    )
                    edges.extend(chain)
                elif not failed:
                    if owner_flags:
                        edges.append(dict(u=u.name, v=v.name, kind="state", hard=True,
                                          condition={"type": "truthy", "owner": v.owner, "attrs": owner_flags},
                                          reason=f"{v.name} failed before {u.name} and succeeded after it "
                                                 f"set {', '.join(owner_flags)}"))
                    elif settled:
                        edges.append(dict(u=u.name, v=v.name, kind="state", hard=True,
                                          condition={"type": "equals", "owner": v.owner, "values": settled},
                                          reason=f"{v.name} failed before {u.name} and succeeded after it set "
                                                 + ", ".join(f"{a}={x!r}" for a, x in settled.items())))
                    else:
                        edges.append(dict(u=u.name, v=v.name, kind="state",
                                          reason=f"{v.name} failed before {u.name} and succeeded after it"))
    env.restore(base)
    worked = env.worked
    for v in specs:  # per-tool outcome, so tools that never work (an API that always answers 404) can be flagged
        edges.append(dict(u=v.name, kind="probe_ok" if v.name in worked else "probe_failed",
                          reason=failed_before.get(v.name, ({}, ""))[1]))
    # Look before you act: a read-only tool taking the same arguments as a state-changing one
    # (get_flight_cost → book_flight, get_ticket → close_ticket).
    for u in specs:
        if u.name not in read_only or not u.required:
            continue
        for v in specs:
            if (
                v.owner == u.owner
                and v.name not in read_only
                and v.name != u.name
                and set(u.required) <= set(v.properties)
            ):
                edges.append(dict(u=u.name, v=v.name, kind="param_flow", param=",".join(u.required),
                                  reason=f"{u.name} inspects what {v.name} changes: same arguments "
                                         f"({', '.join(u.required)}), and {u.name} leaves the state unchanged"))
    # Same subject: a read-only tool and another tool of its class named after the same thing
    # (check_tire_pressure → find_nearest_tire_shop).
    # A view option names a subject too (displayCarStatus(option='doors') → lockDoors).
    for u in specs:
        if u.name not in read_only:
            continue
        subjects = [(u.name, tokens(u.name) - GENERIC - VERBS)]
        subjects += [(f"{u.name}({p}={x!r})", tokens(str(x)) - GENERIC - VERBS)
                     for p, values in _options(env, u).items() for x in values]
        for v in specs:
            if v.owner != u.owner or v.name == u.name:
                continue
            for view, subject in subjects:
                shared = subject & tokens(v.name)
                if shared:
                    edges.append(dict(u=u.name, v=v.name, kind="topic",
                                      reason=f"{view} looks at the {', '.join(sorted(shared))} that {v.name} is about"))
                    break
    return edges


OPTIONS = 12  # a parameter with at most this many valid values is a choice of view (displayCarStatus(option=…))


def _options(env: Environment, spec: ToolSpec) -> dict[str, list[Any]]:
    """Parameters of ``spec`` that pick one of a few views (an enum or a short candidate list), with their values."""
    out = {}
    for pname, schema in spec.properties.items():
        values = schema.get("enum") or env.candidates(spec.name, pname)
        if 1 < len(values) <= OPTIONS and all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in values):
            out[pname] = list(values)
    return out


def _views(env: Environment, spec: ToolSpec, args: dict[str, Any], base: Any) -> list[tuple[dict[str, Any], Any]]:
    """What ``spec`` shows in the base state: the probe's call, plus one call per option of each view parameter,
    so a change is seen whichever part of the state it touched (the fuel, the doors or the engine)."""
    calls = [args] + [{**args, p: x} for p, values in _options(env, spec).items() for x in values if args.get(p) != x]
    out = []
    for call in calls:
        env.restore(base)
        result = env.execute(ToolCall(spec.name, call))
        if not call_failed(result):
            out.append((call, result.value))
    env.restore(base)
    return out


def _observers(env: Environment, u: ToolSpec, viewers: dict[str, list[dict[str, Any]]],
               before: Any, after: Any) -> list[dict[str, Any]]:
    """``u → x`` (observe) for each read-only ``x`` of u's class whose same call shows something else after ``u``."""
    edges = []
    for x, calls in viewers.items():
        if x == u.name:
            continue
        for args in calls:
            shown = []
            for snap in (before, after):
                env.restore(snap)
                result = env.execute(ToolCall(x, args))
                shown.append(None if call_failed(result) else result.value)
            if None not in shown and shown[0] != shown[1]:
                edges.append(dict(u=u.name, v=x, kind="observe",
                                  reason=f"{x}({', '.join(f'{k}={a!r}' for k, a in args.items())}) shows what "
                                         f"{u.name} changed (same call, new output)"))
                break
    env.restore(after)
    return edges


def _next_obstacle(env: Environment, specs: list[ToolSpec], after: Any, u: ToolSpec, v: ToolSpec,
                   args: dict[str, Any], error: str, rng: random.Random,
                   failed_before: dict[str, tuple[dict[str, Any], str]],
                   viewers: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """After ``u`` cleared one obstacle of ``v``, find the tools that clear the next one (lockDoors, then
    pressBrakePedal, then startEngine): each gives ``u → w`` and ``w → v``. When ``v`` then succeeds, the
    tools that failed from the start and work now depend on ``v`` (startEngine → setCruiseControl), and the
    read-only ``viewers`` (tool → argument sets) whose output ``v`` changed observe it."""
    edges: list[dict[str, Any]] = []
    for w in specs:
        if w.name in (u.name, v.name) or w.owner != v.owner:
            continue
        env.restore(after)
        if call_failed(env.execute(ToolCall(w.name, _probe_args(env, w, rng)))):
            continue
        before_v = _scalars(env)
        pre_v = env.snapshot()
        rv = env.execute(ToolCall(v.name, args))
        # Progress is a success or a *new* obstacle; going back to the first one (logout) is not.
        if call_failed(rv) and _gist(_error_text(rv), args) in (_gist(error, args),
                                                                 _gist(failed_before[v.name][1], args)):
            continue
        edges.append(dict(u=w.name, v=v.name, kind="state",
                          reason=f"after {u.name}, {w.name} cleared the next obstacle of {v.name} ({error[:60]!r})"))
        edges.append(dict(u=u.name, v=w.name, kind="state",
                          reason=f"{u.name} then {w.name} clear {v.name}'s obstacles in that order"))
        if call_failed(rv):
            continue
        settled = _settled(before_v, _scalars(env), v.owner)
        reached = env.snapshot()
        edges.extend(_observers(env, v, viewers, pre_v, reached))
        for x in specs:
            if x.name not in failed_before or x.name in (u.name, v.name, w.name) or x.owner != v.owner:
                continue
            env.restore(reached)
            if not call_failed(env.execute(ToolCall(x.name, failed_before[x.name][0]))):
                edges.append(
                    dict(
                        u=v.name,
                        v=x.name,
                        kind="state",
                        hard=bool(settled),
                        condition={"type": "equals", "owner": v.owner, "values": settled} if settled else None,
                        reason=f"{x.name} failed until {v.name} succeeded (after {u.name} and {w.name})",
                    )
                )
    env.restore(after)
    return edges


# -- obstacles: which error of v a tool clears (and with which arguments), and errors no tool clears --------------

def error_gist(result: CallResult) -> str:
    """The first phrase of a failed call's error: what ``clears`` and ``blocked_when`` name ('Market is closed')."""
    return _gist(_error_text(result), result.call.arguments)


CONTRAST_SEEDS = tuple(range(24))  # states for the obstacle contrast: it needs states where each tool works too


def _status(env: Environment, owner: str) -> dict[str, Any]:
    """The owner's status words, flags and ``None``s (public attributes): what a blocking condition may name.
    Levels and counters (fuel, an order counter) are left out: one probe's number is no condition."""
    return {a: v for (c, a), v in _scalars(env).items()
            if c == owner and (v is None or isinstance(v, bool) or (isinstance(v, str) and len(v) <= 40))}


def _scalar_args(spec: ToolSpec, args: dict[str, Any]) -> dict[str, Any]:
    """The arguments that are settings, not entities: booleans, numbers not named as ids, enum words."""
    out = {}
    for p, v in args.items():
        schema = spec.properties.get(p) or {}
        if isinstance(v, bool) or (isinstance(v, (int, float)) and "id" not in tokens(p)) \
                or (isinstance(v, str) and v in (schema.get("enum") or ())):
            out[p] = v
    return out


def probe_obstacles(env: Environment, *, seed: int = 0, depth: int = 2) -> list[dict[str, Any]]:
    """From the env's current state, call each tool ``v`` (a few argument draws); when it fails, call each other
    tool ``w`` of its class and then ``v`` again with the same arguments (or, when its error moved on, with its
    other draws), up to ``depth`` tools deep while ``v``'s error keeps changing.

    Returns one ``obstacle_path`` record per path tried: the tools called before ``v`` (with their setting-like
    arguments), ``v``'s error gist after each of them (``None``: it worked) and the owner's status words there;
    and a ``status_moved`` record for each call that changed a status word (so it is no fixed condition).
    :func:`annotate_obstacles` turns many such paths (over many states) into ``clears``/``enabling_args`` on
    edges and ``blocked_when`` on nodes. The state is restored afterwards.
    """
    rng = random.Random(seed)
    specs = env.tools()
    base = env.snapshot()
    records: list[dict[str, Any]] = []

    def attempt(v: ToolSpec, args: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        status = _status(env, v.owner)
        result = env.execute(ToolCall(v.name, args))
        return (None if not call_failed(result) else error_gist(result)), status

    def extend(v: ToolSpec, args: dict[str, Any], draws: list[dict[str, Any]], snapshot: Any, steps: list,
               gists: list, statuses: list) -> None:
        for w in specs:
            if w.owner != v.owner or w.name == v.name or any(w.name == s[0] for s in steps):
                continue
            env.restore(snapshot)
            w_args = _probe_args(env, w, rng)
            w_failed = call_failed(env.execute(ToolCall(w.name, w_args)))
            moved = sorted(a for a, x in _status(env, v.owner).items() if statuses[-1].get(a, x) != x)
            if moved:  # what a tool can change (even when it refuses the call) is no fixed state
                records.append(dict(u=w.name, kind="status_moved", owner=w.owner, attrs=moved, reason=""))
            if w_failed:
                continue
            after_w = env.snapshot()
            gist, status = attempt(v, args)
            path_steps = steps + [(w.name, _scalar_args(w, w_args))]
            records.append(dict(u=v.name, kind="obstacle_path", steps=path_steps, gists=gists + [gist],
                                status=statuses + [status], reason=""))
            if gist is None or gist in gists:
                continue
            # The error moved on; it may be about v's own arguments (ignitionMode='STOP'): try v's other draws.
            for other in draws:
                env.restore(after_w)
                if other is not args and attempt(v, other)[0] is None:
                    records.append(dict(u=v.name, kind="obstacle_path", steps=path_steps, gists=gists + [gist, None],
                                        status=statuses + [status, status], reason=""))
                    break
            else:
                # Keep going only while the error moves on to one not seen on this path (no going back: a logout).
                if len(path_steps) < depth:
                    extend(v, args, draws, after_w, path_steps, gists + [gist], statuses + [status])

    for v in specs:
        env.restore(base)
        draws: list[dict[str, Any]] = []
        for _ in range(VARIANTS):  # an enum drawn wrong (ignitionMode='STOP') hides every other obstacle
            args = _probe_args(env, v, rng)
            if args not in draws:
                draws.append(args)
        for args in draws:
            env.restore(base)
            gist, status = attempt(v, args)
            records.append(dict(u=v.name, kind="obstacle_path", steps=[], gists=[gist], status=[status], reason=""))
            if gist is not None:
                extend(v, args, draws, base, [], [gist], [status])
    env.restore(base)
    return records


def _contrast(blocked: list[dict[str, Any]], worked: list[dict[str, Any]]) -> dict[str, Any]:
    """Attributes with one value in every blocked state and never that value where the tool worked."""
    if not blocked or not worked:
        return {}
    first = blocked[0]
    return {a: x for a, x in sorted(first.items())
            if all(s.get(a, x) == x and a in s for s in blocked) and all(s.get(a) != x for s in worked)}


def annotate_obstacles(g: nx.DiGraph, paths: Iterable[dict[str, Any]]) -> None:
    """Turn obstacle paths (from :func:`probe_obstacles`, over many states) into readable graph attributes.

    * edge ``w → v``: ``clears`` (the error gists of ``v`` that ``w`` removed on a path that ended with ``v``
      working) and ``enabling_args`` (``w``'s setting-like arguments, where every such path agreed);
    * node ``v``: ``blocked_when``, one ``{gist, owner, values, reason}`` per error of ``v`` that no tool was
      seen clearing, with the status values shared by every state that error was seen in, never seen where
      ``v`` worked (contrast over the probe states), and never changed by any probed call.

    Only attributes of existing edges and nodes change; no edge is added or removed.
    """
    by_tool: dict[str, list[dict[str, Any]]] = {}
    movable: set[tuple[str, str]] = set()
    for p in paths:
        if p["kind"] == "status_moved":
            movable.update((p["owner"], a) for a in p["attrs"])
        elif p["u"] in g:
            by_tool.setdefault(p["u"], []).append(p)
    for v, tool_paths in sorted(by_tool.items()):
        cleared: set[str] = set()
        clears: dict[str, set[str]] = {}
        args_seen: dict[str, list[dict[str, Any]]] = {}
        worked = [p["status"][-1] for p in tool_paths if p["gists"][-1] is None]
        for p in tool_paths:
            if p["gists"][-1] is not None:
                # An error that only moves (a logout turns 'market closed' into 'not logged in') is no clearing.
                continue
            for (w, w_args), before, after in zip(p["steps"], p["gists"], p["gists"][1:]):
                if before is not None and before != after:
                    cleared.add(before)
                    clears.setdefault(w, set()).add(before)
                    args_seen.setdefault(w, []).append(w_args)
        for w, gists in clears.items():
            if not g.has_edge(w, v):
                continue
            common = {a: x for a, x in args_seen[w][0].items() if all(d.get(a, object()) == x for d in args_seen[w])}
            data = g.edges[w, v]
            data["clears"] = sorted(gists)
            if common:
                data["enabling_args"] = common
            shown = ", ".join(f"{a}={x!r}" for a, x in common.items())
            data["reason"] += (f"; {w}{'(' + shown + ')' if shown else ''} cleared {v}'s error "
                               + " / ".join(repr(x) for x in sorted(gists)) + " in probes")
        owner = g.nodes[v].get("owner", "")
        blocked: dict[str, list[dict[str, Any]]] = {}
        for p in tool_paths:
            for gist, status in zip(p["gists"], p["status"]):
                if gist is not None and gist not in cleared:
                    blocked.setdefault(gist, []).append(status)
        conditions = []
        for gist, states in sorted(blocked.items()):
            # Only values no tool was seen changing: a stopped engine can be started, a closed market not opened.
            values = {a: x for a, x in _contrast(states, worked).items() if (owner, a) not in movable}
            if values:
                shown = ", ".join(f"{a}={x!r}" for a, x in values.items())
                conditions.append(dict(gist=gist, owner=owner, values=values,
                                       reason=f"{v} blocked: {gist!r} and no tool was seen clearing it ({shown}); "
                                              f"seen {len(states)}× in probes, never where {v} worked "
                                              f"({len(worked)}×)"))
        if conditions:
            g.nodes[v]["blocked_when"] = conditions
        elif "blocked_when" in g.nodes[v]:
            del g.nodes[v]["blocked_when"]


# Per-tool probe outcomes, counted on the tool's node: it worked; it never worked; it accepted some of the state's
# values and refused others in one state (``picky``: the sampler tries such a call on a copy first).
_NODE_COUNTS = {"probe_ok": "probe_successes", "probe_failed": "probe_failures", "probe_picky": "picky"}


def _apply(g: nx.DiGraph, edges: Iterable[dict[str, Any]], trace: GraphTrace) -> None:
    for e in edges:
        if e["kind"] in _NODE_COUNTS:
            if e["u"] in g:
                node = g.nodes[e["u"]]
                key = _NODE_COUNTS[e["kind"]]
                node[key] = node.get(key, 0) + 1
                if e["reason"] and e["kind"] == "probe_failed":
                    node["probe_error"] = e["reason"]
            continue
        if e["u"] not in g or e["v"] not in g:
            continue
        extra = {k: v for k, v in e.items() if k not in ("u", "v", "kind", "reason", "hard", "condition")}
        add_edge(g, e["u"], e["v"], kind=e["kind"], reason=e["reason"], hard=e.get("hard", False),
                 condition=e.get("condition"), **extra)
        trace.evidence.append(e)


def mark_broken(g: nx.DiGraph) -> list[str]:
    """Flag tools that take no arguments and failed in every probe state (node attribute ``broken`` says why).

    With arguments, a probe's naive values could be to blame; with none, the tool itself is (an API that
    always answers 404)."""
    broken = []
    for name, node in g.nodes(data=True):
        if not node.get("required") and node.get("probe_failures") and not node.get("probe_successes"):
            node["broken"] = f"failed in all {node['probe_failures']} probes: {node.get('probe_error', '')[:120]}"
            broken.append(name)
    return broken


def flag_states(env: Environment, *, seed: int = 0) -> list[Environment]:
    """Copies of ``env`` after each tool that raises a flag of its class (a login sets ``current_user``), so the
    probes also see what only works behind it (create a note, then read it) when ``env`` starts logged out."""
    rng = random.Random(seed)
    before = _scalars(env)
    out = []
    for spec in env.tools():
        state = env.copy()
        if call_failed(state.execute(ToolCall(spec.name, _probe_args(state, spec, rng)))):
            continue
        if any(v and not before.get(k, True) and k[0] == spec.owner for k, v in _scalars(state).items()):
            out.append(state)
    return out


def build_graph(
    specs: Iterable[ToolSpec],
    *,
    probe_envs: Iterable[Environment] = (),
    overlay: Any = None,
    seed: int = 0,
    max_density: float = 0.2,
    probe_call_timeout_s: float = PROBE_CALL_TIMEOUT_S,
    probe_timeout_s: float = PROBE_TIMEOUT_S,
) -> StepResult[nx.DiGraph]:
    """G from the specs (name flow), execution probes in each of ``probe_envs``, then the manual overlay.

    A probe call that does not return within ``probe_call_timeout_s`` raises a GraphError naming the tool; past
    ``probe_timeout_s`` in all, probing stops and ``trace.seconds["probe_cut"]`` says when.
    """
    from fr_core.graph.overlay import apply_overlay

    trace = GraphTrace()
    t0 = time.perf_counter()
    specs = list(specs)
    g = new_graph(specs)
    _apply(g, name_flow_edges(specs), trace)
    trace.seconds["name_flow"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    paths = []
    until = time.monotonic() + probe_timeout_s
    try:
        for i, env in enumerate(probe_envs):
            env = TimedEnvironment(env, probe_call_timeout_s, until)
            for j, state in enumerate([env, *flag_states(env, seed=seed + i)]):
                _apply(g, probe_edges(state, seed=seed + i + j), trace)
                paths.extend(probe_obstacles(state, seed=seed + i + j))
    except ProbeBudgetSpent:
        trace.seconds["probe_cut"] = probe_timeout_s
    trace.seconds["probe"] = time.perf_counter() - t1
    mark_broken(g)
    trace.dropped = prune_to_density(g, max_density)
    if overlay is not None:
        trace.evidence.extend(apply_overlay(g, overlay))
    annotate_obstacles(g, paths)
    trace.seconds["total"] = time.perf_counter() - t0
    return StepResult(g, trace)


PROBE_SEEDS = tuple(range(6))  # several generated states: some logged in, some not
EDGE_PROBES: dict[str, Any] = {"seeds": PROBE_SEEDS}
OBSTACLE_PROBES: dict[str, Any] = {"seeds": CONTRAST_SEEDS, "depth": 2}


def _probe_class_edges(cls: str) -> tuple[dict[str, Any], ...]:
    from fr_core.envs.bfcl import make_bfcl_env
    from fr_core.envs.bfcl.states import generate_initial_config

    edges: list[dict[str, Any]] = []
    for seed in EDGE_PROBES["seeds"]:
        env = make_bfcl_env([cls], generate_initial_config([cls], seed))
        edges.extend(probe_edges(env, seed=seed))
    return tuple(edges)


def _probe_class_obstacles(cls: str) -> tuple[dict[str, Any], ...]:
    """Obstacle paths over more generated states than the edge probes: the contrast needs states where each
    tool works (the six edge-probe states of TradingBot, for one, all have a closed market)."""
    from fr_core.envs.bfcl import make_bfcl_env
    from fr_core.envs.bfcl.states import generate_initial_config

    paths: list[dict[str, Any]] = []
    for seed in OBSTACLE_PROBES["seeds"]:
        env = make_bfcl_env([cls], generate_initial_config([cls], seed))
        paths.extend(probe_obstacles(env, seed=seed, depth=OBSTACLE_PROBES["depth"]))
    return tuple(paths)


@lru_cache(maxsize=64)
def _bfcl_class_edges(cls: str) -> tuple[dict[str, Any], ...]:
    return cached("edges", cls, EDGE_PROBES, lambda: _probe_class_edges(cls))


@lru_cache(maxsize=64)
def _bfcl_class_obstacles(cls: str) -> tuple[dict[str, Any], ...]:
    return cached("obstacles", cls, OBSTACLE_PROBES, lambda: _probe_class_obstacles(cls))


def _warm_class(cls: str) -> str:
    _bfcl_class_edges(cls)
    _bfcl_class_obstacles(cls)
    return cls


def warm_bfcl_graphs(classes: Iterable[str], jobs: int | None = None) -> list[str]:
    """Probe the BFCL classes whose results are not in the graph cache yet, up to ``jobs`` classes at once in
    separate processes (default: one per core), so every later ``bfcl_graph`` reads them; returns those probed."""
    from fr_core.envs.bfcl import bfcl_tool_specs

    classes = list(dict.fromkeys(classes))
    for c in classes:
        bfcl_tool_specs(c)  # an unknown name fails here, before any process starts
    todo = [
        c for c in classes if not (is_cached("edges", c, EDGE_PROBES) and is_cached("obstacles", c, OBSTACLE_PROBES))
    ]
    jobs = min(len(todo), jobs or os.cpu_count() or 1)
    if jobs <= 1:
        return [_warm_class(c) for c in todo]
    # fork is the cheapest start (nothing to re-import) but unsafe in a process that already runs other threads
    method = "fork" if threading.active_count() == 1 and "fork" in mp.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context(method)) as pool:
        return list(pool.map(_warm_class, todo))


def bfcl_graph(classes: Iterable[str] | str, *, overlay: Any = "default",
               max_density: float = 0.2) -> StepResult[nx.DiGraph]:
    """G for a combination of BFCL classes: per-class probes on our generated states (cached), cross-class
    name flow, and the shipped manual overlay (``overlay=None`` to leave it out)."""
    from fr_core.envs.bfcl import bfcl_tool_specs
    from fr_core.graph.overlay import default_overlay

    classes = [classes] if isinstance(classes, str) else list(classes)
    specs = [s for c in classes for s in bfcl_tool_specs(c)]
    trace = GraphTrace()
    t0 = time.perf_counter()
    g = new_graph(specs)
    _apply(g, name_flow_edges(specs), trace)
    for c in classes:
        _apply(g, _bfcl_class_edges(c), trace)
    mark_broken(g)
    trace.dropped = prune_to_density(g, max_density)
    if overlay is not None:
        from fr_core.graph.overlay import apply_overlay

        trace.evidence.extend(apply_overlay(g, default_overlay() if overlay == "default" else overlay))
    annotate_obstacles(g, [p for c in classes for p in _bfcl_class_obstacles(c)])
    trace.seconds["total"] = time.perf_counter() - t0
    return StepResult(g, trace)


def _distinct_states(spec: str, seeds: Iterable[int], size: str) -> list[Environment]:
    """The environment of ``spec`` in the state each seed makes, each distinct state once (a class without its
    own state generator has one state whatever the seed)."""
    from fr_core.envs.factory import make_env

    envs: list[Environment] = []
    seen: list[Any] = []
    for seed in seeds:
        env = make_env(spec, seed=seed, size=size)
        state = env.state()
        if state not in seen:
            seen.append(state)
            envs.append(env)
    return envs


def spec_graph(spec: str, *, seed: int = 0, size: str = "medium", probe_call_timeout_s: float = PROBE_CALL_TIMEOUT_S,
               probe_timeout_s: float = PROBE_TIMEOUT_S) -> StepResult[nx.DiGraph]:
    """G for an environment spec (see :func:`fr_core.envs.make_env`): the cached graph of BFCL classes, else name
    flow plus probes on the distinct states the environment makes for :data:`PROBE_SEEDS` (after ``seed``)."""
    from fr_core.envs.bfcl import BFCL_CLASSES

    names = [n.strip() for n in spec.split("+")]
    if all(n in BFCL_CLASSES for n in names):
        return bfcl_graph(names)
    envs = _distinct_states(spec, (seed + s for s in PROBE_SEEDS), size)
    return build_graph(envs[0].tools(), probe_envs=envs, seed=seed, probe_call_timeout_s=probe_call_timeout_s,
                       probe_timeout_s=probe_timeout_s)
