"""A batch run in a background thread, with progress a page can poll; the thread owns its own store connection."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from fr_core.errors import FrError
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import BatchProgress, run_batch
from fr_core.store import Store

__all__ = ["BatchJob", "start_batch"]


@dataclass
class BatchJob:
    """A running or finished batch: the latest progress snapshot, the error if it failed, and a stop switch."""

    db: Path
    total: int
    stop: threading.Event = field(default_factory=threading.Event)
    progress: BatchProgress | None = None
    error: str | None = None
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


def start_batch(db: Path, config: RunConfig, n_samples: int) -> BatchJob:
    """Start ``run_batch`` into the store at ``db`` in a daemon thread; returns the job to poll."""
    job = BatchJob(db, n_samples)

    def work() -> None:
        store = Store(db)
        try:
            run_batch(store, config, n_samples, stop=job.stop,
                      on_progress=lambda p: setattr(job, "progress", replace(p)))
        except FrError as exc:
            job.error = str(exc)
        finally:
            store.close()

    job.thread = threading.Thread(target=work, name="fr-batch", daemon=True)
    job.thread.start()
    return job
