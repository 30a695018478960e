"""The runs page launches a background batch into a store and shows the run's figures."""

from fr_core.agents import make_agents
from fr_core.pipeline import generate_sample
from fr_core.store import Store


def _stored_run(db, classes: list[str], n: int) -> tuple[str, int]:
    """A run of ``n`` one-round samples written to ``db``; its id and how many were accepted."""
    store = Store(db)
    try:
        run_id = store.create_run({"note": "test"}, 0, n)
        for i in range(n):
            store.add_sample(run_id, i, generate_sample(classes, rounds=1, seed=0, index=i,
                                                        agents=make_agents("offline", mistake_rate=0.0)).output)
        return run_id, store.count_samples(run_id, "accepted")
    finally:
        store.close()


def test_runs_page_without_store(open_page, tmp_path, monkeypatch):
    monkeypatch.setenv("FR_STORE", str(tmp_path / "runs.db"))
    at = open_page("runs")
    assert not at.exception and not at.error
    assert any("No runs" in i.value for i in at.info)


def test_runs_page_launches_a_batch_and_shows_it(open_page, tmp_path, monkeypatch):
    db = tmp_path / "runs.db"
    monkeypatch.setenv("FR_STORE", str(db))
    at = open_page("runs")
    at.number_input(key="runs.n").set_value(3)
    at.multiselect(key="runs.envs").set_value(["GorillaFileSystem"])
    at.button(key="runs.launch").click().run()
    job = at.session_state["runs.job"]
    job.thread.join(timeout=60)
    assert not job.running and job.error is None
    store = Store(db)
    try:
        assert store.count_samples(job.progress.run_id) == 3
    finally:
        store.close()
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="runs.run").value == job.progress.run_id
    assert any(m.label == "Accepted" for m in at.metric)


def test_stored_sample_opens_in_data_set_and_edits_go_to_the_store(app_file, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "runs.db"
    monkeypatch.setenv("FR_STORE", str(db))
    _stored_run(db, ["GorillaFileSystem"], 2)
    at = AppTest.from_file(str(app_file), default_timeout=60).run()
    at.switch_page("pages/dataset.py").run()
    at.radio(key="dataset.source").set_value("Store (runs.db)").run()
    assert not at.exception and not at.error
    sid = at.session_state["dataset.stored_sample"][1]
    at.switch_page("pages/cot_editor.py").run()
    box = at.selectbox(key="cot.item")
    stored = [i for i, o in enumerate(box.options) if "· stored" in o]
    assert stored
    box.select_index(stored[0]).run()
    assert at.session_state["cot.item"].endswith("· stored")
    at.button(key="cot.save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    store = Store(db)
    try:
        edits = store.edits(sid)
    finally:
        store.close()
    assert len(edits) == 1 and (edits[0].field, edits[0].round) == ("round", 1) and "verdict" in edits[0].after


def test_stored_run_exports_from_the_data_set_page(app_file, tmp_path, monkeypatch):
    import json

    from streamlit.testing.v1 import AppTest

    db = tmp_path / "runs.db"
    monkeypatch.setenv("FR_STORE", str(db))
    _, accepted = _stored_run(db, ["TicketAPI"], 3)
    at = AppTest.from_file(str(app_file), default_timeout=60).run()
    at.switch_page("pages/dataset.py").run()
    at.radio(key="dataset.source").set_value("Store (runs.db)").run()
    out = tmp_path / "out.jsonl"
    at.selectbox(key="dataset.export.format").set_value("openai")
    at.text_input(key="dataset.export.out").set_value(str(out))
    at.button(key="dataset.export.run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    lines = out.read_text().splitlines()
    assert accepted > 0 and len(lines) == accepted
    assert all(json.loads(line)["messages"][0]["role"] == "system" for line in lines)
    assert any("written to" in s.value for s in at.success)
    # A path that cannot be written shows a message in the page, not a traceback.
    at.text_input(key="dataset.export.out").set_value(str(out / "x" / "y.jsonl"))
    at.button(key="dataset.export.run").click().run()
    assert not at.exception and at.error
