"""Hard-query figures of the offline agents: length against the easy query, diversity by noise ε, flow chains.

    python bench/bench_queries.py [--samples 100] [--strategy uniform|deep]

Part 1 writes the hard queries of one fixed set of abstracted rounds at several ε (same tools, same seeds), so
only the wording changes. Part 2 runs generate_sample per ε and reports acceptance and the accepted samples'
data-flow chains.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from fr_core.agents import make_agents
from fr_core.analysis import distinct_n, flow_share, longest_flow_chain, self_bleu
from fr_core.analysis.views import view_trajectory
from fr_core.envs import BFCL_CLASSES, make_env
from fr_core.graph import bfcl_graph
from fr_core.pipeline import generate_sample
from fr_core.synthesis import check_leak, write_query


def _words(texts: list[str]) -> float:
    return statistics.mean(len(t.split()) for t in texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--strategy", default="flow")
    args = parser.parse_args()
    classes = list(BFCL_CLASSES)
    graphs = {c: bfcl_graph([c]).output for c in classes}
    tools = {c: tuple(make_env([c]).tools()) for c in classes}
    agents = make_agents("offline")

    def run(noise: float):
        started = time.perf_counter()
        trajs = [generate_sample([classes[i % len(classes)]], graphs[classes[i % len(classes)]], rounds=2, calls=4,
                                 agents=agents, seed=i, noise=noise, strategy=args.strategy).output
                 for i in range(args.samples)]
        return trajs, time.perf_counter() - started

    base, _ = run(0.0)
    rounds = [(r.adv_tool, t.classes[0], r.easy_query.text) for t in base for r in t.turns if r.adv_tool is not None]
    fixed = {}
    for noise in (0.0, 0.5, 1.0):
        queries = [write_query(adv, agents.querying, noise, k, tools=tools[c]).output
                   for k, (adv, c, _) in enumerate(rounds)]
        texts = [q.text for q in queries]
        fixed[noise] = {"rounds": len(texts),
                        "hard_easy_length": round(_words(texts) / _words([e for _, _, e in rounds]), 3),
                        "distinct_2": round(distinct_n(texts, 2), 3), "self_bleu": round(self_bleu(texts, 100, 0), 3),
                        "leaks": sum(not check_leak(q, tools[c], adv).ok for q, (adv, c, _) in zip(queries, rounds))}
    print("fixed rounds, hard queries by ε:", json.dumps(fixed, indent=2))
    runs = {}
    for noise in (0.0, 0.5, 1.0):
        trajs, elapsed = run(noise)
        accepted = [view_trajectory(t) for t in trajs if t.status == "accepted"]
        runs[noise] = {"acceptance": round(len(accepted) / len(trajs), 3),
                       "accepted_per_s": round(len(accepted) / elapsed, 1),
                       "mean_longest_flow_chain": round(statistics.mean(longest_flow_chain(v) for v in accepted), 3),
                       "mean_flow_share": round(statistics.mean(flow_share(v) for v in accepted), 3)}
    print(f"generate_sample ({args.strategy} targets), accepted samples:", json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
