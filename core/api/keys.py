"""API keys: who may call the API, and which clients (accounts) each key may see.

Keys come from ``WORKBENCH_API_KEYS`` (comma-separated ``KEY`` or ``KEY=acct1|acct2``)
or from a keys file (``WORKBENCH_API_KEYS_FILE``) holding one *hashed* key per line,
so that the file can be read by people who must not learn the keys:

    # key id   hash                                   accounts (optional, * = all)
    ci-bot     sha256:9f86d081884c7d659a2feaa0c55ad015...  acme,globex

A key is only ever kept as its SHA-256; logs and errors carry the key id.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from core.errors import ConfigError

ALL = "*"


def hash_key(key: str) -> str:
    """The stored form of a key: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_line(key: str, key_id: str, accounts: Iterable[str] = (ALL,)) -> str:
    """One line of a keys file for ``key`` (what an admin appends to the file)."""
    return f"{key_id} {hash_key(key)} {','.join(accounts) or ALL}"


@dataclass(frozen=True)
class ApiKey:
    """One caller: its id (safe to log), the key's hash and the accounts it may see."""

    key_id: str
    digest: str
    accounts: frozenset[str]

    def may_see(self, account: str) -> bool:
        return ALL in self.accounts or account in self.accounts

    @property
    def only_account(self) -> str | None:
        """The one account a key is limited to, used when a request names none."""
        if ALL in self.accounts or len(self.accounts) != 1:
            return None
        return next(iter(self.accounts))


def _accounts(text: str) -> frozenset[str]:
    names = [a.strip() for a in text.replace("|", ",").split(",") if a.strip()]
    return frozenset(names or [ALL])


class KeyRing:
    """The configured keys; :meth:`find` checks a presented key in constant time."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self._keys = list(keys)

    def __len__(self) -> int:
        return len(self._keys)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> "KeyRing":
        keys = list(_env_keys(env.get("WORKBENCH_API_KEYS") or ""))
        path = (env.get("WORKBENCH_API_KEYS_FILE") or "").strip()
        if path:
            keys.extend(read_keys_file(Path(path)))
        return cls(keys)

    def find(self, presented: str | None) -> ApiKey | None:
        if not presented:
            return None
        digest = hash_key(presented.strip())
        found = None
        for key in self._keys:  # compare every key so the time does not tell which one matched
            if hmac.compare_digest(key.digest, digest):
                found = key
        return found


def _env_keys(text: str) -> Iterable[ApiKey]:
    for n, entry in enumerate(e.strip() for e in text.split(",")):
        if not entry:
            continue
        key, _, accounts = entry.partition("=")
        yield ApiKey(f"env-{n + 1}", hash_key(key.strip()), _accounts(accounts))


def read_keys_file(path: Path) -> list[ApiKey]:
    """Parse a keys file; a malformed line is a :class:`ConfigError` naming its number, never its text."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"Cannot read the API keys file {path} (WORKBENCH_API_KEYS_FILE): {exc.strerror}.",
                          "API keys file") from exc
    keys = []
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) not in (2, 3) or not parts[1].startswith("sha256:") or len(parts[1]) != 71:
            raise ConfigError(f"Line {number} of the API keys file {path} is not 'KEY_ID sha256:HEX [accounts]'.",
                              "API keys file")
        keys.append(ApiKey(parts[0], parts[1].lower(), _accounts(parts[2] if len(parts) == 3 else ALL)))
    return keys
