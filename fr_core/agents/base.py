"""The four role protocols (A_T, A_Q, A_R, A_C), their shared inputs and outputs, and the LLM plumbing they share."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, Protocol, Required, TypedDict, TypeVar, runtime_checkable

import jinja2
import networkx as nx
from pydantic import BaseModel, ValidationError

from fr_core.envs.base import Environment
from fr_core.errors import LLMError, ParseError
from fr_core.jinja_cache import TemplateCache
from fr_core.llm import LLMClient, LLMRequest, LLMResponse
from fr_core.sampling import OutputLeaf
from fr_core.types import (AdvancedTool, Attempt, CallResult, Event, LLMCallEvent, Query, Step, StepResult, ToolCall,
                           ToolSpec, Turn, TurnRecord)

__all__ = [
    "OFFLINE_LABEL",
    "ReasonTask",
    "Move",
    "ReasoningSession",
    "ToolingAgent",
    "QueryingAgent",
    "ReasoningAgent",
    "CritiquingAgent",
    "AgentSet",
    "render",
    "ask",
    "ask_response",
    "ask_json",
    "parse_json_reply",
    "failed_call_event",
    "ToolingTrace",
    "QueryTrace",
    "AnswerTrace",
    "RewriteTrace",
    "CritiqueTrace",
]

#: How the deterministic, key-free agents are labelled wherever they are shown.
OFFLINE_LABEL = "offline heuristic"

_PROMPTS = Path(__file__).parent / "prompts"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ReasonTask:
    """What the reasoner sees for one turn: the query, the basic tools ``T_sub``, the graph, earlier rounds.

    ``history`` holds the earlier rounds as the conversation shows them: ``{"query", "steps": [{"reasoning",
    "calls", "results"}], "answer"}`` with calls and results as plain JSON. ``max_steps`` / ``max_calls`` bound
    one attempt.
    """

    query: Query
    tools: tuple[ToolSpec, ...]
    graph: nx.DiGraph
    round_index: int = 0
    history: tuple[dict[str, Any], ...] = ()
    observations: tuple[OutputLeaf, ...] = ()  # output leaves of earlier rounds' calls
    seed: int = 0
    max_steps: int = 12
    max_calls: int = 16


@dataclass(frozen=True)
class Move:
    """What a reasoner does next: a step (reasoning and calls that do not depend on each other) or, with no calls,
    its answer in words. ``parse_error`` set means the reply could not be used (the attempt fails there)."""

    reasoning: str = ""
    calls: tuple[ToolCall, ...] = ()
    answer: str = ""
    raw: str = ""
    recovered: bool = False
    parse_error: str | None = None
    events: tuple[Event, ...] = ()


class ToolingTrace(TypedDict, total=False):
    """How ``A_T`` abstracted a turn: the plan's role of each call (offline), or the prompt and the reply (model)."""

    events: Required[Sequence[Event]]
    plan_roles: tuple[str, ...]
    prompt: str
    raw: str
    parsed: dict[str, Any]


class QueryTrace(TypedDict, total=False):
    """How ``A_Q`` wrote a request: its clauses (offline), or the prompt and the raw reply (model)."""

    events: Required[Sequence[Event]]
    clauses: list[str]
    prompt: str
    raw: str


class AnswerTrace(TypedDict, total=False):
    """How ``A_R`` worded its answer from the results (a model's raw reply)."""

    events: Required[Sequence[Event]]
    raw: str


class RewriteTrace(TypedDict, total=False):
    """How ``A_R`` rewrote a passing attempt's reasoning (``how``), and why a model's rewrite fell back."""

    events: Required[Sequence[Event]]
    how: str
    raw: str
    fallback: str | None


class CritiqueTrace(TypedDict, total=False):
    """How ``A_C`` critiqued an attempt: the divergences found (offline), or the prompt and the reply (model)."""

    events: Required[Sequence[Event]]
    points: list[str]
    prompt: str
    raw: str
    parse_error: str | None


@runtime_checkable
class ReasoningSession(Protocol):
    """One attempt in progress: ``next(results)`` gets the results of the last step's calls (none at first) and
    returns the next move."""

    def next(self, results: tuple[CallResult, ...]) -> Move: ...


@runtime_checkable
class ToolingAgent(Protocol):
    """``A_T``: abstracts a sampled turn into one advanced tool."""

    kind: str
    label: str

    def abstract(self, turn: Turn, tools: tuple[ToolSpec, ...], graph: nx.DiGraph, round_index: int = 0,
                 earlier: tuple[TurnRecord, ...] = (), known: frozenset[str] | None = None
                 ) -> StepResult[AdvancedTool, ToolingTrace]: ...


@runtime_checkable
class QueryingAgent(Protocol):
    """``A_Q``: writes the hard (implicit) or easy (step-by-step) user request for an advanced tool."""

    kind: str
    label: str

    def write(self, adv: AdvancedTool, tools: tuple[ToolSpec, ...], *, hard: bool = True, noise: float = 0.5,
              seed: int = 0, history: tuple[dict[str, Any], ...] = ()) -> StepResult[Query, QueryTrace]: ...


@runtime_checkable
class ReasoningAgent(Protocol):
    """``A_R``: acts step by step in ``env`` (a sandbox at the turn's start, where the caller runs the calls), writes
    the answer from the results, and rewrites a passing attempt's reasoning from the request and the results alone."""

    kind: str
    label: str

    def begin(self, task: ReasonTask, prompt: tuple[dict[str, Any], ...], k: int,
              env: Environment) -> ReasoningSession: ...

    def answer(self, query: Query, steps: tuple[Step, ...]) -> StepResult[str, AnswerTrace]: ...

    def rewrite(self, task: ReasonTask, steps: tuple[Step, ...]) -> StepResult[tuple[str, ...], RewriteTrace]: ...


@runtime_checkable
class CritiquingAgent(Protocol):
    """``A_C``: explains the first divergences of a failed attempt from the ground truth, using the graph."""

    kind: str
    label: str

    def critique(self, attempt: Attempt, turn: Turn, adv: AdvancedTool, graph: nx.DiGraph,
                 tools: tuple[ToolSpec, ...], round_index: int = 0) -> StepResult[str, CritiqueTrace]: ...


@dataclass(frozen=True)
class AgentSet:
    """The four roles used together, with what provenance records about them."""

    tooling: ToolingAgent
    querying: QueryingAgent
    reasoning: ReasoningAgent
    critiquing: CritiquingAgent
    kind: str = "offline"
    model: str = OFFLINE_LABEL
    extra: dict[str, Any] = field(default_factory=dict)


@cache
def _jinja() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(_PROMPTS), undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False, autoescape=False,
                              bytecode_cache=TemplateCache())


def render(template: str, **context: Any) -> str:
    """Render ``fr_core/agents/prompts/<template>`` (Jinja, strict: a missing variable is an error)."""
    return _jinja().get_template(template).render(**context).strip()


def _event(response: LLMResponse, role: str, started: float) -> LLMCallEvent:
    if response.event is not None:
        return replace(response.event, role=role)
    # A bare backend (no managed client) reports no event: what the response says is all there is.
    return LLMCallEvent(role=role, label=role, provider=response.provider, model=response.model,
                        text=response.text, tool_calls=response.tool_calls, usage=response.usage,
                        latency_s=round(time.perf_counter() - started, 6), cached=response.cached,
                        cost_usd=response.cost_usd)


def failed_call_event(exc: Exception, role: str) -> LLMCallEvent:
    """The event a failed role call leaves: the managed client's own when the error carries one, else its message
    (and the unusable reply, for a parse error)."""
    event = getattr(exc, "event", None)
    if isinstance(event, LLMCallEvent):
        return event if event.role == role else replace(event, role=role)
    return LLMCallEvent(role=role, label=role, error=str(exc), text=getattr(exc, "raw", ""))


def ask_response(client: LLMClient, messages: list[dict[str, Any]], *, role: str, seed: int | None = None,
                 temperature: float | None = None, tools: tuple[ToolSpec, ...] = (),
                 response_format: dict[str, Any] | None = None) -> tuple[LLMResponse, LLMCallEvent]:
    """One recorded LLM call: the whole response and its event; a failed call raises LLMError with the event."""
    started = time.perf_counter()
    request = LLMRequest(messages=tuple(messages), seed=seed, temperature=temperature, label=role, tools=tools,
                         response_format=response_format)
    try:
        response = client.complete(request)
    except LLMError as exc:
        failed = failed_call_event(exc, role)
        exc.event = replace(failed, latency_s=failed.latency_s or round(time.perf_counter() - started, 6))  # type: ignore[attr-defined]
        raise
    return response, _event(response, role, started)


def ask(client: LLMClient, messages: list[dict[str, Any]], *, role: str, seed: int | None = None,
        temperature: float | None = None) -> tuple[str, LLMCallEvent]:
    """One recorded LLM call: the reply text and its event; a failed call raises LLMError with the event attached."""
    response, event = ask_response(client, messages, role=role, seed=seed, temperature=temperature)
    text = response.text
    if not text and response.tool_calls:  # native tool calls: shown to the parser in FunReason form
        text = "<tool_call>[" + ", ".join(c.to_python() for c in response.tool_calls) + "]</tool_call>"
    return text, event


def structured_output(client: LLMClient) -> bool:
    """Whether role replies that must be JSON ask the backend for structured output (the profile's choice)."""
    profile = getattr(client, "profile", None)
    return bool(getattr(profile, "structured_output", True))


def ask_json(client: LLMClient, messages: list[dict[str, Any]], model: type[M], *, role: str,
             seed: int | None = None, temperature: float | None = None) -> tuple[M, str, list[LLMCallEvent]]:
    """A JSON role reply validated by ``model``: structured output where the profile allows it (OpenAI
    ``json_schema``, guided JSON on compatible servers, a forced tool on Anthropic); a reply that still fails to
    parse is asked again once with the parse error. Returns the parsed reply, the last raw text and the events;
    raises ParseError (raw attached) when the second reply fails too."""
    response_format = _json_schema_format(model) if structured_output(client) else None
    events: list[LLMCallEvent] = []
    messages = list(messages)
    for tries in (1, 2):
        response, event = ask_response(client, messages, role=role, seed=seed, temperature=temperature,
                                       response_format=response_format)
        events.append(event)
        text = response.text
        try:
            return parse_json_reply(text, model), text, events
        except ParseError as exc:
            if tries == 2:
                exc.events = events  # type: ignore[attr-defined]
                raise
            messages += [{"role": "assistant", "content": text},
                         {"role": "user", "content": f"That reply could not be read: {exc}. Answer again with "
                                                     "the JSON object only."}]
    raise AssertionError("unreachable")  # pragma: no cover


@cache
def _json_schema_format(model: type[BaseModel]) -> dict[str, Any]:
    """The structured-output ``response_format`` of a reply model, made once per model: pydantic builds a JSON
    schema anew on every ``model_json_schema()``, which was 7 % of a generation process's CPU at 64 model calls in
    flight (bench_pipeline_llm.py). Shared: callers must not change it."""
    return {"type": "json_schema", "json_schema": {"name": model.__name__.strip("_"),
                                                   "schema": model.model_json_schema()}}


def parse_json_reply(text: str, model: type[M]) -> M:
    """The JSON object in a model reply (fences and prose around it allowed) validated by ``model``."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ParseError(f"expected a JSON object for {model.__name__}, found none", raw=text)
    try:
        return model.model_validate_json(text[start:end + 1])
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(root)"
        raise ParseError(f"{model.__name__} reply is invalid at {where}: {first.get('msg')}", raw=text) from exc
