"""Diversity of a data set: distinct-n, self-BLEU, TF-IDF distance, tool-use entropies, graph coverage, embeddings."""

from __future__ import annotations

import math
import os
import random
import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np

from fr_core.analysis.views import SampleView

__all__ = [
    "tokenize",
    "distinct_n",
    "bleu",
    "self_bleu",
    "tfidf_distance",
    "entropy",
    "tool_counts",
    "tool_pair_counts",
    "tool_sequence_counts",
    "graph_coverage",
    "coverage_matrix",
    "embedding_dispersion",
    "diversity_row",
]

_TOKEN = re.compile(r"\w+|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Lower-cased words and punctuation marks.

    >>> tokenize("Copy 'a.txt', then ls!")
    ['copy', "'", 'a', '.', 'txt', "'", ',', 'then', 'ls', '!']
    """
    return _TOKEN.findall(text.lower())


def _ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(texts: Iterable[str], n: int, limit: int | None = None) -> float:
    """Distinct n-grams over all n-grams of the corpus (0.0 when there are none); with ``limit``, over its first
    ``limit`` n-grams, so two corpora of different sizes compare at equal size (the share falls as a corpus grows).

    >>> distinct_n(["a b a b"], 1), distinct_n(["a b a b"], 2), distinct_n(["a b a b"], 2, limit=2)
    (0.5, 0.6666666666666666, 1.0)
    """
    grams = [g for t in texts for g in _ngrams(tokenize(t), n)][:limit]
    return len(set(grams)) / len(grams) if grams else 0.0


def _score(candidate: Sequence[str], clip: Callable[[tuple[str, ...]], int], ref_lengths: Sequence[int],
           max_n: int) -> float:
    """BLEU of ``candidate`` given ``clip(gram)``, the largest count of ``gram`` in any one reference."""
    if not candidate or not ref_lengths:
        return 0.0
    log_sum = 0.0
    for n in range(1, max_n + 1):
        cand = Counter(_ngrams(candidate, n))
        hits = sum(min(c, clip(g)) for g, c in cand.items())
        total = sum(cand.values())
        if n == 1:
            if hits == 0:
                return 0.0
            p = hits / total
        else:
            p = (hits + 1) / (total + 1)
        log_sum += math.log(p)
    c = len(candidate)
    r = min(ref_lengths, key=lambda length: (abs(length - c), length))
    bp = 1.0 if c > r else math.exp(1 - r / c)
    return bp * math.exp(log_sum / max_n)


def _gram_counts(tokens: Sequence[str], max_n: int) -> Counter:
    return Counter(g for n in range(1, max_n + 1) for g in _ngrams(tokens, n))


def bleu(candidate: Sequence[str], references: Sequence[Sequence[str]], max_n: int = 4) -> float:
    """Sentence BLEU of tokens against references: clipped n-gram precisions (add-one smoothed for n > 1),
    geometric mean, brevity penalty against the closest reference length.

    >>> bleu("the cat sat on the mat".split(), ["the cat sat on the mat".split()])
    1.0
    >>> round(bleu("a b c d".split(), ["a b x y".split()]), 4)  # (1/2 · 2/4 · 1/3 · 1/2) ** (1/4)
    0.4518
    """
    most: Counter = Counter()
    for ref in references:
        most |= _gram_counts(ref, max_n)  # | keeps the larger count of each n-gram
    return _score(candidate, lambda g: most[g], [len(r) for r in references], max_n)


def self_bleu(texts: Sequence[str], sample: int = 100, seed: int = 0, max_n: int = 4) -> float:
    """Mean BLEU of each of ``sample`` seeded picks against all the other texts (higher: more alike).

    >>> self_bleu(["a b c d", "a b c d"], seed=0)
    1.0
    >>> self_bleu(["a b c d", "w x y z"], seed=0)
    0.0
    """
    tokens = [tokenize(t) for t in texts]
    if len(tokens) < 2:
        return 0.0
    # The two largest counts of each n-gram and who holds the largest: "max over all texts but i" in O(1).
    top: dict[tuple[str, ...], list[int]] = {}
    for i, toks in enumerate(tokens):
        for g, c in _gram_counts(toks, max_n).items():
            best = top.setdefault(g, [0, -1, 0])  # [largest, its text, second largest]
            if c > best[0]:
                best[:] = [c, i, best[0]]
            elif c > best[2]:
                best[2] = c

    def clip_for(i: int) -> Callable[[tuple[str, ...]], int]:
        def clip(g: tuple[str, ...]) -> int:
            best = top[g]
            return best[2] if best[1] == i else best[0]
        return clip

    lengths = [len(t) for t in tokens]
    picks = random.Random(seed).sample(range(len(tokens)), min(sample, len(tokens)))
    scores = [_score(tokens[i], clip_for(i), lengths[:i] + lengths[i + 1:], max_n) for i in picks]
    return sum(scores) / len(scores)


def tfidf_distance(texts: Sequence[str]) -> float:
    """Mean pairwise cosine distance (1 − cosine) between TF-IDF vectors (smooth idf, l2-normalised).

    >>> tfidf_distance(["red car", "red car"])
    0.0
    >>> tfidf_distance(["red car", "blue boat"])
    1.0
    """
    docs = [tokenize(t) for t in texts]
    if len(docs) < 2:
        return 0.0
    vocab = {w: i for i, w in enumerate(sorted({w for d in docs for w in d}))}
    tf = np.zeros((len(docs), len(vocab)))
    for row, doc in enumerate(docs):
        for word, count in Counter(doc).items():
            tf[row, vocab[word]] = count
    df = (tf > 0).sum(axis=0)
    x = tf * (np.log((1 + len(docs)) / (1 + df)) + 1)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    sims = x @ x.T
    n = len(docs)
    mean_sim = (sims.sum() - np.trace(sims)) / (n * (n - 1))
    return float(round(1.0 - mean_sim, 12))


def entropy(counts: Counter | dict[Hashable, int]) -> float:
    """Shannon entropy in bits of a distribution given by counts.

    >>> entropy({"a": 2, "b": 2}), entropy({"a": 5})
    (1.0, 0.0)
    """
    total = sum(counts.values())
    return -sum(c / total * math.log2(c / total) for c in counts.values() if c) + 0.0 if total else 0.0


def tool_counts(samples: Iterable[SampleView]) -> Counter:
    """How often each tool is called.

    >>> from fr_core.analysis.views import example_sample
    >>> tool_counts([example_sample()])["open_folder"]
    1
    """
    return Counter(c.name for s in samples for c in s.calls)


def tool_pair_counts(samples: Iterable[SampleView]) -> Counter:
    """How often each ordered pair of consecutive calls within a round occurs.

    >>> from fr_core.analysis.views import example_sample
    >>> sorted(tool_pair_counts([example_sample()]))
    [('count_words', 'post_update'), ('list_files', 'read_file'), ('open_folder', 'list_files')]
    """
    return Counter((a.name, b.name) for s in samples for t in s.turns for a, b in zip(t.calls, t.calls[1:]))


def tool_sequence_counts(samples: Iterable[SampleView]) -> Counter:
    """How often each round's whole call sequence occurs.

    >>> from fr_core.analysis.views import example_sample
    >>> tool_sequence_counts([example_sample()])[("open_folder", "list_files", "read_file")]
    1
    """
    return Counter(tuple(c.name for c in t.calls) for s in samples for t in s.turns if t.calls)


def graph_coverage(samples: Iterable[SampleView], graph: nx.DiGraph) -> tuple[float, float]:
    """(share of the graph's nodes called, share of its edges walked as consecutive calls within a round).

    >>> from fr_core.analysis.views import example_sample
    >>> g = nx.DiGraph([("open_folder", "list_files"), ("list_files", "read_file"), ("read_file", "count_words"),
    ...                 ("open_folder", "delete_file")])
    >>> graph_coverage([example_sample()], g)
    (0.8, 0.5)
    """
    samples = list(samples)
    nodes = {n for n in tool_counts(samples) if n in graph}
    edges = {p for p in tool_pair_counts(samples) if graph.has_edge(*p)}
    n_share = len(nodes) / graph.number_of_nodes() if graph.number_of_nodes() else 0.0
    e_share = len(edges) / graph.number_of_edges() if graph.number_of_edges() else 0.0
    return n_share, e_share


def coverage_matrix(samples: Iterable[SampleView], graph: nx.DiGraph) -> tuple[list[str], np.ndarray]:
    """Tool names (the graph's nodes, sorted by class then name) and the count matrix of consecutive call pairs
    ``[from, to]`` within a round, for a heat map of how the data walks the graph.

    >>> from fr_core.analysis.views import example_sample
    >>> g = nx.DiGraph([("open_folder", "list_files"), ("list_files", "read_file")])
    >>> names, m = coverage_matrix([example_sample()], g)
    >>> names, m.tolist()
    (['list_files', 'open_folder', 'read_file'], [[0, 0, 1], [1, 0, 0], [0, 0, 0]])
    """
    names = sorted(graph.nodes, key=lambda n: (graph.nodes[n].get("owner", ""), n))
    index = {n: i for i, n in enumerate(names)}
    m = np.zeros((len(names), len(names)), dtype=int)
    for (a, b), count in tool_pair_counts(samples).items():
        if a in index and b in index:
            m[index[a], index[b]] += count
    return names, m


def embedding_dispersion(texts: Sequence[str], model: str = "all-MiniLM-L6-v2") -> float | None:
    """Mean pairwise cosine distance of sentence embeddings, or ``None`` when ``sentence_transformers`` or the
    model is not available locally (nothing is downloaded: offline mode is forced).

    >>> embedding_dispersion(["a"])  # fewer than two texts
    """
    if len(texts) < 2:
        return None
    try:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer  # optional: a large dependency
        vectors = np.asarray(SentenceTransformer(model).encode(list(texts), normalize_embeddings=True))
    except Exception:  # not installed, or the model is not cached locally: the metric is skipped
        return None
    sims = vectors @ vectors.T
    n = len(texts)
    return float(1.0 - (sims.sum() - np.trace(sims)) / (n * (n - 1)))


def diversity_row(samples: Sequence[SampleView], graph: nx.DiGraph, *, limit: int | None = None, seed: int = 0,
                  bleu_sample: int = 100, embeddings: bool = False) -> dict[str, Any]:
    """Every diversity metric of one data set as a flat row.

    Text metrics use the non-empty round queries and CoTs; ``limit`` draws that many queries (and samples, for the
    tool metrics) with ``seed`` so data sets of different sizes are compared at equal size. Metrics of a text kind
    with no texts are ``None``; ``embedding`` is ``None`` unless ``embeddings`` and a local model are available.

    >>> from fr_core.analysis.views import example_sample
    >>> row = diversity_row([example_sample()], nx.DiGraph([("open_folder", "list_files")]))
    >>> row["queries"], row["distinct_1"], row["node_coverage"], row["cot_distinct_2"]
    (2, 0.75, 1.0, None)
    """
    rng = random.Random(seed)
    chosen = list(samples)
    if limit is not None and len(chosen) > limit:
        chosen = rng.sample(chosen, limit)
    queries = [t.query for s in samples for t in s.turns if t.query.strip()]
    if limit is not None and len(queries) > limit:
        queries = rng.sample(queries, limit)
    cots = [t.cot for s in samples for t in s.turns if t.cot.strip()]
    if limit is not None and len(cots) > limit:
        cots = rng.sample(cots, limit)
    nodes, edges = graph_coverage(chosen, graph)
    row: dict[str, Any] = {"samples": len(chosen), "queries": len(queries)}
    for n in (1, 2, 3):
        row[f"distinct_{n}"] = distinct_n(queries, n) if queries else None
    row["self_bleu"] = self_bleu(queries, bleu_sample, seed) if queries else None
    row["tfidf_distance"] = tfidf_distance(queries) if queries else None
    row["cots"] = len(cots)
    for n in (1, 2, 3):
        row[f"cot_distinct_{n}"] = distinct_n(cots, n) if cots else None
    row["tool_entropy"] = entropy(tool_counts(chosen))
    row["pair_entropy"] = entropy(tool_pair_counts(chosen))
    row["sequence_entropy"] = entropy(tool_sequence_counts(chosen))
    row["node_coverage"] = nodes
    row["edge_coverage"] = edges
    row["embedding"] = embedding_dispersion(queries) if embeddings and queries else None
    return row
