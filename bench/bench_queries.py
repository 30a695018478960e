"""Hard queries of the offline agents beside BFCL v3 multi-turn base's, in one run (BFCL is read only to measure).

    python bench/bench_queries.py [--samples 200] [--config data/configs/offline.toml] [--where]

Prints: word-trigram overlap with the tools' descriptions (outside quoted values), distinct-2 at an equal number
of bigrams, the goals each request asks for (inner calls of role "goal"), grounding kinds of every argument of
accepted turns, accepted turns with an arbitrary pick left hidden, the share of later turns that refer back to an
earlier one, and acceptance; then three accepted samples' requests. ``--where`` (offline querying only) also says
where the bigrams of the compared corpus are: in the goal clauses, before the first (openers, scenes, greetings),
between goals (connectors, reasons, credentials) or after the last (closers), each part's share and how often its
bigrams are new when they come (distinct-2 is the weighted mean of those rates).
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter

from fr_core.agents.querying import OfflineQuerying
from fr_core.analysis import description_overlap, distinct_n, tokenize, grounding_counts, hidden_picks, refer_back_share
from fr_core.envs import bfcl_tool_specs, make_env
from fr_core.graph.check import load_bfcl_entries
from fr_core.pipeline.config import load_run_config
from fr_core.pipeline.runner import config_samples


def _bfcl_base() -> tuple[list[str], float]:
    """BFCL base's user turns and their overlap with their own classes' tool descriptions."""
    texts, grams = [], []
    for entry in load_bfcl_entries("base"):
        tools = [s for c in entry["involved_classes"] for s in bfcl_tool_specs(c)]
        turns = [m["content"] for turn in entry["question"] for m in turn if m.get("role") == "user"]
        texts += turns
        grams.append((turns, tools))
    words = sum(len(t.split()) for t, _ in grams for t in t)
    overlap = sum(description_overlap(t, tools) * sum(len(x.split()) for x in t) for t, tools in grams) / words
    return texts, overlap


def _bigrams(texts: list[str]) -> int:
    return sum(max(0, len(tokenize(t)) - 1) for t in texts)


def _where(accepted: list, size: int) -> None:
    """Each part of the requests' bigrams (goal clauses, before, between, after them): its share of the first
    ``size`` bigrams (requests in the seeded order of the distinct-2 figure) and how often a bigram there is new."""
    querying = OfflineQuerying()
    items = []
    for t in accepted:
        tools = tuple(make_env("+".join(t.classes)).tools())
        for r in t.turns:
            q = r.hard_query  # written again from its seed, for the clauses the text was made from
            again = querying.write(r.adv_tool, tools, hard=True, noise=q.noise, seed=q.seed, history=({},) * r.round)
            if again.output.text == q.text:
                items.append((q.text, again.trace["clauses"]))
    random.Random(0).shuffle(items)
    seen: set[tuple[str, str]] = set()
    parts = {k: [0, 0] for k in ("goal clauses", "before them", "between them", "after them")}
    total = 0
    for text, clauses in items:
        low = text.lower()
        spans = sorted((i, i + len(c)) for c in clauses if (i := low.find(c.lower())) >= 0)
        tokens = [(m.group(0), m.start()) for m in re.finditer(r"\w+|[^\w\s]", low)]
        for (a, i), (b, j) in zip(tokens, tokens[1:]):
            inside = any(x <= i and j < y for x, y in spans)
            part = "goal clauses" if inside else "before them" if not spans or j < spans[0][0] else \
                "after them" if i >= spans[-1][1] else "between them"
            parts[part][0] += (a, b) not in seen
            parts[part][1] += 1
            seen.add((a, b))
            total += 1
        if total >= size:
            break
    print(f"where the bigrams are ({total} bigrams of {len(items)} requests written again from their seeds):")
    for part, (new, n) in parts.items():
        print(f"  {part:14} share {n / max(1, total):.3f}   new when they come {new / max(1, n):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--config", default="data/configs/offline.toml")
    parser.add_argument("--where", action="store_true", help="where the bigrams are (offline querying only)")
    args = parser.parse_args()
    config = load_run_config(args.config)
    started = time.perf_counter()
    trajs = config_samples(config, args.samples)
    elapsed = time.perf_counter() - started
    accepted = [t for t in trajs if t.status == "accepted"]
    queries = [r.hard_query.text for t in accepted for r in t.turns]
    weighted = [(r.hard_query.text, tuple(make_env("+".join(t.classes)).tools())) for t in accepted for r in t.turns]
    ours_overlap = sum(description_overlap([q], tools) * len(q.split()) for q, tools in weighted) / max(
        1, sum(len(q.split()) for q, _ in weighted))
    bfcl_texts, bfcl_overlap = _bfcl_base()
    rng = random.Random(0)
    # distinct-2 falls as a corpus grows, so both sides count the same number of bigrams (queries in a seeded order;
    # equal numbers of queries would favour the side with the shorter ones)
    ours_sample, bfcl_sample = rng.sample(queries, len(queries)), rng.sample(bfcl_texts, len(bfcl_texts))
    size = min(_bigrams(ours_sample), _bigrams(bfcl_sample))
    kinds = grounding_counts(trajs)
    total = Counter()
    for (_, kind), count in kinds.items():
        total[kind] += count
    share, later = refer_back_share(trajs)
    print(f"{'figure':44} {'ours':>10} {'BFCL base':>10}")
    print(f"{'description trigram overlap':44} {ours_overlap:10.3f} {bfcl_overlap:10.3f}")
    print(f"{f'distinct-2 ({size} bigrams each)':44} {distinct_n(ours_sample, 2, size):10.3f} "
          f"{distinct_n(bfcl_sample, 2, size):10.3f}")
    print(f"{'mean words per query':44} {sum(len(q.split()) for q in queries) / max(1, len(queries)):10.1f} "
          f"{sum(len(q.split()) for q in bfcl_texts) / len(bfcl_texts):10.1f}")
    goals = [sum(role == "goal" for role in r.adv_tool.roles) for t in accepted for r in t.turns if r.adv_tool]
    print(f"{'goals asked for per request':44} {sum(goals) / max(1, len(goals)):10.2f}")
    print(f"{'later turns referring back':44} {share:10.3f} {'':>10}  ({later} later turns)")
    print(f"{'accepted turns with a hidden arbitrary pick':44} {hidden_picks(trajs):10d}")
    print(f"{'acceptance':44} {len(accepted) / len(trajs):10.3f}  ({len(trajs)} samples, {elapsed:.1f} s)")
    all_args = sum(total.values())
    print("grounding kinds of the accepted turns' arguments: " + ", ".join(
        f"{k} {v / all_args:.3f}" for k, v in total.most_common()) + f" ({all_args} arguments)")
    if args.where:
        _where(accepted, size)
    for t in accepted[:3]:
        print("\n" + " | ".join(f"[{r.round + 1}] {r.hard_query.text}" for r in t.turns))


if __name__ == "__main__":
    main()
