"""The eight BFCL v3 multi-turn classes as environments: our own instances, validated calls, no ``eval``.

Only the class modules under ``func_source_code`` and the JSON tool docs are touched; importing
``bfcl_eval``'s runner or constants would create folders and read ``.env`` files in the user's tree.
"""

from __future__ import annotations

import copy
import importlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from fr_core.envs.base import ObjectEnvironment
from fr_core.envs.bfcl.knowledge import knowledge_for
from fr_core.envs.knowledge import ClassKnowledge
from fr_core.errors import ConfigError, EnvError
from fr_core.types import ToolCall, ToolSpec  # noqa: F401  (ToolCall: doctest)

__all__ = ["BFCL_CLASSES", "BFCLClass", "bfcl_tool_specs", "make_bfcl_env", "fs_state", "bfcl_knowledge"]

_SRC = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"


@dataclass(frozen=True)
class BFCLClass:
    name: str
    module: str
    doc_file: str
    domain: str  # short human label


BFCL_CLASSES: dict[str, BFCLClass] = {
    c.name: c
    for c in [
        BFCLClass("GorillaFileSystem", "gorilla_file_system", "gorilla_file_system.json", "file system"),
        BFCLClass("MathAPI", "math_api", "math_api.json", "math"),
        BFCLClass("MessageAPI", "message_api", "message_api.json", "messaging"),
        BFCLClass("TwitterAPI", "posting_api", "posting_api.json", "posting"),
        BFCLClass("TicketAPI", "ticket_api", "ticket_api.json", "ticketing"),
        BFCLClass("TradingBot", "trading_bot", "trading_bot.json", "trading"),
        BFCLClass("TravelAPI", "travel_booking", "travel_booking.json", "travel booking"),
        BFCLClass("VehicleControlAPI", "vehicle_control", "vehicle_control.json", "vehicle control"),
    ]
}

_TYPE_MAP = {"dict": "object", "float": "number", "tuple": "array"}


def _to_json_schema(node: Any) -> Any:
    """BFCL docs say ``dict``/``float``/``tuple``/``any``; JSON schema says ``object``/``number``/``array``."""
    if isinstance(node, list):
        return [_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "type" and isinstance(value, str):
            if value == "any":
                continue
            out[key] = _TYPE_MAP.get(value, value)
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _to_json_schema(sub) for name, sub in value.items()}
        else:
            out[key] = _to_json_schema(value)
    return out


def _class_of(name: str) -> type:
    if name not in BFCL_CLASSES:
        known = ", ".join(BFCL_CLASSES)
        raise ConfigError(f"unknown BFCL class '{name}'; known classes: {known}")
    module = importlib.import_module(f"{_SRC}.{BFCL_CLASSES[name].module}")
    return getattr(module, name)


@lru_cache(maxsize=None)
def _specs_cached(name: str) -> tuple[ToolSpec, ...]:
    doc = resources.files("bfcl_eval") / "data" / "multi_turn_func_doc" / BFCL_CLASSES[name].doc_file
    specs = []
    for line in doc.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        description = entry.get("description", "")
        # Every BFCL doc repeats a class preamble before "Tool description:"; keep the tool's own words.
        if "Tool description:" in description:
            description = description.split("Tool description:", 1)[1].strip()
        params = _to_json_schema(entry.get("parameters") or {"type": "object", "properties": {}})
        params.setdefault("properties", {})
        specs.append(
            ToolSpec(
                name=entry["name"],
                description=description,
                parameters=params,
                response=_to_json_schema(entry.get("response")),
                owner=name,
            )
        )
    return tuple(specs)


def bfcl_tool_specs(name: str) -> list[ToolSpec]:
    """The tool specs of one BFCL class, from bfcl-eval's own docs (types converted to JSON schema)."""
    _class_of(name)  # validates the name
    return list(_specs_cached(name))


_FS_VIEW_BUDGET = 50_000  # nodes one state view may show


def _walk_dir(
    directory: Any, ancestors: frozenset[int] = frozenset(), budget: list[int] | None = None
) -> dict[str, Any]:
    # BFCL's cp copies a folder's contents shallowly, so folders can share children (and cp of a folder into
    # itself links it into its own tree). Show such a link as a loop, and cap the view of a shared, exploding tree.
    budget = [_FS_VIEW_BUDGET] if budget is None else budget
    ancestors = ancestors | {id(directory)}
    contents: dict[str, Any] = {}
    for name, item in directory.contents.items():
        budget[0] -= 1
        if hasattr(item, "contents"):
            if id(item) in ancestors:
                contents[name] = {"type": "directory", "contents": {}, "loop": True}
            elif budget[0] <= 0:
                contents[name] = {"type": "directory", "contents": {}, "truncated": True}
            else:
                contents[name] = {"type": "directory", "contents": _walk_dir(item, ancestors, budget)}
        else:
            contents[name] = {"type": "file", "content": item.content}
    return contents


def fs_state(fs: Any) -> dict[str, Any]:
    """GorillaFileSystem state in its own scenario format, plus the current directory path."""
    path, node = [], fs._current_dir
    while node is not None:
        path.append(node.name.strip("/"))
        node = node.parent
    return {
        "root": {fs.root.name: {"type": "directory", "contents": _walk_dir(fs.root)}},
        "cwd": "/" + "/".join(p for p in reversed(path) if p),
    }


_STATE_VIEWS = {"GorillaFileSystem": fs_state}


def bfcl_knowledge(name: str) -> ClassKnowledge:
    """What we know of one class's tools (the environment hooks' answers), for an environment built elsewhere."""
    _class_of(name)
    return knowledge_for(name, _STATE_VIEWS.get(name))


def make_bfcl_env(
    classes: list[str] | tuple[str, ...] | str,
    initial_config: dict[str, Any] | None = None,
    *,
    long_context: bool = False,
) -> ObjectEnvironment:
    """An environment of one or more BFCL classes, each loaded from ``initial_config[class]``.

    >>> env = make_bfcl_env("MathAPI")
    >>> env.execute(ToolCall("add", {"a": 1, "b": 2})).value
    {'result': 3}
    """
    if isinstance(classes, str):
        classes = [classes]
    if not classes:
        raise ConfigError("an environment needs at least one class")
    config = initial_config or {}
    unknown = set(config) - set(classes)
    if unknown:
        raise ConfigError(
            f"initial_config has states for {sorted(unknown)}, which are not among classes {list(classes)}"
        )
    instances: dict[str, object] = {}
    specs: list[ToolSpec] = []
    for name in classes:
        inst = _class_of(name)()
        if hasattr(inst, "_load_scenario"):
            try:
                inst._load_scenario(copy.deepcopy(config.get(name, {})), long_context=long_context)
            except Exception as exc:
                raise EnvError(f"{name}: could not load initial state ({type(exc).__name__}: {exc})") from exc
        instances[name] = inst
        specs.extend(_specs_cached(name))
    knowledge = {name: bfcl_knowledge(name) for name in classes}
    return ObjectEnvironment("+".join(classes), instances, specs, knowledge=knowledge)


