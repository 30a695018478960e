"""The batch runner: ``generate_sample`` with a bounded number in flight, each sample stored in one transaction
under an id from the run seed and its index, so a killed run resumes losing and duplicating nothing; a sample that
fails in any way, or passes its time limit, is stored as failed with its reason and never holds up the run."""

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
from fr_core.errors import ConfigError, FrError, LLMTransportError, SampleTimeout
from fr_core.llm import Accounting, LLMCache, build_client
from fr_core.llm.loop import CallLoop, LoopClient, calls_until
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.generate import code_version, generate_sample
from fr_core.pipeline.variants import choose_variant, make_variant, with_variant
from fr_core.store import MAX_SAMPLES, Store, lease_owner
from fr_core.types import Deadline, Trajectory

__all__ = ["BatchProgress", "env_for", "build_agents", "check_envs", "config_samples", "failure_kind", "run_batch"]

#: Seconds a runner's lease on a sample in flight lasts without renewal (a runner renews it twice a second).
LEASE_S = 60.0
_INTERNAL = "internal error"


@dataclass
class BatchProgress:
    """Counts so far (including samples stored before a resume), LLM usage, and what the runner is doing."""

    run_id: str
    total: int
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    transport_failed: int = 0  # of ``failed``: the model server gave no usable answer (not the model's doing)
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


def build_agents(config: RunConfig, db_path: str, accounting: Accounting, loop: CallLoop | None = None) -> AgentSet:
    """The four roles of the run: offline heuristics, or LLM agents caching their calls in the run's database;
    with a ``loop``, their model calls run on it (under each sample's deadline)."""
    if config.agents.profile == "offline":
        return make_agents("offline", mistake_rate=config.agents.mistake_rate)
    cache = None if config.llm.cache_mode == "off" else LLMCache(db_path, config.llm.cache_mode)
    client: Any = build_client(config.agents.profile, cache=cache, accounting=accounting,
                               profiles_path=config.llm.profiles)
    return make_agents(config.agents.profile, client=client if loop is None else LoopClient(client, loop))


def failure_kind(error: str) -> str:
    """The kind of a failed sample's reason: ``transport`` (no usable answer from the model server), ``timeout``,
    ``internal`` (a bug, or a tool ending the process) or ``error`` (a model reply or an environment that cannot
    be used). Reasons begin with the error's class name."""
    name = error.partition(":")[0]
    if name == LLMTransportError.__name__:
        return "transport"
    if name == SampleTimeout.__name__:
        return "timeout"
    return "internal" if name.startswith(_INTERNAL) else "error"


def _unparsed_replies(trajectory: Any, trace: Any) -> list[str]:
    """The model replies of a sample that failed to parse: its attempts' raw text with a parse error, and the
    reply that failed the sample (kept in its trace)."""
    replies = [a.raw for record in (trajectory.turns if trajectory is not None else ())
               for a in (record.outcome.attempts if record.outcome else ()) if a.parse_error and a.raw]
    replies += [r["error_raw"] for r in (trace or {}).get("rounds", ()) if isinstance(r, dict) and r.get("error_raw")]
    return replies


def check_envs(config: RunConfig) -> dict[str, nx.DiGraph]:
    """Build every environment of ``config.generate.envs`` and its API graph once, and read its phrasebooks,
    before a run starts, so a bad spec, a hanging tool or a broken phrasebook line stops it with its place instead
    of failing each sample drawn from it. Returns the graphs, shared (read-only) by all samples."""
    from fr_core.agents.phrasebook import check_phrasebooks
    from fr_core.envs import make_env
    from fr_core.graph import spec_graph
    from fr_core.graph.build import warm_bfcl_graphs

    g, out = config.generate, {}
    warm_bfcl_graphs(c for spec in g.envs for c in (x.strip() for x in spec.split("+")) if c in BFCL_CLASSES)
    for i, spec in enumerate(g.envs):
        try:
            env = make_env(spec, seed=config.run.seed, size=g.size)  # the run's own first state must load
            check_phrasebooks(env.tools())
            out[spec] = spec_graph(spec, seed=config.run.seed, size=g.size, probe_call_timeout_s=g.probe_call_timeout_s,
                                   probe_timeout_s=g.probe_timeout_s).output
        except FrError as exc:
            raise ConfigError(f"generate.envs[{i}] = {spec!r} cannot be used: {exc}") from None
    return out


def config_samples(config: RunConfig, n: int) -> list[Trajectory]:
    """The first ``n`` samples of a run config, made here one after another with no store (benches, notebooks):
    the same samples ``run_batch`` would make, variants aside."""
    graphs = check_envs(config)
    g = config.generate
    return [generate_sample(env_for(config, i), graphs.get(env_for(config, i)), g.rounds, g.calls, seed=config.run.seed,
                            index=i, k_max=g.k_max, noise=g.noise, size=g.size, strategy=g.strategy,
                            error_share=g.error_share, leak_retries=g.leak_retries,
                            after_target=g.after_target).output for i in range(n)]


def _one(config: RunConfig, agents: AgentSet, graphs: dict[str, nx.DiGraph], idx: int) -> tuple[Any, ...]:
    spec, g = env_for(config, idx), config.generate
    kind = choose_variant(g.variants, config.run.seed, idx) if g.variants else None
    started = time.perf_counter()
    # Set here, where the sample starts (a thread, or a Ray worker with its own clock), not when it was submitted.
    deadline = Deadline.after(g.sample_timeout_s)
    try:
        with calls_until(deadline):  # model calls on the run's loop: the deadline cancels the one pending
            result = generate_sample(spec, graphs.get(spec), g.rounds, g.calls, agents, config.run.seed, index=idx,
                                     k_max=g.k_max, noise=g.noise, size="large" if kind == "long_context" else g.size,
                                     strategy=g.strategy, error_share=g.error_share, leak_retries=g.leak_retries,
                                     after_target=g.after_target, deadline=deadline)
        trajectory = result.output
        variant = make_variant(trajectory, kind, config.run.seed) if kind and trajectory.status == "accepted" else None
        if variant is not None:
            trajectory = with_variant(trajectory, variant)
        return idx, trajectory, result.trace, None, time.perf_counter() - started
    except FrError as exc:
        return idx, None, None, f"{type(exc).__name__}: {exc}", time.perf_counter() - started
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a bug, or a tool's SystemExit, in one sample must not stop a batch
        return idx, None, None, f"{_INTERNAL} {type(exc).__name__}: {exc}", time.perf_counter() - started


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
              ray_address: str | None = None, sample_timeout: float | None = None,
              retry_failed: bool = False) -> BatchProgress:
    """Generate a run's samples into ``store``; returns the final counts.

    A new run needs ``config``; ``resume=RUN_ID`` continues a stored run with its stored config and seed, skipping
    the indices already stored (``n_samples`` may raise its target; ``retry_failed`` first deletes the run's failed
    samples so they are made again). Every environment of the config is built before the run starts. Ctrl-C (or
    setting ``stop``) lets the samples in flight finish and be stored, marks the run ``interrupted`` and returns
    with ``interrupted=True``; any other error marks it ``failed``: a run is never left ``running``.
    ``executor="ray"`` runs the same per-sample step as Ray tasks (on ``ray_address``, or a local Ray runtime);
    this process still writes every result.

    Each sample is leased in the store before it starts, so two processes resuming one run share its samples
    instead of making each one twice; a lease held by a process that died ends at once.

    A sample gets ``generate.sample_timeout_s`` seconds (``sample_timeout`` overrides it for this invocation, like
    ``concurrency``; 0 = no limit): it checks its deadline before each round and role call and stops with a
    ``SampleTimeout``. Local samples of an LLM profile make their model calls on one event loop of the run (the
    profile's concurrency limit awaited there, the CPU work in the samples' threads): at the deadline the call a
    sample is waiting for is cancelled and its connection closed, so nothing keeps spending after a timeout. A local
    sample that does not return within the limit plus 10% and 5 s (a tool that never returns) is stored as failed
    and abandoned: its daemon thread runs on unseen until it ends or the process exits.
    """
    if executor not in ("local", "ray"):
        raise ConfigError(f"unknown executor {executor!r}; use 'local' or 'ray'")
    if n_samples is not None and not 1 <= n_samples <= MAX_SAMPLES:
        raise ConfigError(f"a run has 1 to {MAX_SAMPLES:,} samples, not {n_samples:,}; split a larger data set "
                          "into several runs")
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
    graphs = check_envs(config)
    if resume:
        run_id, total = resume, max(run.n_samples, n_samples or 0)
    else:
        total = n_samples or config.run.samples
        run_id = store.create_run(config.model_dump(), config.run.seed, total, code_version=code_version())
    owner, outcome = lease_owner(), "failed"
    progress = BatchProgress(run_id, total)
    accounting = Accounting()
    pool: Any = None
    calls: CallLoop | None = None
    running: dict[Future, tuple[int, float]] = {}  # sample in flight -> its index and time.monotonic() at submission
    started = time.perf_counter()
    stop = stop or threading.Event()
    # From here on the run exists: whatever happens, the finally below marks it finished.
    try:
        if resume:
            if total != run.n_samples:
                store.set_run_target(run_id, total)
            if retry_failed:
                store.forget_failed(run_id)
            store.set_run_status(run_id, "running")
        for status in ("accepted", "rejected", "failed"):
            setattr(progress, status, store.count_samples(run_id, status))
        progress.transport_failed = store.run_stats(run_id).transport_failed
        progress.skipped = progress.done
        width = concurrency or config.run.concurrency
        if executor == "ray":
            from fr_core.pipeline.ray_executor import RayPool

            pool = RayPool(config, accounting, ray_address)
            submit = pool.submit
        else:
            if config.agents.profile != "offline":
                calls = CallLoop()
            agents = build_agents(config, str(store.path), accounting, calls)
            submit = partial(_in_thread, _one, config, agents, graphs)
        # Replies that failed to parse are marked in the run's LLM cache, so a retry asks the model again (Ray
        # workers call live, with no cache).
        rejects = LLMCache(store.path, "use") if executor == "local" and config.agents.profile != "offline" and \
            config.llm.cache_mode in ("use", "refresh") else None
        # The watchdog, for a sample stuck where it cannot check its deadline. Only local samples: they start when
        # submitted, while a Ray task may wait in the cluster's queue (Ray samples keep their own deadline).
        timeout = config.generate.sample_timeout_s
        watchdog = timeout * 1.1 + 5 if timeout and executor == "local" else None
        if on_progress:
            on_progress(progress)

        def record(idx: int, trajectory: Any, trace: Any, error: str | None, seconds: float) -> None:
            error = error if trajectory is None else (error or trajectory.error)
            failure = failure_kind(error) if error and (trajectory is None or trajectory.status == "failed") else None
            try:
                store.add_sample(run_id, idx, trajectory, error=error, seconds=seconds, trace=trace, failure=failure)
            except Exception as exc:  # noqa: BLE001 - what cannot be stored becomes the sample's stored failure
                trajectory, failure = None, "internal"
                error = f"{_INTERNAL} {type(exc).__name__}: the sample could not be stored: {exc}"
                store.add_sample(run_id, idx, None, error=error, seconds=seconds, failure=failure)
            if rejects is not None:
                for reply in _unparsed_replies(trajectory, trace):
                    rejects.reject_text(reply, f"failed to parse in sample {idx} of run {run_id}")
            status = trajectory.status if trajectory is not None else "failed"
            setattr(progress, status, getattr(progress, status) + 1)
            progress.transport_failed += failure == "transport"
            totals = accounting.totals()
            progress.llm_calls, progress.cost_usd = totals.requests, totals.cost_usd
            if on_progress:
                on_progress(progress)

        def collect() -> None:
            """Record the samples that finish within half a second, and the ones past the watchdog as failed."""
            finished, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                idx, since = running.pop(future)
                try:
                    record(*future.result())
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # noqa: BLE001 - the worker itself died: its sample fails, the run goes on
                    record(idx, None, None, f"{_INTERNAL} {type(exc).__name__}: {exc}", time.monotonic() - since)
            if running:
                store.renew_claims(run_id, owner, LEASE_S)
            if watchdog is None:
                return
            now = time.monotonic()
            for future, (idx, since) in list(running.items()):
                if now - since > watchdog:
                    del running[future]  # so a result it hands back later is never recorded
                    record(idx, None, None, f"SampleTimeout: timed out after {now - since:.0f} s in a worker that "
                           f"did not return (limit {timeout:g} s: generate.sample_timeout_s or --sample-timeout); "
                           "the worker thread is abandoned", now - since)

        def todo() -> Any:
            """Indices this runner has leased, lowest first; then, while another runner holds leases on indices
            still missing, the ones whose lease runs out (a runner that died)."""
            done = store.done_indices(run_id)
            for idx in range(total):
                if idx not in done and store.claim(run_id, idx, owner, LEASE_S):
                    yield idx
            while not stop.is_set() and (waiting := store.claimed_elsewhere(run_id, owner)):
                yield None  # nothing to lease now: the loop below collects what is in flight, then asks again
                done = store.done_indices(run_id)
                for idx in range(total):
                    if idx not in done and idx not in waiting and store.claim(run_id, idx, owner, LEASE_S):
                        yield idx

        indices = todo()
        while not stop.is_set():
            for idx in indices:
                if idx is None:
                    if not running:
                        time.sleep(0.5)
                    break
                running[submit(idx)] = (idx, time.monotonic())
                if len(running) >= width:
                    break
            else:
                if not running:
                    break
            if running:
                collect()
        outcome = "done"
    except KeyboardInterrupt:
        stop.set()
        outcome = "done"
    finally:
        # Samples in flight finish (or pass the watchdog) and are stored; those not started stay for --resume.
        try:
            while running:
                collect()
        finally:
            if pool is not None:
                pool.shutdown()
            if calls is not None:  # what abandoned samples still wait for is cancelled
                calls.close()
            store.release_claims(run_id, owner)
            progress.interrupted = stop.is_set() and progress.done < total
            if outcome == "done" and store.count_samples(run_id) < total:
                outcome = "interrupted"
            store.finish_run(run_id, outcome, timings={"wall_s": round(time.perf_counter() - started, 3)},
                             usage=asdict(accounting.totals()))
    return progress
