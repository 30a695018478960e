"""How long each workbench page takes on a big store: 10,000 samples with 1,000 revisions and 300 review decisions.

    python bench/bench_review.py [--samples 10000] [--revisions 1000] [--db /tmp/bench_review.db]

Samples are 40 offline two-round samples stored again and again under new indices (the store and the pages read each
as its own sample); revisions are real ``save_revision`` calls (parsed, executed, validated, later rounds replayed).
Each page is run with Streamlit's ``AppTest`` against that store, the first time (cold caches) and again (warm), and
the review page's next / accept actions are timed too. The issue's bar is < 2 s a page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from fr_core.agents import make_agents
from fr_core.pipeline import generate_sample
from fr_core.review import current_attempt, decide, load_current, save_revision, steps_text
from fr_core.store import Store

APP = Path(__file__).resolve().parents[1] / "workbench" / "app.py"
PAGES = ("review", "dataset", "cot_editor", "runs", "critique", "sampler", "graph")


def build(db: Path, samples: int, revisions: int) -> str:
    """A run of ``samples`` samples, ``revisions`` saved revisions and 300 review decisions; its id."""
    made = [generate_sample(["GorillaFileSystem"], rounds=2, seed=0, index=i,
                            agents=make_agents("offline", mistake_rate=0.0)).output for i in range(40)]
    store = Store(db)
    try:
        run_id = store.create_run({"note": "bench_review"}, 0, samples)
        t = time.perf_counter()
        for i in range(samples):
            store.add_sample(run_id, i, made[i % len(made)])
        print(f"stored {samples} samples in {time.perf_counter() - t:.1f} s")
        ids = [r.id for r in store.iter_samples(run_id, with_trajectory=False)]
        t = time.perf_counter()
        step = max(1, len(ids) // revisions)
        for sid in ids[::step][:revisions]:
            attempt = current_attempt(load_current(store, sid).turns[0])
            if attempt is not None:
                text = steps_text(attempt.steps, attempt.reasoning).replace("<think>", "<think>Reviewed. ", 1)
                save_revision(store, sid, 1, text, "bench", "bench edit")
        print(f"saved {len(ids[::step][:revisions])} revisions in {time.perf_counter() - t:.1f} s")
        decide(store, ids[1::33][:300], "rejected", "bench", "bench")
        return run_id
    finally:
        store.close()


def _timed(run) -> float:
    t = time.perf_counter()
    run()
    return time.perf_counter() - t


def time_pages(db: Path) -> None:
    from streamlit.testing.v1 import AppTest

    os.environ["FR_STORE"] = str(db)
    print(f"{'page':<12} {'cold s':>8} {'warm s':>8}")
    for page in PAGES:
        at = AppTest.from_file(str(APP), default_timeout=120).run()
        at.switch_page(f"pages/{page}.py")
        cold = _timed(at.run)
        if page == "dataset" and at.radio(key="dataset.source").options[-1].startswith("Store"):
            at.radio(key="dataset.source").set_value(at.radio(key="dataset.source").options[-1])
            cold = _timed(at.run)
        warm = statistics.median(_timed(at.run) for _ in range(3))
        problems = [e.value for e in at.exception] + [e.value for e in at.error]
        print(f"{page:<12} {cold:>8.2f} {warm:>8.2f}" + (f"   errors: {problems[:1]}" if problems else ""))
        if page == "review":
            nxt = statistics.median(_timed(at.button(key="review.next").click().run) for _ in range(3))
            accept = _timed(at.button(key="review.accept").click().run)
            print(f"{'  next':<12} {'':>8} {nxt:>8.2f}\n{'  accept':<12} {'':>8} {accept:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--revisions", type=int, default=1_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench_review.db"))
    args = parser.parse_args()
    for end in ("", "-wal", "-shm"):
        Path(f"{args.db}{end}").unlink(missing_ok=True)
    build(args.db, args.samples, args.revisions)
    time_pages(args.db)


if __name__ == "__main__":
    main()
