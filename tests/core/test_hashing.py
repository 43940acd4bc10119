"""core.hashing: the file digest the ingest log and the model registry record."""

import hashlib

from core import registry
from core.hashing import file_sha256


def test_file_sha256_matches_hashlib_over_blocks(tmp_path):
    data = bytes(range(256)) * 9000  # spans several 1 MB blocks' worth of calls
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert registry.file_sha256 is file_sha256  # one function, re-exported where models are saved
