"""Diversity metrics on hand-made corpora whose answers are worked out by hand."""

from __future__ import annotations

import math
import sys

import networkx as nx
import pytest

from fr_core.analysis.diversity import (
    bleu,
    coverage_matrix,
    distinct_n,
    diversity_row,
    embedding_dispersion,
    entropy,
    graph_coverage,
    self_bleu,
    tfidf_distance,
    tool_counts,
    tool_pair_counts,
    tool_sequence_counts,
)
from fr_core.analysis.views import CallView, SampleView, TurnView


def test_distinct_n_counts_over_the_whole_corpus():
    texts = ["the cat sat", "the cat ran"]
    assert distinct_n(texts, 1) == pytest.approx(4 / 6)  # the, cat, sat, ran
    assert distinct_n(texts, 2) == pytest.approx(3 / 4)  # the cat ×2, cat sat, cat ran
    assert distinct_n(texts, 3) == 1.0
    assert distinct_n(["one"], 2) == 0.0


def test_bleu_by_hand():
    cand = "a b c d e".split()
    ref = "a b c x".split()
    # p1 = 3/5; p2 = (2+1)/(4+1); p3 = (1+1)/(3+1); p4 = (0+1)/(2+1); candidate longer than reference: no penalty.
    expected = (3 / 5 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25
    assert bleu(cand, [ref]) == pytest.approx(expected)
    # A short candidate pays the brevity penalty exp(1 - r/c).
    assert bleu("a b".split(), ["a b c d".split()], max_n=1) == pytest.approx(math.exp(1 - 4 / 2))
    assert bleu([], [ref]) == 0.0 and bleu("z".split(), [ref]) == 0.0


def test_self_bleu_is_seeded_and_bounded():
    texts = ["book a flight to rome", "book a flight to paris", "cancel my order", "post a tweet about cats"]
    a = self_bleu(texts, sample=2, seed=1)
    assert a == self_bleu(texts, sample=2, seed=1)
    assert 0.0 <= self_bleu(texts, seed=0) <= 1.0
    assert self_bleu(["same text here"] * 3) == pytest.approx(1.0)
    assert self_bleu(["alone"]) == 0.0


def test_tfidf_distance_by_hand():
    # smooth idf: a → ln(3/3)+1 = 1, b and c → ln(3/2)+1; cosine = 1 / (1 + idf_b²).
    idf = math.log(1.5) + 1
    assert tfidf_distance(["a b", "a c"]) == pytest.approx(1 - 1 / (1 + idf * idf))
    assert tfidf_distance(["x y", "x y", "x y"]) == pytest.approx(0.0)
    assert tfidf_distance(["only one"]) == 0.0


def test_entropy_by_hand():
    assert entropy({"a": 1, "b": 1, "c": 1, "d": 1}) == pytest.approx(2.0)
    assert entropy({"a": 3, "b": 1}) == pytest.approx(-(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25)))
    assert entropy({}) == 0.0 and entropy({"a": 7}) == 0.0


def _samples() -> list[SampleView]:
    xyz = (CallView(0, 0, "x"), CallView(0, 1, "y"), CallView(0, 2, "z"))
    s1 = SampleView("1", "hand", ("A",), (TurnView("q", xyz),
                                         TurnView("q", (CallView(1, 0, "x"), CallView(1, 1, "y")))))
    s2 = SampleView("2", "hand", ("A",), (TurnView("q", (CallView(0, 0, "x"), CallView(0, 1, "y"))),))
    return [s1, s2]


def test_tool_distributions():
    s = _samples()
    assert tool_counts(s) == {"x": 3, "y": 3, "z": 1}
    assert tool_pair_counts(s) == {("x", "y"): 3, ("y", "z"): 1}
    assert tool_sequence_counts(s) == {("x", "y", "z"): 1, ("x", "y"): 2}


def test_graph_coverage_and_matrix():
    g = nx.DiGraph([("x", "y"), ("y", "z"), ("z", "w"), ("w", "x")])
    assert graph_coverage(_samples(), g) == (0.75, 0.5)
    for n, owner in zip("wxyz", "BAAA"):
        g.nodes[n]["owner"] = owner
    names, m = coverage_matrix(_samples(), g)
    assert names == ["x", "y", "z", "w"]  # by class, then name
    assert m[0, 1] == 3 and m[1, 2] == 1 and m.sum() == 4


def test_embedding_dispersion_skips_cleanly_without_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import now raises ImportError
    assert embedding_dispersion(["a b", "c d"]) is None
    assert embedding_dispersion(["just one"]) is None


def test_diversity_row_equal_size_and_missing_text():
    s = _samples()
    g = nx.DiGraph([("x", "y"), ("y", "z"), ("z", "w"), ("w", "x")])
    row = diversity_row(s, g)
    assert row["samples"] == 2 and row["queries"] == 3 and row["distinct_1"] == pytest.approx(1 / 3)
    assert row["self_bleu"] is not None and row["cot_distinct_2"] is None and row["embedding"] is None
    assert row["cots"] == 0
    assert row["node_coverage"] == 0.75 and row["edge_coverage"] == 0.5
    assert row["sequence_entropy"] == pytest.approx(entropy({"xyz": 1, "xy": 2}))
    small = diversity_row(s, g, limit=1, seed=3)
    assert small["samples"] == 1 and small["queries"] == 1
    assert small == diversity_row(s, g, limit=1, seed=3)
    empty = diversity_row([SampleView("e", "hand", (), (TurnView("", ()),))], g)
    assert empty["distinct_1"] is None and empty["tfidf_distance"] is None and empty["tool_entropy"] == 0.0


def test_self_bleu_equals_bleu_against_all_others():
    texts = ["book a flight to rome today", "book a hotel in rome", "a flight to paris , please", "cancel it"]
    tokens = [t.split() for t in texts]
    expected = sum(bleu(tokens[i], tokens[:i] + tokens[i + 1:]) for i in range(4)) / 4
    assert self_bleu(texts, sample=4) == pytest.approx(expected)


def test_diversity_row_measures_cots():
    turns = (TurnView("q one", (), cot="plan a then b"), TurnView("q two", (), cot="plan a then c"))
    row = diversity_row([SampleView("c", "hand", (), turns)], nx.DiGraph([("x", "y")]))
    assert row["cots"] == 2
    assert row["cot_distinct_1"] == pytest.approx(5 / 8) and row["cot_distinct_3"] == pytest.approx(3 / 4)
