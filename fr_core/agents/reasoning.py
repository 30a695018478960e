"""``A_R``, the reasoning agent: plans CoT and calls for a request, and reads the critic's feedback on retries.

The offline planner works from the request text, ``T_sub``, the graph and the environment it acts in: lexical
retrieval of a tool per clause, argument filling from the request, earlier outputs or the state, prerequisites from
graph edges. It makes, at a seeded rate, the mistakes a model makes (skipped prerequisite, wrong argument source,
extra call) and fewer on later attempts, where the feedback also steers it.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from typing import Any

from fr_core.agents.base import OFFLINE_LABEL, Draft, ReasonTask, ask, render, role_event
from fr_core.agents.lexicon import find_values, goal_phrase, param_words, words
from fr_core.envs.base import Environment
from fr_core.errors import LLMError, ParseError
from fr_core.llm import LLMClient, parse_tool_calls
from fr_core.envs.base import call_failed
from fr_core.sampling import OutputLeaf, output_leaves
from fr_core.types import CallResult, Query, StepResult, ToolCall, ToolSpec

__all__ = ["Hints", "read_feedback", "OfflineReasoning", "LLMReasoning", "FEEDBACK_PREFIX"]

#: How feedback messages start in a prompt (``Prompt^{k+1} = Prompt^k + Error^k``).
FEEDBACK_PREFIX = "Feedback on your previous attempt:"

_SPLIT = re.compile(r"\s*(?:[.;!?:](?:\s+|$)|,\s*(?:and\s+)?then\s+|\band then\s+|\bafter that,?\s*|\bnext,?\s+)",
                    re.I)


@dataclass
class Hints:
    """What the offline reasoner understood from the critiques so far."""

    need_first: dict[str, set[str]] = field(default_factory=dict)
    boost: set[str] = field(default_factory=set)
    ban: set[str] = field(default_factory=set)
    arg_from: dict[tuple[str, str], tuple[str, str, int]] = field(default_factory=dict)
    from_query: set[tuple[str, str]] = field(default_factory=set)
    no_extra: bool = False
    texts: list[str] = field(default_factory=list)

    def mentions(self, tool: str) -> bool:
        return (tool in self.need_first or tool in self.boost or any(t == tool for t, _ in self.arg_from)
                or any(t == tool for t, _ in self.from_query))


def read_feedback(prompt: tuple[dict[str, Any], ...]) -> Hints:
    """Hints from the feedback messages of a prompt, read the way a model would act on them."""
    hints = Hints()
    for message in prompt:
        text = str(message.get("content") or "")
        if message.get("role") != "user" or not text.startswith(FEEDBACK_PREFIX):
            continue
        hints.texts.append(text[len(FEEDBACK_PREFIX):].strip())
        for t, u in re.findall(r"`(\w+)` needs `(\w+)` first", text, re.I):
            hints.need_first.setdefault(t, set()).add(u)
        hints.boost.update(re.findall(r"`(\w+)` is the tool for", text, re.I))
        hints.ban.update(re.findall(r"`(\w+)\([^`]*\)` is not asked for", text, re.I))
        for p, t, u, path, n in re.findall(r"argument `(\w+)` of `(\w+)` must come from the output of `(\w+)`"
                                           r"(?: at `([^`]*)`)?(?: \(match (\d+) of \d+\))?", text, re.I):
            hints.arg_from[(t, p)] = (u, path, int(n or 0))
        hints.from_query.update((t, p) for p, t in re.findall(
            r"argument `(\w+)` of `(\w+)` should be the value the request gives", text, re.I))
        if re.search(r"is not asked for|repeats an earlier call", text, re.I):
            hints.no_extra = True
    return hints


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    types = {"number": (int, float), "integer": (int,), "string": (str,), "array": (list,), "boolean": (bool,),
             "object": (dict,)}.get(kind or "")
    if types is None:
        return True
    return isinstance(value, types) and (kind == "boolean" or not isinstance(value, bool))


def _tokens(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z]+", text)]


@dataclass
class _Value:
    value: Any
    before: list[str]
    after: list[str]
    used: bool = False


class _Planner:
    """One attempt's planning state: calls so far, what they returned, the CoT notes, the mistakes made."""

    def __init__(self, task: ReasonTask, env: Environment, hints: Hints, rng: random.Random, rate: float) -> None:
        self.task, self.env, self.hints, self.rng, self.rate = task, env, hints, rng, rate
        self.specs = {t.name: t for t in task.tools}
        self.graph = task.graph
        self.calls: list[ToolCall] = []
        self.leaves: list[OutputLeaf] = list(task.observations)
        self.notes: list[str] = []
        self.mistakes: list[str] = []
        self._made: set[str] = set()
        self.given: dict[str, Any] = {}  # values the request gave, by parameter name, reused for later calls
        self._tool_words = {n: set(words(goal_phrase(s) + " " + n, canonical=True)) for n, s in self.specs.items()}

    # -- mistakes -----------------------------------------------------------------------------------------------
    def _slip(self, kind: str, tool: str) -> bool:
        """Whether to make mistake ``kind`` now: at most one of each kind per attempt, never where feedback pointed."""
        if kind in self._made or self.hints.mentions(tool) or self.rng.random() >= self.rate:
            return False
        self._made.add(kind)
        return True

    # -- running ------------------------------------------------------------------------------------------------
    def run(self) -> list[ToolCall]:
        for text in self.hints.texts:
            self.notes.append(f"The critic said: {text} I take that into account.")
        for clause, values in self._clauses(self.task.query.text):
            tool = self._retrieve(clause, values)
            if tool is not None:
                self._plan(tool, values, clause)
        if self.calls and not self.hints.no_extra and self._slip("extra", ""):
            i = self.rng.randrange(len(self.calls))
            self.calls.insert(i + 1, self.calls[i])
            self.mistakes.append(f"extra call: repeated {self.calls[i].name}")
            self.notes.append(f"To be sure it took effect, I call `{self.calls[i].name}` once more.")
        return self.calls

    def _clauses(self, text: str) -> list[tuple[str, list[_Value]]]:
        found = find_values(text)
        masked, last = "", 0
        for n, (start, end, _) in enumerate(found):
            masked += text[last:start] + f" §{n}§ "
            last = end
        masked += text[last:]
        out = []
        for part in _SPLIT.split(masked):
            if not part.strip():
                continue
            values = []
            for m in re.finditer(r"§(\d+)§", part):
                before = _tokens(part[: m.start()])[-4:]
                rest = part[m.end():]
                after = _tokens(rest)[2:5] if re.match(r"\s*as the\b", rest) else []
                values.append(_Value(found[int(m.group(1))][2], before, after))
            out.append((re.sub(r"§\d+§", " ", part), values))
        return out

    def _retrieve(self, clause: str, values: list[_Value]) -> str | None:
        cw = set(words(clause, canonical=True))
        best, best_score = None, 0.0
        for name in sorted(self.specs):
            if name in self.hints.ban:
                continue
            overlap = len(cw & self._tool_words[name])
            if not overlap:
                continue
            score = overlap / math.sqrt(len(self._tool_words[name]) + 1)
            for v in values:
                if any(self._param_match(p, v) for p in self.specs[name].properties):
                    score += 0.3
            if name in self.hints.boost:
                score += 3.0
            if score > best_score:
                best, best_score = name, score
        if best is not None:
            self.notes.append(f"“{clause.strip()[:80]}”: `{best}` ({goal_phrase(self.specs[best])}) fits best.")
        return best

    @staticmethod
    def _param_match(param: str, v: _Value) -> int:
        pw = set(param_words(param).split())
        return len(pw & set(v.before[-3:])) * 2 + len(pw & set(v.after)) * 2

    def _assign(self, tool: str, values: list[_Value]) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for v in values:
            if v.used:
                continue
            props = self.specs[tool].properties
            scored = [(self._param_match(p, v), p) for p in props if p not in args and _fits(v.value, props[p])]
            score, param = max(scored, default=(0, ""))
            if score > 0:
                args[param], v.used = v.value, True
                self.given.setdefault(param, v.value)
        return args

    def _plan(self, tool: str, values: list[_Value], clause: str) -> None:
        args = self._assign(tool, values)
        leftovers = [v for v in values if not v.used]
        needed = set(self.hints.need_first.get(tool, set())) - set(c.name for c in self.calls)
        if leftovers or needed:
            self._prerequisites(tool, leftovers, needed)
        for v in (v for v in values if not v.used):  # still unplaced: fill by type, in order
            free = [p for p in self.specs[tool].required if p not in args]
            if free:
                args[free[0]], v.used = v.value, True
        self._fill(tool, args)
        self._call(ToolCall(tool, args))

    def _prerequisites(self, tool: str, leftovers: list[_Value], needed: set[str]) -> None:
        prereqs = [u for u, _, d in self.graph.in_edges(tool, data=True)  # prerequisites, and producers of inputs
                   if (d.get("hard") or d.get("field")) and u in self.specs and u != tool]
        pool = sorted(set(prereqs) | needed, key=lambda u: (u not in needed, u not in prereqs, u))
        for u in pool:
            matched = [v for v in leftovers if not v.used and any(self._param_match(p, v)
                                                                  for p in self.specs[u].properties)]
            if not matched and u not in needed:
                continue
            if u not in needed and self._slip("skip_prerequisite", tool):
                for v in matched:
                    v.used = True
                self.mistakes.append(f"skipped prerequisite {u} before {tool}")
                continue
            reason = self.graph.edges[u, tool]["reason"].split(";")[0] if self.graph.has_edge(u, tool) else "feedback"
            self.notes.append(f"`{tool}` depends on `{u}` (graph edge {u}→{tool}: {reason[:120]}), so `{u}` comes first.")
            while True:  # one call per set of values: two user ids the request gives mean two logins
                args = self._assign(u, matched)
                self._fill(u, args)
                self._call(ToolCall(u, args))
                left = [v for v in matched if not v.used]
                if not left or len(left) == len(matched):
                    break
                matched = left
            needed.discard(u)

    def _fill(self, tool: str, args: dict[str, Any]) -> None:
        spec = self.specs[tool]
        hinted = [p for (t, p) in self.hints.arg_from if t == tool and p in spec.properties]
        for p in dict.fromkeys([*spec.required, *hinted]):
            if p in args:
                continue
            value, note = None, ""
            if (tool, p) in self.hints.arg_from:  # the critic's pointer beats a value the request gave elsewhere
                value, note = self._from_outputs(tool, p)
            if value is None and p in self.given:
                value, note = self.given[p], "the request gave it earlier"
            if value is None:
                value, note = self._from_outputs(tool, p)
            if value is not None and spec.properties.get(p, {}).get("type") == "array" and not isinstance(value, list):
                value = [value]
            if value is None:
                value, note = self._from_state(tool, p)
            if value is not None:
                args[p] = value
                self.notes.append(f"`{p}` of `{tool}` is not in the request: {note}.")

    def _from_outputs(self, tool: str, param: str, produce: bool = True) -> tuple[Any, str]:
        hint = self.hints.arg_from.get((tool, param))
        if hint is not None:
            source, path, nth = hint
            picked = [leaf for leaf in self.leaves if leaf.tool == source and (not path or leaf.path == path)]
            if picked and not path:  # no path given: the output field named like the parameter, if there is one
                pw = set(param_words(param).split())
                named = [leaf for leaf in picked if leaf.key == param] or [
                    leaf for leaf in picked if pw & set(param_words(leaf.key).split())]
                picked = named or picked
            if picked:
                last = (picked[-1].round, picked[-1].step)
                same_call = [leaf for leaf in picked if (leaf.round, leaf.step) == last]
                leaf = same_call[nth - 1] if 0 < nth <= len(same_call) else same_call[-1]
                return leaf.value, f"the critic pointed at the output of `{source}`"
        fields = [(u, d.get("field")) for u, _, d in self.graph.in_edges(tool, data=True)
                  if d.get("param") == param and d.get("field")]
        pw = set(param_words(param).split())
        exact = [leaf for leaf in reversed(self.leaves) if leaf.key == param]
        matches = exact or [leaf for leaf in reversed(self.leaves)
                            if any(leaf.tool == u and leaf.key == f for u, f in fields)
                            or (pw & set(param_words(leaf.key).split()) and leaf.key != "")]
        if matches:
            pick = matches[0]
            if len(matches) > 1 and (tool, param) not in self.hints.from_query and self._slip("wrong_source", tool):
                pick = matches[1]
                self.mistakes.append(f"wrong argument source for {tool}.{param}: took an older output")
            return pick.value, f"I take the `{pick.key}` returned by `{pick.tool}`"
        kind = self.specs[tool].properties.get(param, {}).get("type")
        fits = {"number": (int, float), "integer": (int,), "string": (str,), "array": (list,)}.get(kind or "")
        recent = [leaf for leaf in reversed(self.leaves) if leaf.round == self.task.round_index and fits
                  and isinstance(leaf.value, fits) and not isinstance(leaf.value, bool)]
        if recent and kind in ("number", "integer"):
            return recent[0].value, f"I use the {recent[0].key or 'value'} `{recent[0].tool}` just returned"
        if produce:
            for u, _ in fields:
                if u in self.specs and u != tool and not self.specs[u].required:
                    self.notes.append(f"`{param}` of `{tool}` comes from `{u}` (graph edge {u}→{tool}), so I call it.")
                    self._call(ToolCall(u, {}))
                    return self._from_outputs(tool, param, produce=False)
        return None, ""

    def _from_state(self, tool: str, param: str) -> tuple[Any, str]:
        candidates = self.env.candidates(tool, param)
        if candidates:
            return candidates[0], "the current state offers it"
        schema = self.specs[tool].properties.get(param, {})
        if "enum" in schema:
            return schema["enum"][0], "the schema allows it"
        if "default" in schema:
            return schema["default"], "the schema's default"
        return None, ""

    def _call(self, call: ToolCall) -> None:
        result = self.env.execute(call)
        step = len(self.calls)
        self.calls.append(call)
        if not call_failed(result):
            self.leaves.extend(output_leaves(result.value, call.name, self.task.round_index, step))
        else:
            self.notes.append(f"`{call.name}` answered with an error: {result.error or result.to_text()[:120]}.")


class OfflineReasoning:
    """The offline ``A_R``: deterministic for a seed, mistakes at ``mistake_rate`` on attempt 1 and less afterwards."""

    kind = "offline"
    label = OFFLINE_LABEL

    def __init__(self, mistake_rate: float = 0.2, retry_factor: float = 0.3) -> None:
        self.mistake_rate = mistake_rate
        self.retry_factor = retry_factor

    def attempt(self, task: ReasonTask, prompt: tuple[dict[str, Any], ...], k: int,
                env: Environment) -> StepResult[Draft]:
        rng = random.Random(task.seed * 1_000_003 + k)
        rate = self.mistake_rate * (1.0 if k == 1 else self.retry_factor)
        planner = _Planner(task, env, read_feedback(prompt), rng, rate)
        calls = planner.run()
        cot = " ".join(planner.notes)
        raw = f"<think>{cot}</think><tool_call>[{', '.join(c.to_python() for c in calls)}]</tool_call>"
        draft = Draft(raw, cot, tuple(calls), None, (role_event("reasoning", self.label, k=k),))
        return StepResult(draft, {"mistakes": planner.mistakes, "rate": rate})

    def answer(self, query: Query, calls: tuple[ToolCall, ...], results: tuple[CallResult, ...]) -> StepResult[str]:
        done = [r for r in results if not call_failed(r)]
        if not done:
            text = "I could not complete the request: every step answered with an error."
        else:
            text = f"Done: {len(done)} step(s) completed. The last result was {done[-1].to_text()[:200]}."
        return StepResult(text, {"events": [role_event("answer", self.label)]})


class LLMReasoning:
    """A model writes ``<think>…</think><tool_call>[…]</tool_call>``; unparsable output is a failed draft, kept raw."""

    kind = "llm"

    def __init__(self, client: LLMClient, model: str = "", temperature: float | None = 0.7) -> None:
        self.client = client
        self.temperature = temperature
        self.label = f"llm:{model or getattr(client, 'model', 'model')}"

    def attempt(self, task: ReasonTask, prompt: tuple[dict[str, Any], ...], k: int,
                env: Environment) -> StepResult[Draft]:
        system = render("reasoning_system.j2", tools=[t.to_openai()["function"] for t in task.tools],
                        history=task.history)
        messages = [{"role": "system", "content": system}, *prompt]
        try:
            text, event = ask(self.client, messages, role="reasoning", seed=task.seed + k,
                              temperature=self.temperature)
        except LLMError as exc:
            event = getattr(exc, "event", {"kind": "llm_call", "role": "reasoning", "error": str(exc)})
            return StepResult(Draft("", "", (), f"the model call failed: {exc}", (event,)), {})
        specs = {t.name: t for t in task.tools}
        try:
            parsed = parse_tool_calls(text, specs)
        except ParseError as exc:
            return StepResult(Draft(text, "", (), str(exc), (event,)), {})
        return StepResult(Draft(text, parsed.think, parsed.calls, None, (event,)), {"format": parsed.format})

    def answer(self, query: Query, calls: tuple[ToolCall, ...], results: tuple[CallResult, ...]) -> StepResult[str]:
        prompt = render("answer.j2", query=query.text, steps=[(c.to_python(), r.to_text()[:500])
                                                              for c, r in zip(calls, results)])
        text, event = ask(self.client, [{"role": "user", "content": prompt}], role="answer")
        try:
            parsed = parse_tool_calls(text, allow_text=True)
            answer = parsed.answer if parsed.answer is not None else parsed.content
        except ParseError:
            answer = text
        return StepResult(answer.strip(), {"raw": text, "events": [event]})
