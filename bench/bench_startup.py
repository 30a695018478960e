"""Start-up figures a user feels, each a fresh process timed from outside (median of ``--repeats`` runs):

* ``fr generate --config data/configs/offline.toml --samples 30`` with an empty graph cache (cold) and with the
  cache it left behind (warm);
* ``fr sample`` warm;
* the workbench's graph page, first render in a new process (Streamlit's AppTest), warm.

    python bench/bench_startup.py [--repeats 3]

The graph cache is a temporary folder (``FR_GRAPH_CACHE``), emptied before every cold run; the run databases are
temporary too, so nothing of the user's is read or written.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FR = str(Path(sys.executable).with_name("fr"))
PAGE = f"""
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({str(ROOT / "workbench" / "pages" / "graph.py")!r}, default_timeout=300)
at.run()
assert not at.exception, at.exception
"""


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fr-startup-"))
    cache = work / "graphs"
    env = {**os.environ, "FR_GRAPH_CACHE": str(cache)}
    runs = iter(range(10_000))

    def generate() -> float:
        return _timed([FR, "generate", "--config", "data/configs/offline.toml", "--samples", "30",
                       "--db", str(work / f"run{next(runs)}.db")], env)

    figures: dict[str, list[float]] = {"cold": [], "warm": [], "sample": [], "page": []}
    try:
        for _ in range(args.repeats):
            shutil.rmtree(cache, ignore_errors=True)
            figures["cold"].append(generate())
            figures["warm"].append(generate())
            figures["sample"].append(_timed([FR, "sample", "--env", "GorillaFileSystem+TwitterAPI"], env))
            figures["page"].append(_timed([sys.executable, "-c", PAGE], env))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = (("cold", "fr generate --samples 30, empty graph cache", 15.0),
            ("warm", "fr generate --samples 30, warm cache", 3.0),
            ("sample", "fr sample, warm cache", 1.0),
            ("page", "graph page, first render in a new process", 2.0))
    print(f"{'wall seconds (median of ' + str(args.repeats) + ')':48} {'median':>7} {'min':>7} {'target':>7}")
    for key, label, target in rows:
        print(f"{label:48} {statistics.median(figures[key]):7.2f} {min(figures[key]):7.2f} {target:7.1f}")


if __name__ == "__main__":
    main()
