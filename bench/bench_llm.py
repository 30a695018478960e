"""LLM layer figures: throughput against a 200 ms fake OpenAI server at 32 in flight, and cache replay speed-up.

Run: .venv/bin/python bench/bench_llm.py [--requests 500] [--latency 0.2] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from fr_core.llm import LLMCache, LLMRequest, ModelProfile, build_client
from fr_core.llm.fakeserver import FakeServerProcess


async def run_all(client, requests: list[LLMRequest]) -> float:
    started = time.perf_counter()
    responses = await asyncio.gather(*(client.acomplete(r) for r in requests))
    elapsed = time.perf_counter() - started
    assert len(responses) == len(requests)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    requests = [LLMRequest(messages=[{"role": "system", "content": "You plan tool calls."},
                                     {"role": "user", "content": f"request number {i}: book a flight"}],
                           temperature=0.0, max_tokens=64, label="bench") for i in range(args.requests)]
    # The server runs in its own process, as a real one would: its threads must not share the client's GIL.
    with tempfile.TemporaryDirectory() as tmp, FakeServerProcess("openai", latency_s=args.latency) as server:
        profile = ModelProfile(name="bench-fake-openai", provider="openai", model="fake",
                               base_url=server.base_url, concurrency=args.concurrency)
        cache = LLMCache(Path(tmp) / "bench.sqlite")
        client = build_client(profile, cache=cache, env={})

        # One request first loads the SDK's lazy modules and opens a connection: a one-off cost, not throughput.
        warm = asyncio.run(run_all(client, [LLMRequest(messages=[{"role": "user", "content": "warm-up"}])]))
        before = server.request_count
        first = asyncio.run(run_all(client, requests))
        reached_first = server.request_count - before
        achieved = args.requests / first
        limit = args.concurrency / args.latency
        print(f"warm-up request: {warm * 1000:.0f} ms")
        print(f"first run: {args.requests} requests in {first:.2f} s, {reached_first} reached the server")
        print(f"throughput: {achieved:.1f} req/s of a {limit:.0f} req/s limit "
              f"({args.concurrency} in flight / {args.latency * 1000:.0f} ms): ratio {achieved / limit:.3f} "
              f"(goal >= 0.9)")

        second = asyncio.run(run_all(client, requests))
        reached_second = server.request_count - before - reached_first
        print(f"cache rerun: {args.requests} requests in {second * 1000:.1f} ms, {reached_second} reached the server, "
              f"{client.accounting.totals().cache_hits} cache hits")
        print(f"cache speed-up: {first / second:.0f}x (goal >= 50x)")
        cache.close()


if __name__ == "__main__":
    main()
