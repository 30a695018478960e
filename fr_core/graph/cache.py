"""Probe results of each BFCL class kept on disk, addressed by everything they depend on, shared by every process.

The folder is ``$FR_GRAPH_CACHE``, else ``$XDG_CACHE_HOME/funreason-mt/graphs``, else ``~/.cache/funreason-mt/graphs``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from fr_core.errors import GraphError

__all__ = ["CACHE_ENV", "cache_dir", "cached", "entry_key", "is_cached", "read_checked", "write_checked"]

CACHE_ENV = "FR_GRAPH_CACHE"
_MAGIC = b"fr-graph-cache 2\n"  # 2: evidence records in their evidence_to_json form
# The code whose change can change a probe's result: the probes, the environments and their state generators.
_CODE = ("graph/build.py", "graph/evidence.py", "graph/flow.py", "graph/gist.py", "graph/obstacles.py",
         "graph/probe.py", "graph/probing.py", "types.py", "envs/base.py", "envs/knowledge.py", "envs/phrases.py",
         "envs/validate.py", "envs/bfcl/classes.py", "envs/bfcl/fresh.py", "envs/bfcl/knowledge.py",
         "envs/bfcl/values.py")
_STATES = "envs/bfcl/states.py"


def cache_dir() -> Path:
    """Where probe results are kept (the folder need not exist yet)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "funreason-mt" / "graphs"


def _digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()


@lru_cache(maxsize=1)
def _code_digests() -> tuple[str, str]:
    """(probing code, state generator): digests of their source files, read once per process."""
    root = Path(__file__).resolve().parents[1]  # the fr_core package
    return _digest(root / p for p in _CODE), _digest([root / _STATES])


@lru_cache(maxsize=64)
def _class_source(cls: str) -> str:
    from fr_core.envs.bfcl.classes import BFCL_CLASSES, _SRC

    spec = importlib.util.find_spec(f"{_SRC}.{BFCL_CLASSES[cls].module}")
    if spec is None or spec.origin is None:
        raise GraphError(f"the source of BFCL class {cls} cannot be found; reinstall bfcl-eval (make setup)")
    return _digest([Path(spec.origin)])


def entry_key(kind: str, cls: str, params: dict[str, Any]) -> str:
    """The name of one cache entry: a sha256 of the kind of result, the class's source, the state generator, the
    probe parameters, the probing code and the Python version (its marshal format)."""
    code, states = _code_digests()
    parts = [kind, cls, _class_source(cls), states, repr(sorted(params.items())), code,
             f"{sys.version_info[0]}.{sys.version_info[1]} marshal {marshal.version}"]
    return f"{cls}-{kind}-" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def read_checked(path: Path, magic: bytes) -> bytes | None:
    """The payload of a cache file written by :func:`write_checked` with ``magic``, or ``None`` when the file is
    missing, from another format, cut short or damaged (its sha256 does not match): a miss, never a crash."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    head, _, payload = blob.partition(b"\n\n")
    return payload if head == magic + hashlib.sha256(payload).hexdigest().encode() else None


def write_checked(path: Path, magic: bytes, payload: bytes) -> None:
    """Write ``payload`` under a header of ``magic`` and its sha256, atomically (a temporary file renamed into
    place); a cache that cannot be written is skipped."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        with os.fdopen(fd, "wb") as out:
            out.write(magic + hashlib.sha256(payload).hexdigest().encode() + b"\n\n" + payload)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _read(path: Path) -> Any:
    """The stored value, or ``None`` when the file is missing, cut short or damaged (a miss, never a crash)."""
    payload = read_checked(path, _MAGIC)
    try:
        return None if payload is None else marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None


def _write(path: Path, value: Any) -> None:
    write_checked(path, _MAGIC, marshal.dumps(value))


def _path(kind: str, cls: str, params: dict[str, Any]) -> Path:
    return cache_dir() / f"{entry_key(kind, cls, params)}.bin"


def is_cached(kind: str, cls: str, params: dict[str, Any]) -> bool:
    """Whether an entry is stored (it may still turn out damaged, which :func:`cached` treats as a miss)."""
    return _path(kind, cls, params).is_file()


def cached(kind: str, cls: str, params: dict[str, Any], compute: Callable[[], tuple]) -> tuple:
    """``compute()``'s result for this class and these parameters, from the cache folder when it is there."""
    path = _path(kind, cls, params)
    value = _read(path)
    if value is None:
        value = compute()
        _write(path, value)
    return value
