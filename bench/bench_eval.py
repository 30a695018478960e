"""``fr eval`` speed against the fake OpenAI server: BFCL cases with 200 ms per model call, against the latency limit
of the model calls on the critical path (a case's calls are sequential, C cases run side by side: the limit is the
longest case's chain, or all calls spread over the C slots, whichever is longer), for several C.

    python bench/bench_eval.py [--cases 200] [--latency 0.2] [--concurrency 32 64 200] [--category base]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from fr_core.evaluate.cases import bfcl_cases
from fr_core.evaluate.run import EvalSettings, evaluate, summarise
from fr_core.evaluate.scripted import OracleResponder
from fr_core.evaluate.store import EvalStore
from fr_core.llm.fakeserver import FakeServerProcess


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[32, 64, 200])
    parser.add_argument("--category", default="base")
    args = parser.parse_args()

    cases = bfcl_cases(args.category, args.cases)
    print(json.dumps([run(cases, args, c) for c in args.concurrency], indent=2))


def run(cases: list, args: argparse.Namespace, concurrency: int) -> dict:
    # The model server runs in its own process, as a real one would: its CPU is not the harness's.
    with tempfile.TemporaryDirectory() as tmp, FakeServerProcess(latency_s=args.latency,
                                                                  responder=OracleResponder(cases)) as server:
        models = Path(tmp) / "models.toml"
        models.write_text(f'[profiles.fake{concurrency}]\nprovider = "openai"\nmodel = "fake"\n'
                          f'base_url = "{server.base_url}"\nconcurrency = {concurrency}\ntimeout_s = 120\n')
        os.environ["FR_MODELS"] = str(models)
        db = Path(tmp) / "bench.db"
        settings = EvalSettings(f"fake{concurrency}", f"bfcl:{args.category}", limit=args.cases,
                                concurrency=concurrency, cache_mode="off")
        started = time.perf_counter()
        progress = evaluate(db, settings)
        wall = time.perf_counter() - started
        rows = EvalStore(db).cases(progress.eval_id)
        requests = server.request_count
    # The latency limit: the longest chain of sequential calls (one case's), or all calls spread over the slots.
    chains = [sum(a["llm"]["calls"] for a in r.attempts) for r in rows]
    # Where the rest goes: each call's wait beyond the server's latency (client and server work, thread hand-offs),
    # the work between a case's calls, and the slots left idle (start-up, the last cases alone).
    waited = sum(a["llm"]["wait_s"] for r in rows for a in r.attempts)
    in_cases = sum(r.seconds for r in rows)
    limit = max(max(chains) * args.latency, sum(chains) * args.latency / concurrency)
    return {
        "cases": len(rows), "category": args.category, "latency_s": args.latency, "concurrency": concurrency,
        "accuracy": summarise(rows, 1)["accuracy"], "model_calls": sum(chains), "server_requests": requests,
        "longest_chain_calls": max(chains), "latency_limit_s": round(limit, 2), "wall_s": round(wall, 2),
        "ratio_to_limit": round(limit / wall, 3), "cases_per_s": round(len(rows) / wall, 1),
        "mean_call_wait_s": round(waited / sum(chains), 4),
        "lost_to_call_overhead_s": round((waited - sum(chains) * args.latency) / concurrency, 2),
        "lost_between_calls_s": round((in_cases - waited) / concurrency, 2),
        "lost_to_idle_slots_s": round(wall - in_cases / concurrency, 2),
    }


if __name__ == "__main__":
    main()
