"""The Streamlit face of the workbench: thin pages over fr_core."""
