"""The words of a failed call, and their gist: the first phrase that says what went wrong, the call's own values
masked, so one obstacle seen with different files or doors is one error."""

from __future__ import annotations

import re
from typing import Any

from fr_core.types import CallResult

__all__ = ["error_gist", "error_text", "gist", "names_own_argument"]


def error_text(result: CallResult) -> str:
    """The words of a failure: the error, or the ``error`` a refusal carries as data (``[{"error": ...}]``)."""
    if result.error is not None:
        return result.error
    value = result.value
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and isinstance(item.get("error"), str):
            return item["error"]
    if isinstance(value, dict) and (refused := [k for k, x in value.items() if x is False]):
        return f"{', '.join(refused)} is false"
    return result.to_text()


_PREFIXES = re.compile(r"^(?:\s*[^\s:]+:\s+)+")  # 'cat: report.txt: ' names the tool and the file
_PHRASE_END = re.compile(r"[.:](?:\s|$)")


def names_own_argument(error: str, args: dict[str, Any]) -> bool:
    """The error names one of the call's own string arguments ("alice has no note 'n9'")."""
    return any(isinstance(x, str) and len(x) > 1 and x in error for x in args.values())


def gist(error: str | None, args: dict[str, Any] | None = None) -> str:
    """The first phrase of an error, after leading ``tool:``/``file:`` prefixes: 'doors must be locked. Unlocked:
    driver' and '...: rear' are one error; 'cat: No such file' is 'No such file'.

    >>> gist("cat: report.txt: No such file or directory")
    'No such file or directory'
    >>> gist("All doors must be locked. Unlocked doors: driver")
    'All doors must be locked'

    The call's own string arguments are masked, so the gist names the error, not the file it was about:

    >>> gist("rmdir: cannot remove 'old': Directory not empty", {"dir_name": "old"})
    "cannot remove '…'"
    >>> gist("diff: a.txt or b.txt: No such file or directory", {"file_name1": "a.txt", "file_name2": "b.txt"})
    'No such file or directory'
    """
    text = error or ""
    for value in (args or {}).values():
        for x in value if isinstance(value, list) else [value]:
            if isinstance(x, str) and len(x) > 1:
                text = text.replace(x, "…")
    phrases = [p.strip() for p in _PHRASE_END.split(_PREFIXES.sub("", text, count=1))]
    # A phrase of masked values ('… or …: No such file') names nothing: the next one says what went wrong.
    return next((p for p in phrases if len(re.findall(r"[A-Za-z]{2,}", p)) >= 2), phrases[0])


def error_gist(result: CallResult) -> str:
    """The first phrase of a failed call's error: what ``clears`` and ``blocked_when`` name ('Market is closed')."""
    return gist(error_text(result), result.call.arguments)
