"""One record per trajectory for each chat format: OpenAI fine-tuning, ShareGPT (LLaMA-Factory), Hermes/Qwen,
FunReason ``<think>``; and ``preview`` rendering a record through a ChatML template."""

from __future__ import annotations

import json
from typing import Any

from fr_core.export.conversation import Round, accepted_rounds, tools_for
from fr_core.refine.render import render_turn
from fr_core.types import ToolSpec, Trajectory

__all__ = ["SYSTEM_PROMPT", "to_openai", "to_sharegpt", "to_hermes", "to_funreason", "preview"]

SYSTEM_PROMPT = "You are a helpful assistant that completes the user's requests by calling the available tools."

_HERMES_SYSTEM = (
    SYSTEM_PROMPT + "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{tools}\n</tools>\n\n"
    "For each function call, return a json object with function name and arguments within <tool_call></tool_call> "
    "XML tags:\n<tool_call>\n{{\"name\": <function-name>, \"arguments\": <args-json-object>}}\n</tool_call>"
)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _tool_call_tags(calls: list[dict[str, Any]]) -> str:
    return "\n".join(f"<tool_call>\n{_json(c)}\n</tool_call>" for c in calls)


def _functions(tools: tuple[ToolSpec, ...]) -> list[dict[str, Any]]:
    return [t.to_openai()["function"] for t in tools]


def _rounds(trajectory: Trajectory) -> list[Round]:
    return list(accepted_rounds(trajectory))


def _opening(r: Round) -> list[dict[str, str]]:
    """The round's user query, and for a miss-param round the assistant's question and the user's reply."""
    messages = [{"role": "user", "content": r.query}]
    if r.clarify:
        messages += [{"role": "assistant", "content": r.clarify[0]}, {"role": "user", "content": r.clarify[1]}]
    return messages


def to_openai(trajectory: Trajectory) -> dict[str, Any] | None:
    """OpenAI chat fine-tuning line: ``messages`` with ``tool_calls`` / ``tool`` replies, and ``tools``.

    A round's calls go in one assistant message, as the reasoner planned them (BFCL scores a turn the same way).
    """
    rounds = _rounds(trajectory)
    if not rounds:
        return None
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM_PROMPT}]
    for r in rounds:
        messages += _opening(r)
        ids = [f"call_{r.index}_{i}" for i in range(len(r.calls))]
        messages.append({"role": "assistant", "tool_calls": [
            {"id": cid, "type": "function", "function": {"name": c.name, "arguments": _json(c.arguments)}}
            for cid, c in zip(ids, r.calls)]})
        messages += [{"role": "tool", "tool_call_id": cid, "content": res.to_text()}
                     for cid, res in zip(ids, r.results)]
        messages.append({"role": "assistant", "content": r.answer})
    return {"messages": messages, "tools": [t.to_openai() for t in tools_for(trajectory.classes)]}


def to_sharegpt(trajectory: Trajectory) -> dict[str, Any] | None:
    """LLaMA-Factory ShareGPT line: ``conversations`` with ``function_call`` / ``observation`` turns and ``tools``
    as a JSON string. Several calls of a round are one ``function_call`` holding a JSON list (parallel calls)."""
    rounds = _rounds(trajectory)
    if not rounds:
        return None
    turns: list[dict[str, str]] = []
    for r in rounds:
        calls = [c.to_json() for c in r.calls]
        results = [json.loads(res.to_text()) for res in r.results]
        speaker = {"user": "human", "assistant": "gpt"}
        turns += [{"from": speaker[m["role"]], "value": m["content"]} for m in _opening(r)]
        turns += [{"from": "function_call", "value": _json(calls[0] if len(calls) == 1 else calls)},
                  {"from": "observation", "value": _json(results[0] if len(results) == 1 else results)},
                  {"from": "gpt", "value": r.answer}]
    return {"conversations": turns, "system": SYSTEM_PROMPT, "tools": _json(_functions(tools_for(trajectory.classes)))}


def to_hermes(trajectory: Trajectory) -> dict[str, Any] | None:
    """Hermes / Qwen chat line: tools in the system prompt, ``<tool_call>`` blocks in the assistant's text,
    ``tool`` messages with the raw responses (the Qwen template wraps them in ``<tool_response>``)."""
    rounds = _rounds(trajectory)
    if not rounds:
        return None
    tools = "\n".join(_json({"type": "function", "function": f}) for f in _functions(tools_for(trajectory.classes)))
    messages: list[dict[str, Any]] = [{"role": "system", "content": _HERMES_SYSTEM.format(tools=tools)}]
    for r in rounds:
        messages += _opening(r)
        messages.append({"role": "assistant", "content": _tool_call_tags([c.to_json() for c in r.calls])})
        messages += [{"role": "tool", "content": res.to_text()} for res in r.results]
        messages.append({"role": "assistant", "content": r.answer})
    return {"messages": messages}


def to_funreason(trajectory: Trajectory) -> dict[str, Any] | None:
    """FunReason line: ``<think>…</think><tool_call>[…]</tool_call>``, ``<tool_response>``, ``<answer>`` turns
    (each round rendered by :func:`fr_core.refine.render.render_turn`), with the tools."""
    openings = {r.index: _opening(r) for r in accepted_rounds(trajectory)}
    messages = []
    for record in trajectory.turns:
        if record.round not in openings:
            break
        rendered = render_turn(record)
        messages += openings[record.round] + rendered[1:]  # the user message, as the variant may have changed it
    if not messages:
        return None
    return {"messages": [{"role": "system", "content": SYSTEM_PROMPT}, *messages],
            "tools": [t.to_openai() for t in tools_for(trajectory.classes)]}


def preview(record: dict[str, Any]) -> str:
    """A chat-format record rendered through a ChatML template (Qwen's), as a trainer would tokenise it.

    Works for the ``messages`` formats and for ShareGPT ``conversations``; tool replies become ``<tool_response>``.
    """
    if "conversations" in record:
        role = {"human": "user", "gpt": "assistant", "function_call": "assistant", "observation": "tool"}
        messages = [{"role": "system", "content": record.get("system", "")}]
        for turn in record["conversations"]:
            content = turn["value"]
            if turn["from"] == "function_call":
                calls = json.loads(content)
                content = _tool_call_tags(calls if isinstance(calls, list) else [calls])
            messages.append({"role": role[turn["from"]], "content": content})
    else:
        messages = record["messages"]
    out = []
    for m in messages:
        content = m.get("content") or ""
        calls = [{"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}
                 for c in m.get("tool_calls") or ()]
        content += _tool_call_tags(calls)
        role = m["role"]
        if role == "tool":
            role, content = "user", f"<tool_response>\n{content}\n</tool_response>"
        out.append(f"<|im_start|>{role}\n{content}<|im_end|>")
    return "\n".join(out) + "\n"
