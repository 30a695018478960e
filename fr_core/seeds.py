"""One seed rule for every random choice: ``derive_seed(root, *labels)`` hashes its labels, so no two uses collide."""

from __future__ import annotations

import hashlib

__all__ = ["derive_seed"]


def derive_seed(root: int | str, *labels: int | str) -> int:
    """A 63-bit seed from a root seed and the labels of one use (``derive_seed(run_seed, "sample", 12, "query")``).

    >>> derive_seed(0, "sample", 1) == derive_seed(0, "sample", 1)
    True
    >>> derive_seed(0, "sample", 10_007) != derive_seed(1, "sample", 0)
    True
    """
    text = "\x1f".join(str(part) for part in (root, *labels))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1
