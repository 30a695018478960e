"""``export_run``: stream a stored run's samples into one file of a chosen format, a row at a time, through a
temporary file renamed into place, so a failed export leaves no half file and never touches the store."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from fr_core.errors import ConfigError, StoreError
from fr_core.export.bfcl import bfcl_category, to_bfcl
from fr_core.export.formats import COT_MODES, to_funreason, to_hermes, to_openai, to_sharegpt
from fr_core.export.quality import Contamination, ContaminationGuard, NearDuplicateFilter, sample_text
from fr_core.redact import scrub
from fr_core.serialize import to_dict
from fr_core.store import SampleRow, Store, sanitize_config
from fr_core.types import Trajectory

__all__ = ["FORMATS", "REVIEW_MODES", "ExportReport", "export_run", "answers_path"]

_CHAT: dict[str, Callable[..., dict[str, Any] | None]] = {
    "openai": to_openai,
    "sharegpt": to_sharegpt,
    "hermes": to_hermes,
    "funreason": to_funreason,
}
#: Every format ``fr export --format`` writes.
FORMATS: tuple[str, ...] = (*_CHAT, "bfcl", "parquet")

#: Which review decisions an export honours: ``not-rejected`` (the default) drops samples a reviewer rejected and
#: adds the ones a reviewer accepted although generation rejected them (rescued); ``accepted`` writes reviewer-accepted
#: samples only; ``any`` ignores review decisions and selects by generation status alone.
REVIEW_MODES: tuple[str, ...] = ("not-rejected", "accepted", "any")

_PARQUET_BATCH = 128

Selected = tuple[SampleRow, Trajectory | None]


@dataclass(frozen=True)
class ExportReport:
    """How many samples were read and written, how many each filter dropped, and which files were written."""

    read: int
    written: int
    skipped: int
    paths: tuple[Path, ...]
    contaminated: int = 0
    duplicates: int = 0


class _Filters:
    """The contamination guard and the near-duplicate filter of one export (either may be off)."""

    def __init__(self, guard: bool, dedup: bool) -> None:
        self.guard = ContaminationGuard() if guard else None
        self.dedup = NearDuplicateFilter() if dedup else None
        self.contaminated = 0

    def verdict(self, trajectory: Trajectory | None) -> tuple[Contamination | None, bool]:
        """The sample's contamination (``None`` when unchecked) and whether it repeats an earlier sample."""
        if trajectory is None:
            return None, False
        found = self.guard.check(trajectory) if self.guard else None
        if found is not None and found.flagged:
            self.contaminated += 1
            return found, False
        return found, bool(self.dedup and self.dedup.is_duplicate(sample_text(trajectory)))

    def keep(self, trajectory: Trajectory | None) -> bool:
        found, duplicate = self.verdict(trajectory)
        return not (found is not None and found.flagged) and not duplicate

    def report(self, read: int, written: int, paths: tuple[Path, ...]) -> ExportReport:
        return ExportReport(read, written, read - written, paths, self.contaminated,
                            self.dedup.dropped if self.dedup else 0)


def answers_path(out: Path) -> Path:
    """Where the BFCL export writes its possible answers: ``NAME_possible_answer.jsonl`` beside ``NAME.jsonl``."""
    return out.with_name(f"{out.stem}_possible_answer{out.suffix or '.jsonl'}")


def _line(record: dict[str, Any]) -> str:
    return scrub(json.dumps(record, ensure_ascii=False, default=str)) + "\n"


def _check_targets(store: Store, targets: tuple[Path, ...]) -> None:
    """Refuse, with one clear line, an output that is a folder, the store or one of the store's side files."""
    store_files = {Path(f"{store.path.resolve()}{end}") for end in ("", "-wal", "-shm", "-journal")}
    for target in targets:
        if target.is_dir():
            raise ConfigError(f"export output {target} is a folder; give a file name inside it, e.g. "
                              f"{target / ('export' + (target.suffix or '.jsonl'))}")
        if target.resolve() in store_files or any(target.exists() and f.exists() and target.samefile(f)
                                                  for f in store_files):
            raise ConfigError(f"export output {target} is the store {store.path} (or one of its files): writing "
                              "there would destroy the data; choose another file")


@contextmanager
def _staged(targets: tuple[Path, ...]) -> Iterator[tuple[Path, ...]]:
    """Temporary files beside ``targets``, renamed onto them when the block ends well and removed when not."""
    temps = tuple(t.with_name(f".{t.name}.{os.getpid()}.tmp") for t in targets)
    try:
        yield temps
        for temp, target in zip(temps, targets):
            os.replace(temp, target)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def _rows(store: Store, run_id: str, status: str | None, review: str, original: bool,
          only: frozenset[str] | None = None) -> Iterator[Selected]:
    """The selected samples, each with its trajectory as it now stands (revisions applied) or, with ``original``,
    as generated; ``only``, when given, keeps just the samples of those ids."""
    from fr_core.review import current

    store.get_run(run_id)  # a clear error for an unknown run
    reviews = {} if review == "any" else store.reviews(run_id)
    edits = {} if original else store.run_edits(run_id)
    for row in store.iter_samples(run_id, status if review == "any" else None):
        if only is not None and row.id not in only:
            continue
        decision = reviews[row.id].decision if row.id in reviews else None
        if review == "accepted" and decision != "accepted":
            continue
        if review == "not-rejected" and (decision == "rejected" or decision is None and status not in (None,
                                                                                                          row.status)):
            continue
        trajectory = row.trajectory
        if trajectory is not None and not original:
            trajectory = current(trajectory, edits.get(row.id, ()), reviews.get(row.id))
        yield row, trajectory


def _jsonl(rows: Iterator[Selected], fmt: str, out: Path, filters: _Filters, cot: str) -> ExportReport:
    convert = partial(_CHAT[fmt], cot=cot)
    read = written = 0
    with _staged((out,)) as (temp,), temp.open("w", encoding="utf-8") as fh:
        for _, trajectory in rows:
            read += 1
            record = convert(trajectory) if trajectory is not None and filters.keep(trajectory) else None
            if record is not None:
                fh.write(_line(record))
                written += 1
    return filters.report(read, written, (out,))


def _bfcl(rows: Iterator[Selected], out: Path, filters: _Filters) -> ExportReport:
    answers = answers_path(out)
    read = written = 0
    numbers: dict[str, int] = {}  # entries are numbered per category, as in BFCL's files
    with _staged((out, answers)) as (q_temp, a_temp), q_temp.open("w", encoding="utf-8") as q, \
            a_temp.open("w", encoding="utf-8") as a:
        for _, trajectory in rows:
            read += 1
            if trajectory is None or not filters.keep(trajectory):
                continue
            pair = to_bfcl(trajectory, numbers.get(bfcl_category(trajectory), 0))
            if pair is not None:
                q.write(_line(pair[0]))
                a.write(_line(pair[1]))
                numbers[bfcl_category(trajectory)] = numbers.get(bfcl_category(trajectory), 0) + 1
                written += 1
    return filters.report(read, written, (out, answers))


def _parquet(rows: Iterator[Selected], out: Path, filters: _Filters) -> ExportReport:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("id", pa.string()), ("run_id", pa.string()), ("idx", pa.int64()), ("status", pa.string()),
                        ("classes", pa.list_(pa.string())), ("n_turns", pa.int64()), ("n_attempts", pa.int64()),
                        ("cost_usd", pa.float64()), ("seconds", pa.float64()), ("error", pa.string()),
                        ("created", pa.float64()), ("edited", pa.bool_()), ("review", pa.string()),
                        ("queries", pa.list_(pa.string())), ("bfcl_overlap", pa.float64()),
                        ("contaminated", pa.bool_()), ("near_duplicate", pa.bool_()), ("trajectory", pa.string())])
    read = 0
    batch: list[dict[str, Any]] = []
    with _staged((out,)) as (temp,), pq.ParquetWriter(str(temp), schema) as writer:
        for row, trajectory in rows:
            read += 1
            found, duplicate = filters.verdict(trajectory)
            data = to_dict(trajectory) if trajectory is not None else {}
            provenance = data.get("provenance", {})
            queries = [(t.get("hard_query") or {}).get("text", "") for t in data.get("turns", ())]
            if data:
                data = {**data, "provenance": sanitize_config(data.get("provenance", {}))}
            batch.append({"id": row.id, "run_id": row.run_id, "idx": row.idx, "status": row.status,
                          "classes": list(row.classes), "n_turns": row.n_turns, "n_attempts": row.n_attempts,
                          "cost_usd": row.cost_usd, "seconds": row.seconds,
                          "error": None if row.error is None else scrub(row.error),
                          "created": row.created, "edited": bool(provenance.get("edited")),
                          "review": (provenance.get("review") or {}).get("decision"), "queries": queries,
                          "bfcl_overlap": found.overlap if found else None,
                          "contaminated": found.flagged if found else None, "near_duplicate": duplicate,
                          "trajectory": scrub(json.dumps(data, ensure_ascii=False)) if data else None})
            if len(batch) >= _PARQUET_BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema))
                batch = []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema))
    return filters.report(read, read, (out,))


def export_run(store: Store, run_id: str, fmt: str, out: str | Path, *, status: str | None = "accepted",
               guard: bool = True, dedup: bool = True, cot: str = "inline", review: str = "not-rejected",
               original: bool = False, only: frozenset[str] | None = None) -> ExportReport:
    """Write run ``run_id``'s samples (``status`` only; ``None`` for all) to ``out`` in format ``fmt``.

    Each sample is written as it now stands: a round's latest reviewer revision replaces its attempt, and the record's
    provenance says ``edited`` with the revision ids (``original`` writes the generated text instead). ``review``
    (see :data:`REVIEW_MODES`) says how reviewers' decisions select samples.

    Chat formats and BFCL keep the accepted rounds of each sample and skip samples with none, samples the
    contamination ``guard`` flags and near-duplicates of an earlier sample (``dedup``). Parquet writes every
    selected sample as a flat row with its trajectory as JSON and the two filters' verdicts as columns. ``cot``
    says how chat formats carry each step's reasoning: ``inline``, ``field`` (``reasoning_content``) or ``none``.
    ``only``, when given, keeps just the samples of those ids (e.g. the ones a model fails often enough).
    """
    if fmt not in FORMATS:
        raise ConfigError(f"export format {fmt!r} is unknown; choose one of {', '.join(FORMATS)}")
    if cot not in COT_MODES:
        raise ConfigError(f"cot mode {cot!r} is unknown; choose one of {', '.join(COT_MODES)}")
    if review not in REVIEW_MODES:
        raise ConfigError(f"review mode {review!r} is unknown; choose one of {', '.join(REVIEW_MODES)}")
    if status not in (None, "accepted", "rejected", "failed"):
        raise ConfigError(f"export status {status!r} is unknown; choose accepted, rejected, failed or all")
    out = Path(out)
    _check_targets(store, (out, answers_path(out)) if fmt == "bfcl" else (out,))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder of {out}: {exc}") from None
    rows = _rows(store, run_id, status, review, original, only)
    filters = _Filters(guard, dedup)
    try:
        if fmt == "bfcl":
            return _bfcl(rows, out, filters)
        if fmt == "parquet":
            return _parquet(rows, out, filters)
        return _jsonl(rows, fmt, out, filters, cot)
    except OSError as exc:
        raise StoreError(f"cannot write the export {out}: {exc}; nothing was written there") from None
