"""Frozen data types shared by every stage: tools, calls, results, turns and step results."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Generic, Literal

from typing_extensions import TypeVar

from fr_core.errors import SampleTimeout

__all__ = [
    "ToolSpec",
    "ToolCall",
    "CallResult",
    "ArgSource",
    "TracedCall",
    "Turn",
    "StepResult",
    "format_value",
    "Grounding",
    "AdvancedTool",
    "Query",
    "LeakCheck",
    "Step",
    "Attempt",
    "RefineOutcome",
    "TurnRecord",
    "Trajectory",
    "Deadline",
    "Usage",
    "RoleEvent",
    "LLMCallEvent",
    "Event",
    "event_from_dict",
]

T = TypeVar("T")
Tr = TypeVar("Tr", default=Any)  # the trace's type: a TypedDict or dataclass per step, else Any

ProvenanceKind = Literal["state", "output", "schema", "random", "user", "model"]


@dataclass(frozen=True)
class ToolSpec:
    """One callable tool: a JSON-schema ``parameters`` object, an optional ``response`` schema, its owning class."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    response: dict[str, Any] | None = None
    owner: str = ""

    @property
    def properties(self) -> dict[str, Any]:
        return self.parameters.get("properties", {})

    @property
    def required(self) -> list[str]:
        return list(self.parameters.get("required", []))

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI ``tools`` entry for this spec."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


def format_value(value: Any) -> str:
    """Render a JSON value as a Python literal, the way call strings show it (``'a'``, ``True``, ``[1, 2]``)."""
    return repr(value)


@dataclass(frozen=True)
class ToolCall:
    """A call by name with keyword arguments; arguments are plain JSON values, never code."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def to_python(self) -> str:
        """``cd(folder='docs')``: the BFCL / FunReason call-string form."""
        args = ", ".join(f"{k}={format_value(v)}" for k, v in self.arguments.items())
        return f"{self.name}({args})"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": dict(self.arguments)}


@dataclass(frozen=True)
class CallResult:
    """What executing a call gave: a JSON value or an error message (never an exception)."""

    call: ToolCall
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_text(self) -> str:
        """The tool response as a model sees it."""
        if self.error is not None:
            return json.dumps({"error": self.error}, ensure_ascii=False)
        return json.dumps(self.value, ensure_ascii=False, default=str)


# -- events: what every role and model call leaves in traces, attempts and the store --------------------------------


@dataclass(frozen=True)
class Usage:
    """Tokens a call consumed, as the provider reported them."""

    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, kw_only=True)
class RoleEvent:
    """An offline (heuristic) role did its work, so offline and LLM runs are counted alike. ``hard`` says which
    request a querying call wrote; ``mistakes`` are the offline reasoner's deliberate ones, kept inspectable."""

    role: str
    label: str
    hard: bool | None = None
    mistakes: tuple[str, ...] | None = None
    kind: Literal["role_call"] = "role_call"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "role": self.role, "label": self.label}
        if self.hard is not None:
            out["hard"] = self.hard
        if self.mistakes is not None:
            out["mistakes"] = list(self.mistakes)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoleEvent:
        mistakes = data.get("mistakes")
        return cls(role=data.get("role", ""), label=data.get("label", ""), hard=data.get("hard"),
                   mistakes=None if mistakes is None else tuple(mistakes))


@dataclass(frozen=True, kw_only=True)
class LLMCallEvent:
    """What one model call did, for traces and the store: request summary, response, tokens, cost, cache hit,
    error; ``role`` is the agent role that asked (``label`` the step the request named)."""

    label: str = ""
    provider: str = ""
    model: str = ""
    cache_key: str = ""
    request: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = Usage()
    latency_s: float = 0.0
    cost_usd: float = 0.0
    cached: bool = False
    attempts: int = 1
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    transport: bool = False  # the error was the server's (no usable answer), not the model's
    usage_note: str | None = None  # why the reported usage was not believed (see fr_core.llm.implausible_usage)
    kind: Literal["llm_call"] = "llm_call"
    role: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {f: getattr(self, f) for f in self.__dataclass_fields__}
        out.update(request=dict(self.request), tool_calls=[c.to_json() for c in self.tool_calls],
                   usage={"input_tokens": self.usage.input_tokens, "output_tokens": self.usage.output_tokens})
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LLMCallEvent:
        """The event ``to_dict`` made, or one stored before events were typed (fewer fields; a failed critique's
        reply as ``raw``)."""
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "kind"}
        if "raw" in data and not fields.get("text"):
            fields["text"] = data["raw"]
        fields["tool_calls"] = tuple(ToolCall(c["name"], dict(c.get("arguments", {})))
                                     for c in data.get("tool_calls") or ())
        fields["usage"] = Usage(**(data.get("usage") or {}))
        fields["request"] = dict(data.get("request") or {})
        return cls(**fields)


Event = RoleEvent | LLMCallEvent


def event_from_dict(data: dict[str, Any]) -> Event:
    """The typed event a stored dict holds (``kind`` says which)."""
    return RoleEvent.from_dict(data) if data.get("kind") == "role_call" else LLMCallEvent.from_dict(data)


@dataclass(frozen=True)
class ArgSource:
    """Where one argument value came from: environment state, an earlier output, the schema, or chance."""

    name: str
    value: Any
    kind: ProvenanceKind
    detail: str = ""
    # For kind == "output": index of the earlier call in the episode (round, step) and the output path.
    from_call: tuple[int, int] | None = None


@dataclass(frozen=True)
class TracedCall:
    """One executed step of a sampled turn: the call, its result, and where each argument came from."""

    call: ToolCall
    result: CallResult
    sources: tuple[ArgSource, ...] = ()
    deliberate_error: bool = False


@dataclass(frozen=True)
class Turn:
    """One round of Phase I: ``(C_1, E_1, ..., C_M, E_M)`` aimed at a target tool."""

    target: str
    steps: tuple[TracedCall, ...]
    reached_target: bool = False
    end_reason: str = ""

    @property
    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(s.call for s in self.steps)

    @property
    def results(self) -> tuple[CallResult, ...]:
        return tuple(s.result for s in self.steps)


@dataclass(frozen=True)
class StepResult(Generic[T, Tr]):
    """What every inspectable step returns: its ``output`` and a ``trace`` of how it got there.

    ``StepResult[Query, QueryTrace]`` types the trace too; ``StepResult[Query]`` leaves it ``Any``."""

    output: T
    trace: Tr = None  # type: ignore[assignment]  # a step with nothing to tell leaves it None


# -- Phases II and III --------------------------------------------------------------------------------


GroundingKind = Literal["said", "derived", "visible", "default", "ungrounded"]


@dataclass(frozen=True)
class Grounding:
    """How a model can know one argument of a ground-truth call: ``said`` by the user, ``derived`` from an earlier
    output where it is the only candidate, ``visible`` among several values a tool showed and named by the request,
    a ``default``, or ``ungrounded`` (nothing supports it: the turn is rejected). ``earlier`` is the earlier round
    that said or produced it (a request may refer back to it); ``via`` is the tool a request names to point at a
    derived value whose field is named otherwise ("the standard deviation from before" for a ``result``)."""

    call: int
    tool: str
    arg: str
    value: Any
    kind: GroundingKind
    why: str
    earlier: int | None = None
    via: str = ""


@dataclass(frozen=True)
class AdvancedTool:
    """Phase II ``T_adv``: one abstract tool standing for a whole turn, its inner calls hidden.

    ``user_values`` maps each of ``spec``'s parameters to the value the user must supply; ``hidden_values``
    are the values produced inside the chain (outputs feeding later calls) that a hard query must not show.
    ``roles`` says per inner call how a query treats it: "goal" (asked for), "context" (a prerequisite whose
    values the request gives) or "implicit" (hidden: its output feeds a later call); ``bindings`` links each
    parameter to an inner call's argument as ``(param, call index, argument)``. ``serves`` gives per inner call the
    index of the later call a "context" call is there for (its prerequisite edge or data flow), else -1, so a
    query can attach the context values to the goal they serve. ``grounding`` says, per argument of every inner
    call, how a model can know it (see :class:`Grounding`).
    """

    spec: ToolSpec
    inner_calls: tuple[ToolCall, ...]
    user_values: dict[str, Any] = field(default_factory=dict)
    hidden_values: tuple[str, ...] = ()
    agent: str = ""
    roles: tuple[str, ...] = ()
    bindings: tuple[tuple[str, int, str], ...] = ()
    serves: tuple[int, ...] = ()
    grounding: tuple[Grounding, ...] = ()


@dataclass(frozen=True)
class Query:
    """A user request for one turn: ``hard`` needs ``T_adv`` implicitly, ``easy`` spells the steps out."""

    text: str
    kind: Literal["hard", "easy"]
    noise: float = 0.0
    seed: int = 0
    user_values: dict[str, Any] = field(default_factory=dict)
    agent: str = ""


@dataclass(frozen=True)
class LeakCheck:
    """Whether a hard query names a basic tool or shows an intermediate value (``leaks`` lists what leaked)."""

    ok: bool
    leaks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One step of an attempt: a short reasoning text, calls that do not depend on each other, and their results.

    ``raw`` is the model's reply for this step (empty offline); ``recovered`` says the calls were read back from text
    a server returned instead of native tool calls (parsed as data, never run as code).
    """

    reasoning: str
    calls: tuple[ToolCall, ...] = ()
    results: tuple[CallResult, ...] = ()
    raw: str = ""
    recovered: bool = False


@dataclass(frozen=True)
class Attempt:
    """One Phase III attempt ``k``: the prompt it started from, its steps (reasoning, calls, results) and answer,
    the verdict (``rule`` names the validation rule that failed, empty when it passed) and the critique.

    ``clean`` is the reasoning per step rewritten from the request and the results alone (no critic, no retry); it
    is what a training turn keeps when the attempt came after critique. ``raw`` is the whole model output.
    """

    k: int
    prompt: tuple[dict[str, Any], ...]
    steps: tuple[Step, ...]
    answer: str
    passed: bool
    reason: str
    rule: str = ""
    critique: str | None = None
    parse_error: str | None = None
    llm_events: tuple[Event, ...] = ()
    clean: tuple[str, ...] | None = None

    @property
    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(c for s in self.steps for c in s.calls)

    @property
    def results(self) -> tuple[CallResult, ...]:
        return tuple(r for s in self.steps for r in s.results)

    @property
    def raw(self) -> str:
        return "\n".join(s.raw for s in self.steps if s.raw)

    @property
    def reasoning(self) -> tuple[str, ...]:
        """The reasoning a training turn keeps, per step: the clean rewrite when there is one."""
        if self.clean is not None and len(self.clean) == len(self.steps):
            return self.clean
        return tuple(s.reasoning for s in self.steps)

    @property
    def cot(self) -> str:
        """The kept reasoning as one text (steps separated by blank lines)."""
        return "\n\n".join(r for r in self.reasoning if r)


@dataclass(frozen=True)
class RefineOutcome:
    """Every attempt of the guided loop; ``passed_index`` points at the attempt that passed (``None`` if none)."""

    accepted: bool
    attempts: tuple[Attempt, ...]
    passed_index: int | None = None

    @property
    def passing(self) -> Attempt | None:
        return None if self.passed_index is None else self.attempts[self.passed_index]


@dataclass(frozen=True)
class TurnRecord:
    """One round of a trajectory: the sampled turn, its abstraction, queries, the refine outcome, the answer.

    ``state_after`` is the environment state (``env.state()``) after the ground-truth calls of this round.
    """

    round: int
    turn: Turn
    adv_tool: AdvancedTool | None = None
    hard_query: Query | None = None
    easy_query: Query | None = None
    leak: LeakCheck | None = None
    outcome: RefineOutcome | None = None
    answer: str = ""
    state_after: dict[str, Any] | None = None


@dataclass(frozen=True)
class Trajectory:
    """A generated multi-turn sample: initial state, every round with all attempts, status and provenance."""

    sample_id: str
    classes: tuple[str, ...]
    initial_config: dict[str, Any]
    turns: tuple[TurnRecord, ...]
    status: Literal["accepted", "rejected", "failed"]
    provenance: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Deadline:
    """When a sample must stop: ``at`` is a ``time.monotonic()`` value, ``seconds`` the limit it was set from.

    >>> Deadline.after(None) is None
    True
    """

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float | None) -> Deadline | None:
        """A deadline ``seconds`` from now; ``None`` for no limit (``None`` or 0)."""
        return cls(time.monotonic() + seconds, seconds) if seconds else None

    def check(self, stage: str) -> None:
        """Raise :class:`~fr_core.errors.SampleTimeout` naming ``stage`` once the deadline has passed."""
        now = time.monotonic()
        if now >= self.at:
            raise SampleTimeout(f"the sample timed out {stage}, after {now - self.at + self.seconds:.1f} s "
                                f"(limit {self.seconds:g} s: generate.sample_timeout_s or fr generate "
                                f"--sample-timeout; 0 = no limit)")
