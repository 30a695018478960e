"""Fuzz the tool-call parser with thousands of malformed and hostile strings: no crash, no code run, only ParseError."""

from __future__ import annotations

import json
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fr_core.errors import ParseError
from fr_core.llm.parsing import ParsedOutput, parse_json_calls, parse_python_calls, parse_tool_calls
from fr_core.types import ToolSpec

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning")

SPECS = {"f": ToolSpec("f", "f", {"type": "object", "properties": {"a": {}, "b": {}}})}


def injection_payloads(sentinel: str) -> list[str]:
    cmd = f"touch {sentinel}"
    return [
        f"__import__('os').system('{cmd}')",
        f"[f(a=__import__('os').system('{cmd}'))]",
        f"f(a=exec(\"import os; os.system('{cmd}')\"))",
        f"f(a=eval('__import__(\"os\").system(\"{cmd}\")'))",
        f"f(a=open('{sentinel}', 'w'))",
        f"f(a=(lambda: __import__('os').system('{cmd}'))())",
        "f(a=[x for x in ().__class__.__base__.__subclasses__()])",
        f"f(a=f'{{__import__(\"os\").system(\"{cmd}\")}}')",
        "f(a=breakpoint())",
        f"[f(a=1)]; __import__('os').system('{cmd}')",
        f"[f(a=1)]\nimport os\nos.system('{cmd}')",
        f"f(a=1) if __import__('os').system('{cmd}') else None",
        f"f(a:=__import__('os').system('{cmd}'))",
        f"f(a=1)(__import__('os').system('{cmd}'))",
        "f(a=globals()['__builtins__'])",
        "f(**__import__('os').environ)",
        "f(*__import__('os').listdir('.'))",
        f"getattr(__import__('os'), 'system')('{cmd}')",
        f"<tool_call>[f(a=__import__('os').system('{cmd}'))]</tool_call>",
        f'<tool_call>{{"name": "f", "arguments": "__import__(\'os\').system(\'{cmd}\')"}}</tool_call>',
        f"```python\nimport os; os.system('{cmd}')\n```",
        f"f(a=__builtins__.__dict__['exec'](\"__import__('os').system('{cmd}')\"))",
        "f(a=1, b=yield)",
        "f(a=await g())",
        "f(a=[*map(print, [1])])",
    ]


HUGE = [
    "[" * 150_000,
    "(" * 100_000 + ")" * 100_000,
    "-" * 150_000 + "1",
    "f(a=" + "-" * 150_000 + "1)",
    "not " * 40_000 + "1",
    "a" + ".b" * 60_000,
    "f" + "()" * 60_000,
    "+".join(["1"] * 60_000),
    "f(a=" + "[" * 190 + "]" * 190 + ")",
    "f(a=" + "{'k': " * 150 + "1" + "}" * 150 + ")",
    "[" * 10_000 + "{" * 10_000,
    '{"name": "f", "arguments": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"name": "f", "arguments": {"a": ' + "[" * 500 + "]" * 500 + "}}",
    "f(a=" + "9" * 10_000 + ")",
    '{"name": "f", "arguments": {"a": ' + "9" * 10_000 + "}}",
    "f(a='" + "x" * 190_000 + "')",
    "<think>" * 28_000,
    "<tool_call>" * 18_000,
    "```\n" * 50_000,
    "</think>" * 25_000,
    "<tool_call>[" + "f(a=1)," * 25_000 + "]</tool_call>",
    "\x00" * 1000,
    "f(a='\x00')",
    "\ud800\udfff f(a=1)",
]

ALPHABET = ["[", "]", "(", ")", "{", "}", ",", "=", ":", '"', "'", "\\", "-", "+", "*", "**", ".", " ", "\n",
            "f", "g", "a", "b", "1", "2.5", "1e999", "True", "None", "null", "lambda", "__import__", "os", "x",
            "<think>", "</think>", "<tool_call>", "</tool_call>", "<answer>", "</answer>", "```", "json",
            '"name"', '"arguments"', '"parameters"', "é", "你好", "🙂", "\u202e", "\x00", "\t", "#", ";", "@"]


def check(text: str) -> None:
    """The parser either returns plain JSON data or raises ParseError keeping the raw text."""
    for parse in (lambda t: parse_tool_calls(t, SPECS), lambda t: parse_python_calls(t, SPECS), parse_json_calls):
        try:
            out = parse(text)
        except ParseError as exc:
            assert exc.raw == text
            continue
        calls = out.calls if isinstance(out, ParsedOutput) else out
        for call in calls:
            assert isinstance(call.name, str) and isinstance(call.arguments, dict)
            json.dumps(call.arguments, allow_nan=False)  # plain JSON values only


def mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        pos = rng.randint(0, len(chars))
        if op < 0.4 and chars:
            del chars[min(pos, len(chars) - 1)]
        elif op < 0.8:
            chars.insert(pos, rng.choice(ALPHABET))
        else:
            chars = chars[:pos]
    return "".join(chars)


@pytest.fixture()
def sentinel(tmp_path):
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "model output was executed"


def test_injection_payloads_never_execute(sentinel):
    for payload in injection_payloads(str(sentinel)):
        check(payload)
        with pytest.raises(ParseError):
            parse_tool_calls(payload, SPECS)


def test_huge_and_deep_inputs_fail_fast(sentinel):
    # The parser's own CPU time (it runs in this thread alone): wall time also counts whatever else the machine runs,
    # and on a shared machine under `make test`'s two workers one 0.75 s CPU parse took 5.5 s of wall time.
    for text in HUGE:
        started = time.process_time()
        check(text)
        assert time.process_time() - started < 5.0, f"parser too slow on {text[:40]!r}..."


def test_seeded_random_and_mutated_strings(sentinel):
    rng = random.Random(20251024)
    seeds = injection_payloads(str(sentinel)) + [
        "<think>plan</think><tool_call>[f(a=1, b='x')]</tool_call>",
        '<tool_call>{"name": "f", "arguments": {"a": [1, {"b": null}]}}</tool_call>',
        '[{"name": "f", "parameters": {"a": 1}}]',
        "[f(1, b=-2.0), g(c={'k': (1, 2)})]",
        "<think>x</think><answer>done</answer>",
    ]
    count = 0
    for _ in range(1500):
        if rng.random() < 0.5:
            text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 60)))
        else:
            text = mutate(rng, rng.choice(seeds))
        check(text)
        count += 1
    assert count >= 1000


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(ALPHABET), max_size=80).map("".join),
    st.recursive(st.sampled_from(["1", "'s'", "None", "x", "f()", "-1.5"]),
                 lambda inner: st.one_of(
                     st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
                     st.tuples(st.sampled_from(["f", "g", "os.system"]), st.lists(inner, max_size=3)).map(
                         lambda t: f"{t[0]}(" + ", ".join(f"a{i}={x}" for i, x in enumerate(t[1])) + ")")),
                 max_leaves=20),
))
def test_hypothesis_strings(text):
    check(text)
