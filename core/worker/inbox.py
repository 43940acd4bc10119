"""The inbox folder: which files are ready, and where they go after ingest.

A file is ready once it has kept the same size and modification time for one look
at least ``settle_s`` apart (an export still being written keeps growing); hidden
files and the usual partial-download names are never taken. Files go in name order.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from core.files import write_whole

PROCESSED, REJECTED = "processed", "rejected"
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", ".reason.txt")


def safe_name(filename: str) -> str:
    """An uploaded file's base name (its suffix tells gzip and NDJSON apart), never a path."""
    name = Path(filename or "upload.json").name.replace("\x00", "")
    keep = "".join(c if c.isalnum() or c in "._-" else "_" for c in name).lstrip(".")
    return keep or "upload.json"


def queue(inbox: Path, filename: str, data: bytes, *, account: str | None = None) -> Path:
    """Hand an upload to the worker: written beside, then renamed in, so it is never read half-written.

    The client it belongs to goes first, in a hidden note beside it (``.NAME.account``), so the
    worker never sees the file without knowing whose it is.
    """
    inbox.mkdir(parents=True, exist_ok=True)
    name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}-{safe_name(filename)}"
    if account:
        (inbox / f".{name}.account").write_text(account)
    return write_whole(inbox / name, data)


def account_of(path: Path) -> str | None:
    """The client a queued file was uploaded for (None: the worker's own)."""
    note = path.with_name(f".{path.name}.account")
    try:
        return note.read_text().strip() or None
    except FileNotFoundError:
        return None


def forget_account(path: Path) -> None:
    """Drop a taken file's client note (the file itself has moved on)."""
    path.with_name(f".{path.name}.account").unlink(missing_ok=True)


def candidates(inbox: Path) -> list[Path]:
    """Files waiting in ``inbox`` (not its sub-folders), in name order."""
    if not inbox.is_dir():
        return []
    return sorted((p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")
                   and not p.name.lower().endswith(PARTIAL_SUFFIXES)), key=lambda p: p.name)


@dataclass
class Settler:
    """Remembers each file's (size, mtime) between looks; a file is ready when they hold still."""

    settle_s: float = 0.5
    clock: Callable[[], float] = time.monotonic
    _seen: dict[str, tuple[int, int, float]] = field(default_factory=dict)

    def ready(self, files: list[Path]) -> list[Path]:
        """The longest name-ordered prefix of ``files`` that has held still (nothing jumps the queue)."""
        now = self.clock()
        seen: dict[str, tuple[int, int, float]] = {}
        still: list[tuple[Path, bool]] = []
        for p in files:
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            sig = (st.st_size, st.st_mtime_ns)
            prev = self._seen.get(p.name)
            same = prev is not None and prev[:2] == sig
            since = prev[2] if same else now
            seen[p.name] = (*sig, since)
            still.append((p, same and now - since >= self.settle_s and st.st_size > 0))
        self._seen = seen
        out = []
        for p, ok in still:
            if not ok:
                break
            out.append(p)
        return out


def move(path: Path, folder: str) -> Path:
    """Move ``path`` into ``inbox/folder`` (a name already there gets a numbered twin)."""
    dest_dir = path.parent / folder
    dest_dir.mkdir(exist_ok=True)
    dest = dest_dir / path.name
    n = 1
    while dest.exists():
        dest = dest_dir / f"{path.stem}.{n}{path.suffix}"
        n += 1
    os.replace(path, dest) if path.parent.stat().st_dev == dest_dir.stat().st_dev else shutil.move(path, dest)
    return dest


def reject(path: Path, reason: str) -> Path:
    """Set a file aside in ``rejected/`` with its reason beside it (``NAME.reason.txt``)."""
    dest = move(path, REJECTED)
    dest.with_name(dest.name + ".reason.txt").write_text(reason.strip() + "\n")
    return dest
