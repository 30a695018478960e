"""The final training turns in FunReason format: per step ``<think>…</think><tool_call>[…]</tool_call>`` then
``<tool_response>…</tool_response>``, and the turn's ``<answer>…</answer>``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fr_core.types import Step, Trajectory, TurnRecord

__all__ = ["render_steps", "render_turn", "render_funreason"]


def render_steps(steps: Sequence[Step], reasoning: Sequence[str], answer: str, *,
                 cot: bool = True) -> list[dict[str, str]]:
    """Steps as FunReason assistant / tool messages (each step's ``reasoning`` in ``<think>``), then the answer."""
    out = []
    for text, step in zip(reasoning, steps):
        think = f"<think>{text}</think>" if cot else ""
        calls = ", ".join(c.to_python() for c in step.calls)
        responses = json.dumps([json.loads(r.to_text()) for r in step.results], ensure_ascii=False)
        out += [{"role": "assistant", "content": f"{think}<tool_call>[{calls}]</tool_call>"},
                {"role": "tool", "content": f"<tool_response>{responses}</tool_response>"}]
    out.append({"role": "assistant", "content": f"<answer>{answer}</answer>"})
    return out


def render_turn(record: TurnRecord) -> list[dict[str, str]]:
    """One accepted round as chat messages (user, then each step's call and response, then the answer); [] if none."""
    attempt = record.outcome.passing if record.outcome else None
    if attempt is None or record.hard_query is None:
        return []
    return [{"role": "user", "content": record.hard_query.text},
            *render_steps(attempt.steps, attempt.reasoning, record.answer)]


def render_funreason(trajectory: Trajectory) -> list[dict[str, Any]]:
    """All accepted rounds of a trajectory as one FunReason conversation."""
    return [m for record in trajectory.turns for m in render_turn(record)]
