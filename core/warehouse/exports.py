"""Ad platforms' exports into the ``campaigns`` table: the SQL of ``core.connectors``.

``core.connectors`` decides what a file is and holds the mapping rules as plain data
(bid strategy names, lead categories, region codes); this module runs them in DuckDB,
so that a million rows are mapped in a few set-based statements, never a Python loop.

Each load is one transaction: the file's rows are staged, checked (a bad file changes
nothing), merged into ``campaigns`` by key (re-importing changes nothing) and logged.
What one file cannot say alone is kept in small state tables, so that the other file of
the same export completes it whichever comes first:

* ``export_line_items``: a line item's attributes (a Meta ad set's targeting and bid
  strategy, a Google campaign's channel and bidding), per client and platform;
* ``export_budgets``: budget snapshots. An API gives only a budget's *current* value, so
  a snapshot holds from its ``as_of`` day (the last day its export covers) onward, and a
  day before every snapshot has an unknown (NULL) ``daily_budget``;
* ``export_campaign_ids``: which contract ``campaign_id`` is which platform line item, with
  the platform's own account id (Meta ad account, Google customer) as a source field;
* ``export_google_conversions``: the conversions-by-category query's leads, conversions and
  revenue per campaign and day.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from core import schema
from core.errors import BadInputError
from core.warehouse import clients

if TYPE_CHECKING:
    from concurrent.futures import Future

    from core.warehouse.connection import Connection

Cursor = duckdb.DuckDBPyConnection

STATE_DDL = (
    """CREATE TABLE IF NOT EXISTS export_line_items (
        account_id VARCHAR, source VARCHAR, line_item_id VARCHAR, source_account_id VARCHAR,
        source_campaign_id VARCHAR, campaign_name VARCHAR, objective VARCHAR, ad_type VARCHAR,
        bidding_strategy VARCHAR, age_min INTEGER, age_max INTEGER, gender VARCHAR, interests VARCHAR[],
        location VARCHAR, audience_known BOOLEAN)""",
    """CREATE TABLE IF NOT EXISTS export_budgets (
        account_id VARCHAR, source VARCHAR, line_item_id VARCHAR, source_account_id VARCHAR,
        as_of DATE, daily_budget DOUBLE)""",
    """CREATE TABLE IF NOT EXISTS export_campaign_ids (
        account_id VARCHAR, campaign_id VARCHAR, source VARCHAR, line_item_id VARCHAR,
        source_account_id VARCHAR, platform VARCHAR, shared_budget BOOLEAN)""",
    """CREATE TABLE IF NOT EXISTS export_google_conversions (
        account_id VARCHAR, source_account_id VARCHAR, campaign_id VARCHAR, date DATE,
        leads DOUBLE, conversions DOUBLE, revenue DOUBLE)""",
)
STATE_TABLES = ("export_line_items", "export_budgets", "export_campaign_ids", "export_google_conversions",
                "export_csv_mappings")

# Every contract column an export row carries, in the order the stage tables hold them.
ROW_COLUMNS = ("date", "platform", "campaign_id", "campaign_name", "objective", "ad_type", "bidding_strategy",
               "audience", "daily_budget", "spend", "impressions", "clicks", "leads", "conversions", "revenue",
               "currency")


@dataclass
class ExportResult:
    """What one export file did: rows new and replaced, and notes for the report."""

    loaded: int = 0
    replaced: int = 0
    warnings: list[str] = field(default_factory=list)
    attributes: int = 0


# ------------------------------------------------------------------ small helpers


def _exec(cur: Cursor, query: str, params: dict[str, Any] | None = None) -> Cursor:
    """Execute with only the parameters the query names (DuckDB refuses unused ones)."""
    used = {k: v for k, v in (params or {}).items() if re.search(rf"\${k}\b", query)}
    return cur.execute(query, used) if used else cur.execute(query)


def _ident(name: str) -> str:
    """A quoted identifier (CSV headers are the file's, not ours)."""
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _campaign_columns(cur: Cursor) -> list[str]:
    return [r[0] for r in _exec(cur, 
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'campaigns' AND schema_name = 'main' "
        "ORDER BY column_index").fetchall()]


def _keys(cur: Cursor) -> list[str]:
    """The campaigns table's row key: (account_id, campaign_id, date) once accounts exist."""
    cols = _campaign_columns(cur)
    return [k for k in ("account_id", "campaign_id", "date") if k in cols]


def setup(cur: Cursor) -> None:
    for ddl in STATE_DDL:
        _exec(cur, ddl)


def _log(cur: Cursor, name: str, digest: "str | Future[str]", loaded: int, replaced: int, account_id: str) -> None:
    # The digest may still be computing beside the read (core.connectors.ingest): wait for it only now.
    digest = digest if isinstance(digest, str) else digest.result()
    _exec(cur,
        "INSERT INTO ingest_log SELECT coalesce(max(ingest_id), 0) + 1, $f, $h, now(), 'campaigns', $l, $r, 0, $a "
        "FROM ingest_log", {"f": name, "h": digest, "l": loaded, "r": replaced, "a": account_id})


def _json_error(name: str, path: Path, gzip: bool, layout: str) -> BadInputError:
    """DuckDB refused the file: say where it stops being JSON (never DuckDB's own text)."""
    from core.warehouse.locate import locate_json_error

    where = locate_json_error(path, gzip, layout if layout in ("array", "ndjson") else "object")
    problem = where or "its fields do not have this export's types"
    return BadInputError(f"{name}: {problem}. Nothing from this file was loaded.", "Malformed export")


def _refuse(name: str, problem: str) -> BadInputError:
    return BadInputError(f"{name}: {problem}. Nothing from this file was loaded.", "Bad export")


def _map_sql(param: str, expr: str, default: str) -> str:
    """``expr`` looked up in a MAP given as two bound lists ($<param>_k, $<param>_v)."""
    return f"coalesce(element_at(MAP(${param}_k, ${param}_v), {expr})[1], {default})"


def _map_params(param: str, pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    return {f"{param}_k": [k for k, _ in pairs] or ["\x00"], f"{param}_v": [v for _, v in pairs] or ["\x00"]}


# ----------------------------------------------------------------- the transaction


def load(db: "Connection", name: str, digest: "str | Future[str]", stage, finish=None, *,
         account_id: str = schema.DEFAULT_ACCOUNT) -> ExportResult:
    """Run ``stage(cur) -> ExportResult`` and the merge in one transaction; roll back on any error.

    The rows are the client ``account_id``'s: it joins the client registry and its data version moves.
    """
    with db.lock, db.cursor() as cur:
        setup(cur)
        _exec(cur, "BEGIN TRANSACTION")
        try:
            result = stage(cur)
            _log(cur, name, digest, result.loaded, result.replaced, account_id)
            clients.register(cur, None, account_id)
            if result.loaded or result.replaced or result.attributes:
                clients.bump(cur, "data_version", [account_id])
            _exec(cur, "DROP VIEW IF EXISTS __gr")
            for t in ("__batches", "__gp", "__gc", "__csv"):
                _exec(cur, f"DROP TABLE IF EXISTS {t}")
            _exec(cur, "COMMIT")
        except BaseException:
            _exec(cur, "ROLLBACK")
            raise
    return result


def _merge_rows(cur: Cursor, account_id: str, rows_sql: str, params: dict[str, Any]) -> tuple[int, int]:
    """Merge the contract rows ``rows_sql`` selects from ``__staged`` into campaigns by key; (new, replaced).

    Rows are replaced by key against ``__staged`` (same keys as the selected rows), so the
    selection streams straight into the INSERT: no intermediate table of a million rows.
    """
    cols = _campaign_columns(cur)
    keys = _keys(cur)
    names = [c for c in cols if c in ROW_COLUMNS or c == "account_id"]
    select = ["$account AS account_id" if c == "account_id" else c for c in names]
    params = {**params, "account": account_id}
    acc = "campaigns.account_id = $account AND " if "account_id" in cols else ""
    match = acc + " AND ".join(f"campaigns.{k} = s.{k}" for k in keys if k != "account_id")
    replaced = 0
    if _exec(cur, "SELECT count(*) > 0 FROM campaigns").fetchone()[0]:
        replaced = _exec(cur, f"SELECT count(*) FROM campaigns WHERE EXISTS (SELECT 1 FROM __staged s WHERE {match})",
                         params).fetchone()[0]
        if replaced:
            _exec(cur, f"DELETE FROM campaigns WHERE EXISTS (SELECT 1 FROM __staged s WHERE {match})", params)
    inserted = _exec(cur, f"INSERT INTO campaigns ({', '.join(names)}) SELECT {', '.join(select)} FROM ({rows_sql})",
                     params).fetchone()[0]
    return int(inserted) - int(replaced), int(replaced)


def _account_filter(cur: Cursor, alias: str = "c") -> str:
    return f"{alias}.account_id = $account" if "account_id" in _campaign_columns(cur) else "TRUE"


def _record_ids(cur: Cursor, account_id: str, source: str) -> None:
    """Upsert ``__ids`` (campaign_id, line_item_id, source_account_id, platform, shared_budget)."""
    _exec(cur, "DELETE FROM export_campaign_ids WHERE account_id = $account AND source = $source AND "
                "campaign_id IN (SELECT campaign_id FROM __ids)", {"account": account_id, "source": source})
    _exec(cur, "INSERT INTO export_campaign_ids SELECT $account, campaign_id, $source, line_item_id, "
                "source_account_id, platform, shared_budget FROM __ids", {"account": account_id, "source": source})


def refresh_budgets(cur: Cursor, account_id: str, source: str) -> None:
    """Each export-made row's budget: the latest snapshot on or before its day, else unknown (NULL).

    A line item whose one budget is shared by several contract rows (a Meta ad set that
    delivers on Facebook and Instagram) keeps an unknown budget: its split is not known.
    """
    acc = _account_filter(cur)
    params = {"account": account_id, "source": source}
    # DuckDB does not bind parameters inside an ASOF join: both sides are filtered first.
    _exec(cur, "CREATE OR REPLACE TEMP TABLE __snaps AS SELECT line_item_id, as_of, daily_budget FROM export_budgets "
                "WHERE account_id = $account AND source = $source AND as_of IS NOT NULL", params)
    first = _exec(cur, "SELECT min(as_of) FROM __snaps").fetchone()[0]
    if first is None:            # no known budget: every export-made row already holds NULL
        _exec(cur, "DROP TABLE __snaps")
        return
    # A day before the first snapshot can only be unknown, and rows are written with NULL.
    _exec(cur, f"""
        CREATE OR REPLACE TEMP TABLE __days AS
        SELECT c.campaign_id, c.date, m.line_item_id, m.shared_budget FROM campaigns c
        JOIN export_campaign_ids m ON m.account_id = $account AND m.source = $source AND m.campaign_id = c.campaign_id
        WHERE {acc} AND (c.date >= $first OR c.daily_budget IS NOT NULL)""", {**params, "first": first})
    _exec(cur, """
        CREATE OR REPLACE TEMP TABLE __bud AS
        SELECT d.campaign_id, d.date, CASE WHEN d.shared_budget THEN NULL ELSE b.daily_budget END AS daily_budget
        FROM __days d ASOF LEFT JOIN __snaps b ON b.line_item_id = d.line_item_id AND d.date >= b.as_of""")
    _exec(cur, "DROP TABLE __snaps")
    _exec(cur, "DROP TABLE __days")
    _exec(cur, f"""
        UPDATE campaigns c SET daily_budget = u.daily_budget FROM __bud u
        WHERE c.campaign_id = u.campaign_id AND c.date = u.date AND {acc}
          AND c.daily_budget IS DISTINCT FROM u.daily_budget""", params)
    _exec(cur, "DROP TABLE __bud")


def settle_budgets(db: "Connection", account_id: str, source: str) -> None:
    """After a call's files are in: pending budget snapshots take their export day, rows their budgets."""
    with db.lock, db.cursor() as cur:
        setup(cur)
        _exec(cur, "BEGIN TRANSACTION")
        try:
            pending = _exec(cur, "SELECT count(*) FROM export_budgets WHERE account_id = $account AND source = $source "
                                 "AND as_of IS NULL", {"account": account_id, "source": source}).fetchone()[0]
            if pending:
                resolve_pending_budgets(cur, account_id, source)
                refresh_budgets(cur, account_id, source)
                clients.bump(cur, "data_version", [account_id])
            _exec(cur, "COMMIT")
        except BaseException:
            _exec(cur, "ROLLBACK")
            raise


def resolve_pending_budgets(cur: Cursor, account_id: str, source: str) -> None:
    """A snapshot whose export day was not known yet takes the last day the account's rows cover."""
    acc = _account_filter(cur)
    _exec(cur, f"""
        UPDATE export_budgets b SET as_of = d.last_day FROM (
            SELECT m.source_account_id, max(c.date) AS last_day FROM campaigns c
            JOIN export_campaign_ids m ON m.account_id = $account AND m.source = $source
                 AND m.campaign_id = c.campaign_id
            WHERE {acc} GROUP BY ALL) d
        WHERE b.account_id = $account AND b.source = $source AND b.as_of IS NULL
          AND b.source_account_id IS NOT DISTINCT FROM d.source_account_id""",
                {"account": account_id, "source": source})


def refresh_attributes(cur: Cursor, account_id: str, source: str) -> int:
    """Rows of line items whose attributes are now known take them (objective only where unknown)."""
    acc = _account_filter(cur)
    n = _exec(cur, f"""
        UPDATE campaigns c SET
            objective = CASE WHEN c.objective = 'unknown' THEN li.objective ELSE c.objective END,
            ad_type = li.ad_type, bidding_strategy = li.bidding_strategy,
            audience = CASE WHEN li.audience_known THEN struct_pack(age_min := li.age_min, age_max := li.age_max,
                gender := li.gender, interests := li.interests, location := li.location) END
        FROM export_campaign_ids m, export_line_items li
        WHERE m.account_id = $account AND m.source = $source AND m.campaign_id = c.campaign_id AND {acc}
          AND li.account_id = $account AND li.source = $source AND li.line_item_id = m.line_item_id""",
                    {"account": account_id, "source": source}).fetchone()[0]
    return int(n)


def upsert_line_items(cur: Cursor, account_id: str, source: str, items: list[dict[str, Any]]) -> None:
    """Keep line-item attributes (one row per platform line item) as the export states them now."""
    import pandas as pd

    frame = pd.DataFrame(items, columns=[
        "line_item_id", "source_account_id", "source_campaign_id", "campaign_name", "objective", "ad_type",
        "bidding_strategy", "age_min", "age_max", "gender", "interests", "location", "audience_known"])
    cur.register("__items", frame)
    try:
        params = {"account": account_id, "source": source}
        _exec(cur, "DELETE FROM export_line_items WHERE account_id = $account AND source = $source AND "
                    "line_item_id IN (SELECT line_item_id FROM __items)", params)
        _exec(cur, """INSERT INTO export_line_items SELECT $account, $source, line_item_id, source_account_id,
            source_campaign_id, campaign_name, objective, ad_type, bidding_strategy, CAST(age_min AS INTEGER),
            CAST(age_max AS INTEGER), gender, CAST(interests AS VARCHAR[]), location, audience_known
            FROM __items""", params)
    finally:
        cur.unregister("__items")


def upsert_budgets(cur: Cursor, account_id: str, source: str, relation: str) -> None:
    """Add snapshots from ``relation`` (line_item_id, source_account_id, as_of, daily_budget).

    A snapshot replaces one of the same line item and day; a pending one (as_of NULL)
    replaces the line item's earlier pending one.
    """
    params = {"account": account_id, "source": source}
    _exec(cur, f"""DELETE FROM export_budgets b WHERE account_id = $account AND source = $source AND EXISTS (
        SELECT 1 FROM {relation} r WHERE r.line_item_id = b.line_item_id AND r.as_of IS NOT DISTINCT FROM b.as_of)""",
                params)
    _exec(cur, f"INSERT INTO export_budgets SELECT $account, $source, line_item_id, source_account_id, as_of, "
                f"daily_budget FROM {relation}", params)


def _rows_with_attributes() -> str:
    """Contract rows from ``__staged`` metric rows joined with the line items' known attributes.

    ``__staged`` has date, platform, campaign_id, line_item_id, campaign_name, objective (or
    NULL), ad_type, bidding_strategy, currency and the six metrics.
    """
    return """
        SELECT s.date, s.platform, s.campaign_id, coalesce(s.campaign_name, li.campaign_name) AS campaign_name,
               coalesce(s.objective, li.objective, 'unknown') AS objective,
               coalesce(li.ad_type, s.ad_type, 'unknown') AS ad_type,
               coalesce(li.bidding_strategy, s.bidding_strategy, 'unknown') AS bidding_strategy,
               CASE WHEN li.audience_known THEN struct_pack(age_min := li.age_min, age_max := li.age_max,
                    gender := li.gender, interests := li.interests, location := li.location) END AS audience,
               CAST(NULL AS DOUBLE) AS daily_budget, s.spend, s.impressions, s.clicks, s.leads, s.conversions,
               s.revenue, s.currency
        FROM __staged s
        LEFT JOIN (SELECT * FROM export_line_items WHERE account_id = $account AND source = $source) li
             ON li.line_item_id = s.line_item_id"""


# ---------------------------------------------------------------------- Meta: insights

_ACTION = "STRUCT(action_type VARCHAR, value VARCHAR)[]"
META_ROW = ("STRUCT(account_id VARCHAR, account_currency VARCHAR, campaign_id VARCHAR, campaign_name VARCHAR, "
            "adset_id VARCHAR, adset_name VARCHAR, objective VARCHAR, date_start VARCHAR, date_stop VARCHAR, "
            "publisher_platform VARCHAR, spend VARCHAR, impressions VARCHAR, clicks VARCHAR, "
            f"inline_link_clicks VARCHAR, actions {_ACTION}, action_values {_ACTION})")


# A page's rows are split off as JSON first and typed one by one: from_json into the nested
# row type per row costs a quarter less than into the page's list of rows (DuckDB 2.0, 1M rows).
_PAGE_TYPE = "STRUCT(data JSON[], error JSON)"


def _objects_sql(path_param: str, layout: str, gzip: bool, size: int) -> str:
    """Each page (or batch) of a file as one JSON value.

    ``read_json_objects`` + ``from_json`` is the fast way through pages that hold big row
    arrays: on a million Meta rows it took 8.7 s where ``read_json`` with the nested type
    took 22.6 s (same process, this machine).
    """
    fmt = {"array": "array", "ndjson": "newline_delimited"}.get(layout, "unstructured")
    comp = "gzip" if gzip else "none"
    # Only a file that is one page needs an object as large as the file.
    extra = f", maximum_object_size={size}" if fmt == "unstructured" else ""
    return f"read_json_objects(${path_param}, format='{fmt}', compression='{comp}'{extra})"


def _spec(struct_sql: str) -> str:
    """A DuckDB STRUCT type written as the JSON structure ``from_json`` takes (our own constants)."""
    import re as _re

    def parse(text: str, i: int = 0):
        if text.startswith("STRUCT(", i):
            i += len("STRUCT(")
            out = {}
            while text[i] != ")":
                m = _re.compile(r"\s*(\w+) ").match(text, i)
                key, i = m.group(1), m.end()
                val, i = parse(text, i)
                out[key] = val
                if text[i] == ",":
                    i += 1
            i += 1
        else:
            m = _re.compile(r"(VARCHAR|DOUBLE|JSON|BIGINT)").match(text, i)
            out, i = m.group(1), m.end()
        while text.startswith("[]", i):
            out, i = [out], i + 2
        return out, i

    return json.dumps(parse(struct_sql)[0])


def _object_size(path: Path, gzip: bool) -> int:
    """A single Graph API page object can be the whole file: let the reader take all of it."""
    size = path.stat().st_size * (12 if gzip else 1)
    return int(max(size + 1024, 16 * 2**20))


def load_meta_insights(db: "Connection", path: Path, name: str, digest: str, *, account_id: str, layout: str,
                       gzip: bool, platforms: list[tuple[str, str]], objectives: list[tuple[str, str]],
                       lead_action: str, purchase_actions: tuple[str, ...]) -> ExportResult:
    """Insights pages (level=adset, time_increment=1, breakdowns=publisher_platform) into campaigns."""
    size = _object_size(path, gzip)

    def stage(cur: Cursor) -> ExportResult:
        result = ExportResult()
        params = {"path": str(path)}
        # The action types of a row are listed once; the purchase action is the first present.
        purchase = "CASE " + " ".join(f"WHEN list_contains(atypes, {_lit(t)}) THEN {_lit(t)}"
                                      for t in purchase_actions) + " END"
        purchase_v = "CASE " + " ".join(f"WHEN list_contains(vtypes, {_lit(t)}) THEN {_lit(t)}"
                                        for t in purchase_actions) + " END"
        q = {**_map_params("plat", platforms), **_map_params("obj", objectives)}
        # One pass over the rows: map and sum per (ad set, platform, day), and count what is
        # wrong in each group, so the checks read the (smaller) result instead of the rows. A page
        # without rows (an error object) still yields one empty row that carries its error.
        sql = f"""
            CREATE OR REPLACE TEMP TABLE __metric AS
            SELECT TRY_CAST(r.date_start AS DATE) AS date,
                   {_map_sql('plat', 'lower(r.publisher_platform)', 'lower(r.publisher_platform)')} AS platform,
                   r.adset_id AS line_item_id, any_value(r.account_id) AS source_account_id,
                   any_value(r.adset_name) AS adset_name,
                   any_value({_map_sql('obj', 'upper(r.objective)', 'NULL')}) AS objective,
                   coalesce(any_value(r.account_currency), 'USD') AS currency,
                   sum(TRY_CAST(coalesce(r.spend, '0') AS DOUBLE)) AS spend,
                   sum(TRY_CAST(coalesce(r.impressions, '0') AS BIGINT)) AS impressions,
                   sum(TRY_CAST(coalesce(r.inline_link_clicks, r.clicks, '0') AS BIGINT)) AS clicks,
                   sum(coalesce(TRY_CAST(r.actions[list_position(atypes, {_lit(lead_action)})].value AS DOUBLE), 0))
                       AS leads,
                   sum(coalesce(TRY_CAST(r.actions[list_position(atypes, conv_type)].value AS DOUBLE), 0))
                       AS conversions,
                   sum(coalesce(TRY_CAST(r.action_values[list_position(vtypes, coalesce(conv_type, conv_type_v))].value
                       AS DOUBLE), 0)) AS revenue,
                   count(*) AS n_rows, count(*) FILTER (r.date_start <> r.date_stop) AS n_spans,
                   count(*) FILTER ((r.spend IS NOT NULL AND TRY_CAST(r.spend AS DOUBLE) IS NULL)
                       OR (r.impressions IS NOT NULL AND TRY_CAST(r.impressions AS BIGINT) IS NULL)
                       OR TRY_CAST(coalesce(r.inline_link_clicks, r.clicks, '0') AS BIGINT) IS NULL) AS n_bad,
                   any_value(page_error) AS page_error, count(*) FILTER (no_data) AS n_no_data
            FROM (SELECT *, {purchase} AS conv_type, {purchase_v} AS conv_type_v FROM (
                  SELECT *, list_transform(r.actions, lambda a: a.action_type) AS atypes,
                         list_transform(r.action_values, lambda a: a.action_type) AS vtypes FROM (
                      SELECT from_json(row_json, {_lit(_spec(META_ROW))}) AS r, page_error, no_data FROM (
                      SELECT unnest(coalesce(p.data, [NULL::JSON])) AS row_json,
                             CAST(p.error AS VARCHAR) AS page_error, p.data IS NULL AND p.error IS NULL AS no_data
                      FROM (SELECT from_json(json, {_lit(_spec(_PAGE_TYPE))}) AS p FROM {_objects_sql('path', layout, gzip, size)})))))
            GROUP BY date, platform, line_item_id"""
        try:
            _exec(cur, sql, {**q, **params})
        except duckdb.Error as exc:
            raise _json_error(name, path, gzip, layout) from exc
        err, no_data = _exec(cur, "SELECT any_value(page_error), sum(n_no_data) FROM __metric").fetchone()
        if err:
            msg = json.loads(err).get("message", err) if err.startswith("{") else err
            raise _refuse(name, f"the platform returned an error: {str(msg)[:200].rstrip('.')}")
        if no_data:
            raise _refuse(name, f"{no_data} page(s) without a \"data\" array")
        _check_meta(cur, name)
        # A line item is an ad set on one platform: an ad set that delivers on several gets
        # one contract line item per platform, "<adset_id>-<platform>" (and a shared budget).
        # (A view over the summed rows and a per-ad-set count: no second copy of a million rows.)
        _exec(cur, "CREATE OR REPLACE TEMP TABLE __np AS SELECT line_item_id, count(DISTINCT platform) AS n_platforms "
                   "FROM __metric GROUP BY line_item_id")
        _exec(cur, """
            CREATE OR REPLACE TEMP VIEW __staged AS
            SELECT m.* EXCLUDE (n_rows, n_spans, n_bad, page_error, n_no_data), n.n_platforms,
                   CASE WHEN n.n_platforms > 1 THEN m.line_item_id || '-' || m.platform ELSE m.line_item_id END
                      AS campaign_id,
                   CASE WHEN n.n_platforms > 1 THEN m.adset_name || ' (' || m.platform || ')' ELSE m.adset_name END
                      AS campaign_name,
                   CAST(NULL AS VARCHAR) AS ad_type, CAST(NULL AS VARCHAR) AS bidding_strategy
            FROM __metric m JOIN __np n ON n.line_item_id = m.line_item_id""")
        _finish_metric_file(cur, account_id, "meta", result)
        _exec(cur, "DROP TABLE __np")
        _exec(cur, "DROP TABLE __metric")
        return result

    return load(db, name, digest, stage, account_id=account_id)


def _check_meta(cur: Cursor, name: str) -> None:
    n, no_adset, spans, no_platform, bad_number, no_date = _exec(cur, """
        SELECT coalesce(sum(n_rows), 0), coalesce(sum(n_rows) FILTER (line_item_id IS NULL), 0), sum(n_spans),
               coalesce(sum(n_rows) FILTER (platform IS NULL), 0), sum(n_bad),
               coalesce(sum(n_rows) FILTER (date IS NULL), 0)
        FROM __metric""").fetchone()
    if n == 0:
        raise _refuse(name, "the insights pages hold no rows")
    if no_adset:
        raise _refuse(name, f"{no_adset} row(s) without adset_id; export insights with level=adset")
    if no_date:
        raise _refuse(name, f"{no_date} row(s) without a date_start date")
    if spans:
        raise _refuse(name, f"{spans} row(s) cover several days; export insights with time_increment=1")
    if no_platform:
        raise _refuse(name, f"{no_platform} row(s) without publisher_platform; export insights with "
                            "breakdowns=publisher_platform")
    if bad_number:
        raise _refuse(name, f"{bad_number} row(s) with a spend, impressions or clicks value that is not a number")


def _finish_metric_file(cur: Cursor, account_id: str, source: str, result: ExportResult) -> None:
    """``__staged`` metric rows: record ids, resolve pending budgets, merge with attributes, refresh budgets."""
    params = {"account": account_id, "source": source}
    _exec(cur, """CREATE OR REPLACE TEMP TABLE __ids AS SELECT campaign_id, any_value(line_item_id) AS line_item_id,
                   any_value(source_account_id) AS source_account_id, any_value(platform) AS platform,
                   bool_or(n_platforms > 1) AS shared_budget FROM __staged GROUP BY campaign_id""")
    _record_ids(cur, account_id, source)
    result.loaded, result.replaced = _merge_rows(cur, account_id, _rows_with_attributes(), params)
    is_view = _exec(cur, "SELECT count(*) FROM duckdb_views() WHERE view_name = '__staged'").fetchone()[0]
    _exec(cur, f"DROP {'VIEW' if is_view else 'TABLE'} __staged")
    _exec(cur, "DROP TABLE __ids")
    refresh_budgets(cur, account_id, source)
    missing = _exec(cur, "SELECT count(DISTINCT m.line_item_id) FROM export_campaign_ids m LEFT JOIN "
                          "export_line_items li ON li.account_id = m.account_id AND li.source = m.source AND "
                          "li.line_item_id = m.line_item_id WHERE m.account_id = $account AND m.source = $source "
                          "AND li.line_item_id IS NULL", params).fetchone()[0]
    if missing and source == "meta":
        result.warnings.append(f"{missing} Meta ad set(s) have no ad set export yet: their targeting, bid strategy "
                               "and budget stay unknown until the ad set file is loaded.")


# ---------------------------------------------------------------------- Meta: ad sets


def load_line_items(db: "Connection", name: str, digest: str, *, account_id: str, source: str,
                    items: list[dict[str, Any]]) -> ExportResult:
    """Line-item attributes and current budgets (a Meta ad set export) into the state and campaigns."""

    def stage(cur: Cursor) -> ExportResult:
        result = ExportResult()
        upsert_line_items(cur, account_id, source, items)
        import pandas as pd

        snaps = pd.DataFrame({"line_item_id": [i["line_item_id"] for i in items],
                              "source_account_id": [i["source_account_id"] for i in items],
                              "daily_budget": [i["daily_budget"] for i in items]})
        # The export day is the last day the call's rows cover: known once every file of the
        # call is in (settle_budgets), so the snapshot waits as pending (as_of NULL) until then.
        cur.register("__snaps", snaps)
        try:
            _exec(cur, """CREATE OR REPLACE TEMP TABLE __snap AS SELECT line_item_id, source_account_id,
                CAST(NULL AS DATE) AS as_of, CAST(daily_budget AS DOUBLE) AS daily_budget FROM __snaps""")
        finally:
            cur.unregister("__snaps")
        upsert_budgets(cur, account_id, source, "__snap")
        _exec(cur, "DROP TABLE __snap")
        result.attributes = refresh_attributes(cur, account_id, source)
        refresh_budgets(cur, account_id, source)
        return result

    return load(db, name, digest, stage, account_id=account_id)


# ---------------------------------------------------------------------- Google

_G_RESULT = ("STRUCT(customer STRUCT(id VARCHAR, currencyCode VARCHAR), "
             "campaign STRUCT(resourceName VARCHAR, id VARCHAR, name VARCHAR, advertisingChannelType VARCHAR, "
             "biddingStrategyType VARCHAR), campaignBudget STRUCT(resourceName VARCHAR, amountMicros VARCHAR), "
             "metrics STRUCT(costMicros VARCHAR, impressions VARCHAR, clicks VARCHAR, conversions DOUBLE, "
             "conversionsValue DOUBLE), segments STRUCT(date VARCHAR, conversionActionCategory VARCHAR))")


_BATCH_TYPE = (f"STRUCT(results {_G_RESULT}[], fieldMask VARCHAR, error JSON, partialFailureError JSON)")


def _read_stream(cur: Cursor, path: Path, name: str, gzip: bool, required: list[str]) -> None:
    """A SearchStream response (JSON array of batches) into ``__gr``; errors refuse the file."""
    size = _object_size(path, gzip)
    try:
        _exec(cur, f"""CREATE OR REPLACE TEMP TABLE __batches AS SELECT b.results AS results, b.fieldMask AS fieldMask,
            b.error::VARCHAR AS error, b.partialFailureError::VARCHAR AS pfe
            FROM (SELECT from_json(json, {_lit(_spec(_BATCH_TYPE))}) AS b
                  FROM {_objects_sql('path', 'array', gzip, size)})""", {"path": str(path)})
    except duckdb.Error as exc:
        raise _json_error(name, path, gzip, "array") from exc
    err, pfe, masks = _exec(cur, 
        "SELECT any_value(error) FILTER (error IS NOT NULL), any_value(pfe) FILTER (pfe IS NOT NULL), "
        "list(DISTINCT fieldMask) FILTER (fieldMask IS NOT NULL) FROM __batches").fetchone()
    for raw, what in ((err, "the platform returned an error"), (pfe, "Google partialFailureError")):
        if raw:
            try:
                msg = json.loads(raw).get("message", raw)
            except (ValueError, AttributeError):
                msg = raw
            raise _refuse(name, f"{what}: {str(msg)[:200].rstrip('.')}")
    for mask in masks or []:
        have = {f.strip() for f in mask.split(",")}
        lacking = [f for f in required if f not in have]
        if lacking:
            raise _refuse(name, f"the query lacks {', '.join(lacking)} (fieldMask {mask[:120]})")
    # The rows are read where they lie (a view), not copied: one pass checks them, one maps them.
    _exec(cur, "CREATE OR REPLACE TEMP VIEW __gr AS SELECT unnest(results, recursive := false) AS r FROM __batches "
                "WHERE results IS NOT NULL")
    n, no_id, no_date, bad = _exec(cur, """SELECT count(*), count(*) FILTER (r.campaign.id IS NULL),
        count(*) FILTER (TRY_CAST(r.segments.date AS DATE) IS NULL),
        count(*) FILTER ((r.metrics.costMicros IS NOT NULL AND TRY_CAST(r.metrics.costMicros AS HUGEINT) IS NULL)
            OR (r.metrics.impressions IS NOT NULL AND TRY_CAST(r.metrics.impressions AS BIGINT) IS NULL)
            OR (r.metrics.clicks IS NOT NULL AND TRY_CAST(r.metrics.clicks AS BIGINT) IS NULL)) FROM __gr""").fetchone()
    if n == 0:
        raise _refuse(name, "the SearchStream response holds no rows")
    if no_id or no_date:
        raise _refuse(name, f"{no_id + no_date} row(s) without campaign.id or segments.date")
    if bad:
        raise _refuse(name, f"{bad} row(s) with costMicros, impressions or clicks that are not whole numbers")


_CUSTOMER = ("coalesce(r.customer.id, regexp_extract(coalesce(r.campaign.resourceName, ''), "
             "'^customers/(\\d+)/', 1))")


def _google_objective_sql(lead_cats: list[str], awareness: list[str], sales: list[str]) -> str:
    """A campaign's objective: what it converts on, else how it bids (Google campaigns carry none)."""
    return ("CASE WHEN cv.leads > 0 THEN 'leads' WHEN cv.conversions > 0 THEN 'sales' "
            "WHEN li_bid IN (SELECT unnest($aw)) THEN 'awareness' WHEN li_chan = 'VIDEO' THEN 'awareness' "
            "WHEN li_bid IN (SELECT unnest($sa)) OR li_chan = 'SHOPPING' THEN 'sales' ELSE 'traffic' END")


def load_google_performance(db: "Connection", path: Path, name: str, digest: str, *, account_id: str, gzip: bool,
                            required: list[str], bids: list[tuple[str, str]], channels: list[tuple[str, str]],
                            awareness_bidding: list[str], sales_bidding: list[str]) -> ExportResult:
    """The performance query: spend, impressions, clicks per campaign and day, attributes and budget."""

    def stage(cur: Cursor) -> ExportResult:
        result = ExportResult()
        _read_stream(cur, path, name, gzip, required)
        # Zero metrics are absent in proto3 JSON: absent means 0. Micros are summed as integers, exact.
        _exec(cur, f"""CREATE OR REPLACE TEMP TABLE __gp AS
            SELECT {_CUSTOMER} AS source_account_id, r.campaign.id AS line_item_id, CAST(r.segments.date AS DATE) AS date,
                   any_value(r.campaign.name) AS campaign_name, any_value(r.campaign.advertisingChannelType) AS chan,
                   any_value(r.campaign.biddingStrategyType) AS bid, any_value(r.campaignBudget.amountMicros) AS budget,
                   coalesce(any_value(r.customer.currencyCode), 'USD') AS currency,
                   sum(CAST(coalesce(r.metrics.costMicros, '0') AS HUGEINT)) AS cost_micros,
                   sum(CAST(coalesce(r.metrics.impressions, '0') AS BIGINT)) AS impressions,
                   sum(CAST(coalesce(r.metrics.clicks, '0') AS BIGINT)) AS clicks
            FROM __gr GROUP BY ALL""")
        _exec(cur, "DROP VIEW __gr")
        _exec(cur, "DROP TABLE __batches")
        params = {"account": account_id, "source": "google", **_map_params("bid", bids),
                  **_map_params("chan", channels)}
        # Attributes as the file states them now (the last day's row of each campaign).
        _exec(cur, """CREATE OR REPLACE TEMP TABLE __gli AS
            SELECT line_item_id, arg_max(source_account_id, date) AS source_account_id,
                   arg_max(campaign_name, date) AS campaign_name, arg_max(chan, date) AS chan,
                   arg_max(bid, date) AS bid, arg_max(budget, date) AS budget
            FROM __gp GROUP BY line_item_id""")
        _exec(cur, """DELETE FROM export_line_items WHERE account_id = $account AND source = $source
                        AND line_item_id IN (SELECT line_item_id FROM __gli)""", {"account": account_id,
                                                                                 "source": "google"})
        _exec(cur, f"""INSERT INTO export_line_items SELECT $account, $source, line_item_id, source_account_id,
                NULL, campaign_name, NULL,
                {_map_sql('chan', 'chan', "coalesce(lower(chan), 'unknown')")},
                {_map_sql('bid', 'bid', "coalesce(lower(bid), 'unknown')")},
                NULL, NULL, NULL, NULL, NULL, false FROM __gli""", params)
        # The budget is the campaign's current one: it holds from the last day this file covers.
        _exec(cur, """CREATE OR REPLACE TEMP TABLE __snap AS
            SELECT g.line_item_id, g.source_account_id, d.last_day AS as_of,
                   CAST(g.budget AS HUGEINT) / 1e6 AS daily_budget
            FROM __gli g JOIN (SELECT source_account_id, max(date) AS last_day FROM __gp GROUP BY ALL) d
              ON d.source_account_id IS NOT DISTINCT FROM g.source_account_id
            WHERE TRY_CAST(g.budget AS HUGEINT) IS NOT NULL""")
        upsert_budgets(cur, account_id, "google", "__snap")
        _exec(cur, "DROP TABLE __snap")
        _google_objectives(cur, account_id, awareness_bidding, sales_bidding)
        # A view binds no parameters: the client's conversions are filtered into a table first.
        _exec(cur, "CREATE OR REPLACE TEMP TABLE __cv AS SELECT campaign_id, date, leads, conversions, revenue FROM "
                   "export_google_conversions WHERE account_id = $account", {"account": account_id})
        _exec(cur, """CREATE OR REPLACE TEMP VIEW __staged AS
            SELECT p.date, 'google' AS platform, p.line_item_id AS campaign_id, p.line_item_id, p.source_account_id,
                   p.campaign_name, o.objective, CAST(NULL AS VARCHAR) AS ad_type,
                   CAST(NULL AS VARCHAR) AS bidding_strategy, p.currency,
                   CAST(p.cost_micros AS DOUBLE) / 1e6 AS spend, p.impressions, p.clicks,
                   coalesce(cv.leads, 0) AS leads, coalesce(cv.conversions, 0) AS conversions,
                   coalesce(cv.revenue, 0) AS revenue, 1 AS n_platforms
            FROM __gp p
            LEFT JOIN __gobj o ON o.line_item_id = p.line_item_id
            LEFT JOIN __cv cv ON cv.campaign_id = p.line_item_id AND cv.date = p.date""")
        has_conv = _exec(cur, "SELECT count(*) FROM export_google_conversions WHERE account_id = $account AND "
                               "campaign_id IN (SELECT line_item_id FROM __gli)", {"account": account_id}).fetchone()[0]
        _finish_metric_file(cur, account_id, "google", result)
        for t in ("__gp", "__gli", "__gobj", "__cv"):
            _exec(cur, f"DROP TABLE {t}")
        if not has_conv:
            result.warnings.append(
                f"{name}: no conversions-by-category rows for these Google campaigns yet: leads, conversions and "
                "revenue are 0 until the conversions query (segments.conversionActionCategory) is loaded.")
        return result

    return load(db, name, digest, stage, account_id=account_id)


def _google_objectives(cur: Cursor, account_id: str, awareness: list[str], sales: list[str]) -> None:
    """``__gobj`` (line_item_id, objective) for the campaigns in ``__gli`` from conversions and bidding."""
    _exec(cur, f"""CREATE OR REPLACE TEMP TABLE __gobj AS
        SELECT g.line_item_id, {_google_objective_sql([], awareness, sales)} AS objective
        FROM (SELECT line_item_id, bid AS li_bid, chan AS li_chan FROM __gli) g
        LEFT JOIN (SELECT campaign_id, sum(leads) AS leads, sum(conversions) AS conversions
                   FROM export_google_conversions WHERE account_id = $account GROUP BY campaign_id) cv
          ON cv.campaign_id = g.line_item_id""", {"account": account_id, "aw": awareness, "sa": sales})


def load_google_conversions(db: "Connection", path: Path, name: str, digest: str, *, account_id: str, gzip: bool,
                            required: list[str], lead_categories: list[str], purchase_category: str) -> ExportResult:
    """The conversions query: leads, conversions and revenue by category into the state and campaigns."""

    def stage(cur: Cursor) -> ExportResult:
        result = ExportResult()
        _read_stream(cur, path, name, gzip, required)
        params = {"account": account_id, "leadcats": lead_categories, "purchase": purchase_category}
        _exec(cur, f"""CREATE OR REPLACE TEMP TABLE __gc AS
            SELECT {_CUSTOMER} AS source_account_id, r.campaign.id AS campaign_id,
                   CAST(r.segments.date AS DATE) AS date,
                   sum(coalesce(r.metrics.conversions, 0)) FILTER (upper(r.segments.conversionActionCategory)
                       IN (SELECT unnest($leadcats))) AS leads,
                   sum(coalesce(r.metrics.conversions, 0)) FILTER (upper(r.segments.conversionActionCategory)
                       = $purchase) AS conversions,
                   sum(coalesce(r.metrics.conversionsValue, 0)) FILTER (upper(r.segments.conversionActionCategory)
                       = $purchase) AS revenue
            FROM __gr GROUP BY ALL""", params)
        _exec(cur, "DROP VIEW __gr")
        _exec(cur, "DROP TABLE __batches")
        _exec(cur, "DELETE FROM export_google_conversions g WHERE account_id = $account AND EXISTS "
                    "(SELECT 1 FROM __gc c WHERE c.campaign_id = g.campaign_id AND c.date = g.date)", params)
        _exec(cur, "INSERT INTO export_google_conversions SELECT $account, source_account_id, campaign_id, date, "
                    "coalesce(leads, 0), coalesce(conversions, 0), coalesce(revenue, 0) FROM __gc", params)
        acc = _account_filter(cur)
        n = _exec(cur, f"""UPDATE campaigns c SET leads = coalesce(g.leads, 0), conversions = coalesce(g.conversions, 0),
                revenue = coalesce(g.revenue, 0)
            FROM __gc g, export_campaign_ids m
            WHERE m.account_id = $account AND m.source = 'google' AND m.campaign_id = c.campaign_id
              AND g.campaign_id = c.campaign_id AND g.date = c.date AND {acc}""", params).fetchone()[0]
        result.replaced = int(n)
        # Days with conversions but no performance row yet: a row with zero delivery, so totals stay exact.
        _exec(cur, f"""CREATE OR REPLACE TEMP TABLE __staged AS
            SELECT g.date, 'google' AS platform, g.campaign_id, g.campaign_id AS line_item_id, g.source_account_id,
                   CAST(NULL AS VARCHAR) AS campaign_name, CAST(NULL AS VARCHAR) AS objective,
                   CAST(NULL AS VARCHAR) AS ad_type, CAST(NULL AS VARCHAR) AS bidding_strategy, 'USD' AS currency,
                   0.0 AS spend, 0 AS impressions, 0 AS clicks, coalesce(g.leads, 0) AS leads,
                   coalesce(g.conversions, 0) AS conversions, coalesce(g.revenue, 0) AS revenue, 1 AS n_platforms
            FROM __gc g WHERE NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.campaign_id = g.campaign_id
                 AND c.date = g.date AND {acc})""", params)
        extra = _exec(cur, "SELECT count(*) FROM __staged").fetchone()[0]
        if extra:
            _finish_metric_file(cur, account_id, "google", result)
            result.replaced += int(n)
        else:
            _exec(cur, "DROP TABLE __staged")
        # What a campaign converts on decides its objective (leads before sales).
        _exec(cur, f"""UPDATE campaigns c SET objective = CASE WHEN t.leads > 0 THEN 'leads' ELSE 'sales' END
            FROM (SELECT campaign_id, sum(leads) AS leads, sum(conversions) AS conversions FROM export_google_conversions
                  WHERE account_id = $account GROUP BY campaign_id HAVING sum(leads) > 0 OR sum(conversions) > 0) t,
                 export_campaign_ids m
            WHERE m.account_id = $account AND m.source = 'google' AND m.campaign_id = c.campaign_id
              AND t.campaign_id = c.campaign_id AND {acc}
              AND c.objective IS DISTINCT FROM CASE WHEN t.leads > 0 THEN 'leads' ELSE 'sales' END""", params)
        _exec(cur, "DROP TABLE __gc")
        result.attributes = int(n)
        return result

    return load(db, name, digest, stage, account_id=account_id)


# ---------------------------------------------------------------------- CSV downloads

_NUMBER = "TRY_CAST(NULLIF(regexp_replace(trim({v}), '[^0-9.eE+\\-]', '', 'g'), '') AS DOUBLE)"


def _csv_value(plan, fld: str, header: str | None) -> str:
    """The SQL of one contract field out of a CSV column (or its constant)."""
    if header is None:
        const = plan.constants.get(fld)
        if const is None:
            return "NULL"
        return f"CAST({const} AS DOUBLE)" if isinstance(const, (int, float)) else _lit(str(const))
    v = f"NULLIF(NULLIF(trim({_ident(header)}), '--'), '')"
    kind = plan.parser(fld)
    if kind in ("money", "number"):
        return _NUMBER.format(v=v)
    if kind == "date":
        from core.connectors.csv_exports import DATE_FORMATS

        tries = ", ".join(f"TRY_CAST(try_strptime({v}, {_lit(f)}) AS DATE)" for f in DATE_FORMATS)
        return f"coalesce({tries})"
    values = plan.values.get(fld)
    if values:
        return f"coalesce(element_at(MAP({_lit_list(values.keys())}, {_lit_list(values.values())}), lower({v}))[1], " \
               f"lower(regexp_replace({v}, '[^0-9A-Za-z]+', '_', 'g')))"
    return v


def _lit_list(items) -> str:
    return "[" + ", ".join(_lit(i) for i in items) + "]"


def load_csv(db: "Connection", path: Path, name: str, digest: str, *, account_id: str, plan, source: str,
             gzip: bool) -> ExportResult:
    """A CSV download (or a mapped CSV) into campaigns, by a :class:`core.connectors.csv_exports.Plan`."""

    def stage(cur: Cursor) -> ExportResult:
        result = ExportResult()
        comp = "gzip" if gzip else "none"
        enc = "utf-16" if plan.encoding.startswith("utf-16") else "utf-8"
        try:
            _exec(cur, f"""CREATE OR REPLACE TEMP TABLE __csv AS SELECT * FROM read_csv($path, skip={plan.header_line},
                header=true, delim={_lit(plan.delimiter)}, quote='"', all_varchar=true, null_padding=true,
                ignore_errors=false, compression='{comp}', encoding='{enc}', strict_mode=false)""",
                        {"path": str(path)})
        except duckdb.Error as exc:
            raise _refuse(name, f"cannot be read as CSV ({str(exc).splitlines()[0][:160]})") from exc
        have = {r[0] for r in _exec(cur, "DESCRIBE __csv").fetchall()}
        lacking = [h for h in plan.columns.values() if h not in have]
        if lacking:
            raise _refuse(name, f"the columns {', '.join(lacking)} are not in the header")
        first = _ident(next(iter(r[0] for r in _exec(cur, "DESCRIBE __csv").fetchall())))
        skip = f"NOT regexp_matches(coalesce({first}, ''), {_lit(plan.skip_first_cell)}, 'i')" \
            if plan.skip_first_cell else "TRUE"
        cols = {f: _csv_value(plan, f, plan.columns.get(f)) for f in (
            "date", "platform", "campaign_id", "campaign_name", "objective", "ad_type", "bidding_strategy",
            "daily_budget", "spend", "impressions", "clicks", "leads", "conversions", "revenue", "currency")}
        end = _csv_value(plan, "date", plan.columns.get("date_end")) if plan.columns.get("date_end") else "NULL"
        btype = f"lower(trim({_ident(plan.columns['budget_type'])}))" if plan.columns.get("budget_type") else "NULL"
        acct = f"trim({_ident(plan.columns['account_id'])})" if plan.columns.get("account_id") else "NULL"
        select = ", ".join(f"{expr} AS {f}" for f, expr in cols.items())
        _exec(cur, f"""CREATE OR REPLACE TEMP TABLE __csvrows AS
            SELECT {select}, {end} AS date_end, {btype} AS budget_type, {acct} AS source_account_id,
                   row_number() OVER () + {plan.header_line + 1} AS line
            FROM __csv WHERE {skip}""")
        _exec(cur, "DROP TABLE __csv")
        _check_csv(cur, name, plan)
        _exec(cur, """CREATE OR REPLACE TEMP TABLE __metric AS
            SELECT date, coalesce(platform, 'unknown') AS platform, campaign_id AS line_item_id,
                   any_value(source_account_id) AS source_account_id, any_value(campaign_name) AS adset_name,
                   any_value(objective) AS objective, any_value(ad_type) AS ad_type,
                   any_value(bidding_strategy) AS bidding_strategy, coalesce(any_value(currency), 'USD') AS currency,
                   arg_max(CASE WHEN budget_type IS NULL OR budget_type LIKE 'daily%' THEN daily_budget END, date)
                       AS budget,
                   sum(coalesce(spend, 0)) AS spend, CAST(sum(coalesce(impressions, 0)) AS BIGINT) AS impressions,
                   CAST(sum(coalesce(clicks, 0)) AS BIGINT) AS clicks, sum(coalesce(leads, 0)) AS leads,
                   sum(coalesce(conversions, 0)) AS conversions, sum(coalesce(revenue, 0)) AS revenue
            FROM __csvrows GROUP BY date, coalesce(platform, 'unknown'), campaign_id""")
        _exec(cur, "DROP TABLE __csvrows")
        _exec(cur, """CREATE OR REPLACE TEMP TABLE __staged AS
            SELECT *, CASE WHEN n_platforms > 1 THEN line_item_id || '-' || platform ELSE line_item_id END
                      AS campaign_id,
                   CASE WHEN n_platforms > 1 THEN adset_name || ' (' || platform || ')' ELSE adset_name END
                      AS campaign_name
            FROM (SELECT *, count(DISTINCT platform) OVER (PARTITION BY line_item_id) AS n_platforms FROM __metric)""")
        _exec(cur, "DROP TABLE __metric")
        # The budget column is the current budget: it holds from the last day the file covers.
        _exec(cur, """CREATE OR REPLACE TEMP TABLE __snap AS
            SELECT line_item_id, any_value(source_account_id) AS source_account_id, max(max_day) AS as_of,
                   arg_max(budget, date) AS daily_budget
            FROM (SELECT *, max(date) OVER () AS max_day FROM __staged) GROUP BY line_item_id
            HAVING arg_max(budget, date) IS NOT NULL""")
        upsert_budgets(cur, account_id, source, "__snap")
        _exec(cur, "DROP TABLE __snap")
        _finish_metric_file(cur, account_id, source, result)
        return result

    return load(db, name, digest, stage, account_id=account_id)


def _check_csv(cur: Cursor, name: str, plan) -> None:
    n, no_date, no_id, bad_num = _exec(cur, """SELECT count(*), count(*) FILTER (date IS NULL),
        count(*) FILTER (campaign_id IS NULL),
        count(*) FILTER (spend IS NULL OR impressions IS NULL) FROM __csvrows""").fetchone()
    if n == 0:
        raise _refuse(name, "the CSV holds no data rows")
    if no_date or no_id:
        line = _exec(cur, "SELECT min(line) FROM __csvrows WHERE date IS NULL OR campaign_id IS NULL").fetchone()[0]
        raise _refuse(name, f"line {line}: no readable date or campaign id ({no_date + no_id} row(s) like it)")
    spans = _exec(cur, "SELECT count(*) FROM __csvrows WHERE date_end IS NOT NULL AND date_end <> date").fetchone()[0]
    if spans:
        raise _refuse(name, f"{spans} row(s) cover several days; export with a breakdown by day")
    neg = _exec(cur, "SELECT min(line) FROM __csvrows WHERE spend < 0 OR impressions < 0 OR clicks < 0").fetchone()[0]
    if neg is not None:
        raise _refuse(name, f"line {neg}: a negative number")


# ---------------------------------------------------------------------- reads


def line_items(db: "Connection", account_id: str) -> "Any":
    """Every export-made line item with its platform ids, attributes and latest budget (a frame)."""
    with db.cursor() as cur:
        setup(cur)
        return _exec(cur, """
            SELECT m.campaign_id, m.source, m.line_item_id, m.source_account_id, m.platform, li.campaign_name,
                   li.objective, li.ad_type, li.bidding_strategy, li.age_min, li.age_max, li.gender, li.interests,
                   li.location, li.audience_known,
                   (SELECT arg_max(b.daily_budget, b.as_of) FROM export_budgets b WHERE b.account_id = m.account_id
                       AND b.source = m.source AND b.line_item_id = m.line_item_id) AS current_budget,
                   m.shared_budget
            FROM export_campaign_ids m LEFT JOIN export_line_items li ON li.account_id = m.account_id
                 AND li.source = m.source AND li.line_item_id = m.line_item_id
            WHERE m.account_id = $account ORDER BY m.campaign_id""", {"account": account_id}).df()


def shared_budgets(db: "Connection", account_id: str) -> dict[str, str]:
    """Each export-made line item that shares its budget with others: campaign_id -> the budget's key.

    A Meta ad set delivering on Facebook and Instagram is one line item per platform
    (``export_campaign_ids.shared_budget``); the key (``source:line_item_id``) is the ad set's,
    the same for its line items. A workspace with no export holds none.
    """
    with db.cursor() as cur:
        if not _exec(cur, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'export_campaign_ids' "
                          "AND NOT temporary").fetchone()[0]:
            return {}
        rows = _exec(cur, "SELECT campaign_id, source || ':' || line_item_id FROM export_campaign_ids "
                          "WHERE account_id = $account AND shared_budget ORDER BY campaign_id",
                     {"account": account_id}).fetchall()
    return {str(c): str(k) for c, k in rows}


def peek_csv(path: Path, *, header_line: int, delimiter: str, encoding: str, rows: int = 20) -> "Any":
    """The first rows of a CSV as text (the mapping step's preview)."""
    con = duckdb.connect(":memory:")
    try:
        enc = "utf-16" if encoding.startswith("utf-16") else "utf-8"
        return con.execute(f"SELECT * FROM read_csv($path, skip={int(header_line)}, header=true, "
                           f"delim={_lit(delimiter)}, all_varchar=true, null_padding=true, encoding='{enc}', "
                           f"strict_mode=false) LIMIT {int(rows)}", {"path": str(path)}).df()
    except duckdb.Error as exc:
        raise BadInputError(f"{path.name}: cannot be read as CSV ({str(exc).splitlines()[0][:160]}).") from exc
    finally:
        con.close()
