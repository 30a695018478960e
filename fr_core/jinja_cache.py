"""Jinja templates compiled once per machine: Jinja's own bytecode cache, kept in the graph cache folder
(:func:`fr_core.graph.cache.cache_dir`) under a sha256 of each entry, so a damaged file is a miss.

Jinja checks each entry against its template's source and its own version; the graph page's template inlines
vis-network (~0.5 MB), which Jinja otherwise lexes in every new process (~0.1 s).
"""

from __future__ import annotations

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
        from fr_core.graph.cache import read_checked

        payload = read_checked(self._path(bucket), _MAGIC)
        if payload is not None:
            bucket.bytecode_from_string(payload)  # Jinja resets the bucket when source or version differ

    def dump_bytecode(self, bucket: Bucket) -> None:
        from fr_core.graph.cache import write_checked

        write_checked(self._path(bucket), _MAGIC, bucket.bytecode_to_string())
