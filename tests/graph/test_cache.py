"""The on-disk cache of probed graphs: a hit gives the same graph, anything it depends on changing misses, a damaged
entry is a miss, and ``fr graph build`` warms it."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from typer.testing import CliRunner

from fr_core.cli import app
from fr_core.graph import bfcl_graph
from fr_core.graph import build, cache


@pytest.fixture()
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "graphs"))
    _forget()
    yield tmp_path / "graphs"
    _forget()


def _forget() -> None:
    """Drop what this process keeps of the cache folder, so the next graph reads it again."""
    build._bfcl_class_edges.cache_clear()
    build._bfcl_class_obstacles.cache_clear()
    build._bfcl_class_obstacle_notes.cache_clear()


def _graph_json(classes) -> str:
    return json.dumps(nx.node_link_data(bfcl_graph(classes).output, edges="edges"), sort_keys=True, default=repr)


def _counting(value):
    calls = []

    def compute():
        calls.append(1)
        return value

    return compute, calls


def test_a_graph_read_from_the_cache_is_the_graph_probed(empty_cache):
    probed = _graph_json(["TicketAPI", "MathAPI"])
    # per class: edge evidence, obstacle paths, and the obstacle notes a warm start reads instead of the paths
    assert len([*empty_cache.glob("MathAPI-*.bin"), *empty_cache.glob("TicketAPI-*.bin")]) == 6
    _forget()
    assert _graph_json(["TicketAPI", "MathAPI"]) == probed


def test_obstacle_notes_write_what_the_paths_write(empty_cache, monkeypatch):
    """A warm start writes the cached notes; a graph annotated from the obstacle paths themselves is the same."""
    from fr_core.graph.obstacles import annotate_obstacles

    classes = ["TradingBot", "VehicleControlAPI"]
    from_notes = bfcl_graph(classes).output
    paths = [p for c in classes for p in build._bfcl_class_obstacles(c)]
    monkeypatch.setattr(build, "apply_obstacle_notes", lambda g, notes: annotate_obstacles(g, paths))
    from_paths = bfcl_graph(classes).output
    assert json.dumps(nx.node_link_data(from_notes, edges="edges"), default=repr) \
        == json.dumps(nx.node_link_data(from_paths, edges="edges"), default=repr)
    assert any("blocked_when" in d for d in from_notes.nodes.values())  # both kinds of note are there
    assert any("clears" in d for *_, d in from_notes.edges(data=True))
    monkeypatch.undo()
    # notes kept for several graphs are copied into each: editing one graph leaves the next one as it was
    node = next(v for v, d in from_notes.nodes.items() if "blocked_when" in d)
    from_notes.nodes[node]["blocked_when"][0]["values"].clear()
    assert bfcl_graph(classes).output.nodes[node]["blocked_when"][0]["values"]


def test_a_changed_parameter_or_class_source_misses(empty_cache, monkeypatch):
    compute, calls = _counting(({"u": "a", "v": ("b", 1)},))
    assert cache.cached("edges", "MathAPI", {"seeds": (0, 1)}, compute) == ({"u": "a", "v": ("b", 1)},)
    assert cache.cached("edges", "MathAPI", {"seeds": (0, 1)}, compute) == ({"u": "a", "v": ("b", 1)},)
    assert len(calls) == 1
    cache.cached("edges", "MathAPI", {"seeds": (0, 2)}, compute)
    assert len(calls) == 2
    monkeypatch.setattr(cache, "_class_source", lambda cls: "another version of the class")
    cache.cached("edges", "MathAPI", {"seeds": (0, 1)}, compute)
    assert len(calls) == 3


@pytest.mark.parametrize("damage", [b"", b"not a cache file", None])
def test_a_damaged_entry_is_a_miss_and_is_rewritten(empty_cache, damage):
    compute, calls = _counting((1, 2, 3))
    cache.cached("obstacles", "TicketAPI", {}, compute)
    (entry,) = empty_cache.glob("TicketAPI-obstacles-*.bin")
    blob = entry.read_bytes()
    entry.write_bytes(blob[:-5] if damage is None else damage)  # None: cut short
    assert cache.cached("obstacles", "TicketAPI", {}, compute) == (1, 2, 3)
    assert len(calls) == 2
    assert entry.read_bytes() == blob
    assert not list(empty_cache.glob(".tmp*"))


def test_the_cache_folder_follows_xdg_unless_overridden(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "funreason-mt" / "graphs"
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"


def test_fr_graph_build_probes_in_parallel_then_finds_everything_cached(empty_cache):
    runner = CliRunner()
    first = runner.invoke(app, ["graph", "build", "--env", "MathAPI", "--env", "TicketAPI", "--jobs", "2"])
    assert first.exit_code == 0, first.output
    assert "probed MathAPI, TicketAPI" in first.output
    assert len([*empty_cache.glob("MathAPI-*.bin"), *empty_cache.glob("TicketAPI-*.bin")]) == 6
    again = runner.invoke(app, ["graph", "build", "--env", "MathAPI", "--env", "TicketAPI"])
    assert "nothing (all cached)" in again.output
    bad = runner.invoke(app, ["graph", "build", "--env", "NoSuchAPI"])
    assert bad.exit_code == 2 and "unknown BFCL class 'NoSuchAPI'" in bad.output
