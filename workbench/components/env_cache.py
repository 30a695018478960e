"""Environments for pages: the seeded initial state is cached; each run gets its own fresh environment."""

from __future__ import annotations

import copy
from typing import Any

import streamlit as st

from fr_core.envs import make_env
from fr_core.envs.base import Environment
from fr_core.envs.bfcl.states import generate_initial_config

__all__ = ["initial_config", "fresh_env"]


@st.cache_data(show_spinner=False)
def initial_config(classes: tuple[str, ...], seed: int, size: str = "medium") -> dict[str, Any]:
    """``generate_initial_config(classes, seed, size)``, cached (it is deterministic)."""
    return generate_initial_config(list(classes), seed, size)


def fresh_env(classes: tuple[str, ...], seed: int, size: str = "medium") -> Environment:
    """A new environment on the seeded state; never shared, since sampling and validation mutate it."""
    return make_env(list(classes), initial_config=copy.deepcopy(initial_config(classes, seed, size)))
