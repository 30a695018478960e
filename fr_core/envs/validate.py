"""Check call arguments against a tool's JSON schema before anything is executed."""

from __future__ import annotations

from typing import Any

from fr_core.types import CallResult, ToolCall, ToolSpec

__all__ = ["check_arguments", "check_call", "argument_constraints"]

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
}


def _type_ok(value: Any, schema: dict[str, Any]) -> bool:
    expected = schema.get("type")
    if expected is None or expected == "any":
        return True
    if value is None and schema.get("nullable"):  # Optional[...] parameters of Python tool classes
        return True
    names = expected if isinstance(expected, list) else [expected]
    for name in names:
        if name == "null" and value is None:
            return True
        kinds = _JSON_TYPES.get(name)
        if kinds is None:
            return True  # unknown type word: do not second-guess the spec
        # bool is an int subclass in Python; JSON keeps them apart.
        if isinstance(value, bool) and name in ("integer", "number"):
            continue
        if isinstance(value, kinds):
            return True
    return False


def check_arguments(spec: ToolSpec, arguments: dict[str, Any]) -> str | None:
    """Return ``None`` when ``arguments`` fit ``spec``, else a message naming the tool and the field.

    >>> spec = ToolSpec("cd", "change dir", {"type": "object", "properties": {"folder": {"type": "string"}},
    ...                 "required": ["folder"]})
    >>> check_arguments(spec, {"folder": "docs"}) is None
    True
    >>> check_arguments(spec, {})
    "cd: missing required argument 'folder'"
    """
    props = spec.properties
    for name in spec.required:
        if name not in arguments:
            return f"{spec.name}: missing required argument '{name}'"
    for name, value in arguments.items():
        if name not in props:
            allowed = ", ".join(sorted(props)) or "none"
            return f"{spec.name}: unexpected argument '{name}' (allowed: {allowed})"
        schema = props[name]
        if not _type_ok(value, schema):
            return (
                f"{spec.name}: argument '{name}' should be {schema.get('type')}, "
                f"got {type(value).__name__} {value!r:.60}"
            )
        if "enum" in schema and value not in schema["enum"] and not (value is None and schema.get("nullable")):
            return f"{spec.name}: argument '{name}' must be one of {schema['enum']}, got {value!r:.60}"
        if schema.get("type") == "array" and "items" in schema and isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if not _type_ok(item, schema["items"]):
                    return (
                        f"{spec.name}: item {i} of '{name}' should be {schema['items'].get('type')}, "
                        f"got {type(item).__name__}"
                    )
    return None


def check_call(specs: dict[str, ToolSpec], call: ToolCall, env_name: str) -> tuple[ToolSpec | None, CallResult | None]:
    """The spec a call names, or the error result to return instead (unknown tool, bad arguments)."""
    spec = specs.get(call.name)
    if spec is None:
        return None, CallResult(call, error=f"unknown tool '{call.name}' in environment {env_name}")
    if not isinstance(call.arguments, dict):
        return None, CallResult(call, error=f"{call.name}: arguments must be an object of name → value")
    problem = check_arguments(spec, call.arguments)
    if problem:
        return None, CallResult(call, error=problem)
    return spec, None


#: Parameter-name pairs whose values must differ (moving, copying or travelling onto itself is no action).
_DISTINCT = (("source", "destination"), ("from", "to"), ("origin", "destination"), ("old", "new"))


def argument_constraints(spec: ToolSpec, arguments: dict[str, Any]) -> str | None:
    """``None`` when the arguments agree with each other, else why not: a ``min_*`` above its ``max_*``, or a
    source equal to its destination (``mv(source='a', destination='a')``). General rules, read from names only.

    >>> spec = ToolSpec("filter", "", {"type": "object", "properties": {"min_price": {}, "max_price": {}}})
    >>> argument_constraints(spec, {"min_price": 9.5, "max_price": 2.0})
    "filter: 'min_price' (9.5) is above 'max_price' (2.0)"
    """
    for name, low in arguments.items():
        if not name.startswith("min_") or isinstance(low, bool) or not isinstance(low, (int, float)):
            continue
        high = arguments.get("max_" + name[4:])
        if isinstance(high, (int, float)) and not isinstance(high, bool) and low > high:
            return f"{spec.name}: '{name}' ({low!r}) is above 'max_{name[4:]}' ({high!r})"
    texts = [v for v in arguments.values() if isinstance(v, str) and v]
    if len(set(texts)) == len(texts):
        return None  # no two arguments share a value
    for name, value in arguments.items():
        if not isinstance(value, str) or not value:
            continue
        for first, second in _DISTINCT:
            for other, other_value in arguments.items():
                if other != name and other_value == value and _pair(name, first) and _pair(other, second) \
                        and _pair(name, first, strip=True) == _pair(other, second, strip=True):
                    return f"{spec.name}: '{name}' and '{other}' are the same ({value!r:.60})"
    return None


def _pair(name: str, word: str, strip: bool = False) -> Any:
    """Whether ``name`` is ``word`` or ends/starts with it as a part (``travel_from``); with ``strip`` the rest."""
    parts = name.lower().split("_")
    if word not in parts:
        return False
    return "_".join(p for p in parts if p != word) if strip else True
