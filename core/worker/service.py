"""The watching worker: inbox -> ingest -> check -> tell, crash-safe, one file at a time.

Each turn: apply the app's queued state writes, take the inbox's ready files in name
order, and for each one ingest it (a file that cannot be loaded goes to ``rejected/``
with its reason), check the days not checked before, queue the new alerts and move the
watermark in one transaction (:mod:`core.worker.ledger`), move the file to
``processed/``, deliver what is queued, publish a snapshot and the heartbeat
(:mod:`core.worker.share`). A webhook or mail server that is down is retried with
backoff on later turns; the queue survives restarts.

Re-ingesting a file replaces rows by their keys, so a file whose ingest or check was cut
short by ``kill -9`` is simply taken again; the ledger then has nothing new to say.
"""

from __future__ import annotations

import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from core.connectors import ingest_paths
from core.errors import WorkbenchError, WorkspaceLockedError
from core.monitoring import ALERT_COLUMNS, KINDS, Monitor
from core.monitoring.notify import post_webhook
from core.warehouse import Warehouse
from core.worker import inbox as inbox_
from core.worker import ledger, share
from core.worker.mail import SmtpSettings, send_email

MAX_PER_MESSAGE = 50
ALERT_FIELDS = ALERT_COLUMNS + ["campaign_name", "platform", "action"]


@dataclass
class WatchConfig:
    inbox: Path
    db: Path
    webhook: str | None = None
    smtp: SmtpSettings | None = None
    interval_s: float = 1.0
    once: bool = False
    settle_s: float = 0.5
    sensitivity: str = "normal"
    country: str | None = "US"
    first_days: int = 7  # a first check of a workspace looks at its last week, like ``monitor``
    lookback_days: int = 3  # alerts a new day adds to the days just before it (a run that reached its limit)
    max_backoff_s: float = 60.0
    allow_private: bool = False  # a webhook name may resolve to a private address (WORKBENCH_ALLOW_PRIVATE_URLS)
    max_batch: int = 31  # files taken into one check when a queue built up
    account: str | None = None  # files go to this client; None: the default client, and every client is checked


def message_text(alerts: list[dict[str, Any]]) -> str:
    """One line a person can read: how many, and the first few in brief."""
    n = len(alerts)
    head = "; ".join(f"{KINDS.get(a['kind'], a['kind'])} on {a.get('campaign_name') or a['campaign_id']} "
                     f"({a['date']})" for a in alerts[:3])
    more = f" and {n - 3} more" if n > 3 else ""
    return f"Campaign monitor: {n} new alert{'s' if n != 1 else ''}: {head}{more}"


def alert_records(alerts: pd.DataFrame, actions: pd.Series | None = None) -> list[dict[str, Any]]:
    """Alerts as JSON-ready objects (the monitor's columns, name, platform and proposed action)."""
    if not len(alerts):
        return []
    a = alerts.copy()
    a["action"] = actions if actions is not None else ""
    for col in ALERT_FIELDS:
        if col not in a:
            a[col] = None
    return [{k: (None if pd.isna(v) else v) for k, v in rec.items()}
            for rec in a[ALERT_FIELDS].to_dict(orient="records")]


class Advisor:
    """Proposed actions for the worker's alerts, on response curves refitted on a schedule.

    The curves are fitted after the first check and again once ``every`` new files came
    in ("retrain on schedule"), and only while the inbox is empty, so a fit never delays
    an alert.
    """

    def __init__(self, *, every: int = 7, country: str | None = "US") -> None:
        self.every, self.country = every, country
        self.model = None
        self._since = None  # files since the last fit (None: never fitted)

    def text(self, alerts: pd.DataFrame, campaigns: pd.DataFrame) -> pd.Series:
        from core.monitoring.actions import action_text, situation

        return action_text(alerts, situation(campaigns, model=self.model))

    def after_check(self, campaigns: pd.DataFrame, new_files: int) -> None:
        self._since = (self._since or 0) + new_files if self._since is not None else None
        if self._since is None or self._since >= self.every:
            from core.monitoring.actions import fit_curves

            self.model = fit_curves(campaigns, country=self.country)
            self._since = 0


@dataclass
class _Backoff:
    failures: int = 0
    next_at: float = 0.0

    def failed(self, now: float, cap: float) -> None:
        self.failures += 1
        self.next_at = now + min(cap, 2.0 ** self.failures)

    def ok(self) -> None:
        self.failures, self.next_at = 0, 0.0


@dataclass
class Worker:
    """``python -m core watch``: see the module docstring. ``run()`` returns the exit status."""

    cfg: WatchConfig
    clock: Callable[[], float] = time.time
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True)
    advisor: Advisor | None = None
    stats: dict[str, int] = field(default_factory=lambda: {"processed": 0, "rejected": 0, "alerts": 0})
    _stop: bool = False
    _wh: Warehouse | None = None
    _frame: pd.DataFrame | None = None
    _since_fit: int = 0
    _hooks: dict[str, _Backoff] = field(default_factory=lambda: {"webhook": _Backoff(), "email": _Backoff()})

    # ---- lifecycle

    def stop(self, *_: Any) -> None:
        """Finish the current file, then exit (SIGTERM, SIGINT)."""
        self._stop = True

    def run(self) -> int:
        self.cfg.inbox.mkdir(parents=True, exist_ok=True)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.stop)
        self._wh = self._open()
        if self._wh is None:
            return 0
        try:
            self._start()
            settler = inbox_.Settler(settle_s=self.cfg.settle_s)
            while not self._stop:
                self._turn(settler)
                waiting = inbox_.candidates(self.cfg.inbox)
                if self.cfg.once and not waiting:
                    break
                self._sleep(self.cfg.interval_s if not waiting else min(self.cfg.interval_s, self.cfg.settle_s))
        finally:
            self._beat(state="stopped")
            self._wh.close()
        return 0

    def _open(self) -> Warehouse | None:
        """The workspace file; while another process (the app) holds it, wait and say so."""
        while not self._stop:
            try:
                return Warehouse.open(self.cfg.db)
            except WorkspaceLockedError:
                share.write_heartbeat(self.cfg.db, state="waiting", inbox=str(self.cfg.inbox))
                self._sleep(self.cfg.interval_s)
        return None

    def _start(self) -> None:
        share.apply_requests(self._wh, self.cfg.db)
        for wh in self._views():
            if ledger.checked_through(wh) is None and not wh.is_empty():
                # history that was there before the worker: someone loaded it and can check it; watch what comes
                last = wh.date_range()[1]
                if last is not None:
                    ledger.record_check(wh, [], pd.Timestamp(last), channels={})
        self._publish()
        self._beat(state="watching", started_at=share.utc_now())

    def _views(self) -> list[Warehouse]:
        """One view per client the worker checks: the one of ``--account``, else every client."""
        ids = [self.cfg.account] if self.cfg.account else (self._wh.accounts() or [None])
        return [self._wh.for_account(a) for a in ids]

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self._stop and time.monotonic() < end:
            time.sleep(min(0.1, max(0.0, end - time.monotonic())))

    # ---- one turn

    def _turn(self, settler: inbox_.Settler) -> None:
        if share.apply_requests(self._wh, self.cfg.db):
            self._publish()
        ready = settler.ready(inbox_.candidates(self.cfg.inbox))
        if ready:
            self.process(ready[:self.cfg.max_batch])
        self.deliver()
        self._beat()
        if self.advisor is not None and self._frame is not None and self._since_fit \
                and not inbox_.candidates(self.cfg.inbox):
            # the curves refit only while nothing waits, so a fit never delays an alert
            self.advisor.after_check(self._frame, self._since_fit)
            self._since_fit = 0

    def process(self, paths: list[Path] | Path) -> None:
        """Ingest the files in name order, check once, queue, move them away, deliver, publish.

        A queue that built up (files dropped faster than one check) is taken in one batch:
        one check covers every day the batch brought, so the last file's alerts are not
        held behind a check per file.
        """
        paths = [paths] if isinstance(paths, Path) else list(paths)
        t0 = time.perf_counter()
        loaded = []
        for path in paths:
            self.log(f"watch: ingesting {path.name}")
            # an upload queued by the app or the API names its client; a dropped file is the worker's own
            account = inbox_.account_of(path) or self.cfg.account
            try:
                ingest_paths(self._wh, [path], account_id=account)  # any format, platform exports too
            except WorkbenchError as exc:
                self._rejected(path, str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the watch
                self._rejected(path, f"{path.name}: could not be read ({type(exc).__name__}: {exc})")
                continue
            finally:
                inbox_.forget_account(path)
            loaded.append(path)
            if self._stop:  # SIGTERM: finish this file (check it too), leave the rest for the next start
                break
        if not loaded:
            return
        t1 = time.perf_counter()
        found = self.check()
        t2 = time.perf_counter()
        for path in loaded:
            inbox_.move(path, inbox_.PROCESSED)
        self.stats["processed"] += len(loaded)
        self.deliver()
        self._publish()
        t3 = time.perf_counter()
        self.log(f"watch: {len(loaded)} file(s) in {t3 - t0:.1f} s (ingest {t1 - t0:.1f}, check {t2 - t1:.1f}, "
                 f"deliver and publish {t3 - t2:.1f})")
        self._beat(last_file=loaded[-1].name, last_file_at=self.clock(), last_check_at=self.clock(),
                   last_found=found)
        self._since_fit += len(loaded)

    def _rejected(self, path: Path, reason: str) -> None:
        dest = inbox_.reject(path, reason)
        self.stats["rejected"] += 1
        self.log(f"watch: rejected {path.name}: {reason.splitlines()[0]}")
        self._beat(last_file=path.name, last_file_at=self.clock(), last_rejected=dest.name,
                   last_reason=reason.splitlines()[0])

    def check(self) -> int:
        """Check every client's days not checked before (see :meth:`check_account`)."""
        return sum(self.check_account(v) for v in self._views())

    def check_account(self, wh: Warehouse) -> int:
        """Check one client's new days; queue its new alerts and move its watermark together."""
        frame = wh.campaigns()
        self._frame = frame if len(frame) else None
        if not len(frame):
            return 0
        mon = Monitor(sensitivity=self.cfg.sensitivity, country=self.cfg.country).fit(frame, wh.shared_budgets())
        last = pd.Timestamp(mon.last_date_).normalize()
        through = ledger.checked_through(wh)
        if through is not None and last <= through:
            return 0  # nothing new (a correction of days already checked)
        if through is None:
            start = last - pd.Timedelta(days=self.cfg.first_days - 1)
        else:
            start = through + pd.Timedelta(days=1) - pd.Timedelta(days=self.cfg.lookback_days)
        alerts = mon.predict(since=start)
        known = ledger.known_keys(wh)
        if len(alerts):
            keys = alerts.apply(ledger.alert_key, axis=1)
            alerts = alerts[~keys.isin(known)]
        actions = None
        if self.advisor is not None and len(alerts):
            try:
                actions = self.advisor.text(alerts, frame)
            except Exception as exc:  # noqa: BLE001 - an alert goes out even when its proposal fails
                self.log(f"watch: no proposed action ({type(exc).__name__}: {exc})")
        records = [dict(r, account_id=wh.account) for r in alert_records(alerts, actions)]
        ledger.record_check(wh, records, last, channels={"webhook": bool(self.cfg.webhook),
                                                         "email": self.cfg.smtp is not None})
        self.stats["alerts"] += len(records)
        if records:
            self.log(f"watch: {len(records)} new alert(s) of {wh.account} through {last.date()}")
        return len(records)

    # ---- delivery

    def deliver(self) -> None:
        """Send what is queued on each channel; a channel that fails waits (backoff) and keeps its queue."""
        if self.cfg.webhook:
            self._deliver("webhook", lambda batch: post_webhook(
                self.cfg.webhook, {"text": message_text(batch), "alerts": batch}, timeout_s=5.0, retries=1,
                backoff_s=0.2, allow_private=self.cfg.allow_private))
        if self.cfg.smtp is not None:
            self._deliver("email", lambda batch: send_email(
                self.cfg.smtp, message_text(batch)[:150], _email_body(batch)))

    def _deliver(self, channel: str, send: Callable[[list[dict[str, Any]]], Any]) -> None:
        back = self._hooks[channel]
        now = self.clock()
        if now < back.next_at:
            return
        for wh in self._views():
            queue = ledger.pending(wh, channel)
            while queue:
                batch, queue = queue[:MAX_PER_MESSAGE], queue[MAX_PER_MESSAGE:]
                try:
                    send(batch)
                except (WorkbenchError, OSError) as exc:
                    back.failed(now, self.cfg.max_backoff_s)
                    self.log(f"watch: {channel} failed ({str(exc).splitlines()[0]}); "
                             f"{len(batch) + len(queue)} alert(s) kept, next try in {back.next_at - now:.0f} s")
                    return
                ledger.mark_sent(wh, channel, batch)
                back.ok()

    # ---- telling the app

    def _publish(self) -> None:
        snap = share.publish_snapshot(self._wh, self.cfg.db)
        marks = [t for t in (ledger.checked_through(v) for v in self._views()) if t is not None]
        through = max(marks) if marks else None
        self._beat(snapshot=str(snap), data_version=self._wh.data_version,
                   checked_through=through.date().isoformat() if through is not None else None)

    def _beat(self, **fields: Any) -> None:
        counts: dict[str, int] = {}
        try:
            for v in self._views() if self._wh is not None else []:
                for k, n in ledger.summary(v).items():
                    counts[k] = counts.get(k, 0) + n
        except WorkbenchError:
            counts = {}
        share.write_heartbeat(self.cfg.db, state=fields.pop("state", "watching"), inbox=str(self.cfg.inbox),
                              queue=len(inbox_.candidates(self.cfg.inbox)), **counts, **self.stats, **fields)


def _email_body(alerts: list[dict[str, Any]]) -> str:
    lines = [message_text(alerts), ""]
    for a in alerts:
        lines.append(f"- {KINDS.get(a['kind'], a['kind'])} ({a['severity']}) on "
                     f"{a.get('campaign_name') or a['campaign_id']}, {a['date']}: {a['message']}")
        if a.get("action"):
            lines.append(f"  Proposed: {a['action']}")
    return "\n".join(lines) + "\n"
