"""Export benchmark: samples a second and peak memory of ``fr export`` for every format over a large store.

Run: ``.venv/bin/python bench/bench_export.py [--samples 100000] [--real 200] [--formats openai,parquet]``.

A run of ``--real`` offline samples is generated, then its stored rows are copied (same trajectories, new indices)
until the store holds ``--samples`` rows; each format is then exported in a fresh process, whose peak resident
memory (``ru_maxrss``) is reported. The goal is < 500 MB at 100,000 samples: exports stream the store a batch of
rows at a time. The copies are near-duplicates by construction, so the exports run without the near-duplicate
filter (the contamination guard stays on); the filter's own time and memory are measured on as many unique texts.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fr_core.export import FORMATS
from fr_core.pipeline.config import RunConfig
from fr_core.pipeline.runner import run_batch
from fr_core.store import Store, sample_id


def build_store(db: Path, samples: int, real: int) -> str:
    store = Store(db)
    config = RunConfig.from_dict({"run": {"seed": 1}, "generate": {"envs": [
        "GorillaFileSystem", "GorillaFileSystem+TwitterAPI", "TradingBot", "TravelAPI+MessageAPI"]}})
    run = run_batch(store, config, real, concurrency=2)
    rows = list(store._query("SELECT status, classes, n_turns, n_attempts, cost_usd, seconds, trajectory, error "
                             "FROM samples WHERE run_id = ? ORDER BY idx", (run.run_id,)))
    seed = store.get_run(run.run_id).seed
    with store._transaction() as conn:  # bulk copy for the benchmark only; runs write through add_sample
        conn.executemany(
            "INSERT INTO samples (id, run_id, idx, status, classes, n_turns, n_attempts, cost_usd, seconds, "
            "trajectory, error, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            [(sample_id(run.run_id, seed, i), run.run_id, i, *rows[i % len(rows)]) for i in range(real, samples)])
        conn.execute("UPDATE runs SET n_samples = ? WHERE id = ?", (samples, run.run_id))
    return run.run_id


_CHILD = """
import resource, sys, time
from fr_core.export import export_run
from fr_core.store import Store
started = time.perf_counter()
report = export_run(Store(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], status=None, dedup=False)
print(report.read, report.written, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

_DEDUP = """
import random, resource, sys, time
from fr_core.export import NearDuplicateFilter
rng, dedup = random.Random(0), NearDuplicateFilter()
vocab = [f"w{i}" for i in range(5000)]
started = time.perf_counter()
for _ in range(int(sys.argv[1])):
    dedup.is_duplicate(" ".join(rng.choice(vocab) for _ in range(40)))
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--real", type=int, default=200)
    parser.add_argument("--formats", default=",".join(FORMATS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        started = time.perf_counter()
        run_id = build_store(db, args.samples, args.real)
        print(f"store: {args.samples} samples ({args.real} generated) in {time.perf_counter() - started:.1f} s, "
              f"{db.stat().st_size / 1e6:.0f} MB")
        print(f"{'format':<10} {'read':>8} {'written':>8} {'seconds':>8} {'samples/s':>10} {'peak MB':>8} "
              f"{'out MB':>8}")
        for fmt in args.formats.split(","):
            out = Path(tmp) / f"out.{'parquet' if fmt == 'parquet' else 'jsonl'}"
            done = subprocess.run([sys.executable, "-c", _CHILD, str(db), run_id, fmt, str(out)], check=True,
                                  capture_output=True, text=True)
            read, written, seconds, peak_kb = done.stdout.split()
            print(f"{fmt:<10} {read:>8} {written:>8} {float(seconds):>8.1f} {int(read) / float(seconds):>10.0f} "
                  f"{int(peak_kb) / 1024:>8.0f} {out.stat().st_size / 1e6:>8.0f}")
            out.unlink()
        done = subprocess.run([sys.executable, "-c", _DEDUP, str(args.samples)], check=True, capture_output=True,
                              text=True)
        seconds, peak_kb = done.stdout.split()
        print(f"near-duplicate filter over {args.samples} unique texts: {float(seconds):.1f} s, "
              f"peak {int(peak_kb) / 1024:.0f} MB")
    print(f"bench process peak: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
