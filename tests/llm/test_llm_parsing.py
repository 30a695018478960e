"""Tool-call parsing: every supported format, positional binding, and clear errors for everything else."""

from __future__ import annotations

import pytest

from fr_core.errors import ParseError
from fr_core.llm.parsing import MAX_TEXT_CHARS, parse_json_calls, parse_python_calls, parse_tool_calls
from fr_core.types import ToolCall, ToolSpec

SPECS = {
    "cd": ToolSpec("cd", "change dir", {"type": "object", "properties": {"folder": {"type": "string"}}}),
    "mv": ToolSpec("mv", "move", {"type": "object",
                                  "properties": {"source": {"type": "string"}, "destination": {"type": "string"}}}),
}


def test_python_list_of_calls_with_literals():
    calls = parse_python_calls('[f(a=1, b="x", c=[1, (2, 3)], d={"k": None}, e=-2.5, g={1, 2}, h=True), g()]')
    assert calls == [
        ToolCall("f", {"a": 1, "b": "x", "c": [1, [2, 3]], "d": {"k": None}, "e": -2.5, "g": [1, 2], "h": True}),
        ToolCall("g", {}),
    ]


def test_python_single_call_and_tuple_and_empty_list():
    assert parse_python_calls("  ls(a=True)\n") == [ToolCall("ls", {"a": True})]
    assert parse_python_calls("cd(folder='a'), ls()") == [ToolCall("cd", {"folder": "a"}), ToolCall("ls", {})]
    assert parse_python_calls("[]") == []


def test_positional_arguments_bound_by_spec_order():
    assert parse_python_calls("mv('a.txt', destination='b')", SPECS) == [
        ToolCall("mv", {"source": "a.txt", "destination": "b"})]
    with pytest.raises(ParseError, match="no tool spec"):
        parse_python_calls("mv('a.txt')")
    with pytest.raises(ParseError, match="takes 1 parameters but 2"):
        parse_python_calls("cd('a', 'b')", SPECS)
    with pytest.raises(ParseError, match="twice"):
        parse_python_calls("cd('a', folder='b')", SPECS)


@pytest.mark.parametrize("text, fragment", [
    ("f(a=b)", "variable name"),
    ("f(a=os.system)", "attribute"),
    ("f(a=x[0])", "subscript"),
    ("f(a=g())", "function call"),
    ("f(a=f'{x}')", "f-string"),
    ("f(a=1+2)", "arithmetic"),
    ("f(a=-'x')", "sign"),
    ("f(a=-True)", "sign"),
    ("f(a=b'x')", "bytes"),
    ("f(a=1e999)", "finite"),
    ("f(a=...)", "ellipsis"),
    ("f(**{'a': 1})", "unpacking"),
    ("f(a={**d})", "unpacking"),
    ("f(a={1: 2})", "string literals"),
    ("os.system('ls')", "plain name"),
    ("__import__('os').system('ls')", "plain name"),
    ("[f(), 3]", "expected a call"),
    ("lambda: 1", "expected a call"),
    ("f(a=1", "not valid"),
    ("", "empty"),
])
def test_python_rejects_non_literals(text, fragment):
    with pytest.raises(ParseError) as info:
        parse_python_calls(text)
    assert fragment.lower() in str(info.value).lower()
    assert info.value.raw == text


def test_json_objects_lists_parameters_and_string_arguments():
    assert parse_json_calls('{"name": "cd", "arguments": {"folder": "x"}}') == [ToolCall("cd", {"folder": "x"})]
    assert parse_json_calls('[{"name": "a", "parameters": {"x": 1}}, {"name": "b", "arguments": "{\\"y\\": 2}"}]') == [
        ToolCall("a", {"x": 1}), ToolCall("b", {"y": 2})]
    assert parse_json_calls('{"type": "function", "function": {"name": "c", "arguments": ""}}') == [ToolCall("c", {})]
    for bad in ('{"arguments": {}}', '{"name": "a", "arguments": [1]}', '{"name": "a", "arguments": "{nope"}',
                '{"name": "a", "arguments": {"x": NaN}}', '[1]', '{"name": 3}'):
        with pytest.raises(ParseError):
            parse_json_calls(bad)


def test_funreason_format_with_think_and_answer():
    text = "<think>First go to docs.</think>\n<tool_call>[cd(folder='docs'), ls()]</tool_call>"
    out = parse_tool_calls(text)
    assert out.format == "funreason" and out.think == "First go to docs." and out.raw == text
    assert out.calls == (ToolCall("cd", {"folder": "docs"}), ToolCall("ls", {}))
    final = parse_tool_calls("<think>done</think><answer>The file is in docs.</answer>")
    assert final.format == "funreason" and final.calls == () and final.answer == "The file is in docs."


def test_hermes_tags_with_several_json_blocks_and_missing_open_think():
    text = ('I will act.</think>\n<tool_call>\n{"name": "cd", "arguments": {"folder": "a"}}\n</tool_call>\n'
            '<tool_call>{"name": "ls", "arguments": {}}</tool_call>')
    out = parse_tool_calls(text)
    assert out.format == "hermes" and out.think == "I will act."
    assert [c.name for c in out.calls] == ["cd", "ls"]


def test_bare_json_python_and_fenced_blocks():
    assert parse_tool_calls('{"name": "ls", "arguments": {}}').format == "json"
    assert parse_tool_calls("[ls(a=1)]").format == "python"
    out = parse_tool_calls("Here you go:\n```python\n[mv('a', 'b')]\n```\nDone.", SPECS)
    assert out.format == "python" and out.calls == (ToolCall("mv", {"source": "a", "destination": "b"}),)
    assert out.content == "Here you go:\n\nDone."


def test_plain_text_is_an_error_unless_allowed():
    with pytest.raises(ParseError, match="no tool call found") as info:
        parse_tool_calls("I cannot help with that.")
    assert info.value.raw == "I cannot help with that."
    assert parse_tool_calls("I cannot help.", allow_text=True).format == "text"


@pytest.mark.parametrize("text", [
    "<tool_call>[cd(folder='a')]",  # cut off by max_tokens
    "<think>never closed",
    "<tool_call></tool_call>",
    "<tool_call>[cd(folder=x)]</tool_call>",
    "x" * (MAX_TEXT_CHARS + 1),
])
def test_malformed_messages_raise_parse_error_with_raw(text):
    with pytest.raises(ParseError) as info:
        parse_tool_calls(text)
    assert info.value.raw == text
