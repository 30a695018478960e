"""``refine.validate`` on hand-made attempts: each rule rejects what it is for and names itself; the ground truth
itself passes."""

from __future__ import annotations

import pytest

from fr_core.envs import make_env
from fr_core.refine import RULES, ground_truth, validate
from fr_core.types import ToolCall, TracedCall, Turn

C = ToolCall
TRUTH = [C("mkdir", {"dir_name": "archive"}), C("cd", {"folder": "archive"}), C("ls", {})]


@pytest.fixture()
def start():
    return make_env(["GorillaFileSystem"], seed=11)


def _turn(start, calls, deliberate=()) -> Turn:
    env = start.copy()
    return Turn("ls", tuple(TracedCall(c, env.execute(c), deliberate_error=i in deliberate)
                            for i, c in enumerate(calls)))


def _judge(start, calls, truth_calls=TRUTH, deliberate=()):
    truth = ground_truth(start, _turn(start, truth_calls, deliberate), 0)
    return validate(calls, start, truth)


def test_the_ground_truth_passes(start) -> None:
    verdict = _judge(start, TRUTH)
    assert verdict.passed and verdict.rule == "" and len(verdict.results) == 3


@pytest.mark.parametrize("rule, calls", [
    ("no_calls", []),
    ("schema", [C("mkdir", {"dir_name": 7}), *TRUTH]),
    ("schema", [C("teleport", {"to": "moon"}), *TRUTH]),
    ("constraint", [*TRUTH, C("mv", {"source": "notes", "destination": "notes"})]),
    ("failed_call", [C("cd", {"folder": "no_such_folder"}), *TRUTH]),
    ("repeated_call", [TRUTH[0], TRUTH[1], C("ls", {}), C("ls", {})]),
    ("state", TRUTH[:1]),
    ("state", [C("mkdir", {"dir_name": "archive2"}), C("cd", {"folder": "archive2"}), C("ls", {})]),
    ("results", TRUTH[:2]),
    ("extra_reads", [C("pwd", {}), C("du", {}), *TRUTH]),
])
def test_each_rule_rejects_and_names_itself(start, rule, calls) -> None:
    verdict = _judge(start, calls)
    assert not verdict.passed and verdict.rule == rule, verdict.reason
    assert rule in RULES and verdict.reason


def test_one_extra_read_is_allowed(start) -> None:
    assert _judge(start, [C("pwd", {}), *TRUTH]).passed


def test_a_min_above_its_max_is_absurd() -> None:
    env = make_env(["TradingBot"], seed=3)
    truth = [C("get_stock_info", {"symbol": "AAPL"})]
    verdict = _judge(env, [C("filter_stocks_by_price", {"stocks": ["AAPL"], "min_price": 1700.44,
                                                        "max_price": 487.76}), *truth], truth)
    assert verdict.rule == "constraint" and "min_price" in verdict.reason


def test_a_failed_call_is_allowed_only_in_a_recovery_turn_when_the_recovery_follows(start) -> None:
    failing = C("cd", {"folder": "archive"})  # fails before mkdir: the designed error
    truth = [failing, *TRUTH]
    recovered = _judge(start, truth, truth, deliberate=(0,))
    assert recovered.passed, recovered.reason
    assert _judge(start, truth, truth).rule == "failed_call"  # the same turn, not designed as a recovery
    not_recovered = _judge(start, [failing, TRUTH[0], C("ls", {})], truth, deliberate=(0,))
    assert not not_recovered.passed
