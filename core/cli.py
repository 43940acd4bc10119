"""``python -m core``: every model of the workbench, headless (shared/contract/CLI.md).

``main(argv) -> int`` takes its arguments explicitly so tests call it and read the
output. Exit status: 0 on success, 2 for bad arguments or bad input (one line on
stderr, no traceback), 1 for anything else.

Each command's work lives in its capability module as ``run_<command>(args, ctx)``
returning the JSON payload; this module only parses, opens the warehouse and prints.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
from dataclasses import dataclass
from typing import Any, Callable

from core import schema
from core.config import Settings
from core.errors import AccountError, BadInputError, WorkbenchError
from core.escape import json_text, terminal
from core.warehouse import Warehouse

# command -> (module, function). A module not written yet makes its command report so.
HANDLERS: dict[str, tuple[str, str]] = {
    "ingest": ("core.cli", "run_ingest"),
    "load-sample": ("core.sample_data", "run_load_sample"),
    "recommend": ("core.recommendations", "run_recommend"),
    "monitor": ("core.monitoring", "run_monitor"),
    "best-times": ("core.scheduling", "run_best_times"),
    "forecast": ("core.scheduling", "run_forecast"),
    "sentiment": ("core.sentiment", "run_sentiment"),
    "segment": ("core.segments", "run_segment"),
    "clv": ("core.clv", "run_clv"),
    "roi": ("core.roi", "run_roi"),
    "bandit": ("core.bandits", "run_bandit"),
    "generate": ("core.content_studio", "run_generate"),
    "seo": ("core.seo", "run_seo"),
    "train": ("core.cli", "run_train"),
    "retrain": ("core.lifecycle", "run_retrain"),
    "watch": ("core.worker", "run_watch"),
    "replay": ("core.worker", "run_replay"),
    "serve-api": ("core.api.cli", "run_serve_api"),
    "lake": ("core.lake", "run_lake"),
    "batch": ("core.batch", "run_batch"),
}


# Commands that may name a client the workspace does not hold yet (they create it).
_CREATES_CLIENT = {"ingest", "load-sample"}


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() owns the exit status."""

    def error(self, message: str):  # type: ignore[override]
        raise BadInputError(f"{self.prog}: {message}")


@dataclass
class Context:
    """What a command handler needs: settings and a way to get the warehouse.

    Both are the chosen client's (``--account``): the warehouse reads and writes only its
    rows and state, the settings keep its models in its own folder. Without ``--account``
    a workspace with one client works on that one, and a read on a workspace with several
    raises :class:`~core.errors.AccountError` naming them (exit 2).
    """

    base_settings: Settings
    args: argparse.Namespace
    _warehouse: Warehouse | None = None  # the whole workspace (a caller such as the API may pass its own)
    _view: Warehouse | None = None  # the chosen client's view of it

    @property
    def account(self) -> str | None:
        """The client named by ``--account`` (None: decided by the workspace)."""
        value = getattr(self.args, "account", None)
        return schema.check_account_id(value) if value is not None else None

    @property
    def settings(self) -> Settings:
        """Settings of the chosen client (of the workspace's only client once it is open)."""
        account = self.account
        if account is None and self._warehouse is not None:
            account = self._warehouse.account
        return self.base_settings.for_account(account or schema.DEFAULT_ACCOUNT)

    def warehouse(self) -> Warehouse:
        """The in-memory warehouse of ``--data`` files, or the persistent workspace, as the chosen client's."""
        if self._view is None:
            if self._warehouse is None:
                data = getattr(self.args, "data", None)
                if data:
                    self._warehouse = Warehouse.from_files(data, skip_bad=getattr(self.args, "skip_bad", False))
                else:
                    self._warehouse = Warehouse.open(getattr(self.args, "db", None) or self.base_settings.db_path)
            if self.account is not None and getattr(self.args, "command", None) not in _CREATES_CLIENT:
                self._check_known(self._warehouse)
            self._view = self._warehouse.for_account(self.account)
        return self._view

    def _check_known(self, root: Warehouse) -> None:
        known = root.accounts()
        if self.account not in known and known:
            raise AccountError(f"No client {self.account!r} in this workspace; its clients are: {', '.join(known)}.",
                               "Unknown client")

    def close(self) -> None:
        if self._warehouse is not None:
            self._warehouse.close()


def _account(p: argparse.ArgumentParser) -> None:
    p.add_argument("--account", metavar="ID", help="the client to work on (needed when the workspace holds several)")


def _common(p: argparse.ArgumentParser, *, data: bool = True) -> None:
    p.add_argument("--format", choices=("table", "json"), default="table")
    _account(p)
    if data:
        p.add_argument("--data", action="append", metavar="PATH",
                       help="a workspace file (repeatable); works in memory on exactly these files")
        p.add_argument("--db", metavar="PATH", help="the workspace database (default data/workspace.duckdb)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core", description="Marketing analyst workbench, headless.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("ingest", help="load contract files into the workspace")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--table", choices=("campaigns", "posts", "comments", "customers"))
    p.add_argument("--skip-bad", action="store_true", help="load the good records, report the bad")
    p.add_argument("--db", metavar="PATH")
    p.add_argument("--format", choices=("table", "json"), default="table")
    _account(p)

    p = sub.add_parser("load-sample", help="load the embedded sample workspace")
    p.add_argument("--if-empty", action="store_true", help="only when the workspace holds no data")
    p.add_argument("--db", metavar="PATH")
    p.add_argument("--format", choices=("table", "json"), default="table")
    _account(p)

    p = sub.add_parser("recommend", help="a budgeted campaign plan for a brief")
    _common(p)
    p.add_argument("--objective", required=True, help="the client's brief in plain English")
    p.add_argument("--budget", type=float)
    p.add_argument("--period", choices=("day", "week", "month", "quarter"))
    p.add_argument("--platforms", help="comma-separated platforms allowed")
    p.add_argument("--goal", choices=("leads", "conversions", "revenue"))

    p = sub.add_parser("monitor", help="alerts for underperforming campaign-days")
    _common(p)
    p.add_argument("--since", help="YYYY-MM-DD (default: the last 7 days in the data)")
    p.add_argument("--sensitivity", choices=("low", "normal", "high"), default="normal")
    p.add_argument("--webhook", help="POST new incidents to this URL (Slack-compatible)")

    p = sub.add_parser("best-times", help="best hour-of-week slots to post")
    _common(p)
    p.add_argument("--platform")
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--tz", help="an IANA time zone to rank slots in")

    p = sub.add_parser("forecast", help="forecast a daily metric with Prophet")
    _common(p)
    p.add_argument("--metric", required=True,
                   choices=("leads", "conversions", "clicks", "spend", "revenue", "engagement"))
    p.add_argument("--campaign")
    p.add_argument("--horizon", type=int, default=28)

    p = sub.add_parser("sentiment", help="score comments or a text")
    _common(p)
    p.add_argument("--text")

    p = sub.add_parser("segment", help="customer segments")
    _common(p)
    p.add_argument("--k", default="auto")
    p.add_argument("--method", choices=("gmm", "kmeans", "dbscan", "lca"), default="gmm")

    p = sub.add_parser("clv", help="customer lifetime value (BG/NBD + Gamma-Gamma)")
    _common(p)
    p.add_argument("--as-of", help="YYYY-MM-DD (default: the latest date in the customers table)")
    p.add_argument("--horizon-days", type=float, default=365)
    p.add_argument("--transactions", metavar="PATH",
                   help="an order log (customer_id,date,amount CSV) instead of the customers table")

    p = sub.add_parser("roi", help="ROI per campaign and what drives it")
    _common(p)

    p = sub.add_parser("bandit", help="bandit simulations")
    bsub = p.add_subparsers(dest="bandit_command", required=True, parser_class=_Parser)
    s = bsub.add_parser("simulate", help="simulate a policy on Bernoulli arms")
    s.add_argument("--arms", required=True, help="true rates, comma-separated")
    s.add_argument("--policy", required=True, choices=("epsilon-greedy", "ucb1", "thompson"))
    s.add_argument("--horizon", type=int, required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--format", choices=("table", "json"), default="table")
    _account(s)

    p = sub.add_parser("generate", help="ad copy for a brief")
    p.add_argument("--brief", required=True)
    p.add_argument("--platform", required=True,
                   choices=("google_search", "facebook", "instagram", "linkedin", "blog"))
    p.add_argument("--tone", default="friendly")
    p.add_argument("--keywords", default="")
    p.add_argument("--n", type=int, default=3)
    p.add_argument("--format", choices=("table", "json"), default="table")
    _account(p)

    p = sub.add_parser("seo", help="SEO and readability score of a text")
    p.add_argument("--text-file", required=True)
    p.add_argument("--keyword")
    p.add_argument("--title")
    p.add_argument("--meta")
    p.add_argument("--format", choices=("table", "json"), default="table")
    _account(p)

    p = sub.add_parser("train", help="train a shipped model (sentiment)")
    p.add_argument("model", choices=("sentiment",))
    _common(p)

    p = sub.add_parser("retrain", help="retrain models whose data or drift calls for it")
    p.add_argument("families", nargs="*")
    p.add_argument("--all", action="store_true")
    p.add_argument("--force", action="store_true")
    _common(p)

    p = sub.add_parser("watch", help="watch an inbox: ingest each new file, check, alert (until SIGTERM)")
    p.add_argument("--inbox", required=True, metavar="DIR")
    p.add_argument("--db", metavar="PATH")
    p.add_argument("--webhook", help="POST new alerts to this URL (Slack-compatible)")
    p.add_argument("--interval", type=float, default=1.0, metavar="SECONDS", help="how often to look (default 1)")
    p.add_argument("--once", action="store_true", help="process what is there and exit")
    p.add_argument("--sensitivity", choices=("low", "normal", "high"), default="normal")
    _account(p)
    p.add_argument("--format", choices=("table", "json"), default="table")

    p = sub.add_parser("replay", help="feed the sample's last N days into an inbox, one file per day")
    p.add_argument("--days", type=int, required=True)
    p.add_argument("--speed", type=float, default=0.2, help="days per second (default 0.2; 0: all at once)")
    p.add_argument("--inbox", default="data/inbox", metavar="DIR")
    p.add_argument("--source", metavar="FILE", help="a contract workspace file (default: the embedded sample)")
    p.add_argument("--no-history", action="store_true", help="skip the history file before the days")
    p.add_argument("--format", choices=("table", "json"), default="table")

    p = sub.add_parser("serve-api", help="serve the models over HTTP (FastAPI on uvicorn)")
    _common(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    _lake_and_batch(sub)
    return parser


def _lake_and_batch(sub) -> None:
    """``lake export`` and ``batch MODEL`` (issue 14): every client of a lake at once."""
    p = sub.add_parser("lake", help="the workspace as a Parquet lake partitioned by client")
    lsub = p.add_subparsers(dest="lake_command", required=True, parser_class=_Parser)
    e = lsub.add_parser("export", help="write the workspace as Parquet, hive-partitioned by account_id")
    _common(e)
    e.add_argument("--out", required=True, metavar="DIR")

    p = sub.add_parser("batch", help="run a model for every client of a lake (local or Spark)")
    p.add_argument("model", choices=("monitor", "recommend", "segment"))
    p.add_argument("--lake", required=True, metavar="DIR")
    p.add_argument("--engine", choices=("local", "spark"), default="local")
    p.add_argument("--master", metavar="URL", help="Spark master (default local[*]); e.g. spark://host:7077")
    p.add_argument("--since", help="monitor: YYYY-MM-DD (default: each client's last 7 days)")
    p.add_argument("--k", default="auto", help="segment: N or auto")
    p.add_argument("--method", choices=("gmm", "kmeans", "dbscan", "lca"), default="gmm")  # as `segment`
    p.add_argument("--objective", default="more leads", help="recommend: the brief for every client")
    p.add_argument("--budget", type=float, help="recommend: default each client's last-30-day daily spend")
    p.add_argument("--period", choices=("day", "week", "month", "quarter"))
    p.add_argument("--platforms")
    p.add_argument("--goal", choices=("leads", "conversions", "revenue"))
    p.add_argument("--format", choices=("table", "json"), default="table")
    _account(p)


# ------------------------------------------------------------------ handlers here


def run_ingest(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    # Contract files and platform exports alike, recognised by content (core.connectors).
    from core.connectors import ingest_paths
    from core.errors import UnknownTableError

    try:
        report = ingest_paths(ctx.warehouse(), args.files, account_id=ctx.account,
                              table=args.table, skip_bad=args.skip_bad)
    except UnknownTableError as exc:  # the message names no flag: the web page has none
        raise UnknownTableError(f"{exc} Name it with --table.", exc.title) from exc
    return report.to_dict()


def run_train(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    module = importlib.import_module("core.sentiment")
    return module.run_train(args, ctx)


# ------------------------------------------------------------------- rendering


def _clean(value: Any) -> Any:
    """JSON-safe values: NaN becomes null, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    # pandas is imported only by the commands that use it (ingest never does): a value can be
    # a Timestamp only when pandas is loaded, so the check does not import it.
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _cell(value: Any) -> Any:
    """One table cell: nested records read as ``k=v`` pairs, not as many wide columns."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_short(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(_short(v)) for v in value)
    return value


def _short(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def render_table(payload: dict[str, Any]) -> str:
    """A readable text rendering: scalars first, then each list of records as a table."""
    lines: list[str] = []
    for key, value in payload.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(f"\n{key}:")
            import pandas as pd

            rows = [{k: _cell(v) for k, v in rec.items()} for rec in value]
            lines.append(pd.DataFrame(rows).to_string(index=False))
        elif isinstance(value, dict):
            lines.append(f"{key}: " + ", ".join(f"{k}={v}" for k, v in value.items()))
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


def _resolve(command: str) -> Callable[[argparse.Namespace, Context], dict[str, Any]]:
    module_name, func = HANDLERS[command]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise WorkbenchError(f"The '{command}' command is not available in this version.") from exc
        raise
    return getattr(module, func)


def _line(exc: Exception) -> str:
    """One clean error line: the first line, with any control character a value carried made visible."""
    return terminal(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, keep="")


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except BadInputError as exc:
        print(terminal(str(exc)), file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    ctx = Context(settings or Settings.from_mapping(), args)
    try:
        payload = _resolve(args.command)(args, ctx)
    except BadInputError as exc:
        print(_line(exc), file=sys.stderr)
        return 2
    except WorkbenchError as exc:
        print(_line(exc), file=sys.stderr)
        return 1
    finally:
        ctx.close()
    payload = _clean(payload)
    if getattr(args, "format", "table") == "json":
        print(json_text(json.dumps(payload, ensure_ascii=False)))  # C1 controls survive json.dumps
    else:
        print(terminal(render_table(payload)))
    return 0
