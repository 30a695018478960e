"""Data set page: generate samples in the session or open a stored run; filter, read in a chat view, chart, export."""

import streamlit as st

from fr_core.export import FORMATS, export_run
from fr_core.pipeline import generate_sample
from fr_core.store import Store
from workbench.components.common import class_picker, graph_for, show_errors
from workbench.components.dataset import (
    CHART_LIMIT,
    attempts_figure,
    calls_figure,
    coverage_figure,
    filter_rows,
    store_path,
    stored_rows,
    stored_runs,
    stored_trajectories,
    stored_trajectory,
    to_jsonl,
    uses_tool,
)
from workbench.components.roles import agents_for, role_backend_selector
from workbench.components.trajectory_view import show_trajectory, trajectory_row

st.title("Data set")
side = st.sidebar
backend = role_backend_selector(side)
db = store_path()
runs = stored_runs(db)
source = side.radio("Samples from", ["Generate in session"] + ([f"Store ({db.name})"] if runs else []),
                    key="dataset.source", persist_state="session")
in_session = source == "Generate in session"

with show_errors("data set"):
    if in_session:
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
                agents = agents_for(backend)
                g = graph_for(classes)
                bar = st.progress(0.0, text="Generating…")
                samples = []
                for i in range(n):
                    samples.append(generate_sample(list(classes), g, rounds, calls, agents, seed, index=i,
                                                   k_max=k_max).output)
                    bar.progress((i + 1) / n, text=f"{i + 1}/{n} samples")
                st.session_state["dataset.samples"] = samples
        by_id = {t.sample_id: t for t in st.session_state.get("dataset.samples", [])}
        rows = [trajectory_row(t) for t in by_id.values()]
        load = by_id.get
    else:
        run_id = side.selectbox("Run", [r["run"] for r in runs], key="dataset.run")
        st.dataframe([r for r in runs if r["run"] == run_id], hide_index=True, width="stretch")
        rows = stored_rows(db, run_id)
        load = lambda sid: stored_trajectory(db, sid)  # noqa: E731 (one line, read where it is used)

    if not rows:
        st.info("No samples yet: generate some above.")
        st.stop()
    all_status = sorted({r["status"] for r in rows})
    all_envs = sorted({r["env"] for r in rows})
    f1, f2, f3, f4, f5 = st.columns(5)
    statuses = f1.multiselect("Status", all_status, default=all_status, key="dataset.f.status")
    envs = f2.multiselect("Environment", all_envs, default=all_envs, key="dataset.f.env")
    min_attempts = int(f3.number_input("Min attempts", 0, 100, 0, key="dataset.f.attempts"))
    tool = f4.text_input("Uses tool", key="dataset.f.tool", disabled=not in_session,
                         help=None if in_session else "for samples generated in the session").strip()
    sort = f5.selectbox("Sort by", [k for k in rows[0] if k != "error"], key="dataset.sort")
    shown = filter_rows(rows, statuses, envs, min_attempts)
    if tool and in_session:
        shown = [r for r in shown if uses_tool(by_id[r["sample"]], tool)]
    shown.sort(key=lambda r: r[sort])
    accepted = sum(r["status"] == "accepted" for r in rows)
    st.caption(f"{len(shown)} of {len(rows)} samples · {accepted} accepted overall")
    st.dataframe(shown, hide_index=True, width="stretch")
    ids = [r["sample"] for r in shown]
    if in_session:
        st.download_button("Export shown samples (JSONL)", to_jsonl(by_id[i] for i in ids), "samples.jsonl",
                           "application/json", key="dataset.export", disabled=not ids)
    else:
        e1, e2, e3 = st.columns([1, 3, 1])
        fmt = e1.selectbox("Format", FORMATS, key="dataset.export.format")
        suffix = "parquet" if fmt == "parquet" else "jsonl"
        out = e2.text_input("Write to", f"runs/exports/{run_id}.{fmt}.{suffix}", key="dataset.export.out")
        if e3.button("Export run", key="dataset.export.run", help="Accepted samples, like `fr export`"):
            # A path that is the store itself or a folder is refused with one line; nothing is written.
            with show_errors("Export not written"):
                report = export_run(Store(db), run_id, fmt, out)
                st.success(f"{report.written} of {report.read} samples written to "
                           f"{', '.join(str(p) for p in report.paths)}; dropped {report.contaminated} contaminated "
                           f"(BFCL test overlap) and {report.duplicates} near-duplicates.")

    tab_view, tab_charts = st.tabs(["Open a sample", "Charts"])
    with tab_view:
        if ids:
            if st.session_state.get("dataset.open") not in ids:
                st.session_state["dataset.open"] = ids[0]
            sid = st.selectbox("Sample", ids, key="dataset.open")
            trajectory = load(sid)
            if trajectory is None:
                st.warning("This sample failed before it had a trajectory: " + next(r["error"] for r in shown
                                                                                     if r["sample"] == sid))
            else:
                if not in_session:  # the CoT editor offers the opened stored sample; its edits go to the store
                    st.session_state["dataset.stored_sample"] = (str(db), sid, trajectory)
                show_trajectory(trajectory)
                st.caption("Edit any round of this sample on the CoT editor page.")
    with tab_charts:
        charted = [by_id[i] for i in ids] if in_session else stored_trajectories(db, ids)
        if charted:
            if not in_session and len(ids) > CHART_LIMIT:
                st.caption(f"Charts over the first {CHART_LIMIT} of the {len(ids)} shown samples.")
            a, b = st.columns(2)
            a.plotly_chart(attempts_figure(charted), key="dataset.chart.attempts")
            b.plotly_chart(calls_figure(charted), key="dataset.chart.calls")
            st.plotly_chart(coverage_figure(charted), key="dataset.chart.coverage")
