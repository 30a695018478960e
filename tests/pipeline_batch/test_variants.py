"""Harder variants: drawn with the configured shares, recorded with the sample, rendered by the exports
(BFCL's miss_func / miss_param / long_context entries, a clarifying exchange in chat formats)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from fr_core.errors import ConfigError
from fr_core.export import answers_path, export_run
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.pipeline.variants import choose_variant, leave_out, variant_of
from fr_core.store import Store


def test_shares_are_respected_and_draws_reproducible() -> None:
    shares = {"miss_func": 0.2, "miss_param": 0.1, "long_context": 0.1}
    drawn = Counter(choose_variant(shares, 4, i) for i in range(4000))
    assert abs(drawn["miss_func"] / 4000 - 0.2) < 0.03 and abs(drawn[None] / 4000 - 0.6) < 0.03
    assert [choose_variant(shares, 4, i) for i in range(50)] == [choose_variant(shares, 4, i) for i in range(50)]
    with pytest.raises(ConfigError, match="at most 1"):
        choose_variant({"miss_func": 0.7, "miss_param": 0.7}, 0, 0)


def test_a_left_out_value_takes_its_parameter_words_along() -> None:
    said = "Pay with my card 4354123412341234 and book it."
    assert leave_out(said, "4354123412341234", "card_number") == "Pay with a card number I will tell you and book it."
    assert leave_out("Log in as 'otto_45' please.", "otto_45", "username") == \
        "Log in as a username I will tell you please."
    assert leave_out("Use the file name notes.txt.", "notes.txt", "file_name_2") == "Use a file name I will tell you."


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("variants") / "w.db")
    config = RunConfig.from_dict({"run": {"seed": 9}, "generate": {
        "envs": ["GorillaFileSystem", "GorillaFileSystem+TwitterAPI", "TravelAPI+MessageAPI"], "rounds": 2,
        "calls": 3, "variants": {"miss_func": 0.35, "miss_param": 0.35, "long_context": 0.2}}})
    result = run_batch(store, config, 40, concurrency=2)
    trajectories = [r.trajectory for r in store.iter_samples(result.run_id, "accepted")]
    kinds = Counter(v.kind for t in trajectories if (v := variant_of(t)))
    assert kinds["miss_func"] and kinds["miss_param"] and kinds["long_context"], kinds
    return store, result.run_id, trajectories


def test_variants_are_recorded_with_the_sample(run) -> None:
    _, _, trajectories = run
    for t in trajectories:
        v = variant_of(t)
        if v is None:
            continue
        if v.kind == "long_context":
            assert t.provenance["config"]["size"] == "large"
        elif v.kind == "miss_param":
            text = str(v.value)
            assert text in t.turns[v.round].hard_query.text and text not in v.query and text in v.reply
        else:
            assert v.tools[0] in [c.name for c in t.turns[v.round].turn.calls]


def test_bfcl_export_writes_the_harder_categories(run, tmp_path) -> None:
    store, run_id, trajectories = run
    out = tmp_path / "b.jsonl"
    export_run(store, run_id, "bfcl", out, dedup=False)
    questions = [json.loads(line) for line in out.read_text().splitlines()]
    answers = {a["id"]: a["ground_truth"] for a in map(json.loads, answers_path(out).read_text().splitlines())}
    by_sample = {t.sample_id: t for t in trajectories}
    seen = Counter()
    for q in questions:
        t = by_sample[q["fr_sample_id"]]
        v = variant_of(t)
        category = v.kind if v else "base"
        assert q["id"].startswith(f"multi_turn_{category}_")
        seen[category] += 1
        truth = answers[q["id"]]
        assert len(truth) == len(q["question"]) == len(t.turns) + (category in ("miss_func", "miss_param"))
        if category == "miss_func":
            assert q["missed_function"] == {str(v.round + 1): list(v.tools)}
            assert q["question"][v.round + 1] == [] and truth[v.round] == []
            assert any(s.startswith(v.tools[0] + "(") for s in truth[v.round + 1])
        if category == "miss_param":
            assert q["question"][v.round][0]["content"] == v.query and truth[v.round] == []
            assert q["question"][v.round + 1][0]["content"] == v.reply and truth[v.round + 1]
    assert {"miss_func", "miss_param", "long_context"} <= set(seen)


def test_chat_export_asks_for_the_missing_value(run, tmp_path) -> None:
    store, run_id, trajectories = run
    export_run(store, run_id, "openai", tmp_path / "o.jsonl", dedup=False)
    export_run(store, run_id, "funreason", tmp_path / "f.jsonl", dedup=False)
    missing = [variant_of(t) for t in trajectories if variant_of(t) and variant_of(t).kind == "miss_param"]
    for path in (tmp_path / "o.jsonl", tmp_path / "f.jsonl"):
        texts = [[m.get("content") for m in json.loads(line)["messages"]] for line in path.read_text().splitlines()]
        for v in missing:
            match = next(c for c in texts if v.query in c)
            at = match.index(v.query)
            assert match[at + 1] == v.question and match[at + 2] == v.reply


def test_a_left_out_value_is_named_as_the_user_calls_it() -> None:
    """A destination left out reads "a destination I will tell you", not "a travel to I will tell you"."""
    said = 'Book me a flight from SFO to "LAX" on "2026-01-12".'
    assert leave_out(said, "LAX", "travel_to", "destination") == \
        'Book me a flight from SFO to a destination I will tell you on "2026-01-12".'
    assert leave_out("Show me the post 692 now.", "692", "tweet_id", "post") == "Show me a post I will tell you now."
