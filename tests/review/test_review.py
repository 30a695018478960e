"""Reviewers' revisions and decisions are the data: what exports write, the accept guard, revert, stale rounds,
keep as is, a Phase III re-run, the queue filters and the diffs."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from fr_core.agents import make_agents
from fr_core.cli import app
from fr_core.errors import ReviewError
from fr_core.export import export_run
from fr_core.graph import bfcl_graph
from fr_core.pipeline import generate_sample
from fr_core.review import (
    QueueFilter,
    current_attempt,
    decide,
    filter_queue,
    keep_as_is,
    load_current,
    queue_rows,
    rerun_round,
    revert,
    save_revision,
    state_diff,
    steps_text,
    word_diff,
)
from fr_core.store import Store


@pytest.fixture(scope="module")
def samples():
    return [generate_sample(["GorillaFileSystem"], rounds=2, seed=0, index=i,
                            agents=make_agents("offline", mistake_rate=0.0)).output for i in range(6)]


@pytest.fixture
def stored(tmp_path, samples):
    store = Store(tmp_path / "r.db")
    run_id = store.create_run({}, 0, len(samples))
    for i, t in enumerate(samples):
        store.add_sample(run_id, i, t)
    ids = [r.id for r in store.iter_samples(run_id, with_trajectory=False)]
    yield store, run_id, ids
    store.close()


def _text(store, sid, round_no=1):
    attempt = current_attempt(load_current(store, sid).turns[round_no - 1])
    return steps_text(attempt.steps, attempt.reasoning)


def _wrong(store, sid):
    """Round 1's text with a string argument changed so the check fails on the state (None if none does)."""
    from fr_core.review import check_edit

    trajectory, text = load_current(store, sid), _text(store, sid)
    for m in re.finditer(r"='([^'\\]+)'", text):
        edited = text[:m.start(1)] + m.group(1) + "_x" + text[m.end(1):]
        if check_edit(trajectory, 1, edited).verdict.rule == "state":
            return edited
    return None


def _records(path):
    return {json.loads(line)["meta"]["sample_id"]: json.loads(line) for line in path.read_text().splitlines()}


def _accepted(store, ids):
    return [sid for sid in ids if store.get_sample(sid).status == "accepted"]


def test_a_saved_revision_is_what_every_export_writes_and_original_is_not(stored, tmp_path):
    store, run_id, ids = stored
    sid = _accepted(store, ids)[0]
    edited = _text(store, sid).replace("<think>", "<think>Reviewed: ", 1)
    saved = save_revision(store, sid, 1, edited, "ana", "clearer")
    assert saved.checked.verdict.passed and saved.id > 0
    assert _text(store, sid) == edited  # what the editor loads next time
    own = store.get_sample(sid).trajectory.sample_id
    for fmt in ("funreason", "openai", "sharegpt", "hermes"):
        export_run(store, run_id, fmt, tmp_path / f"{fmt}.jsonl")
        record = _records(tmp_path / f"{fmt}.jsonl")[own]
        assert "Reviewed: " in json.dumps(record, ensure_ascii=False), fmt
        provenance = json.loads(record["meta"]["provenance"])
        assert provenance["edited"] is True and [r["id"] for r in provenance["revisions"]] == [saved.id]
    export_run(store, run_id, "parquet", tmp_path / "p.parquet")
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "p.parquet").to_pylist()
    row = next(r for r in table if r["id"] == sid)
    assert row["edited"] and "Reviewed: " in row["trajectory"]
    export_run(store, run_id, "funreason", tmp_path / "o.jsonl", original=True)
    assert "Reviewed: " not in (tmp_path / "o.jsonl").read_text()


def test_review_decisions_select_exports_and_rescue(stored, tmp_path):
    store, run_id, ids = stored
    accepted = _accepted(store, ids)
    rejected = [sid for sid in ids if store.get_sample(sid).status == "rejected"]
    own = {sid: store.get_sample(sid).trajectory.sample_id for sid in ids}
    decide(store, accepted[0], "rejected", "ana", "query names the tools")
    out = tmp_path / "e.jsonl"
    export_run(store, run_id, "funreason", out)
    assert own[accepted[0]] not in _records(out)
    export_run(store, run_id, "funreason", out, review="any")
    assert own[accepted[0]] in _records(out)
    if rejected:
        decide(store, rejected[0], "accepted", "ana", "fine as it is")
        report = export_run(store, run_id, "funreason", out, review="accepted")
        assert report.read == 1  # only reviewer-accepted samples are read
        records = _records(out)
        if records:  # a rescued sample exports its passing rounds, marked rescued
            review = json.loads(records[own[rejected[0]]]["meta"]["provenance"])["review"]
            assert review["rescued"] is True and review["author"] == "ana"
    with pytest.raises(Exception, match="review mode"):
        export_run(store, run_id, "funreason", out, review="maybe")


def test_a_failing_edit_is_accepted_only_anyway_with_a_reason(stored, tmp_path):
    store, run_id, ids = stored
    sid = next(s for s in _accepted(store, ids) if _wrong(store, s))
    wrong = _wrong(store, sid)
    saved = save_revision(store, sid, 1, wrong, "ana")
    assert not saved.checked.verdict.passed and saved.checked.verdict.rule == "state"
    rows = state_diff(saved.checked.expected, saved.checked.verdict.state)
    assert rows and all(r["before"] != r["after"] for r in rows)
    with pytest.raises(ReviewError, match="edit of round 1 fails its check"):
        decide(store, sid, "accepted", "ana")
    with pytest.raises(Exception, match="needs a reason"):
        decide(store, sid, "accepted", "ana", anyway=True)
    decide(store, sid, "accepted", "ana", "the ground truth is wrong here", anyway=True)
    review = store.review(sid)
    assert review.forced and review.reason == "the ground truth is wrong here"
    export_run(store, run_id, "funreason", tmp_path / "e.jsonl")
    own = store.get_sample(sid).trajectory.sample_id
    record = _records(tmp_path / "e.jsonl")[own]
    assert json.loads(record["meta"]["provenance"])["review"]["accepted_anyway"] is True


def test_revert_to_the_generated_text_and_to_a_revision(stored):
    store, _, ids = stored
    sid = _accepted(store, ids)[0]
    generated = _text(store, sid)
    first = save_revision(store, sid, 1, generated.replace("<think>", "<think>One ", 1), "ana")
    save_revision(store, sid, 1, generated.replace("<think>", "<think>Two ", 1), "ana")
    revert(store, sid, 1, first.id, "bo")
    assert _text(store, sid).startswith("<think>One ")
    revert(store, sid, 1, None, "bo")
    assert _text(store, sid) == generated
    assert [e.round for e in store.edits(sid)] == [1, 1, 1, 1]
    with pytest.raises(ReviewError, match="no revision 999 of round 1"):
        revert(store, sid, 1, 999)
    with pytest.raises(ReviewError, match="rounds 1 to 2, not 3"):
        save_revision(store, sid, 3, generated)


def _staling_edit(store, ids):
    """(sample, edited round-1 text) whose save makes round 2 stale, found by trying each wrong argument."""
    for sid in ids:
        if store.get_sample(sid).n_turns < 2:
            continue
        text = _text(store, sid)
        for m in re.finditer(r"='([^'\\]+)'", text):
            edited = text[:m.start(1)] + m.group(1) + "_x" + text[m.end(1):]
            saved = save_revision(store, sid, 1, edited, "probe")
            if saved.stale:
                return sid, saved
            revert(store, sid, 1, None, "probe")
    pytest.skip("no round-1 edit of these samples changes round 2's check")


def test_an_edit_flows_forward_and_marks_later_rounds_stale(stored):
    store, run_id, ids = stored
    sid, saved = _staling_edit(store, ids)
    assert set(saved.stale) == {2} and "after the edit of round 1" in saved.stale[2]
    assert store.stale(run_id)[sid] == saved.stale
    rows = queue_rows(store, run_id)
    assert [r["sample"] for r in filter_queue(rows, QueueFilter(stale_only=True))] == [sid]
    keep_as_is(store, sid, 2, "ana")
    assert sid not in store.stale(run_id)
    assert store.edits(sid)[-1].field == "keep"
    with pytest.raises(ReviewError, match="not stale"):
        keep_as_is(store, sid, 2)


def test_rerun_phase_three_stores_a_revision_of_the_stale_round(stored):
    store, run_id, ids = stored
    sid, _ = _staling_edit(store, ids)
    trajectory = load_current(store, sid)
    saved = rerun_round(store, sid, 2, make_agents("offline", mistake_rate=0.0),
                        bfcl_graph(trajectory.classes).output)
    last = store.edits(sid)[-1]
    assert last.round == 2 and last.author == "Phase III" and "Phase III re-run" in last.after["note"]
    assert saved.checked is not None
    assert sid not in store.stale(run_id) or 2 not in store.stale(run_id)[sid]


def test_queue_filters_and_search(stored):
    store, run_id, ids = stored
    decide(store, [ids[0], ids[1]], "rejected", "ana", "bulk")
    rows = queue_rows(store, run_id)
    assert [r["sample"] for r in filter_queue(rows, QueueFilter(review=("rejected",)))] == ids[:2]
    assert len(filter_queue(rows, QueueFilter(review=("undecided",)))) == len(ids) - 2
    query = load_current(store, ids[3]).turns[0].hard_query.text
    word = max(re.findall(r"[A-Za-z_]{6,}", query), key=len)
    assert ids[3] in store.search(run_id, word.upper())
    save_revision(store, ids[4], 1, _text(store, ids[4]).replace("<think>", "<think>zebracorn ", 1))
    assert store.search(run_id, "zebracorn") == {ids[4]}


def test_word_diff_marks_changed_words():
    assert word_diff("a b c", "a x c") == [("=", "a "), ("-", "b"), ("+", "x"), ("=", " c")]


def test_fr_export_review_and_original_options(stored, tmp_path):
    store, run_id, ids = stored
    sid = _accepted(store, ids)[0]
    save_revision(store, sid, 1, _text(store, sid).replace("<think>", "<think>CLI-edit ", 1))
    decide(store, _accepted(store, ids)[1], "rejected", "ana")
    runner = CliRunner()
    out = tmp_path / "c.jsonl"
    base = ["export", "--run", run_id, "--format", "funreason", "--out", str(out), "--db", str(store.path)]
    result = runner.invoke(app, base)
    assert result.exit_code == 0, result.output
    n_default = len(out.read_text().splitlines())
    assert "CLI-edit" in out.read_text()
    assert runner.invoke(app, base + ["--original", "--review", "any"]).exit_code == 0
    assert "CLI-edit" not in out.read_text() and len(out.read_text().splitlines()) == n_default + 1
    bad = runner.invoke(app, base + ["--review", "maybe"])
    assert bad.exit_code == 2 and "review mode 'maybe' is unknown" in bad.output
