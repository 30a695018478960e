"""``A_C``, the critiquing agent: names the first divergences of a failed attempt from the ground truth, using ``G``.

The offline critic aligns the attempt's calls with the ground truth's and explains at most two divergences in
words a model can act on (a missing prerequisite with its graph edge, an argument's source, an extra call),
pointing at tools, parameters and output paths rather than pasting the expected calls.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

import networkx as nx
from pydantic import BaseModel

from fr_core.agents.base import OFFLINE_LABEL, CritiqueTrace, ask_json, render
from fr_core.agents.lexicon import goal_phrase, param_words
from fr_core.errors import ParseError
from fr_core.llm import LLMClient
from fr_core.sampling import output_leaves
from fr_core.sampling.flow import FlowStep, turn_flow
from fr_core.types import AdvancedTool, ArgSource, Attempt, RoleEvent, StepResult, ToolCall, ToolSpec, Turn

__all__ = ["OfflineCritiquing", "LLMCritiquing", "MAX_POINTS"]

#: How many divergences one critique names (the first ones: later ones often follow from them).
MAX_POINTS = 2


def _edge_reason(graph: nx.DiGraph, u: str, v: str) -> str:
    return graph.edges[u, v]["reason"].split(";")[0][:140]


def _missing(step: FlowStep, later: list[FlowStep], graph: nx.DiGraph, specs: dict[str, ToolSpec]) -> str:
    u = step.call.name
    for nxt in later:
        v = nxt.call.name
        if v != u and graph.has_edge(u, v) and graph.edges[u, v].get("hard"):
            words = ", ".join(param_words(a) for a in step.user_args) or "its values"
            return (f"`{v}` needs `{u}` first: prerequisite edge {u}→{v} ({_edge_reason(graph, u, v)}). "
                    f"The request gives the {words} for it.")
    for nxt in later:
        for src in nxt.hidden:
            if src.from_call and src.from_call[1] == step.index:
                return (f"argument `{src.name}` of `{nxt.call.name}` must come from the output of `{u}`, "
                        f"which you never called: `{nxt.call.name}` needs `{u}` first.")
    goal = goal_phrase(specs[u]) if u in specs else u
    return f"the request also asks to {goal}; no call of yours does that: `{u}` is the tool for it."


def _which(source: ArgSource, turn: Turn, round_index: int, path: str) -> str:
    """" (match n of m)" when several leaves of the producing output share ``path`` (ids of a collection)."""
    if not source.from_call or source.from_call[0] != round_index or source.from_call[1] >= len(turn.steps):
        return ""
    step = turn.steps[source.from_call[1]]
    same = [leaf for leaf in output_leaves(step.result.value, step.call.name, round_index, source.from_call[1])
            if leaf.path == path]
    hits = [n for n, leaf in enumerate(same, 1) if leaf.value == source.value]
    return f" (match {hits[0]} of {len(same)})" if len(same) > 1 and hits else ""


def _wrong_args(gt: FlowStep, got: ToolCall, turn: Turn, round_index: int) -> str | None:
    for name, value in gt.call.arguments.items():
        if got.arguments.get(name, object()) == value:
            continue
        source = next((s for s in gt.hidden if s.name == name), None)
        if source is not None:
            producer, _, path = source.detail.partition(" → ")
            where = f" at `{path}`{_which(source, turn, round_index, path)}" if path else ""
            return (f"argument `{name}` of `{got.name}` must come from the output of `{producer}`{where}, "
                    f"not from {'the state' if name in got.arguments else 'nowhere (it is missing)'}.")
        return (f"argument `{name}` of `{got.name}` should be the value the request gives for "
                f"“{param_words(name)}”; yours is {'missing' if name not in got.arguments else 'a different one'}.")
    extra = sorted(set(got.arguments) - set(gt.call.arguments))
    if extra:
        return f"`{got.name}` gets argument(s) {', '.join(f'`{e}`' for e in extra)} the request does not ask for."
    return None


def find_divergences(attempt: Attempt, turn: Turn, graph: nx.DiGraph, tools: tuple[ToolSpec, ...],
                     round_index: int = 0) -> list[str]:
    """The divergences of ``attempt`` from the turn's ground truth, in order, each an actionable sentence."""
    specs = {t.name: t for t in tools}
    truth = list(turn_flow(turn, round_index))
    got = list(attempt.calls)
    points: list[str] = []
    matcher = SequenceMatcher(a=[s.call.name for s in truth], b=[c.name for c in got], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                wrong = _wrong_args(truth[i], got[j], turn, round_index)
                if wrong:
                    points.append(wrong)
            continue
        points.extend(_missing(truth[i], truth[i + 1:], graph, specs) for i in range(i1, i2))
        points.extend(_extra(got[j], got[:j], specs) for j in range(j1, j2))
    for n, result in enumerate(attempt.results):
        if result.error and not any(got[n].name in p for p in points):
            points.append(f"`{got[n].name}` answered with the error “{result.error[:160]}”.")
    return points


def _extra(call: ToolCall, before: list[ToolCall], specs: dict[str, ToolSpec]) -> str:
    if call in before:
        return f"`{call.to_python()}` repeats an earlier call and changes the outcome: drop it."
    return f"`{call.to_python()}` is not asked for: drop it."


class OfflineCritiquing:
    """Aligns the attempt with the ground truth and the graph; states the first divergences without the answer."""

    kind = "offline"
    label = OFFLINE_LABEL

    def critique(self, attempt: Attempt, turn: Turn, adv: AdvancedTool, graph: nx.DiGraph,
                 tools: tuple[ToolSpec, ...], round_index: int = 0) -> StepResult[str, CritiqueTrace]:
        if attempt.parse_error:
            text = (f"your output could not be read ({attempt.parse_error}). Write your reasoning in "
                    "<think>…</think>, then the calls as <tool_call>[tool(arg=value), …]</tool_call>.")
            points = [text]
        else:
            points = find_divergences(attempt, turn, graph, tools, round_index)
            if not points:
                points = [f"every call matches a needed step, but {attempt.reason}: check the order of the calls "
                          "against the prerequisite edges of the graph."]
        text = " ".join(p[:1].upper() + p[1:] for p in points[:MAX_POINTS])
        return StepResult(text, CritiqueTrace(points=points, events=[RoleEvent(role="critiquing", label=self.label)]))


class _CritiqueReply(BaseModel):
    critique: str


class LLMCritiquing:
    """Gives a model the attempt, its verdict, the ground truth and the relevant graph edges; asks for a critique."""

    kind = "llm"

    def __init__(self, client: LLMClient, model: str = "") -> None:
        self.client = client
        self.label = f"llm:{model or getattr(client, 'model', 'model')}"

    def critique(self, attempt: Attempt, turn: Turn, adv: AdvancedTool, graph: nx.DiGraph,
                 tools: tuple[ToolSpec, ...], round_index: int = 0) -> StepResult[str, CritiqueTrace]:
        truth = turn_flow(turn, round_index)
        names = {s.call.name for s in truth} | {c.name for c in attempt.calls}
        edges: list[dict[str, Any]] = [{"from": u, "to": v, "hard": bool(d.get("hard")), "reason": d["reason"][:160]}
                                       for u, v, d in graph.edges(data=True) if u in names and v in names]
        prompt = render("critiquing.j2", raw=attempt.raw, parse_error=attempt.parse_error,
                        calls=[c.to_python() for c in attempt.calls],
                        results=[r.to_text()[:300] for r in attempt.results], reason=attempt.reason,
                        truth=[s.call.to_python() for s in truth], edges=edges)
        try:
            reply, text, events = ask_json(self.client, [{"role": "user", "content": prompt}], _CritiqueReply,
                                           role="critiquing")
            critique, error = reply.critique.strip(), None
        except ParseError as exc:  # a critique that is not JSON is still a critique: keep the text
            text, events = getattr(exc, "raw", ""), list(getattr(exc, "events", ()))
            critique, error = text.strip(), str(exc)
        return StepResult(critique, CritiqueTrace(prompt=prompt, raw=text, parse_error=error, events=events))
