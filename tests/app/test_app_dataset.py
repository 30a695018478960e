"""The data set page generates samples in the session, filters them, opens one, and feeds the CoT editor."""

from streamlit.testing.v1 import AppTest


def test_dataset_page_renders_empty(open_page, tmp_path, monkeypatch):
    monkeypatch.setenv("FR_STORE", str(tmp_path / "none.db"))
    at = open_page("dataset")
    assert not at.exception and not at.error
    assert any("No samples" in i.value for i in at.info)
    assert not (tmp_path / "none.db").exists()


def test_dataset_generates_filters_and_opens_samples(app_file, tmp_path, monkeypatch):
    monkeypatch.setenv("FR_STORE", str(tmp_path / "none.db"))
    at = AppTest.from_file(str(app_file), default_timeout=60).run()
    at.switch_page("pages/dataset.py").run()
    at.number_input(key="dataset.n").set_value(4)
    at.number_input(key="dataset.rounds").set_value(2)
    at.button(key="dataset.generate").click().run()
    assert not at.exception and not at.error
    samples = at.session_state["dataset.samples"]
    assert len(samples) == 4
    assert at.selectbox(key="dataset.open").value == sorted(t.sample_id for t in samples)[0]
    at.multiselect(key="dataset.f.status").set_value(["accepted"]).run()
    assert not at.exception
    at.switch_page("pages/cot_editor.py").run()
    assert not at.exception
    labels = at.selectbox(key="cot.item").options
    assert any("round 1" in o for o in labels)
