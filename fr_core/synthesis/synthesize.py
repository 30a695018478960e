"""Phase II steps: ``abstract_tool`` (A_T), ``write_query`` / ``write_easy_query`` (A_Q) and the hard-query leak
check."""

from __future__ import annotations

import re
from collections.abc import Iterable

import networkx as nx

from fr_core.agents.base import QueryingAgent, QueryTrace, ToolingAgent, ToolingTrace
from fr_core.types import AdvancedTool, LeakCheck, Query, StepResult, ToolSpec, Turn, TurnRecord

__all__ = ["abstract_tool", "write_query", "write_easy_query", "check_leak"]


def abstract_tool(turn: Turn, agent: ToolingAgent, tools: Iterable[ToolSpec], graph: nx.DiGraph,
                  round_index: int = 0, earlier: Iterable[TurnRecord] = (), known: frozenset[str] | None = None
                  ) -> StepResult[AdvancedTool, ToolingTrace]:
    """``T_adv = A_T(Turn_i)``: one high-level tool for the turn; the inner calls, hidden values and the grounding
    table (how a model can know each argument, given the ``earlier`` accepted rounds and ``known``, what the state
    the turn started from holds: a value a call of the turn made is never the user's to say) come with it."""
    return agent.abstract(turn, tuple(tools), graph, round_index, tuple(earlier), known)


def write_query(adv_tool: AdvancedTool, agent: QueryingAgent, noise: float, seed: int, *,
                tools: Iterable[ToolSpec], history: tuple[dict, ...] = ()) -> StepResult[Query, QueryTrace]:
    """``Q_hard = A_Q(T_adv, ε)``: a request needing ``T_adv`` implicitly; ``noise`` is ``ε`` in [0, 1]."""
    return agent.write(adv_tool, tuple(tools), hard=True, noise=noise, seed=seed, history=history)


def write_easy_query(adv_tool: AdvancedTool, agent: QueryingAgent, seed: int, *,
                     tools: Iterable[ToolSpec]) -> StepResult[Query, QueryTrace]:
    """The explicit step-by-step request for the same turn, kept for comparison."""
    return agent.write(adv_tool, tuple(tools), hard=False, noise=0.0, seed=seed)


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def check_leak(query: Query, tools: Iterable[ToolSpec], adv_tool: AdvancedTool) -> LeakCheck:
    """Whether a hard query names a basic tool or shows an intermediate value (whole words, case-insensitive).

    Tool names are looked for outside the quoted values the user supplies (a message may well contain "find");
    intermediate values are looked for everywhere.
    """
    prose = _QUOTED.sub(" ", query.text).lower()
    leaks = [f"tool:{t.name}" for t in tools
             if re.search(rf"(?<![\w]){re.escape(t.name.lower())}(?![\w])", prose)]
    text = query.text
    leaks += [f"value:{v}" for v in adv_tool.hidden_values
              if re.search(rf"(?<![\w.]){re.escape(v)}(?![\w]|\.\d)", text)]
    return LeakCheck(not leaks, tuple(leaks))
