"""BFCL v3 multi-turn entries (question turns, initial_config, involved_classes, path) and their ground truth
call strings, so generated data can be scored by BFCL's own checker."""

from __future__ import annotations

from typing import Any

from fr_core.export.conversation import tools_for
from fr_core.synthesis.flow import turn_flow
from fr_core.types import Trajectory

__all__ = ["to_bfcl"]


def to_bfcl(trajectory: Trajectory, entry_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The question entry and the possible-answer entry (``ground_truth``: per turn, the call strings) of a
    trajectory whose every round has a hard query; ``None`` otherwise.

    The ground truth of a round is the sampled turn's calls that executed (``turn_flow``): the calls that took
    the environment to the state recorded in ``state_after``.
    """
    if not trajectory.turns or any(r.hard_query is None for r in trajectory.turns):
        return None
    owner = {t.name: t.owner for t in tools_for(trajectory.classes)}
    truth = [[step.call.to_python() for step in turn_flow(r.turn, r.round)] for r in trajectory.turns]
    path = [f"{owner.get(step.call.name, '')}.{step.call.name}".lstrip(".")
            for r in trajectory.turns for step in turn_flow(r.turn, r.round)]
    question = {
        "id": entry_id,
        "question": [[{"role": "user", "content": r.hard_query.text}] for r in trajectory.turns],
        "initial_config": trajectory.initial_config,
        "path": path,
        "involved_classes": list(trajectory.classes),
        "fr_sample_id": trajectory.sample_id,
    }
    return question, {"id": entry_id, "ground_truth": truth}
