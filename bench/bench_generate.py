"""End-to-end generation figures: accepted samples per second offline, acceptance, attempts, agent calls per sample.

    python bench/bench_generate.py [--samples 200] [--rounds 2] [--calls 4]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter

from fr_core.agents import make_agents
from fr_core.envs import BFCL_CLASSES
from fr_core.graph import bfcl_graph
from fr_core.llm import ScriptedClient
from fr_core.pipeline import generate_sample


def run(samples: int, rounds: int, calls: int, agents, graphs) -> dict:
    classes = list(BFCL_CLASSES)
    started = time.perf_counter()
    trajs = [generate_sample([classes[i % len(classes)]], graphs[classes[i % len(classes)]], rounds=rounds,
                             calls=calls, agents=agents, seed=i).output for i in range(samples)]
    elapsed = time.perf_counter() - started
    accepted = [t for t in trajs if t.status == "accepted"]
    outcomes = [r.outcome for t in trajs for r in t.turns if r.outcome is not None]
    won = [o for o in outcomes if o.accepted]
    first_at = Counter(o.passed_index + 1 for o in won)
    attempts = Counter(len(o.attempts) for o in outcomes)
    calls_total = sum(t.provenance["agent_calls"] for t in trajs)
    llm_total = sum(t.provenance["llm_calls"] for t in trajs)
    per_class = Counter(t.classes[0] for t in accepted)
    return {
        "samples": samples, "rounds": rounds, "calls": calls, "seconds": round(elapsed, 2),
        "status": dict(Counter(t.status for t in trajs)),
        "acceptance_rate": round(len(accepted) / samples, 3),
        "accepted_per_s": round(len(accepted) / elapsed, 1), "samples_per_s": round(samples / elapsed, 1),
        "round_acceptance": round(len(won) / max(1, len(outcomes)), 3),
        "mean_attempts_per_accepted_sample": round(
            sum(len(r.outcome.attempts) for t in accepted for r in t.turns) / max(1, len(accepted)), 2),
        "mean_attempts_per_accepted_round": round(sum(len(o.attempts) for o in won) / max(1, len(won)), 2),
        "share_first_accepted_at_2_or_3": round((first_at[2] + first_at[3]) / max(1, len(won)), 3),
        "first_accepted_at": dict(sorted(first_at.items())), "attempts_distribution": dict(sorted(attempts.items())),
        "agent_calls_per_accepted_sample": round(calls_total / max(1, len(accepted)), 1),
        "llm_requests_per_accepted_sample": round(llm_total / max(1, len(accepted)), 1),
        "leak_rejections": sum(t.provenance["leak_rejections"] for t in trajs),
        "accepted_by_class": dict(sorted(per_class.items())),
    }


class _EchoChainModel:
    """A scripted model for counting requests: it answers A_R with the chain it saw in A_T's prompt."""

    def __init__(self) -> None:
        self.chain = ""

    def __call__(self, request) -> str:
        last = str(request.messages[-1].get("content"))
        if "You are the tooling agent" in last:
            self.chain = ", ".join(re.findall(r"^\d+\. \[\w+\] (.*?) -- ", last, re.M))
            return '{"name": "task", "description": "Does the task.", "parameters": {}}'
        if "You are the querying agent" in last:
            return '{"query": "Please take care of it."}'
        if "You are the critiquing agent" in last:
            return '{"critique": "Check the calls."}'
        if request.label == "reasoning":
            return f"<think>plan</think><tool_call>[{self.chain}]</tool_call>"
        return "<answer>Done.</answer>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--calls", type=int, default=4)
    args = parser.parse_args()
    t0 = time.perf_counter()
    graphs = {c: bfcl_graph([c]).output for c in BFCL_CLASSES}
    print(f"graphs for {len(graphs)} classes built in {time.perf_counter() - t0:.1f}s (not counted below)")
    offline = run(args.samples, args.rounds, args.calls, make_agents("offline"), graphs)
    print("offline heuristic agents:", json.dumps(offline, indent=2))
    scripted = run(min(40, args.samples), args.rounds, args.calls,
                   make_agents("scripted", client=ScriptedClient(_EchoChainModel())), graphs)
    print("scripted LLM client (requests counted):",
          json.dumps({k: scripted[k] for k in ("samples", "status", "llm_requests_per_accepted_sample",
                                               "accepted_per_s")}, indent=2))


if __name__ == "__main__":
    main()
