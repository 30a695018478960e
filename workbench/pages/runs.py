"""Runs & metrics page: launch a batch run in the background with live progress; per-stage rates and charts of a run."""

import plotly.express as px
import streamlit as st

from fr_core.envs import BFCL_CLASSES
from fr_core.pipeline.config import RunConfig, load_run_config
from fr_core.store import Store
from workbench.components.common import show_errors
from workbench.components.dataset import (
    CHART_LIMIT,
    attempts_figure,
    calls_figure,
    coverage_figure,
    store_path,
    stored_rows,
    stored_runs,
    stored_trajectories,
)
from workbench.components.jobs import start_batch
from workbench.components.roles import role_backend_selector

st.title("Runs & metrics")
db = store_path()
st.caption(f"Store: {db} (set FR_STORE to use another file)")
backend = role_backend_selector(st.sidebar)

with show_errors("runs"):
    with st.expander("Launch a batch run", expanded=not stored_runs(db)):
        base = load_run_config("offline")
        c1, c2, c3, c4 = st.columns(4)
        n = int(c1.number_input("Samples", 1, 100_000, 20, key="runs.n"))
        seed = int(c2.number_input("Seed", 0, 10**6, 0, key="runs.seed"))
        concurrency = int(c3.number_input("Concurrency", 1, 64, 2, key="runs.concurrency"))
        k_max = int(c4.number_input("K_max", 1, 10, base.generate.k_max, key="runs.k_max"))
        envs = st.multiselect("Environments (one drawn per sample)", base.generate.envs + list(BFCL_CLASSES),
                              default=base.generate.envs, key="runs.envs")
        job = st.session_state.get("runs.job")
        if st.button("Launch", key="runs.launch", type="primary", disabled=bool(job and job.running) or not envs):
            data = base.model_dump()
            data["run"].update(seed=seed, samples=n, concurrency=concurrency)
            data["agents"]["profile"] = backend
            data["generate"].update(envs=list(dict.fromkeys(envs)), k_max=k_max)
            st.session_state["runs.job"] = start_batch(db, RunConfig.from_dict(data, "launch form"), n)

    @st.fragment(run_every=1.0)
    def live() -> None:
        """Progress of the batch started from this session, refreshed every second while it runs."""
        job = st.session_state.get("runs.job")
        if job is None:
            return
        p = job.progress
        if job.error:
            st.error(f"Batch run failed: {job.error}")
        if p is not None:
            st.progress(min(p.done / max(p.total, 1), 1.0),
                        text=f"run {p.run_id}: {p.done}/{p.total} · {p.accepted} accepted · {p.rejected} rejected · "
                             f"{p.failed} failed · {p.rate:.1f}/s · ${p.cost_usd:.4f}")
        if job.running:
            if st.button("Stop (samples in flight finish)", key="runs.stop"):
                job.stop.set()
        elif p is not None:
            st.caption("Finished" + (" (interrupted: resume with `fr generate --resume`)" if p.interrupted else "."))

    live()

    runs = stored_runs(db)
    if not runs:
        st.info("No runs stored yet: launch one above (or with `fr generate`).")
        st.stop()
    st.dataframe(runs, hide_index=True, width="stretch")
    run_id = st.selectbox("Run", [r["run"] for r in runs], key="runs.run")
    store = Store(db)
    try:
        stats = store.run_stats(run_id)
    finally:
        store.close()
    m = st.columns(5)
    m[0].metric("Accepted", f"{stats.accepted}/{stats.stored}")
    m[1].metric("Target reached", f"{stats.target_reached}/{stats.rounds} rounds")
    m[2].metric("Query leaks", f"{stats.query_leaks}/{stats.queries}")
    m[3].metric("Refined turns", stats.refine_turns)
    m[4].metric("Cost / accepted", "—" if stats.cost_per_accepted is None else f"${stats.cost_per_accepted:.4f}")
    stages = [("Phase I: target reached", stats.target_reached, stats.rounds),
              ("Phase II: query without leak", stats.queries - stats.query_leaks, stats.queries),
              ("Phase III: turn accepted", sum(stats.passed_at.values()), stats.refine_turns),
              ("sample accepted", stats.accepted, stats.stored)]
    st.plotly_chart(px.bar(x=[s[0] for s in stages], y=[(s[1] / s[2]) if s[2] else 0 for s in stages],
                           labels={"x": "stage", "y": "pass rate"}, title="Per-stage pass rates", range_y=[0, 1]),
                    key="runs.chart.stages")
    ids = [r["sample"] for r in stored_rows(db, run_id)]
    samples = stored_trajectories(db, ids)
    if samples:
        if len(ids) > CHART_LIMIT:
            st.caption(f"Charts over the first {CHART_LIMIT} of the run's {len(ids)} samples.")
        a, b = st.columns(2)
        a.plotly_chart(attempts_figure(samples), key="runs.chart.attempts")
        b.plotly_chart(calls_figure(samples), key="runs.chart.calls")
        st.plotly_chart(coverage_figure(samples), key="runs.chart.coverage")
