"""``export_run``: stream a stored run's samples into one file of a chosen format, a row at a time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fr_core.errors import ConfigError, StoreError
from fr_core.export.bfcl import to_bfcl
from fr_core.export.formats import to_funreason, to_hermes, to_openai, to_sharegpt
from fr_core.store import SampleRow, Store, sanitize_config

__all__ = ["FORMATS", "ExportReport", "export_run", "answers_path"]

_CHAT: dict[str, Callable[[Any], dict[str, Any] | None]] = {
    "openai": to_openai,
    "sharegpt": to_sharegpt,
    "hermes": to_hermes,
    "funreason": to_funreason,
}
#: Every format ``fr export --format`` writes.
FORMATS: tuple[str, ...] = (*_CHAT, "bfcl", "parquet")

_PARQUET_BATCH = 512


@dataclass(frozen=True)
class ExportReport:
    """How many samples were read and written, and which files were written."""

    read: int
    written: int
    skipped: int
    paths: tuple[Path, ...]


def answers_path(out: Path) -> Path:
    """Where the BFCL export writes its possible answers: ``NAME_possible_answer.jsonl`` beside ``NAME.jsonl``."""
    return out.with_name(f"{out.stem}_possible_answer{out.suffix or '.jsonl'}")


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, default=str) + "\n"


def _rows(store: Store, run_id: str, status: str | None) -> Iterator[SampleRow]:
    store.get_run(run_id)  # a clear error for an unknown run
    return store.iter_samples(run_id, status)


def _jsonl(rows: Iterator[SampleRow], fmt: str, out: Path) -> ExportReport:
    convert = _CHAT[fmt]
    read = written = 0
    with out.open("w", encoding="utf-8") as fh:
        for row in rows:
            read += 1
            trajectory = row.trajectory
            record = convert(trajectory) if trajectory is not None else None
            if record is not None:
                fh.write(_line(record))
                written += 1
    return ExportReport(read, written, read - written, (out,))


def _bfcl(rows: Iterator[SampleRow], out: Path) -> ExportReport:
    answers = answers_path(out)
    read = written = 0
    with out.open("w", encoding="utf-8") as q, answers.open("w", encoding="utf-8") as a:
        for row in rows:
            read += 1
            trajectory = row.trajectory
            pair = to_bfcl(trajectory, f"multi_turn_base_{written}") if trajectory is not None else None
            if pair is not None:
                q.write(_line(pair[0]))
                a.write(_line(pair[1]))
                written += 1
    return ExportReport(read, written, read - written, (out, answers))


def _parquet(rows: Iterator[SampleRow], out: Path) -> ExportReport:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("id", pa.string()), ("run_id", pa.string()), ("idx", pa.int64()), ("status", pa.string()),
                        ("classes", pa.list_(pa.string())), ("n_turns", pa.int64()), ("n_attempts", pa.int64()),
                        ("cost_usd", pa.float64()), ("seconds", pa.float64()), ("error", pa.string()),
                        ("created", pa.float64()), ("queries", pa.list_(pa.string())), ("trajectory", pa.string())])
    read = 0
    batch: list[dict[str, Any]] = []
    with pq.ParquetWriter(str(out), schema) as writer:
        for row in rows:
            read += 1
            data = row.data or {}
            queries = [(t.get("hard_query") or {}).get("text", "") for t in data.get("turns", ())]
            if data:
                data = {**data, "provenance": sanitize_config(data.get("provenance", {}))}
            batch.append({"id": row.id, "run_id": row.run_id, "idx": row.idx, "status": row.status,
                          "classes": list(row.classes), "n_turns": row.n_turns, "n_attempts": row.n_attempts,
                          "cost_usd": row.cost_usd, "seconds": row.seconds, "error": row.error,
                          "created": row.created, "queries": queries,
                          "trajectory": json.dumps(data, ensure_ascii=False) if data else None})
            if len(batch) >= _PARQUET_BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema))
                batch = []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema))
    return ExportReport(read, read, 0, (out,))


def export_run(store: Store, run_id: str, fmt: str, out: str | Path, *, status: str | None = "accepted") -> ExportReport:
    """Write run ``run_id``'s samples (``status`` only; ``None`` for all) to ``out`` in format ``fmt``.

    Chat formats and BFCL keep the accepted rounds of each sample and skip samples with none; Parquet writes
    every selected sample as a flat row with its trajectory as JSON.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"export format {fmt!r} is unknown; choose one of {', '.join(FORMATS)}")
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder of {out}: {exc}") from None
    rows = _rows(store, run_id, status)
    if fmt == "bfcl":
        return _bfcl(rows, out)
    if fmt == "parquet":
        return _parquet(rows, out)
    return _jsonl(rows, fmt, out)
