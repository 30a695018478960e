"""Pick the turn a page works on: the one sampled on the Sampler page, or a new one from a few settings."""

from __future__ import annotations

from typing import Any

import networkx as nx
import streamlit as st

from fr_core.graph import distances_to, legal_tools
from fr_core.sampling import sample_turn
from fr_core.types import Turn
from workbench.components.common import class_picker, graph_for
from workbench.components.env_cache import fresh_env

__all__ = ["SAMPLER_RESULT", "pick_turn"]

SAMPLER_RESULT = "sampler.result"  # ((classes, seed, target, calls, error share, size), StepResult[Turn])


def _default_target(g: nx.DiGraph, legal: list[str], tools: list[str]) -> str:
    walkable = [t for t in tools if t not in legal and any(x in legal for x in distances_to(g, t))]
    return (walkable or tools)[0]


@st.cache_data(show_spinner=False, max_entries=256)
def _sampled(classes: tuple[str, ...], seed: int, target: str, calls: int, graph_id: int) -> Turn:
    # Deterministic given its inputs; the graph's identity changes when an overlay edit rebuilds it.
    return sample_turn(fresh_env(classes, seed), graph_for(classes), target, calls, seed=seed).output


def pick_turn(prefix: str, container: Any = st.sidebar) -> tuple[tuple[str, ...], int, str, Turn, nx.DiGraph]:
    """Sidebar controls; returns ``(classes, seed, size, turn, graph)`` for a round-0 turn on a fresh env."""
    held = st.session_state.get(SAMPLER_RESULT)
    sources = ["Sample here"] + (["Sampler page's turn"] if held else [])
    source = container.radio("Turn", sources, key=f"{prefix}.turn_source", horizontal=True)
    if source != "Sample here" and held:
        (classes, seed, _target, _calls, _err, size), result = held
        return classes, seed, size, result.output, graph_for(classes)
    classes = class_picker(f"{prefix}.classes", container=container)
    seed = int(container.number_input("Seed", 0, 10**6, 0, key=f"{prefix}.seed"))
    calls = int(container.number_input("Calls per turn (M)", 1, 12, 4, key=f"{prefix}.calls"))
    g = graph_for(classes)
    tools = sorted(g.nodes)
    legal = legal_tools(g, set(), fresh_env(classes, seed))
    if st.session_state.get(f"{prefix}.target") not in tools:
        st.session_state[f"{prefix}.target"] = _default_target(g, legal, tools)
    target = container.selectbox("Target tool T_a", tools, key=f"{prefix}.target")
    return classes, seed, "medium", _sampled(classes, seed, target, calls, id(g)), g
