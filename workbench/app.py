"""FunReason-MT Workbench: the Streamlit entry point (navigation only, no logic)."""

import streamlit as st

st.set_page_config(page_title="FunReason-MT Workbench", layout="wide")


def home() -> None:
    from fr_core.envs import BFCL_CLASSES, bfcl_tool_specs

    st.title("FunReason-MT Workbench")
    st.caption("Agents: offline heuristic (no key, no network)")
    st.write("Environments available:")
    st.table(
        [{"class": c.name, "domain": c.domain, "tools": len(bfcl_tool_specs(c.name))} for c in BFCL_CLASSES.values()]
    )


st.navigation([st.Page(home, title="Home", icon="🏠")]).run()
