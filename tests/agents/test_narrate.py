"""How the assistant words results: the examples in the narration module's docstrings run as written (numbers as a
person writes them, records as ``key value`` pairs, lists counted)."""

from __future__ import annotations

import doctest

from fr_core.agents import narrate


def test_docstring_examples() -> None:
    result = doctest.testmod(narrate)
    assert result.attempted >= 4 and result.failed == 0
