"""The examples in the LLM modules' docstrings run as written."""

from __future__ import annotations

import doctest

import pytest

from fr_core.llm import fakeserver, parsing, scripted


@pytest.mark.parametrize("module", [parsing, scripted, fakeserver], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
