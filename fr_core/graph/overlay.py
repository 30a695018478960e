"""Manual edits to G kept in JSON overlays: edges added or removed by a person, each with a reason, who and when; the
shipped overlay first, then the user's own (in their data folder, never a tracked file)."""

from __future__ import annotations

import getpass
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import networkx as nx

from fr_core.errors import GraphError
from fr_core.graph.evidence import ManualEdge
from fr_core.graph.model import add_edge

__all__ = ["DEFAULT_OVERLAY", "default_overlay", "user_overlay_path", "load_overlay", "save_overlay", "apply_overlay",
           "edit_overlay", "merge_overlays"]

DEFAULT_OVERLAY = Path(__file__).resolve().parents[2] / "data" / "graph" / "overlay.json"


def user_overlay_path() -> Path:
    """Where a person's own graph edits go: ``$FR_GRAPH_OVERLAY``, else ``$XDG_DATA_HOME/funreason-mt/
    graph_overlay.json``, else ``~/.local/share/funreason-mt/graph_overlay.json``."""
    if os.environ.get("FR_GRAPH_OVERLAY"):
        return Path(os.environ["FR_GRAPH_OVERLAY"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "funreason-mt" / "graph_overlay.json"


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
                 hard: bool = False, author: str = "") -> dict[str, Any]:
    """A new overlay with one edge added or removed, with who and when (a later edit of the same pair replaces an
    earlier one); removing an edge this overlay added drops that addition instead."""
    if action not in ("add", "remove"):
        raise GraphError(f"overlay action must be 'add' or 'remove', not {action!r}")
    if not reason.strip():
        raise GraphError("an overlay edit needs a reason, so others can see why the edge changed")
    added = any((e["source"], e["target"]) == (source, target) for e in overlay.get("add", []))
    out = {k: [e for e in overlay.get(k, []) if (e["source"], e["target"]) != (source, target)]
           for k in ("add", "remove")}
    if action == "remove" and added:
        return out
    item: dict[str, Any] = {"source": source, "target": target, "reason": reason, "author": author or getpass.getuser(),
                            "when": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if action == "add":
        item["hard"] = hard
    out[action].append(item)
    return out


def merge_overlays(base: dict[str, Any], mine: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``mine`` on top: an edge ``mine`` adds or removes replaces ``base``'s edit of that pair."""
    pairs = {(e["source"], e["target"]) for k in ("add", "remove") for e in mine.get(k, [])}
    return {k: [e for e in base.get(k, []) if (e["source"], e["target"]) not in pairs] + list(mine.get(k, []))
            for k in ("add", "remove")}


def apply_overlay(g: nx.DiGraph, overlay: dict[str, Any] | str | Path) -> list[ManualEdge]:
    """Apply removals then additions to ``g`` in place; unknown tools are skipped (an overlay spans environments)."""
    if not isinstance(overlay, dict):
        overlay = load_overlay(overlay)
    applied: list[ManualEdge] = []
    for item in overlay.get("remove", []):
        if g.has_edge(item["source"], item["target"]):
            g.remove_edge(item["source"], item["target"])
            applied.append(ManualEdge(u=item["source"], v=item["target"], kind="manual_remove", reason=item["reason"]))
    for item in overlay.get("add", []):
        if item["source"] in g and item["target"] in g:
            hard = bool(item.get("hard", False))
            if g.has_edge(item["source"], item["target"]):
                g.remove_edge(item["source"], item["target"])
            add_edge(g, item["source"], item["target"], kind="manual", reason=item["reason"], hard=hard)
            applied.append(ManualEdge(u=item["source"], v=item["target"], reason=item["reason"]))
    return applied
