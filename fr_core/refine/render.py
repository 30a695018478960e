"""The final training turns in FunReason format: ``<think>…</think><tool_call>[…]</tool_call>``, then
``<tool_response>…</tool_response>``, then ``<answer>…</answer>``."""

from __future__ import annotations

import json
from typing import Any

from fr_core.types import Trajectory, TurnRecord

__all__ = ["render_turn", "render_funreason"]


def render_turn(record: TurnRecord) -> list[dict[str, str]]:
    """One accepted round as chat messages (user, assistant call, tool response, assistant answer); [] if none."""
    attempt = record.outcome.passing if record.outcome else None
    if attempt is None or record.hard_query is None:
        return []
    calls = ", ".join(c.to_python() for c in attempt.calls)
    responses = json.dumps([json.loads(r.to_text()) for r in attempt.results], ensure_ascii=False)
    return [
        {"role": "user", "content": record.hard_query.text},
        {"role": "assistant", "content": f"<think>{attempt.cot}</think><tool_call>[{calls}]</tool_call>"},
        {"role": "tool", "content": f"<tool_response>{responses}</tool_response>"},
        {"role": "assistant", "content": f"<answer>{record.answer}</answer>"},
    ]


def render_funreason(trajectory: Trajectory) -> list[dict[str, Any]]:
    """All accepted rounds of a trajectory as one FunReason conversation."""
    return [m for record in trajectory.turns for m in render_turn(record)]
