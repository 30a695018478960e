"""LLM-bound pipeline speed: ``run_batch`` with an LLM profile against the fake OpenAI server (its own process, a
fixed latency) answering every role with a usable reply (``StepwiseModel``: the tooling, querying, critiquing and
rewrite JSON, and as the reasoner the sampled chain replayed one call a step), for several numbers in flight.

For each C it prints accepted samples/s against the limit ``C / (model calls per accepted sample x latency)`` (every
one of the C slots always waiting on a model reply), and, in the same run, the LLM layer's rate beside a minimal
keep-alive client (C connections on asyncio streams, no SDK, pool, cache or events) sending the same request at C
in flight: through ``ManagedClient.acomplete`` on one loop, and as the pipeline calls it (C threads through
``LoopClient``). Each figure is taken for every ``--transport`` in turn (the profile's ``transport``: ``sdk`` the
openai SDK, ``lean`` our keep-alive HTTP/1.1 client), so the two are compared in the same run.

    python bench/bench_pipeline_llm.py [--concurrency 32 64] [--transport sdk lean] [--latency 0.2] [--waves 6]
                                       [--requests 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fr_core.llm import LLMRequest, ModelProfile, build_client
from fr_core.llm.fakeserver import FakeServerProcess, StepwiseModel
from fr_core.llm.loop import CallLoop, LoopClient
from fr_core.pipeline.config import RunConfig, load_run_config
from fr_core.pipeline.runner import check_envs, run_batch
from fr_core.store import Store

_CONFIG = Path(__file__).resolve().parents[1] / "data" / "configs" / "offline.toml"


def pipeline(server: FakeServerProcess, folder: Path, concurrency: int, samples: int, cache: str,
             transport: str) -> dict[str, Any]:
    """One batch run of ``samples`` at ``concurrency`` in flight; its figures."""
    models = folder / f"models{concurrency}{transport}.toml"
    models.write_text(f'[profiles.fake{concurrency}]\nprovider = "openai"\nmodel = "fake-model"\nbase_url = '
                      f'"{server.base_url}"\nconcurrency = {concurrency}\ntimeout_s = 120\n'
                      f'transport = "{transport}"\n', encoding="utf-8")
    data = load_run_config(_CONFIG).model_dump()
    data["agents"]["profile"] = f"fake{concurrency}"
    data["llm"].update(profiles=str(models), cache_mode=cache)
    data["generate"]["variants"] = {}
    config = RunConfig.from_dict(data, "bench")
    check_envs(config)  # the probed graphs are built (or read from the cache) before the clock starts
    store = Store(folder / f"bench{concurrency}{transport}.db")
    before = server.request_count
    started = time.perf_counter()
    progress = run_batch(store, config, samples, concurrency=concurrency)
    wall = time.perf_counter() - started
    calls = server.request_count - before
    store.close()
    per_accepted = calls / max(1, progress.accepted)
    limit = concurrency / (per_accepted * server.latency_s)
    achieved = progress.accepted / wall
    return {"concurrency": concurrency, "transport": transport, "samples": samples, "accepted": progress.accepted,
            "rejected": progress.rejected, "failed": progress.failed, "model_calls": calls,
            "calls_per_accepted": round(per_accepted, 2), "wall_s": round(wall, 2),
            "accepted_per_s": round(achieved, 2), "limit_per_s": round(limit, 2),
            "ratio_to_limit": round(achieved / limit, 3)}


def _request(i: int) -> LLMRequest:
    return LLMRequest(messages=[{"role": "system", "content": "You plan tool calls."},
                                {"role": "user", "content": f"request number {i}: book a flight"}],
                      temperature=0.0, max_tokens=64, label="bench")


async def _bare(base_url: str, concurrency: int, n: int) -> float:
    """A minimal keep-alive client: ``concurrency`` connections opened before the clock, each sending a request,
    reading its reply (status line, headers, ``Content-Length`` bytes, JSON) and sending the next; no pool, SDK,
    cache or events. What this machine allows right now, beside which the LLM layer is read."""
    url = urlsplit(base_url)
    host, port, path = url.hostname or "127.0.0.1", url.port or 80, f"{url.path}/chat/completions"
    todo = iter(range(n))

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for i in todo:
            request = _request(i)
            data = json.dumps({"model": "fake-model", "messages": list(request.messages), "temperature": 0.0,
                               "max_tokens": 64}).encode()
            writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            length = int(head.split("content-length:")[1].split("\r\n")[0])
            json.loads(await reader.readexactly(length))["choices"][0]["message"]
        writer.close()

    connections = [await asyncio.open_connection(host, port) for _ in range(concurrency)]
    started = time.perf_counter()
    await asyncio.gather(*(worker(r, w) for r, w in connections))
    return n / (time.perf_counter() - started)


def llm_layer(server: FakeServerProcess, concurrency: int, n: int, transport: str) -> dict[str, Any]:
    """Requests/s at ``concurrency`` in flight: bare keep-alive client, managed client on one loop, and the
    managed client as the pipeline's threads call it."""
    profile = ModelProfile(name=f"bench-layer-{concurrency}-{transport}", provider="openai", model="fake-model",
                           base_url=server.base_url, concurrency=concurrency, transport=transport)
    bare = asyncio.run(_bare(server.base_url, concurrency, n))

    async def managed() -> float:
        client = build_client(profile, env={})
        await asyncio.gather(*(client.acomplete(_request(i)) for i in range(concurrency)))
        started = time.perf_counter()
        await asyncio.gather(*(client.acomplete(_request(i)) for i in range(n)))
        return n / (time.perf_counter() - started)

    on_loop = asyncio.run(managed())
    with CallLoop() as loop, ThreadPoolExecutor(concurrency) as threads:
        client = LoopClient(build_client(profile, env={}), loop)
        list(threads.map(client.complete, (_request(i) for i in range(concurrency))))
        started = time.perf_counter()
        list(threads.map(client.complete, (_request(i) for i in range(n))))
        from_threads = n / (time.perf_counter() - started)
    limit = concurrency / server.latency_s
    return {"concurrency": concurrency, "transport": transport, "requests": n, "limit_req_s": round(limit, 1),
            "bare_keepalive_req_s": round(bare, 1), "managed_req_s": round(on_loop, 1),
            "managed_from_threads_req_s": round(from_threads, 1), "bare_ratio_to_limit": round(bare / limit, 3),
            "managed_vs_bare": round(on_loop / bare, 3), "from_threads_vs_bare": round(from_threads / bare, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--transport", nargs="+", default=["sdk", "lean"], choices=["sdk", "lean", "auto"],
                        help="the profile's transport(s), each measured in turn")
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--waves", type=int, default=6, help="samples per run = waves x concurrency")
    parser.add_argument("--requests", type=int, default=1000, help="requests per LLM-layer measurement")
    parser.add_argument("--cache", default="use", help="the run's llm.cache_mode (a user's default: use)")
    args = parser.parse_args()

    out: dict[str, Any] = {"latency_s": args.latency, "pipeline": [], "llm_layer": []}
    # The model server runs in its own process, as a real one would: its CPU is not the pipeline's GIL.
    with tempfile.TemporaryDirectory() as tmp, FakeServerProcess(latency_s=args.latency,
                                                                  responder=StepwiseModel()) as server:
        for c in args.concurrency:
            for transport in args.transport:
                out["pipeline"].append(pipeline(server, Path(tmp), c, args.waves * c, args.cache, transport))
            for transport in args.transport:
                out["llm_layer"].append(llm_layer(server, c, args.requests, transport))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
