"""Our BFCL-way scoring agrees, case by case, with bfcl-eval's own multi-turn checker on ground-truth trajectories
and on perturbed ones (wrong argument, missing call, extra state-changing call, wrong order).

Only this test runs bfcl-eval's checker, whose executor uses ``eval`` on the call strings we give it here (ground
truth and our perturbations of it); our scoring never evaluates anything.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from fr_core.evaluate.cases import EvalCase, bfcl_cases, case_env
from fr_core.evaluate.score import score_case
from fr_core.types import ToolCall

checker = pytest.importorskip("bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker")
from fr_core.graph.check import load_bfcl_entries  # noqa: E402

_names = itertools.count()


def _bfcl_verdict(entry: dict, turns: list[list[ToolCall]]) -> bool:
    """bfcl-eval's verdict: its multi-turn checker, plus its irrelevance checker in the miss categories."""
    decoded = [[[c.to_python() for c in calls]] if calls else [] for calls in turns]
    name = f"agreement_{next(_names)}"  # its executor keeps instances in module globals under this name
    valid = checker.multi_turn_checker(decoded, entry["ground_truth"], dict(entry), entry["id"].rsplit("_", 1)[0],
                                       name)["valid"]
    if "miss" in entry["id"]:
        valid = valid and checker.multi_turn_irrelevance_checker(decoded, entry["ground_truth"])["valid"]
    return valid


def _wrong_argument(case: EvalCase) -> list[list[ToolCall]] | None:
    for t, turn in enumerate(case.turns):
        for i, call in enumerate(turn.truth):
            for key, value in call.arguments.items():
                if isinstance(value, str) and value:
                    new = value + "x"
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    new = value + 1
                else:
                    continue
                calls = [list(x.truth) for x in case.turns]
                calls[t][i] = ToolCall(call.name, {**call.arguments, key: new})
                return calls
    return None


def _missing_call(case: EvalCase, which: int) -> list[list[ToolCall]] | None:
    turns = [t for t, turn in enumerate(case.turns) if turn.truth]
    if not turns:
        return None
    t = turns[which % len(turns)]
    calls = [list(x.truth) for x in case.turns]
    del calls[t][len(calls[t]) // 2]
    return calls


def _extra_change(case: EvalCase) -> list[list[ToolCall]] | None:
    """A ground-truth call made once more at the end of its turn, where it changes the state again."""
    env = case_env(case)
    for t, turn in enumerate(case.turns):
        for call in turn.truth:
            env.execute(call)
        for call in turn.truth:
            probe = env.copy()
            before = probe.state()
            if probe.execute(call).ok and probe.state() != before:
                calls = [list(x.truth) for x in case.turns]
                calls[t].append(call)
                return calls
    return None


def _wrong_order(case: EvalCase) -> list[list[ToolCall]] | None:
    for t, turn in enumerate(case.turns):
        for i in range(len(turn.truth) - 1):
            if turn.truth[i] != turn.truth[i + 1]:
                calls = [list(x.truth) for x in case.turns]
                calls[t][i], calls[t][i + 1] = calls[t][i + 1], calls[t][i]
                return calls
    return None


def test_scoring_agrees_with_bfcl_checker_case_by_case():
    compared: Counter[str] = Counter()
    outcomes: Counter[tuple[str, bool]] = Counter()
    disagreements = []
    for category in ("base", "miss_func", "miss_param", "long_context"):
        entries = {e["id"]: e for e in load_bfcl_entries(category)}
        for n, case in enumerate(bfcl_cases(category)):
            trajectories = {"ground_truth": [list(t.truth) for t in case.turns]}
            if category == "base" or n % 4 == 0:
                trajectories.update(wrong_argument=_wrong_argument(case), missing_call=_missing_call(case, n),
                                    extra_change=_extra_change(case), wrong_order=_wrong_order(case))
            for kind, turns in trajectories.items():
                if turns is None:
                    continue
                ours = score_case(case, turns).passed
                theirs = _bfcl_verdict(entries[case.id], turns)
                compared[kind] += 1
                outcomes[(kind, ours)] += 1
                if ours != theirs:
                    disagreements.append((case.id, kind, ours, theirs, score_case(case, turns).rule))
    print(dict(compared), dict(outcomes))
    assert not disagreements, disagreements[:10]
    assert compared["ground_truth"] == 800 and outcomes[("ground_truth", True)] == 800
    assert sum(compared.values()) >= 1400
    for kind in ("wrong_argument", "missing_call", "extra_change", "wrong_order"):
        assert compared[kind] >= 150 and outcomes[(kind, False)] > 0, kind
