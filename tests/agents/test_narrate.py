"""How the assistant words results: the examples in the narration module's docstrings run as written (numbers as a
person writes them, records as ``key value`` pairs, lists counted)."""

from __future__ import annotations

import doctest

from fr_core.agents import narrate


def test_docstring_examples() -> None:
    result = doctest.testmod(narrate)
    assert result.attempted >= 4 and result.failed == 0


def test_an_answer_starts_with_a_capital_but_leaves_a_name_as_written() -> None:
    import random

    from fr_core.types import CallResult, Step, ToolCall

    def answer(call: ToolCall, value: object, seed: int) -> str:
        return narrate.describe_outcome([Step("", (call,), (CallResult(call, value),))], random.Random(seed))

    cat, mkdir = ToolCall("cat", {"file_name": "import_karaoke.py"}), ToolCall("mkdir", {"dir_name": "old_7"})
    for seed in range(8):
        assert "Import_karaoke.py" not in answer(cat, {"file_content": "x = 1"}, seed)
        assert answer(mkdir, None, seed)[:1].isupper()


def test_an_answer_reports_every_call_of_the_turn() -> None:
    import random

    from fr_core.types import CallResult, Step, ToolCall

    names = ["alpha", "beta", "gamma", "delta", "epsilon"]
    steps = [Step("", (c,), (CallResult(c, None),)) for c in (ToolCall("mkdir", {"dir_name": n}) for n in names)]
    text = narrate.describe_outcome(steps, random.Random(0))
    assert all(n in text for n in names), text


def test_two_calls_reported_alike_are_said_once_and_counted() -> None:
    import random

    from fr_core.types import CallResult, Step, ToolCall

    calls = [ToolCall("send_message", {"receiver_id": "USR005", "message": m}) for m in ("Hi.", "See you at 3.")]
    sent = {"sent_status": True, "message": "Message sent to 'USR005' successfully."}
    text = narrate.describe_outcome([Step("", (c,), (CallResult(c, sent),)) for c in calls], random.Random(0))
    assert text.count("USR005") == 1 and "(twice)" in text, text
