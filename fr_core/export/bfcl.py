"""BFCL v3 multi-turn entries (question turns, initial_config, involved_classes, path) and their ground truth
call strings, so generated data can be scored by BFCL's own checker; variants become BFCL's harder categories."""

from __future__ import annotations

from typing import Any

from fr_core.export.conversation import tools_for
from fr_core.pipeline.variants import variant_of
from fr_core.sampling.flow import turn_flow
from fr_core.types import Trajectory

__all__ = ["bfcl_category", "to_bfcl"]


def bfcl_category(trajectory: Trajectory) -> str:
    """``base``, or the BFCL category of the sample's variant (``miss_func``, ``miss_param``, ``long_context``)."""
    variant = variant_of(trajectory)
    return variant.kind if variant is not None else "base"


def to_bfcl(trajectory: Trajectory, number: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The question entry ``multi_turn_<category>_<number>`` and its possible-answer entry (``ground_truth``: per
    turn, the call strings) of a trajectory whose every round has a hard query; ``None`` otherwise.

    The ground truth of a round is the sampled turn's calls that executed (``turn_flow``): the calls that took
    the environment to the state recorded in ``state_after``. A miss-func variant withholds its tool in its round
    (ground truth ``[]``) and adds it in an extra, empty turn (``missed_function``) holding the calls; a
    miss-param variant's round leaves the value out (ground truth ``[]``) and the user gives it in an extra turn.
    """
    if not trajectory.turns or any(r.hard_query is None for r in trajectory.turns):
        return None
    owner = {t.name: t.owner for t in tools_for(trajectory.classes)}
    flows = [turn_flow(r.turn, r.round) for r in trajectory.turns]
    questions: list[list[dict[str, str]]] = [[{"role": "user", "content": r.hard_query.text}]
                                             for r in trajectory.turns if r.hard_query is not None]
    truth = [[step.call.to_python() for step in flow] for flow in flows]
    variant, category = variant_of(trajectory), bfcl_category(trajectory)
    entry_id = f"multi_turn_{category}_{number}"
    extra: dict[str, Any] = {}
    if variant is not None and variant.kind in ("miss_func", "miss_param"):
        r = variant.round
        if variant.kind == "miss_func":
            questions.insert(r + 1, [])
            extra["missed_function"] = {str(r + 1): list(variant.tools)}
        else:
            questions[r] = [{"role": "user", "content": variant.query}]
            questions.insert(r + 1, [{"role": "user", "content": variant.reply}])
        truth.insert(r + 1, truth[r])
        truth[r] = []
    question = {
        "id": entry_id,
        "question": questions,
        "initial_config": trajectory.initial_config,
        "path": [f"{owner.get(step.call.name, '')}.{step.call.name}".lstrip(".") for flow in flows for step in flow],
        "involved_classes": list(trajectory.classes),
        **extra,
        "fr_sample_id": trajectory.sample_id,
    }
    return question, {"id": entry_id, "ground_truth": truth}
