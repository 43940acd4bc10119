"""The monitor as a service: ``python -m core watch`` and its demo feeder ``replay``.

Where things are: ``inbox`` ready files and where they go · ``ledger`` what was checked
and told (a warehouse state table, one transaction per check) · ``mail`` alert emails ·
``share`` heartbeat, snapshots and the app's side of one shared workspace · ``service``
the :class:`Worker` loop · ``replay`` one file per day into an inbox · ``actions`` the
proposed action of an alert · ``cli`` the two commands.
"""

from core.worker.cli import run_replay, run_watch
from core.worker.service import WatchConfig, Worker, message_text
from core.worker.share import app_workspace, open_for_app, watching_note

__all__ = ["WatchConfig", "Worker", "app_workspace", "message_text", "open_for_app", "run_replay", "run_watch",
           "watching_note"]
