"""Environment benchmark: executed calls per second for each of the eight BFCL classes and overall.

Run: ``.venv/bin/python bench/bench_envs.py [--repeats 5]``.

The call mix is the ground truth of BFCL's base category (used only to measure), replayed on our own
environment instances built from each entry's initial config. ``execute`` includes validation, dispatch,
deep-copying the arguments and converting the result to JSON; ``direct`` calls the bound method on a
second instance with the same arguments, to show what that wrapping costs. The two example user
environments get a fixed call mix of their own.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from importlib import resources
from pathlib import Path

from fr_core.envs import BFCL_CLASSES, make_bfcl_env, make_env
from fr_core.errors import ParseError
from fr_core.llm.parsing import parse_python_calls
from fr_core.types import ToolCall

DATA = Path(__file__).resolve().parents[1] / "data" / "tools"


def _lines(name: str) -> list[dict]:
    path = resources.files("bfcl_eval") / "data" / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def base_workload() -> list[tuple[list[str], dict, list[ToolCall]]]:
    """(classes, initial config, ground-truth calls in order) per base-category entry."""
    answers = {a["id"]: a["ground_truth"] for a in _lines("possible_answer/BFCL_v4_multi_turn_base.json")}
    work = []
    for entry in _lines("BFCL_v4_multi_turn_base.json"):
        classes = list(dict.fromkeys([*entry["involved_classes"], *entry["initial_config"]]))
        specs = {s.name: s for s in make_bfcl_env(classes, entry["initial_config"]).tools()}
        calls = []
        for turn in answers[entry["id"]]:
            for text in turn:
                try:
                    calls.extend(parse_python_calls(text, specs))
                except ParseError as exc:
                    print(f"  skipped {entry['id']}: {exc}")
        work.append((classes, entry["initial_config"], calls))
    return work


def measure_bfcl(work, repeats: int) -> None:
    seconds: dict[str, float] = defaultdict(float)
    direct_s: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    ok: dict[str, int] = defaultdict(int)
    build_s, builds = 0.0, 0
    snap_s, snaps = 0.0, 0
    clock = time.perf_counter
    for _ in range(repeats):
        for classes, config, todo in work:
            t0 = clock()
            env = make_bfcl_env(classes, config)
            build_s += clock() - t0
            builds += 1
            twin = make_bfcl_env(classes, config)
            for call in todo:
                spec = env.spec(call.name)
                owner = spec.owner if spec else "unknown"
                t0 = clock()
                result = env.execute(call)
                seconds[owner] += clock() - t0
                calls[owner] += 1
                ok[owner] += result.ok
                if spec is not None:
                    method = getattr(twin.instance(owner), call.name)
                    t0 = clock()
                    try:
                        method(**call.arguments)
                    except Exception:  # the same call failed inside the class; execute() reported it
                        pass
                    direct_s[owner] += clock() - t0
            t0 = clock()
            env.restore(env.snapshot())
            snap_s += clock() - t0
            snaps += 1

    print(f"BFCL base-category ground truth, {len(work)} entries x {repeats} repeats, on our own instances")
    print(f"{'class':<20}{'calls':>8}{'ok':>7}{'execute calls/s':>18}{'direct calls/s':>17}")
    for cls in [*BFCL_CLASSES, "unknown"]:
        if not calls.get(cls):
            continue
        rate = calls[cls] / seconds[cls]
        direct = calls[cls] / direct_s[cls] if direct_s[cls] else float("nan")
        print(f"{cls:<20}{calls[cls]:>8}{ok[cls] / calls[cls]:>7.0%}{rate:>18,.0f}{direct:>17,.0f}")
    total, total_s = sum(calls.values()), sum(seconds.values())
    print(f"{'overall':<20}{total:>8}{sum(ok.values()) / total:>7.0%}{total / total_s:>18,.0f}"
          f"{total / sum(direct_s.values()):>17,.0f}")
    print(f"environment builds: {builds / build_s:,.0f}/s; snapshot+restore: {snaps / snap_s:,.0f}/s")


def measure_user(repeats: int) -> None:
    notes = [
        ToolCall("login", {"username": "alice", "password": "wonderland"}),
        ToolCall("create_note", {"title": "Groceries", "body": "milk, eggs", "tags": ["home"]}),
        ToolCall("create_note", {"title": "Plan", "body": "ship it", "priority": "high"}),
        ToolCall("list_notes", {"tag": "home"}),
        ToolCall("read_note", {"note_id": "n1"}),
        ToolCall("delete_note", {"note_id": "n2"}),
        ToolCall("logout", {}),
    ]
    weather = [
        ToolCall("find_city", {"query": "Paris"}),
        ToolCall("get_current_weather", {"city_id": "city-paris-fr"}),
        ToolCall("get_forecast", {"city_id": "city-lyon-fr", "days": 5}),
        ToolCall("subscribe_alerts", {"city_id": "city-lyon-fr", "email": "me@example.com", "kinds": ["storm"]}),
        ToolCall("cancel_alerts", {"subscription_id": "subscription-1"}),
    ]
    print("example user environments (fixed call mix)")
    for spec, mix, config in (
        (f"{DATA / 'notes_app.py'}:NotesApp", notes, None),
        (str(DATA / "weather_tools.json"), weather, {"replay": str(DATA / "weather_replay.json")}),
    ):
        n, spent = 0, 0.0
        for _ in range(repeats * 40):
            env = make_env(spec, initial_config=config)
            t0 = time.perf_counter()
            for call in mix:
                env.execute(call)
            spent += time.perf_counter() - t0
            n += len(mix)
        print(f"  {env.name:<18}{n:>8} calls {n / spent:>12,.0f} calls/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="passes over the workload (default 5)")
    args = parser.parse_args()
    measure_bfcl(base_workload(), args.repeats)
    measure_user(args.repeats)


if __name__ == "__main__":
    main()
