"""A generated trajectory in a chat view: user query, assistant CoT and calls (collapsible), tool responses, state."""

from __future__ import annotations

from typing import Any

import streamlit as st

from fr_core.types import Trajectory, TurnRecord
from workbench.components.attempt_view import calls_text, show_adv_tool
from workbench.components.trace_view import show_diff

__all__ = ["trajectory_row", "show_turn_chat", "show_trajectory"]


def trajectory_row(t: Trajectory) -> dict[str, Any]:
    """One summary row for a table of samples."""
    attempts = [len(r.outcome.attempts) for r in t.turns if r.outcome]
    return {"sample": t.sample_id, "status": t.status, "env": "+".join(t.classes), "turns": len(t.turns),
            "calls": sum(len(r.turn.steps) for r in t.turns), "attempts": sum(attempts),
            "tools": len({c.name for r in t.turns for c in r.turn.calls}), "error": t.error or ""}


def show_turn_chat(record: TurnRecord, before: dict[str, Any] | None = None) -> None:
    """One round as chat messages; ``before`` is the state before it (to show a diff), if known."""
    from fr_core.sampling import state_diff

    query = record.hard_query.text if record.hard_query else f"(no query; target {record.turn.target})"
    with st.chat_message("user"):
        st.write(query)
        if record.easy_query:
            st.caption(f"Easy form: {record.easy_query.text}")
    passing = record.outcome.passing if record.outcome else None
    with st.chat_message("assistant"):
        if record.outcome:
            n = len(record.outcome.attempts)
            st.caption(f"{'accepted' if record.outcome.accepted else 'rejected'} after {n} attempt(s)")
        if passing is not None:
            with st.expander("CoT", expanded=False):
                st.text(passing.cot or "(empty)")
        else:
            st.caption("No attempt passed: these are the sampled ground-truth calls.")
        st.code(calls_text(passing.calls if passing else record.turn.calls), language="python")
    with st.chat_message("tool", avatar="🛠️"):
        results = passing.results if passing else record.turn.results
        for res in results:
            st.text(f"{res.call.name} → {res.to_text()[:400]}")
    if record.answer:
        with st.chat_message("assistant"):
            st.write(record.answer)
    if record.adv_tool is not None:
        with st.expander("T_adv (Phase II abstraction)"):
            show_adv_tool(record.adv_tool)
    if record.state_after is not None and before is not None:
        with st.expander("State diff of this round"):
            show_diff(state_diff(before, record.state_after))


def show_trajectory(t: Trajectory) -> None:
    """All rounds of a trajectory, each with the state diff from the previous round's state."""
    st.markdown(f"**{t.sample_id}** · {t.status} · {' + '.join(t.classes)}")
    if t.error:
        st.warning(t.error)
    before = None
    for record in t.turns:
        st.markdown(f"#### Round {record.round + 1}")
        show_turn_chat(record, before)
        before = record.state_after
