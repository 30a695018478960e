"""Content-addressed LLM response cache in SQLite (WAL): use, refresh, off, or replay-only for whole-run replay.

The key is a sha256 of what changes an answer (provider, model, messages, tools, sampling, sample index), never of
API keys or the server address, so a run recorded against one endpoint replays anywhere.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Literal

from fr_core.errors import ConfigError, LLMError
from fr_core.llm.base import LLMRequest, LLMResponse

__all__ = ["CacheMode", "CACHE_MODES", "cache_key", "canonical_request", "LLMCache"]

CacheMode = Literal["use", "refresh", "off", "replay_only"]
CACHE_MODES: tuple[str, ...] = ("use", "refresh", "off", "replay_only")
_KEY_VERSION = 1


def canonical_request(provider: str, model: str, request: LLMRequest) -> dict[str, Any]:
    """The request fields that determine the answer, as plain JSON (tools in OpenAI form)."""
    return {"v": _KEY_VERSION, "provider": provider, "model": model, "messages": [dict(m) for m in request.messages],
            "tools": request.openai_tools(), "sampling": request.sampling(), "sample_index": request.sample_index}


def cache_key(provider: str, model: str, request: LLMRequest) -> str:
    """sha256 hex of the canonical JSON of the request (sorted keys, no whitespace)."""
    try:
        text = json.dumps(canonical_request(provider, model, request), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise LLMError(f"request for {model} is not plain JSON ({exc}); messages and tools must be JSON values") \
            from None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_cache (
    key TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    created_at REAL NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL
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
        """The stored response for ``key`` (marked ``cached``), or None; in replay_only mode a miss raises."""
        if not self.reads or self._conn is None:
            return None
        with self._lock:
            row = self._conn.execute("SELECT response FROM llm_cache WHERE key = ?", (key,)).fetchone()
        if row is None:
            if self.mode == "replay_only":
                raise LLMError(f"replay-only cache {self.path} has no response for request {key[:12]}; "
                               "the run differs from the recorded one: record it again with mode 'use'")
            return None
        return LLMResponse.from_dict(json.loads(row[0]))

    def put(self, key: str, request: dict[str, Any], response: LLMResponse) -> None:
        """Store a live response under ``key`` (the canonical request is kept beside it for inspection)."""
        if not self.writes or self._conn is None:
            return
        row = (key, response.provider, response.model, time.time(),
               json.dumps(request, ensure_ascii=False, sort_keys=True),
               json.dumps(response.to_dict(), ensure_ascii=False, default=str))
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO llm_cache VALUES (?, ?, ?, ?, ?, ?)", row)

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
