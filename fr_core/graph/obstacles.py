"""Obstacle evidence: which error of a tool another tool clears (and with which arguments), and the errors no tool
was seen clearing, with the status values that explain them; found by execution, written onto G's edges and nodes."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from fr_core.envs.base import Environment, call_failed
from fr_core.graph.evidence import ObstacleEvidence, ObstaclePath, StatusMoved
from fr_core.graph.flow import tokens
from fr_core.graph.gist import error_gist
from fr_core.graph.probing import VARIANTS, probe_args, scalars
from fr_core.types import ToolCall, ToolSpec

__all__ = ["ObstacleNote", "ObstacleNotes", "annotate_obstacles", "apply_obstacle_notes", "obstacle_notes",
           "probe_obstacles"]

#: An edge ``w → v``'s obstacle note: ``(w, v's error gists it cleared, enabling_args, suffix of the edge's reason)``.
Clearing = tuple[str, list[str], dict[str, Any], str]
#: What :func:`annotate_obstacles` writes for one tool ``v``: ``(v, its clearings, its blocked_when)``.
ObstacleNote = tuple[str, tuple[Clearing, ...], list[dict[str, Any]]]
ObstacleNotes = tuple[ObstacleNote, ...]


def _status(env: Environment, owner: str) -> dict[str, Any]:
    """The owner's status words, flags and ``None``s (public attributes): what a blocking condition may name.
    Levels and counters (fuel, an order counter) are left out: one probe's number is no condition."""
    return {a: v for (c, a), v in scalars(env).items()
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


def probe_obstacles(env: Environment, *, seed: int = 0, depth: int = 2) -> list[ObstacleEvidence]:
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
    records: list[ObstacleEvidence] = []

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
            w_args = probe_args(env, w, rng)
            w_failed = call_failed(env.execute(ToolCall(w.name, w_args)))
            moved = sorted(a for a, x in _status(env, v.owner).items() if statuses[-1].get(a, x) != x)
            if moved:  # what a tool can change (even when it refuses the call) is no fixed state
                records.append(StatusMoved(tool=w.name, owner=w.owner, attrs=tuple(moved)))
            if w_failed:
                continue
            after_w = env.snapshot()
            gist, status = attempt(v, args)
            path_steps = steps + [(w.name, _scalar_args(w, w_args))]
            records.append(ObstaclePath(tool=v.name, steps=tuple(path_steps), gists=(*gists, gist),
                                        status=(*statuses, status)))
            if gist is None or gist in gists:
                continue
            # The error moved on; it may be about v's own arguments (ignitionMode='STOP'): try v's other draws.
            for other in draws:
                env.restore(after_w)
                if other is not args and attempt(v, other)[0] is None:
                    records.append(ObstaclePath(tool=v.name, steps=tuple(path_steps), gists=(*gists, gist, None),
                                                status=(*statuses, status, status)))
                    break
            else:
                # Keep going only while the error moves on to one not seen on this path (no going back: a logout).
                if len(path_steps) < depth:
                    extend(v, args, draws, after_w, path_steps, gists + [gist], statuses + [status])

    for v in specs:
        env.restore(base)
        draws: list[dict[str, Any]] = []
        for _ in range(VARIANTS):  # an enum drawn wrong (ignitionMode='STOP') hides every other obstacle
            args = probe_args(env, v, rng)
            if args not in draws:
                draws.append(args)
        for args in draws:
            env.restore(base)
            gist, status = attempt(v, args)
            records.append(ObstaclePath(tool=v.name, steps=(), gists=(gist,), status=(status,)))
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


def annotate_obstacles(g: nx.DiGraph, paths: Iterable[ObstacleEvidence]) -> None:
    """Turn obstacle paths (from :func:`probe_obstacles`, over many states) into readable graph attributes.

    * edge ``w → v``: ``clears`` (the error gists of ``v`` that ``w`` removed on a path that ended with ``v``
      working) and ``enabling_args`` (``w``'s setting-like arguments, where every such path agreed);
    * node ``v``: ``blocked_when``, one ``{gist, owner, values, reason}`` per error of ``v`` that no tool was
      seen clearing, with the status values shared by every state that error was seen in, never seen where
      ``v`` worked (contrast over the probe states), and never changed by any probed call.

    Only attributes of existing edges and nodes change; no edge is added or removed.
    """
    apply_obstacle_notes(g, obstacle_notes(paths, {v: data.get("owner", "") for v, data in g.nodes(data=True)}))


def obstacle_notes(paths: Iterable[ObstacleEvidence], owners: Mapping[str, str]) -> ObstacleNotes:
    """What :func:`annotate_obstacles` writes for the tools of ``owners`` (tool name → owner), apart from any graph:
    per tool ``v`` with obstacle paths, ``(v, clearings, blocked_when)``, each clearing ``(w, gists, enabling_args,
    reason suffix)`` for the edge ``w → v`` (written only where that edge exists). Plain values only: the graph
    cache keeps them, so a warm start reads these few notes instead of every path."""
    by_tool: dict[str, list[ObstaclePath]] = {}
    movable: set[tuple[str, str]] = set()
    for p in paths:
        if isinstance(p, StatusMoved):
            movable.update((p.owner, a) for a in p.attrs)
        elif p.tool in owners:
            by_tool.setdefault(p.tool, []).append(p)
    notes = []
    for v, tool_paths in sorted(by_tool.items()):
        cleared, clearings = _clearings(v, tool_paths)
        notes.append((v, clearings, _blocked_when(v, owners[v], tool_paths, cleared, movable)))
    return tuple(notes)


def apply_obstacle_notes(g: nx.DiGraph, notes: Iterable[ObstacleNote]) -> None:
    """Write :func:`obstacle_notes` onto ``g``: ``clears``/``enabling_args`` on existing edges, ``blocked_when`` on
    nodes (removed where a tool has none). Tools not in ``g`` are passed over; values are copied, so notes kept
    for several graphs are never shared with one."""
    for v, clearings, conditions in sorted(notes, key=lambda note: note[0]):
        if v not in g:
            continue
        for w, gists, common, suffix in clearings:
            if not g.has_edge(w, v):
                continue
            data = g.edges[w, v]
            data["clears"] = list(gists)
            if common:
                data["enabling_args"] = dict(common)
            data["reason"] += suffix
        if conditions:
            g.nodes[v]["blocked_when"] = [{**c, "values": dict(c["values"])} for c in conditions]
        elif "blocked_when" in g.nodes[v]:
            del g.nodes[v]["blocked_when"]


def _clearings(v: str, tool_paths: list[ObstaclePath]) -> tuple[set[str], tuple[Clearing, ...]]:
    """Every error gist of ``v`` some tool cleared, and per tool ``w`` that removed an error of ``v`` on a path that
    ended with ``v`` working: ``(w, the gists it cleared, the setting-like arguments every such path agreed on,
    the words added to the edge's reason)``."""
    cleared: set[str] = set()
    clears: dict[str, set[str]] = {}
    args_seen: dict[str, list[dict[str, Any]]] = {}
    for p in tool_paths:
        if p.gists[-1] is not None:
            # An error that only moves (a logout turns 'market closed' into 'not logged in') is no clearing.
            continue
        for (w, w_args), before, after in zip(p.steps, p.gists, p.gists[1:]):
            if before is not None and before != after:
                cleared.add(before)
                clears.setdefault(w, set()).add(before)
                args_seen.setdefault(w, []).append(w_args)
    out = []
    for w, gists in clears.items():
        common = {a: x for a, x in args_seen[w][0].items() if all(d.get(a, object()) == x for d in args_seen[w])}
        shown = ", ".join(f"{a}={x!r}" for a, x in common.items())
        out.append((w, sorted(gists), common, f"; {w}{'(' + shown + ')' if shown else ''} cleared {v}'s error "
                    + " / ".join(repr(x) for x in sorted(gists)) + " in probes"))
    return cleared, tuple(out)


def _blocked_when(v: str, owner: str, tool_paths: list[ObstaclePath], cleared: set[str],
                  movable: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """One ``{gist, owner, values, reason}`` per error of ``v`` no tool was seen clearing, explained by status values
    of its ``owner`` that every state with that error shared and no state where ``v`` worked had."""
    worked = [p.status[-1] for p in tool_paths if p.gists[-1] is None]
    blocked: dict[str, list[dict[str, Any]]] = {}
    for p in tool_paths:
        for gist, status in zip(p.gists, p.status):
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
    return conditions
