"""Data-flow evidence from the specs alone: an output field of ``u`` whose name (or, inside a class, whose entity
words in a parameter's name and description) matches a parameter of ``v``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from fr_core.graph.evidence import FlowEdge
from fr_core.types import ToolSpec

__all__ = ["GENERIC", "VERBS", "name_flow_edges", "tokens"]

# Words that say nothing about *which* entity a field carries.
GENERIC = frozenset(
    "status result success error message value data info information detail list response content "
    "type text count number amount total new current the a of to for and or in is id name".split()
)


# Verbs in tool names: they say what a tool does, not what it is about.
VERBS = frozenset("get set list add remove delete create update find check display view show search compute "
                  "estimate retrieve fetch post send make fill press release start stop activate adjust".split())

_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")


@lru_cache(maxsize=65536)
def tokens(text: str) -> frozenset[str]:
    """Lower-case word stems of an identifier or sentence: ``receiverId`` → {receiver, id}."""
    out = set()
    for t in _SPLIT.split(text or ""):
        t = t.lower()
        if not t:
            continue
        if len(t) > 3 and t.endswith("s") and not t.endswith(("ss", "us", "is")):
            t = t[:-1]
        out.add(t)
    return frozenset(out)


def _fields(schema: dict[str, Any] | None, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(path, name, json type, description) of every response field, one level into arrays/objects."""
    if not isinstance(schema, dict):
        return []
    out = []
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}{name}"
        typ = sub.get("type", "")
        if typ == "array" and name.endswith("_list"):
            name = name[: -len("_list")]  # ``travel_cost_list`` carries travel costs
        if typ == "array" and isinstance(sub.get("items"), dict):
            item = sub["items"]
            if item.get("properties"):
                out.extend(_fields(item, path + "[]."))
                continue
            typ = item.get("type", "string")
        elif typ == "object" and sub.get("properties") and not prefix:
            out.extend(_fields(sub, path + "."))
            continue
        out.append((path, name, typ, sub.get("description", "")))
    return out


def _types_compatible(out_type: Any, in_schema: dict[str, Any]) -> bool:
    want = in_schema.get("type", "")
    if not out_type or not want or not isinstance(out_type, str):
        return True
    if want == "array":
        want = (in_schema.get("items") or {}).get("type", out_type)
    wants = set(want) if isinstance(want, list) else {want}
    if out_type in wants or ({out_type} | wants) <= {"integer", "number", "null"}:
        return True
    return False


def name_flow_edges(specs: Iterable[ToolSpec]) -> list[FlowEdge]:
    """Output-field → parameter matches from the specs alone (fast: inverted indexes, no pairwise scan).

    A match needs the same normalised name (``booking_id`` → ``booking_id``), or, inside one class, the
    field's entity words in the parameter's name and description (``user_id`` → ``receiver_id``: "User ID
    of the receiver"; ``gallon`` → ``fuelAmount``: "amount of fuel in gallons").
    """
    specs = list(specs)
    by_name: dict[frozenset[str], list[tuple[ToolSpec, str, dict[str, Any]]]] = {}
    by_owner: dict[str, list[tuple[ToolSpec, str, dict[str, Any], frozenset[str]]]] = {}
    for spec in specs:
        for pname, pschema in spec.properties.items():
            ptoks = tokens(pname)
            by_name.setdefault(ptoks, []).append((spec, pname, pschema))
            words = ptoks | tokens(str(pschema.get("description", "")))
            by_owner.setdefault(spec.owner, []).append((spec, pname, pschema, words))
    edges: list[FlowEdge] = []
    for u in specs:
        for path, fname, ftype, _ in _fields(u.response):
            ftoks = tokens(fname)
            entity = ftoks - GENERIC
            if not entity:
                continue
            matches = [(v, p, s, "same name") for v, p, s in by_name.get(ftoks, [])]
            matches += [(v, p, s, f"'{fname}' matches '{p}' by its description")
                        for v, p, s, words in by_owner.get(u.owner, [])
                        if entity <= words]
            seen = set()
            for v, pname, pschema, how in matches:
                if v.name == u.name or (v.name, pname) in seen or not _types_compatible(ftype, pschema):
                    continue
                seen.add((v.name, pname))
                edges.append(FlowEdge(u=u.name, v=v.name, field=path, param=pname,
                                      reason=f"{u.name} returns {path}, which feeds {v.name}({pname}=…): {how}"))
    return edges
