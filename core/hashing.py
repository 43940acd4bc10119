"""File digests, standard library only: the ingest path hashes every file it loads and must
not pay for the numerical stack at start-up (``python -m core ingest`` imports only what it needs).
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MB blocks (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
