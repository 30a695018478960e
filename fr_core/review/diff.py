"""Diffs a person reads: a state diff as rows (path, before, after) and a word diff of two texts."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

__all__ = ["state_diff", "word_diff", "word_diff_html"]


def _show(value: Any) -> str:
    return "(absent)" if value is _ABSENT else json.dumps(value, ensure_ascii=False, default=str)


_ABSENT = object()


def state_diff(before: Any, after: Any, limit: int = 200) -> list[dict[str, str]]:
    """Every leaf where two states differ, as ``{"path", "before", "after"}`` rows (values as JSON, "(absent)" for a
    missing key), at most ``limit`` rows.

    >>> state_diff({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3, "d": 4}})
    [{'path': 'a.c', 'before': '2', 'after': '3'}, {'path': 'a.d', 'before': '(absent)', 'after': '4'}]
    """
    rows: list[dict[str, str]] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if len(rows) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(a) + [k for k in b if k not in a]:
                walk(a.get(key, _ABSENT), b.get(key, _ABSENT), f"{path}.{key}" if path else str(key))
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]")
        elif a != b:
            rows.append({"path": path or "(root)", "before": _show(a), "after": _show(b)})

    walk(before, after, "")
    return rows


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """The two texts as a sequence of ``(op, text)`` pieces, ``op`` one of ``=``, ``-`` (only before), ``+`` (only
    after), compared word by word (spaces kept).

    >>> word_diff("cd(folder='docs')", "cd(folder='doc')")
    [('=', "cd(folder='"), ('-', 'docs'), ('+', 'doc'), ('=', "')")]
    """
    a, b = _words(before), _words(after)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("=", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("-", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("+", "".join(b[j1:j2])))
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"\w+|\s+|[^\w\s]", text)


def word_diff_html(before: str, after: str) -> str:
    """:func:`word_diff` as HTML: removed words in ``<del>``, added ones in ``<ins>``, everything escaped."""
    import html

    tags = {"=": "{}", "-": "<del>{}</del>", "+": "<ins>{}</ins>"}
    body = "".join(tags[op].format(html.escape(text)) for op, text in word_diff(before, after))
    return f'<pre class="fr-diff" style="white-space: pre-wrap">{body}</pre>'
