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


def _steps(at: AppTest):
    item = at.session_state["cot.item"]
    return at.text_area(key=f"cot.steps.{item}")


def test_cot_editor_without_anything_to_edit_says_so(open_page):
    at = open_page("cot_editor")
    assert not at.exception
    assert "Nothing to edit" in at.info[0].value


def test_ground_truth_calls_pass_and_revision_is_saved(app_file, tmp_path):
    at = _editor_with_a_run(app_file)
    run = at.session_state["critique.run"]
    assert "<think>" in _steps(at).value  # the attempt's own steps, one block each
    text = "\n\n".join(f"<think>Step {n}: I do {c.name} now.</think><tool_call>[{c.to_python()}]</tool_call>"
                        for n, c in enumerate(run.truth, 1))
    _steps(at).input(text).run()
    assert any("PASS" in s.value for s in at.success), [e.value for e in at.error]
    rows = at.dataframe[0].value
    assert list(rows["step"]) == list(range(1, len(run.truth) + 1))
    at.text_input(key="cot.note").input("fixed by hand").run()
    at.button(key="cot.accept").click().run()
    assert not at.exception
    lines = (tmp_path / "edits.jsonl").read_text().splitlines()
    saved = json.loads(lines[-1])
    assert saved["decision"] == "accept" and saved["verdict"]["passed"] is True
    assert saved["after"]["steps"] == text and saved["after"]["cot"].startswith("Step 1: I do")
    assert saved["who"] and saved["when"] and saved["before"]["steps"] != text


def test_a_wrong_value_fails_with_its_rule(app_file):
    at = _editor_with_a_run(app_file)
    run = at.session_state["critique.run"]
    calls = list(run.truth)
    first = calls[0]
    text = "\n\n".join([f"<think>Twice.</think><tool_call>[{first.to_python()}]</tool_call>"] * 2
                        + [f"<think>Then.</think><tool_call>[{c.to_python()}]</tool_call>" for c in calls[1:]])
    _steps(at).input(text).run()
    assert not at.exception
    assert any(e.value.startswith("FAIL [") for e in at.error), [e.value for e in at.error]


def test_bad_input_shows_error_and_keeps_the_text(app_file, tmp_path):
    at = _editor_with_a_run(app_file)
    bad = '<think>go</think><tool_call>[{"name": "cd", "arguments": </tool_call>'
    _steps(at).input(bad).run()
    assert not at.exception
    assert any("step 1" in e.value and "not valid JSON" in e.value for e in at.error), [e.value for e in at.error]
    assert _steps(at).value == bad
    _steps(at).input("<think>fly</think><tool_call>[teleport(to='moon')]</tool_call>").run()
    assert any("unknown tool" in e.value for e in at.error)
    _steps(at).input("<think></think><tool_call>[ls()]</tool_call>").run()
    assert any("no reasoning" in e.value for e in at.error)
    at.button(key="cot.save").click().run()
    assert not at.exception
    assert not (tmp_path / "edits.jsonl").exists()
    item = at.session_state["cot.item"]
    assert at.session_state["cot.drafts"][item]["steps"] == "<think></think><tool_call>[ls()]</tool_call>"


def test_draft_survives_switching_to_another_turn_and_back(app_file):
    at = _editor_with_a_run(app_file)
    at.switch_page("pages/dataset.py").run()
    at.number_input(key="dataset.n").set_value(2)
    at.button(key="dataset.generate").click().run()
    at.switch_page("pages/cot_editor.py").run()
    first = at.session_state["cot.item"]
    _steps(at).input("<think>look</think><tool_call>[ls(), half_typed(</tool_call>").run()
    box = at.selectbox(key="cot.item")
    box.select_index(1 if box.index == 0 else 0).run()
    assert at.session_state["cot.item"] != first
    at.selectbox(key="cot.item").set_value(first).run()
    assert at.session_state["cot.item"] == first
    assert _steps(at).value == "<think>look</think><tool_call>[ls(), half_typed(</tool_call>"
    assert any("not valid Python-style calls" in e.value for e in at.error)
    assert not at.exception
