"""CoT editor: edit a turn's steps (reasoning and calls) by hand, re-validate by executing them, save revisions with
provenance."""

import getpass

import streamlit as st

from fr_core.edits import edits_path, load_revisions
from fr_core.review import parse_steps
from workbench.components.attempt_view import compare_rows, missing_calls
from workbench.components.common import show_errors
from workbench.components.cot_edit import draft_area, editables, revision_rows, save_edit
from workbench.components.phases import revalidate

st.title("CoT editor (human in the loop)")
items = editables(st.session_state.get("critique.run"), st.session_state.get("dataset.samples"),
                  st.session_state.get("dataset.stored_sample"))
if not items:
    st.info("Nothing to edit yet: run the critique loop (Critique loop page) or generate samples (Data set page).")
    st.stop()

by_id = {i.item_id: i for i in items}
if st.session_state.get("cot.item") not in by_id:
    st.session_state["cot.item"] = items[0].item_id
st.page_link("pages/review.py", label="Reviewing a stored run? The Review queue steps through it with filters and "
                                      "shortcuts.", icon="✅")
item = by_id[st.selectbox("Turn to edit", list(by_id), key="cot.item", format_func=lambda i: by_id[i].label)]
st.caption(f"Target `{item.turn.target}` · ground truth: " + ", ".join(c.to_python() for c in item.turn.calls))

with show_errors("CoT editor"):
    start = item.start_env()
    specs = {s.name: s for s in start.tools()}
    left, right = st.columns(2)
    with left:
        text = draft_area(item, "steps", "Steps: one <think>reasoning</think><tool_call>[calls]</tool_call> block "
                                         "per step, blocks separated by a blank line", 360)
        st.caption("Ctrl+Enter applies an edit; every step is executed again from the turn's start and the verdict "
                   "updates at once. Drafts are kept per turn.")
    verdict = None
    with right:
        with show_errors("steps"):
            steps, warnings = parse_steps(text, specs)
            for w in warnings:
                st.warning(f"Argument check: {w}")
            calls = [c for _, step in steps for c in step]
            verdict = revalidate(calls, start, item.turn, item.round)
            rule = f" [{verdict.rule}]" if verdict.rule else ""
            (st.success if verdict.passed else st.error)(
                f"{'PASS' if verdict.passed else 'FAIL'}{rule}: {verdict.reason}")
            for n, (reasoning, step) in enumerate(steps, 1):
                if not reasoning.strip():
                    st.error(f"Step {n} has no reasoning: write why these calls, from the request and the results.")
            step_of = [n for n, (_, step) in enumerate(steps, 1) for _ in step]
            rows = compare_rows(calls, verdict.results, item.truth())
            st.dataframe([{"step": n, **row} for n, row in zip(step_of, rows)], hide_index=True, width="stretch")
            missing = missing_calls(calls, item.truth())
            if missing:
                st.caption("Ground-truth calls not made: " + ", ".join(missing))

    st.divider()
    c1, c2 = st.columns(2)
    who = c1.text_input("Who", value=getpass.getuser(), key="cot.who")
    note = c2.text_input("Note (why this edit)", key="cot.note")
    b1, b2, b3 = st.columns(3)
    decision = ("" if b1.button("Save revision", key="cot.save", type="primary")
                else "accept" if b2.button("Save and accept", key="cot.accept")
                else "reject" if b3.button("Save and reject", key="cot.reject") else None)
    if decision is not None:
        if verdict is None:
            st.error("Fix the calls before saving: the revision needs a verdict (the draft is kept).")
        else:
            with show_errors("save"):
                rev = save_edit(item, text, verdict, who, note, decision)
                st.session_state["cot.flash"] = (f"Revision of round {rev.round} saved to {item.store or edits_path()}"
                                                 f" by {rev.who} at {rev.when}"
                                                 + (f" ({rev.decision})" if rev.decision else ""))
                st.session_state.pop("cot.note", None)  # a note belongs to one save
                st.rerun()
    if "cot.flash" in st.session_state:
        st.success(st.session_state.pop("cot.flash"))

    with show_errors("revisions"):
        revisions = revision_rows(item)
        st.subheader(f"Revisions of this sample ({len(revisions)})")
        if revisions:
            st.dataframe([{k: v for k, v in r.items() if k not in ("before", "after")} for r in revisions],
                         hide_index=True, width="stretch")
            with st.expander("Before / after of the latest revision"):
                st.write({"before": revisions[-1]["before"], "after": revisions[-1]["after"]})
        rejected = [r for r in load_revisions() if r.decision == "reject"]
        st.caption(f"{len(rejected)} revision(s) marked rejected in {edits_path().name}.")
