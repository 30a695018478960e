"""Jinja templates compiled once per machine: Jinja's own bytecode cache, kept in the graph cache folder
(:func:`fr_core.graph.cache.cache_dir`) under a sha256 of each entry, so a damaged file is a miss.

Jinja checks each entry against its template's source and its own version; the graph page's template inlines
vis-network (~0.5 MB), which Jinja otherwise lexes in every new process (~0.1 s).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

__all__ = ["TemplateCache"]

_MAGIC = b"fr-jinja 1\n"


class TemplateCache(BytecodeCache):
    """Compiled templates in ``<cache folder>/templates`` (the folder is looked up when a template is loaded)."""

    def _path(self, bucket: Bucket) -> Path:
        from fr_core.graph.cache import cache_dir

        return cache_dir() / "templates" / f"{bucket.key}.bin"

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            blob = self._path(bucket).read_bytes()
        except OSError:
            return
        head, _, payload = blob.partition(b"\n\n")
        if head == _MAGIC + hashlib.sha256(payload).hexdigest().encode():
            bucket.bytecode_from_string(payload)  # Jinja resets the bucket when source or version differ

    def dump_bytecode(self, bucket: Bucket) -> None:
        path, tmp = self._path(bucket), None
        payload = bucket.bytecode_to_string()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".bin")
            with os.fdopen(fd, "wb") as out:
                out.write(_MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n\n" + payload)
            os.replace(tmp, path)
        except OSError:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
