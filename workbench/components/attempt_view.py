"""Draw Phase II/III results: T_adv and the queries, one refine attempt against the ground truth, LLM call events."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import streamlit as st

from fr_core.review import calls_text
from fr_core.types import Attempt, CallResult, Event, LLMCallEvent, RoleEvent, ToolCall
from workbench.components.trace_view import show_value

__all__ = ["calls_text", "show_messages", "compare_rows", "missing_calls", "step_rows", "show_attempt",
           "llm_event_rows", "grounding_rows",
           "show_llm_events",
           "show_adv_tool"]


def show_messages(messages: Sequence[dict[str, Any]]) -> None:
    """A prompt (chat messages) as role-labelled blocks."""
    for msg in messages:
        content = msg.get("content", "")
        if not isinstance(content, str):
            content = str(content)
        st.markdown(f"**{msg.get('role', '?')}**")
        st.text(content)


def compare_rows(calls: Sequence[ToolCall], results: Sequence[CallResult],
                 truth: Sequence[ToolCall] | None) -> list[dict[str, Any]]:
    """The attempt's calls with their results, each marked by whether the ground truth has the same call."""
    truth = list(truth or ())
    rows = []
    for i, call in enumerate(calls):
        res = results[i] if i < len(results) else None
        rows.append({"#": i + 1, "attempt call": call.to_python(),
                     "result": res.to_text()[:200] if res else "not executed",
                     "in ground truth": "✅" if call in truth else "✗"})
    return rows


def missing_calls(calls: Sequence[ToolCall], truth: Sequence[ToolCall] | None) -> list[str]:
    """Ground-truth calls the attempt never made."""
    return [c.to_python() for c in truth or () if c not in calls]


def llm_event_rows(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Role events as rows: LLM calls with latency, tokens, cost and cache hit; offline agent steps with their role
    only."""
    rows: list[dict[str, Any]] = []
    for e in events:
        if isinstance(e, RoleEvent):
            rows.append({"role": e.role, "label": e.label, "model": "", "latency s": None, "in tokens": 0,
                         "out tokens": 0, "cost $": 0.0, "cached": False, "attempts": None, "error": ""})
            continue
        rows.append({"role": e.role, "label": e.label, "model": e.model, "latency s": round(float(e.latency_s), 3),
                     "in tokens": e.usage.input_tokens, "out tokens": e.usage.output_tokens,
                     "cost $": round(float(e.cost_usd), 6), "cached": bool(e.cached), "attempts": e.attempts,
                     "error": e.error or ""})
    return rows


def show_llm_events(events: Iterable[Event]) -> None:
    """A table of LLM calls with totals; offline agent steps are summed up in one line."""
    events = list(events)
    llm = [e for e in events if isinstance(e, LLMCallEvent)]
    offline = [e for e in events if not isinstance(e, LLMCallEvent)]
    if offline:
        roles = ", ".join(sorted({e.role or "?" for e in offline}))
        st.caption(f"{len(offline)} offline heuristic step(s) ({roles}): no LLM call, no tokens, no cost.")
    if not llm:
        return
    rows = llm_event_rows(llm)
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(f"{len(rows)} LLM call(s) · {sum(r['in tokens'] + r['out tokens'] for r in rows)} tokens · "
               f"${sum(r['cost $'] for r in rows):.4f} · {sum(r['cached'] for r in rows)} cache hit(s)")


def step_rows(attempt: Attempt, truth: Sequence[ToolCall] | None) -> list[dict[str, Any]]:
    """One row per call of an attempt, by step: the step's reasoning, the call, its result, in the ground truth."""
    truth = list(truth or ())
    rows = []
    for n, (text, step) in enumerate(zip(attempt.reasoning, attempt.steps), 1):
        for i, (call, result) in enumerate(zip(step.calls, step.results)):
            rows.append({"step": n, "reasoning": text if i == 0 else "", "call": call.to_python(),
                         "result": result.to_text()[:200], "in ground truth": "✅" if call in truth else "✗",
                         "recovered from text": step.recovered})
    return rows


def show_attempt(attempt: Attempt, truth: Sequence[ToolCall] | None = None) -> None:
    """Everything about one attempt k: prompt, each step (reasoning, calls, results) against the ground truth, the
    answer, the verdict with its rule, the critique, and the clean rewrite kept for training."""
    if attempt.passed:
        st.success(f"Attempt {attempt.k}: passed — {attempt.reason}")
    else:
        rule = f" [{attempt.rule}]" if attempt.rule else ""
        st.warning(f"Attempt {attempt.k}: failed{rule} — {attempt.reason}")  # an outcome, not an app error
    with st.expander(f"Prompt ({len(attempt.prompt)} message(s), with the critiques so far)"):
        show_messages(attempt.prompt)
    if attempt.parse_error:
        st.warning(f"Unusable reply: {attempt.parse_error}")
    st.markdown(f"**Steps** ({len(attempt.steps)}: reasoning, calls, their results; each step sees the results "
                "of the steps before)")
    for n, step in enumerate(attempt.steps, 1):
        st.markdown(f"*Step {n}* — {step.reasoning or '(no reasoning)'}")
        st.code(calls_text(step.calls), language="python")
        st.text("\n".join(r.to_text()[:300] for r in step.results))
    st.markdown(f"**Answer** {attempt.answer or '(none)'}")
    st.dataframe(step_rows(attempt, truth), hide_index=True, width="stretch")
    missing = missing_calls(attempt.calls, truth)
    if missing:
        st.caption("Ground-truth calls not made: " + ", ".join(missing))
    if attempt.critique:
        st.info(f"Critique (A_C): {attempt.critique}")
    if attempt.clean is not None:
        with st.expander("Clean rewrite kept for training (written from the request and the results alone)"):
            for n, text in enumerate(attempt.clean, 1):
                st.markdown(f"*Step {n}* — {text}")
    with st.expander("Raw model output"):
        st.text(attempt.raw or "(empty)")
    show_llm_events(attempt.llm_events)


def show_adv_tool(adv: Any) -> None:
    """T_adv: the abstract tool's spec, what the user supplies, what stays hidden, its inner calls."""
    st.markdown(f"**T_adv** `{adv.spec.name}` — {adv.spec.description}")
    cols = st.columns(2)
    with cols[0]:
        st.caption("Parameters (JSON schema)")
        show_value(adv.spec.parameters, expanded=True)
    with cols[1]:
        st.caption("User values / hidden values")
        st.write({"user_values": adv.user_values, "hidden_values": list(adv.hidden_values)})
    st.code(calls_text(adv.inner_calls), language="python")
    if adv.grounding:
        st.caption("Grounding: how a model can know each argument (said by the user, derived from an earlier "
                   "output, visible in a tool's output and named by the request, or a default)")
        st.dataframe(grounding_rows(adv), hide_index=True, width="stretch")


def grounding_rows(adv: Any) -> list[dict[str, Any]]:
    """The grounding table of ``T_adv`` as rows: call, argument, value, kind, why (1-based rounds and calls)."""
    return [{"call": g.call + 1, "tool": g.tool, "argument": g.arg, "value": json.dumps(g.value, ensure_ascii=False),
             "kind": g.kind + (f" (round {g.earlier + 1})" if g.earlier is not None else ""), "why": g.why}
            for g in adv.grounding]
