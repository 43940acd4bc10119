"""What a batch run does for one client: the single-account command's own handler, on that client's rows.

Each task names the lake tables (and date window) it reads, the result table it writes
and how one client's command payload becomes result rows. Running the command's own
handler (``run_monitor``, ``run_segment``, ``run_recommend``) on a warehouse holding
exactly the client's rows is what makes every engine give the single-account answer.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from core.config import Settings

# The monitor's baselines read the last 456 days (Monitor.history_days): older days stay in the lake.
MONITOR_WINDOW_DAYS = 456


@dataclass(frozen=True)
class Task:
    """One batch model: what it reads, what it writes, and its per-client step."""

    name: str
    result: str  # the lake table the results go to
    tables: tuple[str, ...]  # the lake tables a client's run reads
    columns: dict[str, str]  # result columns and their Spark SQL types, account_id first
    rows: Callable[[Any, Settings, dict[str, Any]], list[dict[str, Any]]]
    window_days: dict[str, int] = field(default_factory=dict)

    @property
    def spark_schema(self) -> str:
        return ", ".join(f"{c} {t}" for c, t in self.columns.items())


def _context(wh, settings: Settings, **args: Any):
    from core.cli import Context

    # A batch run never posts to a webhook: the nightly job decides who hears about what.
    quiet = dataclasses.replace(settings, webhook_url=None)
    ns = argparse.Namespace(data=None, db=None, account=wh.account, format="json", **args)
    return Context(quiet, ns, wh)


def _run(handler, wh, settings: Settings, **args: Any) -> dict[str, Any]:
    from core.cli import _clean

    ctx = _context(wh, settings, **args)
    return _clean(handler(ctx.args, ctx))


def monitor_rows(wh, settings: Settings, opts: dict[str, Any]) -> list[dict[str, Any]]:
    """``monitor`` on one client: its alerts, each with the client's id."""
    from core.monitoring import run_monitor

    payload = _run(run_monitor, wh, settings, command="monitor", since=opts.get("since"),
                   sensitivity=opts.get("sensitivity") or "normal", webhook=None)
    return [{"account_id": wh.account, **{k: a.get(k) for k in ALERT_FIELDS}} for a in payload["alerts"]]


def segment_rows(wh, settings: Settings, opts: dict[str, Any]) -> list[dict[str, Any]]:
    """``segment`` on one client: one row per segment (size, name, profile), with its quality."""
    from core.segments import run_segment

    payload = _run(run_segment, wh, settings, command="segment", k=opts.get("k") or "auto",
                   method=opts.get("method") or "kmeans")
    quality = (payload.get("quality") or {}).get("silhouette")
    return [{"account_id": wh.account, "segment": int(s["segment"]), "name": str(s["name"]), "size": int(s["size"]),
             "profile": json.dumps(s.get("profile") or {}, sort_keys=True), "k": int(payload["k"]),
             "method": str(payload["method"]), "silhouette": None if quality is None else float(quality)}
            for s in payload["segments"]]


def recommend_rows(wh, settings: Settings, opts: dict[str, Any]) -> list[dict[str, Any]]:
    """``recommend`` on one client: the plan's line items for the brief.

    Without a budget each client's plan spends what it spent a day over its last 30 days.
    """
    from core.recommendations import run_recommend

    budget, period = opts.get("budget"), opts.get("period")
    if budget is None:
        budget, period = recent_daily_spend(wh), "day"
    payload = _run(run_recommend, wh, settings, command="recommend", objective=opts.get("objective") or "more leads",
                   budget=budget, period=period or "month", platforms=opts.get("platforms"), goal=opts.get("goal"))
    goal = payload["objective"]["goal"]
    return [{"account_id": wh.account, "line": i, "platform": p["platform"], "ad_type": p["ad_type"],
             "bidding_strategy": p["bidding_strategy"], "audience": json.dumps(p["audience"], sort_keys=True),
             "daily_budget": float(p["daily_budget"]), "expected": json.dumps(p["expected"], sort_keys=True),
             "goal": str(goal), "why": str(p.get("why") or "")}
            for i, p in enumerate(payload["plan"])]


def recent_daily_spend(wh, days: int = 30) -> float:
    """A client's average daily spend over its last ``days`` days of data."""
    from datetime import timedelta

    from core.warehouse import Filters

    lo, hi = wh.date_range()
    if hi is None:
        return 0.0
    start = max(lo, hi - timedelta(days=days - 1))
    return round(wh.totals(Filters(start=start, end=hi))["spend"] / ((hi - start).days + 1), 2)


ALERT_FIELDS = ("campaign_id", "date", "metric", "kind", "severity", "observed", "expected", "message")

TASKS: dict[str, Task] = {
    "monitor": Task(
        "monitor", "alerts", ("campaigns",),
        {"account_id": "string", "campaign_id": "string", "date": "string", "metric": "string", "kind": "string",
         "severity": "string", "observed": "double", "expected": "double", "message": "string"},
        monitor_rows, {"campaigns": MONITOR_WINDOW_DAYS}),
    "segment": Task(
        "segment", "segments", ("customers",),
        {"account_id": "string", "segment": "long", "name": "string", "size": "long", "profile": "string",
         "k": "long", "method": "string", "silhouette": "double"},
        segment_rows),
    "recommend": Task(
        "recommend", "plans", ("campaigns",),
        {"account_id": "string", "line": "long", "platform": "string", "ad_type": "string",
         "bidding_strategy": "string", "audience": "string", "daily_budget": "double", "expected": "string",
         "goal": "string", "why": "string"},
        recommend_rows),
}
# The key each result table prints under (CLI.md: "alerts" | "plans" | "segments").
PAYLOAD_KEY = {"monitor": "alerts", "segment": "segments", "recommend": "plans"}
