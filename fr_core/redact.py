"""What every string passes through before the store, a log line or an export: API keys in use replaced by
``[redacted]``, and lone surrogates (text that cannot be encoded) replaced by U+FFFD."""

from __future__ import annotations

import os
import re
import threading

__all__ = ["REDACTED", "register_secret", "scrub"]

REDACTED = "[redacted]"
# Shorter values are not keys (tests use "test"), and scrubbing them would mangle ordinary text.
_MIN_SECRET = 8
_KEY_VAR = re.compile(r"(API_KEY|_TOKEN|_SECRET)$")
_SURROGATE = re.compile("[\ud800-\udfff]")

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Scrub ``value`` from everything written from now on (a key just read from the environment)."""
    if value and len(value.strip()) >= _MIN_SECRET:
        with _lock:
            _secrets.add(value.strip())


def _environment_keys() -> None:
    # Keys set in the environment count as in use even before a client reads them: a tool or an echoing
    # server may hand them back in any string.
    for name, value in os.environ.items():
        if _KEY_VAR.search(name.upper()):
            register_secret(value)


def scrub(text: str) -> str:
    """``text`` with every registered key replaced and every lone surrogate made U+FFFD.

    >>> register_secret("sk-example-0123456789")
    >>> scrub("Bearer sk-example-0123456789 \\ud800!")
    'Bearer [redacted] \\ufffd!'
    """
    if not text.isascii() and _SURROGATE.search(text):
        # A valid pair split in two code points becomes its character; only lone halves are replaced.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    with _lock:
        secrets = tuple(_secrets)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


_environment_keys()
