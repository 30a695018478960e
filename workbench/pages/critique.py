"""Critique loop page: T_adv, easy and hard queries for a sampled turn, then Phase III attempt by attempt."""

import streamlit as st

from workbench.components.attempt_view import calls_text, show_adv_tool, show_attempt, show_llm_events
from workbench.components.common import show_errors
from workbench.components.env_cache import fresh_env
from workbench.components.phases import run_phases
from workbench.components.roles import OFFLINE, agents_for, role_backend_selector
from workbench.components.turn_picker import pick_turn

st.title("Phase II–III: abstraction, hard query, critique loop")
side = st.sidebar
backend = role_backend_selector(side)
mistake_rate = side.slider("Offline reasoner mistake rate", 0.0, 1.0, 0.4, 0.05, key="critique.mistake_rate",
                           disabled=backend != OFFLINE)
k_max = int(side.number_input("K_max (attempts)", 1, 8, 3, key="critique.k_max"))
noise = side.slider("Query noise ε", 0.0, 1.0, 0.5, 0.05, key="critique.noise")

with show_errors("critique loop"):
    classes, seed, size, turn, g = pick_turn("critique", side)
    st.markdown(f"**Sampled turn** ({' + '.join(classes)}, seed {seed}, target `{turn.target}`): {turn.end_reason}")
    st.code(calls_text(turn.calls), language="python")
    if st.button("Run Phases II–III", key="critique.run.button", type="primary"):
        agents = agents_for(backend, mistake_rate)
        run = run_phases(classes, seed, turn, fresh_env(classes, seed, size), g, agents, k_max=k_max, noise=noise)
        run.label = f"{'+'.join(classes)} seed {seed} target {turn.target} ({agents.model})"
        st.session_state["critique.run"] = run
        st.session_state["critique.shown"] = 1
    run = st.session_state.get("critique.run")
    if run is not None:
        if run.turn != turn:
            st.caption(f"Showing the last run: {run.label}. Press the button to run the turn above.")
        st.subheader("Phase II")
        show_adv_tool(run.adv.output)
        left, right = st.columns(2)
        left.markdown(f"**Hard query** (ε = {run.hard.output.noise})")
        left.info(run.hard.output.text)
        right.markdown("**Easy query**")
        right.info(run.easy.output.text)
        if run.leak.ok:
            st.caption("Leak check: the hard query names no basic tool and shows no intermediate value.")
        else:
            st.warning("Hard query leaks: " + ", ".join(run.leak.leaks) + " — Phase III skipped.")
        show_llm_events(run.phase2_events())
        if run.outcome is not None:
            attempts = run.outcome.output.attempts
            shown = min(st.session_state.get("critique.shown", 1), len(attempts))
            heading = st.empty()  # filled after the buttons, so it names the attempt they just showed
            c1, c2 = st.columns(2)
            if c1.button("Next attempt ▶", key="critique.next", disabled=shown >= len(attempts)):
                shown = st.session_state["critique.shown"] = shown + 1
            if c2.button("Show all ⏭", key="critique.all"):
                shown = st.session_state["critique.shown"] = len(attempts)
            heading.subheader(f"Phase III: attempt {shown} of {len(attempts)} (K_max {run.outcome.trace['k_max']})")
            for attempt in attempts[:shown]:
                with st.container(border=True):
                    show_attempt(attempt, run.truth)
            if shown == len(attempts):
                outcome = run.outcome.output
                verdict = (f"accepted at attempt {outcome.passed_index + 1}" if outcome.accepted
                           else f"dropped: no attempt passed within K_max = {len(attempts)}")
                (st.success if outcome.accepted else st.error)(f"Sample turn {verdict}.")
                st.caption("Open the CoT editor page to edit any of these attempts by hand.")
