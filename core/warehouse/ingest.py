"""The ingest pipeline: one contract file in, all of it or none of it.

Ingest is one vectorised pass: DuckDB reads the file with every field as text,
a single ``SELECT`` casts each column and lists each record's violations, and the
good rows replace earlier rows with the same natural key, all in one transaction.

Two paths share the contract's SQL (:mod:`core.warehouse.sql`):

* the strict path (:func:`load_strict`) lets DuckDB cast while it reads; a clean
  file costs about one read, and any problem sends the file down
* the detailed path (:func:`load_detailed`), which stages every field as text and
  names every bad record (file, record, field, reason).
"""

from __future__ import annotations

import json
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from core import schema
from core.errors import BadInputError, UnknownTableError, ValidationError
from core.escape import visible_controls
from core.hashing import file_sha256
from core.warehouse import clients, sql
from core.warehouse.connection import Connection
from core.warehouse.locate import locate_json_error
from core.warehouse.report import IngestReport, violation_message
from core.warehouse.sniff import Sniff, check_gzip, literal_path, sniff_file

if TYPE_CHECKING:
    import pandas as pd

Cursor = duckdb.DuckDBPyConnection


@dataclass(frozen=True)
class Source:
    """One file being ingested: where it is, what it is called, how to read it."""

    path: Path
    name: str
    sniff: Sniff
    table: str | None  # the table the caller named, or None to tell from the records
    digest: "Future[str]"  # the file's SHA-256, computed while DuckDB reads
    read_path: str  # the name DuckDB opens: the file itself, never a pattern (sniff.literal_path)
    account: str | None = None  # the client chosen while ingesting: it replaces the file's account_id

    @property
    def params(self) -> dict[str, str]:
        return {"path": self.read_path}


class _DetailedPath(Exception):
    """The strict path met something only the detailed path reports well."""


# ------------------------------------------------------------------- entry points


def ingest_file(db: Connection, path: str | Path, *, name: str | None = None, table: str | None = None,
                skip_bad: bool = False, account: str | None = None) -> IngestReport:
    """Load one contract file; all of it or none of it unless ``skip_bad``.

    Rows go to ``account`` when one is chosen; otherwise each keeps its file's
    ``account_id`` (the default client when it has none).

    Raises :class:`ValidationError` (with every violation) when a record breaks
    the contract and ``skip_bad`` is false, :class:`BadInputError` when the file
    is not JSON of the contract's shape. The warehouse is unchanged on error.
    """
    path = Path(path)
    name = visible_controls(name or path.name)  # one line, whatever the file is called
    check_table_name(table)
    if not path.is_file():
        raise BadInputError(f"{name}: no such file.", "File not found")
    sniff = sniff_file(path, name)
    if sniff.gzip:
        check_gzip(path, name)  # before DuckDB reads it: a bomb or a cut stream stops here
    # Hash the file while DuckDB reads it: on a big file this hides most of its cost.
    with ThreadPoolExecutor(max_workers=1) as pool, literal_path(path) as read_path:
        source = Source(path, name, sniff, table, pool.submit(file_sha256, path), read_path,
                        None if account is None else schema.check_account_id(account))
        with db.lock, db.cursor() as cur:
            if sniff.layout != "object":
                fast = load_strict(cur, source)
                if fast is not None:
                    return fast
            return load_detailed(cur, source, skip_bad)


def ingest_records(db: Connection, table: str, records: list[dict[str, Any]], *, name: str = "records",
                   skip_bad: bool = False, account: str | None = None) -> IngestReport:
    """Ingest records given in memory (importers, tests) through the same checks."""
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / f"{table}.json"
        p.write_text(json.dumps(records, default=str))
        return ingest_file(db, p, name=name, table=table, skip_bad=skip_bad, account=account)


def check_table_name(table: str | None) -> None:
    if table is not None and table not in schema.TABLES:
        raise BadInputError(f"Unknown table {table!r}; choose one of {', '.join(schema.TABLE_NAMES)}.")


# -------------------------------------------------------------------- strict path


def load_strict(cur: Cursor, source: Source) -> IngestReport | None:
    """The fast path for a clean table file; None sends the file down the detailed path.

    DuckDB's reader casts every field to its working type (a bad value aborts the
    read) and each column is guarded by the contract's rules, so a clean file costs
    about one read. An empty table is rebuilt in one streaming statement; otherwise
    the rows are staged and merge by key. Any problem falls back to the detailed path.
    """
    tname = source.table or schema.guess_table(source.sniff.first_keys)
    if tname is None:
        return None
    t = schema.TABLES[tname]
    cur.execute("BEGIN TRANSACTION")
    try:
        target, empty = stage_strict(cur, t, source)
        n = count_unique_keys(cur, t, target)
        accounts = clients.register(cur, target, source.account)
        loaded, replaced = (n, 0) if empty else merge(cur, t, target)
        if not empty:
            cur.execute(f"DROP TABLE {target}")
        log(cur, source, tname, loaded, replaced, 0, accounts)
        clients.bump(cur, "data_version", accounts)
        cur.execute("COMMIT")
    except (duckdb.Error, _DetailedPath):
        cur.execute("ROLLBACK")
        return None
    return IngestReport(loaded={tname: loaded}, replaced={tname: replaced}, files=[source.name])


def stage_strict(cur: Cursor, t: schema.Table, source: Source) -> tuple[str, bool]:
    """Read the file cast and guarded: straight into an empty table, else into a staging table.

    Returns (the relation written, whether it is the contract table itself).
    """
    select = sql.guarded_select(t, sql.strict_source(t, source.sniff), source.account)
    empty = cur.execute(f"SELECT count(*) = 0 FROM {t.name}").fetchone()[0]
    if empty:
        cur.execute(f"CREATE OR REPLACE TABLE {t.name} AS {select}", source.params)
        return t.name, True
    target = f"__staged_{t.name}"
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS {select}", source.params)
    return target, False


def count_unique_keys(cur: Cursor, t: schema.Table, relation: str) -> int:
    """The row count, when every natural key is distinct; raises _DetailedPath otherwise (or when empty)."""
    keys = ", ".join(t.keys)
    # Hash collisions can only send a clean file down the slow path, never corrupt it.
    n, distinct = cur.execute(f"SELECT count(*), count(DISTINCT hash({keys})) FROM {relation}").fetchone()
    if n == 0 or n != distinct:
        raise _DetailedPath
    return int(n)


# ------------------------------------------------------------------ detailed path


def load_detailed(cur: Cursor, source: Source, skip_bad: bool) -> IngestReport:
    """Validate every record, list every violation, load all or (with skip_bad) the good ones."""
    report = IngestReport(files=[source.name])
    cur.execute("BEGIN TRANSACTION")
    try:
        staged = [validate(cur, schema.TABLES[tname], raw, source) for tname, raw in stage_raw(cur, source, report)]
        found = [bad for _, bad in staged if bad is not None]
        violations = None
        if found:
            import pandas as pd

            violations = pd.concat(found, ignore_index=True)
            if not skip_bad:
                raise ValidationError(violation_message(source.name, violations, len(violations)), violations)
            report.skipped = skipped_records(violations)
        merge_good(cur, [t for t, _ in staged], violations, source, report)
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    return report


def validate(cur: Cursor, t: schema.Table, raw: str, source: Source) -> tuple[schema.Table, "pd.DataFrame | None"]:
    """Stage ``raw`` as working values with each record's problems; return the violations (or None).

    The violations frame has the columns file, table, index, field, reason, record (the
    record's key values, to find it by), line.
    """
    cur.execute(f"CREATE OR REPLACE TEMP TABLE __staged_{t.name} AS {sql.validate_select(t, raw)}")
    # Only a file with problems needs a frame (and pandas): a clean one stays off it.
    if not cur.execute(f"SELECT count(*) FROM __staged_{t.name} WHERE len(__problems) > 0").fetchone()[0]:
        return t, None
    import pandas as pd

    bad = cur.execute(
        f"SELECT __idx AS index, p.field AS field, p.reason AS reason, record FROM "
        f"(SELECT __idx, {sql.record_label(t)} AS record, unnest(__problems) AS p FROM __staged_{t.name} "
        f"WHERE len(__problems) > 0) ORDER BY __idx").df()
    bad.insert(0, "table", t.name)
    bad.insert(0, "file", source.name)
    bad["line"] = bad["index"] + 1 if source.sniff.layout == "ndjson" else pd.NA
    return t, bad


def skipped_records(violations: "pd.DataFrame") -> list[dict[str, Any]]:
    """The report's list of skipped problems, one dict per violation."""
    return [{"file": r.file, "index": int(r.index), "field": r.field, "reason": r.reason, "table": r.table}
            for r in violations.itertuples(index=False)]


def merge_good(cur: Cursor, staged: list[schema.Table], violations: "pd.DataFrame | None", source: Source,
               report: IngestReport) -> None:
    """Merge each staged table's good rows, log each, and bump the data version of each client changed."""
    touched: set[str] = set()
    for t in staged:
        loaded, replaced, accounts = merge_staged(cur, t, source.account)
        report.loaded[t.name] = report.loaded.get(t.name, 0) + loaded
        report.replaced[t.name] = report.replaced.get(t.name, 0) + replaced
        if loaded or replaced:
            touched.update(accounts)
        skipped_rows = 0 if violations is None else int(
            violations.loc[violations["table"] == t.name, "index"].nunique())
        log(cur, source, t.name, loaded, replaced, skipped_rows, accounts)
    clients.bump(cur, "data_version", sorted(touched))
    for t in staged:
        cur.execute(f"DROP TABLE IF EXISTS __staged_{t.name}")


# ---------------------------------------------------------------------- staging


def stage_raw(cur: Cursor, source: Source, report: IngestReport) -> list[tuple[str, str]]:
    """Create raw all-text temp tables; return (table name, raw relation) pairs."""
    try:
        if source.sniff.layout == "object":
            return stage_document(cur, source, report)
        return [stage_records(cur, source)]
    except duckdb.Error as exc:
        where = locate_json_error(source.path, source.sniff.gzip, source.sniff.layout) or (
            "cannot be read as contract JSON records")
        raise BadInputError(f"{source.name}: {where}. Nothing from this file was loaded.",
                            "Malformed JSON") from exc


def stage_records(cur: Cursor, source: Source) -> tuple[str, str]:
    """A file of records (array or NDJSON) staged as text, one row per record."""
    tname = source.table or schema.guess_table(source.sniff.first_keys)
    if tname is None:
        problem = locate_json_error(source.path, source.sniff.gzip, source.sniff.layout)
        if problem:
            raise BadInputError(f"{source.name}: {problem}. Nothing from this file was loaded.", "Malformed JSON")
        keys = visible_controls(", ".join(source.sniff.first_keys[:8])) or "none"
        raise UnknownTableError(
            f"{source.name}: cannot tell which table these records belong to (keys: {keys}); "
            f"choose one of {', '.join(schema.TABLE_NAMES)} for this file.")
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE __raw_{tname} AS SELECT row_number() OVER () - 1 AS __idx, * "
        f"FROM {sql.read_json_sql(schema.TABLES[tname], source.sniff, strict=False)}", source.params)
    n = cur.execute(f"SELECT count(*) FROM __raw_{tname}").fetchone()[0]
    if n == 0:
        raise BadInputError(f"{source.name}: the file holds no records.", "Empty file")
    return tname, f"__raw_{tname}"


def stage_document(cur: Cursor, source: Source, report: IngestReport) -> list[tuple[str, str]]:
    """A workspace object (``{"campaigns": [...], ...}``) staged as one raw table per contract table."""
    keys = read_document(cur, source)
    out = [(tname, stage_document_table(cur, source, tname)) for tname in document_tables(keys, source, report)]
    cur.execute("DROP TABLE IF EXISTS __doc")
    return out


def read_document(cur: Cursor, source: Source) -> list[str]:
    """Read the whole file as one JSON value into ``__doc``; return its keys (refuse anything but one object)."""
    comp = "gzip" if source.sniff.gzip else "none"
    size = max(source.path.stat().st_size * (12 if source.sniff.gzip else 1), 16 * 2**20)
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE __doc AS SELECT json FROM read_json_objects($path, "
        f"format='unstructured', compression='{comp}', maximum_object_size={int(size) + 1024})",
        source.params)
    rows = cur.execute("SELECT json_type(json), json_keys(json) FROM __doc").fetchall()
    if len(rows) != 1 or rows[0][0] != "OBJECT":
        raise BadInputError(f"{source.name}: expected one workspace object with table arrays.")
    return rows[0][1] or []


def document_tables(keys: list[str], source: Source, report: IngestReport) -> list[str]:
    """The contract tables among the workspace object's keys (unknown keys become a warning)."""
    unknown = [k for k in keys if k not in schema.TABLES]
    if unknown:
        report.warnings.append(f"{source.name}: unknown top-level key(s) ignored: {', '.join(unknown)}")
    present = [k for k in keys if k in schema.TABLES]
    if source.table is not None:
        present = [k for k in present if k == source.table]
    if not present:
        raise BadInputError(
            f"{source.name}: the workspace object has none of the tables "
            f"{', '.join(schema.TABLE_NAMES)}.", "Nothing to load")
    return present


def stage_document_table(cur: Cursor, source: Source, tname: str) -> str:
    """One table of ``__doc`` staged as text, one row per record; returns the raw relation."""
    kind = cur.execute(f"SELECT json_type(json->'{tname}') FROM __doc").fetchone()[0]
    if kind != "ARRAY":
        raise BadInputError(f"{source.name}: {tname} must be an array of records, got {kind}.")
    fields = sql.read_columns(schema.TABLES[tname], strict=False)
    proj = ", ".join(
        f"(rec->'{f}') AS {f}" if typ == "JSON" else f"(rec->>'{f}') AS {f}" for f, typ in fields.items())
    records = (f"SELECT unnest(l) AS rec, unnest(range(len(l))) AS __idx FROM "
               f"(SELECT CAST(json->'{tname}' AS JSON[]) AS l FROM __doc)")
    cur.execute(f"CREATE OR REPLACE TEMP TABLE __raw_{tname} AS SELECT __idx, {proj} FROM ({records})")
    bad_rec = cur.execute(f"SELECT min(__idx) FROM ({records}) WHERE json_type(rec) <> 'OBJECT'").fetchone()[0]
    if bad_rec is not None:
        raise BadInputError(f"{source.name}: {tname} record {bad_rec}: a record must be a JSON object.")
    return f"__raw_{tname}"


# ----------------------------------------------------------------- merge and log


def merge(cur: Cursor, t: schema.Table, source: str) -> tuple[int, int]:
    """Replace rows by natural key with ``source``'s rows (storage values); return (new, replaced)."""
    cols = exprs = ", ".join(sql.finalize(t))
    replaced = 0
    if cur.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]:
        match = " AND ".join(f"{t.name}.{k} = s.{k}" for k in t.keys)
        replaced = cur.execute(
            f"SELECT count(*) FROM {t.name} WHERE EXISTS (SELECT 1 FROM {source} s WHERE {match})").fetchone()[0]
        if replaced:
            cur.execute(f"DELETE FROM {t.name} WHERE EXISTS (SELECT 1 FROM {source} s WHERE {match})")
    inserted = cur.execute(f"INSERT INTO {t.name} ({cols}) SELECT {exprs} FROM {source}").fetchone()[0]
    return int(inserted) - int(replaced), int(replaced)


def merge_staged(cur: Cursor, t: schema.Table, account: str | None = None) -> tuple[int, int, list[str]]:
    """Merge the detailed path's good rows; within a file the last record for a key wins.

    Rows are brought to storage values first, so that keys compare as stored (a missing
    ``account_id`` is the default client; the chosen client replaces the file's).
    Returns (new, replaced, the clients written).
    """
    final = ", ".join(f"{e} AS {c}" for c, e in sql.finalize(t, account).items())
    cur.execute(f"CREATE OR REPLACE TEMP TABLE __final_{t.name} AS SELECT __idx, {final} "
                f"FROM __staged_{t.name} WHERE len(__problems) = 0")
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE __good_{t.name} AS SELECT * EXCLUDE (__idx) FROM __final_{t.name} "
        f"QUALIFY row_number() OVER (PARTITION BY {', '.join(t.keys)} ORDER BY __idx DESC) = 1")
    accounts = clients.register(cur, f"__good_{t.name}", account)
    loaded, replaced = merge(cur, t, f"__good_{t.name}")
    for temp in ("__final", "__good", "__raw"):
        cur.execute(f"DROP TABLE IF EXISTS {temp}_{t.name}")
    return loaded, replaced, accounts


def log(cur: Cursor, source: Source, table: str, loaded: int, replaced: int, skipped: int,
        accounts: list[str]) -> None:
    cur.execute(
        "INSERT INTO ingest_log SELECT coalesce(max(ingest_id), 0) + 1, $f, $h, now(), $t, $l, $r, $s, $a "
        "FROM ingest_log",
        {"f": source.name, "h": source.digest.result(), "t": table, "l": loaded, "r": replaced, "s": skipped,
         "a": ",".join(accounts) or schema.DEFAULT_ACCOUNT})
