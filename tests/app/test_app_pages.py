"""Every page of the navigation renders with its default inputs, with no exception and no error message."""

import pytest
from streamlit.testing.v1 import AppTest

PAGES = ["graph", "sampler", "critique", "cot_editor", "dataset", "runs"]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_from_navigation(app_file, page, tmp_path, monkeypatch):
    monkeypatch.setenv("FR_STORE", str(tmp_path / "runs.db"))
    at = AppTest.from_file(str(app_file), default_timeout=60).run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title, f"{page} shows no title"
