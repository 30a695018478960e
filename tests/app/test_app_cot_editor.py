"""The CoT editor re-validates edits by execution, shows clear errors for bad input, keeps drafts, saves revisions."""

import json

from streamlit.testing.v1 import AppTest


def _editor_with_a_run(app_file) -> AppTest:
    at = AppTest.from_file(str(app_file), default_timeout=60).run()
    at.switch_page("pages/critique.py").run()
    at.button(key="critique.run.button").click().run()
    at.switch_page("pages/cot_editor.py").run()
    assert not at.exception
    return at


def _areas(at: AppTest):
    item = at.session_state["cot.item"]
    return at.text_area(key=f"cot.cot.{item}"), at.text_area(key=f"cot.calls.{item}")


def test_cot_editor_without_anything_to_edit_says_so(open_page):
    at = open_page("cot_editor")
    assert not at.exception
    assert "Nothing to edit" in at.info[0].value


def test_ground_truth_calls_pass_and_revision_is_saved(app_file, tmp_path):
    at = _editor_with_a_run(app_file)
    run = at.session_state["critique.run"]
    cot, calls = _areas(at)
    cot.input("I follow the ground truth step by step.").run()
    _, calls = _areas(at)
    calls.input("[" + ", ".join(c.to_python() for c in run.truth) + "]").run()
    assert any("PASS" in s.value for s in at.success), [e.value for e in at.error]
    at.text_input(key="cot.note").input("fixed by hand").run()
    at.button(key="cot.accept").click().run()
    assert not at.exception
    lines = (tmp_path / "edits.jsonl").read_text().splitlines()
    saved = json.loads(lines[-1])
    assert saved["decision"] == "accept" and saved["verdict"]["passed"] is True
    assert saved["after"]["cot"] == "I follow the ground truth step by step." and saved["who"] and saved["when"]
    assert saved["before"]["cot"] != saved["after"]["cot"]


def test_bad_input_shows_error_and_keeps_the_text(app_file, tmp_path):
    at = _editor_with_a_run(app_file)
    bad = '[{"name": "cd", "arguments": '
    _, calls = _areas(at)
    calls.input(bad).run()
    assert not at.exception
    assert any("not valid JSON" in e.value for e in at.error)
    _, calls = _areas(at)
    assert calls.value == bad
    calls.input("[teleport(to='moon')]").run()
    assert any("unknown tool" in e.value for e in at.error)
    cot, _ = _areas(at)
    cot.input("").run()
    assert any("CoT is empty" in e.value for e in at.error)
    at.button(key="cot.save").click().run()
    assert not at.exception
    assert not (tmp_path / "edits.jsonl").exists()
    item = at.session_state["cot.item"]
    assert at.session_state["cot.drafts"][item]["calls"] == "[teleport(to='moon')]"


def test_draft_survives_switching_to_another_turn_and_back(app_file):
    at = _editor_with_a_run(app_file)
    at.switch_page("pages/dataset.py").run()
    at.number_input(key="dataset.n").set_value(2)
    at.button(key="dataset.generate").click().run()
    at.switch_page("pages/cot_editor.py").run()
    first = at.session_state["cot.item"]
    _, calls = _areas(at)
    calls.input("[ls(), half_typed(").run()
    box = at.selectbox(key="cot.item")
    box.select_index(1 if box.index == 0 else 0).run()
    assert at.session_state["cot.item"] != first
    at.selectbox(key="cot.item").set_value(first).run()
    assert at.session_state["cot.item"] == first
    _, calls = _areas(at)
    assert calls.value == "[ls(), half_typed("
    assert any("not valid Python-style calls" in e.value for e in at.error)
    assert not at.exception
