"""Manual edits to G kept in a JSON overlay: edges added or removed by a person, each with a reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx

from fr_core.errors import GraphError
from fr_core.graph.model import add_edge

__all__ = ["DEFAULT_OVERLAY", "default_overlay", "load_overlay", "save_overlay", "apply_overlay", "edit_overlay"]

DEFAULT_OVERLAY = Path(__file__).resolve().parents[2] / "data" / "graph" / "overlay.json"


def _empty() -> dict[str, Any]:
    return {"add": [], "remove": []}


def load_overlay(path: str | Path) -> dict[str, Any]:
    """Read and check an overlay file: ``{"add": [{source, target, reason, hard?}], "remove": [...]}``."""
    path = Path(path)
    if not path.exists():
        return _empty()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise GraphError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(data, dict):
        raise GraphError(f"{path}: an overlay is an object with 'add' and 'remove' lists")
    for key in ("add", "remove"):
        items = data.setdefault(key, [])
        if not isinstance(items, list):
            raise GraphError(f"{path}: '{key}' must be a list")
        for i, item in enumerate(items):
            for field in ("source", "target", "reason"):
                if not isinstance(item, dict) or not isinstance(item.get(field), str) or not item.get(field):
                    raise GraphError(f"{path}: {key}[{i}] needs a non-empty string '{field}'")
    return data


def default_overlay() -> dict[str, Any]:
    return load_overlay(DEFAULT_OVERLAY)


def save_overlay(overlay: dict[str, Any], path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(overlay, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def edit_overlay(overlay: dict[str, Any], action: str, source: str, target: str, reason: str,
                 hard: bool = False) -> dict[str, Any]:
    """A new overlay with one edge added or removed (a later edit of the same pair replaces an earlier one)."""
    if action not in ("add", "remove"):
        raise GraphError(f"overlay action must be 'add' or 'remove', not {action!r}")
    if not reason.strip():
        raise GraphError("an overlay edit needs a reason, so others can see why the edge changed")
    out = {k: [e for e in overlay.get(k, []) if (e["source"], e["target"]) != (source, target)]
           for k in ("add", "remove")}
    item: dict[str, Any] = {"source": source, "target": target, "reason": reason}
    if action == "add":
        item["hard"] = hard
    out[action].append(item)
    return out


def apply_overlay(g: nx.DiGraph, overlay: dict[str, Any] | str | Path) -> list[dict[str, Any]]:
    """Apply removals then additions to ``g`` in place; unknown tools are skipped (an overlay spans environments)."""
    if not isinstance(overlay, dict):
        overlay = load_overlay(overlay)
    applied = []
    for item in overlay.get("remove", []):
        if g.has_edge(item["source"], item["target"]):
            g.remove_edge(item["source"], item["target"])
            applied.append(dict(u=item["source"], v=item["target"], kind="manual_remove", reason=item["reason"]))
    for item in overlay.get("add", []):
        if item["source"] in g and item["target"] in g:
            hard = bool(item.get("hard", False))
            if g.has_edge(item["source"], item["target"]):
                g.remove_edge(item["source"], item["target"])
            add_edge(g, item["source"], item["target"], kind="manual", reason=item["reason"], hard=hard)
            applied.append(dict(u=item["source"], v=item["target"], kind="manual", reason=item["reason"]))
    return applied
