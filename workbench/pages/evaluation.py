"""Evaluation page: a model's accuracy on BFCL multi-turn or on a generated run (by category, by environment, pass@k)
and, per case, its steps beside the ground truth with the first diverging call and the state diff."""

import streamlit as st

from fr_core.evaluate.run import summarise
from fr_core.evaluate.scripted import TEST_BACKEND_LABEL
from fr_core.evaluate.store import EvalStore
from fr_core.store import Store
from workbench.components.common import show_errors
from workbench.components.dataset import store_path
from workbench.components.eval_view import diff_rows, figure_rows, side_by_side, turn_label

st.title("Evaluation")
db = store_path()
st.caption(f"Store: {db} (set FR_STORE to use another file)")

with show_errors("evaluation"):
    evals = EvalStore(db).evaluations() if db.exists() else []
    if not evals:
        st.info("No evaluations in this store yet: run `fr eval --model PROFILE --data bfcl:base --db "
                f"{db}` (the oracle and noisy profiles are test backends that need no key).")
        st.stop()
    by_id = {e.id: e for e in evals}
    row = by_id[st.selectbox("Evaluation", list(by_id), key="eval.id",
                             format_func=lambda i: f"{i} · {by_id[i].model} on {by_id[i].data} ({by_id[i].status})")]
    store = EvalStore(db)
    cases = store.cases(row.id)
    figures = summarise(cases, row.k)
    if row.test_backend:
        st.warning(f"{row.model}: {TEST_BACKEND_LABEL}")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Accuracy", f"{figures['accuracy']:.4f}")
    c2.metric(f"pass@{row.k}", f"{figures[f'pass@{row.k}']:.4f}")
    c3.metric("Cases", f"{figures['cases']}/{row.n_cases}")
    c4.metric("LLM cost", f"${row.usage.get('cost_usd', 0.0):.4f}", f"{row.usage.get('requests', 0)} calls",
              delta_color="off")
    left, right = st.columns(2)
    left.dataframe(figure_rows(figures["by_category"], row.k), hide_index=True)
    right.dataframe(figure_rows(figures["by_env"], row.k), hide_index=True)

    failed_only = st.toggle("Failed attempts only", value=True, key="eval.failed")
    shown = [c for c in cases if not failed_only or c.passed < c.k]
    if not shown:
        st.success("Every attempt passed.")
        st.stop()
    by_case = {c.case_id: c for c in shown}
    case = by_case[st.selectbox("Case", list(by_case), key="eval.case",
                                format_func=lambda i: f"{i} · {by_case[i].env} · passed {by_case[i].passed}/"
                                                      f"{by_case[i].k}")]
    attempt = case.attempts[st.selectbox("Attempt", range(len(case.attempts)), key="eval.k",
                                         format_func=lambda i: f"k={case.attempts[i]['k']} · "
                                         + ("passed" if case.attempts[i]["passed"] else "failed"))]
    if attempt["passed"]:
        st.success("This attempt passed every turn.")
    else:
        st.error(f"{attempt['rule']}: {attempt['reason']}")
    if case.sample_id and st.button("Open the sample in the CoT editor", key="eval.cot"):
        sample = Store(db).get_sample(case.sample_id)
        st.session_state["dataset.stored_sample"] = (str(db), sample.id, sample.trajectory)
        st.switch_page("pages/cot_editor.py")
    for n, turn in enumerate(attempt["turns"]):
        with st.expander(turn_label(n, turn), expanded=n == attempt.get("failed_turn")):
            st.markdown(f"**User:** {turn['query']}")
            st.dataframe(side_by_side(turn), hide_index=True)
            if turn.get("answer"):
                st.markdown(f"**Model's answer:** {turn['answer']}")
            if turn.get("error"):
                st.error(turn["error"])
            if turn.get("reason"):
                st.caption(turn["reason"])
            if turn.get("diff"):
                st.markdown("**State after the turn, where it differs from the ground truth's**")
                st.dataframe(diff_rows(turn), hide_index=True)
