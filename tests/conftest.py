"""Suite-wide set-up: probed graphs are cached in a folder of this test session, never in the user's cache."""

from __future__ import annotations

import os

import pytest

from fr_core.graph.cache import CACHE_ENV


@pytest.fixture(scope="session", autouse=True)
def graph_cache(tmp_path_factory):
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # one folder for all workers of the session: entries are written atomically
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(root / "graph-cache")  # subprocesses (CLI, notebooks) inherit it
    yield root / "graph-cache"
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


def pytest_collection_modifyitems(config, items):
    """The ``slow`` tests first (Ray, the browser, the notebooks). ``make test`` hands whole files to its two xdist
    workers in this order (--dist loadfile --no-loadscope-reorder), so the long files start at once instead of leaving
    one worker alone with them at the end; every other test keeps its order (a stable sort)."""
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") else 1)
