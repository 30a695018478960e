"""Evaluation cases: BFCL v3 multi-turn entries (their own questions, states and answers) or a stored run's samples.

BFCL's data serves here for what it is for, measuring a model; nothing in this module feeds generation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fr_core.envs import BFCL_CLASSES, Environment, bfcl_tool_specs, make_bfcl_env, make_env
from fr_core.errors import ConfigError, ParseError
from fr_core.llm.parsing import parse_python_calls
from fr_core.types import ToolCall, Trajectory

__all__ = ["CaseTurn", "EvalCase", "ADDED_TOOLS_PROMPT", "DATA_SOURCES", "bfcl_cases", "run_cases", "load_cases",
           "case_env"]

#: What BFCL's user says in a miss-func turn where the withheld tools arrive (its FC prompt, word for word).
ADDED_TOOLS_PROMPT = "I have updated some more functions you can choose from. What about now?"

#: The ``--data`` sources of ``fr eval``.
DATA_SOURCES = ("bfcl:base", "bfcl:miss_func", "bfcl:miss_param", "bfcl:long_context", "run:RUN_ID")


@dataclass(frozen=True)
class CaseTurn:
    """One user turn: the user's words, the ground-truth calls, which of their results a model must also get
    (indices into ``truth``; ``None``: all, as BFCL asks), and the tools not offered in this turn."""

    query: str
    truth: tuple[ToolCall, ...]
    expect: tuple[int, ...] | None = None
    withheld: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalCase:
    """A test case: its environment (classes, initial state), its turns, and where it came from. ``category`` is a
    BFCL category or ``generated``; ``sample_id`` names the stored sample a generated case replays."""

    id: str
    category: str
    classes: tuple[str, ...]
    initial_config: dict[str, Any]
    turns: tuple[CaseTurn, ...]
    long_context: bool = False
    sample_id: str | None = None
    excluded: tuple[str, ...] = ()

    @property
    def env_name(self) -> str:
        return "+".join(self.classes)

    def tools(self, env: Environment, turn: int) -> tuple:
        """The tools offered in ``turn``: the environment's, less the excluded ones and those still withheld."""
        hidden = set(self.excluded) | set(self.turns[turn].withheld)
        return tuple(t for t in env.tools() if t.name not in hidden)


def case_env(case: EvalCase) -> Environment:
    """A fresh environment in the case's initial state."""
    if all(c in BFCL_CLASSES for c in case.classes):
        return make_bfcl_env(case.classes, case.initial_config, long_context=case.long_context)
    return make_env(list(case.classes), initial_config=case.initial_config)


def _parse_truth(entry_id: str, texts: list[str], specs: dict) -> tuple[ToolCall, ...]:
    calls: list[ToolCall] = []
    for text in texts:
        try:
            calls += parse_python_calls(text, specs)
        except ParseError as exc:
            raise ConfigError(f"BFCL entry {entry_id}: ground-truth call {text!r} cannot be read: {exc}") from None
    return tuple(calls)


def bfcl_cases(category: str, limit: int | None = None) -> list[EvalCase]:
    """The entries of a BFCL v3 multi-turn category as cases; in miss-func, a tool is withheld in every turn before
    the one where it arrives (whose user message is BFCL's "more functions" prompt)."""
    from fr_core.graph.check import load_bfcl_entries

    cases = []
    for entry in load_bfcl_entries(category)[:limit]:
        classes = tuple(entry["involved_classes"])
        unknown = [c for c in classes if c not in BFCL_CLASSES]
        if unknown:
            raise ConfigError(f"BFCL entry {entry['id']} needs classes {unknown}, which are not environments here")
        config = {c: v for c, v in entry.get("initial_config", {}).items() if c in classes}
        specs = {t.name: t for c in classes for t in bfcl_tool_specs(c)}
        arrives = {int(t): tuple(names) for t, names in (entry.get("missed_function") or {}).items()}
        turns = []
        for t, (messages, truth) in enumerate(zip(entry["question"], entry["ground_truth"])):
            withheld = tuple(n for at, names in arrives.items() if at > t for n in names)
            query = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
            turns.append(CaseTurn(query if messages else ADDED_TOOLS_PROMPT, _parse_truth(entry["id"], truth, specs),
                                  None, withheld))
        cases.append(EvalCase(entry["id"], category, classes, config, tuple(turns), category == "long_context",
                              excluded=tuple(entry.get("excluded_function") or ())))
    return cases


def _generated_case(sample_id: str, trajectory: Trajectory) -> EvalCase:
    from fr_core.sampling.flow import turn_flow

    turns = []
    for record in trajectory.turns:
        if record.hard_query is None:
            raise ConfigError(f"sample {sample_id}: round {record.round} has no query to ask a model")
        turns.append(CaseTurn(record.hard_query.text, record.turn.calls,
                              tuple(s.index for s in turn_flow(record.turn, record.round))))
    return EvalCase(sample_id, "generated", tuple(trajectory.classes), dict(trajectory.initial_config), tuple(turns),
                    sample_id=sample_id)


def run_cases(store: Any, run_id: str, limit: int | None = None) -> list[EvalCase]:
    """The accepted samples of a stored run as cases: each round's hard query, its ground-truth calls, and the results
    of the calls that count (the turn's data flow, as Phase III validates)."""
    store.get_run(run_id)  # a clear error for an unknown run
    cases = []
    for row in store.iter_samples(run_id, "accepted"):
        trajectory = row.trajectory
        if trajectory is None or not trajectory.turns:
            continue
        cases.append(_generated_case(row.id, trajectory))
        if limit is not None and len(cases) >= limit:
            break
    return cases


def load_cases(data: str, store: Any = None, limit: int | None = None) -> list[EvalCase]:
    """The cases of a ``--data`` source: ``bfcl:CATEGORY`` or ``run:RUN_ID`` (that run's accepted samples)."""
    kind, _, name = data.partition(":")
    if kind == "bfcl" and name in ("base", "miss_func", "miss_param", "long_context"):
        return bfcl_cases(name, limit)
    if kind == "run" and name:
        if store is None:
            raise ConfigError(f"--data {data} reads a stored run: pass the store (--db)")
        return run_cases(store, name, limit)
    raise ConfigError(f"unknown evaluation data {data!r}; choose one of {', '.join(DATA_SOURCES)}")
