"""Data set helpers for pages: load a stored run's trajectories (cached), filter them, chart them with plotly."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import plotly.express as px
import streamlit as st

from fr_core.analysis import complexity_rows, tool_counts, view_trajectory
from fr_core.envs import BFCL_CLASSES, bfcl_tool_specs
from fr_core.review import load_current
from fr_core.serialize import to_dict
from fr_core.store import DEFAULT_DB, Store
from fr_core.types import Trajectory

__all__ = ["CHART_LIMIT", "stamp", "store_path",
           "stored_runs", "stored_rows", "stored_trajectory", "stored_trajectories",
           "filter_rows", "uses_tool", "attempts_figure", "calls_figure", "coverage_figure", "to_jsonl"]


def store_path() -> Path:
    """``FR_STORE`` if set, else the default ``runs/workbench.db`` under the current folder."""
    return Path(os.environ.get("FR_STORE", DEFAULT_DB))


def stamp(path: Path) -> float:
    """A number that changes whenever the store file is written (its and its WAL's modification times)."""
    return sum(p.stat().st_mtime_ns for p in (path, Path(f"{path}-wal")) if p.exists())


@st.cache_data(show_spinner=False, ttl=5)
def _runs(path: str, version: float) -> list[dict[str, Any]]:
    store = Store(path)
    try:
        return [{"run": s.run.id, "status": s.run.status, "samples": s.stored, "accepted": s.accepted,
                 "rejected": s.rejected, "failed": s.failed, "cost $": round(s.cost_usd, 4),
                 "created": s.run.created} for s in store.list_runs()]
    finally:
        store.close()


def stored_runs(path: Path) -> list[dict[str, Any]]:
    """Summary rows of the runs in an existing store (newest first); an absent file has none (and is not created)."""
    if not path.exists():
        return []
    return sorted(_runs(str(path), stamp(path)), key=lambda r: -r["created"])


CHART_LIMIT = 300  # trajectories loaded for a stored run's charts: the page stays fast on a 10,000-sample store


@st.cache_data(show_spinner="Reading the run's samples…", max_entries=8)
def _rows(path: str, run_id: str, version: float) -> list[dict[str, Any]]:
    store = Store(path)
    try:
        return [{"sample": r.id, "status": r.status, "env": "+".join(r.classes), "turns": r.n_turns,
                 "attempts": r.n_attempts, "cost $": round(r.cost_usd, 5), "seconds": round(r.seconds, 3),
                 "error": r.error or ""} for r in store.iter_samples(run_id, with_trajectory=False)]
    finally:
        store.close()


def stored_rows(path: Path, run_id: str) -> list[dict[str, Any]]:
    """Summary rows of a stored run's samples (no trajectories loaded), cached until the store changes."""
    return _rows(str(path), run_id, stamp(path))


@st.cache_data(show_spinner=False, max_entries=2048)
def _trajectory(path: str, sid: str, version: float) -> Trajectory | None:
    store = Store(path)
    try:
        return None if store.get_sample(sid).data is None else load_current(store, sid)
    finally:
        store.close()


def stored_trajectory(path: Path, sid: str) -> Trajectory | None:
    """One stored sample's trajectory as it now stands, reviewers' revisions applied (``None`` for a failure stored
    without one); cached until the store changes."""
    return _trajectory(str(path), sid, stamp(path))


def stored_trajectories(path: Path, sample_ids: Iterable[str], limit: int = CHART_LIMIT) -> list[Trajectory]:
    """The trajectories of the first ``limit`` of ``sample_ids`` (for charts)."""
    out = []
    for sid in list(sample_ids)[:limit]:
        t = stored_trajectory(path, sid)
        if t is not None:
            out.append(t)
    return out


def filter_rows(rows: Iterable[dict[str, Any]], statuses: Sequence[str], envs: Sequence[str],
                min_attempts: int) -> list[dict[str, Any]]:
    """Rows with one of ``statuses`` and ``envs`` and at least ``min_attempts`` attempts."""
    return [r for r in rows if r["status"] in statuses and r["env"] in envs and r["attempts"] >= min_attempts]


def uses_tool(t: Trajectory, tool: str) -> bool:
    """Whether any round of ``t`` calls ``tool``."""
    return any(c.name == tool for r in t.turns for c in r.turn.calls)


def attempts_figure(samples: Sequence[Trajectory]) -> Any:
    """Histogram of the attempt each refined turn passed at (``dropped`` when none passed)."""
    labels = [str(r.outcome.passed_index + 1) if r.outcome.accepted else "dropped"
              for t in samples for r in t.turns if r.outcome]
    counts = Counter(labels)
    order = sorted((k for k in counts if k != "dropped"), key=int) + (["dropped"] if "dropped" in counts else [])
    return px.bar(x=order, y=[counts[k] for k in order], labels={"x": "passed at attempt", "y": "turns"},
                  title="Attempts needed per turn")


def calls_figure(samples: Sequence[Trajectory]) -> Any:
    """Histogram of calls per turn (and the complexity rows' calls per sample in the hover)."""
    rows = complexity_rows([view_trajectory(t) for t in samples])
    per_turn = [len(r.turn.calls) for t in samples for r in t.turns]
    fig = px.histogram(x=per_turn, labels={"x": "calls per turn"}, title="Calls per turn")
    fig.update_layout(yaxis_title="turns", bargap=0.1)
    fig.add_annotation(text=f"{sum(r['calls'] for r in rows)} calls in {len(rows)} samples", showarrow=False,
                       xref="paper", yref="paper", x=1, y=1.08)
    return fig


def coverage_figure(samples: Sequence[Trajectory]) -> Any:
    """Calls per tool over the samples, every tool of their classes included (zero bars show gaps)."""
    counts = tool_counts([view_trajectory(t) for t in samples])
    classes = sorted({c for t in samples for c in t.classes})
    owners = {s.name: c for c in classes if c in BFCL_CLASSES for s in bfcl_tool_specs(c)}
    owners.update({n: "other" for n in counts if n not in owners})
    names = sorted(owners, key=lambda n: (owners[n], -counts.get(n, 0), n))
    covered = sum(1 for n in names if counts.get(n))
    return px.bar(x=names, y=[counts.get(n, 0) for n in names], color=[owners[n] for n in names],
                  labels={"x": "tool", "y": "calls", "color": "class"},
                  title=f"Tool coverage: {covered}/{len(names)} tools used")


def to_jsonl(samples: Iterable[Trajectory]) -> str:
    """The samples as JSON lines (``fr_core.serialize.to_dict``)."""
    return "".join(json.dumps(to_dict(t), ensure_ascii=False, default=str) + "\n" for t in samples)
