"""``A_Q``, the querying agent: a hard request that needs ``T_adv`` implicitly, or the easy step-by-step one."""

from __future__ import annotations

import random
import re
from typing import Any

from pydantic import BaseModel

from fr_core.agents.base import OFFLINE_LABEL, ask_json, render, role_event
from fr_core.agents.lexicon import SYNONYMS, goal_phrase, param_words, render_value, words
from fr_core.llm import LLMClient
from fr_core.types import AdvancedTool, Query, StepResult, ToolSpec

__all__ = ["OfflineQuerying", "LLMQuerying", "avoid_tool_names", "short_goal"]

#: Plain wording used at ``ε = 0``; every other choice below is made only with probability ``ε``.
_PLAIN_OPENER = "Please {x}."
_OPENERS = ("Could you {x}?", "Can you {x}?", "I'd like you to {x}.", "I need you to {x}.", "Please {x}.",
            "Kindly {x}.", "Go ahead and {x}.", "When you get a chance, {x}.", "Help me out: {x}.",
            "Quick one: {x}.", "Hey, {x}, would you?", "Let's {x}.", "{X}.", "{X}, please.", "Would you {x}?",
            "I want to {x}.", "Here is what I'm after: {x}.", "Today I'd like to {x}.", "Mind if you {x}?")
_FOLLOW_UPS = ("Now", "Okay, now", "Right, now", "Good. Now", "Thanks. Now")
_PLAIN_CONNECTOR = ", then "
_CONNECTORS = (", then ", "; after that, ", ", and then ", ". Next, ", ". Then ", ". Also, ", "; also ",
               ", and after that ", ". Once that's done, ", ". After that, ")
_GREETINGS = ("Hi!", "Hello.", "Hey there.", "Morning!", "Good afternoon.", "Sorry to bother you again.",
              "I'm in a bit of a rush.", "Small favour to ask.", "Okay, so.", "Hope you're well.", "Quick favour.",
              "Evening!", "Hi again.", "Busy day here.", "Got a minute?", "Right.", "Alright.", "Yo.",
              "Long week, bear with me.", "Hello hello.")
_CLOSERS = ("Thanks!", "Thank you.", "Cheers.", "Much appreciated.", "Appreciate it.", "That's all for now.",
            "No rush.", "Thanks in advance.", "You're a star.", "Ping me if anything looks off.", "Ta.",
            "Many thanks.", "Thanks a bunch.", "Grateful as always.", "Legend, thanks.", "Shout if stuck.",
            "Ta very much.", "Brilliant, thanks.", "Speak soon.", "Thanks, mate.")
_PLAIN_MENTION = "{w} {v}"
_MENTIONS = ("{w} {v}", "{v} as the {w}", "the {w} {v}", "{w} {v}")
_RIDER_MENTIONS = ("{w} {v}", "{v} as the {w}")
_JOINERS = (" with ", " for ", " using ", " — ", ", with ")
_OWN = ("my ", "our ", "the ")
_AGAIN = (" again", " once more", " one more time")
#: Tools that only read (by name): two of them next to each other may be asked for in either order.
_READ_ONLY = re.compile(r"^(?:\w+_)?(?:get|list|search|find|retrieve|view|display|check|estimate|ls|pwd|cat|tail|"
                        r"wc|du|grep|diff)(?:_|$)|^(?:get|display|check)[A-Z]", re.I)
#: Description fillers a person would not say (the goal stays recognisable without them).
_FILLER = re.compile(r"\b(?:of any extension|from (?:the )?current directory|in the current directory|"
                     r"at current directory|from currrent directory|for the authenticated user|"
                     r"from one location to another|under specific path|of the current user|a specific|"
                     r"the specified|specified|specific)\b", re.I)


def avoid_tool_names(text: str, tool_names: set[str], rng: random.Random) -> str:
    """Replace words that are basic tool names (``find``, ``sort``, ``add``...) by a synonym, outside quoted values."""
    def fix(segment: str) -> str:
        def swap(m: re.Match[str]) -> str:
            w = m.group(0)
            alts = SYNONYMS.get(w.lower())
            return rng.choice(alts) if w.lower() in tool_names and alts else w
        return re.sub(r"[A-Za-z_]+", swap, segment)

    parts = re.split(r'("(?:[^"\\]|\\.)*")', text)
    return "".join(p if i % 2 else fix(p) for i, p in enumerate(parts))


def _noisy(phrase: str, noise: float, rng: random.Random) -> str:
    def swap(m: re.Match[str]) -> str:
        w = m.group(0)
        alts = SYNONYMS.get(w.lower())
        return rng.choice(alts) if alts and rng.random() < 0.7 * noise else w
    return re.sub(r"[A-Za-z]+", swap, phrase)


def short_goal(spec: ToolSpec) -> str:
    """The goal of a tool as a person says it: its goal phrase up to the first comma, without description filler."""
    goal = re.split(r",\s|;\s|\s[-–]\s|\s\(", goal_phrase(spec))[0]
    goal = re.sub(r"\s+(?:with |for |from )?(?:the |a )?given\b.*$", "", goal)
    goal = _FILLER.sub(" ", goal)
    goal = re.sub(r"\s+(?:with|for|from|of|in|on|at|to|and|that|by)\s*$", "", re.sub(r"\s+", " ", goal).strip())
    return goal or goal_phrase(spec)


def _pick(rng: random.Random, noise: float, plain: str, pool: tuple[str, ...]) -> str:
    """``plain`` at ``ε = 0``; with probability ``ε`` a seeded choice from ``pool``."""
    return rng.choice(pool) if rng.random() < noise else plain


def _mention(adv: AdvancedTool, param: str, arg: str, rng: random.Random, noise: float,
             pool: tuple[str, ...] = _MENTIONS) -> str:
    template = _pick(rng, noise, _PLAIN_MENTION, pool)
    return template.format(w=param_words(arg), v=render_value(adv.user_values[param]))


def _mentions(adv: AdvancedTool, index: int, rng: random.Random, noise: float) -> list[str]:
    out = [_mention(adv, param, arg, rng, noise) for param, i, arg in adv.bindings if i == index]
    if len(out) > 1 and rng.random() < noise:
        rng.shuffle(out)
    return out


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class OfflineQuerying:
    """Writes requests from the goal phrases of the tool descriptions and the user's values, with seeded noise ``ε``.

    The hard request states only the goals (the inner calls whose role is "goal"), each with the values only the
    user knows; "context" calls (logins, lookups, files a goal needs) are not described, their values ride along
    with the goal they serve; "implicit" calls are left out. ``ε`` adds wording variety: synonyms, openers,
    connectors, value phrasings, greetings and closers, each drawn with probability ``ε``.
    """

    kind = "offline"
    label = OFFLINE_LABEL

    def write(self, adv: AdvancedTool, tools: tuple[ToolSpec, ...], *, hard: bool = True, noise: float = 0.5,
              seed: int = 0, history: tuple[dict[str, Any], ...] = ()) -> StepResult[Query]:
        rng = random.Random(seed)
        specs = {t.name: t for t in tools}
        if hard:
            clauses = self._hard_clauses(adv, specs, noise, rng)
            text = self._hard_text(clauses, specs, noise, rng, bool(history))
        else:
            clauses = self._easy_clauses(adv, specs, rng)
            text = "Step by step: " + " ".join(f"{n}) {c}." for n, c in enumerate(clauses, 1))
        query = Query(text, "hard" if hard else "easy", noise, seed, dict(adv.user_values), self.label)
        return StepResult(query, {"clauses": clauses, "events": [role_event("querying", self.label, hard=hard)]})

    @staticmethod
    def _hard_text(clauses: list[str], specs: dict[str, ToolSpec], noise: float, rng: random.Random,
                   follow_up: bool) -> str:
        body = clauses[0]
        for clause in clauses[1:]:
            connector = _pick(rng, noise, _PLAIN_CONNECTOR, _CONNECTORS)
            body += connector + (clause[:1].upper() + clause[1:] if connector.endswith(". ") else clause)
        opener = _pick(rng, noise, _PLAIN_OPENER, _OPENERS)
        if "{X}" in opener:
            text = opener.replace("{X}", body[:1].upper() + body[1:])
        else:
            text = opener.format(x=body)
        if follow_up and rng.random() < 0.5:
            lead = _pick(rng, noise, "Now", _FOLLOW_UPS)
            text = lead + " " + text[:1].lower() + text[1:]
        tool_words = {w for spec in specs.values() for w in words(goal_phrase(spec) + " " + spec.name,
                                                                   canonical=True)}

        def quiet(sentence: str) -> bool:  # small talk must not read as a step
            return not set(words(sentence, canonical=True)) & tool_words

        if rng.random() < noise * 0.5:  # terse register: no articles, as in a hurried chat message
            parts = re.split(r'("(?:[^"\\]|\\.)*")', text)
            text = "".join(p if i % 2 else re.sub(r"(?<!\bas )\b(?:the|a|an) ", "", p, flags=re.I) for i, p in enumerate(parts))
        if rng.random() < noise * 0.4 and ":" not in text:
            greeting = rng.choice([g for g in _GREETINGS if quiet(g)] or [""])
            text = (greeting + " " + text[:1].upper() + text[1:]).strip()
        if rng.random() < noise * 0.4:
            closer = rng.choice([c for c in _CLOSERS if quiet(c)] or [""])
            text = (text + " " + closer).strip()
        return avoid_tool_names(text, set(specs), rng)

    @staticmethod
    def _hard_clauses(adv: AdvancedTool, specs: dict[str, ToolSpec], noise: float, rng: random.Random) -> list[str]:
        roles = adv.roles or tuple("goal" for _ in adv.inner_calls)
        serves = adv.serves or tuple(-1 for _ in adv.inner_calls)
        riders: dict[int, list[tuple[str, str]]] = {}  # goal index → (param, argument) of the context it needs
        for i, role in enumerate(roles):
            if role == "context":
                j = serves[i] if i < len(serves) else -1
                j = j if 0 <= j < len(roles) and roles[j] == "goal" else i
                riders.setdefault(j, []).extend((p, a) for p, k, a in adv.bindings if k == i)
        clauses: list[str] = []
        movable: list[bool] = []  # a read-only goal with no context riding along: its place may change
        last: tuple[str, Any] | None = None
        shorts = {c.name: short_goal(specs[c.name]) for c, r in zip(adv.inner_calls, roles)
                  if r == "goal" and c.name in specs}
        for i, (call, role) in enumerate(zip(adv.inner_calls, roles)):
            own = [(p, a) for p, k, a in adv.bindings if k == i]
            if role == "goal":
                spec = specs.get(call.name)
                goal = short_goal(spec) if spec else call.name.replace("_", " ")
                if spec and sum(v == goal for v in shorts.values()) > 1:  # two tools, one phrase: say whose
                    extra_words = [w for w in call.name.lower().split("_") if w not in goal.lower().split()]
                    goal += " for " + " ".join(extra_words) if extra_words else ""
                goal = _noisy(goal, noise, rng)
                same = last == (call.name, call.arguments)
                last = (call.name, call.arguments)
                if same and not riders.get(i):  # context values still need saying
                    clauses.append(goal + _pick(rng, noise, _AGAIN[0], _AGAIN))
                    movable.append(False)
                    continue
            elif role == "context" and i in riders and riders[i] == own:
                goal = ""  # a context call with no goal after it to serve: only its values are said
            else:
                continue
            said = dict.fromkeys(p for p, _ in own)
            extra = [(p, a) for p, a in riders.get(i, []) if p not in said]
            mentions = [_mention(adv, p, a, rng, noise) for p, a in own if p in said and said.pop(p) is None]
            if len(mentions) > 1 and rng.random() < noise:
                rng.shuffle(mentions)
            ctx = [_mention(adv, p, a, rng, noise, _RIDER_MENTIONS) for p, a in dict.fromkeys(extra)]
            movable.append(bool(goal) and not ctx and bool(_READ_ONLY.match(call.name)))
            if not goal:
                clauses.append(_pick(rng, noise, "my ", _OWN).lstrip() + _and(ctx or mentions))
                continue
            text = goal
            if mentions:
                text += _pick(rng, noise, " with ", _JOINERS) + _and(mentions)
            if ctx:
                text += (" — " if not mentions else ", ") + _pick(rng, noise, "my ", _OWN) + _and(ctx)
            clauses.append(text)
        k = 0
        while k + 1 < len(clauses):  # independent read-only goals come in either order (same state, same results)
            if movable[k] and movable[k + 1] and rng.random() < noise * 0.3:
                clauses[k], clauses[k + 1] = clauses[k + 1], clauses[k]
                k += 1
            k += 1
        return clauses or ["check that everything is in order"]

    @staticmethod
    def _easy_clauses(adv: AdvancedTool, specs: dict[str, ToolSpec], rng: random.Random) -> list[str]:
        clauses = []
        for i, call in enumerate(adv.inner_calls):
            goal = goal_phrase(specs[call.name]) if call.name in specs else call.name
            mentions = _mentions(adv, i, rng, 0.0)
            bound = {arg for _, j, arg in adv.bindings if j == i}
            fed = [param_words(a) for a in call.arguments if a not in bound]
            if fed:
                mentions.append("the " + " and ".join(fed) + " from an earlier step")
            clauses.append(goal[:1].upper() + goal[1:] + (" with " + " and ".join(mentions) if mentions else ""))
        return clauses


class _QueryReply(BaseModel):
    query: str


class LLMQuerying:
    """Asks a model for the request; the JSON reply is validated, the raw text kept in the trace."""

    kind = "llm"

    def __init__(self, client: LLMClient, model: str = "") -> None:
        self.client = client
        self.label = f"llm:{model or getattr(client, 'model', 'model')}"

    def write(self, adv: AdvancedTool, tools: tuple[ToolSpec, ...], *, hard: bool = True, noise: float = 0.5,
              seed: int = 0, history: tuple[dict[str, Any], ...] = ()) -> StepResult[Query]:
        prompt = render("querying.j2", tool=adv.spec.to_openai()["function"], values=adv.user_values,
                        hidden=adv.hidden_values, hard=hard, noise=noise,
                        history=[h.get("query", "") for h in history])
        reply, text, events = ask_json(self.client, [{"role": "user", "content": prompt}], _QueryReply,
                                       role="querying", seed=seed, temperature=min(1.0, 0.3 + noise))
        query = Query(reply.query.strip(), "hard" if hard else "easy", noise, seed, dict(adv.user_values), self.label)
        return StepResult(query, {"prompt": prompt, "raw": text, "events": events})
