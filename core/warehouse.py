"""The DuckDB workspace: open, ingest, query with bound parameters, keep state.

All SQL of the workbench lives in this module. Capability modules read contract
tables as DataFrames (``campaigns()``, ``posts()``, ...), ask for the aggregates the
overview needs, and keep their own small state (acknowledged incidents, scores,
experiments) through ``save_state`` / ``load_state`` without writing SQL.

Ingest is one vectorised pass: DuckDB reads the file with every field as text,
a single ``SELECT`` casts each column and lists each record's violations, and the
good rows replace earlier rows with the same natural key, all in one transaction.
"""

from __future__ import annotations

import copy
import gzip
import json
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Iterator

import duckdb
import pandas as pd

from core import schema
from core.errors import AccountError, BadInputError, ValidationError, WorkbenchError, WorkspaceLockedError
from core.registry import file_sha256

SYSTEM_TABLES = ("ingest_log", "meta", "clients")
_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_MAX_VALUE_SHOWN = 40


# --------------------------------------------------------------------------- DDL

_AUDIENCE_TYPE = "STRUCT(age_min INTEGER, age_max INTEGER, gender VARCHAR, interests VARCHAR[], location VARCHAR)"

_STORAGE_TYPE = {
    "account": "VARCHAR",
    "string": "VARCHAR",
    "platform": "VARCHAR",
    "enum": "VARCHAR",
    "count": "BIGINT",
    "amount": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMPTZ",
    "int": "INTEGER",
    "audience": _AUDIENCE_TYPE,
}


def _ddl(table: schema.Table) -> str:
    cols = [f"{f.name} {_STORAGE_TYPE[f.kind]}" for f in table.fields]
    if table.name == "posts":
        # The offset written in published_at: best-time slots are in the poster's local time.
        cols.append("utc_offset_minutes INTEGER")
    return f"CREATE TABLE IF NOT EXISTS {table.name} ({', '.join(cols)})"


_SYSTEM_DDL = (
    """CREATE TABLE IF NOT EXISTS ingest_log (
        ingest_id BIGINT, file_name VARCHAR, sha256 VARCHAR, loaded_at TIMESTAMPTZ,
        table_name VARCHAR, rows_loaded BIGINT, rows_replaced BIGINT, rows_skipped BIGINT)""",
    f"ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS account_id VARCHAR DEFAULT '{schema.DEFAULT_ACCOUNT}'",
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value BIGINT)",
    "INSERT INTO meta VALUES ('data_version', 0) ON CONFLICT DO NOTHING",
    "INSERT INTO meta VALUES ('state_version', 0) ON CONFLICT DO NOTHING",
    # Per-client versions (``data_version:<id>``) are drawn from the global counter, so two
    # clients never share a version once written: caches keyed by version cannot mix them.
    f"INSERT INTO meta SELECT key || ':{schema.DEFAULT_ACCOUNT}', value FROM meta "
    "WHERE key IN ('data_version', 'state_version') ON CONFLICT DO NOTHING",
    "CREATE TABLE IF NOT EXISTS clients (account_id VARCHAR PRIMARY KEY, name VARCHAR, created_at TIMESTAMPTZ)",
)


# ----------------------------------------------------------------- SQL builders
#
# Ingest reads each contract field one of two ways: the strict path lets DuckDB's
# JSON reader cast straight to the working type (a bad value aborts the read), the
# detailed path reads text and casts with TRY_CAST so that every bad value can be
# named. Both then apply the same rules to the working values (``_rules``) and the
# same final casts to storage types (``_finalize``): one contract, two speeds.

_WORK_TYPE = {
    "account": "VARCHAR", "string": "VARCHAR", "platform": "VARCHAR", "enum": "VARCHAR", "count": "DOUBLE", "amount": "DOUBLE",
    "int": "DOUBLE", "date": "DATE", "datetime": "VARCHAR",
    "audience": "STRUCT(age_min DOUBLE, age_max DOUBLE, gender VARCHAR, interests VARCHAR[], location VARCHAR)",
}
_ACCOUNT_SQL_RE = "[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}"
_KIND_NAME = {"count": "a whole number", "amount": "a number", "int": "a whole number",
              "date": "a YYYY-MM-DD date", "datetime": "an ISO 8601 date-time"}
_DATETIME_RE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?$"


def _q(text: str) -> str:
    """A SQL string literal (only for names and reasons we write ourselves)."""
    return "'" + text.replace("'", "''") + "'"


def _shown(expr: str) -> str:
    """The offending value, cut short, for a reason string."""
    # A whole number parsed as DOUBLE reads as "60", not "60.0".
    return f"left(coalesce(regexp_replace(CAST({expr} AS VARCHAR), '\\.0$', ''), 'null'), {_MAX_VALUE_SHOWN})"


def _number_rules(label: str, v: str, kind: str, bounds: tuple[int, int] | None) -> list[tuple[str, str, str]]:
    rules = [(label, f"NOT isfinite({v})", f"'not a number: ' || {_shown(v)}")]
    if kind in ("count", "int"):
        rules.append((label, f"{v} <> floor({v})", f"'not a whole number: ' || {_shown(v)}"))
    if kind in ("count", "amount"):
        rules.append((label, f"{v} < 0", f"'negative: ' || {_shown(v)}"))
    if bounds:
        lo, hi = bounds
        rules.append((label, f"{v} < {lo} OR {v} > {hi}", f"'outside {lo}-{hi}: ' || {_shown(v)}"))
    return rules


def _rules(f: schema.Field, prefix: str = "") -> list[tuple[str, str, str]]:
    """(field label, bad-condition, reason) over the field's working value ``prefix + f.name``.

    Conditions assume the value is not NULL; missing values are handled by the callers.
    """
    v = prefix + f.name
    if f.kind in ("count", "amount", "int"):
        return _number_rules(f.name, v, f.kind, f.bounds)
    if f.kind == "account":
        return [(f.name, f"trim({v}) <> '' AND NOT regexp_full_match(trim({v}), '{_ACCOUNT_SQL_RE}')",
                 f"'not a client id: ' || {_shown(v)}")]
    if f.kind == "enum":
        allowed = ", ".join(_q(c) for c in f.choices)
        # The plain comparison first: clean exports skip the string functions.
        return [(f.name, f"{v} NOT IN ({allowed}) AND lower(trim({v})) NOT IN ({allowed})",
                 f"'not one of {'/'.join(f.choices)}: ' || {_shown(v)}")]
    if f.kind in ("string", "platform") and f.required:
        # Only a value that starts with whitespace (or is empty) can trim to nothing.
        return [(f.name, f"({v} = '' OR (ascii({v}) <= 32 AND trim({v}) = ''))", "'empty'")]
    if f.kind == "datetime":
        return [(f.name, f"NOT regexp_matches(trim({v}), '{_DATETIME_RE}') OR TRY_CAST(trim({v}) AS TIMESTAMPTZ) "
                         f"IS NULL", f"'not an ISO 8601 date-time: ' || {_shown(v)}")]
    if f.kind == "audience":
        rules: list[tuple[str, str, str]] = []
        for sub in schema.AUDIENCE_FIELDS:
            rules.append((f"audience.{sub}", f"{v}.{sub} IS NULL", "'missing'"))
        for sub in ("age_min", "age_max"):
            rules += _number_rules(f"audience.{sub}", f"{v}.{sub}", "int", (13, 100))
        rules.append(("audience.age_min", f"{v}.age_min > {v}.age_max",
                      f"'age_min above age_max: ' || {_shown(f'{v}.age_min')} || ' > ' || {_shown(f'{v}.age_max')}"))
        genders = ", ".join(_q(g) for g in schema.GENDERS)
        rules.append(("audience.gender", f"{v}.gender NOT IN ({genders}) AND lower(trim({v}.gender)) NOT IN ({genders})",
                      f"'not one of all/female/male: ' || {_shown(f'{v}.gender')}"))
        rules.append(("audience.location", f"trim({v}.location) = ''", "'empty'"))
        return rules
    return []


def _table_rules(t: schema.Table, prefix: str = "") -> list[tuple[str, str, str]]:
    out = [r for f in t.fields for r in _rules(f, prefix)]
    names = {n: prefix + n for n in t.field_names}
    out += [(r.field, r.sql.format(**names), _q(r.reason)) for r in t.rules]
    return out


def _account_expr(v: str, account: str | None) -> str:
    """The stored client of a row: the chosen client, else the file's, else the default."""
    if account is not None:
        return _q(schema.check_account_id(account))
    return f"coalesce(nullif(trim({v}), ''), {_q(schema.DEFAULT_ACCOUNT)})"


def _finalize(t: schema.Table, account: str | None = None) -> dict[str, str]:
    """Storage expression per stored column, from the working columns.

    ``account`` (the client chosen while ingesting) replaces whatever client the file names.
    """
    out: dict[str, str] = {}
    for f in t.fields:
        v = f.name
        if f.kind == "account":
            out[v] = _account_expr(v, account)
        elif f.kind == "platform" or f.kind == "enum":
            out[v] = f"lower(trim({v}))"
        elif f.kind in ("count", "int"):
            out[v] = f"CAST({v} AS {_STORAGE_TYPE[f.kind]})"
        elif f.kind == "datetime":
            out[v] = f"TRY_CAST(trim({v}) AS TIMESTAMPTZ)"
        elif f.kind == "audience":
            out[v] = (f"struct_pack(age_min := CAST({v}.age_min AS INTEGER), age_max := CAST({v}.age_max AS INTEGER), "
                      f"gender := lower(trim({v}.gender)), interests := {v}.interests, location := trim({v}.location))")
        else:
            out[v] = v
    if t.name == "posts":
        out["utc_offset_minutes"] = _OFFSET_SQL
    return out


_OFFSET_SQL = (
    "CASE WHEN regexp_matches(trim(published_at), '[zZ]$') THEN 0 "
    "WHEN regexp_matches(trim(published_at), '[+-]\\d{2}:?\\d{2}$') THEN "
    "(CASE WHEN regexp_extract(trim(published_at), '([+-])\\d{2}:?\\d{2}$', 1) = '-' THEN -1 ELSE 1 END) * "
    "(CAST(regexp_extract(trim(published_at), '[+-](\\d{2}):?(\\d{2})$', 1) AS INTEGER) * 60 + "
    "CAST(regexp_extract(trim(published_at), '[+-](\\d{2}):?(\\d{2})$', 2) AS INTEGER)) "
    "ELSE 0 END"
)


def _bad_condition(t: schema.Table) -> str:
    """True for a record (of working values) that breaks the contract: the strict path's check."""
    parts = [f"{f.name} IS NULL" for f in t.fields if f.required]
    parts += [f"coalesce({cond}, false)" for _, cond, _ in _table_rules(t)]
    return " OR ".join(f"({p})" for p in parts)


def _guarded_select(t: schema.Table, source: str, account: str | None = None) -> str:
    """Storage-typed columns from working values, raising on the first contract violation.

    Each stored column carries the rules about its own value, so one streaming
    pass reads, checks and converts; a violation aborts it (and the caller falls
    back to the detailed path, which names every bad record).
    """
    rules = _table_rules(t)
    cols = []
    for col, expr in _finalize(t, account).items():
        guards = [cond for label, cond, _ in rules if label.split(".")[0] == col]
        if col in t.field_names and t.get(col).required:
            guards.insert(0, f"{col} IS NULL")
        if guards:
            bad = " OR ".join(f"({g})" for g in guards)  # NULL (an absent optional value) reads as false
            expr = f"CASE WHEN {bad} THEN error('contract violation in {col}') ELSE {expr} END"
        storage = _STORAGE_TYPE[t.get(col).kind] if col in t.field_names else "INTEGER"
        cols.append(f"CAST({expr} AS {storage}) AS {col}")
    return f"SELECT {', '.join(cols)} FROM {source}"


def _text_to_work(f: schema.Field, src: str) -> str:
    """The detailed path's cast of a text (or JSON) field to its working type; NULL when it fails."""
    if f.kind in ("count", "amount", "int"):
        return f"TRY_CAST(trim({src}) AS DOUBLE)"
    if f.kind == "date":
        return (f"CASE WHEN regexp_full_match(trim({src}), '\\d{{4}}-\\d{{2}}-\\d{{2}}') "
                f"THEN TRY_CAST(trim({src}) AS DATE) END")
    if f.kind == "audience":
        def sub(n: str) -> str:
            return f"({src}->>'{n}')"
        interests = f"({src}->'interests')"
        return (f"CASE WHEN json_type({src}) = 'OBJECT' THEN struct_pack("
                f"age_min := TRY_CAST(trim({sub('age_min')}) AS DOUBLE), "
                f"age_max := TRY_CAST(trim({sub('age_max')}) AS DOUBLE), gender := {sub('gender')}, "
                f"interests := CASE WHEN json_type({interests}) = 'ARRAY' THEN TRY_CAST({interests} AS VARCHAR[]) END, "
                f"location := {sub('location')}) END")
    return src


def _validate_select(t: schema.Table, raw: str) -> str:
    """One SELECT over raw text records: working values plus the list of every violation."""
    work = [f"{f.name} := {_text_to_work(f, f.name)}" for f in t.fields]
    problems: list[str] = []
    for f in t.fields:
        missing = "'missing'" if f.required else "NULL"
        if f.kind == "audience":
            # Sub-field problems: missing vs not parseable, before the shared rules.
            reason = (f"CASE WHEN {f.name} IS NULL THEN {missing} WHEN json_type({f.name}) <> 'OBJECT' "
                      f"THEN 'not an object' END")
            problems.append(f"{{'field': 'audience', 'reason': {reason}}}")
            for sub in schema.AUDIENCE_FIELDS:
                text = f"({f.name}->{_q(sub)})"
                work_sub = f"__w.{f.name}.{sub}"
                kind = "a whole number" if sub.startswith("age") else (
                    "an array of strings" if sub == "interests" else "a string")
                reason = (f"CASE WHEN json_type({f.name}) <> 'OBJECT' THEN NULL WHEN {text} IS NULL OR "
                          f"json_type({text}) = 'NULL' THEN 'missing' WHEN {work_sub} IS NULL THEN "
                          f"'not {kind}: ' || {_shown(text)} END")
                problems.append(f"{{'field': {_q('audience.' + sub)}, 'reason': {reason}}}")
        elif f.kind in _KIND_NAME:
            reason = (f"CASE WHEN {f.name} IS NULL THEN {missing} WHEN __w.{f.name} IS NULL THEN "
                      f"'not {_KIND_NAME[f.kind]}: ' || {_shown(f.name)} END")
            problems.append(f"{{'field': {_q(f.name)}, 'reason': {reason}}}")
        elif f.required:
            problems.append(f"{{'field': {_q(f.name)}, 'reason': CASE WHEN {f.name} IS NULL THEN 'missing' END}}")
    for label, cond, reason in _table_rules(t, "__w."):
        problems.append(f"{{'field': {_q(label)}, 'reason': CASE WHEN coalesce({cond}, false) THEN {reason} END}}")
    plist = ", ".join(problems)
    fields = ", ".join(f"__w.{f.name} AS {f.name}" for f in t.fields)
    return (f"SELECT __idx, {fields}, list_filter([{plist}], lambda p: p.reason IS NOT NULL) AS __problems "
            f"FROM (SELECT *, struct_pack({', '.join(work)}) AS __w FROM {raw})")


def _read_columns(table: schema.Table, *, strict: bool) -> dict[str, str]:
    if strict:
        return {f.name: _WORK_TYPE[f.kind] for f in table.fields}
    return {f.name: ("JSON" if f.kind == "audience" else "VARCHAR") for f in table.fields}


def _read_json_sql(table: schema.Table, sniff: "_Sniff", *, strict: bool) -> str:
    """DuckDB's reader over ``$path``: working types (strict) or every field as text."""
    cols = _read_columns(table, strict=strict)
    colspec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in cols.items()) + "}"
    fmt = "array" if sniff.layout == "array" else "newline_delimited"
    comp = "gzip" if sniff.gzip else "none"
    # A larger object size makes the reader use larger, fewer buffers: the fast path keeps
    # DuckDB's default (16 MB a record), the detailed path accepts giant records too.
    size = "" if strict else ", maximum_object_size=67108864"
    return f"read_json($path, format='{fmt}', compression='{comp}', columns={colspec}{size})"


class _DetailedPath(Exception):
    """The strict path met something only the detailed path reports well."""


# ------------------------------------------------------------------ file sniffing


@dataclass
class _Sniff:
    gzip: bool
    layout: str  # 'array' | 'ndjson' | 'object'
    first_keys: list[str]


def _open_text(path: Path, is_gzip: bool):
    return gzip.open(path, "rt", encoding="utf-8", errors="replace") if is_gzip else open(
        path, "r", encoding="utf-8", errors="replace")


def _sniff(path: Path, name: str) -> _Sniff:
    size = path.stat().st_size
    if size == 0:
        raise BadInputError(f"{name}: the file is empty (0 bytes).", "Empty file")
    with open(path, "rb") as fh:
        magic = fh.read(2)
    is_gzip = magic == b"\x1f\x8b"
    try:
        with _open_text(path, is_gzip) as fh:
            head = fh.read(65536)
    except (OSError, EOFError) as exc:
        raise BadInputError(f"{name}: cannot be read as gzip ({exc}).", "Unreadable file") from exc
    text = head.lstrip("\ufeff \t\r\n")
    if not text:
        raise BadInputError(f"{name}: the file holds only whitespace, no JSON.", "Empty file")
    first = text[0]
    if first == "[":
        if re.match(r"\[\s*\]\s*$", text):
            raise BadInputError(f"{name}: the file holds no records (an empty array).", "Empty file")
        keys: list[str] = []
        m = re.match(r"\[\s*(\{.*?\})\s*[,\]]", text, re.S)
        if m:
            try:
                keys = list(json.loads(m.group(1)))
            except ValueError:
                keys = re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:', m.group(1))
        else:
            keys = re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:', text[:4096])
        return _Sniff(is_gzip, "array", keys)
    if first != "{":
        shown = text[:20].replace("\n", " ")
        raise BadInputError(
            f"{name}: not JSON: it starts with {shown!r}; expected a JSON object, a JSON array or NDJSON.",
            "Not a JSON file")
    line = text.split("\n", 1)[0].strip()
    try:
        obj = json.loads(line)
    except ValueError:
        obj = None
    # One line holding a whole object of arrays is a workspace file, not a record.
    looks_like_workspace = isinstance(obj, dict) and (
        set(obj) & set(schema.TABLE_NAMES)
        or (schema.guess_table(obj) is None and obj and all(isinstance(v, list) for v in obj.values())))
    if isinstance(obj, dict) and not looks_like_workspace:
        return _Sniff(is_gzip, "ndjson", list(obj))
    return _Sniff(is_gzip, "object", [])


def _locate_json_error(path: Path, is_gzip: bool, layout: str) -> str | None:
    """Where a file stops being valid JSON (None if it is valid); only runs on failure paths."""
    with _open_text(path, is_gzip) as fh:
        if layout == "ndjson":
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError as exc:
                    return f"line {lineno}: malformed JSON ({exc.msg} at column {exc.colno})"
                if not isinstance(rec, dict):
                    return f"line {lineno}: a record must be a JSON object"
            return None
        try:
            doc = json.load(fh)
        except ValueError as exc:
            return f"line {exc.lineno}, column {exc.colno}: malformed or truncated JSON ({exc.msg})"
    if layout == "array" and isinstance(doc, list):
        for i, rec in enumerate(doc):
            if not isinstance(rec, dict):
                return f"record {i}: a record must be a JSON object, got {type(rec).__name__}"
    return None


# ---------------------------------------------------------------------- reports


@dataclass
class IngestReport:
    """What one ingest did, in the shape of the CLI contract."""

    loaded: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def merge(self, other: "IngestReport") -> "IngestReport":
        for k, v in other.loaded.items():
            self.loaded[k] = self.loaded.get(k, 0) + v
        for k, v in other.replaced.items():
            self.replaced[k] = self.replaced.get(k, 0) + v
        self.skipped.extend(other.skipped)
        self.warnings.extend(other.warnings)
        self.files.extend(other.files)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"loaded": dict(self.loaded), "replaced": dict(self.replaced), "skipped": list(self.skipped),
                "warnings": list(self.warnings)}


def _violation_message(name: str, violations: pd.DataFrame, total: int) -> str:
    first = violations.iloc[0]
    where = f"record {first['index']}" + (f" (line {first['line']})" if pd.notna(first.get("line")) else "")
    more = f"; {total - 1} more problem(s) listed" if total > 1 else ""
    return f"{name}: {where}, field {first['field']}: {first['reason']}{more}. Nothing from this file was loaded."


# -------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filters:
    """The shared sidebar filter: a date range, platforms and objectives (empty = all)."""

    start: date | None = None
    end: date | None = None
    platforms: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ()

    def shifted_back(self) -> "Filters":
        """The previous period of equal length (for change-against tiles)."""
        if self.start is None or self.end is None:
            return self
        days = (self.end - self.start).days + 1
        return Filters(self.start - pd.Timedelta(days=days), self.start - pd.Timedelta(days=1),
                       self.platforms, self.objectives)


def _where(filters: Filters | None, date_col: str | None, *, objectives: bool = True,
           account: str | None = None) -> tuple[str, dict[str, Any]]:
    f = filters or Filters()
    clauses, params = ["TRUE"], {}
    if account is not None:
        clauses.append("account_id = $account")
        params["account"] = account
    if f.start is not None:
        clauses.append(f"CAST({date_col} AS DATE) >= $start")
        params["start"] = f.start
    if f.end is not None:
        clauses.append(f"CAST({date_col} AS DATE) <= $end")
        params["end"] = f.end
    if f.platforms:
        clauses.append("platform IN (SELECT unnest($platforms))")
        params["platforms"] = [p.lower() for p in f.platforms]
    if objectives and f.objectives:
        clauses.append("objective IN (SELECT unnest($objectives))")
        params["objectives"] = [o.lower() for o in f.objectives]
    return " AND ".join(clauses), params


_SUMS = ("sum(spend) AS spend, sum(impressions) AS impressions, sum(clicks) AS clicks, "
         "sum(leads) AS leads, sum(conversions) AS conversions, sum(revenue) AS revenue")

BREAKDOWNS = {
    "platform": ["platform"],
    "ad_type": ["ad_type"],
    "bidding_strategy": ["bidding_strategy"],
    "campaign": ["campaign_id", "campaign_name", "platform"],
    "objective": ["objective"],
}


# -------------------------------------------------------------------- warehouse


class Warehouse:
    """One DuckDB workspace, on disk or in memory.

    Use :meth:`open` for the persistent file (one process owns it) and
    :meth:`in_memory` for commands given ``--data`` and for tests.

    Examples
    --------
    >>> wh = Warehouse.in_memory()
    >>> wh.data_version
    0
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self._con = con
        self.path = path
        self._lock = threading.RLock()
        # The client this view reads and writes; None: the workspace's only client (see :meth:`account`).
        self._account: str | None = None
        self._setup()

    # ---- clients

    def for_account(self, account: str | None) -> "Warehouse":
        """A view of the same workspace that reads and writes only ``account``'s rows and state.

        It shares the connection (and its lock); ``None`` gives the unscoped view back.
        """
        view = copy.copy(self)
        view._account = None if account is None else schema.check_account_id(account)
        return view

    @property
    def account(self) -> str:
        """The client this view works on: the chosen one, else the workspace's only one.

        Raises :class:`AccountError` naming the clients when the workspace holds several
        and none was chosen.
        """
        if self._account is not None:
            return self._account
        ids = self.accounts()
        if len(ids) > 1:
            raise AccountError(f"The workspace holds {len(ids)} clients ({', '.join(ids)}); "
                               "choose one with --account ID.")
        return ids[0] if ids else schema.DEFAULT_ACCOUNT

    def accounts(self) -> list[str]:
        """Every client id in the workspace, in order."""
        with self._cursor() as cur:
            return [r[0] for r in cur.execute("SELECT account_id FROM clients ORDER BY account_id").fetchall()]

    def clients(self) -> pd.DataFrame:
        """The client registry with each client's campaign-day count (for the Data page)."""
        return self._df(
            "SELECT c.account_id, c.name, c.created_at, coalesce(n.rows, 0) AS campaign_days FROM clients c "
            "LEFT JOIN (SELECT account_id, count(*) AS rows FROM campaigns GROUP BY account_id) n "
            "USING (account_id) ORDER BY c.account_id")

    def add_client(self, account: str, name: str | None = None) -> str:
        """Register a new, empty client; returns its id."""
        account = schema.check_account_id(account)
        with self._lock, self._cursor() as cur:
            if cur.execute("SELECT count(*) FROM clients WHERE account_id = $a", {"a": account}).fetchone()[0]:
                raise AccountError(f"A client {account!r} exists already.", "Client exists")
            cur.execute("BEGIN TRANSACTION")
            cur.execute("INSERT INTO clients VALUES ($a, $n, now())", {"a": account, "n": (name or account).strip()})
            self._bump(cur, "data_version", [account])
            self._bump(cur, "state_version", [account])
            cur.execute("COMMIT")
        return account

    def rename_client(self, account: str, name: str) -> None:
        """Give a client a new display name (its id, which the rows carry, stays)."""
        if not name.strip():
            raise AccountError("A client needs a name.", "Client name")
        with self._lock, self._cursor() as cur:
            self._require_client(cur, account)
            cur.execute("UPDATE clients SET name = $n WHERE account_id = $a", {"a": account, "n": name.strip()})

    def delete_client(self, account: str) -> dict[str, int]:
        """Delete a client: its rows in every table, its state, its ingest history and its entry."""
        with self._lock, self._cursor() as cur:
            self._require_client(cur, account)
            cur.execute("BEGIN TRANSACTION")
            try:
                removed = self._delete_account_rows(cur, account)
                cur.execute("DELETE FROM clients WHERE account_id = $a", {"a": account})
                cur.execute("DELETE FROM meta WHERE key IN ($d, $s)",
                            {"d": f"data_version:{account}", "s": f"state_version:{account}"})
                cur.execute("UPDATE meta SET value = value + 1 WHERE key IN ('data_version', 'state_version')")
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return removed

    def client_name(self, account: str) -> str:
        with self._cursor() as cur:
            row = cur.execute("SELECT name FROM clients WHERE account_id = $a", {"a": account}).fetchone()
        return row[0] if row else account

    def _require_client(self, cur, account: str) -> None:
        if not cur.execute("SELECT count(*) FROM clients WHERE account_id = $a", {"a": account}).fetchone()[0]:
            raise AccountError(f"No client {account!r} in this workspace.", "Unknown client")

    def _delete_account_rows(self, cur, account: str) -> dict[str, int]:
        removed = {}
        for t in (*schema.TABLE_NAMES, "ingest_log", *self.state_tables()):
            if t not in schema.TABLES and t != "ingest_log" and not self._has_account_column(cur, t):
                continue
            removed[t] = int(cur.execute(f"SELECT count(*) FROM {t} WHERE account_id = $a",
                                         {"a": account}).fetchone()[0])
            cur.execute(f"DELETE FROM {t} WHERE account_id = $a", {"a": account})
        return removed

    def _register_clients(self, cur, source: str | None, account: str | None) -> list[str]:
        """Add the clients of freshly written rows to the registry; returns them."""
        if account is not None:
            ids = [account]
        else:
            ids = [r[0] for r in cur.execute(f"SELECT DISTINCT account_id FROM {source}").fetchall()]
        for a in ids:
            cur.execute("INSERT INTO clients VALUES ($a, $a, now()) ON CONFLICT DO NOTHING", {"a": a})
        return ids

    def _bump(self, cur, kind: str, accounts: Iterable[str]) -> None:
        """Bump the global version once per client written, and give each client its new number."""
        for a in accounts:
            cur.execute("UPDATE meta SET value = value + 1 WHERE key = $k", {"k": kind})
            cur.execute("INSERT INTO meta SELECT $ak, value FROM meta WHERE key = $k "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", {"k": kind, "ak": f"{kind}:{a}"})

    # ---- opening

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> "Warehouse":
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WorkspaceLockedError(
                    f"The workspace {path} is held by another process (the workbench is running). "
                    "Stop it, or give the command --data FILE to work on files in memory.") from exc
            raise WorkbenchError(f"Cannot open the workspace {path}: {exc}", "Cannot open workspace") from exc
        return cls(con, path)

    @classmethod
    def in_memory(cls) -> "Warehouse":
        return cls(duckdb.connect(":memory:"), None)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path], *, skip_bad: bool = False,
                   account: str | None = None) -> "Warehouse":
        """A fresh in-memory warehouse holding exactly these contract files (as ``account``'s, if given)."""
        wh = cls.in_memory()
        for p in paths:
            wh.ingest(p, skip_bad=skip_bad, account=account)
        return wh

    def close(self) -> None:
        self._con.close()

    def checkpoint(self) -> None:
        """Write the write-ahead log into the database file."""
        with self._cursor() as cur:
            cur.execute("CHECKPOINT")

    def _setup(self) -> None:
        with self._cursor() as cur:
            cur.execute("SET TimeZone = 'UTC'")
            for t in schema.TABLES.values():
                cur.execute(_ddl(t))
            fresh = "clients" not in {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            for ddl in _SYSTEM_DDL:
                cur.execute(ddl)
            if fresh and not cur.execute("SELECT count(*) FROM meta WHERE key = 'data_version' AND value > 0"
                                         ).fetchone()[0]:
                return
            if fresh:
                self._migrate_to_clients(cur)

    def _migrate_to_clients(self, cur) -> None:
        """A workspace from before clients: every row and state row belongs to the default client."""
        for t in schema.TABLE_NAMES:
            cur.execute(f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS account_id VARCHAR "
                        f"DEFAULT {_q(schema.DEFAULT_ACCOUNT)}")
        for t in self.state_tables():
            self._ensure_account_column(cur, t)
        union = " UNION ".join(f"SELECT DISTINCT account_id FROM {t}" for t in schema.TABLE_NAMES)
        cur.execute(f"INSERT INTO clients SELECT account_id, account_id, now() FROM ({union}) "
                    "ON CONFLICT DO NOTHING")

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # A fresh cursor per query: a streaming result on one cursor blocks the next query.
        cur = self._con.cursor()
        try:
            cur.execute("SET TimeZone = 'UTC'")
            yield cur
        except duckdb.Error as exc:
            raise WorkbenchError(f"The workspace query failed: {exc}", "Workspace error") from exc
        finally:
            cur.close()

    def _df(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        with self._cursor() as cur:
            return cur.execute(sql, params or {}).df()

    # ---- versions and counts

    def _meta(self, key: str) -> int:
        with self._cursor() as cur:
            row = cur.execute("SELECT value FROM meta WHERE key = $k", {"k": key}).fetchone()
        return int(row[0]) if row else 0

    def _version(self, kind: str) -> int:
        if self._account is None:
            return self._meta(kind)
        return self._meta(f"{kind}:{self._account}")

    @property
    def data_version(self) -> int:
        """Bumped by every write to the contract tables; caches key on it.

        A client's view gives that client's version: numbers come from one counter, so
        two clients' versions differ once either was written (caches never mix them).
        """
        return self._version("data_version")

    @property
    def state_version(self) -> int:
        """Bumped by every write to capability state tables (per client, as ``data_version``)."""
        return self._version("state_version")

    def counts(self) -> dict[str, int]:
        """Rows per contract table of this client."""
        account = self.account
        with self._cursor() as cur:
            return {t: int(cur.execute(f"SELECT count(*) FROM {t} WHERE account_id = $a", {"a": account}
                                       ).fetchone()[0]) for t in schema.TABLE_NAMES}

    def is_empty(self) -> bool:
        """No rows for this client (for the unscoped view: none at all)."""
        if self._account is not None:
            return sum(self.counts().values()) == 0
        with self._cursor() as cur:
            return not any(cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in schema.TABLE_NAMES)

    # ---- ingest

    def ingest(self, path: str | Path, *, name: str | None = None, table: str | None = None,
               skip_bad: bool = False, account: str | None = None) -> IngestReport:
        """Load one contract file; all of it or none of it unless ``skip_bad``.

        Rows go to ``account`` (or this view's client): the client chosen while ingesting
        replaces the one a file names. Without either, each row keeps its file's
        ``account_id`` (``default`` when it has none).

        Raises :class:`ValidationError` (with every violation) when a record breaks
        the contract and ``skip_bad`` is false, :class:`BadInputError` when the file
        is not JSON of the contract's shape. The warehouse is unchanged on error.
        """
        path = Path(path)
        name = name or path.name
        if table is not None and table not in schema.TABLES:
            raise BadInputError(f"Unknown table {table!r}; choose one of {', '.join(schema.TABLE_NAMES)}.")
        if not path.exists():
            raise BadInputError(f"{name}: no such file.", "File not found")
        account = schema.check_account_id(account) if account is not None else self._account
        sniff = _sniff(path, name)
        # Hash the file while DuckDB reads it: on a big file this hides most of its cost.
        with ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(file_sha256, path)
            return self._ingest_locked(path, name, sniff, table, digest, skip_bad, account)

    def _ingest_locked(self, path: Path, name: str, sniff: _Sniff, table: str | None, digest: "Future[str]",
                       skip_bad: bool, account: str | None) -> IngestReport:
        with self._lock, self._cursor() as cur:
            if sniff.layout != "object":
                fast = self._ingest_strict(cur, path, name, sniff, table, digest, account)
                if fast is not None:
                    return fast
            return self._ingest_detailed(cur, path, name, sniff, table, digest, skip_bad, account)

    def _log(self, cur, name: str, digest: "Future[str]", table: str, loaded: int, replaced: int,
             skipped: int, accounts: list[str]) -> None:
        cur.execute(
            "INSERT INTO ingest_log SELECT coalesce(max(ingest_id), 0) + 1, $f, $h, now(), $t, $l, $r, $s, $a "
            "FROM ingest_log",
            {"f": name, "h": digest.result(), "t": table, "l": loaded, "r": replaced, "s": skipped,
             "a": ",".join(accounts) or schema.DEFAULT_ACCOUNT})

    def _ingest_strict(self, cur, path: Path, name: str, sniff: _Sniff, table: str | None,
                       digest: "Future[str]", account: str | None = None) -> IngestReport | None:
        """The fast path for a clean table file; None sends the file down the detailed path.

        DuckDB's reader casts every field to its working type (a bad value aborts the
        read) and each column is guarded by the contract's rules, so a clean file costs
        about one read. An empty table is rebuilt in one streaming statement; otherwise
        the rows are staged and merge by key. Any problem falls back to the detailed path.
        """
        tname = table or schema.guess_table(sniff.first_keys)
        if tname is None:
            return None
        t = schema.TABLES[tname]
        keys = ", ".join(t.keys)
        select = _guarded_select(t, _read_json_sql(t, sniff, strict=True), account)
        params = {"path": str(path)}
        cur.execute("BEGIN TRANSACTION")
        try:
            empty = cur.execute(f"SELECT count(*) = 0 FROM {tname}").fetchone()[0]
            target = tname if empty else f"__staged_{tname}"
            if empty:
                cur.execute(f"CREATE OR REPLACE TABLE {tname} AS {select}", params)
            else:
                cur.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS {select}", params)
            # Hash collisions can only send a clean file down the slow path, never corrupt it.
            n, distinct = cur.execute(f"SELECT count(*), count(DISTINCT hash({keys})) FROM {target}").fetchone()
            if n == 0 or n != distinct:
                raise _DetailedPath
            accounts = self._register_clients(cur, target, account)
            loaded, replaced = (int(n), 0) if empty else self._merge(cur, t, target)
            if not empty:
                cur.execute(f"DROP TABLE {target}")
            self._log(cur, name, digest, tname, loaded, replaced, 0, accounts)
            self._bump(cur, "data_version", accounts)
            cur.execute("COMMIT")
        except (duckdb.Error, _DetailedPath):
            cur.execute("ROLLBACK")
            return None
        return IngestReport(loaded={tname: loaded}, replaced={tname: replaced}, files=[name])

    def _ingest_detailed(self, cur, path: Path, name: str, sniff: _Sniff, table: str | None, digest: "Future[str]",
                         skip_bad: bool, account: str | None = None) -> IngestReport:
        """Validate every record, list every violation, load all or (with skip_bad) the good ones."""
        report = IngestReport(files=[name])
        cur.execute("BEGIN TRANSACTION")
        try:
            raws = self._stage_raw(cur, path, name, sniff, table, report)
            all_violations = []
            staged = []
            for tname, raw in raws:
                t = schema.TABLES[tname]
                cur.execute(f"CREATE OR REPLACE TEMP TABLE __staged_{tname} AS {_validate_select(t, raw)}")
                bad = cur.execute(
                    f"SELECT __idx AS index, p.field AS field, p.reason AS reason FROM "
                    f"(SELECT __idx, unnest(__problems) AS p FROM __staged_{tname} WHERE len(__problems) > 0) "
                    f"ORDER BY __idx").df()
                if len(bad):
                    bad.insert(0, "table", tname)
                    bad.insert(0, "file", name)
                    bad["line"] = bad["index"] + 1 if sniff.layout == "ndjson" else pd.NA
                    all_violations.append(bad)
                staged.append(t)
            violations = pd.concat(all_violations, ignore_index=True) if all_violations else None
            if violations is not None and not skip_bad:
                raise ValidationError(_violation_message(name, violations, len(violations)), violations)
            if violations is not None:
                report.skipped = [
                    {"file": r.file, "index": int(r.index), "field": r.field, "reason": r.reason,
                     "table": r.table}
                    for r in violations.itertuples(index=False)]
            touched: set[str] = set()
            for t in staged:
                loaded, replaced, accounts = self._merge_staged(cur, t, account)
                report.loaded[t.name] = report.loaded.get(t.name, 0) + loaded
                report.replaced[t.name] = report.replaced.get(t.name, 0) + replaced
                if loaded or replaced:
                    touched.update(accounts)
                skipped_rows = 0 if violations is None else int(
                    violations.loc[violations["table"] == t.name, "index"].nunique())
                self._log(cur, name, digest, t.name, loaded, replaced, skipped_rows, accounts)
            self._bump(cur, "data_version", sorted(touched))
            for t in staged:
                cur.execute(f"DROP TABLE IF EXISTS __staged_{t.name}")
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return report

    def _stage_raw(self, cur, path: Path, name: str, sniff: _Sniff, table: str | None,
                   report: IngestReport) -> list[tuple[str, str]]:
        """Create raw all-text temp tables; return (table name, raw relation) pairs."""
        comp = "gzip" if sniff.gzip else "none"
        params = {"path": str(path)}
        try:
            if sniff.layout == "object":
                size = max(path.stat().st_size * (12 if sniff.gzip else 1), 16 * 2**20)
                cur.execute(
                    f"CREATE OR REPLACE TEMP TABLE __doc AS SELECT json FROM read_json_objects($path, "
                    f"format='unstructured', compression='{comp}', maximum_object_size={int(size) + 1024})",
                    params)
                rows = cur.execute("SELECT json_type(json), json_keys(json) FROM __doc").fetchall()
                if len(rows) != 1 or rows[0][0] != "OBJECT":
                    raise BadInputError(f"{name}: expected one workspace object with table arrays.")
                keys = rows[0][1] or []
                unknown = [k for k in keys if k not in schema.TABLES]
                if unknown:
                    report.warnings.append(f"{name}: unknown top-level key(s) ignored: {', '.join(unknown)}")
                present = [k for k in keys if k in schema.TABLES]
                if table is not None:
                    present = [k for k in present if k == table]
                if not present:
                    raise BadInputError(
                        f"{name}: the workspace object has none of the tables "
                        f"{', '.join(schema.TABLE_NAMES)}.", "Nothing to load")
                out = []
                for tname in present:
                    kind = cur.execute(f"SELECT json_type(json->'{tname}') FROM __doc").fetchone()[0]
                    if kind != "ARRAY":
                        raise BadInputError(f"{name}: {tname} must be an array of records, got {kind}.")
                    fields = _read_columns(schema.TABLES[tname], strict=False)
                    proj = ", ".join(
                        f"(rec->'{f}') AS {f}" if typ == "JSON" else f"(rec->>'{f}') AS {f}"
                        for f, typ in fields.items())
                    cur.execute(
                        f"CREATE OR REPLACE TEMP TABLE __raw_{tname} AS SELECT __idx, {proj} FROM ("
                        f"SELECT unnest(l) AS rec, unnest(range(len(l))) AS __idx FROM "
                        f"(SELECT CAST(json->'{tname}' AS JSON[]) AS l FROM __doc))")
                    bad_rec = cur.execute(
                        f"SELECT min(__idx) FROM (SELECT unnest(l) AS rec, unnest(range(len(l))) AS __idx FROM "
                        f"(SELECT CAST(json->'{tname}' AS JSON[]) AS l FROM __doc)) WHERE json_type(rec) <> 'OBJECT'"
                    ).fetchone()[0]
                    if bad_rec is not None:
                        raise BadInputError(f"{name}: {tname} record {bad_rec}: a record must be a JSON object.")
                    out.append((tname, f"__raw_{tname}"))
                cur.execute("DROP TABLE IF EXISTS __doc")
                return out
            tname = table or schema.guess_table(sniff.first_keys)
            if tname is None:
                problem = _locate_json_error(path, sniff.gzip, sniff.layout)
                if problem:
                    raise BadInputError(f"{name}: {problem}. Nothing from this file was loaded.", "Malformed JSON")
                raise BadInputError(
                    f"{name}: cannot tell which table these records belong to (keys: "
                    f"{', '.join(sniff.first_keys[:8]) or 'none'}); name it with --table.", "Unknown table")
            cur.execute(
                f"CREATE OR REPLACE TEMP TABLE __raw_{tname} AS SELECT row_number() OVER () - 1 AS __idx, * "
                f"FROM {_read_json_sql(schema.TABLES[tname], sniff, strict=False)}", params)
            n = cur.execute(f"SELECT count(*) FROM __raw_{tname}").fetchone()[0]
            if n == 0:
                raise BadInputError(f"{name}: the file holds no records.", "Empty file")
            return [(tname, f"__raw_{tname}")]
        except duckdb.Error as exc:
            where = _locate_json_error(path, sniff.gzip, sniff.layout) or f"cannot be read ({exc})"
            raise BadInputError(f"{name}: {where}. Nothing from this file was loaded.",
                                "Malformed JSON") from exc

    def _merge(self, cur, t: schema.Table, source: str) -> tuple[int, int]:
        """Replace rows by natural key with ``source``'s rows (storage values); return (new, replaced)."""
        cols = exprs = ", ".join(_finalize(t))
        replaced = 0
        if cur.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]:
            match = " AND ".join(f"{t.name}.{k} = s.{k}" for k in t.keys)
            replaced = cur.execute(
                f"SELECT count(*) FROM {t.name} WHERE EXISTS (SELECT 1 FROM {source} s WHERE {match})").fetchone()[0]
            if replaced:
                cur.execute(f"DELETE FROM {t.name} WHERE EXISTS (SELECT 1 FROM {source} s WHERE {match})")
        inserted = cur.execute(f"INSERT INTO {t.name} ({cols}) SELECT {exprs} FROM {source}").fetchone()[0]
        return int(inserted) - int(replaced), int(replaced)

    def _merge_staged(self, cur, t: schema.Table, account: str | None = None) -> tuple[int, int, list[str]]:
        """Merge the detailed path's good rows; within a file the last record for a key wins.

        Rows are brought to storage values first, so that keys compare as stored (a file's
        missing ``account_id`` is the default client, the chosen client replaces the file's).
        """
        storage = _finalize(t, account)
        keys = ", ".join(t.keys)
        final = ", ".join(f"{e} AS {c}" for c, e in storage.items())
        cur.execute(f"CREATE OR REPLACE TEMP TABLE __final_{t.name} AS SELECT __idx, {final} "
                    f"FROM __staged_{t.name} WHERE len(__problems) = 0")
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE __good_{t.name} AS SELECT * EXCLUDE (__idx) FROM __final_{t.name} "
            f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY __idx DESC) = 1")
        cur.execute(f"DROP TABLE __final_{t.name}")
        accounts = self._register_clients(cur, f"__good_{t.name}", account)
        loaded, replaced = self._merge(cur, t, f"__good_{t.name}")
        cur.execute(f"DROP TABLE IF EXISTS __good_{t.name}")
        cur.execute(f"DROP TABLE IF EXISTS __raw_{t.name}")
        return loaded, replaced, accounts

    def ingest_records(self, table: str, records: list[dict[str, Any]], *, name: str = "records",
                       skip_bad: bool = False, account: str | None = None) -> IngestReport:
        """Ingest records given in memory (importers, tests) through the same checks."""
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / f"{table}.json"
            p.write_text(json.dumps(records, default=str))
            return self.ingest(p, name=name, table=table, skip_bad=skip_bad, account=account)

    def ingest_history(self) -> pd.DataFrame:
        """This client's ingests, newest first (a file of several clients counts for each)."""
        return self._df("SELECT * EXCLUDE (account_id) FROM ingest_log "
                        "WHERE list_contains(string_split(account_id, ','), $a) ORDER BY ingest_id DESC, table_name",
                        {"a": self.account})

    def reset(self) -> None:
        """Empty the workspace: with a client chosen, that client's rows and state; else everything."""
        with self._lock, self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                if self._account is not None:
                    self._delete_account_rows(cur, self._account)
                    accounts = [self._account]
                else:
                    for t in schema.TABLE_NAMES:
                        cur.execute(f"DELETE FROM {t}")
                    cur.execute("DELETE FROM ingest_log")
                    for t in self.state_tables():
                        cur.execute(f"DROP TABLE IF EXISTS {t}")
                    cur.execute("DELETE FROM clients")
                    cur.execute("DELETE FROM meta WHERE contains(key, ':')")
                    accounts = [schema.DEFAULT_ACCOUNT]
                self._bump(cur, "data_version", accounts)
                self._bump(cur, "state_version", accounts)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    # ---- contract tables as frames

    def campaigns(self, filters: Filters | None = None) -> pd.DataFrame:
        """Campaign-days with the audience flattened and a readable ``audience_label``."""
        where, params = _where(filters, "date", account=self.account)
        df = self._df(
            "SELECT date, platform, campaign_id, campaign_name, objective, ad_type, bidding_strategy, "
            "audience.age_min AS age_min, audience.age_max AS age_max, audience.gender AS gender, "
            "audience.interests AS interests, audience.location AS location, daily_budget, spend, "
            "impressions, clicks, leads, conversions, revenue, coalesce(currency, 'USD') AS currency "
            f"FROM campaigns WHERE {where} ORDER BY campaign_id, date", params)
        df["date"] = pd.to_datetime(df["date"])
        df["interests"] = df["interests"].map(lambda v: tuple(v) if v is not None else ())
        df["audience"] = [schema.audience_label(*a) for a in zip(
            df["age_min"], df["age_max"], df["gender"], df["location"], df["interests"])]
        return df

    def posts(self, filters: Filters | None = None) -> pd.DataFrame:
        """Posts with ``local_time``: the wall-clock time in the offset they were published in."""
        where, params = _where(filters, "published_at", objectives=False, account=self.account)
        df = self._df(
            "SELECT post_id, platform, published_at, utc_offset_minutes, "
            "CAST(timezone('UTC', published_at) AS TIMESTAMP) + to_minutes(CAST(utc_offset_minutes AS BIGINT)) "
            "AS local_time, text, media_type, impressions, likes, comments, shares, clicks "
            f"FROM posts WHERE {where} ORDER BY published_at", params)
        return df

    def comments(self, filters: Filters | None = None) -> pd.DataFrame:
        where, params = _where(filters, "created_at", objectives=False, account=self.account)
        return self._df(f"SELECT * EXCLUDE (account_id) FROM comments WHERE {where} ORDER BY created_at", params)

    def customers(self) -> pd.DataFrame:
        return self._df("SELECT * EXCLUDE (account_id) FROM customers WHERE account_id = $a ORDER BY customer_id",
                        {"a": self.account})

    def date_range(self) -> tuple[date | None, date | None]:
        with self._cursor() as cur:
            lo, hi = cur.execute("SELECT min(date), max(date) FROM campaigns WHERE account_id = $a",
                                 {"a": self.account}).fetchone()
        return lo, hi

    def distinct(self, column: str) -> list[str]:
        """Distinct values of a campaigns column (platform, objective, ad_type, ...)."""
        allowed = {"platform", "objective", "ad_type", "bidding_strategy", "campaign_id"}
        if column not in allowed:
            raise ValueError(column)
        with self._cursor() as cur:
            rows = cur.execute(f"SELECT DISTINCT {column} FROM campaigns WHERE account_id = $a ORDER BY 1",
                               {"a": self.account}).fetchall()
        return [r[0] for r in rows]

    # ---- overview aggregates (the hot queries)

    def totals(self, filters: Filters | None = None) -> dict[str, float]:
        where, params = _where(filters, "date", account=self.account)
        df = self._df(f"SELECT {_SUMS}, count(*) AS rows FROM campaigns WHERE {where}", params)
        return {k: (0.0 if pd.isna(v) else float(v)) for k, v in df.iloc[0].items()}

    def trend(self, filters: Filters | None = None, grain: str = "day", by: str | None = "platform") -> pd.DataFrame:
        if grain not in ("day", "week", "month"):
            raise ValueError(grain)
        where, params = _where(filters, "date", account=self.account)
        group = f"date_trunc('{grain}', date)"
        by_sql = f", {by}" if by else ""
        if by and by not in ("platform", "objective", "ad_type", "bidding_strategy", "campaign_id"):
            raise ValueError(by)
        df = self._df(
            f"SELECT CAST({group} AS DATE) AS period{by_sql}, {_SUMS} FROM campaigns WHERE {where} "
            f"GROUP BY ALL ORDER BY ALL", params)
        df["period"] = pd.to_datetime(df["period"])
        return df

    def breakdown(self, filters: Filters | None = None, by: str = "platform") -> pd.DataFrame:
        cols = BREAKDOWNS.get(by)
        if cols is None:
            raise ValueError(by)
        where, params = _where(filters, "date", account=self.account)
        if by == "campaign":
            select = "campaign_id, any_value(campaign_name) AS campaign_name, any_value(platform) AS platform"
            group = "GROUP BY campaign_id"
        else:
            select, group = cols[0], f"GROUP BY {cols[0]}"
        return self._df(f"SELECT {select}, {_SUMS} FROM campaigns WHERE {where} {group} ORDER BY spend DESC",
                        params)

    # ---- capability state (small tables owned by one capability)

    def _check_state_name(self, table: str) -> None:
        if not _IDENT.match(table) or table in schema.TABLES or table in SYSTEM_TABLES:
            raise ValueError(f"not a state table name: {table!r}")

    def state_tables(self) -> list[str]:
        with self._cursor() as cur:
            rows = cur.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main'").fetchall()
        reserved = set(schema.TABLES) | set(SYSTEM_TABLES)
        return sorted(r[0] for r in rows if r[0] not in reserved and not r[0].startswith("__"))

    def _has_account_column(self, cur, table: str) -> bool:
        return bool(cur.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = $t AND "
                                "column_name = 'account_id' AND schema_name = 'main' AND database_name = current_database()", {"t": table}).fetchone()[0])

    def _ensure_account_column(self, cur, table: str) -> None:
        """State saved before clients existed belongs to the default client."""
        if not self._has_account_column(cur, table):
            cur.execute(f"ALTER TABLE {table} ADD COLUMN account_id VARCHAR DEFAULT {_q(schema.DEFAULT_ACCOUNT)}")

    def save_state(self, table: str, frame: pd.DataFrame, *, keys: Iterable[str] = (),
                   replace_all: bool = False) -> None:
        """Upsert ``frame`` into a state table (created from the frame's columns on first use).

        The rows belong to this view's client: ``replace_all`` and ``keys`` replace only its rows.
        """
        self._check_state_name(table)
        keys = [*keys, "account_id"]
        for k in list(frame.columns):
            if not _IDENT.match(str(k)):
                raise ValueError(f"bad column name {k!r}")
        account = self.account
        frame = frame.assign(account_id=account)
        with self._lock, self._cursor() as cur:
            cur.register("__frame", frame)
            cur.execute("BEGIN TRANSACTION")
            try:
                cur.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM __frame WHERE false")
                self._ensure_account_column(cur, table)
                if replace_all:
                    cur.execute(f"DELETE FROM {table} WHERE account_id = $a", {"a": account})
                else:
                    match = " AND ".join(f"{table}.{k} IS NOT DISTINCT FROM f.{k}" for k in keys)
                    if len(keys) > 1:
                        cur.execute(f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM __frame f WHERE {match})")
                cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM __frame")
                self._bump(cur, "state_version", [account])
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            finally:
                cur.unregister("__frame")

    def load_state(self, table: str, **equals: Any) -> pd.DataFrame:
        """Rows of a state table whose columns equal the given values (empty if none yet)."""
        self._check_state_name(table)
        if table not in self.state_tables():
            return pd.DataFrame()
        where, params = self._state_where(table, equals)
        return self._df(f"SELECT * EXCLUDE (account_id) FROM {table} WHERE {where}", params)

    def _state_where(self, table: str, equals: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Clauses for a state read or delete: the given equalities, within this client."""
        with self._lock, self._cursor() as cur:
            self._ensure_account_column(cur, table)
        clauses = [f"{k} = ${k}" for k in equals if _IDENT.match(k) and k != "account_id"]
        params = {k: v for k, v in equals.items() if k != "account_id"}
        params["account_id"] = self.account
        return " AND ".join([*clauses, "account_id = $account_id"]), params

    def delete_state(self, table: str, **equals: Any) -> int:
        self._check_state_name(table)
        if table not in self.state_tables():
            return 0
        where, params = self._state_where(table, equals)
        with self._lock, self._cursor() as cur:
            n = cur.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]
            cur.execute(f"DELETE FROM {table} WHERE {where}", params)
            self._bump(cur, "state_version", [params["account_id"]])
        return int(n)

    # ---- export

    def export_workspace(self) -> dict[str, list[dict[str, Any]]]:
        """This client's data as a contract workspace object (JSON-ready).

        Dates are written as ``YYYY-MM-DD`` and post times in the offset they were
        published in, so a round trip through :meth:`ingest` gives the same rows.
        """
        out: dict[str, list[dict[str, Any]]] = {}
        account = self.account
        with self._cursor() as cur:
            for t in schema.TABLES.values():
                parts = []
                for f in t.fields:
                    if f.kind == "date":
                        expr = f"strftime({f.name}, '%Y-%m-%d')"
                    elif f.kind == "datetime" and t.name == "posts":
                        expr = ("strftime(CAST(timezone('UTC', published_at) AS TIMESTAMP) + "
                                "to_minutes(CAST(utc_offset_minutes AS BIGINT)), '%Y-%m-%dT%H:%M:%S') || "
                                "CASE WHEN utc_offset_minutes < 0 THEN '-' ELSE '+' END || "
                                "lpad(CAST(abs(utc_offset_minutes) // 60 AS VARCHAR), 2, '0') || ':' || "
                                "lpad(CAST(abs(utc_offset_minutes) % 60 AS VARCHAR), 2, '0')")
                    elif f.kind == "datetime":
                        expr = f"strftime({f.name}, '%Y-%m-%dT%H:%M:%S+00:00')"
                    else:
                        expr = f.name
                    parts.append(f"{f.name} := {expr}")
                order = ", ".join(t.keys)
                rows = cur.execute(
                    f"SELECT to_json(struct_pack({', '.join(parts)})) FROM {t.name} WHERE account_id = $a "
                    f"ORDER BY {order}", {"a": account}).fetchall()
                recs = [{k: v for k, v in json.loads(r[0]).items() if v is not None} for r in rows]
                if recs:
                    out[t.name] = recs
        return out
