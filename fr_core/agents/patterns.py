"""The offline reasoner's phrasing patterns, compiled once per machine instead of once per process.

Each phrasebook phrasing becomes a regular expression of a few hundred characters, and Python's ``re`` spends about
a millisecond compiling one (its parser and compiler are Python code): a warm ``fr generate`` of 30 samples compiled
~450 of them, a third of its time. :func:`compile_pattern` makes the very pattern ``re.compile`` makes (the same
parser and code generator, the same ``_sre`` object), and keeps the generated code in the graph cache folder
(:func:`fr_core.graph.cache.cache_dir`), so the next process builds the pattern straight from that code.

The file holds only our own patterns' code, under a sha256 of its content and a name that carries the Python
version and the regex engine's magic number; a file that is damaged, from another engine, or unreadable is a miss,
and whatever the engine's internals refuse falls back to ``re.compile``. New patterns are written back when the
process exits (merged with what other processes wrote meanwhile).
"""

from __future__ import annotations

import atexit
import hashlib
import marshal
import re
import sys
import threading
import zlib
from array import array
from pathlib import Path
from typing import Any

__all__ = ["compile_pattern", "patterns_file", "save_patterns"]

_MAGIC = b"fr-patterns 2\n"  # 2: each pattern's code compressed on its own, unpacked when used
_MAX_ENTRIES = 5_000  # past this, a save keeps only what this process used (phrasebooks changed many times)

try:  # the engine's internals, as re._compiler.compile uses them; without them, plain re.compile
    import _sre
    from re import _compiler, _parser  # type: ignore[attr-defined]

    _ENGINE: str | None = f"{sys.version} sre {_sre.MAGIC} code {_sre.CODESIZE} max {sys.maxsize}"
    if array("I").itemsize != _sre.CODESIZE or not hasattr(_compiler, "_code") or not hasattr(_parser, "parse"):
        _ENGINE = None
except ImportError:  # pragma: no cover - CPython always has them
    _ENGINE = None

_lock = threading.Lock()
_known: dict[tuple[str, int], tuple[Any, ...]] | None = None  # read from the file on first use
_file: Path | None = None  # that file: new patterns go back to it, wherever the cache folder points later
_used: set[tuple[str, int]] = set()
_new = False


def patterns_file() -> Path | None:
    """Where compiled patterns are kept for this Python (``None``: not kept)."""
    if _ENGINE is None:
        return None
    from fr_core.graph.cache import cache_dir

    return cache_dir() / f"patterns-{hashlib.sha256(_ENGINE.encode()).hexdigest()[:16]}.bin"


def _read(path: Path | None) -> dict[tuple[str, int], tuple[Any, ...]]:
    """The stored entries, or ``{}`` when the file is missing, cut short or damaged (a miss, never a crash)."""
    from fr_core.graph.cache import read_checked

    payload = None if path is None else read_checked(path, _MAGIC)
    if payload is None:
        return {}
    try:
        data = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def _build(source: str, flags: int, entry: tuple[Any, ...]) -> re.Pattern[str]:
    final_flags, code, groups, groupindex, indexgroup = entry
    return _sre.compile(source, final_flags, array("I", zlib.decompress(code)).tolist(), groups, groupindex,
                        indexgroup)


def _generate(source: str, flags: int) -> tuple[Any, ...]:
    """What ``re._compiler.compile`` hands ``_sre.compile`` for ``source``, as plain values."""
    p = _parser.parse(source, flags)
    code = _compiler._code(p, flags)
    groupindex = dict(p.state.groupdict)
    indexgroup: list[str | None] = [None] * p.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    return (int(flags | p.state.flags), zlib.compress(array("I", code).tobytes(), 1), p.state.groups - 1, groupindex,
            tuple(indexgroup))


def compile_pattern(source: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(source, flags)``, built from code kept on disk when an earlier process compiled it."""
    global _known, _file, _new
    if _ENGINE is None:
        return re.compile(source, flags)
    key = (source, int(flags))
    with _lock:
        if _known is None:
            _file = patterns_file()
            _known = _read(_file)
        entry = _known.get(key)
    if entry is not None:
        try:
            pattern = _build(source, key[1], entry)
            with _lock:
                _used.add(key)
            return pattern
        except (RuntimeError, TypeError, ValueError, OverflowError, zlib.error):  # refused or damaged: compile afresh
            pass
    try:
        entry = _generate(source, key[1])
        pattern = _build(source, key[1], entry)
    except (RuntimeError, TypeError, ValueError, OverflowError, AttributeError):
        return re.compile(source, flags)
    with _lock:
        if not _new:
            atexit.register(save_patterns)
        _known[key], _new = entry, True
        _used.add(key)
    return pattern


def save_patterns() -> None:
    """Write the patterns compiled in this process to the file (merged with what is there); a file that cannot be
    written is skipped."""
    global _new
    path = _file
    with _lock:
        if not _new or path is None or _known is None:
            return
        mine = {k: _known[k] for k in _used if k in _known}
        _new = False
    merged = {**_read(path), **mine}
    if len(merged) > _MAX_ENTRIES:
        merged = mine
    from fr_core.graph.cache import write_checked

    write_checked(path, _MAGIC, marshal.dumps(merged))
