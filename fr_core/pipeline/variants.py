"""Harder variants of a generated sample, as in BFCL's categories: miss-func (a needed tool withheld until a later
turn), miss-param (a needed value left out of the query, given when asked) and long-context (large states)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from typing import Any

from fr_core.agents.phrasebook import arg_noun
from fr_core.errors import ConfigError
from fr_core.serialize import from_dict, to_dict
from fr_core.sampling.flow import turn_flow
from fr_core.types import Trajectory, TurnRecord

__all__ = ["VARIANTS", "Variant", "choose_variant", "leave_out", "make_variant", "with_variant", "variant_of"]

VARIANTS: tuple[str, ...] = ("miss_func", "miss_param", "long_context")


@dataclass(frozen=True)
class Variant:
    """What a variant changes: in round ``round``, the withheld ``tools`` (miss-func), or the query without
    ``value`` (``query``) and the user's reply giving it (``reply``) to the assistant's ``question`` (miss-param)."""

    kind: str
    round: int = 0
    tools: tuple[str, ...] = ()
    param: str = ""
    value: Any = None
    query: str = ""
    question: str = ""
    reply: str = ""


def choose_variant(shares: dict[str, float], seed: int, idx: int) -> str | None:
    """The variant of sample ``idx`` (or ``None`` for a plain one), drawn with the configured shares."""
    unknown = set(shares) - set(VARIANTS)
    if unknown or sum(shares.values()) > 1.0 + 1e-9 or any(v < 0 for v in shares.values()):
        raise ConfigError(f"variant shares {shares}: names must be among {', '.join(VARIANTS)}, shares ≥ 0, "
                          f"summing to at most 1")
    draw = random.Random(f"variant:{seed}:{idx}").random()
    for kind in VARIANTS:
        draw -= shares.get(kind, 0.0)
        if draw < 0:
            return kind
    return None


def _words(name: str) -> str:
    """``file_name_2`` → ``file name`` (the suffix only tells apart two values of one parameter)."""
    return re.sub(r"[ _]\d+$", "", name).replace("_", " ")


def leave_out(said: str, text: str, param: str, noun: str = "") -> str:
    """The request ``said`` with the value ``text`` of ``param`` replaced by a promise to tell it (``noun``: what
    the user calls that thing, default the parameter's words), taking the words before it that name it along:
    "the card 4354..." → "a card number I will tell you", not "card a card number"."""
    quoted = next((q for q in (f"'{text}'", f'"{text}"') if q in said), text)
    start = said.index(quoted)
    before, after = said[:start], said[start + len(quoted):]
    noun = noun or _words(param)
    for words in (w.split() for w in dict.fromkeys((_words(param), noun))):
        for k in range(len(words), 0, -1):
            lead = re.search(r"(?:\b(?:the|my|our) )?\b" + re.escape(" ".join(words[:k])) + r" $", before, re.I)
            if lead:
                before = before[:lead.start()]
                break
    return f"{before}{'an' if noun[:1] in 'aeio' else 'a'} {noun} I will tell you{after}"


def _noun(trajectory: Trajectory, record: TurnRecord, param: str) -> str:
    """What the user calls the thing ``param`` of a round names ("destination" for ``travel_to``): the phrasebook
    noun of the argument it binds, in the sample's classes, else the parameter's words."""
    adv = record.adv_tool
    arg = next((a for p, _, a in (adv.bindings if adv else ()) if p == param), param)
    return next((noun for cls in trajectory.classes if (noun := arg_noun(cls, arg))), "") or _words(param)


def make_variant(trajectory: Trajectory, kind: str, seed: int) -> Variant | None:
    """A ``kind`` variant of an accepted trajectory, or ``None`` when it has no round that allows one."""
    if kind == "long_context":
        return Variant(kind)
    rng = random.Random(f"{kind}:{seed}:{trajectory.sample_id}")
    rounds = [r for r in trajectory.turns if r.hard_query is not None and r.outcome and r.outcome.passing]
    if kind == "miss_func":
        options = [(r.round, s.call.name) for r in rounds for s in turn_flow(r.turn, r.round)]
        # a tool not used before that round, so withholding it changes nothing earlier
        options = [(i, name) for i, name in options
                   if all(name not in {s.call.name for s in turn_flow(r.turn, r.round)} for r in rounds[:i])]
        if not options:
            return None
        index, name = rng.choice(options)
        return Variant(kind, index, tools=(name,))
    if kind == "miss_param":
        picks: list[tuple[int, str, Any, str, str]] = []
        for r in rounds:
            said = r.hard_query
            for param, value in (said.user_values.items() if said else ()):
                text = str(value)
                # once only, so that leaving it out really leaves it out
                if said and len(text) >= 3 and not isinstance(value, bool) and said.text.count(text) == 1:
                    picks.append((r.round, param, value, text, said.text))
        if not picks:
            return None
        index, param, value, text, said_text = rng.choice(picks)
        noun = _noun(trajectory, next(r for r in rounds if r.round == index), param)
        return Variant(kind, index, param=param, value=value, query=leave_out(said_text, text, param, noun),
                       question=f"Which {noun} should I use? I need it to go on.", reply=f"The {noun} is {text}.")
    raise ConfigError(f"unknown variant {kind!r}; choose one of {', '.join(VARIANTS)}")


def with_variant(trajectory: Trajectory, variant: Variant) -> Trajectory:
    """The trajectory with ``variant`` recorded in its provenance (the rounds themselves stay as generated)."""
    return replace(trajectory, provenance={**trajectory.provenance, "variant": to_dict(variant)})


def variant_of(trajectory: Trajectory) -> Variant | None:
    """The variant recorded in a trajectory's provenance, if any."""
    data = trajectory.provenance.get("variant")
    return from_dict(Variant, data) if data else None
