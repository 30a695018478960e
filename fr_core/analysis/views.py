"""One flat view of a multi-turn sample (queries, ground-truth calls, data flow), built from a Trajectory,
sampler turns or a BFCL v3 entry, so every metric is computed the same way on each source."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fr_core.errors import ParseError
from fr_core.sampling import call_failed, output_leaves
from fr_core.types import Trajectory, Turn

__all__ = [
    "CallView",
    "TurnView",
    "SampleView",
    "example_sample",
    "tool_owners",
    "view_trajectory",
    "view_turns",
    "view_bfcl_entry",
]


@dataclass(frozen=True)
class CallView:
    """One ground-truth call: position ``(round, step)``, tool, owning class, and the calls its arguments came from.

    ``flow_from`` holds one ``(round, step)`` per argument taken from an earlier output; ``args`` counts all arguments.
    """

    round: int
    step: int
    name: str
    owner: str = ""
    args: int = 0
    flow_from: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class TurnView:
    """One round: the user query, the ground-truth calls, error responses seen, attempts needed and the CoT."""

    query: str
    calls: tuple[CallView, ...]
    error_responses: int = 0
    attempts: int | None = None  # attempts until one passed; None when not refined or never passed
    cot: str = ""


@dataclass(frozen=True)
class SampleView:
    """A multi-turn sample as the metrics see it; ``source`` names the data set it belongs to."""

    sample_id: str
    source: str
    classes: tuple[str, ...]
    turns: tuple[TurnView, ...]

    @property
    def env(self) -> str:
        """The environment label: its classes joined by ``+``."""
        return "+".join(self.classes)

    @property
    def calls(self) -> tuple[CallView, ...]:
        return tuple(c for t in self.turns for c in t.calls)


def tool_owners(classes: Iterable[str]) -> dict[str, str]:
    """Tool name → owning class for the BFCL classes among ``classes`` (others are left out).

    >>> tool_owners(["MathAPI", "MyOwnClass"])["add"]
    'MathAPI'
    """
    from fr_core.envs.bfcl import BFCL_CLASSES, bfcl_tool_specs

    return {s.name: cls for cls in classes if cls in BFCL_CLASSES for s in bfcl_tool_specs(cls)}


def _turn_calls(turn: Turn, round_index: int, owners: Mapping[str, str]) -> tuple[tuple[CallView, ...], int]:
    """The ground truth of a sampled turn (successful, non-deliberate calls) and its count of error responses."""
    calls, errors = [], 0
    for i, step in enumerate(turn.steps):
        if step.deliberate_error or call_failed(step.result):
            errors += 1
            continue
        flow = tuple(s.from_call for s in step.sources if s.kind == "output" and s.from_call is not None)
        calls.append(CallView(round_index, i, step.call.name, owners.get(step.call.name, ""),
                              len(step.call.arguments), flow))
    return tuple(calls), errors


def view_turns(turns: Sequence[Turn], classes: Sequence[str], *, sample_id: str = "", source: str = "sampler",
               queries: Sequence[str] | None = None) -> SampleView:
    """A view of sampler output (one episode's turns), with optional query texts per turn.

    >>> from fr_core.types import CallResult, ToolCall, TracedCall
    >>> call = ToolCall("add", {"a": 1, "b": 2})
    >>> v = view_turns([Turn("add", (TracedCall(call, CallResult(call, {"result": 3})),))], ["MathAPI"])
    >>> v.env, [(c.name, c.owner, c.args) for c in v.calls]
    ('MathAPI', [('add', 'MathAPI', 2)])
    """
    owners = tool_owners(classes)
    views = []
    for r, turn in enumerate(turns):
        calls, errors = _turn_calls(turn, r, owners)
        views.append(TurnView(queries[r] if queries is not None else "", calls, errors))
    return SampleView(sample_id, source, tuple(classes), tuple(views))


def view_trajectory(traj: Trajectory, *, query: str = "hard", source: str = "generated") -> SampleView:
    """A view of a generated trajectory; ``query`` picks the ``"hard"`` or the ``"easy"`` query of each turn."""
    if query not in ("hard", "easy"):
        raise ValueError(f"query must be 'hard' or 'easy', got {query!r}")
    owners = tool_owners(traj.classes)
    views = []
    for rec in traj.turns:
        calls, errors = _turn_calls(rec.turn, rec.round, owners)
        q = rec.hard_query if query == "hard" else rec.easy_query
        attempts, cot = None, ""
        if rec.outcome is not None and rec.outcome.passed_index is not None:
            attempts = rec.outcome.passed_index + 1
            cot = rec.outcome.attempts[rec.outcome.passed_index].cot
        views.append(TurnView(q.text if q is not None else "", calls, errors, attempts, cot))
    return SampleView(traj.sample_id, source, traj.classes, tuple(views))


def _flow_value(value: Any) -> bool:
    """Values specific enough that equality with an earlier output means the output fed them."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        return len(value) >= 3
    return isinstance(value, (int, float)) and abs(value) >= 2


def _written_in(value: Any, text: str) -> bool:
    """Whether the user wrote ``value`` in ``text`` (``42.0`` also as ``42``)."""
    if isinstance(value, float) and value.is_integer() and str(int(value)) in text:
        return True
    return str(value) in text


def view_bfcl_entry(entry: Mapping[str, Any], *, source: str = "BFCL v3 base") -> SampleView:
    """A view of a BFCL v3 multi-turn entry: its ground truth replayed in our environment adapter.

    BFCL records no provenance, so data flow is inferred: an argument flows from the latest earlier call whose output
    holds the same value (strings of ≥ 3 characters, numbers ≥ 2) when the value is not written in that turn's
    question. Error responses are the ground-truth calls whose execution fails.
    """
    from fr_core.envs.bfcl import BFCL_CLASSES, make_bfcl_env
    from fr_core.llm.parsing import parse_python_calls

    classes = tuple(c for c in entry["involved_classes"] if c in BFCL_CLASSES)
    config = {c: v for c, v in entry.get("initial_config", {}).items() if c in classes}
    env = make_bfcl_env(classes, config)
    specs = {s.name: s for s in env.tools()}
    owners = {s.name: s.owner for s in env.tools()}
    seen: dict[Any, tuple[int, int]] = {}  # output value → latest (round, step) that returned it
    turns = []
    for r, texts in enumerate(entry["ground_truth"]):
        question = " ".join(m.get("content", "") for m in entry["question"][r]) if r < len(entry["question"]) else ""
        calls, errors, step = [], 0, 0
        for text in texts:
            try:
                parsed = parse_python_calls(text, specs)
            except ParseError:
                continue
            for call in parsed:
                flow = tuple(seen[v] for v in call.arguments.values()
                             if _flow_value(v) and v in seen and not _written_in(v, question))
                result = env.execute(call)
                if call_failed(result):
                    errors += 1
                else:
                    for leaf in output_leaves(result.value, call.name, r, step):
                        if _flow_value(leaf.value):
                            seen[leaf.value] = (r, step)
                calls.append(CallView(r, step, call.name, owners.get(call.name, ""), len(call.arguments), flow))
                step += 1
        turns.append(TurnView(question, tuple(calls), errors))
    return SampleView(str(entry.get("id", "")), source, classes, tuple(turns))


def example_sample() -> SampleView:
    """A small hand-made sample for examples and tests: ``open_folder``, ``list_files``, then ``read_file`` fed by
    ``list_files``'s output; next round ``count_words`` fed by ``read_file``'s output, then ``post_update``. The first
    round saw one error and needed 2 attempts.

    >>> [c.name for c in example_sample().calls]
    ['open_folder', 'list_files', 'read_file', 'count_words', 'post_update']
    """
    t0 = TurnView("open the docs folder and show the first file", (
        CallView(0, 0, "open_folder", "Files", 1),
        CallView(0, 1, "list_files", "Files", 0),
        CallView(0, 2, "read_file", "Files", 1, ((0, 1),)),
    ), error_responses=1, attempts=2)
    t1 = TurnView("count its words and post the count", (
        CallView(1, 0, "count_words", "Files", 2, ((0, 2),)),
        CallView(1, 1, "post_update", "Posts", 1),
    ), attempts=1)
    return SampleView("ex", "example", ("Files", "Posts"), (t0, t1))
