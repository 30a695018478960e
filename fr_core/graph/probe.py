"""Edge evidence found by execution: call each tool in the env's state, then each other tool after it, and record
what the first call changed for the second (a value it returned or made available, an output it changed, an
error it cleared or moved on); plus per-tool outcomes and the read-only tools that look before another acts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from fr_core.envs.base import Environment, call_failed
from fr_core.graph.evidence import (EdgeEvidence, FlowEdge, ObserveEdge, ProbeEvidence, ProbeOutcome, StateEdge,
                                    TopicEdge)
from fr_core.graph.flow import GENERIC, VERBS, tokens
from fr_core.graph.gist import error_text, gist, names_own_argument
from fr_core.graph.probing import (VARIANTS, Recording, leaves, options, probe_args, scalars, settled, views,
                                   works_with_other_values)
from fr_core.types import CallResult, ToolCall, ToolSpec

__all__ = ["probe_edges"]


@dataclass
class _Baseline:
    """What the probes saw in the env's starting state, shared by every detector."""

    env: Recording
    rng: random.Random
    specs: list[ToolSpec]
    base: Any
    scalars: dict[tuple[str, str], Any]
    candidates: dict[tuple[str, str], list[Any]]
    failed: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)  # tool → (args, error)
    views: dict[str, list[tuple[dict[str, Any], Any]]] = field(default_factory=dict)  # tool → (args, output)
    read_only: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Run:
    """One successful call of ``tool`` from the base state, and the state it left."""

    tool: ToolSpec
    result: CallResult
    after: Any


def _baseline(env: Recording, rng: random.Random) -> _Baseline:
    """Each tool called once in the base state: its error when it failed, what it shows when it worked."""
    specs = env.tools()
    b = _Baseline(env, rng, specs, env.snapshot(), scalars(env),
                  {(s.name, p): list(env.candidates(s.name, p)) for s in specs for p in s.properties})
    seen: dict[str, dict[str, Any]] = {}
    for v in specs:
        env.restore(b.base)
        args = probe_args(env, v, rng)
        rv = env.execute(ToolCall(v.name, args))
        if call_failed(rv):
            b.failed[v.name] = (args, error_text(rv))
        else:
            seen[v.name] = args
    env.restore(b.base)
    b.views = {v.name: views(env, v, seen[v.name], b.base) for v in specs if v.name in seen}
    return b


def _successful_runs(b: _Baseline) -> tuple[list[_Run], list[ProbeOutcome]]:
    """Up to VARIANTS distinct successful argument draws per tool (noting the read-only ones), and the ``picky``
    tools that accepted some of the state's values and refused others."""
    env = b.env
    base_state = env.state()
    runs: list[_Run] = []
    picky: list[ProbeOutcome] = []
    for u in b.specs:
        seen: list[dict[str, Any]] = []
        outcomes: set[bool] = set()
        for _ in range(VARIANTS):
            env.restore(b.base)
            args = probe_args(env, u, b.rng)
            if args in seen:
                continue
            seen.append(args)
            ru = env.execute(ToolCall(u.name, args))
            outcomes.add(call_failed(ru))
            if not call_failed(ru):
                if env.state() == base_state:
                    b.read_only.add(u.name)
                runs.append(_Run(u, ru, env.snapshot()))
        if outcomes == {True, False}:
            picky.append(ProbeOutcome(tool=u.name, outcome="picky", reason=f"{u.name} accepted some of the values "
                                                                           "the state offers and refused others"))
    return runs, picky


def _returned_value(run: _Run, returned: list[tuple[str, Any]], v: ToolSpec, pname: str,
                    now: list[Any]) -> FlowEdge | None:
    """``u`` returned a value that is a valid ``pname`` of ``v`` in the state it left."""
    flow = next(((k, x) for k, x in returned if x in now), None)
    if flow is None:
        return None
    u = run.tool.name
    return FlowEdge(u=u, v=v.name, field=flow[0], param=pname,
                    reason=f"{u} returned {flow[0]}={flow[1]!r}, a valid {pname} of {v.name}")


def _made_available(b: _Baseline, run: _Run, v: ToolSpec, pname: str, now: list[Any]) -> StateEdge | None:
    """``v`` works with a value of ``pname`` that only exists after ``u`` (a folder entered, a file created)."""
    fresh = [c for c in now if c not in b.candidates[(v.name, pname)]]
    if not fresh:
        return None
    env = b.env
    env.restore(run.after)
    rv = env.execute(ToolCall(v.name, probe_args(env, v, b.rng, {pname: fresh[0]})))
    env.restore(run.after)
    if call_failed(rv):
        return None
    # Only a required argument makes this a prerequisite; an optional one is a soft link.
    hard = pname in v.required
    return StateEdge(u=run.tool.name, v=v.name, hard=hard, param=pname,
                     condition={"type": "candidates", "param": pname, "offers": list(env.offer_key(v.name, pname))}
                     if hard else None,
                     reason=f"{v.name}({pname}={fresh[0]!r}) works only after {run.tool.name} "
                            f"made that value available")


def _observed(b: _Baseline, run: _Run, v: ToolSpec) -> ObserveEdge | None:
    """Read-only ``v`` of u's class shows something else after state-changing ``u`` (same call, new output)."""
    u = run.tool
    if not (v.name in b.read_only and v.owner == u.owner and u.name not in b.read_only):
        return None
    env = b.env
    for args, value in b.views.get(v.name, ()):
        env.restore(run.after)
        rv = env.execute(ToolCall(v.name, args))
        env.restore(run.after)
        if not call_failed(rv) and rv.value != value:
            shown = f"({', '.join(f'{k}={x!r}' for k, x in args.items())})" if args else ""
            return ObserveEdge(u=u.name, v=v.name,
                               reason=f"{v.name}{shown} shows what {u.name} changed (same call, new output)")
    return None


def _truthy(u: str, v: ToolSpec, flags: list[str], reason: str) -> StateEdge:
    return StateEdge(u=u, v=v.name, hard=True, condition={"type": "truthy", "owner": v.owner, "attrs": flags},
                     reason=reason)


def _cleared(b: _Baseline, run: _Run, v: ToolSpec, scalars_after: dict[tuple[str, str], Any],
             raised: list[tuple[str, str]]) -> list[EdgeEvidence]:
    """What ``u`` did to the failure ``v`` met in the base state: cleared it (``v`` works now), or moved it on to
    another error (one obstacle of several, or only ``v``'s own arguments left)."""
    env, u = b.env, run.tool
    args, error = b.failed[v.name]
    env.restore(run.after)
    rv = env.execute(ToolCall(v.name, args))
    env.restore(run.after)
    failed = call_failed(rv)
    values = settled(b.scalars, scalars_after, v.owner)
    owner_flags = [a for c, a in raised if c == v.owner]
    now = error_text(rv)
    # From an error about v's own arguments back to a state obstacle (a logout) is no progress.
    moved = (failed and gist(now, args) != gist(error, args) and v.owner == u.owner
             and not (names_own_argument(error, args) and not names_own_argument(now, args)))
    if moved and owner_flags and names_own_argument(now, args) and not names_own_argument(error, args):
        # The state obstacle is gone; what is left is about v's own arguments (a note that does not
        # exist): u is a prerequisite through the flag it raised (a user logged in).
        return [_truthy(u.name, v, owner_flags,
                        f"{u.name} set {', '.join(owner_flags)} and cleared {v.name}'s {error[:60]!r}; its error "
                        f"is now about its own arguments ({now[:60]!r})")]
    if moved:
        return _moved_on(b, run, v, args, error, now, values, owner_flags)
    if failed:
        return []
    if owner_flags:
        return [_truthy(u.name, v, owner_flags, f"{v.name} failed before {u.name} and succeeded after it "
                                                f"set {', '.join(owner_flags)}")]
    if values:
        return [StateEdge(u=u.name, v=v.name, hard=True,
                          condition={"type": "equals", "owner": v.owner, "values": values},
                          reason=f"{v.name} failed before {u.name} and succeeded after it set "
                                 + ", ".join(f"{a}={x!r}" for a, x in values.items()))]
    return [StateEdge(u=u.name, v=v.name, reason=f"{v.name} failed before {u.name} and succeeded after it")]


def _moved_on(b: _Baseline, run: _Run, v: ToolSpec, args: dict[str, Any], error: str, now: str,
              values: dict[str, Any], owner_flags: list[str]) -> list[EdgeEvidence]:
    """``u`` removed one obstacle of ``v`` of several (doors locked, then brake pressed): a prerequisite of its own
    once another tool is seen clearing the next obstacle (a logout also changes the error)."""
    u = run.tool
    viewers = {x.name: [a for a, _ in b.views.get(x.name, ())] for x in b.specs
               if x.name in b.read_only and x.owner == v.owner}
    chain = _next_obstacle(b.env, b.specs, run.after, u, v, args, now, b.rng, b.failed, viewers)
    hard = bool(values and chain)
    edges: list[EdgeEvidence] = []
    if not hard and owner_flags and works_with_other_values(b.env, run.after, v, random.Random(f"{u.name}>{v.name}")):
        # What is refused now is the first draw's own value (a book with no copy left): with
        # other values the state offers, v works behind the flag u raised.
        edges.append(_truthy(u.name, v, owner_flags, f"{v.name} failed before {u.name} and worked after it set "
                                                     f"{', '.join(owner_flags)}, with other values the state offers"))
    edges.append(StateEdge(u=u.name, v=v.name, hard=hard,
                           condition={"type": "equals", "owner": v.owner, "values": values} if hard else None,
                           reason=f"{u.name} removed one obstacle of {v.name}: its error went from "
                                  f"{error[:60]!r} to {now[:60]!r}"))
    edges.extend(chain)
    return edges


def _observers(env: Environment, u: ToolSpec, viewers: dict[str, list[dict[str, Any]]],
               before: Any, after: Any) -> list[ObserveEdge]:
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
                edges.append(ObserveEdge(u=u.name, v=x,
                                         reason=f"{x}({', '.join(f'{k}={a!r}' for k, a in args.items())}) shows "
                                                f"what {u.name} changed (same call, new output)"))
                break
    env.restore(after)
    return edges


def _next_obstacle(env: Environment, specs: list[ToolSpec], after: Any, u: ToolSpec, v: ToolSpec,
                   args: dict[str, Any], error: str, rng: random.Random,
                   failed_before: dict[str, tuple[dict[str, Any], str]],
                   viewers: dict[str, list[dict[str, Any]]]) -> list[EdgeEvidence]:
    """After ``u`` cleared one obstacle of ``v``, find the tools that clear the next one (lockDoors, then
    pressBrakePedal, then startEngine): each gives ``u → w`` and ``w → v``. When ``v`` then succeeds, the
    tools that failed from the start and work now depend on ``v`` (startEngine → setCruiseControl), and the
    read-only ``viewers`` (tool → argument sets) whose output ``v`` changed observe it."""
    edges: list[EdgeEvidence] = []
    for w in specs:
        if w.name in (u.name, v.name) or w.owner != v.owner:
            continue
        env.restore(after)
        if call_failed(env.execute(ToolCall(w.name, probe_args(env, w, rng)))):
            continue
        before_v = scalars(env)
        pre_v = env.snapshot()
        rv = env.execute(ToolCall(v.name, args))
        # Progress is a success or a *new* obstacle; going back to the first one (logout) is not.
        if call_failed(rv) and gist(error_text(rv), args) in (gist(error, args), gist(failed_before[v.name][1], args)):
            continue
        edges.append(StateEdge(u=w.name, v=v.name, reason=f"after {u.name}, {w.name} cleared the next obstacle of "
                                                          f"{v.name} ({error[:60]!r})"))
        edges.append(StateEdge(u=u.name, v=w.name, reason=f"{u.name} then {w.name} clear {v.name}'s obstacles in "
                                                          "that order"))
        if call_failed(rv):
            continue
        values = settled(before_v, scalars(env), v.owner)
        reached = env.snapshot()
        edges.extend(_observers(env, v, viewers, pre_v, reached))
        for x in specs:
            if x.name not in failed_before or x.name in (u.name, v.name, w.name) or x.owner != v.owner:
                continue
            env.restore(reached)
            if not call_failed(env.execute(ToolCall(x.name, failed_before[x.name][0]))):
                edges.append(StateEdge(u=v.name, v=x.name, hard=bool(values),
                                       condition={"type": "equals", "owner": v.owner, "values": values}
                                       if values else None,
                                       reason=f"{x.name} failed until {v.name} succeeded (after {u.name} and "
                                              f"{w.name})"))
    env.restore(after)
    return edges


def _after_run(b: _Baseline, run: _Run) -> list[EdgeEvidence]:
    """Every other tool ``v`` in the state one successful call of ``u`` left: what ``u`` did for it."""
    env, u = b.env, run.tool
    env.restore(run.after)
    scalars_after = scalars(env)
    raised = sorted(k for k, x in scalars_after.items() if x and not b.scalars.get(k, True))
    returned = leaves(run.result.value)
    edges: list[EdgeEvidence] = []
    for v in b.specs:
        if v.name == u.name:
            continue
        for pname in v.properties:
            now = env.candidates(v.name, pname)
            if not now:
                continue
            for edge in (_returned_value(run, returned, v, pname, now), _made_available(b, run, v, pname, now)):
                if edge is not None:
                    edges.append(edge)
        if (seen := _observed(b, run, v)) is not None:
            edges.append(seen)
        if v.name in b.failed:
            edges.extend(_cleared(b, run, v, scalars_after, raised))
    return edges


def _outcomes(b: _Baseline) -> list[ProbeOutcome]:
    """Per tool: it worked in some probe, or never (so tools that always fail, an API answering 404, are flagged)."""
    return [ProbeOutcome(tool=v.name, outcome="ok" if v.name in b.env.worked else "failed",
                         reason=b.failed.get(v.name, ({}, ""))[1]) for v in b.specs]


def _looks_before_acting(b: _Baseline) -> list[FlowEdge]:
    """A read-only tool taking the same arguments as a state-changing one (get_flight_cost → book_flight,
    get_ticket → close_ticket)."""
    edges = []
    for u in b.specs:
        if u.name not in b.read_only or not u.required:
            continue
        for v in b.specs:
            if (
                v.owner == u.owner
                and v.name not in b.read_only
                and v.name != u.name
                and set(u.required) <= set(v.properties)
            ):
                edges.append(FlowEdge(u=u.name, v=v.name, param=",".join(u.required),
                                      reason=f"{u.name} inspects what {v.name} changes: same arguments "
                                             f"({', '.join(u.required)}), and {u.name} leaves the state unchanged"))
    return edges


def _same_topic(b: _Baseline) -> list[TopicEdge]:
    """A read-only tool and another tool of its class named after the same thing (check_tire_pressure →
    find_nearest_tire_shop); a view option names a subject too (displayCarStatus(option='doors') → lockDoors)."""
    edges = []
    for u in b.specs:
        if u.name not in b.read_only:
            continue
        subjects = [(u.name, tokens(u.name) - GENERIC - VERBS)]
        subjects += [(f"{u.name}({p}={x!r})", tokens(str(x)) - GENERIC - VERBS)
                     for p, values in options(b.env, u).items() for x in values]
        for v in b.specs:
            if v.owner != u.owner or v.name == u.name:
                continue
            for view, subject in subjects:
                shared = subject & tokens(v.name)
                if shared:
                    about = ", ".join(sorted(shared))
                    edges.append(TopicEdge(u=u.name, v=v.name,
                                           reason=f"{view} looks at the {about} that {v.name} is about"))
                    break
    return edges


def probe_edges(env: Environment, *, seed: int = 0) -> list[ProbeEvidence]:
    """Execute every ordered tool pair (u, v) from the env's current state and record the dependencies seen, and
    each tool's outcome; the state is restored afterwards."""
    b = _baseline(Recording(env), random.Random(seed))
    runs, evidence = _successful_runs(b)
    found: list[ProbeEvidence] = list(evidence)
    for run in runs:
        found.extend(_after_run(b, run))
    b.env.restore(b.base)
    return found + _outcomes(b) + _looks_before_acting(b) + _same_topic(b)
