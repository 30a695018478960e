"""What the accepted training turns look like, offline: acceptance, steps, blind calls, clean CoT, answer variety.

    python bench/bench_turns.py [--samples 200] [--config data/configs/offline.toml]

Figures (read on accepted turns, so rejecting more cannot improve them):
- blind calls: calls with an argument that first appears in a tool reply of the same step (predicted before seen);
- dirty CoT: kept reasoning that mentions critic / feedback / retry / probe or has blanked values;
- answer opening: share of the most common 3-word answer opening (digits masked);
- repeated calls: identical calls (same name and arguments) repeated within a turn, as a share of calls;
- failed calls: calls answering with an error, outside designed error-recovery turns.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter

from fr_core.agents.narrate import dirty_reasons
from fr_core.envs.base import call_failed
from fr_core.pipeline.config import load_run_config
from fr_core.pipeline.runner import config_samples


def _scalars(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _scalars(v)]
    if isinstance(value, list):
        return [s for v in value for s in _scalars(v)]
    return [] if value is None or isinstance(value, bool) else [str(value)]


def blind_calls(query: str, history: str, steps) -> int:
    """Calls using a value that appears first in a reply of their own step (not in the request or anything before)."""
    seen = query + " " + history
    count = 0
    for step in steps:
        same = [s for r in step.results for s in _scalars(r.value)]
        for call in step.calls:
            values = [s for s in _scalars(call.arguments) if len(s) >= 2]
            if any(v in same and v not in seen for v in values):
                count += 1
        seen += " " + " ".join(r.to_text() for r in step.results)
    return count


def measure(trajectories) -> dict:
    accepted = [t for t in trajectories if t.status == "accepted"]
    turns = [(t, r) for t in accepted for r in t.turns]
    calls = blind = repeated = failed = dirty = 0
    openings: Counter[str] = Counter()
    steps_n = attempts_n = 0
    for t, r in turns:
        attempt = r.outcome.passing
        history = json.dumps([x.hard_query.text + " " + json.dumps([res.to_text() for res in x.outcome.passing.results])
                              for x in t.turns[: r.round]])
        blind += blind_calls(r.hard_query.text, history, attempt.steps)
        seen: Counter[str] = Counter(c.to_python() for c in attempt.calls)
        repeated += sum(n - 1 for n in seen.values())
        calls += len(attempt.calls)
        recovery = any(s.deliberate_error for s in r.turn.steps)
        failed += 0 if recovery else sum(call_failed(x) for x in attempt.results)
        dirty += any(dirty_reasons(text) for text in attempt.reasoning) or bool(dirty_reasons(r.answer))
        openings[" ".join(re.sub(r"\d", "0", r.answer).lower().split()[:3])] += 1
        steps_n += len(attempt.steps)
        attempts_n += len(r.outcome.attempts)
    roles = sum(t.provenance["agent_calls"] for t in accepted)
    top = openings.most_common(1)[0] if openings else ("", 0)
    n = max(1, len(turns))
    return {
        "samples": len(trajectories), "acceptance": round(len(accepted) / max(1, len(trajectories)), 3),
        "accepted_turns": len(turns), "calls": calls,
        "blind_call_share": round(blind / max(1, calls), 4), "dirty_cot_share": round(dirty / n, 4),
        "top_answer_opening": top[0], "top_answer_opening_share": round(top[1] / n, 4),
        "repeated_call_share": round(repeated / max(1, calls), 4), "failed_calls": failed,
        "mean_steps_per_turn": round(steps_n / n, 2), "mean_calls_per_step": round(calls / max(1, steps_n), 2),
        "attempts_per_accepted_turn": round(attempts_n / n, 2),
        "role_calls_per_accepted_sample": round(roles / max(1, len(accepted)), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--config", default="data/configs/offline.toml")
    args = parser.parse_args()
    config = load_run_config(args.config)
    started = time.perf_counter()
    trajectories = config_samples(config, args.samples)
    figures = measure(trajectories)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    for key, value in figures.items():
        print(f"{key:32} {value}")


if __name__ == "__main__":
    main()
