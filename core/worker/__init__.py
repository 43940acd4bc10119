"""The monitor as a service: ``python -m core watch`` and its demo feeder ``replay``.

Where things are: ``inbox`` ready files and where they go · ``ledger`` what was checked
and told (a warehouse state table, one transaction per check) · ``mail`` alert emails ·
``share`` heartbeat, snapshots and the app's side of one shared workspace · ``service``
the :class:`Worker` loop · ``replay`` one file per day into an inbox · ``actions`` the
proposed action of an alert · ``cli`` the two commands.

The app imports only ``share`` (light); the rest loads on first use.
"""

from importlib import import_module
from typing import Any

from core.worker.share import app_target, app_workspace, open_for_app, watching_note

_LAZY = {"run_watch": "core.worker.cli", "run_replay": "core.worker.cli", "WatchConfig": "core.worker.service",
         "Worker": "core.worker.service", "message_text": "core.worker.service"}

__all__ = ["WatchConfig", "Worker", "app_target", "app_workspace", "message_text", "open_for_app", "run_replay",
           "run_watch", "watching_note"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'core.worker' has no attribute {name!r}")
