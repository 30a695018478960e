"""Measure G against BFCL v3 multi-turn ground truth: legality of each call, recall of call pairs, density.

BFCL's questions and answers are for measuring only: nothing here feeds back into how G is built.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, TypedDict

import networkx as nx

from fr_core.envs.bfcl import BFCL_CLASSES, make_bfcl_env
from fr_core.errors import ConfigError, ParseError
from fr_core.graph.build import bfcl_graph
from fr_core.graph.model import class_density, is_legal
from fr_core.types import StepResult

__all__ = ["CATEGORIES", "CheckTrace", "GraphCheck", "load_bfcl_entries", "class_combinations", "check_graph"]

CATEGORIES = ("base", "miss_func", "miss_param", "long_context")


def load_bfcl_entries(category: str = "base") -> list[dict[str, Any]]:
    """BFCL v3 multi-turn entries of a category with their ``ground_truth`` call strings attached."""
    if category not in CATEGORIES:
        raise ConfigError(f"unknown multi-turn category '{category}'; choose one of {', '.join(CATEGORIES)}")
    data = resources.files("bfcl_eval") / "data"
    name = f"BFCL_v4_multi_turn_{category}.json"
    entries = [json.loads(line) for line in (data / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    answers = {}
    for line in (data / "possible_answer" / name).read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            answers[item["id"]] = item["ground_truth"]
    for entry in entries:
        entry["ground_truth"] = answers.get(entry["id"], [])
    return entries


def class_combinations(category: str = "base") -> list[str]:
    """The multi-class environments of a category (``"A+B"``, in first-seen order): only ``involved_classes`` is
    read."""
    combos = {"+".join(e["involved_classes"]): None for e in load_bfcl_entries(category)}
    return [c for c in combos if "+" in c]


@dataclass
class GraphCheck:
    """The figures of one check, and the misses behind them (to inspect, not to tune on)."""

    category: str
    calls: int = 0
    legal: int = 0
    pairs: int = 0
    pairs_recalled: int = 0
    unparsed: int = 0
    density: dict[str, float] = field(default_factory=dict)
    illegal_examples: list[str] = field(default_factory=list)
    missed_pairs: dict[str, int] = field(default_factory=dict)

    @property
    def legality(self) -> float:
        return self.legal / self.calls if self.calls else 0.0

    @property
    def pair_recall(self) -> float:
        return self.pairs_recalled / self.pairs if self.pairs else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, "calls": self.calls, "legality": round(self.legality, 4),
                "pairs": self.pairs, "pair_recall": round(self.pair_recall, 4), "unparsed": self.unparsed,
                "density": {k: round(v, 4) for k, v in self.density.items()}}


def _recalled(g: nx.DiGraph, x: str, y: str) -> bool:
    if g.has_edge(x, y):
        return True
    return any(g.has_edge(z, y) for z in g.successors(x))


@lru_cache(maxsize=64)
def _graph_for(classes: tuple[str, ...]) -> nx.DiGraph:
    return bfcl_graph(classes).output


class CheckTrace(TypedDict):
    """How a graph check went: the BFCL entries it replayed."""

    entries: int


def check_graph(category: str = "base", limit: int | None = None) -> StepResult[GraphCheck, CheckTrace]:
    """Replay each entry's ground truth in its own environment and score G's legality and pair recall."""
    from fr_core.llm.parsing import parse_python_calls

    result = GraphCheck(category)
    entries = load_bfcl_entries(category)[:limit]
    for entry in entries:
        classes = tuple(c for c in entry["involved_classes"] if c in BFCL_CLASSES)
        config = {c: v for c, v in entry.get("initial_config", {}).items() if c in classes}
        env = make_bfcl_env(classes, config, long_context=category == "long_context")
        g = _graph_for(classes)
        specs = {s.name: s for s in env.tools()}
        called: set[str] = set()
        for turn in entry["ground_truth"]:
            previous = None
            for text in turn:
                try:
                    calls = parse_python_calls(text, specs)
                except ParseError:
                    result.unparsed += 1
                    continue
                for call in calls:
                    if call.name not in g:
                        result.unparsed += 1
                        continue
                    ok, reason = is_legal(g, call.name, called, env)
                    result.calls += 1
                    result.legal += ok
                    if not ok and len(result.illegal_examples) < 20:
                        result.illegal_examples.append(f"{entry['id']}: {call.to_python()} — {reason}")
                    env.execute(call)
                    called.add(call.name)
                    if previous is not None and previous != call.name:
                        result.pairs += 1
                        if _recalled(g, previous, call.name):
                            result.pairs_recalled += 1
                        else:
                            key = f"{previous}→{call.name}"
                            result.missed_pairs[key] = result.missed_pairs.get(key, 0) + 1
                    previous = call.name
    for cls in BFCL_CLASSES:
        result.density[cls] = class_density(_graph_for((cls,)))[cls]
    return StepResult(result, CheckTrace(entries=len(entries)))
