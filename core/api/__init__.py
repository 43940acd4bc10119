"""The workbench's HTTP API (``python -m core serve-api``): the models as services.

- ``keys``: API keys (hashed), the accounts each may see.
- ``limits``: per-key rate limits.
- ``log``: JSON-lines request logs (never a key).
- ``service``: the models behind the routes, loaded once, shared by every request.
- ``app``: the FastAPI routes, authentication and error mapping.
- ``cli``: the ``serve-api`` command.
"""

from core.api.app import create_app
from core.api.cli import run_serve_api
from core.api.keys import ApiKey, KeyRing, hash_key, key_line
from core.api.service import Service

__all__ = ["ApiKey", "KeyRing", "Service", "create_app", "hash_key", "key_line", "run_serve_api"]
