"""The Evaluation page shows a stored evaluation's figures and, per failed case, the model's steps beside the ground
truth with the first diverging call and the state diff."""

from fr_core.evaluate.run import EvalSettings, evaluate


def test_evaluation_page_without_evaluations(open_page, tmp_path, monkeypatch):
    monkeypatch.setenv("FR_STORE", str(tmp_path / "w.db"))
    at = open_page("evaluation")
    assert not at.exception and any("No evaluations" in i.value for i in at.info)


def test_evaluation_page_shows_figures_and_a_failed_case(open_page, tmp_path, monkeypatch):
    db = tmp_path / "w.db"
    monkeypatch.setenv("FR_STORE", str(db))
    progress = evaluate(db, EvalSettings("scripted:noisy:0.5", "bfcl:base", limit=12, concurrency=2))
    assert 0 < progress.passed_cases < 12
    at = open_page("evaluation")
    assert not at.exception and not at.error[1:]
    assert [m.value for m in at.metric][:3] == [f"{progress.passed_attempts / 12:.4f}",
                                                 f"{progress.passed_cases / 12:.4f}", "12/12"]
    assert any("test backend" in w.value for w in at.warning)
    assert at.error[0].value.startswith("no_calls: turn")  # the noisy backend gave up on a turn
    tables = [t.value for t in at.dataframe]
    assert "base" in list(tables[0][""]) and len(tables) >= 3
    assert "first divergence" in " ".join(str(v) for v in tables[2][""])
