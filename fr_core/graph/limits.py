"""Time limits for execution probes: a tool that never returns stops the graph build with an error naming it, and
probes that run past their whole budget stop early, keeping the edges found so far."""

from __future__ import annotations

import threading
import time
from typing import Any

from fr_core.envs.base import Environment
from fr_core.errors import GraphError
from fr_core.types import CallResult, ToolCall

__all__ = ["PROBE_CALL_TIMEOUT_S", "PROBE_TIMEOUT_S", "ProbeBudgetSpent", "TimedEnvironment"]

#: Seconds one probe call may take before the tool is called hanging.
PROBE_CALL_TIMEOUT_S = 10.0
#: Seconds all the probes of one graph build may take; past it probing stops and the graph keeps what it found.
PROBE_TIMEOUT_S = 60.0


class ProbeBudgetSpent(Exception):
    """Raised inside a probe when the whole probe budget is spent (``build_graph`` stops probing on it)."""


class TimedEnvironment:
    """``env`` seen by the probes: each call runs in a helper thread and must return within ``call_s`` seconds
    (else a ``GraphError`` naming the tool; the stuck thread is abandoned), and no call starts after ``until``
    (a ``time.monotonic()`` value: ``ProbeBudgetSpent``). Copies share the budget."""

    def __init__(self, env: Environment, call_s: float, until: float) -> None:
        self._env, self._call_s, self._until = env, call_s, until

    def execute(self, call: ToolCall) -> CallResult:
        if time.monotonic() >= self._until:
            raise ProbeBudgetSpent
        box: list[Any] = []
        worker = threading.Thread(target=lambda: box.append(self._env.execute(call)), name="fr-probe", daemon=True)
        worker.start()
        worker.join(self._call_s)
        if worker.is_alive():
            raise GraphError(f"probing the graph: tool {call.name!r} did not return within {self._call_s:g} s "
                             f"(called with {call.arguments}); fix the tool, or raise the limit "
                             "(probe_call_timeout_s of build_graph, generate.probe_call_timeout_s of a run config)")
        if not box:  # the call raised KeyboardInterrupt or the like inside the helper thread
            raise GraphError(f"probing the graph: tool {call.name!r} ended its thread without a result")
        return box[0]

    def copy(self) -> TimedEnvironment:
        return TimedEnvironment(self._env.copy(), self._call_s, self._until)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)
