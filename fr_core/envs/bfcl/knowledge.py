"""BFCL's answers to the environment hooks: one :class:`BFCLKnowledge` per class, from where each class's state
holds argument values (:mod:`.values`) and its fresh values, pairs and distinct arguments (:mod:`.fresh`)."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from typing import Any

from fr_core.envs.bfcl.fresh import (CHOICES, DISTINCT, NEW_ONLY, PAIRS, POOLS, PREFER_FRESH, TEXT_TOOLS, fresh_rule,
                                     valid_pairs)
from fr_core.envs.bfcl.values import CANDIDATE_FNS, Offers
from fr_core.envs.knowledge import (ArgumentHint, ClassKnowledge, FreshContext, Pair, is_text, public_state)
from fr_core.envs.phrases import TEXT_KINDS, text_for
from fr_core.types import ToolSpec

__all__ = ["BFCLKnowledge", "knowledge_for"]

# A computed result may feed these operands of the next calculation (``add`` → ``divide(a=result)``).
_CHAIN_OWNERS = frozenset({"MathAPI"})
_CHAIN_PARAMS = frozenset({"a", "b", "number", "value", "part", "whole"})
_CHAIN_FIELDS = frozenset({"result"})
#: Parameters that take a quantity in a unit the call names: a computed result has no unit ("convert the percent
#: figure from km to miles" is absurd), so the user says it.
_UNIT_QUANTITIES = frozenset({("MathAPI", "si_unit_conversion", "value"),
                              ("MathAPI", "imperial_si_conversion", "value")})


class BFCLKnowledge(ClassKnowledge):
    """What we know of one BFCL class's tools; a class without a candidate table offers no state values."""

    def __init__(self, cls: str, candidates: Offers | None,
                 view: Callable[[Any], dict[str, Any]] | None = None) -> None:
        self.cls = cls
        self._candidates = candidates
        self._view = view

    def state_view(self, instance: object) -> dict[str, Any]:
        return self._view(instance) if self._view is not None else public_state(instance)

    @property
    def whole_views(self) -> bool:
        return self._view is not None

    def candidates(self, instance: object, spec: ToolSpec, param: str) -> list[Any]:
        offers = self._candidates
        if offers is None:
            return []
        by_tool = offers.by_tool.get((spec.name, param))  # Offers.__call__, inlined: asked at every step
        return by_tool(instance) if by_tool is not None else offers.by_param(instance, param)

    def offer_key(self, spec: ToolSpec, param: str) -> tuple[str, ...]:
        return (spec.name, param) if self._candidates is None else self._candidates.key(spec.name, param)

    def argument_hint(self, spec: ToolSpec, param: str) -> ArgumentHint:
        return _hint(self.cls, spec.name, param)

    def fresh_value(self, ctx: FreshContext) -> Any:
        rule = fresh_rule(self.cls, ctx.tool, ctx.param)
        return None if rule is None else rule(ctx)

    def free_text(self, tool: str, param: str, rng: random.Random) -> str | None:
        return text_for(TEXT_TOOLS.get((tool, param)) or TEXT_KINDS.get(param), rng)

    def pairs(self, instance: object, spec: ToolSpec) -> list[Pair]:
        pair = PAIRS.get((self.cls, spec.name))
        if pair is None:
            return []
        first, second = pair[0], pair[1]
        pool = list(POOLS.get((self.cls, spec.name), ()))
        valid = valid_pairs(self.cls, spec.name, instance, self.candidates(instance, spec, first) or pool,
                            self.candidates(instance, spec, second) or pool)
        return [(first, second, valid)] if valid else []

    def probe_pairs(self, instance: object, spec: ToolSpec) -> list[Pair]:
        """None: BFCL's graph evidence was measured with free draws (our pairs come from asking the class itself,
        and the probes' evidence and its cache stay as measured)."""
        return []

    def distinct(self, spec: ToolSpec) -> tuple[tuple[str, str], ...]:
        pair = DISTINCT.get((self.cls, spec.name))
        return (pair,) if pair else ()


@functools.cache
def _hint(cls: str, tool: str, param: str) -> ArgumentHint:
    """The hint of one parameter: it depends only on the tables of this adapter."""
    key = (cls, tool, param)
    chain = _CHAIN_FIELDS if cls in _CHAIN_OWNERS and param in _CHAIN_PARAMS and key not in _UNIT_QUANTITIES \
        else frozenset()
    return ArgumentHint(fresh=fresh_rule(*key) is not None, new_only=key in NEW_ONLY,
                        prefer_fresh=key in PREFER_FRESH, text=is_text(param), chain=chain, choice=key in CHOICES)


def knowledge_for(cls: str, view: Callable[[Any], dict[str, Any]] | None = None) -> BFCLKnowledge:
    return BFCLKnowledge(cls, CANDIDATE_FNS.get(cls), view)
