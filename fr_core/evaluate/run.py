"""``evaluate``: a model acts in each case turn by turn and step by step (the reasoning agent of Phase III, calls run
by our dispatcher), ``k`` attempts a case, scored the BFCL way; cases run concurrently and each is stored in one
transaction, so an evaluation resumes where it stopped."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from fr_core.agents.base import ReasoningAgent, ReasonTask
from fr_core.agents.reasoning import LLMReasoning
from fr_core.errors import ConfigError
from fr_core.evaluate.cases import EvalCase, case_env, load_cases
from fr_core.evaluate.score import first_divergence, score_case
from fr_core.evaluate.scripted import error_rate, is_test_backend, scripted_backend
from fr_core.evaluate.store import EvalStore
from fr_core.llm import Accounting, LLMCache, ModelProfile, build_client, get_profile
from fr_core.refine.loop import run_attempt
from fr_core.types import Event, LLMCallEvent, Query, ToolCall

__all__ = ["EvalSettings", "EvalProgress", "evaluate", "attempt_case", "summarise"]

_NO_GRAPH = nx.DiGraph()  # the model gets no API graph: only the tools, the conversation and the results


@dataclass(frozen=True)
class EvalSettings:
    """What to evaluate and how: a model profile, a ``--data`` source, attempts per case, cases in flight, and the
    bounds of one turn (BFCL stops a model after 20 steps of a turn)."""

    model: str
    data: str
    k: int = 1
    limit: int | None = None
    concurrency: int = 8
    seed: int = 0
    max_steps: int = 20
    max_calls: int = 50
    cache_mode: str = "use"
    profiles: str | None = None

    def __post_init__(self) -> None:
        if self.k < 1 or self.concurrency < 1 or self.max_steps < 1 or self.max_calls < 1:
            raise ConfigError(f"fr eval: k, concurrency, max_steps and max_calls must be at least 1 ({self})")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"fr eval: --limit must be at least 1, got {self.limit}")


@dataclass
class EvalProgress:
    """Counts so far (cases stored before a resume included), attempts passed, LLM usage."""

    eval_id: str
    total: int
    done: int = 0
    passed_cases: int = 0  # at least one attempt passed
    passed_attempts: int = 0
    attempts: int = 0
    skipped: int = 0  # stored before this invocation
    llm_calls: int = 0
    cost_usd: float = 0.0
    interrupted: bool = False
    started: float = field(default_factory=time.perf_counter)


def _step_json(step: Any) -> dict[str, Any]:
    return {"reasoning": step.reasoning, "calls": [c.to_json() for c in step.calls],
            "results": [r.value if r.ok else {"error": r.error} for r in step.results]}


def attempt_case(case: EvalCase, agent: ReasoningAgent, k: int, settings: EvalSettings) -> dict[str, Any]:
    """One attempt at a case: each turn's request in order, the model acting step by step in the environment its
    earlier turns left; then the BFCL-way verdict. Returns the attempt as JSON (turns, steps, verdict, usage and the
    seconds spent waiting for the model)."""
    env = case_env(case)
    history: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    events: list[Event] = []
    error = None
    for t, turn in enumerate(case.turns):
        task = ReasonTask(Query(turn.query, "hard", seed=settings.seed), case.tools(env, t), _NO_GRAPH, t,
                          tuple(history), (), settings.seed, settings.max_steps, settings.max_calls)
        run = run_attempt(agent, task, ({"role": "user", "content": turn.query},), k, env)
        events += run.events
        steps = [_step_json(s) for s in run.steps]
        turns.append({"query": turn.query, "steps": steps, "answer": run.answer, "error": run.error,
                      "truth": [c.to_json() for c in turn.truth]})
        if run.error is not None:
            error = f"turn {t + 1}: {run.error}"
            break
        env = run.env if run.env is not None else env
        history.append({"query": turn.query, "steps": steps, "answer": run.answer})
    model_turns = [[ToolCall(c["name"], c["arguments"]) for s in x["steps"] for c in s["calls"]] for x in turns]
    score = score_case(case, model_turns)
    for t, record in enumerate(turns):
        record["diverges_at"] = first_divergence(model_turns[t], case.turns[t].truth)
        if t < len(score.turns):
            verdict = score.turns[t]
            record.update(passed=verdict.passed, rule=verdict.rule, reason=verdict.reason,
                          diff=[list(d) for d in verdict.diff])
    passed = score.passed and error is None
    rule, reason = (score.rule, next((x.reason for x in score.turns if not x.passed), "")) if error is None \
        else ("stopped", error)
    llm = [e for e in events if isinstance(e, LLMCallEvent)]
    return {"k": k, "passed": passed, "rule": rule, "reason": reason if not passed else "",
            "failed_turn": score.failed_turn if error is None else len(turns) - 1, "turns": turns,
            "llm": {"calls": len(llm), "cached": sum(1 for e in llm if e.cached),
                    "cost_usd": sum(float(e.cost_usd or 0) for e in llm),
                    "input_tokens": sum(e.usage.input_tokens for e in llm),
                    "output_tokens": sum(e.usage.output_tokens for e in llm),
                    "wait_s": round(sum(e.latency_s for e in llm), 3)}}


class _Agents:
    """The reasoning agent of each attempt: one shared LLM client for a model, a fresh scripted backend per case
    and attempt for a test backend (it replays that case). Test backends are not cached: their reply depends on
    the case's ground truth, which the conversation does not show, so two cases that start alike would share it."""

    def __init__(self, profile: ModelProfile, cache: LLMCache | None, accounting: Accounting, seed: int) -> None:
        self.profile, self.cache, self.accounting, self.seed = profile, cache, accounting, seed
        self.test_backend = is_test_backend(profile)
        if self.test_backend:
            error_rate(profile)  # a clear error before any case runs
            self.shared = None
        else:
            self.shared = self._agent(build_client(profile, cache=cache, accounting=accounting))

    def _agent(self, client: Any) -> LLMReasoning:
        return LLMReasoning(client, self.profile.model, temperature=self.profile.temperature)

    def for_attempt(self, case: EvalCase, k: int) -> ReasoningAgent:
        if self.shared is not None:
            return self.shared
        return self._agent(build_client(self.profile, accounting=self.accounting,
                                        backend=scripted_backend(self.profile, case, k, self.seed)))


def _run_case(case: EvalCase, agents: _Agents, settings: EvalSettings) -> tuple[list[dict[str, Any]], float]:
    started = time.perf_counter()
    attempts = [attempt_case(case, agents.for_attempt(case, k), k, settings) for k in range(1, settings.k + 1)]
    return attempts, time.perf_counter() - started


def evaluate(db: str | Path, settings: EvalSettings | None = None, *, resume: str | None = None,
             on_progress: Callable[[EvalProgress], None] | None = None) -> EvalProgress:
    """Run (or with ``resume``, continue) an evaluation into the store ``db``: the cases of ``settings.data`` not
    stored yet, ``settings.concurrency`` at a time (those with more turns first), each stored with all its attempts
    once they are done. LLM calls
    go through the store's cache and are counted; Ctrl-C, or a model server that gives no usable answer after its
    retries (raised), stores nothing half-done and leaves the evaluation resumable."""
    from fr_core.store import Store

    evals = EvalStore(db)
    if resume is not None:
        row = evals.get(resume)
        settings = EvalSettings(**row.config)
        eval_id = resume
    elif settings is None:
        raise ConfigError("evaluate needs settings, or resume=EVAL_ID")
    profile = get_profile(settings.model, settings.profiles)
    store = Store(db) if settings.data.startswith("run:") else None
    cases = load_cases(settings.data, store, settings.limit)
    if not cases:
        raise ConfigError(f"--data {settings.data} has no cases to evaluate")
    if resume is None:
        eval_id = evals.create(settings.model, settings.data, settings.k, len(cases), asdict(settings),
                               test_backend=is_test_backend(profile))
    accounting = Accounting()
    cache = None if settings.cache_mode == "off" else LLMCache(db, settings.cache_mode)  # type: ignore[arg-type]
    agents = _Agents(profile, cache, accounting, settings.seed)
    progress = EvalProgress(eval_id, len(cases))
    for case_row in evals.cases(eval_id, with_attempts=False):
        _count(progress, case_row.passed, case_row.k)
    progress.skipped = progress.done
    done = evals.done_cases(eval_id)
    # Cases with more turns first: a long case started last would hold the run open while the slots stand idle.
    todo = sorted(((i, c) for i, c in enumerate(cases) if c.id not in done), key=lambda item: -len(item[1].turns))
    status = "done"
    pool = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="fr-eval")
    pending: dict[Future, tuple[int, EvalCase]] = {}
    try:
        queue = iter(todo)
        for item in queue:
            pending[pool.submit(_run_case, item[1], agents, settings)] = item
            if len(pending) >= settings.concurrency:
                break
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                idx, case = pending.pop(future)
                nxt = next(queue, None)
                if nxt is not None:  # the slot is refilled before the finished case is stored
                    pending[pool.submit(_run_case, nxt[1], agents, settings)] = nxt
                attempts, seconds = future.result()
                passed = sum(a["passed"] for a in attempts)
                evals.add_case(eval_id, idx, case.id, case.category, case.env_name, case.sample_id, passed,
                               settings.k, attempts, seconds)
                _count(progress, passed, settings.k)
                totals = accounting.totals()
                progress.llm_calls, progress.cost_usd = totals.requests, totals.cost_usd
                if on_progress:
                    on_progress(progress)
    except KeyboardInterrupt:
        progress.interrupted, status = True, "interrupted"
    except BaseException:  # a server that gives no usable answer stops the evaluation; --resume continues it
        status = "failed"
        raise
    finally:
        pool.shutdown(wait=status == "done", cancel_futures=True)
        evals.finish(eval_id, status, {k: v for k, v in asdict(accounting.totals()).items()})
    return progress


def _count(progress: EvalProgress, passed: int, k: int) -> None:
    progress.done += 1
    progress.attempts += k
    progress.passed_attempts += passed
    progress.passed_cases += passed > 0


def summarise(rows: list[Any], k: int) -> dict[str, Any]:
    """Accuracy (passed attempts over attempts: BFCL's figure when k = 1), pass@k (cases with a passing attempt),
    by category and by environment."""
    def figures(subset: list[Any]) -> dict[str, Any]:
        attempts = sum(r.k for r in subset)
        return {"cases": len(subset), "accuracy": round(sum(r.passed for r in subset) / attempts, 4) if attempts
                else 0.0, f"pass@{k}": round(sum(r.passed > 0 for r in subset) / len(subset), 4) if subset else 0.0}

    out = figures(rows)
    for key, attr in (("by_category", "category"), ("by_env", "env")):
        groups: dict[str, list[Any]] = {}
        for r in rows:
            groups.setdefault(getattr(r, attr), []).append(r)
        out[key] = {name: figures(group) for name, group in sorted(groups.items())}
    return out
