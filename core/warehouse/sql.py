"""The contract as SQL: table DDL, the rules each field obeys, and the casts of both read paths.

Pure string builders over :mod:`core.schema`: nothing here touches a connection, so
every rule can be tested by running its SQL on a literal row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import schema

if TYPE_CHECKING:
    from core.warehouse.sniff import Sniff

SYSTEM_TABLES = ("ingest_log", "meta", "clients")
MAX_RECORD_BYTES = 64 * 2**20  # the largest record the detailed path reads
MAX_VALUE_SHOWN = 40

# --------------------------------------------------------------------------- DDL

AUDIENCE_TYPE = "STRUCT(age_min INTEGER, age_max INTEGER, gender VARCHAR, interests VARCHAR[], location VARCHAR)"

STORAGE_TYPE = {
    "account": "VARCHAR",
    "string": "VARCHAR",
    "platform": "VARCHAR",
    "enum": "VARCHAR",
    "count": "BIGINT",
    "amount": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMPTZ",
    "int": "INTEGER",
    "audience": AUDIENCE_TYPE,
}


def ddl(table: schema.Table) -> str:
    cols = [f"{f.name} {STORAGE_TYPE[f.kind]}" for f in table.fields]
    if table.name == "posts":
        # The offset written in published_at: best-time slots are in the poster's local time.
        cols.append("utc_offset_minutes INTEGER")
    return f"CREATE TABLE IF NOT EXISTS {table.name} ({', '.join(cols)})"


SYSTEM_DDL = (
    """CREATE TABLE IF NOT EXISTS ingest_log (
        ingest_id BIGINT, file_name VARCHAR, sha256 VARCHAR, loaded_at TIMESTAMPTZ,
        table_name VARCHAR, rows_loaded BIGINT, rows_replaced BIGINT, rows_skipped BIGINT)""",
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value BIGINT)",
    "INSERT INTO meta VALUES ('data_version', 0) ON CONFLICT DO NOTHING",
    "INSERT INTO meta VALUES ('state_version', 0) ON CONFLICT DO NOTHING",
    # Clients (issue 12): the ingest log names the client(s) a file went to; each client has
    # its own data and state versions (``data_version:<id>``), drawn from the global counter so
    # that two clients never share a version once written and caches keyed by version never mix them.
    f"ALTER TABLE ingest_log ADD COLUMN IF NOT EXISTS account_id VARCHAR DEFAULT '{schema.DEFAULT_ACCOUNT}'",
    f"INSERT INTO meta SELECT key || ':{schema.DEFAULT_ACCOUNT}', value FROM meta "
    "WHERE key IN ('data_version', 'state_version') ON CONFLICT DO NOTHING",
    "CREATE TABLE IF NOT EXISTS clients (account_id VARCHAR PRIMARY KEY, name VARCHAR, created_at TIMESTAMPTZ)",
)


# ----------------------------------------------------------------- SQL builders
#
# Ingest reads each contract field one of two ways: the strict path lets DuckDB's
# JSON reader cast straight to the working type (a bad value aborts the read), the
# detailed path reads text and casts with TRY_CAST so that every bad value can be
# named. Both then apply the same rules to the working values (``table_rules``) and the
# same final casts to storage types (``finalize``): one contract, two speeds.

WORK_TYPE = {
    "account": "VARCHAR", "string": "VARCHAR", "platform": "VARCHAR", "enum": "VARCHAR", "count": "DOUBLE", "amount": "DOUBLE",
    "int": "DOUBLE", "date": "DATE", "datetime": "VARCHAR",
    "audience": "STRUCT(age_min DOUBLE, age_max DOUBLE, gender VARCHAR, interests VARCHAR[], location VARCHAR)",
}
ACCOUNT_SQL_RE = schema.ACCOUNT_PATTERN
KIND_NAME = {"count": "a whole number", "amount": "a number", "int": "a whole number",
             "date": "a YYYY-MM-DD date", "datetime": "an ISO 8601 date-time"}
DATETIME_RE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?$"


def literal(text: str) -> str:
    """A SQL string literal (only for names and reasons we write ourselves)."""
    return "'" + text.replace("'", "''") + "'"


def shown(expr: str) -> str:
    """The offending value, cut short and on one line (control characters as '?'), for a reason string."""
    # A whole number parsed as DOUBLE reads as "60", not "60.0".
    text = f"regexp_replace(regexp_replace(CAST({expr} AS VARCHAR), '\\.0$', ''), '[[:cntrl:]]', '?', 'g')"
    return f"left(coalesce({text}, 'null'), {MAX_VALUE_SHOWN})"


# Characters a key is trimmed of: ASCII white space, no-break and ideographic spaces, a stray BOM.
KEY_SPACE = " \t\n\r\x0b\x0c\u00a0\u2007\u202f\u3000\ufeff"


def normalized_key(expr: str) -> str:
    """A natural-key string as stored: Unicode NFC, trimmed, so "h-1 " and "h-1" are one line item."""
    # Most ids are ASCII with nothing to trim: they skip nfc_normalize, the costly part on a big file.
    plain = f"strlen({expr}) = length({expr}) AND ascii({expr}) > 32 AND ascii({expr}[-1:]) > 32"
    return f"CASE WHEN {plain} THEN {expr} ELSE trim(nfc_normalize({expr}), {literal(KEY_SPACE)}) END"


def key_strings(t: schema.Table) -> list[str]:
    """The string fields of the table's natural key (the ones normalised on the way in)."""
    return [k for k in t.keys if t.get(k).kind == "string"]


def date_rules(label: str, v: str, floor: str | None = None) -> list[tuple[str, str, str]]:
    """Plausible dates: from ``floor`` (default schema.DATE_MIN) to DATE_MAX_AHEAD after today (UTC)."""
    floor = floor or schema.DATE_MIN
    return [(label, f"{v} < DATE '{floor}'", f"'before {floor}: ' || {shown(v)}"),
            (label, f"{v} > current_date + INTERVAL '{schema.DATE_MAX_AHEAD}'",
             f"'more than {schema.DATE_MAX_AHEAD} after today: ' || {shown(v)}")]


def number_rules(label: str, v: str, kind: str, bounds: tuple[int, int] | None) -> list[tuple[str, str, str]]:
    rules = [(label, f"NOT isfinite({v})", f"'not a number: ' || {shown(v)}")]
    if kind in ("count", "int"):
        rules.append((label, f"{v} <> floor({v})", f"'not a whole number: ' || {shown(v)}"))
    if kind in ("count", "amount"):
        rules.append((label, f"{v} < 0", f"'negative: ' || {shown(v)}"))
        cap = schema.COUNT_MAX if kind == "count" else schema.AMOUNT_MAX
        rules.append((label, f"{v} > {cap}", f"'implausibly large (above {cap:,}): ' || {shown(v)}"))
    if bounds:
        lo, hi = bounds
        rules.append((label, f"{v} < {lo} OR {v} > {hi}", f"'outside {lo}-{hi}: ' || {shown(v)}"))
    return rules


def field_rules(f: schema.Field, prefix: str = "") -> list[tuple[str, str, str]]:
    """(field label, bad-condition, reason) over the field's working value ``prefix + f.name``.

    Conditions assume the value is not NULL; missing values are handled by the callers.
    """
    v = prefix + f.name
    if f.kind in ("count", "amount", "int"):
        return number_rules(f.name, v, f.kind, f.bounds)
    if f.kind == "account":
        return [(f.name, f"trim({v}) <> '' AND NOT regexp_full_match(trim({v}), {literal(ACCOUNT_SQL_RE)})",
                 f"'not a client id: ' || {shown(v)}")]
    if f.kind == "enum":
        allowed = ", ".join(literal(c) for c in f.choices)
        # The plain comparison first: clean exports skip the string functions.
        return [(f.name, f"{v} NOT IN ({allowed}) AND lower(trim({v})) NOT IN ({allowed})",
                 f"'not one of {'/'.join(f.choices)}: ' || {shown(v)}")]
    if f.kind in ("string", "platform") and f.required:
        # Only a value that starts with whitespace (or is empty) can trim to nothing.
        return [(f.name, f"({v} = '' OR (ascii({v}) <= 32 AND trim({v}) = ''))", "'empty'")]
    if f.kind == "date":
        return date_rules(f.name, v, f.date_min)
    if f.kind == "datetime":
        return datetime_rules(f.name, v)
    if f.kind == "audience":
        return audience_rules(v)
    return []


def datetime_rules(label: str, v: str) -> list[tuple[str, str, str]]:
    """An ISO 8601 date-time (text working value) within the plausible dates."""
    return [(label, f"NOT regexp_matches(trim({v}), '{DATETIME_RE}') OR TRY_CAST(trim({v}) AS TIMESTAMPTZ) IS NULL",
             f"'not an ISO 8601 date-time: ' || {shown(v)}"),
            *date_rules(label, f"TRY_CAST(trim({v}) AS TIMESTAMPTZ)")]


def audience_rules(v: str) -> list[tuple[str, str, str]]:
    """The audience struct's sub-fields: all present, ages 13-100 in order, a known gender, a location."""
    rules = [(f"audience.{sub}", f"{v}.{sub} IS NULL", "'missing'") for sub in schema.AUDIENCE_FIELDS]
    for sub in ("age_min", "age_max"):
        rules += number_rules(f"audience.{sub}", f"{v}.{sub}", "int", (13, 100))
    rules.append(("audience.age_min", f"{v}.age_min > {v}.age_max",
                  f"'age_min above age_max: ' || {shown(f'{v}.age_min')} || ' > ' || {shown(f'{v}.age_max')}"))
    genders = ", ".join(literal(g) for g in schema.GENDERS)
    rules.append(("audience.gender", f"{v}.gender NOT IN ({genders}) AND lower(trim({v}.gender)) NOT IN ({genders})",
                  f"'not one of all/female/male: ' || {shown(f'{v}.gender')}"))
    rules.append(("audience.location", f"trim({v}.location) = ''", "'empty'"))
    return rules


def table_rules(t: schema.Table, prefix: str = "") -> list[tuple[str, str, str]]:
    out = [r for f in t.fields for r in field_rules(f, prefix)]
    names = {n: prefix + n for n in t.field_names}
    out += [(r.field, r.sql.format(**names), literal(r.reason)) for r in t.rules]
    return out


def account_expr(v: str, account: str | None) -> str:
    """The stored client of a row: the chosen client, else the file's, else the default."""
    if account is not None:
        return literal(schema.check_account_id(account))  # checked against a strict pattern: safe to inline
    return f"coalesce(nullif(trim({v}), ''), {literal(schema.DEFAULT_ACCOUNT)})"


def finalize(t: schema.Table, account: str | None = None) -> dict[str, str]:
    """Storage expression per stored column, from the working columns.

    ``account`` (the client chosen while ingesting) replaces whatever client the file names.
    """
    out: dict[str, str] = {}
    for f in t.fields:
        v = f.name
        if f.kind == "account":
            out[v] = account_expr(v, account)
        elif f.kind == "platform" or f.kind == "enum":
            out[v] = f"lower(trim({v}))"
        elif f.kind in ("count", "int"):
            out[v] = f"CAST({v} AS {STORAGE_TYPE[f.kind]})"
        elif f.kind == "datetime":
            out[v] = f"TRY_CAST(trim({v}) AS TIMESTAMPTZ)"
        elif f.kind == "audience":
            out[v] = (f"struct_pack(age_min := CAST({v}.age_min AS INTEGER), age_max := CAST({v}.age_max AS INTEGER), "
                      f"gender := lower(trim({v}.gender)), interests := {v}.interests, location := trim({v}.location))")
        else:
            out[v] = v
    if t.name == "posts":
        out["utc_offset_minutes"] = OFFSET_SQL
    return out


OFFSET_SQL = (
    "CASE WHEN regexp_matches(trim(published_at), '[zZ]$') THEN 0 "
    "WHEN regexp_matches(trim(published_at), '[+-]\\d{2}:?\\d{2}$') THEN "
    "(CASE WHEN regexp_extract(trim(published_at), '([+-])\\d{2}:?\\d{2}$', 1) = '-' THEN -1 ELSE 1 END) * "
    "(CAST(regexp_extract(trim(published_at), '[+-](\\d{2}):?(\\d{2})$', 1) AS INTEGER) * 60 + "
    "CAST(regexp_extract(trim(published_at), '[+-](\\d{2}):?(\\d{2})$', 2) AS INTEGER)) "
    "ELSE 0 END"
)



def guarded_select(t: schema.Table, source: str, account: str | None = None) -> str:
    """Storage-typed columns from working values, raising on the first contract violation.

    Each stored column carries the rules about its own value, so one streaming
    pass reads, checks and converts; a violation aborts it (and the caller falls
    back to the detailed path, which names every bad record).
    """
    rules = table_rules(t)
    cols = []
    for col, expr in finalize(t, account).items():
        guards = [cond for label, cond, _ in rules if label.split(".")[0] == col]
        if col in t.field_names and t.get(col).required:
            guards.insert(0, f"{col} IS NULL")
        if guards:
            bad = " OR ".join(f"({g})" for g in guards)  # NULL (an absent optional value) reads as false
            expr = f"CASE WHEN {bad} THEN error('contract violation in {col}') ELSE {expr} END"
        storage = STORAGE_TYPE[t.get(col).kind] if col in t.field_names else "INTEGER"
        cols.append(f"CAST({expr} AS {storage}) AS {col}")
    return f"SELECT {', '.join(cols)} FROM {source}"


def text_to_work(f: schema.Field, src: str, *, key: bool = False) -> str:
    """The detailed path's cast of a text (or JSON) field to its working type; NULL when it fails."""
    if key:
        return normalized_key(src)
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


def validate_select(t: schema.Table, raw: str) -> str:
    """One SELECT over raw text records: working values plus the list of every violation."""
    keys = key_strings(t)
    work = [f"{f.name} := {text_to_work(f, f.name, key=f.name in keys)}" for f in t.fields]
    problems: list[str] = []
    for f in t.fields:
        missing = "'missing'" if f.required else "NULL"
        if f.kind == "audience":
            # Sub-field problems: missing vs not parseable, before the shared rules.
            reason = (f"CASE WHEN {f.name} IS NULL THEN {missing} WHEN json_type({f.name}) <> 'OBJECT' "
                      f"THEN 'not an object' END")
            problems.append(f"{{'field': 'audience', 'reason': {reason}}}")
            for sub in schema.AUDIENCE_FIELDS:
                text = f"({f.name}->{literal(sub)})"
                work_sub = f"__w.{f.name}.{sub}"
                kind = "a whole number" if sub.startswith("age") else (
                    "an array of strings" if sub == "interests" else "a string")
                reason = (f"CASE WHEN json_type({f.name}) <> 'OBJECT' THEN NULL WHEN {text} IS NULL OR "
                          f"json_type({text}) = 'NULL' THEN 'missing' WHEN {work_sub} IS NULL THEN "
                          f"'not {kind}: ' || {shown(text)} END")
                problems.append(f"{{'field': {literal('audience.' + sub)}, 'reason': {reason}}}")
        elif f.kind in KIND_NAME:
            reason = (f"CASE WHEN {f.name} IS NULL THEN {missing} WHEN __w.{f.name} IS NULL THEN "
                      f"'not {KIND_NAME[f.kind]}: ' || {shown(f.name)} END")
            problems.append(f"{{'field': {literal(f.name)}, 'reason': {reason}}}")
        elif f.required:
            problems.append(f"{{'field': {literal(f.name)}, 'reason': CASE WHEN {f.name} IS NULL THEN 'missing' END}}")
    for label, cond, reason in table_rules(t, "__w."):
        problems.append(f"{{'field': {literal(label)}, 'reason': CASE WHEN coalesce({cond}, false) THEN {reason} END}}")
    plist = ", ".join(problems)
    fields = ", ".join(f"__w.{f.name} AS {f.name}" for f in t.fields)
    return (f"SELECT __idx, {fields}, list_filter([{plist}], lambda p: p.reason IS NOT NULL) AS __problems "
            f"FROM (SELECT *, struct_pack({', '.join(work)}) AS __w FROM {raw})")


def read_columns(table: schema.Table, *, strict: bool) -> dict[str, str]:
    if strict:
        return {f.name: WORK_TYPE[f.kind] for f in table.fields}
    return {f.name: ("JSON" if f.kind == "audience" else "VARCHAR") for f in table.fields}


def read_json_sql(table: schema.Table, sniff: "Sniff", *, strict: bool) -> str:
    """DuckDB's reader over ``$path`` (see ``sniff.literal_path``): working types (strict) or text."""
    cols = read_columns(table, strict=strict)
    colspec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in cols.items()) + "}"
    # DuckDB's NDJSON reader refuses a byte order mark; its reader of consecutive values skips it.
    fmt = "array" if sniff.layout == "array" else ("unstructured" if sniff.bom else "newline_delimited")
    comp = "gzip" if sniff.gzip else "none"
    # A larger object size makes the reader use larger, fewer buffers: the fast path keeps
    # DuckDB's default (16 MB a record), the detailed path accepts giant records too.
    size = "" if strict else f", maximum_object_size={MAX_RECORD_BYTES}"
    return f"read_json($path, format='{fmt}', compression='{comp}', columns={colspec}{size})"


def strict_source(t: schema.Table, sniff: "Sniff") -> str:
    """The strict path's relation: DuckDB's typed read with the key strings normalised."""
    read = read_json_sql(t, sniff, strict=True)
    keys = key_strings(t)
    if not keys:
        return read
    replace = ", ".join(f"{normalized_key(k)} AS {k}" for k in keys)
    return f"(SELECT * REPLACE ({replace}) FROM {read})"


def record_label(t: schema.Table) -> str:
    """SQL naming a staged record by its key values ("campaign_id g-1, date 2025-03-03"); NULL if none.

    The client (account_id) is left out: the user chose it, the record's own ids find it.
    """
    parts = [f"CASE WHEN CAST({k} AS VARCHAR) <> '' THEN {literal(k + ' ')} || {shown(k)} END"
             for k in t.keys if k != schema.ACCOUNT_FIELD]
    return f"nullif(concat_ws(', ', {', '.join(parts)}), '')"

