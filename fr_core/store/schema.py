"""The store's SQLite schema, its version number and the migrations that bring an older file up to date."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from fr_core.errors import StoreError

__all__ = ["SCHEMA_VERSION", "schema_version", "migrate"]

#: Bump when the schema changes, and add the step from the previous version to ``_MIGRATIONS``.
SCHEMA_VERSION = 4

_V1 = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    seed INTEGER NOT NULL,
    code_version TEXT NOT NULL,
    status TEXT NOT NULL,
    n_samples INTEGER NOT NULL,
    created REAL NOT NULL,
    finished REAL,
    timings TEXT NOT NULL DEFAULT '{}',
    usage TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS samples (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id),
    idx INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected', 'failed')),
    classes TEXT NOT NULL DEFAULT '[]',
    n_turns INTEGER NOT NULL DEFAULT 0,
    n_attempts INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    seconds REAL NOT NULL DEFAULT 0,
    trajectory TEXT,
    error TEXT,
    created REAL NOT NULL,
    UNIQUE (run_id, idx)
);
CREATE INDEX IF NOT EXISTS samples_run_status ON samples (run_id, status, idx);
CREATE TABLE IF NOT EXISTS steps (
    id INTEGER PRIMARY KEY,
    sample_id TEXT NOT NULL REFERENCES samples(id),
    run_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    round INTEGER NOT NULL DEFAULT 0,
    attempt INTEGER NOT NULL DEFAULT 0,
    ok INTEGER,
    inputs TEXT NOT NULL DEFAULT '{}',
    outputs TEXT NOT NULL DEFAULT '{}',
    llm_calls TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS steps_sample ON steps (sample_id);
CREATE INDEX IF NOT EXISTS steps_run_stage ON steps (run_id, stage, attempt);
CREATE TABLE IF NOT EXISTS edits (
    id INTEGER PRIMARY KEY,
    sample_id TEXT NOT NULL REFERENCES samples(id),
    field TEXT NOT NULL,
    before TEXT,
    after TEXT,
    author TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS edits_sample ON edits (sample_id);
"""

# v2: per-sample leak rewrites and variant kind, so run listings need not read trajectories.
_V2 = """
ALTER TABLE samples ADD COLUMN leak_rewrites INTEGER NOT NULL DEFAULT 0;
ALTER TABLE samples ADD COLUMN variant TEXT
"""

# v3: what kind of failure a failed sample met (transport, timeout, error, internal), counted apart in the run
# figures; and claims, the lease on a sample in flight, so two processes resuming one run share its work.
_V3 = """
ALTER TABLE samples ADD COLUMN failure TEXT;
CREATE TABLE IF NOT EXISTS claims (
    run_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    owner TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (run_id, idx)
)
"""

# v4: review. An edit of a round names its round (1-based; older "round0" fields become round 1); a sample's
# review decisions (who, when, why, accepted anyway) beside its generation status; rounds an earlier edit made stale.
_V4 = """
ALTER TABLE edits ADD COLUMN round INTEGER;
UPDATE edits SET round = CAST(substr(field, 6) AS INTEGER) + 1, field = 'round' WHERE field GLOB 'round[0-9]*';
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY,
    sample_id TEXT NOT NULL REFERENCES samples(id),
    run_id TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
    author TEXT NOT NULL,
    created REAL NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    forced INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS reviews_run ON reviews (run_id, sample_id);
CREATE TABLE IF NOT EXISTS stale (
    sample_id TEXT NOT NULL REFERENCES samples(id),
    run_id TEXT NOT NULL,
    round INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (sample_id, round)
);
CREATE INDEX IF NOT EXISTS stale_run ON stale (run_id)
"""

# _MIGRATIONS[v] upgrades a file at version v to v + 1 (v = 0 is an empty file).
def _statements(script: str) -> Callable[[sqlite3.Connection], None]:
    # executescript would commit the open transaction, so a migration runs its DDL statement by statement.
    def run(conn: sqlite3.Connection) -> None:
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)
    return run


_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    0: _statements(_V1),
    1: _statements(_V2),
    2: _statements(_V3),
    3: _statements(_V4),
}


def schema_version(conn: sqlite3.Connection) -> int:
    """The version recorded in the file; 0 for a file without the store's tables."""
    has = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if not has:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection, path: str = "") -> int:
    """Bring the file to ``SCHEMA_VERSION`` one step at a time, each step in its own transaction; returns it."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise StoreError(f"store {path or '?'} has schema version {version}, newer than this code's "
                         f"{SCHEMA_VERSION}; upgrade fr_core or open a different file")
    while version < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        # Another connection may have migrated the file while this one waited for the lock: look again inside it.
        version = schema_version(conn)
        if version >= SCHEMA_VERSION:
            conn.execute("COMMIT")
            break
        step = _MIGRATIONS.get(version)
        if step is None:
            conn.execute("ROLLBACK")
            raise StoreError(f"store {path or '?'}: no migration from schema version {version}")
        try:
            step(conn)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version + 1,))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise StoreError(f"store {path or '?'}: migration from version {version} failed: {exc}") from None
        version += 1
    return version

