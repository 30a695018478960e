"""Shared fixtures for the Streamlit page tests: an isolated overlay file and page paths."""

from pathlib import Path

import pytest

PAGES = Path(__file__).resolve().parents[2] / "workbench" / "pages"
APP = PAGES.parent / "app.py"


@pytest.fixture(autouse=True)
def isolated_overlay(tmp_path, monkeypatch):
    """Every page test edits a throw-away overlay, never data/graph/overlay.json."""
    path = tmp_path / "overlay.json"
    monkeypatch.setenv("FR_GRAPH_OVERLAY", str(path))
    monkeypatch.setenv("FR_EDITS_FILE", str(tmp_path / "edits.jsonl"))
    return path
