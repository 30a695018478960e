"""Draw Phase I traces: one step (legal set, rule, call, argument provenance, result, state diff) or a whole turn."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import streamlit as st

__all__ = ["RULE_LABELS", "show_diff", "sources_rows", "show_step", "steps_table", "show_value"]

RULE_LABELS = {
    "target": "Eq. 2 rule 2: target is legal → call it",
    "toward": "Eq. 2 rule 3: nearest legal tool to the target",
    "explore": "Eq. 2 rule 1: target already called → random legal tool",
    "random": "random walk baseline: uniform over legal tools",
    "retry": "retry of a failed call (fresh arguments, or as it was after a recovery)",
    "recover": "recovery: a tool seen clearing this error in probes, then the failed call again",
}


def show_value(value: Any, *, expanded: bool | None = None) -> None:
    """A tool result or state value: JSON when it is a container (open when short), text otherwise."""
    if isinstance(value, (dict, list)):
        if expanded is None:
            expanded = len(json.dumps(value, default=str)) < 800
        st.json(value, expanded=expanded)
    else:
        st.code(json.dumps(value, ensure_ascii=False, default=str), language="json")


def show_diff(diff: Iterable[dict[str, Any]]) -> None:
    """A state diff (``op``, ``path``, ``before``, ``after``) as a table, or a note that nothing changed."""
    rows = [{"op": d.get("op"), "path": d.get("path"), "before": repr(d.get("before", "")),
             "after": repr(d.get("after", ""))} for d in diff]
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.caption("State unchanged.")


def sources_rows(sources: Iterable[Any]) -> list[dict[str, Any]]:
    """Argument provenance (``ArgSource``) as table rows."""
    return [{"argument": s.name, "value": repr(s.value), "from": s.kind, "detail": s.detail,
             "from call (round, step)": "" if s.from_call is None else str(tuple(s.from_call))} for s in sources]


def show_step(step: Any) -> None:
    """Everything about one ``StepTrace``."""
    status = "✅ ok" if step.ok else ("⚠️ deliberate error" if step.deliberate_error else "❌ failed")
    st.markdown(f"**Step {step.step + 1}: `{step.tool}`** — {status} · distance to `{step.target}`: "
                f"{'—' if step.distance is None else step.distance}")
    st.markdown(f"*Rule fired:* {RULE_LABELS.get(step.rule, step.rule)}  \n*Why:* {step.reason}")
    with st.expander(f"Legal set ({len(step.legal)} tools) and tools called before", expanded=False):
        st.write({"legal": list(step.legal), "called": list(step.called)})
    st.code(f"{step.tool}(" + ", ".join(f"{k}={v!r}" for k, v in step.arguments.items()) + ")", language="python")
    if step.sources:
        st.dataframe(sources_rows(step.sources), hide_index=True, width="stretch")
    if step.deliberate_detail:
        st.caption(f"Deliberate error: {step.deliberate_detail}")
    if step.ok:
        show_value(step.value)
    else:
        st.warning(f"Result: {step.error}")
    show_diff(step.state_diff)


def steps_table(steps: Sequence[Any]) -> list[dict[str, Any]]:
    """A compact row per step, for comparing walks side by side."""
    return [{"step": s.step + 1, "rule": s.rule, "tool": s.tool, "distance": s.distance, "ok": s.ok,
             "args": ", ".join(f"{k}={v!r}" for k, v in s.arguments.items())[:120]} for s in steps]
