"""Data set page: generate samples in the session or open a stored run; filter, read in a chat view, chart, export."""

import streamlit as st

from fr_core.agents import make_agents
from fr_core.pipeline import generate_sample
from workbench.components.common import class_picker, graph_for, show_errors
from workbench.components.dataset import (
    attempts_figure,
    calls_figure,
    coverage_figure,
    filter_samples,
    store_path,
    stored_runs,
    stored_trajectories,
    to_jsonl,
)
from workbench.components.roles import OFFLINE, client_for, role_backend_selector
from workbench.components.trajectory_view import show_trajectory, trajectory_row

st.title("Data set")
side = st.sidebar
backend = role_backend_selector(side)
db = store_path()
runs = stored_runs(db)
source = side.radio("Samples from", ["Generate in session"] + ([f"Store ({db.name})"] if runs else []),
                    key="dataset.source")

with show_errors("data set"):
    if source == "Generate in session":
        with st.expander("Generate samples with generate_sample (Phases I–III per round)",
                         expanded="dataset.samples" not in st.session_state):
            classes = class_picker("dataset.classes")
            c1, c2, c3, c4, c5 = st.columns(5)
            n = int(c1.number_input("Samples", 1, 200, 8, key="dataset.n"))
            rounds = int(c2.number_input("Rounds (N)", 1, 6, 3, key="dataset.rounds"))
            calls = int(c3.number_input("Calls (M)", 1, 10, 4, key="dataset.calls"))
            k_max = int(c4.number_input("K_max", 1, 6, 3, key="dataset.k_max"))
            seed = int(c5.number_input("Seed", 0, 10**6, 0, key="dataset.seed"))
            if st.button("Generate", key="dataset.generate", type="primary"):
                agents = make_agents(OFFLINE) if backend == OFFLINE else make_agents(backend, client=client_for(backend))
                g = graph_for(classes)
                bar = st.progress(0.0, text="Generating…")
                samples = []
                for i in range(n):
                    samples.append(generate_sample(list(classes), g, rounds, calls, agents, seed, index=i,
                                                   k_max=k_max).output)
                    bar.progress((i + 1) / n, text=f"{i + 1}/{n} samples")
                st.session_state["dataset.samples"] = samples
        samples = st.session_state.get("dataset.samples", [])
    else:
        run_id = side.selectbox("Run", [r["run"] for r in runs], key="dataset.run")
        st.dataframe([r for r in runs if r["run"] == run_id], hide_index=True, width="stretch")
        stored = stored_trajectories(db, run_id)
        store_ids = {t.sample_id: sid for sid, t in stored.items()}
        samples = list(stored.values())

    if not samples:
        st.info("No samples yet: generate some above.")
        st.stop()
    all_status = sorted({t.status for t in samples})
    all_envs = sorted({"+".join(t.classes) for t in samples})
    f1, f2, f3, f4, f5 = st.columns(5)
    statuses = f1.multiselect("Status", all_status, default=all_status, key="dataset.f.status")
    envs = f2.multiselect("Environment", all_envs, default=all_envs, key="dataset.f.env")
    min_attempts = int(f3.number_input("Min attempts", 0, 100, 0, key="dataset.f.attempts"))
    tool = f4.text_input("Uses tool", key="dataset.f.tool").strip()
    sort = f5.selectbox("Sort by", ["sample", "status", "turns", "calls", "attempts", "tools"], key="dataset.sort")
    shown = filter_samples(samples, statuses, envs, min_attempts, tool)
    rows = sorted((trajectory_row(t) for t in shown), key=lambda r: r[sort])
    st.caption(f"{len(shown)} of {len(samples)} samples · "
               f"{sum(t.status == 'accepted' for t in samples)} accepted overall")
    st.dataframe(rows, hide_index=True, width="stretch")
    st.download_button("Export shown samples (JSONL)", to_jsonl(shown), "samples.jsonl", "application/json",
                       key="dataset.export", disabled=not shown)

    tab_view, tab_charts = st.tabs(["Open a sample", "Charts"])
    with tab_view:
        if shown:
            by_id = {t.sample_id: t for t in shown}
            if st.session_state.get("dataset.open") not in by_id:
                st.session_state["dataset.open"] = rows[0]["sample"]
            sid = st.selectbox("Sample", list(by_id), key="dataset.open")
            if source != "Generate in session":  # the CoT editor offers the opened stored sample, edits go to the store
                st.session_state["dataset.stored_sample"] = (str(db), store_ids[sid], by_id[sid])
            show_trajectory(by_id[sid])
            st.caption("Edit any round of these samples on the CoT editor page.")
    with tab_charts:
        if shown:
            a, b = st.columns(2)
            a.plotly_chart(attempts_figure(shown), key="dataset.chart.attempts")
            b.plotly_chart(calls_figure(shown), key="dataset.chart.calls")
            st.plotly_chart(coverage_figure(shown), key="dataset.chart.coverage")
