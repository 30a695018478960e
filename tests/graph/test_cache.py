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
    build._bfcl_class_edges.cache_clear()
    build._bfcl_class_obstacles.cache_clear()
    yield tmp_path / "graphs"
    build._bfcl_class_edges.cache_clear()
    build._bfcl_class_obstacles.cache_clear()


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
    assert len([*empty_cache.glob("MathAPI-*.bin"), *empty_cache.glob("TicketAPI-*.bin")]) == 4
    build._bfcl_class_edges.cache_clear()
    build._bfcl_class_obstacles.cache_clear()
    assert _graph_json(["TicketAPI", "MathAPI"]) == probed


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
    assert len([*empty_cache.glob("MathAPI-*.bin"), *empty_cache.glob("TicketAPI-*.bin")]) == 4
    again = runner.invoke(app, ["graph", "build", "--env", "MathAPI", "--env", "TicketAPI"])
    assert "nothing (all cached)" in again.output
    bad = runner.invoke(app, ["graph", "build", "--env", "NoSuchAPI"])
    assert bad.exit_code == 2 and "unknown BFCL class 'NoSuchAPI'" in bad.output
