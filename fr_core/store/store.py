"""The run store: runs, samples, step traces and human edits in one SQLite (WAL) file, one transaction a sample."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fr_core.errors import StoreError
from fr_core.redact import scrub
from fr_core.serialize import to_dict, trajectory_from_dict
from fr_core.store.schema import migrate
from fr_core.store.sqlite import SQLiteFile
from fr_core.store.steps import StepRow, trajectory_cost, trajectory_steps
from fr_core.types import Trajectory

__all__ = [
    "DEFAULT_DB",
    "Store",
    "RunRow",
    "SampleRow",
    "EditRow",
    "ReviewRow",
    "RunStats",
    "sanitize_config",
    "sample_id",
    "lease_owner",
    "MAX_SAMPLES",
]

#: ``runs/workbench.db`` under the current folder (relative, so it follows the folder the command runs in).
DEFAULT_DB = Path("runs") / "workbench.db"
#: The most samples one run may have: more is a typing slip, and indices must fit SQLite's integers.
MAX_SAMPLES = 10_000_000

_SECRET_NAME = re.compile(r"key|token|secret|password|credential", re.IGNORECASE)
# Names that match the pattern but hold no secret: an env var's *name*, or a token count such as max_tokens.
_HARMLESS_NAME = re.compile(r"(_env|tokens|_mtok)$", re.IGNORECASE)
_SECRET_VALUE = re.compile(r"^(sk-|sk_|xox[abp]-|ghp_|hf_)[A-Za-z0-9_\-]{8,}")


def sanitize_config(config: Any) -> Any:
    """A copy of a config with anything secret left out: keys named like *key*/*token*/*secret*, key-like values.

    >>> sanitize_config({"model": "m", "api_key": "x", "llm": {"Token": "t", "max_tokens": 5}})
    {'model': 'm', 'llm': {'max_tokens': 5}}
    """
    if isinstance(config, Mapping):
        return {str(k): sanitize_config(v) for k, v in config.items()
                if not (_SECRET_NAME.search(str(k)) and not _HARMLESS_NAME.search(str(k)))
                and not (isinstance(v, str) and _SECRET_VALUE.match(v))}
    if isinstance(config, (list, tuple)):
        return [sanitize_config(v) for v in config if not (isinstance(v, str) and _SECRET_VALUE.match(v))]
    return config


def sample_id(run_id: str, seed: int, idx: int) -> str:
    """The id of sample ``idx`` of a run with seed ``seed``: the same on every resume, so it is never duplicated."""
    return f"{run_id}.s{seed}.{idx:06d}"


@dataclass(frozen=True)
class RunRow:
    """One batch run: its sanitised config, seed, code version, status and timings."""

    id: str
    config: dict[str, Any]
    seed: int
    code_version: str
    status: str
    n_samples: int
    created: float
    finished: float | None
    timings: dict[str, Any]
    usage: dict[str, Any]


@dataclass(frozen=True)
class SampleRow:
    """One stored sample; ``data`` is the trajectory as JSON (``None`` for a failure without one)."""

    id: str
    run_id: str
    idx: int
    status: str
    classes: tuple[str, ...]
    n_turns: int
    n_attempts: int
    cost_usd: float
    seconds: float
    error: str | None
    created: float
    data: dict[str, Any] | None = None
    leak_rewrites: int = 0  # hard queries rewritten because they leaked a tool name or a hidden value
    variant: str | None = None  # miss_func, miss_param, long_context (see fr_core.pipeline.variants)
    failure: str | None = None  # a failed sample's kind of failure: transport, timeout, error or internal

    @property
    def trajectory(self) -> Trajectory | None:
        """The typed trajectory (rebuilt from ``data`` on each access)."""
        return None if self.data is None else trajectory_from_dict(self.data)


@dataclass(frozen=True)
class EditRow:
    """A human edit of one field of a sample: before, after, who and when; ``round`` (1-based) for a round's
    revision (``field`` is then ``"round"``)."""

    id: int
    sample_id: str
    field: str
    before: Any
    after: Any
    author: str
    created: float
    round: int | None = None


@dataclass(frozen=True)
class ReviewRow:
    """A reviewer's decision on a sample (``accepted`` or ``rejected``): who, when, why, and whether a failing edit
    was accepted anyway."""

    sample_id: str
    decision: str
    author: str
    created: float
    reason: str = ""
    forced: bool = False


@dataclass(frozen=True)
class RunStats:
    """Per-stage pass rates of a run and its cost per accepted sample."""

    run: RunRow
    stored: int
    accepted: int
    rejected: int
    failed: int
    rounds: int
    target_reached: int
    failed_calls: int
    queries: int
    query_leaks: int
    refine_turns: int
    passed_at: dict[int, int] = field(default_factory=dict)  # attempt k -> turns that passed at attempt k
    cost_usd: float = 0.0
    leak_rewrites: int = 0
    variants: dict[str, int] = field(default_factory=dict)  # variant kind -> samples
    failures: dict[str, int] = field(default_factory=dict)  # failure kind -> failed samples

    @property
    def transport_failed(self) -> int:
        """Failed samples whose model server gave no usable answer: not the model's doing."""
        return self.failures.get("transport", 0)

    @property
    def cost_per_accepted(self) -> float | None:
        return self.cost_usd / self.accepted if self.accepted else None

    def rate(self, count: int, total: int) -> float | None:
        return count / total if total else None


_SAMPLE_COLS = ("id, run_id, idx, status, classes, n_turns, n_attempts, cost_usd, seconds, error, created, "
                "leak_rewrites, variant, failure")


def _dump(value: Any) -> str:
    """JSON text for a column, scrubbed of keys and unencodable text (a tool or a model may return either)."""
    return scrub(json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":")))


def _set_wal(conn: sqlite3.Connection, tries: int = 100) -> None:
    """Switch to WAL; the switch needs the file to itself and ignores the busy timeout, so wait for it here."""
    for _ in range(tries - 1):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.05)
    conn.execute("PRAGMA journal_mode=WAL")


class Store(SQLiteFile):
    """A SQLite (WAL) store of runs and samples; safe to share between threads, and to read while another process
    writes. ``Store(path)`` creates the file and its folders and migrates an older schema."""

    def __init__(self, path: str | Path = DEFAULT_DB) -> None:
        try:
            super().__init__(path)
            _set_wal(self._conn)
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            migrate(self._conn, str(self.path))
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the store {path}: {exc}; check the path and its permissions") \
                from None

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def __enter__(self) -> Store:
        return self

    # ------------------------------------------------------------------------------------------------ helpers
    def _write(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        with self._transaction() as conn:
            return conn.execute(sql, args)

    # ---------------------------------------------------------------------------------------------------- runs
    def create_run(self, config: Mapping[str, Any], seed: int, n_samples: int, run_id: str | None = None, *,
                   code_version: str = "") -> str:
        """Record a new run (config sanitised of secrets) and its code version; returns the run's id."""
        run_id = run_id or time.strftime("run-%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        self._write("INSERT INTO runs (id, config, seed, code_version, status, n_samples, created) "
                    "VALUES (?, ?, ?, ?, 'running', ?, ?)",
                    (run_id, _dump(sanitize_config(config)), int(seed), code_version, int(n_samples), time.time()))
        return run_id

    def set_run_status(self, run_id: str, status: str) -> None:
        self._write("UPDATE runs SET status = ? WHERE id = ?", (status, run_id))

    def set_run_target(self, run_id: str, n_samples: int) -> None:
        """Change how many samples the run should have (a resume asking for more)."""
        self._write("UPDATE runs SET n_samples = ? WHERE id = ?", (int(n_samples), run_id))

    def finish_run(self, run_id: str, status: str = "done", timings: Mapping[str, Any] | None = None,
                   usage: Mapping[str, Any] | None = None) -> None:
        """Mark a run finished (``done``, ``interrupted``, ``failed``), adding timings and LLM usage to the totals
        of earlier invocations (a resumed run sums them)."""
        run = self.get_run(run_id)
        merged_t = _add_numbers(run.timings, timings or {})
        merged_u = _add_numbers(run.usage, usage or {})
        self._write("UPDATE runs SET status = ?, finished = ?, timings = ?, usage = ? WHERE id = ?",
                    (status, time.time(), _dump(merged_t), _dump(sanitize_config(merged_u)), run_id))

    def get_run(self, run_id: str) -> RunRow:
        rows = self._query("SELECT id, config, seed, code_version, status, n_samples, created, finished, timings, "
                           "usage FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise StoreError(f"store {self.path} has no run {run_id!r}; `fr runs --db {self.path}` lists them")
        return _run_row(rows[0])

    def runs(self) -> list[RunRow]:
        """Every run, newest first."""
        return [_run_row(r) for r in self._query(
            "SELECT id, config, seed, code_version, status, n_samples, created, finished, timings, usage "
            "FROM runs ORDER BY created DESC")]

    # ------------------------------------------------------------------------------------------------- samples
    def add_sample(self, run_id: str, idx: int, trajectory: Trajectory | None = None, *, error: str | None = None,
                   seconds: float = 0.0, trace: Any = None, failure: str | None = None) -> bool:
        """Store sample ``idx`` with its step rows in one transaction; ``False`` if it was already stored.

        Give a ``trajectory``, or ``error`` alone for a sample that failed before one existed; ``trace`` (the
        step result's trace) adds the LLM calls of the roles outside the attempts to the sample's cost.
        ``failure`` names a failed sample's kind of failure (``error`` when not given). Every text is scrubbed
        of keys and of unencodable characters first.
        """
        if trajectory is None and error is None:
            raise StoreError(f"sample {idx} of run {run_id}: give a trajectory or an error")
        run = self.get_run(run_id)
        sid = sample_id(run_id, run.seed, idx)
        rewrites, variant = 0, None
        if trajectory is None:
            status, classes, n_turns, n_attempts, cost, data = "failed", [], 0, 0, 0.0, None
            steps: list[StepRow] = []
        else:
            status, classes = trajectory.status, list(trajectory.classes)
            n_turns = len(trajectory.turns)
            n_attempts = sum(len(r.outcome.attempts) for r in trajectory.turns if r.outcome)
            cost, data = trajectory_cost(trajectory, trace), _dump(to_dict(trajectory))
            steps = trajectory_steps(trajectory)
            error = error or trajectory.error
            rewrites = int(trajectory.provenance.get("leak_rejections", 0) or 0)
            variant = (trajectory.provenance.get("variant") or {}).get("kind")
        failure = (failure or "error") if status == "failed" else None
        with self._transaction() as conn:
            cur = conn.execute(f"INSERT OR IGNORE INTO samples ({_SAMPLE_COLS}, trajectory) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               (sid, run_id, idx, status, _dump(classes), n_turns, n_attempts, cost, seconds,
                                None if error is None else scrub(error),
                                time.time(), rewrites, variant, failure, data))
            if cur.rowcount != 1:
                return False  # stored before (a resumed run redoing an in-flight sample): keep the first copy
            conn.executemany(
                "INSERT INTO steps (sample_id, run_id, stage, round, attempt, ok, inputs, outputs, llm_calls) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(sid, run_id, s.stage, s.round, s.attempt, None if s.ok is None else int(s.ok), _dump(s.inputs),
                  _dump(s.outputs), _dump(list(s.llm_calls))) for s in steps])
        return True

    def forget_failed(self, run_id: str) -> int:
        """Delete the run's failed samples (and their steps) so a resume makes them again; returns how many.

        Failed samples a reviewer has edited or decided on are kept: their edits and decisions are data.
        """
        self.get_run(run_id)
        where = ("run_id = ? AND status = 'failed' AND id NOT IN (SELECT sample_id FROM edits) "
                 "AND id NOT IN (SELECT sample_id FROM reviews)")
        with self._transaction() as conn:
            conn.execute(f"DELETE FROM steps WHERE sample_id IN (SELECT id FROM samples WHERE {where})", (run_id,))
            return conn.execute(f"DELETE FROM samples WHERE {where}", (run_id,)).rowcount

    # ------------------------------------------------------------------------------------------------- claims
    def claim(self, run_id: str, idx: int, owner: str, lease_s: float) -> bool:
        """Take sample ``idx`` of the run for ``owner`` for ``lease_s`` seconds; ``False`` when it is stored, or
        claimed by another owner that is alive and whose lease has not run out."""
        now = time.time()
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM samples WHERE run_id = ? AND idx = ?", (run_id, idx)).fetchone():
                return False
            row = conn.execute("SELECT owner, expires FROM claims WHERE run_id = ? AND idx = ?",
                               (run_id, idx)).fetchone()
            if row is not None and row[0] != owner and row[1] > now and _alive(row[0]):
                return False
            conn.execute("INSERT OR REPLACE INTO claims (run_id, idx, owner, expires) VALUES (?, ?, ?, ?)",
                         (run_id, idx, owner, now + lease_s))
        return True

    def renew_claims(self, run_id: str, owner: str, lease_s: float) -> None:
        """Extend every lease ``owner`` holds on the run (called while its samples are in flight)."""
        self._write("UPDATE claims SET expires = ? WHERE run_id = ? AND owner = ?", (time.time() + lease_s, run_id,
                                                                                   owner))

    def release_claims(self, run_id: str, owner: str) -> None:
        self._write("DELETE FROM claims WHERE run_id = ? AND owner = ?", (run_id, owner))

    def claimed_elsewhere(self, run_id: str, owner: str) -> list[int]:
        """Indices not stored yet that another live owner holds a lease on (work that may still come)."""
        rows = self._query("SELECT idx, owner, expires FROM claims WHERE run_id = ? AND owner != ? AND idx NOT IN "
                           "(SELECT idx FROM samples WHERE run_id = ?)", (run_id, owner, run_id))
        now = time.time()
        return sorted(idx for idx, who, expires in rows if expires > now and _alive(who))

    def done_indices(self, run_id: str) -> set[int]:
        """Indices of the run's samples already stored (whatever their status): what a resume skips."""
        return {r[0] for r in self._query("SELECT idx FROM samples WHERE run_id = ?", (run_id,))}

    def count_samples(self, run_id: str, status: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM samples WHERE run_id = ?"
        args: tuple[str, ...] = (run_id,)
        if status:
            sql, args = sql + " AND status = ?", (run_id, status)
        return int(self._query(sql, args)[0][0])

    def iter_samples(self, run_id: str, status: str | None = None, *, with_trajectory: bool = True,
                     batch: int = 256) -> Iterator[SampleRow]:
        """The run's samples in index order, ``batch`` rows at a time (bounded memory, no long read transaction)."""
        cols = _SAMPLE_COLS + (", trajectory" if with_trajectory else "")
        where = "run_id = ? AND idx > ?" + (" AND status = ?" if status else "")
        last = -1
        while True:
            args: tuple[Any, ...] = (run_id, last, status) if status else (run_id, last)
            rows = self._query(f"SELECT {cols} FROM samples WHERE {where} ORDER BY idx LIMIT {int(batch)}", args)
            for row in rows:
                yield _sample_row(row)
            if len(rows) < batch:
                return
            last = rows[-1][2]

    def get_sample(self, sid: str) -> SampleRow:
        rows = self._query(f"SELECT {_SAMPLE_COLS}, trajectory FROM samples WHERE id = ?", (sid,))
        if not rows:
            raise StoreError(f"store {self.path} has no sample {sid!r}")
        return _sample_row(rows[0])

    def steps(self, sid: str) -> list[StepRow]:
        """The sample's step traces in stored order."""
        rows = self._query("SELECT stage, round, attempt, ok, inputs, outputs, llm_calls FROM steps "
                           "WHERE sample_id = ? ORDER BY id", (sid,))
        return [StepRow(r[0], r[1], r[2], None if r[3] is None else bool(r[3]), json.loads(r[4]), json.loads(r[5]),
                        tuple(json.loads(r[6]))) for r in rows]

    # --------------------------------------------------------------------------------------------------- edits
    def _check_sample(self, sid: str, what: str) -> str:
        rows = self._query("SELECT run_id FROM samples WHERE id = ?", (sid,))
        if not rows:
            raise StoreError(f"cannot record {what}: store {self.path} has no sample {sid!r}")
        return str(rows[0][0])

    def add_edit(self, sid: str, field_name: str, before: Any, after: Any, author: str = "", *,
                 round_no: int | None = None) -> int:
        """Record a human edit of ``field_name`` of sample ``sid`` (of its round ``round_no``, 1-based, for a
        revision of a round); returns the edit's id."""
        self._check_sample(sid, "an edit")
        if round_no is not None and round_no < 1:
            raise StoreError(f"sample {sid}: rounds are numbered from 1, got round {round_no}")
        cur = self._write("INSERT INTO edits (sample_id, field, before, after, author, created, round) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)", (sid, field_name, _dump(before), _dump(after),
                                                           _author(author), time.time(), round_no))
        return int(cur.lastrowid or 0)

    _EDIT_COLS = "e.id, e.sample_id, e.field, e.before, e.after, e.author, e.created, e.round"

    def edits(self, sid: str) -> list[EditRow]:
        """The sample's edits, oldest first."""
        return [_edit_row(r) for r in self._query(f"SELECT {self._EDIT_COLS} FROM edits e WHERE e.sample_id = ? "
                                                  "ORDER BY e.id", (sid,))]

    def run_edits(self, run_id: str) -> dict[str, list[EditRow]]:
        """Every edit of the run's samples, by sample id, oldest first (one query, for exports and the queue)."""
        out: dict[str, list[EditRow]] = {}
        for r in self._query(f"SELECT {self._EDIT_COLS} FROM edits e JOIN samples s ON s.id = e.sample_id "
                             "WHERE s.run_id = ? ORDER BY e.id", (run_id,)):
            out.setdefault(r[1], []).append(_edit_row(r))
        return out

    def search(self, run_id: str, text: str) -> set[str]:
        """Ids of the run's samples whose stored text (queries, reasoning, calls, results) or revisions contain
        ``text``, ignoring case."""
        needle = text.strip().lower()
        if not needle:
            return {r[0] for r in self._query("SELECT id FROM samples WHERE run_id = ?", (run_id,))}
        rows = self._query("SELECT id FROM samples WHERE run_id = ? AND instr(lower(trajectory), ?) > 0 UNION "
                           "SELECT e.sample_id FROM edits e JOIN samples s ON s.id = e.sample_id "
                           "WHERE s.run_id = ? AND instr(lower(e.after), ?) > 0", (run_id, needle, run_id, needle))
        return {r[0] for r in rows}

    # ------------------------------------------------------------------------------------------------- reviews
    def set_review(self, sample_ids: str | list[str], decision: str, author: str = "", reason: str = "", *,
                   forced: bool = False) -> int:
        """Record a reviewer's decision (``accepted`` or ``rejected``, who, when, why) on one sample or several in
        one transaction; ``forced`` marks a failing edit accepted anyway. Returns how many were recorded."""
        if decision not in ("accepted", "rejected"):
            raise StoreError(f"a review decision is 'accepted' or 'rejected', not {decision!r}")
        if forced and not reason.strip():
            raise StoreError("accepting a failing edit anyway needs a reason: say why it is right despite the check")
        ids = [sample_ids] if isinstance(sample_ids, str) else list(sample_ids)
        runs = [self._check_sample(sid, "a review") for sid in ids]
        who, now = _author(author), time.time()
        with self._transaction() as conn:
            conn.executemany("INSERT INTO reviews (sample_id, run_id, decision, author, created, reason, forced) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [(sid, run, decision, who, now, reason, int(forced)) for sid, run in zip(ids, runs)])
        return len(ids)

    def reviews(self, run_id: str) -> dict[str, ReviewRow]:
        """The latest review decision of each decided sample of the run."""
        rows = self._query("SELECT sample_id, decision, author, created, reason, forced FROM reviews WHERE id IN "
                           "(SELECT MAX(id) FROM reviews WHERE run_id = ? GROUP BY sample_id)", (run_id,))
        return {r[0]: ReviewRow(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows}

    def review(self, sid: str) -> ReviewRow | None:
        """The sample's latest review decision, ``None`` when nobody decided yet."""
        rows = self._query("SELECT sample_id, decision, author, created, reason, forced FROM reviews "
                           "WHERE sample_id = ? ORDER BY id DESC LIMIT 1", (sid,))
        return ReviewRow(rows[0][0], rows[0][1], rows[0][2], rows[0][3], rows[0][4], bool(rows[0][5])) \
            if rows else None

    def mark_stale(self, sid: str, rounds: Mapping[int, str]) -> None:
        """Mark rounds (1-based) of a sample stale, each with why (an earlier round's edit changed its check)."""
        run = self._check_sample(sid, "a stale round")
        now = time.time()
        with self._transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO stale (sample_id, run_id, round, reason, created) "
                             "VALUES (?, ?, ?, ?, ?)", [(sid, run, r, why, now) for r, why in rounds.items()])

    def clear_stale(self, sid: str, round_no: int) -> None:
        self._write("DELETE FROM stale WHERE sample_id = ? AND round = ?", (sid, round_no))

    def stale(self, run_id: str) -> dict[str, dict[int, str]]:
        """The run's stale rounds: sample id -> {round (1-based): why}."""
        out: dict[str, dict[int, str]] = {}
        for sid, r, why in self._query("SELECT sample_id, round, reason FROM stale WHERE run_id = ?", (run_id,)):
            out.setdefault(sid, {})[r] = why
        return out

    # --------------------------------------------------------------------------------------------------- stats
    def run_stats(self, run_id: str) -> RunStats:
        """Per-stage pass rates (target reached, query leaks, refine acceptance by attempt) and cost."""
        run = self.get_run(run_id)
        by_status = dict(self._query("SELECT status, COUNT(*) FROM samples WHERE run_id = ? GROUP BY status",
                                     (run_id,)))
        # The run's LLM accounting (all roles) when it finished; else the attempts' own events, sample by sample.
        cost, rewrites = self._query("SELECT COALESCE(SUM(cost_usd), 0), COALESCE(SUM(leak_rewrites), 0) "
                                     "FROM samples WHERE run_id = ?", (run_id,))[0]
        variants = dict(self._query("SELECT variant, COUNT(*) FROM samples WHERE run_id = ? AND variant IS NOT NULL "
                                    "GROUP BY variant", (run_id,)))
        failures = dict(self._query("SELECT COALESCE(failure, 'error'), COUNT(*) FROM samples WHERE run_id = ? "
                                    "AND status = 'failed' GROUP BY 1", (run_id,)))
        stage = {s: (n, ok or 0) for s, n, ok in self._query(
            "SELECT stage, COUNT(*), SUM(ok) FROM steps WHERE run_id = ? GROUP BY stage", (run_id,))}
        failed_calls = self._query("SELECT COALESCE(SUM(json_extract(outputs, '$.failed_calls')), 0) FROM steps "
                                   "WHERE run_id = ? AND stage = 'sample'", (run_id,))[0][0]
        passed_at = dict(self._query("SELECT attempt, COUNT(*) FROM steps WHERE run_id = ? AND stage = 'refine' "
                                     "AND ok = 1 GROUP BY attempt ORDER BY attempt", (run_id,)))
        refine_turns = self._query("SELECT COUNT(*) FROM (SELECT DISTINCT sample_id, round FROM steps "
                                   "WHERE run_id = ? AND stage = 'refine')", (run_id,))[0][0]
        queries, query_ok = stage.get("query", (0, 0))
        rounds, reached = stage.get("sample", (0, 0))
        return RunStats(run, sum(by_status.values()), by_status.get("accepted", 0), by_status.get("rejected", 0),
                        by_status.get("failed", 0), rounds, reached, int(failed_calls), queries, queries - query_ok,
                        refine_turns, passed_at, float(run.usage.get("cost_usd") or 0.0) or float(cost),
                        int(rewrites), variants, failures)

    def list_runs(self) -> list[RunStats]:
        """Every run with its statistics, newest first."""
        return [self.run_stats(r.id) for r in self.runs()]


def _add_numbers(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v if isinstance(v, (int, float)) and isinstance(out.get(k, 0), (int, float)) else v
    return out


def lease_owner() -> str:
    """A name for one runner: host, process id and a token (two runners in one process differ)."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


def _alive(owner: str) -> bool:
    """Whether the runner ``owner`` may still be working: always for another host (its lease will run out);
    on this host, whether its process exists (a killed run's leases end at once)."""
    host, _, rest = owner.partition("/")
    pid = rest.partition("/")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _author(author: str) -> str:
    """The given name, else the user running this process."""
    if author.strip():
        return author.strip()
    import getpass

    return getpass.getuser()


def _edit_row(r: tuple[Any, ...]) -> EditRow:
    return EditRow(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]), r[5], r[6], r[7])


def _run_row(r: tuple[Any, ...]) -> RunRow:
    return RunRow(r[0], json.loads(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8]), json.loads(r[9]))


def _sample_row(r: tuple[Any, ...]) -> SampleRow:
    data = json.loads(r[14]) if len(r) > 14 and r[14] is not None else None
    return SampleRow(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], r[6], r[7], r[8], r[9], r[10], data,
                     r[11], r[12], r[13])
