"""The four FunReason-MT roles (A_T, A_Q, A_R, A_C), each LLM-backed or an offline heuristic, and ``make_agents``."""

from __future__ import annotations

from typing import Any

from fr_core.agents.base import (
    OFFLINE_LABEL,
    AgentSet,
    CritiquingAgent,
    Move,
    ReasoningSession,
    QueryingAgent,
    ReasoningAgent,
    ReasonTask,
    ToolingAgent,
    render,
)
from fr_core.agents.critiquing import LLMCritiquing, OfflineCritiquing, find_divergences
from fr_core.agents.querying import LLMQuerying, OfflineQuerying
from fr_core.agents.reasoning import FEEDBACK_PREFIX, LLMReasoning, OfflineReasoning, read_feedback
from fr_core.agents.tooling import LLMTooling, OfflineTooling, plan_abstraction
from fr_core.llm import LLMClient

__all__ = [
    "OFFLINE_LABEL",
    "FEEDBACK_PREFIX",
    "AgentSet",
    "ToolingAgent",
    "QueryingAgent",
    "ReasoningAgent",
    "CritiquingAgent",
    "ReasonTask",
    "Move",
    "ReasoningSession",
    "OfflineTooling",
    "OfflineQuerying",
    "OfflineReasoning",
    "OfflineCritiquing",
    "LLMTooling",
    "LLMQuerying",
    "LLMReasoning",
    "LLMCritiquing",
    "find_divergences",
    "plan_abstraction",
    "read_feedback",
    "render",
    "make_agents",
]


def make_agents(kind: str = "offline", *, client: LLMClient | None = None, mistake_rate: float = 0.2,
                **client_options: Any) -> AgentSet:
    """The four roles: ``"offline"`` (heuristic, no key) or an LLM profile name / ``"provider:model"``.

    ``client`` replaces the profile's client (e.g. a ``ScriptedClient``); ``client_options`` go to
    :func:`fr_core.llm.build_client` (``cache=...``, ``accounting=...``). ``mistake_rate`` tunes the offline reasoner.
    """
    if kind == "offline" and client is None:
        return AgentSet(OfflineTooling(), OfflineQuerying(), OfflineReasoning(mistake_rate), OfflineCritiquing(),
                        kind="offline", model=OFFLINE_LABEL, extra={"mistake_rate": mistake_rate})
    if client is None:
        from fr_core.llm import build_client

        client = build_client(kind, **client_options)
    model = getattr(getattr(client, "profile", None), "model", "") or getattr(client, "model", "") or kind
    return AgentSet(LLMTooling(client, model), LLMQuerying(client, model), LLMReasoning(client, model),
                    LLMCritiquing(client, model), kind="llm", model=model, extra={"profile": kind})
