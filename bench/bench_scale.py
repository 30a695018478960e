"""Scale benchmark: local vs Ray executor throughput of ``run_batch`` with the offline agents, and the Ray overhead
per sample.

Run: ``.venv/bin/python bench/bench_scale.py [--samples 120] [--concurrency 2]``.

Throughput is accepted+rejected+failed samples a second of one run each (``run_batch``, a fresh store), after a
warm-up run so that Ray's workers have imported ``fr_core`` and built their agents. The overhead per sample is
measured one sample at a time through the Ray executor: the time from submit to result minus the seconds the
step itself took on the worker (scheduling, argument and result serialisation, the callback to the driver).
Ray's start-up (``ray.init``) is reported on its own. On this 2-core machine the local executor's threads share
one interpreter, while Ray runs 2 worker processes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fr_core.llm import Accounting
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store


def _config(seed: int) -> RunConfig:
    return RunConfig.from_dict({"run": {"seed": seed}, "generate": {"envs": ["GorillaFileSystem", "TradingBot"],
                                                                   "rounds": 2, "calls": 3}})


def _throughput(folder: Path, name: str, samples: int, concurrency: int, executor: str) -> float:
    store = Store(folder / f"{name}.db")
    started = time.perf_counter()
    result = run_batch(store, _config(7), samples, concurrency=concurrency, executor=executor)
    return result.done / (time.perf_counter() - started)


def _overhead(samples: int) -> tuple[float, float]:
    """Mean and median seconds a Ray task adds to one sample, measured one sample at a time."""
    from fr_core.pipeline.ray_executor import RayPool

    pool = RayPool(_config(7), Accounting())
    extra = []
    for idx in range(samples):
        started = time.perf_counter()
        _, _, _, _, seconds = pool.submit(idx).result()
        extra.append(time.perf_counter() - started - seconds)
    pool.shutdown()
    return statistics.mean(extra), statistics.median(extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=120)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    import ray

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    print(f"ray.init (local runtime, 2 CPUs): {time.perf_counter() - started:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for executor in ("local", "ray"):  # warm-up: imports, worker processes, agents and graphs built once
            _throughput(folder, f"warm-{executor}", 4, args.concurrency, executor)
        rates = {executor: _throughput(folder, executor, args.samples, args.concurrency, executor)
                 for executor in ("local", "ray")}
        wide = _throughput(folder, "ray-wide", args.samples, 2 * args.concurrency, "ray")
    mean, median = _overhead(12)
    ray.shutdown()
    n, c = args.samples, args.concurrency
    print(f"local executor, {c} threads:       {rates['local']:7.2f} samples/s  ({n} samples)")
    print(f"ray executor, {c} in flight:       {rates['ray']:7.2f} samples/s  ({n} samples)")
    print(f"ray executor, {2 * c} in flight:       {wide:7.2f} samples/s  ({n} samples)")
    print(f"ray / local:                     {rates['ray'] / rates['local']:7.2f}x")
    print(f"ray overhead per sample:         {1000 * mean:7.1f} ms mean, {1000 * median:.1f} ms median "
          "(submit-to-result minus the step's own time, one at a time)")


if __name__ == "__main__":
    main()
