"""Phase I: walk the API graph toward a target tool, execute each call for real, and trace every decision.

``sample_turn`` is one round ``(C_1, E_1, ..., C_M, E_M)``; ``sample_episode`` is N rounds on one environment whose
state carries over. Both **mutate the environment they are given** (that is the point: round 2 sees round 1's
files and bookings); take ``env.snapshot()`` first, or pass ``env.copy()``, if the start state is needed later.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from fr_core.envs.base import Environment, state_change, state_unchanged, try_call
from fr_core.errors import ConfigError, SamplingError
from fr_core.graph import GraphIndex, blocked_reason, graph_index, legal_tools
from fr_core.graph.model import StateMemo
from fr_core.graph.model import condition_holds
from fr_core.graph.gist import error_gist
from fr_core.sampling.choose import choose_next_tool, choose_random_tool
from fr_core.sampling.config import AFTER_TARGET, SamplerConfig
from fr_core.sampling.params import (
    OutputLeaf,
    call_failed,
    checked_arguments,
    corrupt_arguments,
    output_leaves,
    sample_arguments,
    schema_value,
)
from fr_core.sampling.targets import Coverage, pick_target
from fr_core.types import ArgSource, CallResult, StepResult, ToolCall, ToolSpec, TracedCall, Turn

__all__ = [
    "EpisodeCache",
    "StepTrace",
    "TurnTrace",
    "EpisodeTrace",
    "sample_turn",
    "sample_episode",
    "sample_episodes",
    "state_diff",
    "turn_leaves",
]

_MAX_DIFF = 20


@dataclass(frozen=True)
class StepTrace:
    """Everything about one step: what was legal, which rule chose what and why, the call, where its arguments
    came from, what it returned, and how the owning class's state changed."""

    round: int
    step: int
    target: str
    legal: tuple[str, ...]
    called: tuple[str, ...]
    rule: str
    reason: str
    distance: int | None
    tool: str
    arguments: dict[str, Any]
    sources: tuple[ArgSource, ...]
    ok: bool
    error: str | None
    value: Any
    deliberate_error: bool = False
    deliberate_detail: str = ""
    retry_of: int | None = None
    state_diff: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["sources"] = [dataclasses.asdict(s) for s in self.sources]
        return data


@dataclass(frozen=True)
class TurnTrace:
    """One round: the target and why it was picked, whether it was reachable, the steps, how the turn ended."""

    round: int
    target: str
    policy: str
    target_reason: str
    calls: int
    start_hops: int | None  # hops from the nearest legal tool to the target at the start; None: unreachable
    steps: tuple[StepTrace, ...]
    end_reason: str

    @property
    def reachable(self) -> bool:
        """Reachable within this turn's calls: the target is at most ``calls - 1`` hops from a legal tool."""
        return self.start_hops is not None and self.start_hops <= self.calls - 1

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "steps"}
        data["reachable"] = self.reachable
        data["steps"] = [s.to_json() for s in self.steps]
        return data


@dataclass(frozen=True)
class EpisodeTrace:
    """N rounds of one episode, with the settings that produced them."""

    config: SamplerConfig
    env: str
    turns: tuple[TurnTrace, ...]

    def to_json(self) -> dict[str, Any]:
        return {"config": self.config.to_dict(), "env": self.env, "turns": [t.to_json() for t in self.turns]}


@dataclass
class EpisodeCache:
    """What the rounds of one episode share so that no round reads the same thing twice: the graph's index, the
    legality memo of the episode's environment, its tools by name, and the output leaves the last round found (what
    :func:`turn_leaves` of it gives, without walking its outputs again)."""

    index: GraphIndex
    memo: StateMemo
    found: list[OutputLeaf] = field(default_factory=list)

    @functools.cached_property
    def specs(self) -> dict[str, ToolSpec]:
        """The tools of the episode's environment by name."""
        return {s.name: s for s in self.memo.env.tools()}


# -- state diff ------------------------------------------------------------------------------------------------


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 160 else text[:157] + "..."


def state_diff(
    before: Any, after: Any, path: str = "", out: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """A compact JSON diff: ``{"op": add|remove|change, "path": "a.b", "before": ..., "after": ...}`` (≤ 20 ops).

    >>> state_diff({"cwd": "/a", "n": 1}, {"cwd": "/a/b", "n": 1})
    [{'op': 'change', 'path': 'cwd', 'before': '/a', 'after': '/a/b'}]
    """
    out = [] if out is None else out
    if len(out) >= _MAX_DIFF or before == after:
        return out
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [k for k in after if k not in before]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in after:
                out.append({"op": "remove", "path": sub, "before": _short(before[key])})
            elif key not in before:
                out.append({"op": "add", "path": sub, "after": _short(after[key])})
            else:
                state_diff(before[key], after[key], sub, out)
            if len(out) >= _MAX_DIFF:
                break
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) != len(after):
        if len(after) > len(before) and after[: len(before)] == before:
            for item in after[len(before):]:
                out.append({"op": "add", "path": f"{path}[]", "after": _short(item)})
            return out[:_MAX_DIFF]
    out.append({"op": "change", "path": path, "before": _short(before), "after": _short(after)})
    return out


# -- one turn --------------------------------------------------------------------------------------------------


def turn_leaves(turn: Turn, round_index: int) -> tuple[OutputLeaf, ...]:
    """The output leaves of a turn's successful, non-deliberate calls (what later rounds may reuse)."""
    leaves: list[OutputLeaf] = []
    for i, step in enumerate(turn.steps):
        if not step.deliberate_error and not call_failed(step.result):
            leaves.extend(output_leaves(step.result.value, step.call.name, round_index, i))
    return tuple(leaves)


def _reach(distances: Mapping[str, int], legal: Sequence[str], target: str) -> int | None:
    """Hops from the nearest legal tool to ``target`` (0 when it is legal), ``None`` when no legal tool leads there."""
    if target in legal:
        return 0
    hops = [distances[t] for t in legal if t in distances]
    return min(hops) if hops else None


def _walk_distances(graph: nx.DiGraph, index: GraphIndex, target: str, legal: Sequence[str],
                    called: frozenset[str] | set[str], env: Environment, memo: StateMemo) -> dict[str, int]:
    """``dist(T_k, target)`` over the edges that can make each tool legal now: into a tool that is not legal
    yet only the hard edges of its missing prerequisite groups count (reading the speed does not make cruise
    control legal; starting the engine does). Legal tools keep all their in-edges."""
    legal_set = set(legal)
    dist = {target: 0}
    queue = deque([target])
    while queue:
        node = queue.popleft()
        if node in legal_set:
            preds = sorted(graph.predecessors(node))
        else:
            preds = sorted({u for group in index.missing(node, called, env, memo).values() for u in group})
        for pred in preds:
            if pred not in dist:
                dist[pred] = dist[node] + 1
                queue.append(pred)
    return dist


def _recovery(graph: nx.DiGraph, tool: str, gist: str, legal: Sequence[str], tried: set[tuple[str, str]],
              rng: random.Random) -> str | None:
    """A legal tool whose edge into ``tool`` says, from probe evidence, that it clears the error ``gist``."""
    fixes = sorted(u for u, _, data in graph.in_edges(tool, data=True)
                   if gist in data.get("clears", ()) and u in legal and (u, gist) not in tried
                   and not graph.nodes[u].get("broken"))
    return rng.choice(fixes) if fixes else None


def _enabling(graph: nx.DiGraph, tool: str, dist: Mapping[str, int],
              distance: int | None) -> tuple[str, dict[str, Any]]:
    """The next tool on a shortest path toward the target whose edge from ``tool`` carries ``enabling_args``
    (the argument values that let it proceed in probes), and those values; ``("", {})`` when there is none."""
    if distance is None:
        return "", {}
    for _, x, data in sorted(graph.out_edges(tool, data=True), key=lambda e: e[1]):
        if data.get("enabling_args") and dist.get(x) == distance - 1:
            return x, data["enabling_args"]
    return "", {}


_MAX_AVOIDED = 3  # tools left for one step because a trial on a copy says they would fail now
SETTLE_OPTIONS = 12  # at most this many state-offered values are tried on a copy for one argument


def _settle(env: Environment, graph: nx.DiGraph, spec: Any, args: dict[str, Any], sources: tuple[ArgSource, ...],
            dist: Mapping[str, int], distance: int | None, rng: random.Random
            ) -> tuple[dict[str, Any], tuple[ArgSource, ...]]:
    """On a step toward a tool whose hard edge from this one is a state condition not met yet (all doors locked
    before startEngine), try the values the state offers for each argument on a private copy and keep one that
    meets the condition: the walk then makes progress instead of locking one door at a time."""
    if distance is None:
        return args, sources
    for _, x, data in sorted(graph.out_edges(spec.name, data=True), key=lambda e: e[1]):
        cond = data.get("condition")
        if (
            not data.get("hard")
            or dist.get(x) != distance - 1
            or not cond
            or cond.get("type") not in ("equals", "truthy")
            or condition_holds(cond, x, env)
        ):
            continue
        for param in spec.properties:
            options = env.candidates(spec.name, param)
            if not 1 < len(options) <= SETTLE_OPTIONS:
                continue
            good = []
            meets = functools.partial(condition_holds, cond, x)
            for value in options:
                result, met = try_call(env, ToolCall(spec.name, {**args, param: value}), meets)
                if met and not call_failed(result):
                    good.append(value)
            if good and args.get(param) not in good:
                value = good[rng.randrange(len(good))]
                by_name = {s.name: s for s in sources}
                by_name[param] = ArgSource(param, value, "state", f"one of {len(good)} values the state offers that "
                                                                   f"meet {x}'s condition (tried on a copy)")
                args = {**args, param: value}
                return args, tuple(by_name[p] for p in args)
    return args, sources


def _uncertain(node: Mapping[str, Any]) -> bool:
    """The probes saw the tool refuse some of the values the state offers (``picky``), or fail in some states and
    work in others: its call is tried on a copy first."""
    return bool(node.get("picky") or (node.get("probe_failures") and node.get("probe_successes")))


def _refuses_all(env: Environment, graph: nx.DiGraph, spec: Any, index: GraphIndex, memo: StateMemo | None
                 ) -> str | None:
    """Why a target the probes saw ``picky`` cannot work now: on a copy it refused every value the state offers (a
    fine when nothing is owed), with an error about those values that no tool is seen clearing. Only a target
    callable now is tried; its draws use an rng of their own (seeded by the tool's name), so the round's other draws
    stay as they were."""
    if not graph.nodes[spec.name].get("picky") or index.missing(spec.name, frozenset(), env, memo, first=True):
        return None
    rng = random.Random(spec.name)
    args, sources = sample_arguments(env, spec, (), rng)
    args, sources, refused = _check_first(env, spec, args, sources, rng)
    if refused is None or not _names_an_argument(refused.to_text(), args):
        return None  # it works, or what stops it is a state obstacle (an engine to start): a turn toward it
    gist = error_gist(refused)
    if any(gist in (data.get("clears") or ()) for _, _, data in graph.in_edges(spec.name, data=True)):
        return None  # a tool clears this error: a recovery turn, not a dead end
    return f"on a copy {spec.name} refused every value the state offers ({gist})"


def _names_an_argument(error: str, args: Mapping[str, Any]) -> bool:
    """The error is about the call's own values: it names one of them ("1.5 is not between 0 and the 0.00 owed")."""
    return any(re.search(rf"(?<![\w.]){re.escape(str(v))}(?![\w]|\.\d)", error)
               for v in args.values() if isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v))


def _check_first(env: Environment, spec: Any, args: dict[str, Any], sources: tuple[ArgSource, ...],
                 rng: random.Random) -> tuple[dict[str, Any], tuple[ArgSource, ...], CallResult | None]:
    """For a tool the graph's probes found :func:`_uncertain`: try the call on a private copy, and when it fails,
    the other values the state offers for one argument at a time (a loan of the member signed in, a book with a
    copy left); keep the first that works. The third item is the failure of the call as drawn when no value
    worked (``None`` when one did)."""
    first = try_call(env, ToolCall(spec.name, args))[0]
    if not call_failed(first):
        return args, sources, None
    for src in sorted(sources, key=lambda x: x.name):
        if src.kind not in ("state", "output", "schema"):
            continue
        options = [v for v in env.candidates(spec.name, src.name) if v != args[src.name]]
        rng.shuffle(options)
        options = options[:SETTLE_OPTIONS]
        schema = spec.properties.get(src.name) or {}
        if schema.get("type") in ("number", "integer"):  # an amount the state does not hold: a few typed draws
            options += [schema_value(env, schema, src.name, rng, spec.name)[0] for _ in range(3)]
        for value in options:
            trial = {**args, src.name: value}
            if not call_failed(try_call(env, ToolCall(spec.name, trial))[0]):
                by_name = {s.name: s for s in sources}
                why = f"a value {spec.name} accepts (tried on a copy; {args[src.name]!r} was refused)"
                held = value in env.candidates(spec.name, src.name)
                by_name[src.name] = ArgSource(src.name, value, "state" if held else "schema", why)
                return trial, tuple(by_name[p] for p in trial), None
    return args, sources, first


def _apply_enabling(spec: Any, args: dict[str, Any], sources: tuple[ArgSource, ...], enabling: Mapping[str, Any],
                    then: str) -> tuple[dict[str, Any], tuple[ArgSource, ...]]:
    """Put the probe-evidenced values into the call (where the tool has such a parameter), with their provenance."""
    by_name = {s.name: s for s in sources}
    args = dict(args)
    for param, value in enabling.items():
        if param in spec.properties:
            args[param] = value
            by_name[param] = ArgSource(param, value, "schema", f"graph evidence: {spec.name}({param}={value!r}) "
                                                               f"let {then} proceed in probes")
    return args, tuple(by_name[p] for p in args)


def sample_turn(
    env: Environment,
    graph: nx.DiGraph,
    target: str,
    calls: int = 4,
    seed: int = 0,
    *,
    called: Iterable[str] = frozenset(),
    round_index: int = 0,
    history: Sequence[OutputLeaf] = (),
    policy: str = "directed",
    error_share: float = 0.0,
    flow_bias: float = 0.85,
    retry: bool = True,
    diff_state: bool = True,
    target_reason: str = "given",
    distances: Mapping[str, int] | None = None,
    cache: EpisodeCache | None = None,
    after_target: str = "explore",
) -> StepResult[Turn]:
    """One round of at most ``calls`` executed calls aimed at ``target``; the env is mutated (see module doc).

    ``called``: tools called in earlier rounds (they count for legality; Eq. 2's "target already called"
    looks at this turn only). ``history``: output leaves of earlier rounds, for data flow across rounds.
    A call that fails by accident is followed by a recovery when an edge into the tool ``clears`` its error
    (rule ``recover``: that tool, with the edge's ``enabling_args``, then the failed call again as it was);
    otherwise it is retried once, as the next step, with freshly drawn arguments.
    A deliberate error (share ``error_share``) makes one argument realistically wrong and is kept, marked.
    A target the graph marks broken, or whose ``blocked_when`` holds in the current state, ends the turn at
    once with the reason (and the turn does not count as reachable). ``distances`` (the target's
    :func:`distances_to`) and ``cache`` (an episode's :class:`EpisodeCache` for this graph and environment) save
    reading the graph and the state again; the cache's ``found`` is set to the leaves this turn's calls returned.
    ``after_target`` (directed walks): what the turn does once the target was called, "explore" (Eq. 2: a random
    legal tool), "related" (only a tool that can take an output of this turn's calls; the turn ends when there is
    none) or "stop" (the turn ends at its target: one goal, reached in as many steps as it needs).
    """
    if policy not in ("directed", "random"):
        raise ConfigError(f"unknown policy {policy!r}; choose directed or random")
    if after_target not in AFTER_TARGET:
        raise ConfigError(f"unknown after_target {after_target!r}; choose one of {', '.join(AFTER_TARGET)}")
    rng = random.Random(seed)
    before_called = frozenset(called)
    if cache is None or cache.memo.env is not env:
        cache = EpisodeCache(graph_index(graph), StateMemo(env))
    idx, memo, specs = cache.index, cache.memo, cache.specs
    cache.found = []
    if target not in graph or target not in specs:
        trace = TurnTrace(round_index, target, policy, target_reason, calls, None, (),
                          f"target {target!r} is not a tool of this environment/graph")
        return StepResult(Turn(target, (), False, trace.end_reason), trace)
    blocked = blocked_reason(graph, target, env, memo)
    if blocked:
        reason = f"target {target} unreachable: {blocked}"
        trace = TurnTrace(round_index, target, policy, target_reason, calls, None, (), reason)
        return StepResult(Turn(target, (), False, reason), trace)
    dist = distances if distances is not None else idx.distances(graph, target)
    legal = legal_tools(graph, before_called, env, index=idx, memo=memo)
    start = _reach(dist, legal, target)
    if start is None:
        reason = f"target {target} unreachable: no legal tool leads to it ({len(legal)} legal tools)"
        trace = TurnTrace(round_index, target, policy, target_reason, calls, None, (), reason)
        return StepResult(Turn(target, (), False, reason), trace)

    leaves: list[OutputLeaf] = list(history)
    turn_called: list[str] = []
    called_now = tuple(sorted(before_called))  # the tools called so far, this turn's included, sorted
    steps: list[TracedCall] = []
    traces: list[StepTrace] = []
    reached = False
    retry_tool: tuple[str, int] | None = None
    # After a recovery: (failed tool, its step, its arguments and sources) to call again as they were.
    again: tuple[str, int, dict[str, Any], tuple[ArgSource, ...]] | None = None
    # (clearing tool, failed tool, failed step or None when only a trial on a copy failed, error gist)
    recover: tuple[str, str, int | None, str] | None = None
    tried: set[tuple[str, str]] = set()
    # (class, its state before and after the last call) when that call changed it (seen with diff_state): a next call
    # that puts it back is pointless ("mkdir old_7" then "rmdir old_7", "cd logs" then "cd ..") and is left for another
    undo: tuple[str, Any, Any] | None = None
    end_reason = ""
    for step in range(calls):
        legal = legal if step == 0 else legal_tools(graph, before_called | set(turn_called), env, index=idx,
                                                    memo=memo)
        avoid: set[str] = set()  # tools that, tried on a copy this step, would fail or break a constraint
        stuck = False
        while True:
            then = ""
            if recover is not None:
                tool, failed_tool, failed_at, gist = recover
                failed_step, rule, distance = None, "recover", dist.get(tool)  # a new call, not a retry of one
                if failed_at is not None:
                    reason = (f"{failed_tool} failed at step {failed_at} with {gist!r}; {tool} cleared that error in "
                              f"probes, then {failed_tool} again")
                else:
                    reason = (f"{failed_tool} refused every value the state offers on a copy with {gist!r}; {tool} "
                              "cleared that error in probes")
                then = failed_tool
            elif again is not None:
                tool, failed_step = again[0], again[1]
                rule, distance = "retry", dist.get(tool)
                reason = f"call of step {failed_step} again, as it was, after the recovery at step {step - 1}"
            elif retry_tool is not None:
                tool, failed_step = retry_tool
                rule, reason, distance = (
                    "retry",
                    f"retry of the failed call at step {failed_step} with other arguments",
                    dist.get(tool),
                )
            else:
                failed_step = None
                pool = [t for t in legal if t not in avoid] if avoid else legal
                if policy == "directed" and target in turn_called and after_target != "explore":
                    pool = [] if after_target == "stop" else _takes_from(idx, pool, turn_called,
                                                                          {leaf.tool for leaf in leaves})
                    if not pool:
                        end_reason = (f"{len(steps)} call(s) made; the turn ends at its target {target}" if
                                      after_target == "stop" else f"{len(steps)} call(s) made; reached target "
                                      f"{target} and no legal tool takes what this turn's calls returned")
                        stuck = True
                        break
                if policy == "directed":
                    blocked_now = ([t for t in pool if t in idx.may_block and blocked_reason(graph, t, env, memo)]
                                   if target in turn_called else [])
                    walk = dist if target in legal else _walk_distances(graph, idx, target, legal,
                                                                        before_called | set(turn_called), env, memo)
                    choice = choose_next_tool(graph, pool, turn_called, target, rng, distances=walk,
                                              blocked=blocked_now, broken=idx.broken)
                else:
                    choice = choose_random_tool(dist, pool, rng)
                if choice is None:
                    stuck = True
                    break
                tool, rule, reason, distance = choice.tool, choice.rule, choice.reason, choice.distance
                if avoid:
                    reason += f" ({', '.join(sorted(avoid))} would fail now, tried on a copy)"
            spec = specs[tool]
            deliberate = rng.random() < error_share and retry_tool is None and again is None and recover is None
            doomed: CallResult | None = None
            if again is not None:
                args, sources = again[2], again[3]
                call = ToolCall(tool, args)
            else:
                args, sources, problem = checked_arguments(env, spec, leaves, rng, links=idx.links.get(tool, {}),
                                                           flow_bias=0.0 if retry_tool else flow_bias)
                drawn = args
                enabling: Mapping[str, Any] = {}
                if rule == "recover":
                    enabling = graph.edges[tool, then].get("enabling_args") or {}
                elif rule == "toward":
                    then, enabling = _enabling(graph, tool, dist, distance)
                if enabling:
                    args, sources = _apply_enabling(spec, args, sources, enabling, then)
                if rule == "toward":
                    args, sources = _settle(env, graph, spec, args, sources, dist, distance, rng)
                if not deliberate and _uncertain(graph.nodes[tool]):
                    args, sources, doomed = _check_first(env, spec, args, sources, rng)
                call = ToolCall(tool, args)
                # what the draw broke holds unless a step above changed its arguments
                if not deliberate and doomed is None and (problem if args is drawn else
                                                          (problem := env.check_constraints(call))):
                    doomed = CallResult(call, error=problem)
                if not deliberate and doomed is None and undo is not None and undo[0] == spec.owner and \
                        rule not in ("recover", "retry") and _undoes(env, call, *undo):
                    doomed = CallResult(call, error="would undo the call just made")
            if doomed is None or rule == "recover" or len(avoid) >= _MAX_AVOIDED:
                break
            # The call would fail whatever the state offers: clear its error first where the graph knows how,
            # else leave the tool for this step and choose again.
            gist = error_gist(doomed)
            fix = _recovery(graph, tool, gist, legal, tried, rng) if retry else None
            if fix is not None:
                tried.add((fix, gist))
                recover = (fix, tool, None, gist)
            avoid.add(tool)
            retry_tool = None
        if stuck and end_reason:
            break
        if stuck:
            end_reason = f"stuck after {step} call(s): no legal tool leads to {target}"
            if avoid:
                end_reason += f" ({', '.join(sorted(avoid))} would fail now, tried on a copy)"
            break
        retried, recovered = again, recover
        retry_tool = again = recover = None
        detail = ""
        if deliberate:
            wrong = corrupt_arguments(env, spec, args, sources, rng)
            if wrong is None:
                deliberate = False
            else:
                args, sources, detail = wrong
                call = ToolCall(tool, args)
        before = env.snapshot()
        result = env.execute(call)
        diff: tuple[dict[str, Any], ...] = ()
        change = None
        if not state_unchanged(env, spec.owner, before):  # most reads leave it: legality stays as it was
            memo.forget(spec.owner)
            change = state_change(env, spec.owner, before) if diff_state else None
            diff = tuple(state_diff(*change)) if change else ()
        failed = call_failed(result)
        undo = (spec.owner, before, env.snapshot()) if change and not failed else None
        if deliberate and not failed:
            deliberate, detail = False, f"meant to fail ({detail}) but the call succeeded"
        error = result.error or (None if not failed else "refused: " + result.to_text()[:200])
        if not failed:
            if tool not in turn_called:
                turn_called.append(tool)
            leaves.extend(output_leaves(result.value, tool, round_index, step))
            reached = reached or tool == target
            if recovered is not None and recovered[2] is not None:
                failed_call = steps[recovered[2]]
                again = (recovered[1], recovered[2], failed_call.call.arguments, failed_call.sources)
        elif not deliberate and recovered is None:
            gist = error_gist(result)
            legal_now = legal_tools(graph, before_called | set(turn_called), env, index=idx, memo=memo)
            fix = _recovery(graph, tool, gist, legal_now, tried, rng)
            if fix is not None and retry:
                tried.add((fix, gist))
                recover = (fix, tool, step if retried is None else retried[1], gist)
            elif retry and (failed_step is None or retried is not None):  # a call repeated as it was may
                retry_tool = (tool, step)                                  # still fail on its own arguments
        steps.append(TracedCall(call, result, sources, deliberate))
        traces.append(StepTrace(
            round_index, step, target, tuple(legal), called_now, rule, reason, distance, tool, args,
            sources, not failed, error, result.value, deliberate, detail, failed_step, diff,
        ))
        if not failed and tool not in called_now:
            called_now = tuple(sorted((*called_now, tool)))
        if failed and tool == target and recover is None and (why := blocked_reason(graph, target, env, memo)):
            end_reason = f"{len(steps)} call(s) made; target became unreachable: {why}"
            break
    if not end_reason:
        state = "reached" if reached else "did not reach"
        end_reason = f"{len(steps)} call(s) made; {state} target {target}"
    if steps and all(not t.ok for t in traces):
        fails = "; ".join(sorted({f"{t.tool}: {t.error}" for t in traces}))[:600]
        end_reason += f"; every call failed ({fails})"
    turn = Turn(target, tuple(steps), reached, end_reason)
    cache.found = leaves[len(history):]
    return StepResult(turn, TurnTrace(round_index, target, policy, target_reason, calls, start, tuple(traces),
                                      end_reason))


def _undoes(env: Environment, call: ToolCall, owner: str, before: Any, after: Any) -> bool:
    """Whether ``call``, tried in place, would put class ``owner`` back exactly as in the snapshot ``before``.
    ``after`` is the snapshot the last call left, which differs from ``before``: a call that leaves the class as it
    is (most reads) undoes nothing, and no state views need comparing to tell."""
    return try_call(env, call, lambda e: not state_unchanged(e, owner, after)
                    and state_change(e, owner, before) is None)[1]


def _takes_from(idx: GraphIndex, pool: Sequence[str], called: Sequence[str], produced: set[str]) -> list[str]:
    """The tools of ``pool`` not ``called`` in this turn with a data-flow link from a tool that ``produced`` an
    output so far (in this turn or an earlier one): they can take what the conversation has seen."""
    done = set(called)
    return [t for t in pool if t not in done
            and any(not feeding.isdisjoint(produced) for feeding in idx.feeders.get(t, ()))]


# -- an episode ------------------------------------------------------------------------------------------------


def round_target(graph: nx.DiGraph, env: Environment, called: Iterable[str], leaves: Sequence[OutputLeaf],
                 strategy: str, rng: random.Random, distances: Mapping[str, Mapping[str, int]] | None, *,
                 max_hops: int | None = None, coverage: Coverage | None = None,
                 last_tool: str | None = None, cache: EpisodeCache | None = None) -> tuple[str, str] | None:
    """A round's target and why, by ``strategy`` (:func:`~fr_core.sampling.targets.pick_target`), among the tools
    reachable from the current state within ``max_hops`` (``distances``: tool → :func:`distances_to` of it, or
    ``None``: every tool of the graph, from its index) and
    not blocked in it (a closed market blocks a withdrawal) nor refusing every value the state offers
    (:func:`_refuses_all`); ``None`` when no tool is reachable."""
    idx = cache.index if cache is not None else graph_index(graph)
    memo = cache.memo if cache is not None and cache.memo.env is env else None
    legal = legal_tools(graph, set(called), env, index=idx, memo=memo)
    if distances is None:
        reachable = {t: h for t, h in idx.reach(graph, legal).items() if max_hops is None or h <= max_hops}
    else:
        reachable = {t: h for t, dist in distances.items()
                     if (h := _reach(dist, legal, t)) is not None and (max_hops is None or h <= max_hops)}
    reachable = {t: h for t, h in reachable.items()
                 if t not in idx.may_block or not blocked_reason(graph, t, env, memo)} or reachable
    if not reachable:
        return None
    fed = None
    if strategy == "flow":
        produced = {leaf.tool for leaf in leaves}
        feeders = idx.feeders  # most tools take no outputs: they skip the count
        fed = {t: len([f for f in feeders[t] if not f.isdisjoint(produced)]) if t in feeders else 0 for t in reachable}
    specs = cache.specs if cache is not None and memo is not None else {s.name: s for s in env.tools()}
    while True:  # a target that refuses every value the state offers now (nothing owed to pay) is picked again
        picked = pick_target(strategy, reachable, rng, coverage=coverage, last_tool=last_tool, fed=fed)
        if picked is None or len(reachable) == 1 or not _refuses_all(env, graph, specs[picked[0]], idx, memo):
            return picked
        del reachable[picked[0]]


def sample_episode(
    env: Environment,
    graph: nx.DiGraph,
    config: SamplerConfig | None = None,
    *,
    coverage: Coverage | None = None,
    **overrides: Any,
) -> StepResult[list[Turn]]:
    """N rounds of M calls on ``env`` (mutated: the state carries across rounds; snapshot first if needed).

    Settings come from ``config`` with keyword ``overrides`` (``rounds=3, calls=4, seed=7, strategy="coverage",
    policy="random", error_share=0.1`` ...), validated by :class:`SamplerConfig`. Each round's target is picked
    by the strategy among tools reachable from the current state and not blocked in it; ``coverage`` (shared across
    episodes if given) is updated in place. Raises :class:`SamplingError` listing the failures when no call succeeded
    (its ``trace`` attribute keeps the episode's trace).
    """
    try:
        cfg = dataclasses.replace(config or SamplerConfig(), **overrides)
    except TypeError as exc:
        raise ConfigError(f"sample_episode: {exc}; settings are the fields of SamplerConfig") from exc
    cov = coverage if coverage is not None else Coverage()
    tools = sorted(graph.nodes)
    cache = EpisodeCache(graph_index(graph), StateMemo(env))
    pick_rng = random.Random(cfg.seed * 7919 + 1)
    called: set[str] = set()
    leaves: list[OutputLeaf] = []
    turns: list[Turn] = []
    traces: list[TurnTrace] = []
    last_tool: str | None = None
    for r in range(cfg.rounds):
        picked = round_target(graph, env, called, leaves, cfg.strategy, pick_rng, None, max_hops=cfg.calls - 1,
                              coverage=cov, last_tool=last_tool, cache=cache)
        target, why = picked or (tools[0], "no tool is reachable from the current state")
        res = sample_turn(
            env, graph, target, cfg.calls, seed=cfg.seed * 1000 + r, called=called, round_index=r, history=leaves,
            policy=cfg.policy, error_share=cfg.error_share, flow_bias=cfg.flow_bias, retry=cfg.retry,
            diff_state=cfg.diff_state, target_reason=why, distances=cache.index.distances(graph, target),
            cache=cache, after_target=cfg.after_target,
        )
        turn = res.output
        cov.record(turn)
        turns.append(turn)
        traces.append(res.trace)
        leaves.extend(cache.found)  # turn_leaves(turn, r), found while the turn ran
        ok = [s.tool for s in res.trace.steps if s.ok and not s.deliberate_error]  # its steps, as the turn's
        called.update(ok)
        last_tool = ok[-1] if ok else last_tool
    trace = EpisodeTrace(cfg, getattr(env, "name", type(env).__name__), tuple(traces))
    all_steps = [s for t in traces for s in t.steps]
    if all_steps and not any(s.ok for s in all_steps):
        fails = sorted({f"{s.tool}: {s.error}" for s in all_steps})
        error = SamplingError(
            f"every one of the {len(all_steps)} calls in this episode failed, so it holds no usable trace. "
            f"Check the environment's tools and state; failures: " + "; ".join(fails[:12])
        )
        error.trace = trace  # type: ignore[attr-defined]  # the failed trace stays inspectable
        raise error
    return StepResult(turns, trace)


def sample_episodes(
    make_env: Callable[[int], Environment],
    graph: nx.DiGraph,
    episodes: int,
    config: SamplerConfig | None = None,
    *,
    coverage: Coverage | None = None,
    **overrides: Any,
) -> list[EpisodeTrace]:
    """``episodes`` independent episodes; episode ``i`` runs on ``make_env(seed + i)`` with seed ``seed + i``.

    Episodes whose every call failed are kept (their failures are in the trace), not raised.
    """
    cfg = dataclasses.replace(config or SamplerConfig(), **overrides)
    out = []
    for i in range(episodes):
        seed = cfg.seed + i
        try:
            out.append(sample_episode(make_env(seed), graph, cfg, coverage=coverage, seed=seed).trace)
        except SamplingError as exc:
            out.append(exc.trace)  # type: ignore[attr-defined]
    return out
