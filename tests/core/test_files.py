"""core.files: files that other readers only ever see whole."""

import pytest

from core.files import part_path, write_whole, written_whole
from core.worker import inbox


def test_write_whole_replaces_the_file_and_leaves_nothing_beside_it(tmp_path):
    p = tmp_path / "a.json"
    p.write_text("old")
    assert write_whole(p, "new é") == p
    assert p.read_text(encoding="utf-8") == "new é"
    write_whole(p, b"\x00\x01")
    assert p.read_bytes() == b"\x00\x01" and [q.name for q in tmp_path.iterdir()] == ["a.json"]


def test_an_interrupted_write_leaves_the_old_file_in_place(tmp_path):
    p = tmp_path / "a.json"
    p.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with written_whole(p) as fh:
            fh.write(b"half")
            raise KeyboardInterrupt
    assert p.read_text() == "old"
    assert part_path(p).read_bytes() == b"half"


def test_the_part_file_is_hidden_from_the_worker_inbox(tmp_path):
    part = part_path(tmp_path / "upload.json")
    part.write_text("{}")
    assert part.name.startswith(".") and part.suffix == ".part"
    assert inbox.candidates(tmp_path) == []
