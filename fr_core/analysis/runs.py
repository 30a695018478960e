"""Small seeded data sets for the analysis notebooks: a generated or stored run, the sampler baselines, BFCL v3 base.
The pipeline, the agents and the store are imported only when used."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx

from fr_core.analysis.views import SampleView, view_bfcl_entry, view_trajectory, view_turns
from fr_core.envs.bfcl import BFCL_CLASSES, make_bfcl_env
from fr_core.envs.bfcl.states import generate_initial_config
from fr_core.graph import bfcl_graph
from fr_core.graph.check import load_bfcl_entries
from fr_core.sampling import call_failed, sample_episode
from fr_core.types import Trajectory

__all__ = [
    "AnalysisData",
    "GeneratedViews",
    "analysis_data",
    "bfcl_class_sets",
    "bfcl_views",
    "class_graph",
    "generate_run",
    "generated_views",
    "pipeline_available",
    "sampler_views",
    "stored_views",
    "trajectory_views",
]


@lru_cache(maxsize=64)
def class_graph(classes: tuple[str, ...]) -> nx.DiGraph:
    """The API graph of an environment made of ``classes`` (cached, so shared: read it, do not edit it)."""
    return bfcl_graph(list(classes)).output


def bfcl_class_sets(category: str = "base") -> list[tuple[str, ...]]:
    """The class set of each BFCL v3 entry of ``category``, in entry order (the mix a run imitates)."""
    return [tuple(c for c in e["involved_classes"] if c in BFCL_CLASSES) for e in load_bfcl_entries(category)]


def bfcl_views(category: str = "base", limit: int | None = None) -> list[SampleView]:
    """Views of BFCL v3 multi-turn entries (measuring only: nothing generated is derived from them)."""
    return [view_bfcl_entry(e, source=f"BFCL v3 {category}") for e in load_bfcl_entries(category)[:limit]]


def pipeline_available() -> bool:
    """Whether ``fr_core.pipeline.generate_sample`` and the offline agents can be imported here."""
    try:
        from fr_core.agents import make_agents  # noqa: F401
        from fr_core.pipeline import generate_sample  # noqa: F401
    except ImportError:
        return False
    return True


def generate_run(class_sets: Iterable[Sequence[str]], seed: int = 0, *, rounds: int = 3, calls: int = 4,
                 noise: float = 0.5) -> list[Trajectory]:
    """One sample per class set with ``generate_sample`` and the offline agents; sample ``i`` has index ``i``."""
    from fr_core.agents import make_agents
    from fr_core.pipeline import generate_sample

    agents = make_agents("offline")
    return [generate_sample(list(cs), class_graph(tuple(cs)), rounds, calls, agents, seed, index=i,
                            noise=noise).output for i, cs in enumerate(class_sets)]


def trajectory_views(trajectories: Iterable[Trajectory], *, query: str = "hard", source: str = "generated",
                     accepted_only: bool = True) -> list[SampleView]:
    """Views of trajectories (by default only the accepted ones: those are the data set)."""
    return [view_trajectory(t, query=query, source=source) for t in trajectories
            if t.status == "accepted" or not accepted_only]


def sampler_views(class_sets: Iterable[Sequence[str]], seed: int = 0, *, policy: str = "random", rounds: int = 3,
                  calls: int = 4, noise: float = 0.5, queries: str | None = "hard",
                  source: str | None = None) -> list[SampleView]:
    """Phase I episodes (``policy`` "random" is the random-walk baseline), one per class set, seed ``seed + i``.

    With ``queries`` ("hard" or "easy") and the offline agents importable, each turn gets its query from the same
    A_T and A_Q as the pipeline, without the refine loop; otherwise the turns have no query text.
    """
    agents = None
    if queries is not None:
        try:
            from fr_core.agents import make_agents

            agents = make_agents("offline")
        except ImportError:
            agents = None
    out = []
    for i, cs in enumerate(class_sets):
        cs = tuple(cs)
        graph = class_graph(cs)
        s = seed + i
        env = make_bfcl_env(cs, generate_initial_config(cs, s))
        tools = tuple(env.tools())
        turns = sample_episode(env, graph, rounds=rounds, calls=calls, seed=s, policy=policy,
                               diff_state=False).output
        texts = None
        if agents is not None:
            texts = []
            for r, turn in enumerate(turns):
                if not any(not st.deliberate_error and not call_failed(st.result) for st in turn.steps):
                    texts.append("")
                    continue
                adv = agents.tooling.abstract(turn, tools, graph, r).output
                texts.append(agents.querying.write(adv, tools, hard=queries == "hard", noise=noise,
                                                   seed=s * 31 + r).output.text)
        out.append(view_turns(turns, cs, sample_id=f"{policy}-{s}", source=source or f"{policy} walk",
                              queries=texts))
    return out


@dataclass(frozen=True)
class GeneratedViews:
    """A generated data set seen with its hard and with its easy queries, and how it was made (for the reader)."""

    hard: list[SampleView]
    easy: list[SampleView]
    how: str
    trajectories: list[Trajectory]


def _views_of(trajectories: list[Trajectory], origin: str, total: int, accepted: int,
              accepted_only: bool) -> GeneratedViews:
    hard = trajectory_views(trajectories, accepted_only=accepted_only)
    easy = trajectory_views(trajectories, query="easy", source="easy queries", accepted_only=accepted_only)
    kept = "accepted" if accepted_only else "all"
    how = f"{origin}: {total} samples, {accepted} accepted; {kept} samples are analysed"
    return GeneratedViews(hard, easy, how, trajectories)


def generated_views(class_sets: Sequence[Sequence[str]], seed: int = 0, *, rounds: int = 3, calls: int = 4,
                    noise: float = 0.5, accepted_only: bool = True) -> GeneratedViews:
    """The generated data set: the full pipeline with offline agents when importable, else directed sampler episodes
    with the offline A_T/A_Q queries if those import, else bare episodes; ``how`` says which it was."""
    if pipeline_available():
        run = generate_run(class_sets, seed, rounds=rounds, calls=calls, noise=noise)
        origin = "the full pipeline (`generate_sample`, offline heuristic agents, Phases I→III)"
        return _views_of(run, origin, len(run), sum(t.status == "accepted" for t in run), accepted_only)
    common: dict[str, Any] = dict(policy="directed", rounds=rounds, calls=calls, noise=noise)
    hard = sampler_views(class_sets, seed, source="generated", **common)
    easy = sampler_views(class_sets, seed, queries="easy", source="easy queries", **common)
    texts = any(t.query for v in hard for t in v.turns)
    how = (f"**directed sampler episodes only** (`fr_core.pipeline` is not importable here): {len(hard)} episodes, "
           + ("queries from the offline A_T/A_Q without the refine loop" if texts else "without queries"))
    return GeneratedViews(hard, easy, how, [])


def stored_views(db: str | Path, run_id: str | None = None, *, accepted_only: bool = True) -> GeneratedViews | None:
    """The samples of run ``run_id`` (default: the newest run) of the store at ``db``, or ``None`` when the file does
    not exist or holds no such run with samples (the file is never created here)."""
    if not db or not Path(db).is_file():
        return None
    from fr_core.store import Store

    with Store(db) as store:
        runs = [r for r in store.runs() if run_id in (None, r.id)]
        if not runs:
            return None
        run = runs[0]
        total, accepted = store.count_samples(run.id), store.count_samples(run.id, "accepted")
        rows = store.iter_samples(run.id, "accepted" if accepted_only else None)
        trajectories = [t for t in (row.trajectory for row in rows) if t is not None]
    if not trajectories:
        return None
    return _views_of(trajectories, f"run `{run.id}` of the store `{db}`", total, accepted, accepted_only)


@dataclass(frozen=True)
class AnalysisData:
    """What both notebooks compare: the generated data (hard and easy queries), the directed and random walks and
    BFCL v3 base, over BFCL base's class mix, with the API graph of each class set."""

    class_sets: list[tuple[str, ...]]
    generated: GeneratedViews
    directed_walk: list[SampleView]
    random_walk: list[SampleView]
    bfcl: list[SampleView]
    graphs: dict[tuple[str, ...], nx.DiGraph]


def analysis_data(seed: int = 0, *, repeats: int = 2, db: str | Path | None = None, stride: int = 1) -> AnalysisData:
    """The newest run of the store ``db`` when there is one, else ``repeats`` generated samples per class set of BFCL
    base; the walks get one episode per class set (seeds ``seed + i``). ``stride`` > 1 takes the class set of every
    ``stride``-th BFCL base entry only (a quicker, smaller look; BFCL base itself is always measured whole)."""
    if repeats < 1 or stride < 1:
        raise ValueError(f"repeats and stride must be at least 1, not {repeats} and {stride}")
    class_sets = bfcl_class_sets("base")[::stride]
    generated = stored_views(db) if db else None
    generated = generated or generated_views(class_sets * repeats, seed)
    # A stored run may use the user's own environments: those have no BFCL graph here (their depth stays None).
    used = set(class_sets) | {v.classes for v in generated.hard if all(c in BFCL_CLASSES for c in v.classes)}
    return AnalysisData(
        class_sets,
        generated,
        sampler_views(class_sets, seed, policy="directed", source="directed walk"),
        sampler_views(class_sets, seed, policy="random", source="random walk"),
        bfcl_views("base"),
        {cs: class_graph(cs) for cs in sorted(used)},
    )
