"""Graph build time: 5,000 generated JSON tools (name flow only), each BFCL class with execution probes (edges,
then obstacles; never from the graph cache), and reading one class's probes back from the cache."""

from __future__ import annotations

import random
import time

from fr_core.graph import cache
from fr_core.graph.assemble import build_graph
from fr_core.graph.build import (CONTRAST_SEEDS, EDGE_PROBES, OBSTACLE_PROBES, PROBE_SEEDS, _bfcl_class_edges,
                                 _bfcl_class_obstacles, _probe_class_edges, _probe_class_obstacles)
from fr_core.graph.evidence import evidence_to_json
from fr_core.types import ToolSpec

# A vocabulary the size of a real API catalogue: 40 nouns × 25 qualifiers = 1,000 entity names.
ENTITIES = [f"{a}{b}" for a in ("order", "user", "ticket", "file", "album", "invoice", "device", "route", "task",
                                 "project", "account", "song", "city", "vendor", "report", "shelf", "crate",
                                 "badge", "cart", "claim", "coupon", "dataset", "domain", "event", "fleet",
                                 "gift", "hotel", "job", "lease", "loan", "meter", "note", "parcel", "patient",
                                 "policy", "quote", "room", "sensor", "shift", "stream")
            for b in ("", "group", "batch", "set", "item", "slot", "zone", "plan", "tier", "line", "case", "pack",
                      "unit", "run", "kit", "log", "map", "feed", "tag", "rule", "view", "box", "node", "seat",
                      "page")]
HEADS = ["id", "name", "code", "key", "token", "path", "ref"]
VERBS = ["get", "list", "create", "update", "delete", "archive", "sync", "find", "open", "close"]


def generated_specs(n: int, seed: int = 0) -> list[ToolSpec]:
    rng = random.Random(seed)
    specs = []
    for i in range(n):
        ent = rng.choice(ENTITIES)
        params = {}
        for _ in range(rng.randint(1, 4)):
            e, h = rng.choice(ENTITIES), rng.choice(HEADS)
            params[f"{e}_{h}"] = {"type": "string", "description": f"The {h} of the {e}."}
        fields = {}
        for _ in range(rng.randint(1, 4)):
            e, h = rng.choice(ENTITIES), rng.choice(HEADS)
            fields[f"{e}_{h}"] = {"type": "string", "description": f"The {h} of a {e}."}
        specs.append(ToolSpec(f"{rng.choice(VERBS)}_{ent}_{i}", f"Work with a {ent}.",
                              {"type": "object", "properties": params, "required": list(params)[:1]},
                              {"type": "object", "properties": fields}, owner=f"Service{i % 50}"))
    return specs


def main() -> None:
    specs = generated_specs(5000)
    t0 = time.perf_counter()
    g = build_graph(specs).output
    dt = time.perf_counter() - t0
    print(f"graph build, 5,000 generated JSON tools: {dt:.2f} s ({g.number_of_edges()} edges; goal < 5 s)")
    from fr_core.envs.bfcl import BFCL_CLASSES

    for cls in BFCL_CLASSES:
        t0 = time.perf_counter()
        edges = _probe_class_edges(cls)
        t1 = time.perf_counter()
        paths = _probe_class_obstacles(cls)
        t2 = time.perf_counter()
        print(f"probe {cls}: edges {t1 - t0:.2f} s ({len(edges)} pieces of evidence, {len(PROBE_SEEDS)} states), "
              f"obstacles {t2 - t1:.2f} s ({len(paths)} paths, {len(CONTRAST_SEEDS)} states)")
    cache.cached("edges", cls, EDGE_PROBES, lambda: tuple(evidence_to_json(e) for e in edges))
    cache.cached("obstacles", cls, OBSTACLE_PROBES, lambda: tuple(evidence_to_json(p) for p in paths))
    _bfcl_class_edges.cache_clear()
    _bfcl_class_obstacles.cache_clear()
    t0 = time.perf_counter()
    _bfcl_class_edges(cls)  # read from the cache folder and turned back into typed evidence
    _bfcl_class_obstacles(cls)
    print(f"read {cls}'s probes from the graph cache ({cache.cache_dir()}): {time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":
    main()
