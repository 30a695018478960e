"""The Ray executor of ``run_batch``: the runner's own per-sample step as Ray tasks, results back to the driver,
where the one store writer records them. Ray is imported only when this executor is chosen."""

from __future__ import annotations

import json
import signal
import threading
from concurrent.futures import Future
from concurrent.futures import wait as wait_all
from typing import Any

from fr_core.errors import ConfigError
from fr_core.llm import Accounting, UsageTotals
from fr_core.pipeline.config import RunConfig

__all__ = ["RayPool", "require_ray"]

# Per worker process: the agents and API graphs of a config, built at the worker's first sample of that config.
_CONTEXTS: dict[str, tuple[Any, Any, Accounting]] = {}


def _context(config: RunConfig) -> tuple[Any, Any, Accounting]:
    from fr_core.pipeline.runner import build_agents, check_envs

    key = json.dumps(config.model_dump(), sort_keys=True)
    if key not in _CONTEXTS:
        accounting = Accounting()
        # The LLM cache lives in the driver's store, which workers neither see nor write: they call live.
        _CONTEXTS[key] = (build_agents(config, "", accounting), check_envs(config), accounting)
    return _CONTEXTS[key]


def _task(config: RunConfig, idx: int) -> tuple[tuple[Any, ...], dict[str, UsageTotals]]:
    """One sample on a Ray worker: exactly the local executor's step, plus the LLM usage it added."""
    from fr_core.pipeline.runner import _one

    agents, graphs, accounting = _context(config)
    before = accounting.by_model()  # a Ray task has its worker process to itself, so the difference is ours
    result = _one(config, agents, graphs, idx)
    usage = {name: t - before.get(name, UsageTotals()) for name, t in accounting.by_model().items()}
    return result, usage


def require_ray() -> None:
    """Raise a ConfigError saying how to install Ray when it is missing (checked before a run is created)."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise ConfigError("--executor ray needs Ray: pip install 'funreason-mt-workbench[ray]'")


class RayPool:
    """Submits samples as Ray tasks and hands back ``concurrent.futures`` futures of the runner's result tuples;
    LLM usage measured on the workers is added to the driver's ``accounting``."""

    def __init__(self, config: RunConfig, accounting: Accounting, address: str | None = None) -> None:
        if config.llm.cache_mode == "replay_only":
            raise ConfigError("cache_mode 'replay_only' needs the run's LLM cache, which only the driver's store "
                              "holds: use --executor local to replay a run")
        require_ray()
        import ray

        self._ray, self._accounting = ray, accounting
        self._started = not ray.is_initialized()
        if self._started:  # address None starts a runtime on this machine; "auto" or host:port joins a cluster
            handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
            if threading.current_thread() is threading.main_thread():
                for sig, handler in handlers.items():  # ray.init replaces them; Ctrl-C / SIGTERM stop the run cleanly
                    signal.signal(sig, handler)
        worker_config = config.model_copy(update={"llm": config.llm.model_copy(update={"cache_mode": "off"})})
        self._config = ray.put(worker_config)
        self._remote = ray.remote(max_retries=2)(_task)
        self._futures: set[Future] = set()
        self._lock = threading.Lock()  # Ray's callbacks run on its own thread

    def submit(self, idx: int) -> Future:
        """Start sample ``idx`` on the cluster; the future is already running, so it finishes even when cancelled."""
        out: Future = Future()
        out.set_running_or_notify_cancel()
        with self._lock:
            self._futures.add(out)
        self._remote.remote(self._config, idx).future().add_done_callback(lambda f: self._finish(f, out, idx))
        return out

    def _finish(self, ray_future: Future, out: Future, idx: int) -> None:
        try:
            result, usage = ray_future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker fails its sample, not the run
            out.set_result((idx, None, None, f"ray task failed {type(exc).__name__}: {exc}", 0.0))
        else:
            self._accounting.merge(usage)
            out.set_result(result)
        finally:
            with self._lock:
                self._futures.discard(out)

    def shutdown(self, wait: bool = True) -> None:
        """Wait for the samples in flight; stop the Ray runtime if this pool started it."""
        if wait:
            with self._lock:
                pending = list(self._futures)
            wait_all(pending)
        if self._started:
            self._ray.shutdown()
