"""``A_T``, the tooling agent: the shared abstraction plan of a turn, then naming it offline or with an LLM."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import networkx as nx
from pydantic import BaseModel

from fr_core.agents.base import OFFLINE_LABEL, ToolingTrace, ask_json, render
from fr_core.agents.lexicon import goal_phrase, words
from fr_core.llm import LLMClient
from fr_core.sampling.flow import FlowStep, turn_flow
from fr_core.sampling.grounding import ground_turn
from fr_core.types import AdvancedTool, Grounding, RoleEvent, StepResult, ToolSpec, Turn, TurnRecord

__all__ = ["Abstraction", "plan_abstraction", "OfflineTooling", "LLMTooling"]


@dataclass(frozen=True)
class Abstraction:
    """The structure of ``T_adv`` before it is named: inner calls, their roles, the user slots, hidden values."""

    steps: tuple[FlowStep, ...]
    roles: tuple[str, ...]
    bindings: tuple[tuple[str, int, str], ...]
    user_values: dict[str, Any]
    hidden_values: tuple[str, ...]
    schemas: dict[str, dict[str, Any]]
    serves: tuple[int, ...] = ()
    grounding: tuple[Grounding, ...] = ()


def _scalars(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _scalars(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _scalars(v)]
    if isinstance(value, bool) or value is None:
        return []
    return [str(value)]


#: Read-only lookups by name: when one's output feeds a later call, the request gives its values, not the step.
_LOOKUP = re.compile(r"^(?:get|search|find|list|retrieve|estimate|compute)_", re.I)


def plan_abstraction(turn: Turn, tools: tuple[ToolSpec, ...], graph: nx.DiGraph, round_index: int = 0,
                     earlier: tuple[TurnRecord, ...] = (), known: frozenset[str] | None = None) -> Abstraction:
    """Which calls the abstract tool hides, which values the user must give, from the grounding table of the turn
    (see :func:`~fr_core.sampling.grounding.ground_turn`) and ``G``: the user gives the *said* and *visible*
    values (an arbitrary pick among listed values is named, never hidden), *derived* values and defaults stay
    unsaid; ``earlier`` are the accepted rounds before this one.

    A call is "implicit" when it needs nothing from the user and feeds a later call, "context" when it is a hard
    prerequisite (graph edge) of a later call and the user gives its values (the request gives the values, not the
    step), else a "goal". ``serves`` points a context call at the later call it is a prerequisite of (the first
    goal among them when there is one), so the values go with the goal that needs them. ``known``: what the state
    the turn started from holds (see :func:`~fr_core.sampling.grounding.ground_turn`).
    """
    specs = {t.name: t for t in tools}
    steps = turn_flow(turn, round_index)
    grounding = ground_turn(turn, round_index, tools, earlier, known)
    spoken = [tuple(g.arg for g in grounding if g.call == i and g.kind in ("said", "visible"))
              for i in range(len(steps))]
    roles, bindings, values, schemas = [], [], {}, {}
    served: list[list[int]] = []
    seen: dict[tuple[str, str], str] = {}
    for i, step in enumerate(steps):
        users = [j for j in range(i + 1, len(steps)) if steps[j].call.name != step.call.name and (
            (graph.has_edge(step.call.name, steps[j].call.name)
             and graph.edges[step.call.name, steps[j].call.name].get("hard"))
            or (_LOOKUP.match(step.call.name) and any(src.from_call == (round_index, step.index)
                                                      for src in steps[j].hidden)))]
        served.append(users)
        if not spoken[i] and step.feeds_later:
            roles.append("implicit")
        elif spoken[i] and users:
            roles.append("context")
        else:
            roles.append("goal")
        props = specs[step.call.name].properties if step.call.name in specs else {}
        for arg in spoken[i]:
            value = step.call.arguments[arg]
            key = (arg, json.dumps(value, sort_keys=True, default=str))
            if key not in seen:
                name, n = arg, 2
                while name in values:
                    name, n = f"{arg}_{n}", n + 1
                seen[key] = name
                values[name] = value
                schemas[name] = dict(props.get(arg, {"type": "string"}))
            bindings.append((seen[key], i, arg))
    shown = {s for v in values.values() for s in _scalars(v)}
    hidden = sorted({s for step in steps for src in step.hidden for s in _scalars(src.value)
                     if s not in shown and len(s) >= 2})
    serves = tuple(-1 if r != "context" else next((j for j in served[i] if roles[j] == "goal"), served[i][0])
                   for i, r in enumerate(roles))
    return Abstraction(steps, tuple(roles), tuple(bindings), values, tuple(hidden), schemas, serves, grounding)


def _build(plan: Abstraction, name: str, description: str, param_docs: dict[str, str], label: str) -> AdvancedTool:
    props = {}
    for p, schema in plan.schemas.items():
        props[p] = {**{k: v for k, v in schema.items() if k != "description"},
                    "description": param_docs.get(p) or schema.get("description", p)}
    spec = ToolSpec(name, description, {"type": "object", "properties": props, "required": sorted(props)},
                    owner="advanced")
    return AdvancedTool(spec, tuple(s.call for s in plan.steps), dict(plan.user_values), plan.hidden_values, label,
                        plan.roles, plan.bindings, plan.serves, plan.grounding)


class OfflineTooling:
    """Names and describes ``T_adv`` from the tool descriptions and the data flow, by templates (no model)."""

    kind = "offline"
    label = OFFLINE_LABEL

    def abstract(self, turn: Turn, tools: tuple[ToolSpec, ...], graph: nx.DiGraph, round_index: int = 0,
                 earlier: tuple[TurnRecord, ...] = (), known: frozenset[str] | None = None
                 ) -> StepResult[AdvancedTool, ToolingTrace]:
        plan = plan_abstraction(turn, tools, graph, round_index, earlier, known)
        specs = {t.name: t for t in tools}
        goals = [goal_phrase(specs[s.call.name]) for s, r in zip(plan.steps, plan.roles)
                 if r == "goal" and s.call.name in specs]
        head = words(goals[-1]) if goals else ["task"]
        name = "_".join(dict.fromkeys(head[:3])) + "_flow"
        description = ("Does in one go: " + "; then ".join(goals) + "." if goals else "Runs a short chain of steps.")
        hidden_n = sum(r == "implicit" for r in plan.roles)
        if hidden_n:
            description += f" Works out {hidden_n} intermediate value(s) by itself."
        adv = _build(plan, name, description, {}, self.label)
        events = [RoleEvent(role="tooling", label=self.label)]
        return StepResult(adv, ToolingTrace(plan_roles=plan.roles, events=events))


class _ToolingReply(BaseModel):
    name: str
    description: str
    parameters: dict[str, str] = {}


class LLMTooling:
    """Asks a model to name and describe ``T_adv``; the structure (roles, values) comes from the data flow."""

    kind = "llm"

    def __init__(self, client: LLMClient, model: str = "") -> None:
        self.client = client
        self.label = f"llm:{model or getattr(client, 'model', 'model')}"

    def abstract(self, turn: Turn, tools: tuple[ToolSpec, ...], graph: nx.DiGraph, round_index: int = 0,
                 earlier: tuple[TurnRecord, ...] = (), known: frozenset[str] | None = None
                 ) -> StepResult[AdvancedTool, ToolingTrace]:
        plan = plan_abstraction(turn, tools, graph, round_index, earlier, known)
        specs = {t.name: t for t in tools}
        steps = [{"call": s.call.to_python(), "role": r,
                  "description": specs[s.call.name].description if s.call.name in specs else ""}
                 for s, r in zip(plan.steps, plan.roles)]
        prompt = render("tooling.j2", steps=steps, params=plan.user_values, hidden=plan.hidden_values)
        # asked again once on a parse error; a ParseError after that keeps ``raw``, the pipeline records it
        reply, text, events = ask_json(self.client, [{"role": "user", "content": prompt}], _ToolingReply,
                                       role="tooling")
        name = re.sub(r"\W+", "_", reply.name).strip("_").lower() or "advanced_tool"
        adv = _build(plan, name, reply.description, reply.parameters, self.label)
        return StepResult(adv, ToolingTrace(prompt=prompt, raw=text, events=events, parsed=reply.model_dump()))
