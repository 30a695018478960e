"""``A_R``, the reasoning agent: acts step by step (reasoning, calls, their results, again) until it answers, and
reads the critic's feedback on retries.

The offline planner works from the request text, ``T_sub``, the graph and the sandbox it acts in: lexical
retrieval of a tool per clause, argument filling from the request, earlier outputs or the state, prerequisites from
graph edges. It waits for results before it reads outputs or the state, so no call uses a value it has not seen;
calls with no edge between them share a step. It makes, at a seeded rate, the mistakes a model makes (skipped
prerequisite, wrong argument source, extra call) and fewer on later attempts, where the feedback also steers it.
The LLM reasoner talks to the model with native tool calls (OpenAI ``tool_calls``, Anthropic ``tool_use``) or the
text protocol of ``reasoning_system.j2``; calls a server returns as text are recovered by the safe parser.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from pydantic import BaseModel

from fr_core.agents.base import (OFFLINE_LABEL, AnswerTrace, Move, ReasonTask, RewriteTrace, ask, ask_json,
                                 ask_response, failed_call_event, render)
from fr_core.agents.lexicon import BARE, COUNTED, PLAIN_WORDS, SYNONYMS, find_values, goal_phrase, param_words, words
from fr_core.agents.narrate import describe_outcome, dirty_reasons, narrate_step
from fr_core.agents.patterns import compile_pattern
from fr_core.agents.phrasebook import (CONTRACTIONS, FROM_BEFORE, REFER_BACK, SAID_NOW, WORKED_OUT, Phrasing,
                                      alternatives, phrasings, result_noun, word_value)
from fr_core.envs.base import Environment, call_failed
from fr_core.errors import LLMError, LLMTransportError, ParseError
from fr_core.llm import LLMClient, parse_tool_calls
from fr_core.sampling import OutputLeaf, output_leaves
from fr_core.types import CallResult, LLMCallEvent, Query, RoleEvent, Step, StepResult, ToolCall, ToolSpec

__all__ = ["Hints", "read_feedback", "OfflineReasoning", "LLMReasoning", "FEEDBACK_PREFIX", "history_context"]

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


def _listed(value: Any, schema: dict[str, Any]) -> Any:
    """A string said for a list argument as the one-item list it stands for ("the driver door" → ``["driver"]``)."""
    return [value] if schema.get("type") == "array" and isinstance(value, str) else value


def _said_as(value: Any, schema: dict[str, Any]) -> Any:
    """A value the request says, as the argument takes it: :func:`_listed`, and digits written without quotes for a
    string argument as that string ("booking 3717171" → ``"3717171"``)."""
    if schema.get("type") == "string" and type(value) is int:
        return str(value)
    return _listed(value, schema)


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    value = _listed(value, schema)
    kind = schema.get("type")
    types = {"number": (int, float), "integer": (int,), "string": (str,), "array": (list,), "boolean": (bool,),
             "object": (dict,)}.get(kind or "")
    if types is None:
        return True
    return isinstance(value, types) and (kind == "boolean" or not isinstance(value, bool))


def _tokens(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z]+", text)]


@dataclass(frozen=True)
class _Pointer:
    """A value the request points at by the tool that gave it ("the standard deviation from before")."""

    tool: str


@dataclass
class _Value:
    value: Any
    before: list[str]
    after: list[str]
    used: bool = False


#: What a planner generator yields when it needs the results of the calls it has planned so far.
_FLUSH = object()

Plan = Generator[object, tuple[CallResult, ...], Any]


class _Planner:
    """One attempt's planning: a generator that plans calls, and yields ``_FLUSH`` whenever it must see the results
    of the calls planned so far (before it reads an output or the state, or before a call that depends on them)."""

    def __init__(self, task: ReasonTask, env: Environment, hints: Hints, rng: random.Random, rate: float) -> None:
        self.task, self.env, self.hints, self.rng, self.rate = task, env, hints, rng, rate
        self.specs = {t.name: t for t in task.tools}
        self.graph = task.graph
        self.calls: list[ToolCall] = []  # every call made (sent or pending)
        self.pending: list[ToolCall] = []  # calls of the step being formed
        self.leaves: list[OutputLeaf] = list(task.observations)
        self.mistakes: list[str] = []
        self._made: set[str] = set()
        self.given: dict[str, Any] = {}  # values the request gave, by parameter name, reused for later calls
        self.latest: dict[str, Any] = {}  # the last value a goal of the request took, by parameter name
        self.pointers: list[str] = []  # tools the clause points at the results of, outside a phrasing's slots
        self._nouns = {n: result_noun(s) for n, s in self.specs.items()}  # what a request calls each result
        self._tool_words = {n: set(words(goal_phrase(s) + " " + n, canonical=True)) for n, s in self.specs.items()}

    @cached_property
    def _readable(self) -> list[tuple[str, Phrasing, tuple[tuple[str, ...], ...], _Shapes]]:
        """Every phrasing of every tool that can tell a tool (not a lone word), in the order :meth:`_parse` tries
        them, with the words a clause must hold for it (:func:`_anchors`) and its slots' own shapes
        (:func:`_shaped_slots`)."""
        return [(name, phrasing, _anchors(phrasing.text), _shaped_slots(spec, phrasing.slots))
                for name, spec in self.specs.items()
                for phrasing in (*phrasings(spec, context=True), *phrasings(spec))
                if phrasing.slots or len(phrasing.text.split()) >= 2]  # one word tells no tool

    # -- mistakes -----------------------------------------------------------------------------------------------
    def _slip(self, kind: str, tool: str) -> bool:
        """Whether to make mistake ``kind`` now: at most one of each kind per attempt, never where feedback pointed."""
        if kind in self._made or self.hints.mentions(tool) or self.rng.random() >= self.rate:
            return False
        self._made.add(kind)
        return True

    # -- steps --------------------------------------------------------------------------------------------------
    def _sync(self) -> Plan:
        """Send the pending calls and take in their results (outputs become leaves) before reading anything."""
        if not self.pending:
            return
        first = len(self.calls) - len(self.pending)
        results = yield _FLUSH
        for n, (call, result) in enumerate(zip(self.pending, results)):
            if not call_failed(result):
                self.leaves.extend(output_leaves(result.value, call.name, self.task.round_index, first + n))
        self.pending = []

    def _independent(self, call: ToolCall) -> bool:
        """Whether ``call`` may share a step with the pending calls: tools of other owners (separate state) with no
        graph edge between them either way. Tools of one owner may share state the graph does not show."""
        owner = self.specs[call.name].owner if call.name in self.specs else ""
        return all(self.specs[p.name].owner != owner and not self.graph.has_edge(p.name, call.name)
                   and not self.graph.has_edge(call.name, p.name) for p in self.pending)

    def _call(self, call: ToolCall) -> Plan:
        if not self._independent(call):
            yield from self._sync()
        self.pending.append(call)
        self.calls.append(call)

    # -- running ------------------------------------------------------------------------------------------------
    def run(self) -> Plan:
        for _, values, marked in self._clauses(self.task.query.text):  # credentials count wherever they are said
            for _, args, context in self._parse(marked, values, ban=frozenset()):
                for p, v in args.items() if context else ():
                    if not isinstance(v, _Pointer):
                        self.given.setdefault(p, v)
        for clause, values, marked in self._clauses(self.task.query.text):
            parsed = self._parse(marked, values)
            in_slots = {a.tool for _, args, _ in parsed for a in args.values() if isinstance(a, _Pointer)}
            self.pointers = [t for t, noun in self._nouns.items()
                             if t not in in_slots and _pointer_to(noun).search(marked)]
            if parsed:  # the request reads as the environment's phrasebook says: tools and values known
                for tool, args, context in parsed:
                    if context and self._slip("skip_prerequisite", tool):
                        self.mistakes.append(f"skipped prerequisite {tool}")
                        continue
                    if not context:  # values said after the phrasing ("with unit ...") go to its tool
                        args = {**self._assign(tool, [v for v in values if not v.used]), **args}
                    yield from self._plan_known(tool, args)
                continue
            retrieved = self._retrieve(clause, values)
            if retrieved is not None:
                yield from self._plan(retrieved, values)
        yield from self._sync()
        if self.calls and not self.hints.no_extra and self._slip("extra", ""):
            call = self.calls[self.rng.randrange(len(self.calls))]
            self.mistakes.append(f"extra call: repeated {call.name}")
            yield from self._call(call)  # "to be sure it took effect"
            yield from self._sync()

    def _clauses(self, text: str) -> list[tuple[str, list[_Value], str]]:
        """The request split into clauses: each as plain text (values blanked), its values, and the text with
        ``§n§`` markers where value ``n`` of the clause stood."""
        found = find_values(text)
        masked, last = "", 0
        for n, (start, end, value) in enumerate(found):
            # a quoted text that ends its sentence ("... write "Back at six." Then ...") ends the clause too
            ends = isinstance(value, str) and value.endswith((".", "?", "!")) and re.match(r"\s+[A-Z]", text[end:])
            masked += text[last:start] + f" §{n}§" + (". " if ends else " ")
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
            marked = _renumber(part)
            out.append((re.sub(r"§\d+§", " ", part), values, marked))
        return out

    def _parse(self, marked: str, values: list[_Value], ban: frozenset[str] | set[str] | None = None
               ) -> list[tuple[str, dict[str, Any], bool]]:
        """The tools a clause asks for by their phrasebook phrasings, with the values in their slots (a slot saying
        "the same ... as before" takes the value of the latest earlier call's argument of that name); context
        lines (credentials) first, then goals, left to right; [] when no phrasing matches. ``ban``: tools not to
        read (default: the ones the critique ruled out)."""
        found: list[tuple[int, int, int, str, dict[str, Any], bool]] = []
        low = marked.lower()
        banned = self.hints.ban if ban is None else ban
        for name, phrasing, anchors, shaped in self._readable:
            if name in banned or not _holds(anchors, low):  # a word it needs is not there: no regex to try
                continue
            spec = self.specs[name]
            m = _match_phrasing(phrasing.text, marked, shaped)
            if m is None:
                continue
            args: dict[str, Any] = {}
            worded = 0  # characters of coded words read in slots ("lock" for unlock false): as telling as literals
            shapes = dict(shaped)
            for slot in phrasing.slots:
                got = m.group(slot).strip()
                marker = re.fullmatch(r"§(\d+)§", got)
                shape = shapes.get(slot) if not marker else None
                if shape is _FIELDS and _FIELDS.fullmatch(got):
                    fields = _fields(spec.properties[slot], got, values)
                    if fields is None:
                        break
                    args[slot] = fields
                elif shape is _WORDS and _WORDS.fullmatch(got):  # "the driver and passenger doors"
                    args[slot] = [word_value(spec, slot, w) for w in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", got)]
                elif marker:
                    args[slot] = _said_as(word_value(spec, slot, values[int(marker.group(1))].value),
                                          spec.properties.get(slot, {}))
                elif _SAME.fullmatch(got):
                    args[slot] = self._earlier_value(slot)
                    if args[slot] is None:
                        break
                elif _SAME_NOW.fullmatch(got):  # said for the goal before, in this request
                    args[slot] = self.latest.get(slot)
                    if args[slot] is None:
                        break
                elif named := self._named_result(got):
                    args[slot] = _Pointer(named)
                elif BARE.fullmatch(got):
                    args[slot] = _listed(word_value(spec, slot, got), spec.properties.get(slot, {}))  # "lines"
                    worded += len(got) if args[slot] != _listed(got, spec.properties.get(slot, {})) else 0
                # "the ... from before", "that ...": a value to work out from results, filled later
            else:
                literal = m.end() - m.start() - sum(len(m.group(slot)) for slot in phrasing.slots) + worded
                found.append((m.start(), m.end(), literal, name, args, phrasing.context))
        chosen: list[tuple[int, int, int, str, dict[str, Any], bool]] = []
        for item in sorted(found, key=lambda f: (-f[2], -len(f[4]))):  # the most read, then the most values
            if all(item[1] <= c[0] or item[0] >= c[1] for c in chosen):
                chosen.append(item)
        for item in chosen:
            for v in values:
                if any(a in (v.value, str(v.value)) or (isinstance(a, dict) and v.value in a.values())
                       for a in item[4].values()):
                    v.used = True
        return [(name, args, context) for *_, name, args, context in sorted(chosen, key=lambda c: (not c[5], c[0]))]

    def _named_result(self, text: str) -> str | None:
        """The tool whose result ``text`` points at by name ("the product from before"), if it does."""
        return next((t for t, noun in self._nouns.items() if _pointer_to(noun).fullmatch(text)), None)

    def _earlier_value(self, arg: str) -> Any:
        """The value the latest call of an earlier turn gave argument ``arg`` (what "the same ..." points at)."""
        for turn in reversed(self.task.history):
            for step in reversed(turn.get("steps", ())):
                for call in reversed(step.get("calls", ())):
                    if arg in call.get("arguments", {}):
                        return call["arguments"][arg]
        return None

    def _plan_known(self, tool: str, args: dict[str, Any]) -> Plan:
        """Plan a call whose tool and said values are known: prerequisites the feedback named, then the rest of
        its arguments from earlier outputs or the state."""
        pointed = {p: a.tool for p, a in args.items() if isinstance(a, _Pointer)}
        args = {p: a for p, a in args.items() if p not in pointed}
        for p, v in args.items():
            self.given.setdefault(p, v)
        self.latest.update(args)
        for p, source in pointed.items():
            args[p] = yield from self._of_tool(source)
        needed = set(self.hints.need_first.get(tool, set())) - set(c.name for c in self.calls)
        if needed:
            yield from self._prerequisites(tool, [], needed)
        yield from self._fill(tool, args)
        yield from self._call(ToolCall(tool, args))

    def _retrieve(self, clause: str, values: list[_Value]) -> str | None:
        cw = set(words(clause, canonical=True))
        best, best_score = None, 0.0
        for name in sorted(self.specs):
            if name in self.hints.ban:
                continue
            overlap = len(cw & self._tool_words[name])
            if not overlap or (overlap < 2 and not values and name not in self.hints.boost):
                continue  # one shared word and no value is small talk ("one more thing:"), not a request
            score = overlap / math.sqrt(len(self._tool_words[name]) + 1)
            for v in values:
                if any(self._param_match(p, v) for p in self.specs[name].properties):
                    score += 0.3
            if name in self.hints.boost:
                score += 3.0
            if score > best_score:
                best, best_score = name, score
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
            scored = [(self._param_match(p, v), p) for p in props
                      if p not in args and _fits(_said_as(v.value, props[p]), props[p])]
            score, param = max(scored, default=(0, ""))
            if score > 0:
                args[param], v.used = _said_as(v.value, props[param]), True
                self.given.setdefault(param, args[param])
        return args

    def _plan(self, tool: str, values: list[_Value]) -> Plan:
        args = self._assign(tool, values)
        leftovers = [v for v in values if not v.used]
        needed = set(self.hints.need_first.get(tool, set())) - set(c.name for c in self.calls)
        if leftovers or needed:
            yield from self._prerequisites(tool, leftovers, needed)
        for v in (v for v in values if not v.used):  # still unplaced: fill by type, in order
            free = [p for p in self.specs[tool].required if p not in args]
            if free:
                args[free[0]], v.used = v.value, True
        yield from self._fill(tool, args)
        yield from self._call(ToolCall(tool, args))

    def _prerequisites(self, tool: str, leftovers: list[_Value], needed: set[str]) -> Plan:
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
            while True:  # one call per set of values: two user ids the request gives mean two logins
                args = self._assign(u, matched)
                yield from self._fill(u, args)
                yield from self._call(ToolCall(u, args))
                left = [v for v in matched if not v.used]
                if not left or len(left) == len(matched):
                    break
                matched = left
            needed.discard(u)

    def _fill(self, tool: str, args: dict[str, Any]) -> Plan:
        spec = self.specs[tool]
        hinted = [p for (t, p) in self.hints.arg_from if t == tool and p in spec.properties]
        for p in dict.fromkeys([*spec.required, *hinted]):
            if p in args:
                continue
            value = None
            if self.pointers:  # "..., using that standard deviation": the first pointed result of a fitting type
                value = yield from self._of_tool(self.pointers[0])
                if value is not None and _fits(value, spec.properties.get(p, {})):
                    self.pointers.pop(0)
                else:
                    value = None
            if value is None and (tool, p) in self.hints.arg_from:  # the critic's pointer beats a value said elsewhere
                value = yield from self._from_outputs(tool, p)
            if value is None and p in self.given:
                value = self.given[p]
            if value is None:
                value = yield from self._from_outputs(tool, p)
            if value is not None and spec.properties.get(p, {}).get("type") == "array" and not isinstance(value, list):
                value = [value]
            if value is None:
                value = yield from self._from_state(tool, p)
            if value is not None:
                args[p] = value

    def _of_tool(self, tool: str) -> Plan:
        """The latest result of ``tool`` (one value: what "the <tool> from before" points at), or ``None``."""
        yield from self._sync()
        return next((leaf.value for leaf in reversed(self.leaves) if leaf.tool == tool), None)

    def _from_outputs(self, tool: str, param: str, produce: bool = True) -> Plan:
        yield from self._sync()
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
                return leaf.value
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
            return pick.value
        kind = self.specs[tool].properties.get(param, {}).get("type")
        fits = {"number": (int, float), "integer": (int,), "string": (str,), "array": (list,)}.get(kind or "")
        recent = [leaf for leaf in reversed(self.leaves) if leaf.round == self.task.round_index and fits
                  and isinstance(leaf.value, fits) and not isinstance(leaf.value, bool)]
        if recent and kind in ("number", "integer"):
            return recent[0].value
        if produce:
            for u, _ in fields:
                if u in self.specs and u != tool and not self.specs[u].required:
                    yield from self._call(ToolCall(u, {}))
                    return (yield from self._from_outputs(tool, param, produce=False))
        return None

    def _from_state(self, tool: str, param: str) -> Plan:
        yield from self._sync()
        candidates = self.env.candidates(tool, param)
        if candidates:
            return candidates[0]
        schema = self.specs[tool].properties.get(param, {})
        if "enum" in schema:
            return schema["enum"][0]
        return schema.get("default")


def _renumber(part: str) -> str:
    """A clause's ``§n§`` value markers numbered from 0 within the clause."""
    count = iter(range(part.count("§") // 2))
    return re.sub(r"§\d+§", lambda _: f"§{next(count)}§", part)


_SLOT_TEXT = re.compile(r"\{\w+\}")
_ARTICLE = re.compile(r"\b(?:the|a|an)\s+", re.I)


def _literal(text: str) -> str:
    """Literal words of a phrasing: articles optional, a word a request may swap for a synonym (a tool's name,
    see ``avoid_tool_names``) matching its synonyms too, and a contraction matching its spelled-out form."""
    parts = []
    for word in re.split(r"\s+", text.strip()):
        if not word:
            continue
        if _ARTICLE.fullmatch(word + " "):  # any article, or none: "a" may be written "an" before a vowel
            parts.append(r"(?:(?:the|an|a)\s+)?")
            continue
        head = re.match(r"[A-Za-z]+'[a-z]+", word)
        if head and head.group(0).lower() in CONTRACTIONS:
            full = CONTRACTIONS[head.group(0).lower()].split()
            parts.append("(?:" + re.escape(head.group(0)) + "|" + r"\s+".join(map(re.escape, full)) + ")"
                         + re.escape(word[head.end():]) + r"\s*")
            continue
        head = re.match(r"[A-Za-z]+", word)
        if head and head.group(0).lower() in COUNTED:  # "lines" reads "1 line" too
            parts.append(re.escape(head.group(0)[:-1]) + "s?" + re.escape(word[head.end():]) + r"\s*")
            continue
        if head and head.group(0).lower() in SYNONYMS:
            alts = (head.group(0), *SYNONYMS[head.group(0).lower()])
            word_re = "(?:" + "|".join(re.escape(a) for a in alts) + ")" + re.escape(word[head.end():])
        else:
            word_re = re.escape(word)
        parts.append(word_re + r"\s*")
    return "".join(parts)


def _pattern(text: str, slot: Callable[[str], str]) -> str:
    """A phrasebook line as a regex source: its ``(a|b)`` choices as alternatives, each ``{name}`` as ``slot(name)``;
    spacing is free and articles optional (a terse request drops them)."""
    out = ""
    for piece in alternatives(text):
        if isinstance(piece, list):
            out += "(?:" + "|".join(_pattern(alt, slot) for alt in piece) + ")"
            continue
        last = 0
        for m in _SLOT_TEXT.finditer(piece):
            out += _literal(piece[last:m.start()]) + rf"\s*{slot(m.group(0)[1:-1])}\s*"
            last = m.end()
        out += _literal(piece[last:])
    return out


#: What a slot of a phrasing takes: a value marker, or words pointing at a value ("the same ... as before").
_POINTERS = "|".join(_pattern(t, lambda _: "[a-z ]+?") for t in (REFER_BACK, SAID_NOW, FROM_BEFORE, WORKED_OUT))
_SAME = re.compile(_pattern(REFER_BACK, lambda _: "[a-z ]+?"), re.I)
_SAME_NOW = re.compile(_pattern(SAID_NOW, lambda _: "[a-z ]+?"), re.I)


#: A value written without quotes (:data:`BARE`), whole, and none of the little words of requests.
_BARE_SLOT = (r"(?<![\w.§])(?!(?:" + "|".join(sorted(PLAIN_WORDS)) + r")\b)" + BARE.pattern
              + r"(?![\w§]|\.[A-Za-z])")


@lru_cache(maxsize=4096)
def _pointer_to(noun: str) -> re.Pattern[str]:
    """How a request points at a result it calls ``noun``: "the product from before", "that standard deviation"."""
    named = [_pattern(t.format(words=noun), lambda _: "") for t in (FROM_BEFORE, WORKED_OUT)]
    return compile_pattern(r"\b(?:" + "|".join(named) + r")(?!\w)", re.I)


def _holds(anchors: tuple[tuple[str, ...], ...], low: str) -> bool:
    """Whether the lower-case clause ``low`` holds one form of each group of :func:`_anchors`."""
    for group in anchors:
        for form in group:
            if form in low:
                break
        else:
            return False
    return True


@lru_cache(maxsize=4096)
def _anchors(text: str) -> tuple[tuple[str, ...], ...]:
    """Lower-case forms a clause must hold for phrasing ``text`` to match it (a cheap test before the regex, which
    is compiled only for a clause that passes): for each word outside choices and slots, one of its forms; for each
    choice, one form of a word of one of its wordings (when each wording has one). A word's forms are itself and
    the synonyms a request may swap it for (a counted noun: its singular, which the plural holds). ``()`` when there
    is none (always try the regex)."""
    def words(part: str) -> list[str]:
        return [w.lower() for w in re.findall(r"[A-Za-z']+", _SLOT_TEXT.sub(" ", part))
                if "'" not in w and len(w) >= 3 and w.lower() not in ("the", "and")]

    def forms(found: list[str]) -> tuple[str, ...]:  # "lines" also as "line" (after 1)
        return tuple(dict.fromkeys(f for w in found for f in (w[:-1] if w in COUNTED else w,
                                                              *(a.lower() for a in SYNONYMS.get(w, ())))))

    pieces = alternatives(text)
    # the longest word first: the test stops at the first group a clause lacks
    need = [forms([w]) for w in sorted(dict.fromkeys(words(" ".join(p for p in pieces if isinstance(p, str)))),
                                       key=len, reverse=True)]
    for piece in pieces:
        if isinstance(piece, list):
            chosen = [max(found, key=len) if (found := words(alt)) else None for alt in piece]
            if all(chosen):
                need.append(forms([w for w in chosen if w]))
    return tuple(need)


#: An object argument said field by field ("status §0§ and title §1§"): each field's words, then its value.
_FIELDS = re.compile(r"(?:[a-z]+\s+){1,3}§\d+§(?:\s*(?:,\s*and|,|and)\s+(?:[a-z]+\s+){1,3}§\d+§)*", re.I)


#: A list of words said as people list them ("driver, passenger and rear_left"), each a value written bare.
_WORDS = re.compile(rf"{_BARE_SLOT}(?:\s*,\s*{_BARE_SLOT})*\s*,?\s+and\s+{_BARE_SLOT}", re.I)


#: Slots whose value may come in a shape of its own, with that shape's pattern (see :func:`_shaped_slots`).
_Shapes = tuple[tuple[str, re.Pattern[str]], ...]


def _shaped_slots(spec: ToolSpec, slots: Sequence[str]) -> _Shapes:
    """The slots of a phrasing whose value may be said in a shape of its own, with that shape: an object with named
    fields (a ticket's ``updates``) field by field, a list of strings (doors) as a list of words."""
    out = []
    for slot in slots:
        schema = spec.properties.get(slot, {})
        if schema.get("type") == "object" and schema.get("properties"):
            out.append((slot, _FIELDS))
        elif schema.get("type") == "array" and (schema.get("items") or {}).get("type") == "string":
            out.append((slot, _WORDS))
    return tuple(out)


def _fields(schema: dict[str, Any], said: str, values: list["_Value"]) -> dict[str, Any] | None:
    """An object argument from its fields as said ("status §0§ and title §1§" → ``{"status": ..., "title": ...}``),
    each field named by its words; ``None`` when a name is no field of ``schema``."""
    props = schema.get("properties", {})
    out = {}
    for m in re.finditer(r"((?:[a-z]+\s+){1,3})§(\d+)§", said, re.I):
        named = " ".join(w for w in m.group(1).lower().split() if w != "and")
        key = next((k for k in props if param_words(k) == named), None)
        if key is None:
            return None
        out[key] = _said_as(values[int(m.group(2))].value, props[key])
    return out


@lru_cache(maxsize=4096)
def _phrasing_pattern(text: str, shaped: _Shapes = ()) -> re.Pattern[str]:
    """A phrasing as a pattern over a clause with ``§n§`` value markers: each slot takes a marker, a pointer or a
    value written without quotes; a slot of ``shaped`` also a value in its shape (see :func:`_shaped_slots`)."""
    shapes = dict(shaped)
    return compile_pattern(r"(?<!\w)" + _pattern(text, lambda name: rf"(?P<{name}>§\d+§|{_POINTERS}|{_BARE_SLOT}"
                                                        + (rf"|{shapes[name].pattern})" if name in shapes else ")")),
                           re.I)


#: What a slot may hold besides a value marker, checked on a slot's text after a loose match.
_SLOT_TEXT_OK = re.compile(rf"(?:{_POINTERS})|{_BARE_SLOT}", re.I)


def _tails() -> str:
    """How pointers back end ("... as before", "... you found earlier"), grouped by first word (quicker to compile)."""
    groups: dict[str, list[str]] = {}
    for template in (REFER_BACK, SAID_NOW, FROM_BEFORE):
        for tail in alternatives(template)[-1]:
            first, _, rest = tail.partition(" ")
            groups.setdefault(first, []).append(r"\s+".join(map(re.escape, rest.split())))
    return "|".join(re.escape(first) + r"\s+(?:" + "|".join(rests) + ")" for first, rests in groups.items())


#: A loose slot: a value marker, a pointer back taken whole first (as the exact pattern does), or a run of words.
_LOOSE_SLOT = (r"§\d+§|(?<![\w.§])\w[\w. ]*?\s(?:" + _tails() + r")(?![\w§])"
               r"|(?<![\w.§])\w[\w. ]*?(?<![ .])(?![\w§]|\.[A-Za-z])")


@lru_cache(maxsize=4096)
def _loose_pattern(text: str, shaped: _Shapes = ()) -> re.Pattern[str]:
    """A phrasing with each slot taking a value marker, a pointer back or any run of words (a slot of ``shaped``
    also a value in its shape): several times quicker to compile than :func:`_phrasing_pattern`, and it matches
    wherever that one does."""
    shapes = dict(shaped)
    return compile_pattern(r"(?<!\w)" + _pattern(text, lambda name: rf"(?P<{name}>" + (
        rf"{shapes[name].pattern}|" if name in shapes else "") + rf"{_LOOSE_SLOT})"), re.I)


def _match_phrasing(text: str, marked: str, shaped: _Shapes = ()
                    ) -> re.Match[str] | None:
    """Where phrasing ``text`` matches the clause ``marked``: the loose pattern's match when each slot holds a value
    marker, a pointer or a bare value (or, in a slot of ``shaped``, a value in its shape); else the exact pattern's
    (compiled only then)."""
    m = _loose_pattern(text, shaped).search(marked)
    if m is None:
        return None
    shapes = dict(shaped)
    if all(re.fullmatch(r"§\d+§", got.strip()) or _SLOT_TEXT_OK.fullmatch(got.strip())
           or (slot in shapes and shapes[slot].fullmatch(got.strip()))
           for slot, got in m.groupdict().items() if got is not None):
        return m
    return _phrasing_pattern(text, shaped).search(marked)


def history_context(history: tuple[dict[str, Any], ...]) -> str:
    """The earlier turns as one text (queries, calls, results, answers), to tell values said before."""
    return json.dumps(list(history), ensure_ascii=False, default=str)


class _OfflineSession:
    """Runs a planner generator one step at a time; each step's reasoning is narrated from the request and the
    results seen, and the first step of a retry says that the plan changed."""

    def __init__(self, planner: _Planner, task: ReasonTask, rng: random.Random, revised: bool) -> None:
        self.planner, self.task, self.rng = planner, task, rng
        self.plan = planner.run()
        self.started = False
        self.steps: list[Step] = []
        self.last: tuple[ToolCall, ...] = ()
        self.revised = revised
        self.context = history_context(task.history)

    def next(self, results: tuple[CallResult, ...]) -> Move:
        if self.last:
            self.steps.append(Step("", self.last, results))
        try:
            signal = self.plan.send(results) if self.started else next(self.plan)
        except StopIteration:
            answer = describe_outcome(self.steps, self.rng)
            # the mistakes made on purpose stay inspectable with the attempt's events
            return Move(answer=answer, events=(RoleEvent(role="answer", label=OFFLINE_LABEL,
                                                         mistakes=tuple(self.planner.mistakes)),))
        self.started = True
        assert signal is _FLUSH
        calls = tuple(self.planner.pending)
        self.last = calls
        specs = {t.name: t for t in self.task.tools}
        text = narrate_step(self.task.query.text, self.steps, calls, specs, self.rng, context=self.context)
        if self.revised and not self.steps:
            text = "Following the feedback on my previous attempt, I revise the plan. " + text
        return Move(text, calls)


def _clean_rewrite(task: ReasonTask, steps: tuple[Step, ...], seed: int) -> tuple[str, ...]:
    rng = random.Random(seed)
    specs = {t.name: t for t in task.tools}
    context = history_context(task.history)
    return tuple(narrate_step(task.query.text, steps[:i], s.calls, specs, rng, context=context)
                 for i, s in enumerate(steps))


class OfflineReasoning:
    """The offline ``A_R``: deterministic for a seed, mistakes at ``mistake_rate`` on attempt 1 and less afterwards."""

    kind = "offline"
    label = OFFLINE_LABEL

    def __init__(self, mistake_rate: float = 0.2, retry_factor: float = 0.3) -> None:
        self.mistake_rate = mistake_rate
        self.retry_factor = retry_factor

    def begin(self, task: ReasonTask, prompt: tuple[dict[str, Any], ...], k: int,
              env: Environment) -> _OfflineSession:
        rng = random.Random(task.seed * 1_000_003 + k)
        rate = self.mistake_rate * (1.0 if k == 1 else self.retry_factor)
        hints = read_feedback(prompt)
        planner = _Planner(task, env, hints, rng, rate)
        return _OfflineSession(planner, task, rng, bool(hints.texts))

    def answer(self, query: Query, steps: tuple[Step, ...]) -> StepResult[str, AnswerTrace]:
        rng = random.Random(query.seed * 7 + len(steps))
        events = [RoleEvent(role="answer", label=self.label)]
        return StepResult(describe_outcome(steps, rng), AnswerTrace(events=events))

    def rewrite(self, task: ReasonTask, steps: tuple[Step, ...]) -> StepResult[tuple[str, ...], RewriteTrace]:
        texts = _clean_rewrite(task, steps, task.seed * 31 + 5)
        return StepResult(texts, RewriteTrace(events=[RoleEvent(role="rewrite", label=self.label)],
                                             how="narrated from results"))


def _call_message(step: Step, ids: tuple[str, ...], native: bool) -> dict[str, Any]:
    """The assistant message of one step's calls: native ``tool_calls``, or the text protocol."""
    if native:
        return {"role": "assistant", "content": step.reasoning or None, "tool_calls": [
            {"id": cid, "type": "function",
             "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)}}
            for cid, c in zip(ids, step.calls)]}
    calls = ", ".join(c.to_python() for c in step.calls)
    text = step.raw or f"<think>{step.reasoning}</think><tool_call>[{calls}]</tool_call>"
    return {"role": "assistant", "content": text}


def _reply_messages(results: tuple[CallResult, ...], ids: tuple[str, ...], native: bool) -> list[dict[str, Any]]:
    """The tool replies to one step: ``tool`` messages, or one ``<tool_response>`` user message."""
    if native:
        return [{"role": "tool", "tool_call_id": cid, "content": r.to_text()} for cid, r in zip(ids, results)]
    return [{"role": "user", "content": "<tool_response>[" + ", ".join(r.to_text() for r in results)
                                        + "]</tool_response>"}]


def history_messages(history: tuple[dict[str, Any], ...], native: bool) -> list[dict[str, Any]]:
    """Earlier turns as chat messages: the user's request, each step's calls and results, the answer."""
    out: list[dict[str, Any]] = []
    for h, turn in enumerate(history):
        out.append({"role": "user", "content": str(turn.get("query", ""))})
        for n, step in enumerate(turn.get("steps", ())):
            calls = tuple(ToolCall(c["name"], dict(c.get("arguments", {}))) for c in step.get("calls", ()))
            results = tuple(CallResult(c, value=v) for c, v in zip(calls, step.get("results", ())))
            ids = tuple(f"call_h{h}_{n}_{i}" for i in range(len(calls)))
            out += [_call_message(Step(step.get("reasoning", ""), calls), ids, native),
                    *_reply_messages(results, ids, native)]
        out.append({"role": "assistant", "content": turn.get("answer", "")})
    return out


class _LLMSession:
    """One attempt with a model: the conversation grows by the model's step and the tool replies each time."""

    def __init__(self, agent: LLMReasoning, task: ReasonTask, prompt: tuple[dict[str, Any], ...], k: int) -> None:
        self.agent, self.task, self.k = agent, task, k
        self.native = agent.native
        self.specs = {t.name: t for t in task.tools}
        system = render("reasoning_system.j2", native=self.native,
                        tools=[] if self.native else [t.to_openai()["function"] for t in task.tools])
        self.messages: list[dict[str, Any]] = [{"role": "system", "content": system},
                                               *history_messages(task.history, self.native), *prompt]
        self.ids: tuple[str, ...] = ()
        self.n = 0

    def next(self, results: tuple[CallResult, ...]) -> Move:
        if self.ids:
            self.messages += _reply_messages(results, self.ids, self.native)
        self.n += 1
        try:
            response, event = ask_response(self.agent.client, self.messages, role="reasoning",
                                           seed=self.task.seed + self.k * 101 + self.n,
                                           temperature=self.agent.temperature,
                                           tools=self.task.tools if self.native else ())
        except LLMTransportError:
            raise  # the server's fault, not the model's: the sample fails as a transport failure, counted apart
        except LLMError as exc:
            return Move(parse_error=f"the model call failed: {exc}", events=(failed_call_event(exc, "reasoning"),))
        move = self._read(response, event)
        self.ids = ()
        if move.calls:
            native_ids = tuple(response.tool_call_ids)
            self.ids = native_ids if len(native_ids) == len(move.calls) and not move.recovered else tuple(
                f"call_{self.k}_{self.n}_{i}" for i in range(len(move.calls)))
            self.messages.append(_call_message(Step(move.reasoning, move.calls, raw=move.raw), self.ids, self.native))
        return move

    def _read(self, response: Any, event: LLMCallEvent) -> Move:
        text = response.text or ""
        if response.tool_call_errors:
            return Move(raw=text, parse_error="tool call arguments are not valid JSON: "
                                              + "; ".join(response.tool_call_errors), events=(event,))
        if response.tool_calls:
            reasoning = response.reasoning or _strip_think(text)
            return Move(reasoning, tuple(response.tool_calls), raw=text or _calls_text(response.tool_calls),
                        events=(event,))
        try:
            parsed = parse_tool_calls(text, self.specs, allow_text=True)
        except ParseError as exc:
            return Move(raw=text, parse_error=str(exc), events=(event,))
        reasoning = response.reasoning or parsed.think
        if parsed.calls:  # calls written as text: read back as data, marked recovered when tools were native
            return Move(reasoning, parsed.calls, raw=text, recovered=self.native, events=(event,))
        answer = parsed.answer if parsed.answer is not None else parsed.content
        if not answer.strip():
            return Move(raw=text, parse_error="the reply has neither calls nor an answer", events=(event,))
        return Move(reasoning, (), answer.strip(), raw=text, events=(event,))


def _strip_think(text: str) -> str:
    return re.sub(r"</?think>", "", text).strip()


def _calls_text(calls: tuple[ToolCall, ...]) -> str:
    return "<tool_call>[" + ", ".join(c.to_python() for c in calls) + "]</tool_call>"


class _RewriteReply(BaseModel):
    steps: list[str]


class LLMReasoning:
    """A model acts step by step through native tool calls (``native=True``, where the backend has them) or the
    text protocol; an unusable reply at any step makes a failed attempt, kept raw."""

    kind = "llm"

    def __init__(self, client: LLMClient, model: str = "", temperature: float | None = 0.7,
                 native: bool | None = None) -> None:
        self.client = client
        self.temperature = temperature
        profile = getattr(client, "profile", None)
        self.native = bool(getattr(profile, "tool_calling", "native") == "native") if native is None else native
        self.label = f"llm:{model or getattr(client, 'model', 'model')}"

    def begin(self, task: ReasonTask, prompt: tuple[dict[str, Any], ...], k: int,
              env: Environment) -> _LLMSession:
        return _LLMSession(self, task, prompt, k)

    def answer(self, query: Query, steps: tuple[Step, ...]) -> StepResult[str, AnswerTrace]:
        prompt = render("answer.j2", query=query.text, steps=[(c.to_python(), r.to_text()[:500])
                                                              for s in steps for c, r in zip(s.calls, s.results)])
        text, event = ask(self.client, [{"role": "user", "content": prompt}], role="answer")
        try:
            parsed = parse_tool_calls(text, allow_text=True)
            answer = parsed.answer if parsed.answer is not None else parsed.content
        except ParseError:
            answer = text
        return StepResult(answer.strip(), AnswerTrace(raw=text, events=[event]))

    def rewrite(self, task: ReasonTask, steps: tuple[Step, ...]) -> StepResult[tuple[str, ...], RewriteTrace]:
        """The model writes each step's reasoning again from the request and the results; a rewrite with the
        wrong number of steps or that still mentions the critic is replaced by the offline narration."""
        prompt = render("rewrite.j2", query=task.query.text, steps=[
            {"calls": [c.to_python() for c in s.calls], "results": [r.to_text()[:400] for r in s.results]}
            for s in steps])
        events: list[LLMCallEvent] = []
        try:
            reply, raw, events = ask_json(self.client, [{"role": "user", "content": prompt}], _RewriteReply,
                                          role="rewrite", seed=task.seed)
            texts = tuple(t.strip() for t in reply.steps)
            problem = ("wrong number of steps" if len(texts) != len(steps)
                       else "; ".join(p for t in texts for p in dirty_reasons(t)))
        except LLMTransportError:
            raise
        except (ParseError, LLMError) as exc:
            texts, raw, problem = (), getattr(exc, "raw", ""), str(exc)
            events = list(getattr(exc, "events", ())) or [failed_call_event(exc, "rewrite")]
        if problem:
            texts = _clean_rewrite(task, steps, task.seed * 31 + 5)
        return StepResult(texts, RewriteTrace(events=events, raw=raw, fallback=problem or None,
                                              how="offline narration" if problem else "model rewrite"))
