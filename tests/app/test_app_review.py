"""The review queue page: counts that follow decisions, filters remembered across pages, next/previous, a failing
edit refused for accept until accepted anyway with a reason, the revision table and revert."""

from streamlit.testing.v1 import AppTest

from fr_core.agents import make_agents
from fr_core.pipeline import generate_sample
from fr_core.store import Store


def _run(db, n: int = 4) -> list[str]:
    store = Store(db)
    try:
        run_id = store.create_run({}, 0, n)
        for i in range(n):
            store.add_sample(run_id, i, generate_sample(["GorillaFileSystem"], rounds=2, seed=0, index=i,
                                                        agents=make_agents("offline", mistake_rate=0.0)).output)
        return [r.id for r in store.iter_samples(run_id, with_trajectory=False)]
    finally:
        store.close()


def _queue(app_file, db, monkeypatch) -> AppTest:
    monkeypatch.setenv("FR_STORE", str(db))
    at = AppTest.from_file(str(app_file), default_timeout=60).run()
    at.switch_page("pages/review.py").run()
    assert not at.exception, at.exception
    return at


def _caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if "samples shown" in c.value)


def test_review_page_without_runs_says_so(app_file, tmp_path, monkeypatch):
    at = _queue(app_file, tmp_path / "none.db", monkeypatch)
    assert any("No runs" in i.value for i in at.info)


def test_accept_moves_on_counts_update_and_filters_are_remembered(app_file, tmp_path, monkeypatch):
    ids = _run(tmp_path / "r.db")
    at = _queue(app_file, tmp_path / "r.db", monkeypatch)
    assert "4 of 4 samples shown" in _caption(at) and "undecided 4" in _caption(at)
    assert any("**N** next sample" in c.value for c in at.caption)
    at.button(key="review.next").click().run()
    assert at.session_state["review.current"] == ids[1]
    at.button(key="review.prev").click().run()
    assert at.session_state["review.current"] == ids[0]
    at.button(key="review.accept").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(f"Accepted {ids[0]}" in s.value for s in at.success)
    assert "reviewer-accepted 1" in _caption(at) and at.session_state["review.current"] == ids[1]
    at.multiselect(key="review.f.review").set_value(["undecided"]).run()
    assert "3 of 4 samples shown" in _caption(at)
    at.switch_page("pages/dataset.py").run()
    at.switch_page("pages/review.py").run()
    assert "3 of 4 samples shown" in _caption(at)  # the filter survived the visit elsewhere


def test_a_failing_edit_needs_accept_anyway_and_a_reason(app_file, tmp_path, monkeypatch):
    ids = _run(tmp_path / "r.db")
    at = _queue(app_file, tmp_path / "r.db", monkeypatch)
    sid = at.session_state["review.current"]
    editor = at.text_area(key=f"review.editor.{sid}.1")
    editor.input("<think>Just look.</think><tool_call>[ls(a=True)]</tool_call>").run()
    assert any(e.value.startswith("FAIL") for e in at.error)
    at.button(key="review.accept").click().run()
    assert any("fails its check" in e.value and "accept anyway" in e.value for e in at.error)
    store = Store(tmp_path / "r.db")
    try:
        assert store.review(sid) is None and store.edits(sid)[-1].round == 1
    finally:
        store.close()
    at.checkbox(key=f"review.anyway.{sid}").check().run()
    at.button(key="review.accept").click().run()
    assert any("needs a reason" in e.value for e in at.error)
    at.text_input(key=f"review.note.{sid}").input("the ground truth is wrong").run()
    at.checkbox(key=f"review.anyway.{sid}").check().run()
    at.button(key="review.accept").click().run()
    store = Store(tmp_path / "r.db")
    try:
        review = store.review(sid)
    finally:
        store.close()
    assert review.forced and review.reason == "the ground truth is wrong"
    assert ids.index(sid) == 0


def test_revisions_table_and_revert_to_the_generated_text(app_file, tmp_path, monkeypatch):
    _run(tmp_path / "r.db")
    at = _queue(app_file, tmp_path / "r.db", monkeypatch)
    sid = at.session_state["review.current"]
    key = f"review.editor.{sid}.1"
    generated = at.text_area(key=key).value
    at.text_area(key=key).input(generated.replace("<think>", "<think>Edited: ", 1)).run()
    at.button(key="review.save").click().run()
    assert not at.exception and any("saved" in s.value for s in at.success)
    assert any("Revisions of round 1 (1)" in h.value for h in at.subheader)
    at.selectbox(key="review.revert.to").set_value("generated").run()
    at.button(key="review.revert").click().run()
    assert at.text_area(key=key).value == generated
