"""The user's own tools as environments: a Python class whose public methods are tools, or a JSON list of
OpenAI-style tool specs run by a deterministic mock backend with optional recorded (replay) responses.
"""

from __future__ import annotations

import copy
import enum
import hashlib
import importlib.util
import inspect
import json
import random
import re
import sys
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fr_core.envs.base import ObjectEnvironment, copy_data, serialise, to_jsonable
from fr_core.envs.knowledge import ClassKnowledge, KnowledgeHooks, field_values
from fr_core.envs.validate import check_arguments, check_call
from fr_core.errors import ConfigError, EnvError, ToolSpecError
from fr_core.types import CallResult, ToolCall, ToolSpec

__all__ = [
    "specs_from_class",
    "make_python_env",
    "load_python_env",
    "load_json_specs",
    "load_replay",
    "make_json_env",
    "JsonToolEnvironment",
]

# Methods a tool class may define to load a state; they are hooks, not tools.
_STATE_HOOKS = ("load_state", "_load_scenario")
# A class may also make seeded states itself (``generate_state(seed) -> dict`` for ``load_state``): the sampler and
# the graph's probes then see several states, as they do for BFCL's classes.
_GENERATOR = "generate_state"
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_JSON_TYPE_WORDS = {"string", "integer", "number", "boolean", "array", "object", "null"}
_PY_TYPE_WORDS = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "list": "array",
                  "tuple": "array", "dict": "object", "any": "(leave 'type' out)"}


# -- shared helpers -------------------------------------------------------------------------------------------
def _canonical(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _with_defaults(spec: ToolSpec, arguments: dict[str, Any]) -> dict[str, Any]:
    """Arguments plus the schema defaults of omitted parameters: ``f(x=1)`` and ``f(x=1, unit='c')`` match."""
    full = {name: schema["default"] for name, schema in spec.properties.items()
            if isinstance(schema, dict) and "default" in schema and name not in arguments}
    full.update(arguments)
    return full


# -- Python classes -------------------------------------------------------------------------------------------
_SECTION = re.compile(r"^(Args|Arguments|Parameters|Params|Returns|Return|Yields|Raises|Examples?|Notes?|"
                      r"Attributes|See Also|References|Warnings?)\s*:?\s*$")
_NUMPY_RULE = re.compile(r"^-{3,}\s*$")
_GOOGLE_ITEM = re.compile(r"^(\*{0,2}\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_NUMPY_ITEM = re.compile(r"^(\w+)\s*:\s*(.*)$")


def _split_sections(doc: str) -> tuple[str, dict[str, tuple[bool, list[str]]]]:
    """Summary text and, per named section, (numpy style?, raw lines): Google ``Args:`` or numpy
    ``Parameters\\n---``."""
    lines = doc.splitlines()
    summary: list[str] = []
    sections: dict[str, tuple[bool, list[str]]] = {}
    current: list[str] | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        m = _SECTION.match(stripped)
        numpy = m and i + 1 < len(lines) and _NUMPY_RULE.match(lines[i + 1].strip())
        if m and (stripped.endswith(":") or numpy):
            title = m.group(1).lower()
            title = {"arguments": "args", "parameters": "args", "params": "args", "return": "returns"}.get(title, title)
            current = sections.setdefault(title, (bool(numpy), []))[1]
            i += 2 if numpy else 1
            continue
        (summary if current is None else current).append(line)
        i += 1
    return " ".join(" ".join(summary).split()), sections


def _items(section: tuple[bool, list[str]] | None) -> list[tuple[str, str, str]]:
    """(name, type text, description) items of a section, continuation lines folded into the description."""
    numpy, lines = section or (False, [])
    body = [ln for ln in lines if ln.strip()]
    if not body:
        return []
    indent = min(len(ln) - len(ln.lstrip()) for ln in body)
    items: list[list[str]] = []
    for ln in body:
        if len(ln) - len(ln.lstrip()) == indent:
            text = ln.strip()
            m = None if numpy else _GOOGLE_ITEM.match(text)
            if m and (m.group(2) is not None or m.group(3)):
                items.append([m.group(1).lstrip("*"), m.group(2) or "", m.group(3)])
                continue
            m = _NUMPY_ITEM.match(text)
            if m:
                items.append([m.group(1), m.group(2), ""])
                continue
            items.append(["", text, ""] if numpy else ["", "", text])  # numpy: a bare line names a type
        elif items:
            items[-1][2] = f"{items[-1][2]} {ln.strip()}".strip()
    return [(n, t, " ".join(d.split())) for n, t, d in items]


def _annotation_schema(tp: Any, where: str) -> dict[str, Any]:
    """JSON schema of a type hint: builtins, Optional / unions, list[X], dict[str, X], Literal, Enum, TypedDict."""
    if tp is inspect.Parameter.empty or tp is Any or tp is object:
        return {}
    if tp is type(None) or tp is None:
        return {"type": "null"}
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _annotation_schema(args[0], where)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        nullable = len(members) < len(args)
        subs = [_annotation_schema(a, where) for a in members]
        if len(subs) == 1:
            schema = dict(subs[0])
        elif all("type" in s and isinstance(s["type"], str) for s in subs):
            schema = {"type": list(dict.fromkeys(s["type"] for s in subs))}
        else:
            schema = {}  # a union the JSON types cannot say precisely: accept any value
        if nullable and "type" in schema:
            schema["nullable"] = True  # a plain "type" word keeps the schema easy for every reader
        return schema
    if origin is typing.Literal:
        values = [a.value if isinstance(a, enum.Enum) else a for a in args]
        return {**_literal_type(values), "enum": values}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = [m.value for m in tp]
        return {**_literal_type(values), "enum": values}
    if typing.is_typeddict(tp):
        hints = typing.get_type_hints(tp)
        return {"type": "object",
                "properties": {k: _annotation_schema(v, f"{where}.{k}") for k, v in hints.items()},
                "required": sorted(getattr(tp, "__required_keys__", hints))}
    base = origin or tp
    if base is bool:
        return {"type": "boolean"}
    if base is int:
        return {"type": "integer"}
    if base is float:
        return {"type": "number"}
    if base is str:
        return {"type": "string"}
    if base in (list, tuple, set, frozenset) or base in (Sequence, Iterable):
        array: dict[str, Any] = {"type": "array"}
        item_args = [a for a in args if a is not Ellipsis]
        if len(set(item_args)) == 1:
            array["items"] = _annotation_schema(item_args[0], where)
        return array
    if base is dict or (isinstance(base, type) and issubclass(base, Mapping)):
        mapping: dict[str, Any] = {"type": "object"}
        if len(args) == 2 and args[1] is not Any:
            mapping["additionalProperties"] = _annotation_schema(args[1], where)
        return mapping
    raise ToolSpecError(
        f"{where}: type hint {tp!r} has no JSON-schema equivalent; use str, int, float, bool, list[...], "
        "dict[str, ...], Literal[...], an Enum or Optional[...] of these"
    )


def _literal_type(values: list[Any]) -> dict[str, Any]:
    kinds = {_annotation_schema(type(v), "Literal").get("type") for v in values}
    return {"type": kinds.pop()} if len(kinds) == 1 else {}


def _tool_functions(cls: type) -> list[tuple[str, Any, bool]]:
    """(name, function, takes self) of the public methods of ``cls`` and its bases, in definition order."""
    found: dict[str, tuple[Any, bool]] = {}
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        for name, raw in vars(klass).items():
            if name.startswith("_") or name in _STATE_HOOKS or name == _GENERATOR:
                continue
            if isinstance(raw, staticmethod):
                found[name] = (raw.__func__, False)
            elif isinstance(raw, classmethod):
                found[name] = (raw.__func__, True)
            elif inspect.isfunction(raw):
                found[name] = (raw, True)
            else:
                found.pop(name, None)  # an override by a non-method (property, attribute) hides the tool
    return [(name, fn, bound) for name, (fn, bound) in found.items()]


def _returns_schema(
    hints: dict[str, Any], sections: dict[str, tuple[bool, list[str]]], where: str
) -> dict[str, Any] | None:
    schema = _annotation_schema(hints["return"], f"{where} return") if "return" in hints else {}
    if schema == {"type": "null"}:
        schema = {}
    items = _items(sections.get("returns"))
    fields = [(n, t, d) for n, t, d in items if n and t]
    if fields and schema.get("type", "object") == "object" and "properties" not in schema:
        # "Returns:\n    note_id (str): ..." lists the fields of a returned dict.
        schema = {"type": "object", "properties": {}}
        for n, t, d in fields:
            word = t.split(",")[0].strip().split("[")[0].lower()
            kind = _PY_TYPE_WORDS.get(word, word if word in _JSON_TYPE_WORDS else "")
            prop = {"type": kind} if kind in _JSON_TYPE_WORDS else {}
            schema["properties"][n] = {**prop, "description": d} if d else prop
    else:
        text = " ".join(f"{t}: {d}" if t and d else (d or t) for n, t, d in items if not n or not t)
        text = text or " ".join(d for _, _, d in items)
        if text:
            schema = {**schema, "description": text}
    return schema or None


def specs_from_class(cls: type) -> list[ToolSpec]:
    """One ToolSpec per public method: hints give JSON types, the docstring the descriptions.

    ``Args:`` (Google) or ``Parameters`` (numpy) sections describe parameters; ``Returns:`` describes the response,
    and ``name (type): text`` lines there become the properties of the returned object.
    """
    if not inspect.isclass(cls):
        raise ToolSpecError(f"specs_from_class needs a class, got {type(cls).__name__}")
    specs = []
    for name, fn, bound in _tool_functions(cls):
        where = f"{cls.__name__}.{name}"
        try:
            hints = typing.get_type_hints(fn, include_extras=True)
        except Exception as exc:
            raise ToolSpecError(f"{where}: could not resolve its type hints ({type(exc).__name__}: {exc})") from exc
        summary, sections = _split_sections(inspect.getdoc(fn) or "")
        arg_docs = {n: d for n, _, d in _items(sections.get("args")) if n}
        params = list(inspect.signature(fn).parameters.values())[1 if bound else 0:]
        properties: dict[str, Any] = {}
        required: list[str] = []
        for p in params:
            if p.kind is p.VAR_KEYWORD:
                continue  # **kwargs: nothing a schema can name; only the named parameters are offered
            if p.kind in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY):
                raise ToolSpecError(
                    f"{where}: parameter '{p.name}' cannot be passed by keyword; tools are called with keyword "
                    "arguments only, so make it a normal parameter"
                )
            schema = _annotation_schema(hints.get(p.name, inspect.Parameter.empty), f"{where}({p.name})")
            if arg_docs.get(p.name):
                schema["description"] = arg_docs[p.name]
            if p.default is p.empty:
                required.append(p.name)
            else:
                default = p.default.value if isinstance(p.default, enum.Enum) else p.default
                schema["default"] = to_jsonable(default)
            properties[p.name] = schema
        parameters: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            parameters["required"] = required
        specs.append(ToolSpec(name, summary, parameters, _returns_schema(hints, sections, where), cls.__name__))
    if not specs:
        raise ToolSpecError(f"class {cls.__name__} has no public methods, so it offers no tools")
    return specs


def make_python_env(
    cls_or_instance: type | object, initial_state: dict[str, Any] | None = None, name: str | None = None,
    *, seed: int | None = None,
) -> ObjectEnvironment:
    """An environment over the public methods of a class (instantiated with no arguments) or of a copy of an instance.

    ``initial_state`` is passed to the class's ``load_state(dict)`` or ``_load_scenario(dict)``; without one, a
    ``seed`` asks the class's own ``generate_state(seed)`` (when it has one) for the state to load.
    """
    if inspect.isclass(cls_or_instance):
        cls = cls_or_instance
        try:
            instance = cls()
        except Exception as exc:
            raise EnvError(
                f"{cls.__name__}() failed ({type(exc).__name__}: {exc}); a tool class must construct with no "
                "arguments, or pass a ready instance instead"
            ) from exc
    else:
        cls = type(cls_or_instance)
        instance = copy.deepcopy(cls_or_instance)  # the environment owns its state; the caller's object stays as is
    specs = specs_from_class(cls)
    generator = getattr(cls, _GENERATOR, None)
    if initial_state is None and seed is not None and callable(generator):
        try:
            initial_state = generator(seed)
        except Exception as exc:
            raise EnvError(f"{cls.__name__}.{_GENERATOR}({seed}) failed ({type(exc).__name__}: {exc})") from exc
        if not isinstance(initial_state, dict):
            raise EnvError(f"{cls.__name__}.{_GENERATOR}({seed}) returned {type(initial_state).__name__}, not a dict "
                           "for load_state")
    if initial_state is not None:
        hook = next((getattr(instance, h) for h in _STATE_HOOKS if callable(getattr(instance, h, None))), None)
        if hook is None:
            raise EnvError(f"{cls.__name__} has no load_state(dict) method, so an initial state cannot be loaded")
        try:
            hook(copy.deepcopy(initial_state))
        except Exception as exc:
            raise EnvError(f"{cls.__name__}: could not load initial state ({type(exc).__name__}: {exc})") from exc
    return ObjectEnvironment(name or cls.__name__, {cls.__name__: instance}, specs)


_MODULES: dict[Path, tuple[float, types.ModuleType]] = {}


def _import_file(path: Path) -> types.ModuleType:
    """Import the user's own module by file path (chosen by the user, never model output); cached by mtime."""
    mtime = path.stat().st_mtime
    cached = _MODULES.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    mod_name = "fr_user_tools_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{path}: not an importable Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module  # dataclasses and typing look classes' modules up here
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(mod_name, None)
        raise EnvError(f"{path}: importing it failed ({type(exc).__name__}: {exc})") from exc
    _MODULES[path] = (mtime, module)
    return module


def load_python_env(target: str, initial_state: dict[str, Any] | None = None, *,
                    seed: int | None = None) -> ObjectEnvironment:
    """``"path/to/file.py:ClassName"`` → :func:`make_python_env` of that class."""
    file_part, sep, cls_name = target.rpartition(":")
    if not sep or not file_part.endswith(".py") or not cls_name.isidentifier():
        raise ConfigError(f"'{target}' is not of the form path/to/file.py:ClassName")
    path = Path(file_part).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"{file_part}: no such file (from '{target}')")
    module = _import_file(path)
    cls = getattr(module, cls_name, None)
    if not inspect.isclass(cls):
        classes = sorted(n for n, v in vars(module).items() if inspect.isclass(v) and v.__module__ == module.__name__)
        raise ConfigError(f"{file_part} defines no class '{cls_name}'; classes there: {', '.join(classes) or 'none'}")
    return make_python_env(cls, initial_state, seed=seed)


# -- JSON tool specs ------------------------------------------------------------------------------------------
def _read_json(source: str | Path, what: str) -> Any:
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ToolSpecError(f"{path}: cannot read {what} ({exc.strerror or exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolSpecError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except RecursionError:
        raise ToolSpecError(f"{path}: the JSON is nested too deeply to read; a tool schema may nest "
                            f"{MAX_SCHEMA_DEPTH} levels at most") from None


#: How deep a tool's schema may nest, and the largest size (items, characters) it may ask a generated value for:
#: mock values and arguments are made from schemas, and a bigger demand only hangs the machine.
MAX_SCHEMA_DEPTH = 32
MAX_SCHEMA_SIZE = 1000
_NUMBER_WORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_BOUNDS = (("minimum", "maximum"), ("minItems", "maxItems"), ("minLength", "maxLength"),
           ("minProperties", "maxProperties"))


def _check_limits(schema: dict[str, Any], where: str) -> None:
    """Numeric keywords are numbers, size keywords whole numbers within ``MAX_SCHEMA_SIZE``, minimums ≤ maximums."""
    for word in _NUMBER_WORDS:
        if word in schema and (isinstance(schema[word], bool) or not isinstance(schema[word], (int, float))):
            raise ToolSpecError(f"{where}.{word} must be a number, got {schema[word]!r}")
    for low, high in _BOUNDS[1:]:
        for word in (low, high):
            value = schema.get(word)
            if word in schema and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ToolSpecError(f"{where}.{word} must be a whole number ≥ 0, got {value!r}")
        if schema.get(low, 0) > MAX_SCHEMA_SIZE:
            raise ToolSpecError(f"{where}.{low} is {schema[low]:,}; values made from a schema hold at most "
                                f"{MAX_SCHEMA_SIZE:,}: lower it")
    for low, high in _BOUNDS:
        if low in schema and high in schema and schema[low] > schema[high]:
            raise ToolSpecError(f"{where}: {low} ({schema[low]}) is greater than {high} ({schema[high]}), "
                                "so no value fits; swap or fix them")


def _check_schema(schema: Any, where: str, depth: int = 0) -> None:
    """Structural checks of a JSON schema fragment, naming the field that is wrong."""
    if depth > MAX_SCHEMA_DEPTH:
        raise ToolSpecError(f"{where} nests more than {MAX_SCHEMA_DEPTH} levels deep; flatten the schema")
    if not isinstance(schema, dict):
        raise ToolSpecError(f"{where} must be a JSON object (a schema), got {type(schema).__name__}")
    _check_limits(schema, where)
    kind = schema.get("type")
    for word in kind if isinstance(kind, list) else ([kind] if kind is not None else []):
        if word not in _JSON_TYPE_WORDS:
            hint = f"; JSON schema calls it '{_PY_TYPE_WORDS[word]}'" if word in _PY_TYPE_WORDS else ""
            raise ToolSpecError(f"{where}.type: unknown type '{word}'{hint}")
    if "enum" in schema and not isinstance(schema["enum"], list):
        raise ToolSpecError(f"{where}.enum must be a list of allowed values")
    props = schema.get("properties")
    if props is not None:
        if not isinstance(props, dict):
            raise ToolSpecError(f"{where}.properties must be an object of name → schema")
        for pname, sub in props.items():
            _check_schema(sub, f"{where}.properties.{pname}", depth + 1)
    if "items" in schema:
        _check_schema(schema["items"], f"{where}.items", depth + 1)
    required = schema.get("required")
    if required is not None:
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise ToolSpecError(f"{where}.required must be a list of parameter names")
        missing = [r for r in required if r not in (props or {})]
        if missing:
            raise ToolSpecError(f"{where}.required names {missing}, which are not in {where}.properties")


def _check_tool_schema(schema: Any, where: str, tool: str) -> None:
    try:
        _check_schema(schema, where)
    except ToolSpecError as exc:
        raise ToolSpecError(f"tool {tool!r}: {exc}") from None


def load_json_specs(source: str | Path | list[Any], owner: str = "json") -> list[ToolSpec]:
    """Tool specs from a JSON file or list: OpenAI ``{"type": "function", "function": {...}}`` entries or bare
    ``{name, description, parameters[, response]}`` ones. Errors name the file and the field.
    """
    label = "tools"
    if isinstance(source, (str, Path)):
        label = str(source)
        data = _read_json(source, "a tool spec file")
    else:
        data = source
    if isinstance(data, dict) and isinstance(data.get("tools"), list):
        data = data["tools"]
    if not isinstance(data, list):
        raise ToolSpecError(f"{label}: expected a JSON list of tool specs (or {{\"tools\": [...]}}), "
                            f"got {type(data).__name__}")
    specs: list[ToolSpec] = []
    first_seen: dict[str, int] = {}
    for i, entry in enumerate(data):
        where = f"{label}: tools[{i}]"
        if not isinstance(entry, dict):
            raise ToolSpecError(f"{where} must be an object, got {type(entry).__name__}")
        if "function" in entry:
            if entry.get("type", "function") != "function":
                raise ToolSpecError(f"{where}.type is '{entry['type']}'; only 'function' tools are supported")
            entry, where = entry["function"], f"{where}.function"
            if not isinstance(entry, dict):
                raise ToolSpecError(f"{where} must be an object")
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ToolSpecError(f"{where}.name is missing; every tool needs a name")
        if not _TOOL_NAME.match(name):
            raise ToolSpecError(f"{where}.name '{name}' must be 1-64 letters, digits, '_', '-' or '.'")
        if name in first_seen:
            raise ToolSpecError(
                f"{where}.name: duplicate tool name '{name}' (first defined at tools[{first_seen[name]}])"
            )
        description = entry.get("description", "")
        if not isinstance(description, str):
            raise ToolSpecError(f"{where}.description must be a string")
        parameters = entry.get("parameters", {"type": "object", "properties": {}})
        if not isinstance(parameters, dict):
            raise ToolSpecError(f"{where}.parameters must be a JSON object (an object schema), "
                                f"got {type(parameters).__name__}")
        if parameters.get("type", "object") != "object":
            raise ToolSpecError(f"{where}.parameters.type must be 'object', got {parameters.get('type')!r}")
        _check_tool_schema(parameters, f"{where}.parameters", name)
        parameters = {"type": "object", **copy.deepcopy(parameters)}
        parameters.setdefault("properties", {})
        response = entry.get("response")
        if response is not None:
            _check_tool_schema(response, f"{where}.response", name)
        first_seen[name] = i
        specs.append(ToolSpec(name, description, parameters, copy.deepcopy(response), owner))
    if not specs:
        raise ToolSpecError(f"{label}: the tool list is empty")
    return specs


ReplayTable = dict[tuple[str, str], dict[str, Any]]


def load_replay(source: str | Path | dict[str, Any] | list[Any], specs: Iterable[ToolSpec]) -> ReplayTable:
    """Recorded responses: ``[{"name", "arguments", "response" | "error"}]`` (or ``{"responses": [...]}``).

    An entry without ``arguments`` answers every call of that tool that has no exact recording.
    """
    label = "replay"
    if isinstance(source, (str, Path)):
        label = str(source)
        source = _read_json(source, "a replay file")
    entries = source.get("responses") if isinstance(source, dict) else source
    if not isinstance(entries, list):
        raise ToolSpecError(f"{label}: expected a list of recorded responses (or {{\"responses\": [...]}})")
    by_name = {s.name: s for s in specs}
    table: ReplayTable = {}
    for i, entry in enumerate(entries):
        where = f"{label}: responses[{i}]"
        if not isinstance(entry, dict):
            raise ToolSpecError(f"{where} must be an object")
        name = entry.get("name")
        if name not in by_name:
            raise ToolSpecError(f"{where}.name {name!r} is not one of the tools ({', '.join(sorted(by_name))})")
        if ("response" in entry) == ("error" in entry):
            raise ToolSpecError(f"{where} needs exactly one of 'response' or 'error'")
        if "error" in entry and not isinstance(entry["error"], str):
            raise ToolSpecError(f"{where}.error must be a string")
        if "arguments" in entry:
            args = entry["arguments"]
            if not isinstance(args, dict):
                raise ToolSpecError(f"{where}.arguments must be an object of name → value")
            problem = check_arguments(by_name[name], args)
            if problem:
                raise ToolSpecError(f"{where}.arguments do not fit the tool: {problem}")
            key = _canonical(_with_defaults(by_name[name], args))
        else:
            key = "*"
        table[(name, key)] = {k: entry[k] for k in ("response", "error") if k in entry}
    return table


_ID_KEY = re.compile(r"(^|_)ids?$")


def _seed_for(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x00".join(parts).encode("utf-8")).digest()[:8], "big")


def _mock_value(schema: dict[str, Any], rng: random.Random, key: str, arguments: dict[str, Any], depth: int = 0) -> Any:
    """A plausible value for ``schema``; a field named like an argument echoes it, ids look like ids."""
    if key in arguments and (not schema.get("type") or _fits(arguments[key], schema)):
        return copy.deepcopy(arguments[key])
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        if depth > 6:
            return {}
        return {k: _mock_value(s, rng, k, arguments, depth + 1) for k, s in schema.get("properties", {}).items()}
    if kind == "array":
        if depth > 6:
            return []
        n = rng.randint(schema.get("minItems", 1), max(schema.get("minItems", 1), min(schema.get("maxItems", 3), 3)))
        item_key = key[:-1] if key.endswith("s") else key
        return [_mock_value(schema.get("items", {}), rng, item_key, arguments, depth + 1) for _ in range(n)]
    if kind == "integer":
        return rng.randint(int(schema.get("minimum", 0)), int(schema.get("maximum", 100)))
    if kind == "number":
        return round(rng.uniform(float(schema.get("minimum", 0)), float(schema.get("maximum", 100))), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    token = f"{rng.getrandbits(32):08x}"
    fmt, lowered = schema.get("format", ""), key.lower()
    if fmt == "date-time":
        return f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
    if fmt == "date" or lowered.endswith("date"):
        return f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if fmt == "email" or "email" in lowered:
        return f"user{token[:4]}@example.com"
    if fmt == "uri" or lowered.endswith("url"):
        return f"https://example.com/{token}"
    if _ID_KEY.search(lowered):
        prefix = re.sub(r"_?ids?$", "", lowered) or "id"
        return f"{prefix}-{token[:6]}"
    return f"{key or 'value'}-{token[:6]}"


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    probe = ToolSpec("probe", "", {"type": "object", "properties": {"v": schema}})
    return check_arguments(probe, {"v": value}) is None


class _Answers(ClassKnowledge):
    """A JSON tool environment's state is what its tools answered: the general evidence reads the answers,
    newest first."""

    def state_view(self, instance: object) -> dict[str, Any]:
        assert isinstance(instance, JsonToolEnvironment)
        return {"answers": [e["value"] for e in reversed(instance._log) if "value" in e]}


_ANSWERS = _Answers()


class JsonToolEnvironment(KnowledgeHooks):
    """Tools from JSON specs; each call is validated, then answered from a recording or a seeded mock.

    The answer depends only on (tool, arguments with defaults, seed), so a run replays exactly. The state is the
    log of executed calls plus every id-like field the answers handed out.
    """

    def __init__(self, name: str, specs: Iterable[ToolSpec], replay: ReplayTable | None = None, seed: int = 0) -> None:
        self.name = name
        self._specs = {s.name: s for s in specs}
        self._replay = replay or {}
        self.seed = seed
        self._log: list[dict[str, Any]] = []
        self._ids: dict[str, list[Any]] = {}
        self._frozen: tuple[bytes, Any] | None = None  # the serialised state while no call has changed it

    def tools(self) -> list[ToolSpec]:
        return list(self._specs.values())

    def spec(self, name: str) -> ToolSpec | None:
        return self._specs.get(name)

    def execute(self, call: ToolCall) -> CallResult:
        spec, rejected = check_call(self._specs, call, self.name)
        if rejected is not None or spec is None:
            return rejected or CallResult(call, error=f"unknown tool '{call.name}'")
        arguments = copy_data(_with_defaults(spec, call.arguments))
        key = _canonical(arguments)
        recorded = self._replay.get((spec.name, key)) or self._replay.get((spec.name, "*"))
        if recorded is not None:
            source, value, error = "replay", copy_data(recorded.get("response")), recorded.get("error")
        elif spec.response:
            rng = random.Random(_seed_for(spec.name, key, str(self.seed)))
            source, value, error = "mock", _mock_value(spec.response, rng, "", arguments), None
        else:
            source, value, error = "mock", {"status": "ok", **arguments}, None
        entry = {"tool": spec.name, "arguments": arguments, "source": source}
        entry.update({"error": error} if error is not None else {"value": value})
        self._frozen = None
        self._log.append(entry)
        if error is not None:
            return CallResult(call, error=error)
        self._collect_ids(value)
        return CallResult(call, value=copy_data(value))

    def _collect_ids(self, value: Any) -> None:
        keys: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    if _ID_KEY.search(k.lower()):
                        keys.add(k)
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(value)
        for k in sorted(keys):
            known = self._ids.setdefault(k, [])
            known.extend(v for v in field_values(value, k) if v not in known)

    def snapshot(self) -> tuple[bytes, Any]:
        if self._frozen is None:
            self._frozen = serialise((self._log, self._ids))
        return self._frozen

    def restore(self, snapshot: tuple[bytes, Any]) -> None:
        if snapshot is not self._frozen:
            data, loads = snapshot
            self._log, self._ids = loads(data)
            self._frozen = snapshot

    def state(self) -> dict[str, Any]:
        """What the mock backend has done: the distinct successful calls, in no particular order (a failed call
        changed nothing; the same call again, answered the same, adds nothing), and the ids its answers handed
        out."""
        data, loads = self.snapshot()
        log, ids = loads(data)
        done = {json.dumps(e, sort_keys=True, default=str): e for e in log if "error" not in e}
        return {"calls": [done[k] for k in sorted(done)], "ids": ids}

    def _knowing(self, tool: str) -> tuple[ToolSpec, ClassKnowledge, object] | None:
        spec = self._specs.get(tool)
        return None if spec is None else (spec, _ANSWERS, self)

    def copy(self) -> "JsonToolEnvironment":
        clone = copy.copy(self)
        clone._frozen = None
        clone.restore(self.snapshot())
        return clone

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {len(self._specs)} tools>"


def make_json_env(
    source: str | Path | list[Any],
    replay: str | Path | dict[str, Any] | list[Any] | None = None,
    seed: int = 0,
    name: str | None = None,
) -> JsonToolEnvironment:
    """An environment over JSON tool specs (file or list) with recorded responses from ``replay`` and a mock."""
    if name is None:
        name = Path(source).stem if isinstance(source, (str, Path)) else "json_tools"
    specs = load_json_specs(source, owner=name)
    table = load_replay(replay, specs) if replay is not None else None
    return JsonToolEnvironment(name, specs, table, seed)
