"""Rows for the Evaluation page: a turn's model steps beside the ground truth, the state diff, the figures."""

from __future__ import annotations

from typing import Any

__all__ = ["figure_rows", "side_by_side", "diff_rows", "turn_label"]


def figure_rows(groups: dict[str, dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """One row per category or environment: cases, accuracy, pass@k."""
    return [{"": name, "cases": f["cases"], "accuracy": f["accuracy"], f"pass@{k}": f[f"pass@{k}"]}
            for name, f in groups.items()]


def _call_text(call: dict[str, Any]) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in call.get("arguments", {}).items())
    return f"{call['name']}({args})"


def side_by_side(turn: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's calls (with their step, result) beside the ground truth's, call by call; the first diverging
    call is marked."""
    model = [(n + 1, c, r) for n, s in enumerate(turn["steps"]) for c, r in zip(s["calls"], s["results"])]
    truth = turn.get("truth", [])
    first = turn.get("diverges_at")
    rows = []
    for i in range(max(len(model), len(truth))):
        step, call, result = model[i] if i < len(model) else ("", None, None)
        rows.append({"": "⟶ first divergence" if i == first else "", "step": step,
                     "model call": _call_text(call) if call else "—",
                     "result": "" if call is None else str(result)[:160],
                     "ground truth": _call_text(truth[i]) if i < len(truth) else "—"})
    return rows


def diff_rows(turn: dict[str, Any]) -> list[dict[str, Any]]:
    """Where the state after the turn differs from the ground truth's."""
    return [{"path": p, "model": m, "ground truth": t} for p, m, t in turn.get("diff", [])]


def turn_label(n: int, turn: dict[str, Any]) -> str:
    verdict = turn.get("passed")
    mark = "✅" if verdict else ("❌" if verdict is False else "·")
    return f"{mark} turn {n + 1}" + (f" — {turn['rule']}" if turn.get("rule") else "")
