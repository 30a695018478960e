"""Export filters: a contamination guard against BFCL's multi-turn test set (word n-gram overlap of queries,
identical initial configs) and a MinHash near-duplicate filter within a run."""

from __future__ import annotations

import hashlib
import json
import re
from array import array
from dataclasses import dataclass

import numpy as np

from fr_core.errors import ConfigError
from fr_core.types import Trajectory

__all__ = ["Contamination", "ContaminationGuard", "NearDuplicateFilter", "words", "sample_text"]

_WORD = re.compile(r"[a-z0-9_.'/-]+")


def words(text: str) -> list[str]:
    """Lower-case word tokens (file names, ids and paths kept whole)."""
    return _WORD.findall(text.lower())


def sample_text(trajectory: Trajectory) -> str:
    """The text the filters compare: the sample's hard queries, one a line."""
    return "\n".join(r.hard_query.text for r in trajectory.turns if r.hard_query is not None)


def _config_key(cls: str, config: object) -> str:
    return cls + ":" + hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Contamination:
    """The guard's verdict on one sample: the largest share of a query's n-grams found in a BFCL question, the
    BFCL entry it came from, and the classes whose initial state equals a BFCL entry's."""

    flagged: bool
    overlap: float = 0.0
    bfcl_id: str | None = None
    same_config: tuple[str, ...] = ()


class ContaminationGuard:
    """Flags samples whose queries share more than ``threshold`` of their word ``n``-grams with BFCL's multi-turn
    test questions, or whose initial state of some class is identical to a BFCL test entry's.

    BFCL's data serve only as the reference here; nothing is learned from them.
    """

    def __init__(self, n: int = 6, threshold: float = 0.3, categories: tuple[str, ...] | None = None) -> None:
        from fr_core.graph.check import CATEGORIES, load_bfcl_entries

        if n < 2 or not 0.0 < threshold <= 1.0:
            raise ConfigError(f"contamination guard: n must be ≥ 2 and threshold in (0, 1], got n={n}, "
                              f"threshold={threshold}")
        self.n, self.threshold = n, threshold
        self._ngrams: dict[tuple[str, ...], str] = {}
        self._configs: dict[str, str] = {}
        for category in categories or CATEGORIES:
            for entry in load_bfcl_entries(category):
                for turn in entry["question"]:
                    for message in turn:
                        for gram in self._grams(message.get("content", "")):
                            self._ngrams.setdefault(gram, entry["id"])
                for cls, config in (entry.get("initial_config") or {}).items():
                    if config:  # a stateless class's empty config matches everything and means nothing
                        self._configs.setdefault(_config_key(cls, config), entry["id"])

    def _grams(self, text: str) -> set[tuple[str, ...]]:
        tokens = words(text)
        return {tuple(tokens[i:i + self.n]) for i in range(len(tokens) - self.n + 1)}

    def check(self, trajectory: Trajectory) -> Contamination:
        best, best_id = 0.0, None
        for record in trajectory.turns:
            grams = self._grams(record.hard_query.text) if record.hard_query else set()
            if not grams:
                continue
            hits = [self._ngrams[g] for g in grams if g in self._ngrams]
            share = len(hits) / len(grams)
            if share > best:
                best, best_id = share, max(set(hits), key=hits.count)
        same = tuple(cls for cls, config in trajectory.initial_config.items()
                     if config and _config_key(cls, config) in self._configs)
        if same and best_id is None:
            best_id = self._configs[_config_key(same[0], trajectory.initial_config[same[0]])]
        return Contamination(best >= self.threshold or bool(same), round(best, 4), best_id, same)


class NearDuplicateFilter:
    """Streaming MinHash (word 3-gram shingles) with LSH banding: ``is_duplicate(text)`` says whether an earlier
    text had an estimated Jaccard similarity of at least ``threshold``, and remembers this one if not.

    Memory is a 256-byte signature and ``bands`` index entries per kept text (100,000 texts: about 115 MB).
    """

    _PRIME = (1 << 31) - 1

    def __init__(self, threshold: float = 0.9, num_perm: int = 64, bands: int = 8, seed: int = 0) -> None:
        if num_perm % bands:
            raise ConfigError(f"near-duplicate filter: num_perm ({num_perm}) must be a multiple of bands ({bands})")
        rng = np.random.default_rng(seed)
        self.threshold, self.num_perm, self.bands = threshold, num_perm, bands
        self._a = rng.integers(1, self._PRIME, num_perm, dtype=np.uint64)
        self._b = rng.integers(0, self._PRIME, num_perm, dtype=np.uint64)
        # band key -> index of the kept text, or a list of them when texts share a band (rare: lists cost memory)
        self._buckets: dict[int, int | list[int]] = {}
        self._signatures = array("I")
        self.dropped = 0

    def signature(self, text: str) -> np.ndarray:
        tokens = words(text)
        shingles = {" ".join(tokens[i:i + 3]) for i in range(max(1, len(tokens) - 2))}
        x = np.array([int.from_bytes(hashlib.blake2b(s.encode(), digest_size=4).digest(), "little") % self._PRIME
                      for s in shingles], dtype=np.uint64)
        return ((self._a[:, None] * x[None, :] + self._b[:, None]) % self._PRIME).min(axis=1).astype(np.uint32)

    def is_duplicate(self, text: str) -> bool:
        sig = self.signature(text)
        rows = self.num_perm // self.bands
        keys = [hash((band, sig[band * rows:(band + 1) * rows].tobytes())) for band in range(self.bands)]
        for key in keys:
            found = self._buckets.get(key, ())
            for other in (found,) if isinstance(found, int) else found:
                theirs = np.frombuffer(self._signatures, dtype=np.uint32, count=self.num_perm,
                                       offset=other * self.num_perm * 4)
                if float(np.mean(theirs == sig)) >= self.threshold:
                    self.dropped += 1
                    return True
        index = len(self._signatures) // self.num_perm
        self._signatures.extend(sig.tolist())
        for key in keys:
            bucket = self._buckets.get(key)
            if bucket is None:
                self._buckets[key] = index
            elif isinstance(bucket, int):
                self._buckets[key] = [bucket, index]
            else:
                bucket.append(index)
        return False
