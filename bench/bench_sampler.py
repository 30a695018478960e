"""Phase I sampler benchmark: executed calls/s against the bare environment, and the 500-episode figures.

Run: ``.venv/bin/python bench/bench_sampler.py [--episodes 500] [--speed-only] [--speed-repeats 3] [--strategy flow]``.

* speed: the sampler's executed calls per second (choice, legality, arguments, execution, trace, state diff):
  every call it runs on the environment, the trial calls it undoes (is a value accepted, would a call undo the
  last one) as well as the calls kept in the trace; the kept calls per second too, and next to them the bare rate
  of ``env.execute`` replaying exactly the kept calls on the same start states.
* figures: per BFCL class and per class combination of BFCL's base category, N seeded episodes of
  3 rounds × 4 calls, directed vs random walk: success of non-deliberate calls, target reach in turns where
  it was reachable, data-flow share (arguments taken from earlier outputs).
* user environments: the same figures (``--user-episodes``, default 100) on the shipped examples in ``data/tools/``
  and the test environments in ``tests/data/tools/`` (ids nested in records, a login, a resource that runs out),
  whose graphs come from probes on their generated states. ``--user-only`` skips the BFCL part.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

from fr_core.envs import BFCL_CLASSES, Environment
from fr_core.envs.factory import make_env
from fr_core.graph import bfcl_graph, spec_graph
from fr_core.graph.check import class_combinations
from fr_core.sampling import STRATEGIES, SamplerConfig, sample_episode, sample_episodes, summarize
from fr_core.types import CallResult, ToolCall


@dataclass(frozen=True)
class Speed:
    """What one speed run measured: calls the sampler executed (trials included) and kept, and the seconds."""

    executed: int
    kept: int
    sampler_s: float
    bare_s: float  # env.execute alone, replaying the kept calls

    @property
    def executed_rate(self) -> float:
        return self.executed / self.sampler_s

    @property
    def kept_rate(self) -> float:
        return self.kept / self.sampler_s

    @property
    def bare_rate(self) -> float:
        return self.kept / self.bare_s


def count_executions(env: Environment) -> list[int]:
    """Make ``env`` count the calls it executes (a one-item list the count goes into)."""
    count = [0]
    execute = env.execute

    def counted(call: ToolCall) -> CallResult:
        count[0] += 1
        return execute(call)

    env.execute = counted  # type: ignore[method-assign]
    return count


def measure_speed(specs: list[str], episodes: int, diff_state: bool) -> Speed:
    """The sampler's and the bare environment's speed over ``episodes`` episodes per spec."""
    sampler_s = bare_s = 0.0
    executed = kept = 0
    for spec in specs:
        g = bfcl_graph(spec.split("+")).output
        cfg = SamplerConfig(rounds=3, calls=4, diff_state=diff_state)
        for seed in range(episodes):
            env = make_env(spec, seed=seed)
            count = count_executions(env)
            t0 = time.perf_counter()
            res = sample_episode(env, g, cfg, seed=seed)
            sampler_s += time.perf_counter() - t0
            executed += count[0]
            calls = [ToolCall(s.call.name, s.call.arguments) for t in res.output for s in t.steps]
            kept += len(calls)
            env = make_env(spec, seed=seed)
            t0 = time.perf_counter()
            for call in calls:
                env.execute(call)
            bare_s += time.perf_counter() - t0
    return Speed(executed, kept, sampler_s, bare_s)


ROOT = Path(__file__).resolve().parents[1]
USER_ENVS = (
    f"{ROOT}/data/tools/notes_app.py:NotesApp",
    f"{ROOT}/data/tools/weather_tools.json",
    f"{ROOT}/tests/data/tools/library.py:LendingLibrary",
    f"{ROOT}/tests/data/tools/print_shop.py:PrintShop",
)


def user_figures(episodes: int) -> None:
    """Directed-sampler figures on the user environments (graphs probed on their own generated states)."""
    print(f"== user environments: {episodes} episodes × 3 rounds × 4 calls, directed, flow targets ==")
    for spec in USER_ENVS:
        g = spec_graph(spec).output
        t0 = time.perf_counter()
        st = summarize(sample_episodes(lambda s, spec=spec: make_env(spec, seed=s), g, episodes,
                                       SamplerConfig(rounds=3, calls=4, seed=0)))
        dt = time.perf_counter() - t0
        name = spec.rsplit("/", 1)[-1]
        print(f"{name:34s} success {st.success_rate:.3f}  reach {st.reach_rate:.3f}  flow {st.flow_share:.3f}  "
              f"{st.calls / dt:6.0f} calls/s")
        for failure, count in st.top_failures(3):
            print(f"{'':36s}{count:5d}  {failure}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=500)
    ap.add_argument("--speed-episodes", type=int, default=60)
    ap.add_argument("--speed-only", action="store_true")
    ap.add_argument("--speed-repeats", type=int, default=3, help="timed speed runs per setting (median shown)")
    ap.add_argument("--strategy", default="flow", choices=STRATEGIES, help="target strategy for the figures")
    ap.add_argument("--user-episodes", type=int, default=100)
    ap.add_argument("--user-only", action="store_true")
    opts = ap.parse_args()
    user_figures(opts.user_episodes)
    if opts.user_only:
        return
    specs = list(BFCL_CLASSES) + class_combinations("base")

    episodes = opts.speed_episodes // 10 or 1
    # one untimed pass first: what a process does once (graph indexes, a class's pair probes, caches) is not a
    # per-call cost; then diff on and off alternate, so load drifts on a shared machine hit both alike
    measure_speed(specs, episodes, True)
    runs: dict[bool, list[Speed]] = {True: [], False: []}
    for _ in range(opts.speed_repeats):
        for diff in (True, False):
            runs[diff].append(measure_speed(specs, episodes, diff))
    print(f"== speed (sampler alone vs bare env.execute of the same calls; median of {opts.speed_repeats} runs "
          f"after a warm-up pass) ==")
    for diff in (True, False):
        sp = sorted(runs[diff], key=lambda r: r.executed_rate)[len(runs[diff]) // 2]
        rates = " / ".join(f"{r.executed_rate:.0f}" for r in runs[diff])
        print(f"state diff {'on ' if diff else 'off'}: sampler {sp.executed_rate:8.0f} executed calls/s "
              f"({sp.executed} calls; runs {rates}), {sp.kept_rate:6.0f} kept calls/s ({sp.kept} in the traces)   "
              f"bare env {sp.bare_rate:8.0f} calls/s   ratio {sp.executed_rate / sp.bare_rate:.3f}")
    if opts.speed_only:
        return

    print(f"\n== {opts.episodes} episodes × 3 rounds × 4 calls per environment, {opts.strategy} targets ==")
    head = (f"{'environment':34s} {'policy':8s} {'success':>8s} {'reach':>7s} {'reachable':>10s} {'flow':>6s} "
            f"{'calls/s':>8s}")
    print(head)
    totals = {"directed": [], "random": []}
    for spec in specs:
        g = bfcl_graph(spec.split("+")).output
        for policy in ("directed", "random"):
            t0 = time.perf_counter()
            traces = sample_episodes(lambda s, spec=spec: make_env(spec, seed=s), g, opts.episodes,
                                     SamplerConfig(rounds=3, calls=4, seed=0, policy=policy,
                                                   strategy=opts.strategy))
            dt = time.perf_counter() - t0
            st = summarize(traces)
            totals[policy].append(st)
            print(f"{spec:34s} {policy:8s} {st.success_rate:8.3f} {st.reach_rate:7.3f} "
                  f"{st.reachable_turns:5d}/{st.turns:<4d} {st.flow_share:6.3f} {st.calls / dt:8.0f}")
            if policy == "directed" and st.success_rate < 0.9:
                for failure, count in st.top_failures(4):
                    print(f"{'':36s}{count:5d}  {failure}")
    print()
    for policy, stats in totals.items():
        args = sum(s.args for s in stats)
        flow = sum(s.args_by_kind.get("output", 0) for s in stats) / args
        ok = sum(s.accidental_ok for s in stats) / sum(s.accidental_calls for s in stats)
        reach = sum(s.reached_turns for s in stats) / sum(s.reachable_turns for s in stats)
        print(f"ALL {policy:8s} success {ok:.3f}  reach {reach:.3f}  flow {flow:.3f}")


if __name__ == "__main__":
    main()
