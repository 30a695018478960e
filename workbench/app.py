"""FunReason-MT Workbench: the Streamlit entry point (navigation only, no logic)."""

import streamlit as st

st.set_page_config(page_title="FunReason-MT Workbench", layout="wide")


def home() -> None:
    """What the workbench is and which environments it can run."""
    from fr_core.envs import BFCL_CLASSES, bfcl_tool_specs
    from workbench.components.common import OFFLINE_LABEL

    st.title("FunReason-MT Workbench")
    st.caption(f"Agents: {OFFLINE_LABEL} unless an LLM profile is chosen in the sidebar of the critique page")
    st.write("Inspect and steer each phase: the API graph, Phase I sampling, the Phase III critique loop, "
             "hand edits of CoT, and the generated data set.")
    st.table(
        [{"class": c.name, "domain": c.domain, "tools": len(bfcl_tool_specs(c.name))} for c in BFCL_CLASSES.values()]
    )


st.navigation([
    st.Page(home, title="Home", icon="🏠", default=True),
    st.Page("pages/graph.py", title="API graph", icon="🕸️", url_path="graph"),
    st.Page("pages/sampler.py", title="Sampler", icon="🎲", url_path="sampler"),
    st.Page("pages/critique.py", title="Critique loop", icon="🔁", url_path="critique"),
    st.Page("pages/cot_editor.py", title="CoT editor", icon="✍️", url_path="cot"),
    st.Page("pages/dataset.py", title="Data set", icon="📚", url_path="dataset"),
    st.Page("pages/runs.py", title="Runs & metrics", icon="📈", url_path="runs"),
]).run()
