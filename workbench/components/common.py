"""Shared page plumbing: session keys used across pages, error display, class picker, cached graphs and envs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx
import streamlit as st

from fr_core.envs import BFCL_CLASSES
from fr_core.errors import FrError
from fr_core.graph import bfcl_graph, load_overlay, merge_overlays, user_overlay_path
from fr_core.graph.overlay import default_overlay

__all__ = [
    "TRACE_PATH",
    "OFFLINE_LABEL",
    "overlay_path",
    "show_errors",
    "class_picker",
    "cached_graph",
    "graph_for",
    "cached_overlay",
    "clear_graph_caches",
    "cached_check",
]

# Written by the sampler page, read by the graph page: {"classes": (...), "tools": [...], "target": str}.
TRACE_PATH = "shared.trace_path"
OFFLINE_LABEL = "offline heuristic (no key, no network)"


def overlay_path() -> Path:
    """The user's own overlay, the one the app writes (see :func:`fr_core.graph.user_overlay_path`)."""
    return user_overlay_path()


@contextmanager
def show_errors(where: str = "") -> Iterator[None]:
    """Show an ``FrError`` raised inside the block as ``st.error`` instead of a traceback."""
    try:
        yield
    except FrError as exc:
        st.error(f"{where}: {exc}" if where else str(exc))


def class_picker(key: str, *, default: tuple[str, ...] = (), label: str = "Environment classes",
                 container: Any = st) -> tuple[str, ...]:
    """A multiselect of the BFCL classes; returns the chosen names in BFCL order (never empty: ``default``, or
    else the first class)."""
    default = default or tuple(BFCL_CLASSES)[:1]
    if key not in st.session_state:
        st.session_state[key] = list(default)
    chosen = container.multiselect(label, list(BFCL_CLASSES), key=key,
                                   format_func=lambda c: f"{c} ({BFCL_CLASSES[c].domain})")
    if not chosen:
        container.info("No class chosen: using " + ", ".join(default))
        chosen = list(default)
    return tuple(c for c in BFCL_CLASSES if c in chosen)


@st.cache_data(show_spinner=False)
def cached_overlay(path: str, mtime: float) -> dict[str, Any]:
    """The shipped overlay with the user's file on top (keyed by its modification time, so a save is seen at
    once)."""
    return merge_overlays(default_overlay(), load_overlay(path))


@st.cache_resource(show_spinner="Building the API graph…")
def cached_graph(classes: tuple[str, ...], overlay_file: str, mtime: float) -> nx.DiGraph:
    """G for ``classes`` with the overlay applied; shared across sessions, never mutated by pages."""
    return bfcl_graph(classes, overlay=cached_overlay(overlay_file, mtime)).output


def graph_for(classes: tuple[str, ...]) -> nx.DiGraph:
    """The cached G for ``classes`` under the current overlay file."""
    path = overlay_path()
    mtime = path.stat().st_mtime if path.exists() else 0.0
    return cached_graph(classes, str(path), mtime)


def clear_graph_caches() -> None:
    """Forget cached graphs and overlays (after an overlay edit)."""
    cached_graph.clear()
    cached_overlay.clear()



@st.cache_data(show_spinner="Replaying BFCL ground truth against G (about a minute for a whole category)…")
def cached_check(category: str, limit: int | None) -> dict[str, Any]:
    """:func:`fr_core.graph.check.check_graph` figures as plain data, cached per category and limit."""
    from fr_core.graph.check import check_graph

    result = check_graph(category, limit=limit)
    check = result.output
    return {**check.as_dict(), "entries": (result.trace or {}).get("entries"),
            "illegal_examples": list(check.illegal_examples),
            "missed_pairs": sorted(check.missed_pairs.items(), key=lambda kv: -kv[1])[:20]}
