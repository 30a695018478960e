"""Sidebar choice of the backend for the LLM roles: the offline heuristic agents (default) or a usable profile.

Keys are read from the environment or ``st.secrets`` only, handed to the client, and never shown or stored.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from fr_core.agents import make_agents
from fr_core.errors import ConfigError
from fr_core.llm import build_client, get_profile, load_profiles, resolve_api_key
from workbench.components.common import OFFLINE_LABEL

__all__ = ["OFFLINE", "ROLE_BACKEND", "key_env", "usable_profiles", "role_backend_selector", "client_for",
           "agents_for"]

OFFLINE = "offline"
ROLE_BACKEND = "shared.role_backend"


def key_env() -> Mapping[str, str]:
    """``os.environ`` plus string entries of ``st.secrets`` (a secrets file is optional)."""
    env = dict(os.environ)
    try:
        env.update({k: v for k, v in st.secrets.items() if isinstance(v, str)})
    except Exception:  # no secrets.toml: Streamlit raises its own error type; environment only then
        pass
    return env


def usable_profiles() -> dict[str, str]:
    """Profile name → label for every non-offline profile whose key is present (or that needs none)."""
    try:
        profiles = load_profiles()
    except ConfigError:
        return {}
    env = key_env()
    out = {}
    for name, prof in profiles.items():
        if prof.provider == OFFLINE:
            continue
        try:
            needs_key = resolve_api_key(prof, env) is not None
        except ConfigError:
            continue
        where = "key from environment" if needs_key else f"local server {prof.base_url}"
        out[name] = f"{name}: {prof.provider} {prof.model} ({where})"
    return out


def role_backend_selector(container: Any = st.sidebar) -> str:
    """A sidebar select box of role backends; returns ``"offline"`` or a profile name."""
    options = {OFFLINE: f"Offline: {OFFLINE_LABEL}", **usable_profiles()}
    if st.session_state.get(ROLE_BACKEND) not in options:
        st.session_state[ROLE_BACKEND] = OFFLINE
    choice = container.selectbox("Role backend (A_T, A_Q, A_R, A_C)", list(options), key=ROLE_BACKEND,
                                 format_func=options.get)
    if len(options) == 1:
        container.caption("Set OPENAI_API_KEY or ANTHROPIC_API_KEY (environment or st.secrets) to offer LLM profiles.")
    return choice


@st.cache_resource(show_spinner=False)
def _client(name: str, profile: str, env_names: tuple[str, ...]) -> Any:
    # Keyed by the profile's settings and the names of the variables present, never by a key's value.
    return build_client(name, env=key_env())


def client_for(name: str) -> Any:
    """The managed LLM client of a profile (``None`` for the offline agents)."""
    if name == OFFLINE:
        return None
    return _client(name, repr(get_profile(name)), tuple(sorted(key_env())))


def agents_for(backend: str, mistake_rate: float = 0.2) -> Any:
    """The four roles for a backend choice: the offline heuristic agents, or LLM ones on the profile's client."""
    if backend == OFFLINE:
        return make_agents(OFFLINE, mistake_rate=mistake_rate)
    return make_agents(backend, client=client_for(backend))
