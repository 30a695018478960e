"""The four role protocols (A_T, A_Q, A_R, A_C), their shared inputs and outputs, and the LLM plumbing they share."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import jinja2
import networkx as nx
from pydantic import BaseModel, ValidationError

from fr_core.envs.base import Environment
from fr_core.errors import LLMError, ParseError
from fr_core.llm import LLMClient, LLMRequest, LLMResponse
from fr_core.sampling import OutputLeaf
from fr_core.types import (AdvancedTool, Attempt, CallResult, Query, Step, StepResult, ToolCall, ToolSpec, Turn,
                           TurnRecord)

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
    "role_event",
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
    events: tuple[dict[str, Any], ...] = ()


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
                 earlier: tuple[TurnRecord, ...] = ()) -> StepResult[AdvancedTool]: ...


@runtime_checkable
class QueryingAgent(Protocol):
    """``A_Q``: writes the hard (implicit) or easy (step-by-step) user request for an advanced tool."""

    kind: str
    label: str

    def write(self, adv: AdvancedTool, tools: tuple[ToolSpec, ...], *, hard: bool = True, noise: float = 0.5,
              seed: int = 0, history: tuple[dict[str, Any], ...] = ()) -> StepResult[Query]: ...


@runtime_checkable
class ReasoningAgent(Protocol):
    """``A_R``: acts step by step in ``env`` (a sandbox at the turn's start, where the caller runs the calls), writes
    the answer from the results, and rewrites a passing attempt's reasoning from the request and the results alone."""

    kind: str
    label: str

    def begin(self, task: ReasonTask, prompt: tuple[dict[str, Any], ...], k: int,
              env: Environment) -> ReasoningSession: ...

    def answer(self, query: Query, steps: tuple[Step, ...]) -> StepResult[str]: ...

    def rewrite(self, task: ReasonTask, steps: tuple[Step, ...]) -> StepResult[tuple[str, ...]]: ...


@runtime_checkable
class CritiquingAgent(Protocol):
    """``A_C``: explains the first divergences of a failed attempt from the ground truth, using the graph."""

    kind: str
    label: str

    def critique(self, attempt: Attempt, turn: Turn, adv: AdvancedTool, graph: nx.DiGraph,
                 tools: tuple[ToolSpec, ...], round_index: int = 0) -> StepResult[str]: ...


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
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False, autoescape=False)


def render(template: str, **context: Any) -> str:
    """Render ``fr_core/agents/prompts/<template>`` (Jinja, strict: a missing variable is an error)."""
    return _jinja().get_template(template).render(**context).strip()


def role_event(role: str, label: str, **extra: Any) -> dict[str, Any]:
    """The event an offline role invocation leaves (so offline and LLM runs are counted alike)."""
    return {"kind": "role_call", "role": role, "label": label, **extra}


def _event(response: LLMResponse, role: str, started: float) -> dict[str, Any]:
    if response.event is not None:
        return {**response.event.to_dict(), "role": role}
    return {"kind": "llm_call", "role": role, "provider": response.provider, "model": response.model,
            "text": response.text, "latency_s": round(time.perf_counter() - started, 6), "cached": response.cached,
            "usage": {"input_tokens": response.usage.input_tokens, "output_tokens": response.usage.output_tokens},
            "cost_usd": response.cost_usd}


def ask_response(client: LLMClient, messages: list[dict[str, Any]], *, role: str, seed: int | None = None,
                 temperature: float | None = None, tools: tuple[ToolSpec, ...] = (),
                 response_format: dict[str, Any] | None = None) -> tuple[LLMResponse, dict[str, Any]]:
    """One recorded LLM call: the whole response and its event; a failed call raises LLMError with the event."""
    started = time.perf_counter()
    request = LLMRequest(messages=tuple(messages), seed=seed, temperature=temperature, label=role, tools=tools,
                         response_format=response_format)
    try:
        response = client.complete(request)
    except LLMError as exc:
        exc.event = {"kind": "llm_call", "role": role, "error": str(exc),  # type: ignore[attr-defined]
                     "latency_s": round(time.perf_counter() - started, 6)}
        raise
    return response, _event(response, role, started)


def ask(client: LLMClient, messages: list[dict[str, Any]], *, role: str, seed: int | None = None,
        temperature: float | None = None) -> tuple[str, dict[str, Any]]:
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
             seed: int | None = None, temperature: float | None = None) -> tuple[M, str, list[dict[str, Any]]]:
    """A JSON role reply validated by ``model``: structured output where the profile allows it (OpenAI
    ``json_schema``, guided JSON on compatible servers, a forced tool on Anthropic); a reply that still fails to
    parse is asked again once with the parse error. Returns the parsed reply, the last raw text and the events;
    raises ParseError (raw attached) when the second reply fails too."""
    schema = {"type": "json_schema", "json_schema": {"name": model.__name__.strip("_"),
                                                     "schema": model.model_json_schema()}}
    response_format = schema if structured_output(client) else None
    events: list[dict[str, Any]] = []
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
