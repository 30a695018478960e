"""Human revisions of a turn (CoT and calls) with provenance, appended to a JSONL file when no store is used."""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fr_core.errors import StoreError

__all__ = ["Revision", "edits_path", "save_revision", "load_revisions"]

_ROOT = Path(__file__).resolve().parents[1]


def edits_path() -> Path:
    """``FR_EDITS_FILE`` if set, else ``runs/edits.jsonl`` under the project."""
    return Path(os.environ.get("FR_EDITS_FILE", _ROOT / "runs" / "edits.jsonl"))


@dataclass(frozen=True)
class Revision:
    """One saved edit: which sample/turn, who, when, the content before and after, and the verdict after it."""

    sample_id: str
    round: int  # 1-based, as people count rounds
    before: dict[str, Any]
    after: dict[str, Any]
    verdict: dict[str, Any] = field(default_factory=dict)
    who: str = ""
    when: str = ""
    note: str = ""
    decision: str = ""  # "", "accept" or "reject"


def save_revision(revision: Revision, path: str | Path | None = None) -> Revision:
    """Append ``revision`` (filling ``who`` and ``when`` if empty) as one JSON line; returns what was written."""
    who = revision.who or getpass.getuser()
    when = revision.when or datetime.now(timezone.utc).isoformat(timespec="seconds")
    saved = Revision(**{**asdict(revision), "who": who, "when": when})
    file = Path(path) if path is not None else edits_path()
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with file.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(saved), ensure_ascii=False, default=str) + "\n")
    except OSError as exc:
        raise StoreError(f"could not append the revision to {file}: {exc}; check the folder is writable "
                         "or set FR_EDITS_FILE") from None
    return saved


def load_revisions(path: str | Path | None = None, sample_id: str | None = None) -> list[Revision]:
    """Every revision in the file (oldest first), optionally of one sample; a missing file means none."""
    file = Path(path) if path is not None else edits_path()
    if not file.exists():
        return []
    out = []
    for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rev = Revision(**json.loads(line))
        except (json.JSONDecodeError, TypeError) as exc:
            raise StoreError(f"{file}:{n}: not a revision record ({exc}); fix or remove that line") from None
        if sample_id is None or rev.sample_id == sample_id:
            out.append(rev)
    return out
