"""Safe tool-call parsing from model text: JSON, Python-call lists (literals only), Hermes and FunReason tags.

Model output is data: nothing here evaluates it; Python-style calls go through ``ast.parse`` and a literal-only walk.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fr_core.errors import ParseError
from fr_core.types import ToolCall, ToolSpec

__all__ = [
    "MAX_TEXT_CHARS",
    "MAX_DEPTH",
    "OutputFormat",
    "ParsedOutput",
    "parse_python_calls",
    "parse_json_calls",
    "json_tool_call",
    "parse_tool_calls",
]

#: Longest model output we try to parse; longer text is a ParseError (no model writes 200 kB of calls).
MAX_TEXT_CHARS = 200_000
#: Deepest nesting of argument values (lists in dicts in lists ...) that we accept.
MAX_DEPTH = 32

OutputFormat = Literal["json", "python", "hermes", "funreason", "text"]


@dataclass(frozen=True)
class ParsedOutput:
    """One assistant message split into its parts; ``raw`` is always the untouched text."""

    think: str
    calls: tuple[ToolCall, ...]
    answer: str | None
    format: OutputFormat
    raw: str
    #: Text outside the recognised tags (prose around a call), stripped.
    content: str = ""


# --------------------------------------------------------------------------------------------- Python-call style

_NAME_OF = {ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict", ast.Set: "set"}


def _excerpt(text: str, limit: int = 80) -> str:
    text = text.strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."


def _check_length(text: str) -> None:
    if not isinstance(text, str):
        raise ParseError(f"model output must be text, got {type(text).__name__}", raw=repr(text)[:1000])
    if len(text) > MAX_TEXT_CHARS:
        raise ParseError(
            f"model output is {len(text)} characters, more than the {MAX_TEXT_CHARS} the parser accepts; "
            "lower max_tokens or split the calls",
            raw=text,
        )


def _literal(node: ast.AST, raw: str, depth: int) -> Any:
    """Turn one argument node into a JSON value, accepting literals only."""
    if depth > MAX_DEPTH:
        raise ParseError(f"argument values nest deeper than {MAX_DEPTH} levels", raw=raw)
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ParseError(f"argument value {value!r} is not a finite number", raw=raw)
            return value
        raise ParseError(f"argument literal of type {type(value).__name__} is not a JSON value", raw=raw)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = node.operand
        if (isinstance(operand, ast.Constant) and isinstance(operand.value, (int, float))
                and not isinstance(operand.value, bool)):
            number = _literal(operand, raw, depth + 1)
            return -number if isinstance(node.op, ast.USub) else number
        raise ParseError("a sign may only precede a number literal", raw=raw)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [_literal(item, raw, depth + 1) for item in node.elts]
    if isinstance(node, ast.Dict):
        out: dict[str, Any] = {}
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:
                raise ParseError("'**' unpacking inside a dict argument is not a literal", raw=raw)
            if not (isinstance(key_node, ast.Constant) and isinstance(key_node.value, str)):
                raise ParseError("dict keys in arguments must be string literals", raw=raw)
            out[key_node.value] = _literal(value_node, raw, depth + 1)
        return out
    what = {
        ast.Name: "a variable name",
        ast.Attribute: "an attribute access",
        ast.Subscript: "a subscript",
        ast.Call: "a function call",
        ast.JoinedStr: "an f-string",
        ast.BinOp: "an arithmetic expression",
        ast.Lambda: "a lambda",
    }.get(type(node), f"a {type(node).__name__} expression")
    line = getattr(node, "col_offset", None)
    where = f" at column {line}" if line is not None else ""
    raise ParseError(f"arguments must be literals, found {what}{where}", raw=raw)


def _call(node: ast.AST, specs: Mapping[str, ToolSpec] | None, raw: str) -> ToolCall:
    if not isinstance(node, ast.Call):
        raise ParseError(f"expected a call like f(a=1), found a {type(node).__name__} expression", raw=raw)
    if not isinstance(node.func, ast.Name):
        raise ParseError("the called function must be a plain name like f(...), not an attribute or expression",
                         raw=raw)
    name = node.func.id
    arguments: dict[str, Any] = {}
    if node.args:
        spec = specs.get(name) if specs is not None else None
        if spec is None:
            raise ParseError(f"{name}() has positional arguments but no tool spec to name them; "
                             "use keyword arguments", raw=raw)
        order = list(spec.properties)
        if len(node.args) > len(order):
            raise ParseError(f"{name}() takes {len(order)} parameters but {len(node.args)} positional "
                             "arguments were given", raw=raw)
        for param, arg in zip(order, node.args):
            if isinstance(arg, ast.Starred):
                raise ParseError(f"'*' unpacking in {name}() is not a literal", raw=raw)
            arguments[param] = _literal(arg, raw, 1)
    for keyword in node.keywords:
        if keyword.arg is None:
            raise ParseError(f"'**' unpacking in {name}() is not a literal", raw=raw)
        if keyword.arg in arguments:
            raise ParseError(f"{name}() got argument {keyword.arg!r} twice", raw=raw)
        arguments[keyword.arg] = _literal(keyword.value, raw, 1)
    return ToolCall(name=name, arguments=arguments)


def parse_python_calls(text: str, specs: Mapping[str, ToolSpec] | None = None) -> list[ToolCall]:
    """Parse ``[f(a=1, b="x"), g()]`` or ``f(a=1)`` into calls, accepting literal arguments only.

    Positional arguments are named in the order of ``specs[name]``'s parameter properties.

    >>> parse_python_calls('[cd(folder="docs"), ls()]')
    [ToolCall(name='cd', arguments={'folder': 'docs'}), ToolCall(name='ls', arguments={})]
    """
    _check_length(text)
    source = text.strip()
    if not source:
        raise ParseError("expected Python-style calls, got empty text", raw=text)
    try:
        tree = ast.parse(source, mode="eval")
    except Exception as exc:  # SyntaxError, ValueError, RecursionError, MemoryError: all mean "not parseable"
        detail = exc.msg if isinstance(exc, SyntaxError) else type(exc).__name__
        raise ParseError(f"not valid Python-style calls ({detail}): {_excerpt(source)}", raw=text) from None
    body = tree.body
    try:
        if isinstance(body, (ast.List, ast.Tuple)):
            return [_call(item, specs, text) for item in body.elts]
        return [_call(body, specs, text)]
    except RecursionError:
        raise ParseError("Python-style calls nest too deeply to parse", raw=text) from None


# --------------------------------------------------------------------------------------------- JSON style


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number")


def _depth_ok(value: Any, limit: int) -> bool:
    if limit < 0:
        return False
    if isinstance(value, dict):
        return all(_depth_ok(v, limit - 1) for v in value.values())
    if isinstance(value, list):
        return all(_depth_ok(v, limit - 1) for v in value)
    return True


def json_tool_call(obj: Any, raw: str = "") -> ToolCall:
    """One ``{"name", "arguments" | "parameters"}`` object (or OpenAI ``{"function": ...}``) as a ToolCall."""
    if not isinstance(obj, dict):
        raise ParseError(f"a JSON tool call must be an object, found {type(obj).__name__}", raw=raw)
    if isinstance(obj.get("function"), dict):  # OpenAI wire form {"type": "function", "function": {...}}
        obj = obj["function"]
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ParseError('a JSON tool call needs a non-empty string "name"', raw=raw)
    args: Any = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):
        if not args.strip():
            args = {}
        else:
            try:
                args = json.loads(args, parse_constant=_reject_constant)
            except Exception:
                raise ParseError(f'"arguments" of {name} is a string that is not valid JSON', raw=raw) from None
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ParseError(f'"arguments" of {name} must be an object, found {type(args).__name__}', raw=raw)
    if not _depth_ok(args, MAX_DEPTH):
        raise ParseError(f"arguments of {name} nest deeper than {MAX_DEPTH} levels", raw=raw)
    return ToolCall(name=name.strip(), arguments=args)


def parse_json_calls(text: str) -> list[ToolCall]:
    """Parse ``{"name": .., "arguments": {..}}`` or a list of them ("parameters" and string arguments accepted)."""
    _check_length(text)
    source = text.strip()
    try:
        data = json.loads(source, parse_constant=_reject_constant)
    except Exception as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise ParseError(f"not valid JSON tool calls ({detail}): {_excerpt(source)}", raw=text) from None
    items = data if isinstance(data, list) else [data]
    return [json_tool_call(item, text) for item in items]


# --------------------------------------------------------------------------------------------- whole messages

_PY_START = re.compile(r"^\[?\s*[A-Za-z_][A-Za-z0-9_]*\s*\(")
_FENCE = "```"


def _take_tags(text: str, open_tag: str, close_tag: str) -> tuple[list[str], str]:
    """Cut every ``open…close`` pair out of text; returns the insides and the rest. Linear time (no regex)."""
    inside: list[str] = []
    rest: list[str] = []
    pos = 0
    while True:
        start = text.find(open_tag, pos)
        if start < 0:
            break
        end = text.find(close_tag, start + len(open_tag))
        if end < 0:
            break
        rest.append(text[pos:start])
        inside.append(text[start + len(open_tag):end])
        pos = end + len(close_tag)
    rest.append(text[pos:])
    return inside, "".join(rest)


def _fenced_block(text: str) -> tuple[str, str] | None:
    """The first ``` fenced block: (its body without the language line, the text around it)."""
    start = text.find(_FENCE)
    if start < 0:
        return None
    end = text.find(_FENCE, start + 3)
    if end < 0:
        return None
    inner = text[start + 3:end]
    first_line, newline, body = inner.partition("\n")
    if not newline or (first_line.strip() and not first_line.strip().replace("_", "").replace("-", "").isalnum()):
        body = inner
    return body, text[:start] + text[end + 3:]


def _strip_fence(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith(_FENCE) and stripped.endswith(_FENCE) and len(stripped) >= 6:
        block = _fenced_block(stripped)
        if block is not None and not block[1].strip():
            return block[0]
    return text


def _looks_json(text: str) -> bool:
    return text.startswith("{") or (text.startswith("[") and text[1:].lstrip()[:1] in ("{", "]"))


def _looks_calls(text: str) -> bool:
    return _looks_json(text) or _PY_START.match(text) is not None


def _calls_in(body: str, specs: Mapping[str, ToolSpec] | None, raw: str) -> tuple[list[ToolCall], str]:
    """Parse one block of calls, choosing JSON or Python style by its first characters."""
    body = _strip_fence(body).strip()
    if not body:
        raise ParseError("empty <tool_call> block", raw=raw)
    try:
        if _looks_json(body):
            return parse_json_calls(body), "json"
        return parse_python_calls(body, specs), "python"
    except ParseError as exc:
        raise ParseError(str(exc), raw=raw) from None


def parse_tool_calls(text: str, specs: Mapping[str, ToolSpec] | None = None, *,
                     allow_text: bool = False) -> ParsedOutput:
    """Split a model message into think / calls / answer, detecting JSON, Python, Hermes or FunReason format.

    Text with no calls and no tags is a ParseError unless ``allow_text`` (then format ``"text"``).

    >>> out = parse_tool_calls('<think>go to docs</think><tool_call>[cd(folder="docs")]</tool_call>')
    >>> out.format, out.think, out.calls[0].to_python()
    ('funreason', 'go to docs', "cd(folder='docs')")
    """
    _check_length(text)
    think_parts, rest = _take_tags(text, "<think>", "</think>")
    if "</think>" in rest:  # reasoning models often omit the opening tag
        head, _, rest = rest.partition("</think>")
        think_parts.insert(0, head.replace("<think>", ""))
    elif "<think>" in rest:
        raise ParseError("unclosed <think> tag (was the output cut off by max_tokens?)", raw=text)
    think = "\n\n".join(p.strip() for p in think_parts if p.strip())

    answers, rest = _take_tags(rest, "<answer>", "</answer>")
    answer = "\n\n".join(a.strip() for a in answers) if answers else None
    blocks, rest = _take_tags(rest, "<tool_call>", "</tool_call>")
    for tag in ("<tool_call>", "</tool_call>", "<answer>", "</answer>"):
        if tag in rest:
            raise ParseError(f"unmatched {tag} tag (was the output cut off by max_tokens?)", raw=text)
    content = rest.strip()

    if blocks:
        calls: list[ToolCall] = []
        styles: set[str] = set()
        for block in blocks:
            found, style = _calls_in(block, specs, text)
            calls.extend(found)
            styles.add(style)
        fmt: OutputFormat = "funreason" if "python" in styles else "hermes"
        return ParsedOutput(think, tuple(calls), answer, fmt, text, content)

    if answer is not None or (think and not content):
        return ParsedOutput(think, (), answer, "funreason", text, content)

    body = _strip_fence(content).strip()
    if _looks_calls(body):
        found, style = _calls_in(body, specs, text)
        return ParsedOutput(think, tuple(found), None, style, text, "")  # type: ignore[arg-type]
    fenced = _fenced_block(content)
    if fenced is not None and _looks_calls(fenced[0].strip()):
        found, style = _calls_in(fenced[0], specs, text)
        return ParsedOutput(think, tuple(found), None, style, text, fenced[1].strip())  # type: ignore[arg-type]
    if allow_text and content:
        return ParsedOutput(think, (), None, "text", text, content)
    raise ParseError(
        f"no tool call found: expected JSON, Python-style calls, <tool_call> tags or <answer>; "
        f"got {_excerpt(text) or 'empty text'}",
        raw=text,
    )
