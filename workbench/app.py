"""FunReason-MT Workbench: the Streamlit entry point (navigation only, no logic)."""

import streamlit as st

st.set_page_config(page_title="FunReason-MT Workbench", layout="wide")


def home() -> None:
    """What the workbench is, which environments it can run, and which role backends are usable here."""
    from fr_core.envs import BFCL_CLASSES, bfcl_tool_specs
    from workbench.components.dataset import store_path
    from workbench.components.roles import usable_profiles

    st.title("FunReason-MT Workbench")
    st.write("Inspect and steer each phase of FunReason-MT: the API graph, Phase I sampling, the Phase II–III "
             "critique loop, hand edits of CoT, the data set and batch runs.")
    profiles = usable_profiles()
    st.caption("Role backends: offline heuristic (default, no key, no network)"
               + (f"; LLM profiles with a key or a local server: {', '.join(profiles)}" if profiles else "")
               + f" · store: {store_path()}" + ("" if store_path().exists() else " (not created yet)"))
    st.table(
        [{"class": c.name, "domain": c.domain, "tools": len(bfcl_tool_specs(c.name))} for c in BFCL_CLASSES.values()]
    )


st.navigation([
    st.Page(home, title="Home", icon="🏠", default=True),
    st.Page("pages/graph.py", title="API graph", icon="🕸️", url_path="graph"),
    st.Page("pages/sampler.py", title="Sampler", icon="🎲", url_path="sampler"),
    st.Page("pages/critique.py", title="Critique loop", icon="🔁", url_path="critique"),
    st.Page("pages/cot_editor.py", title="CoT editor", icon="✍️", url_path="cot"),
    st.Page("pages/review.py", title="Review queue", icon="✅", url_path="review"),
    st.Page("pages/dataset.py", title="Data set", icon="📚", url_path="dataset"),
    st.Page("pages/runs.py", title="Runs & metrics", icon="📈", url_path="runs"),
    st.Page("pages/evaluation.py", title="Evaluation", icon="🎯", url_path="evaluation"),
]).run()
