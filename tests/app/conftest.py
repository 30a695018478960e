"""Shared fixtures for the Streamlit page tests: isolated overlay/edits files and a page opener."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

WORKBENCH = Path(__file__).resolve().parents[2] / "workbench"


@pytest.fixture(autouse=True)
def isolated_overlay(tmp_path, monkeypatch):
    """Every page test edits a throw-away overlay and edits file, never the project's own."""
    path = tmp_path / "overlay.json"
    monkeypatch.setenv("FR_GRAPH_OVERLAY", str(path))
    monkeypatch.setenv("FR_EDITS_FILE", str(tmp_path / "edits.jsonl"))
    return path


@pytest.fixture
def app_file() -> Path:
    return WORKBENCH / "app.py"


@pytest.fixture
def open_page():
    """``open_page("graph")`` runs ``workbench/pages/graph.py`` once and returns the AppTest."""

    def run(name: str) -> AppTest:
        return AppTest.from_file(str(WORKBENCH / "pages" / f"{name}.py"), default_timeout=60).run()

    return run
