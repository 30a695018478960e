"""Scoring a model's turns the BFCL way, by executing them in our environments (never ``eval``): per turn, the state
matches the ground truth's and the ground truth's results are among the model's; a case passes when every turn does."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fr_core.envs import Environment
from fr_core.evaluate.cases import EvalCase, case_env
from fr_core.types import CallResult, ToolCall

__all__ = ["SCORE_RULES", "TurnScore", "CaseScore", "score_case", "first_divergence", "state_diff"]

#: The rules a turn can break, in the order they are checked.
SCORE_RULES = ("irrelevance", "no_calls", "state", "results")


@dataclass(frozen=True)
class TurnScore:
    """One turn's verdict; ``rule`` names the rule it broke (empty when it passed), ``diff`` where the state differs
    as ``(path, model's value, ground truth's value)`` (values shortened), ``missing`` the ground-truth results the
    model never got."""

    passed: bool
    rule: str = ""
    reason: str = ""
    diff: tuple[tuple[str, str, str], ...] = ()
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseScore:
    """A case's verdict: passed when every turn passed; ``turns`` stops at the first failing turn, as BFCL does."""

    passed: bool
    turns: tuple[TurnScore, ...] = field(default_factory=tuple)

    @property
    def failed_turn(self) -> int | None:
        return next((i for i, t in enumerate(self.turns) if not t.passed), None)

    @property
    def rule(self) -> str:
        turn = self.failed_turn
        return "" if turn is None else self.turns[turn].rule


def _public(instance: object) -> dict[str, Any]:
    return {k: v for k, v in vars(instance).items() if not k.startswith("_")}


def _state_differs(model: Environment, truth: Environment, classes: Sequence[str]) -> list[str]:
    """The attributes whose values differ, compared as BFCL does: the instances' public attributes, by ``==``."""
    out = []
    for cls in classes:
        mine, theirs = _public(model.instance(cls)), _public(truth.instance(cls))  # type: ignore[attr-defined]
        out += [f"{cls}.{k}" for k in theirs if mine.get(k) != theirs[k]]
    return out


def _execute(env: Environment, calls: Sequence[ToolCall]) -> list[CallResult]:
    return [env.execute(c) for c in calls]


def score_case(case: EvalCase, model_turns: Sequence[Sequence[ToolCall]]) -> CaseScore:
    """Execute the model's calls of each turn and the ground truth's, each from the case's initial state, and judge
    turn by turn (see :data:`SCORE_RULES`):

    - ``irrelevance``: a call in a turn whose ground truth has none (miss-func: the tool it needs is withheld;
      miss-param: a value is missing; the model must say what it lacks or ask, not act);
    - ``no_calls``: no call in a turn whose ground truth has some;
    - ``state``: a public attribute of an instance differs from the ground truth's after the turn;
    - ``results``: a result of the turn's ground truth (those ``expect`` names) is missing from the model's results
      of this turn and the turns before it (a value fetched earlier need not be fetched again).

    A model that stopped early (fewer turns) fails at the first turn it did not reach. As in BFCL, a call of a tool
    not offered in its turn is executed like any other (the ground truth of a few entries makes one).
    """
    model_env, truth_env = case_env(case), case_env(case)
    seen: Counter[str] = Counter()
    scores: list[TurnScore] = []
    for t, turn in enumerate(case.turns):
        if t >= len(model_turns):
            scores.append(TurnScore(False, "no_calls", f"turn {t + 1}: the model stopped before this turn"))
            return CaseScore(False, tuple(scores))
        calls = list(model_turns[t])
        results = _execute(model_env, calls)
        truth_results = _execute(truth_env, turn.truth)
        seen.update(r.to_text() for r in results)
        if not turn.truth:
            if calls:
                scores.append(TurnScore(False, "irrelevance", f"turn {t + 1}: the request cannot be done with the "
                                        f"tools and values given, but the model called {calls[0].to_python()}"))
                return CaseScore(False, tuple(scores))
            scores.append(TurnScore(True))
            continue
        if not calls:
            scores.append(TurnScore(False, "no_calls", f"turn {t + 1}: the model made no call"))
            return CaseScore(False, tuple(scores))
        differs = _state_differs(model_env, truth_env, case.classes)
        if differs:
            diff = tuple((path, _short(a), _short(b))
                         for path, a, b in state_diff(model_env.state(), truth_env.state()))
            scores.append(TurnScore(False, "state", f"turn {t + 1}: the state differs from the ground truth's at "
                                    + ", ".join(differs[:3]), diff))
            return CaseScore(False, tuple(scores))
        expect = range(len(truth_results)) if turn.expect is None else turn.expect
        missing = list((Counter(truth_results[i].to_text() for i in expect) - seen).elements())
        if missing:
            scores.append(TurnScore(False, "results", f"turn {t + 1}: {len(missing)} ground-truth result(s) missing, "
                                    f"first {missing[0][:120]}", missing=tuple(missing)))
            return CaseScore(False, tuple(scores))
        scores.append(TurnScore(True))
    return CaseScore(True, tuple(scores))


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def first_divergence(model: Sequence[ToolCall], truth: Sequence[ToolCall]) -> int | None:
    """The index of the first call where the model's calls of a turn part from the ground truth's (``None`` when
    they are the same)."""
    for i, (a, b) in enumerate(zip(model, truth)):
        if a != b:
            return i
    return None if len(model) == len(truth) else min(len(model), len(truth))


def state_diff(a: Any, b: Any, path: str = "", limit: int = 20) -> list[tuple[str, Any, Any]]:
    """Where two JSON states differ: ``(path, model value, ground-truth value)``, at most ``limit`` of them."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in list(a) + [k for k in b if k not in a]:
            out += state_diff(a.get(key), b.get(key), f"{path}.{key}" if path else str(key), limit - len(out))
            if len(out) >= limit:
                break
        return out
    return [] if a == b else [(path or "(root)", a, b)]
