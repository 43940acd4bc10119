"""Files that readers in other processes or threads only ever see whole (standard library only).

Written aside under a hidden name (``.NAME.<pid>.<thread>.part``, which the worker's inbox and
every listing skip), then renamed over ``path``: a rename within one folder is atomic, so a
reader finds the old file, the new one, or none, never a half-written one.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator


def part_path(path: Path) -> Path:
    """The hidden name ``path`` is written under before it is renamed into place (one per process and thread)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")


@contextmanager
def written_whole(path: str | Path) -> Iterator[BinaryIO]:
    """A binary handle whose bytes appear under ``path`` only once the block has written them all."""
    path = Path(path)
    part = part_path(path)
    with open(part, "wb") as fh:
        yield fh
    os.replace(part, path)


def write_whole(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` so that no reader finds it half-written."""
    with written_whole(path) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)
