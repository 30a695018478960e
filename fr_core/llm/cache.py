"""Content-addressed LLM response cache in SQLite (WAL): use, refresh, off, or replay-only for whole-run replay.

The key is a sha256 of what changes an answer (provider, model, the endpoint that serves it, messages, tools,
sampling, sample index), never of API keys: a reply recorded from one server is never served for another. A reply
that failed to parse is marked rejected and is not served again, except to replay a run exactly (replay_only).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from fr_core.errors import ConfigError, LLMError
from fr_core.llm.base import LLMRequest, LLMResponse, tool_to_openai
from fr_core.types import ToolSpec
from fr_core.redact import scrub

__all__ = ["CacheMode", "CACHE_MODES", "cache_key", "canonical_request", "keyed_parts", "LLMCache"]

CacheMode = Literal["use", "refresh", "off", "replay_only"]
CACHE_MODES: tuple[str, ...] = ("use", "refresh", "off", "replay_only")
_KEY_VERSION = 2


def canonical_request(provider: str, model: str, request: LLMRequest, endpoint: str = "") -> dict[str, Any]:
    """The request fields that determine the answer, as plain JSON (tools in OpenAI form); ``endpoint`` is the
    server address ("" for the provider's own)."""
    return {"v": _KEY_VERSION, "provider": provider, "model": model, "endpoint": endpoint,
            "messages": [dict(m) for m in request.messages], "tools": request.openai_tools(),
            "sampling": request.sampling(), "sample_index": request.sample_index}


def cache_key(provider: str, model: str, request: LLMRequest, endpoint: str = "") -> str:
    """sha256 hex of the canonical JSON of the request (sorted keys, no whitespace)."""
    return keyed_parts(provider, model, request, endpoint)[0]


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


# ToolSpec (frozen) -> its canonical JSON, by identity while it lives: a reasoner offers the same specs on every step
# of a task, and encoding them again was 8 % of a generation process's CPU at 64 calls in flight
# (bench_pipeline_llm.py). Specs are not changed once made (their parameters are built before the spec).
_TOOL_JSON: dict[int, tuple[weakref.ref[ToolSpec], str]] = {}


def _tool_json(tool: ToolSpec | Mapping[str, Any]) -> str:
    if not isinstance(tool, ToolSpec):
        return _CANONICAL.encode(tool_to_openai(tool))
    key = id(tool)
    hit = _TOOL_JSON.get(key)
    if hit is not None and hit[0]() is tool:
        return hit[1]
    text = _CANONICAL.encode(tool.to_openai())

    def forget(_ref: weakref.ref[ToolSpec]) -> None:
        _TOOL_JSON.pop(key, None)

    _TOOL_JSON[key] = (weakref.ref(tool, forget), text)
    return text


def keyed_parts(provider: str, model: str, request: LLMRequest, endpoint: str = "") -> tuple[str, str, str, str]:
    """:func:`cache_key`, the canonical JSON it hashes (what :meth:`LLMCache.put` stores beside the reply), and the
    canonical JSON of the request's messages and of its tools (OpenAI form) from which that is made: one
    serialisation of a request that may carry a long history and many tool schemas, which a backend may send as it
    is. The text is the sorted-key JSON of :func:`canonical_request`, piece by piece."""
    encode = _CANONICAL.encode
    try:
        messages = encode([dict(m) for m in request.messages])
        tools = "[" + ",".join(map(_tool_json, request.tools)) + "]"  # as encode(request.openai_tools()) writes it
        text = (f'{{"endpoint":{encode(endpoint)},"messages":{messages},"model":{encode(model)},'
                f'"provider":{encode(provider)},"sample_index":{encode(request.sample_index)},'
                f'"sampling":{encode(request.sampling())},"tools":{tools},"v":{_KEY_VERSION}}}')
    except (TypeError, ValueError) as exc:
        raise LLMError(f"request for {model} is not plain JSON ({exc}); messages and tools must be JSON values") \
            from None
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), text, messages, tools


_SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_cache (
    key TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    created_at REAL NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    rejected TEXT
)
"""


class LLMCache:
    """A thread-safe SQLite cache of responses; may share a file with the run store (table ``llm_cache``).

    Modes: ``use`` reads and writes; ``refresh`` only writes (re-asks the model); ``off`` does nothing;
    ``replay_only`` only reads and makes a miss an LLMError, so a recorded run is replayed without a network.
    """

    def __init__(self, path: str | Path, mode: CacheMode = "use") -> None:
        if mode not in CACHE_MODES:
            raise ConfigError(f"cache mode {mode!r} is unknown; use one of {', '.join(CACHE_MODES)}")
        self.path = Path(path)
        self.mode: CacheMode = mode
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        if mode != "off":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(_SCHEMA)
                columns = {row[1] for row in conn.execute("PRAGMA table_info(llm_cache)")}
                if "rejected" not in columns:  # a cache written before rejections were kept
                    conn.execute("ALTER TABLE llm_cache ADD COLUMN rejected TEXT")
            except sqlite3.Error as exc:
                raise ConfigError(f"cannot open the LLM cache {self.path}: {exc}; check the path and permissions") \
                    from None
            self._conn = conn

    @property
    def reads(self) -> bool:
        return self.mode in ("use", "replay_only")

    @property
    def writes(self) -> bool:
        return self.mode in ("use", "refresh")

    def get(self, key: str) -> LLMResponse | None:
        """The stored response for ``key`` (marked ``cached``), or None; in replay_only mode a miss raises.

        A rejected reply counts as a miss, except in replay_only mode, which replays a run as it was recorded.
        """
        if not self.reads or self._conn is None:
            return None
        usable = "" if self.mode == "replay_only" else " AND rejected IS NULL"
        with self._lock:
            row = self._conn.execute(f"SELECT response FROM llm_cache WHERE key = ?{usable}", (key,)).fetchone()
        if row is None:
            if self.mode == "replay_only":
                raise LLMError(f"replay-only cache {self.path} has no response for request {key[:12]}; "
                               "the run differs from the recorded one: record it again with mode 'use'")
            return None
        return LLMResponse.from_dict(json.loads(row[0]))

    def put(self, key: str, request: dict[str, Any] | str, response: LLMResponse) -> None:
        """Store a live response under ``key`` (the canonical request, or its JSON text, is kept beside it for
        inspection)."""
        if not self.writes or self._conn is None:
            return
        text = request if isinstance(request, str) else json.dumps(request, ensure_ascii=False, sort_keys=True)
        row = (key, response.provider, response.model, time.time(), scrub(text),
               scrub(json.dumps(response.to_dict(), ensure_ascii=False, default=str)))
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO llm_cache VALUES (?, ?, ?, ?, ?, ?, NULL)", row)

    def reject(self, key: str, reason: str) -> None:
        """Mark the reply under ``key`` unusable (it failed to parse): later runs ask the model again."""
        if self._conn is None:
            return
        with self._lock:
            self._conn.execute("UPDATE llm_cache SET rejected = ? WHERE key = ?", (scrub(reason)[:500], key))

    def reject_text(self, text: str, reason: str) -> int:
        """Reject every cached reply whose text is ``text`` (a reply that failed to parse, known by its text
        only); returns how many were marked."""
        if self._conn is None or not text:
            return 0
        with self._lock:
            return self._conn.execute("UPDATE llm_cache SET rejected = ? WHERE rejected IS NULL AND "
                                      "json_extract(response, '$.text') = ?", (scrub(reason)[:500], text)).rowcount

    def __len__(self) -> int:
        if self._conn is None:
            return 0
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM llm_cache").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> LLMCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
