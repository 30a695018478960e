"""One record per trajectory for each chat format: OpenAI fine-tuning, ShareGPT (LLaMA-Factory), Hermes/Qwen,
FunReason ``<think>``, each step of a turn as its own assistant message and tool replies; and ``preview`` rendering a
record through a ChatML template."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fr_core.errors import ConfigError
from fr_core.export.conversation import Round, accepted_rounds, tools_for
from fr_core.refine.render import render_steps
from fr_core.store import sanitize_config
from fr_core.types import ToolSpec, Trajectory

__all__ = ["SYSTEM_PROMPT", "COT_MODES", "to_openai", "to_sharegpt", "to_hermes", "to_funreason", "preview"]

SYSTEM_PROMPT = "You are a helpful assistant that completes the user's requests by calling the available tools."

_HERMES_SYSTEM = (
    SYSTEM_PROMPT + "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{tools}\n</tools>\n\n"
    "For each function call, return a json object with function name and arguments within <tool_call></tool_call> "
    "XML tags:\n<tool_call>\n{{\"name\": <function-name>, \"arguments\": <args-json-object>}}\n</tool_call>"
)


#: How a chat export carries each step's reasoning: in the message text (``<think>…</think>``), in a
#: ``reasoning_content`` field beside ``content``, or not at all.
COT_MODES: tuple[str, ...] = ("inline", "field", "none")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _tool_call_tags(calls: list[dict[str, Any]]) -> str:
    return "\n".join(f"<tool_call>\n{_json(c)}\n</tool_call>" for c in calls)


def _functions(tools: tuple[ToolSpec, ...]) -> list[dict[str, Any]]:
    return [t.to_openai()["function"] for t in tools]


def _check(cot: str) -> None:
    if cot not in COT_MODES:
        raise ConfigError(f"cot mode {cot!r} is unknown; choose one of {', '.join(COT_MODES)}")


@dataclass(frozen=True)
class _Parts:
    """What every chat format needs of a trajectory: its rounds, the tools offered from the start, the tools each
    round adds (miss-func), and the record's ``meta``."""

    rounds: list[Round]
    tools: tuple[ToolSpec, ...]
    added: dict[int, tuple[ToolSpec, ...]]
    meta: dict[str, str]


def _parts(trajectory: Trajectory) -> _Parts | None:
    rounds = list(accepted_rounds(trajectory))
    if not rounds:
        return None
    every = tools_for(trajectory.classes)
    later = {r.index: tuple(t for t in every if t.name in r.new_tools) for r in rounds if r.new_tools}
    held = {t.name for ts in later.values() for t in ts}
    meta = {"sample_id": trajectory.sample_id,
            "provenance": json.dumps(sanitize_config(trajectory.provenance), ensure_ascii=False, default=str)}
    return _Parts(rounds, tuple(t for t in every if t.name not in held), later, meta)


def _announce(tools: tuple[ToolSpec, ...]) -> str:
    """The system note that offers tools from a later round on (a miss-func round)."""
    return "New tools are available from now on:\n" + "\n".join(_json(t.to_openai()) for t in tools)


def _opening(r: Round, added: tuple[ToolSpec, ...] = ()) -> list[dict[str, str]]:
    """The round's user query (after the note offering new tools, if any), and for a miss-param round the
    assistant's question and the user's reply."""
    messages = [{"role": "system", "content": _announce(added)}] if added else []
    messages.append({"role": "user", "content": r.query})
    if r.clarify:
        messages += [{"role": "assistant", "content": r.clarify[0]}, {"role": "user", "content": r.clarify[1]}]
    return messages


def _message(role: str, content: str | None, *, tool_calls: list[dict[str, Any]] | None = None,
             tool_call_id: str | None = None, reasoning: str | None = None, cot: str = "inline") -> dict[str, Any]:
    """One OpenAI-form message with every key present (``None`` where unused), so ``datasets`` reads back exactly
    the file's rows; ``reasoning_content`` only in ``field`` mode."""
    out = {"role": role, "content": content, "tool_calls": tool_calls, "tool_call_id": tool_call_id}
    if cot == "field":
        out["reasoning_content"] = reasoning
    return out


def _think(reasoning: str, cot: str) -> str:
    return f"<think>{reasoning}</think>" if cot == "inline" and reasoning else ""


def to_openai(trajectory: Trajectory, cot: str = "inline") -> dict[str, Any] | None:
    """OpenAI chat line: per step an assistant message with ``tool_calls`` then a ``tool`` reply per call; the
    round's answer last. ``tools`` is a JSON string (so ``datasets`` does not pad tool parameters); ``meta`` holds
    the sample id and its provenance."""
    _check(cot)
    parts = _parts(trajectory)
    if parts is None:
        return None
    messages: list[dict[str, Any]] = [_message("system", SYSTEM_PROMPT, cot=cot)]
    for r in parts.rounds:
        messages += [_message(m["role"], m["content"], cot=cot) for m in _opening(r, parts.added.get(r.index, ()))]
        for n, (reasoning, step) in enumerate(zip(r.reasoning, r.steps)):
            ids = [f"call_{r.index + 1}_{n}_{i}" for i in range(len(step.calls))]
            messages.append(_message("assistant", _think(reasoning, cot) or None, tool_calls=[
                {"id": cid, "type": "function", "function": {"name": c.name, "arguments": _json(c.arguments)}}
                for cid, c in zip(ids, step.calls)], reasoning=reasoning, cot=cot))
            messages += [_message("tool", res.to_text(), tool_call_id=cid, cot=cot)
                         for cid, res in zip(ids, step.results)]
        messages.append(_message("assistant", r.answer, cot=cot))
    return {"messages": messages, "tools": _json([t.to_openai() for t in parts.tools]), "meta": parts.meta}


def to_sharegpt(trajectory: Trajectory, cot: str = "inline") -> dict[str, Any] | None:
    """LLaMA-Factory ShareGPT line: ``conversations`` with a ``function_call`` / ``observation`` pair per step
    (several independent calls are one JSON list) and ``tools`` as a JSON string. Reasoning goes inline before the
    calls, or in a ``reasoning`` field of the ``function_call`` turn."""
    _check(cot)
    parts = _parts(trajectory)
    if parts is None:
        return None
    turns: list[dict[str, Any]] = []
    speaker = {"user": "human", "assistant": "gpt"}

    def turn(who: str, value: str, reasoning: str | None = None) -> dict[str, Any]:
        return {"from": who, "value": value, **({"reasoning": reasoning} if cot == "field" else {})}

    for r in parts.rounds:
        opening = _opening(r)
        if r.index in parts.added:  # ShareGPT has no system turn mid-conversation: the note leads the request
            opening[0] = {"role": "user", "content": _announce(parts.added[r.index]) + "\n\n" + opening[0]["content"]}
        turns += [turn(speaker[m["role"]], m["content"]) for m in opening]
        for reasoning, step in zip(r.reasoning, r.steps):
            calls = [c.to_json() for c in step.calls]
            results = [json.loads(res.to_text()) for res in step.results]
            turns += [turn("function_call", _think(reasoning, cot) + _json(calls[0] if len(calls) == 1 else calls),
                           reasoning),
                      turn("observation", _json(results[0] if len(results) == 1 else results))]
        turns.append(turn("gpt", r.answer))
    return {"conversations": turns, "system": SYSTEM_PROMPT, "tools": _json(_functions(parts.tools)),
            "meta": parts.meta}


def to_hermes(trajectory: Trajectory, cot: str = "inline") -> dict[str, Any] | None:
    """Hermes / Qwen chat line: tools in the system prompt, per step an assistant message with ``<tool_call>``
    blocks (after ``<think>`` inline) and a ``tool`` message per result; the round's answer last."""
    _check(cot)
    parts = _parts(trajectory)
    if parts is None:
        return None
    tools = "\n".join(_json({"type": "function", "function": f}) for f in _functions(parts.tools))

    def message(role: str, content: str, reasoning: str | None = None) -> dict[str, Any]:
        return {"role": role, "content": content, **({"reasoning_content": reasoning} if cot == "field" else {})}

    messages = [message("system", _HERMES_SYSTEM.format(tools=tools))]
    for r in parts.rounds:
        messages += [message(m["role"], m["content"]) for m in _opening(r, parts.added.get(r.index, ()))]
        for reasoning, step in zip(r.reasoning, r.steps):
            calls = _tool_call_tags([c.to_json() for c in step.calls])
            messages.append(message("assistant", _think(reasoning, cot) + calls, reasoning))
            messages += [message("tool", res.to_text()) for res in step.results]
        messages.append(message("assistant", r.answer))
    return {"messages": messages, "meta": parts.meta}


def to_funreason(trajectory: Trajectory, cot: str = "inline") -> dict[str, Any] | None:
    """FunReason line: per step ``<think>…</think><tool_call>[…]</tool_call>`` then ``<tool_response>``, the
    round's ``<answer>`` last (:func:`fr_core.refine.render.render_steps`), with the tools as a JSON string."""
    _check(cot)
    parts = _parts(trajectory)
    if parts is None:
        return None
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM_PROMPT}]
    for r in parts.rounds:
        messages += _opening(r, parts.added.get(r.index, ()))
        rendered = render_steps(r.steps, r.reasoning, r.answer, cot=cot == "inline")
        if cot == "field":  # each step's reasoning beside its call message, None on every other message
            notes: list[str | None] = [x for text in r.reasoning for x in (text, None)] + [None]
            rendered = [{**m, "reasoning_content": note} for m, note in zip(rendered, notes)]  # type: ignore[dict-item]
        messages += rendered
    if cot == "field":
        messages = [{"reasoning_content": None, **m} for m in messages]
    return {"messages": messages, "tools": _json([t.to_openai() for t in parts.tools]), "meta": parts.meta}


def preview(record: dict[str, Any]) -> str:
    """A chat-format record rendered through a ChatML template (Qwen's), as a trainer would tokenise it.

    Works for the ``messages`` formats and for ShareGPT ``conversations``; tool replies become ``<tool_response>``.
    """
    if "conversations" in record:
        speaker = {"human": "user", "gpt": "assistant", "function_call": "assistant", "observation": "tool"}
        messages = [{"role": "system", "content": record.get("system", "")}]
        for turn in record["conversations"]:
            content = turn["value"]
            if turn["from"] == "function_call":  # "<think>…</think>" then JSON, as LLaMA-Factory reads it
                think, _, body = content.rpartition("</think>")
                calls = json.loads(body)
                content = (think + "</think>" if think else "") + _tool_call_tags(
                    calls if isinstance(calls, list) else [calls])
            messages.append({"role": speaker[turn["from"]], "content": content})
    else:
        messages = record["messages"]
    out = []
    for m in messages:
        content = m.get("content") or ""
        content += _tool_call_tags([{"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}
                                    for c in m.get("tool_calls") or ()])
        role = m["role"]
        if role == "tool":
            role, content = "user", f"<tool_response>\n{content}\n</tool_response>"
        out.append(f"<|im_start|>{role}\n{content}<|im_end|>")
    return "\n".join(out) + "\n"
