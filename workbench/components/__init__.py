"""Small reusable Streamlit widgets for the workbench pages (graph view, pickers, trace and diff views)."""
