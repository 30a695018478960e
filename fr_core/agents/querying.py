"""``A_Q``, the querying agent: a hard request that needs ``T_adv`` implicitly, or the easy step-by-step one."""

from __future__ import annotations

import random
import re
from typing import Any

from pydantic import BaseModel

from fr_core.agents.base import OFFLINE_LABEL, ask, parse_json_reply, render, role_event
from fr_core.agents.lexicon import SYNONYMS, goal_phrase, param_words, render_value
from fr_core.llm import LLMClient
from fr_core.types import AdvancedTool, Query, StepResult, ToolSpec

__all__ = ["OfflineQuerying", "LLMQuerying", "avoid_tool_names"]

_OPENERS = ("Could you {x}?", "I need you to {x}.", "Please {x}.", "Here is what I want: {x}.", "Can you {x}?",
            "I'd like you to {x}.")
_CONNECTORS = (", then ", "; after that, ", ", and then ", ". Next, ")
_MENTIONS = ("{w} {v}", "{v} as the {w}", "{w} set to {v}")
_JOINERS = ("with", "for", "using")


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
        return rng.choice(alts) if alts and rng.random() < noise else w
    return re.sub(r"[A-Za-z]+", swap, phrase)


def _mentions(adv: AdvancedTool, index: int, rng: random.Random, noise: float) -> list[str]:
    out = []
    for param, i, arg in adv.bindings:
        if i == index:
            template = rng.choice(_MENTIONS) if rng.random() < max(noise, 0.3) else _MENTIONS[0]
            out.append(template.format(w=param_words(arg), v=render_value(adv.user_values[param])))
    if len(out) > 1 and rng.random() < noise:
        rng.shuffle(out)
    return out


class OfflineQuerying:
    """Writes requests from the goal phrases of the tool descriptions and the user's values, with seeded noise ``ε``."""

    kind = "offline"
    label = OFFLINE_LABEL

    def write(self, adv: AdvancedTool, tools: tuple[ToolSpec, ...], *, hard: bool = True, noise: float = 0.5,
              seed: int = 0, history: tuple[dict[str, Any], ...] = ()) -> StepResult[Query]:
        rng = random.Random(seed)
        specs = {t.name: t for t in tools}
        clauses = self._hard_clauses(adv, specs, noise, rng) if hard else self._easy_clauses(adv, specs, rng)
        if hard:
            body = clauses[0]
            for clause in clauses[1:]:
                body += rng.choice(_CONNECTORS) + clause
            opener = rng.choice(_OPENERS)
            if history and rng.random() < 0.5:
                opener = "Now " + opener[0].lower() + opener[1:]
            text = avoid_tool_names(opener.format(x=body), set(specs), rng)
        else:
            text = "Step by step: " + " ".join(f"{n}) {c}." for n, c in enumerate(clauses, 1))
        query = Query(text, "hard" if hard else "easy", noise, seed, dict(adv.user_values), self.label)
        return StepResult(query, {"clauses": clauses, "events": [role_event("querying", self.label, hard=hard)]})

    @staticmethod
    def _hard_clauses(adv: AdvancedTool, specs: dict[str, ToolSpec], noise: float, rng: random.Random) -> list[str]:
        clauses: list[str] = []
        context: list[str] = []
        for i, (call, role) in enumerate(zip(adv.inner_calls, adv.roles)):
            if role == "implicit":
                continue
            mentions = _mentions(adv, i, rng, noise)
            if role == "context":
                context.extend(mentions)
                continue
            goal = _noisy(goal_phrase(specs[call.name]), noise, rng) if call.name in specs else call.name
            values = mentions + context
            context = []
            clauses.append(goal + (f" {rng.choice(_JOINERS)} " + " and ".join(values) if values else ""))
        if context:  # a prerequisite with nothing after it in the request: say it as its own goal
            clauses.append("work " + rng.choice(_JOINERS) + " " + " and ".join(context))
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
        text, event = ask(self.client, [{"role": "user", "content": prompt}], role="querying", seed=seed,
                          temperature=min(1.0, 0.3 + noise))
        reply = parse_json_reply(text, _QueryReply)
        query = Query(reply.query.strip(), "hard" if hard else "easy", noise, seed, dict(adv.user_values), self.label)
        return StepResult(query, {"prompt": prompt, "raw": text, "events": [event]})
