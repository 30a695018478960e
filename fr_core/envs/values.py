"""Where argument values come from in each BFCL class's state (files in the cwd, user ids, booking ids ...)."""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["CANDIDATE_FNS"]

CANDIDATE_FNS: dict[str, Callable[[object, str, str], list[Any]]] = {}
