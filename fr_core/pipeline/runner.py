"""The batch runner: ``generate_sample`` with a bounded number in flight, each sample stored in one transaction
under an id from the run seed and its index, so a killed run resumes losing and duplicating nothing; a sample past
its time limit is stored as failed and never holds up the run."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import networkx as nx

from fr_core.agents import AgentSet, make_agents
from fr_core.envs import BFCL_CLASSES
from fr_core.errors import ConfigError, FrError
from fr_core.llm import Accounting, LLMCache
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.generate import code_version, generate_sample
from fr_core.pipeline.variants import choose_variant, make_variant, with_variant
from fr_core.store import Store
from fr_core.types import Deadline

__all__ = ["BatchProgress", "env_for", "build_agents", "run_batch"]


@dataclass
class BatchProgress:
    """Counts so far (including samples stored before a resume), LLM usage, and what the runner is doing."""

    run_id: str
    total: int
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    skipped: int = 0  # stored before this invocation (resume)
    started: float = field(default_factory=time.perf_counter)
    llm_calls: int = 0
    cost_usd: float = 0.0
    interrupted: bool = False

    @property
    def done(self) -> int:
        return self.accepted + self.rejected + self.failed

    @property
    def rate(self) -> float:
        """Samples a second produced by this invocation."""
        elapsed = time.perf_counter() - self.started
        return (self.done - self.skipped) / elapsed if elapsed > 0 else 0.0


def env_for(config: RunConfig, idx: int) -> str:
    """The environment spec of sample ``idx``: drawn from ``config.generate.envs`` by the run seed and the index."""
    envs = config.generate.envs
    return envs[random.Random(f"{config.run.seed}:{idx}").randrange(len(envs))]


def build_agents(config: RunConfig, db_path: str, accounting: Accounting) -> AgentSet:
    """The four roles of the run: offline heuristics, or LLM agents caching their calls in the run's database."""
    if config.agents.profile == "offline":
        return make_agents("offline", mistake_rate=config.agents.mistake_rate)
    cache = None if config.llm.cache_mode == "off" else LLMCache(db_path, config.llm.cache_mode)
    return make_agents(config.agents.profile, cache=cache, accounting=accounting,
                       profiles_path=config.llm.profiles)


def _graphs(config: RunConfig) -> dict[str, nx.DiGraph]:
    """The API graph of every BFCL spec of the config, built once and shared (read-only) by all samples."""
    from fr_core.graph import bfcl_graph
    from fr_core.graph.build import warm_bfcl_graphs

    specs = {spec: [c.strip() for c in spec.split("+")] for spec in config.generate.envs}
    specs = {spec: classes for spec, classes in specs.items() if all(c in BFCL_CLASSES for c in classes)}
    warm_bfcl_graphs(c for classes in specs.values() for c in classes)  # uncached classes probed in parallel
    return {spec: bfcl_graph(classes).output for spec, classes in specs.items()}


def _one(config: RunConfig, agents: AgentSet, graphs: dict[str, nx.DiGraph], idx: int) -> tuple[Any, ...]:
    spec, g = env_for(config, idx), config.generate
    kind = choose_variant(g.variants, config.run.seed, idx) if g.variants else None
    started = time.perf_counter()
    # Set here, where the sample starts (a thread, or a Ray worker with its own clock), not when it was submitted.
    deadline = Deadline.after(g.sample_timeout_s)
    try:
        result = generate_sample(spec, graphs.get(spec), g.rounds, g.calls, agents, config.run.seed, index=idx,
                                 k_max=g.k_max, noise=g.noise, size="large" if kind == "long_context" else g.size,
                                 strategy=g.strategy, error_share=g.error_share, leak_retries=g.leak_retries,
                                 deadline=deadline)
        trajectory = result.output
        variant = make_variant(trajectory, kind, config.run.seed) if kind and trajectory.status == "accepted" else None
        if variant is not None:
            trajectory = with_variant(trajectory, variant)
        return idx, trajectory, result.trace, None, time.perf_counter() - started
    except FrError as exc:
        return idx, None, None, f"{type(exc).__name__}: {exc}", time.perf_counter() - started
    except Exception as exc:  # noqa: BLE001 - a bug in one sample must not lose the rest of a long batch
        return idx, None, None, f"internal error {type(exc).__name__}: {exc}", time.perf_counter() - started


def _in_thread(fn: Callable[..., Any], *args: Any) -> Future:
    """``fn(*args)`` in a new daemon thread. Unlike a pool worker, a thread the runner gives up on takes no slot
    from the samples after it and does not keep the process alive at exit (``ThreadPoolExecutor`` joins its
    workers then)."""
    future: Future = Future()
    future.set_running_or_notify_cancel()

    def work() -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the runner through the future
            future.set_exception(exc)

    threading.Thread(target=work, name="fr-sample", daemon=True).start()
    return future


def run_batch(store: Store, config: RunConfig | None = None, n_samples: int | None = None, *,
              resume: str | None = None, concurrency: int | None = None,
              on_progress: Callable[[BatchProgress], None] | None = None,
              stop: threading.Event | None = None, executor: str = "local",
              ray_address: str | None = None, sample_timeout: float | None = None) -> BatchProgress:
    """Generate a run's samples into ``store``; returns the final counts.

    A new run needs ``config``; ``resume=RUN_ID`` continues a stored run with its stored config and seed, skipping
    the indices already stored (``n_samples`` may raise its target). Ctrl-C (or setting ``stop``) lets the samples
    in flight finish and be stored, marks the run ``interrupted`` and returns with ``interrupted=True``.
    ``executor="ray"`` runs the same per-sample step as Ray tasks (on ``ray_address``, or a local Ray runtime);
    this process still writes every result.

    A sample gets ``generate.sample_timeout_s`` seconds (``sample_timeout`` overrides it for this invocation, like
    ``concurrency``; 0 = no limit): it checks its deadline before each round and role call and stops with a
    ``SampleTimeout``. A local sample that does not return within the limit plus 10% and 5 s (a call that never
    answers) is stored as failed and abandoned: its daemon thread runs on unseen until it ends or the process exits.
    """
    if executor not in ("local", "ray"):
        raise ConfigError(f"unknown executor {executor!r}; use 'local' or 'ray'")
    if executor == "ray":
        from fr_core.pipeline.ray_executor import require_ray

        require_ray()
    if resume:
        run = store.get_run(resume)
        config = RunConfig.from_dict(run.config, f"stored config of run {resume}")
    elif config is None:
        raise ConfigError("run_batch: give a config for a new run, or resume=RUN_ID")
    if sample_timeout is not None:
        data = config.model_dump()
        data["generate"]["sample_timeout_s"] = sample_timeout
        config = RunConfig.from_dict(data, "--sample-timeout")
    if resume:
        run_id, total = resume, max(run.n_samples, n_samples or 0)
        if total != run.n_samples:
            store.set_run_target(run_id, total)
        store.set_run_status(run_id, "running")
    else:
        total = n_samples or config.run.samples
        run_id = store.create_run(config.model_dump(), config.run.seed, total, code_version=code_version())
    width = concurrency or config.run.concurrency
    progress = BatchProgress(run_id, total)
    for status in ("accepted", "rejected", "failed"):
        setattr(progress, status, store.count_samples(run_id, status))
    progress.skipped = progress.done
    done = store.done_indices(run_id)
    todo = iter([i for i in range(total) if i not in done])
    accounting = Accounting()
    pool: Any = None
    if executor == "ray":
        from fr_core.pipeline.ray_executor import RayPool

        pool = RayPool(config, accounting, ray_address)
        submit = pool.submit
    else:
        agents, graphs = build_agents(config, str(store.path), accounting), _graphs(config)
        submit = partial(_in_thread, _one, config, agents, graphs)
    # The watchdog, for a sample stuck where it cannot check its deadline. Only local samples: they start when
    # submitted, while a Ray task may wait in the cluster's queue (Ray samples keep their own deadline).
    timeout = config.generate.sample_timeout_s
    watchdog = timeout * 1.1 + 5 if timeout and executor == "local" else None
    stop = stop or threading.Event()
    started = time.perf_counter()
    if on_progress:
        on_progress(progress)

    def record(idx: int, trajectory: Any, trace: Any, error: str | None, seconds: float) -> None:
        store.add_sample(run_id, idx, trajectory, error=error, seconds=seconds, trace=trace)
        status = trajectory.status if trajectory is not None else "failed"
        setattr(progress, status, getattr(progress, status) + 1)
        totals = accounting.totals()
        progress.llm_calls, progress.cost_usd = totals.requests, totals.cost_usd
        if on_progress:
            on_progress(progress)

    running: dict[Future, tuple[int, float]] = {}  # sample in flight -> its index and time.monotonic() at submission

    def collect() -> None:
        """Record the samples that finish within half a second, and the ones past the watchdog as failed."""
        finished, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
        for future in finished:
            del running[future]
            record(*future.result())
        if watchdog is None:
            return
        now = time.monotonic()
        for future, (idx, since) in list(running.items()):
            if now - since > watchdog:
                del running[future]  # so a result it hands back later is never recorded
                record(idx, None, None, f"SampleTimeout: timed out after {now - since:.0f} s in a worker that did not "
                       f"return (limit {timeout:g} s: generate.sample_timeout_s or --sample-timeout); the worker "
                       "thread is abandoned", now - since)

    outcome = "done"
    try:
        while not stop.is_set():
            for idx in todo:
                running[submit(idx)] = (idx, time.monotonic())
                if len(running) >= width:
                    break
            if not running:
                break
            collect()
    except KeyboardInterrupt:
        stop.set()
    except BaseException:
        outcome = "failed"
        raise
    finally:
        # Samples in flight finish (or pass the watchdog) and are stored; those not started stay for --resume.
        while running:
            collect()
        if pool is not None:
            pool.shutdown()
        progress.interrupted = stop.is_set() and progress.done < total
        if outcome == "done" and progress.done < total:
            outcome = "interrupted"
        store.finish_run(run_id, outcome, timings={"wall_s": round(time.perf_counter() - started, 3)},
                         usage=asdict(accounting.totals()))
    return progress
