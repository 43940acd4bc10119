"""The worker's tasks as a Prefect flow, for teams that run Prefect (optional).

The same steps as :class:`core.worker.service.Worker`, each a Prefect task: ingest the
inbox's ready files, check the days not checked before (alerts queued with the watermark
in one transaction), notify (webhook and email, the queue kept while a channel is down),
and retrain the response curves behind the proposed actions on schedule. The built-in
``python -m core watch`` stays the default and needs no server; this flow is for a
Prefect deployment (``watch_flow.serve(cron="*/5 * * * *")`` or a work pool).

Prefect is not a dependency of the workbench: ``pip install -r requirements-prefect.txt``
(``prefect==3.8.8``, the release that resolves beside our pins: 3.9 wants an older FastAPI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.worker import inbox as inbox_
from core.worker.service import Advisor, WatchConfig, Worker


def _worker(cfg: WatchConfig) -> Worker:
    return Worker(cfg, advisor=Advisor(country=cfg.country), log=lambda m: None)


def build_flow():
    """The Prefect flow ``watch-inbox`` (built on call, so importing this module needs no Prefect)."""
    from prefect import flow, task

    @task(name="ingest-inbox")
    def ingest_inbox(w: Worker) -> list[str]:
        ready = [p for p in inbox_.candidates(w.cfg.inbox)]
        w.process(ready) if ready else None
        return [p.name for p in ready]

    @task(name="notify")
    def notify(w: Worker) -> dict[str, int]:
        w.deliver()
        from core.worker import ledger

        return ledger.summary(w._wh)

    @task(name="retrain-curves")
    def retrain(w: Worker) -> bool:
        if w._frame is None:
            return False
        w.advisor.after_check(w._frame, w.advisor.every)  # a scheduled run always refits
        return w.advisor.model is not None

    @flow(name="watch-inbox")
    def watch_flow(inbox: str, db: str, webhook: str | None = None, retrain_curves: bool = False) -> dict[str, Any]:
        """One pass: ingest what is in ``inbox`` (each file once), check, notify, optionally retrain."""
        cfg = WatchConfig(inbox=Path(inbox), db=Path(db), webhook=webhook, once=True, settle_s=0.0)
        w = _worker(cfg)
        w._wh = w._open()
        try:
            w._start()
            files = ingest_inbox(w)  # the check runs inside, in the same transaction as its alerts
            counts = notify(w)
            retrained = retrain(w) if retrain_curves else False
        finally:
            w._beat(state="stopped")
            w._wh.close()
        return {"files": files, **w.stats, **counts, "retrained": retrained}

    return watch_flow
