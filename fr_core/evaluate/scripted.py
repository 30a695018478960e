"""Scripted test backends for ``fr eval`` (profiles with ``provider = "scripted"``, no key, no network): ``oracle``
replays each case's ground truth; ``noisy:RATE`` does too but gives up on each turn with probability RATE.

They read only the conversation a model would see, so they exercise the whole harness: agent, cache, accounting.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

from fr_core.errors import ConfigError
from fr_core.evaluate.cases import EvalCase
from fr_core.llm import LLMRequest, LLMResponse, ModelProfile, ScriptedClient, Usage
from fr_core.llm.fakeserver import FakeReply

__all__ = ["TEST_BACKEND_LABEL", "error_rate", "expected_accuracy", "is_test_backend", "replay_reply",
           "scripted_backend", "noisy_turns", "OracleResponder"]

#: How results of a scripted profile are labelled wherever they are shown.
TEST_BACKEND_LABEL = "test backend (scripted replay of the ground truth), not a model"

#: Most steps the replay takes in one turn (longer turns send several calls a step).
_MAX_STEPS = 10


def is_test_backend(profile: ModelProfile) -> bool:
    return profile.provider == "scripted"


def error_rate(profile: ModelProfile) -> float:
    """The rate at which a scripted profile gives up on a turn: 0 for ``oracle``, RATE for ``noisy:RATE``."""
    model = profile.model
    if model == "oracle":
        return 0.0
    kind, _, rate = model.partition(":")
    try:
        value = float(rate)
    except ValueError:
        value = -1.0
    if kind != "noisy" or not 0.0 <= value <= 1.0:
        raise ConfigError(f"scripted profile {profile.name!r} has model {model!r}; fr eval's test backends are "
                          "'oracle' and 'noisy:RATE' with RATE between 0 and 1")
    return value


def noisy_turns(case: EvalCase, k: int, rate: float, seed: int = 0) -> frozenset[int]:
    """The turns (with ground-truth calls) the noisy backend gives up on in attempt ``k``, drawn independently."""
    rng = random.Random(f"noisy:{seed}:{case.id}:{k}")
    return frozenset(t for t, turn in enumerate(case.turns) if turn.truth and rng.random() < rate)


def expected_accuracy(cases: Sequence[EvalCase], rate: float) -> float:
    """The accuracy error rate ``rate`` implies: a case passes when no turn with calls is given up on."""
    return sum((1 - rate) ** sum(1 for t in c.turns if t.truth) for c in cases) / len(cases) if cases else 0.0


def _is_query(message: Mapping[str, Any]) -> bool:
    content = message.get("content")
    text = content if isinstance(content, str) else ""
    return message.get("role") == "user" and not text.startswith("<tool_response>")


def replay_reply(case: EvalCase, messages: Sequence[Mapping[str, Any]], native: bool,
                 skip: frozenset[int] = frozenset()) -> tuple[str, tuple]:
    """The next reply of the replay as ``(text, calls)``: the current turn's ground-truth calls a few at a time, then
    an answer in words; in a turn in ``skip``, or one whose ground truth has no call, only words."""
    queries = [i for i, m in enumerate(messages) if _is_query(m)]
    turn = len(queries) - 1
    if not 0 <= turn < len(case.turns):
        raise ConfigError(f"the replay of case {case.id} got a conversation with {len(queries)} user turns; "
                          f"the case has {len(case.turns)}")
    done = sum(1 for m in messages[queries[-1] + 1:] if m.get("role") == "assistant")
    truth = case.turns[turn].truth
    if not truth:
        return "I cannot do that with the tools and values I have: which value or tool should I use?", ()
    if turn in skip:
        return "I could not work out how to do that.", ()
    size = math.ceil(len(truth) / _MAX_STEPS)
    calls = truth[done * size:(done + 1) * size]
    if not calls:
        return "Done: " + "; ".join(c.to_python() for c in truth), ()
    if native:
        return "", tuple(calls)
    return "<tool_call>[" + ", ".join(c.to_python() for c in calls) + "]</tool_call>", ()


def scripted_backend(profile: ModelProfile, case: EvalCase, k: int, seed: int = 0) -> ScriptedClient:
    """The backend of a scripted profile for one attempt at one case."""
    skip = noisy_turns(case, k, error_rate(profile), seed)

    def reply(request: LLMRequest) -> LLMResponse:
        text, calls = replay_reply(case, request.messages, bool(request.tools), skip)
        words = sum(len(str(m.get("content") or "").split()) for m in request.messages)
        return LLMResponse(text=text, tool_calls=calls, usage=Usage(words, 10 * len(calls) + len(text.split())),
                           finish_reason="tool_calls" if calls else "stop",
                           tool_call_ids=tuple(f"call_{i}" for i in range(len(calls))))

    return ScriptedClient(reply, model=profile.model)


class OracleResponder:
    """A fake server's responder that replays the ground truth of whichever case a request belongs to (the case
    whose user turns so far are the conversation's), for benches against a real HTTP stack; it can be pickled, so
    the server may run in its own process."""

    def __init__(self, cases: Sequence[EvalCase]) -> None:
        self.by_first: dict[str, list[EvalCase]] = {}
        for case in cases:
            self.by_first.setdefault(case.turns[0].query, []).append(case)

    def __call__(self, body: dict[str, Any]) -> FakeReply:
        messages = body.get("messages", [])
        queries = [str(m.get("content")) for m in messages if _is_query(m)]
        # Cases that start alike (BFCL has such pairs) have the same first turn; later turns tell them apart.
        case = next((c for c in self.by_first.get(queries[0] if queries else "", ())
                     if all(c.turns[i].query == q for i, q in enumerate(queries[:len(c.turns)]))), None)
        if case is None:
            return FakeReply(status=400, text="the oracle responder knows no case that starts with this request")
        text, calls = replay_reply(case, messages, bool(body.get("tools")))
        return FakeReply(text=text, tool_calls=calls)
