"""The warehouse package's named steps, each on its own: sniffing, SQL rules, ingest stages, state names."""

from __future__ import annotations

import copy
import gzip
import json
from concurrent.futures import Future
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import core.warehouse as warehouse
from core import schema
from core.errors import BadInputError
from core.warehouse import ingest, sql, state, workspace_export
from core.warehouse.report import IngestReport
from core.warehouse.locate import locate_json_error
from core.warehouse.sniff import array_keys, ndjson_keys, read_head, sniff_file


@pytest.fixture
def records(example_file) -> list[dict]:
    return json.loads(example_file.read_text())["campaigns"]


def _source(path: Path, table: str | None = None) -> ingest.Source:
    digest: Future[str] = Future()
    digest.set_result("0" * 64)
    return ingest.Source(path, path.name, sniff_file(path, path.name), table, digest, str(path))


def test_package_reexports_todays_public_names():
    assert set(warehouse.__all__) >= {"Warehouse", "Filters", "IngestReport"}
    for name in warehouse.__all__:
        assert getattr(warehouse, name) is not None


# ---------------------------------------------------------------------- sniff


def test_read_head_drops_bom_and_whitespace_and_reads_gzip(tmp_path):
    plain = tmp_path / "a.json"
    plain.write_text("\ufeff \n[{}]")
    assert read_head(plain, "a.json") == (False, "\ufeff \n[{}]", True)
    gz = tmp_path / "a.json.gz"
    gz.write_bytes(gzip.compress(b"  {\"x\": 1}"))
    assert read_head(gz, "a.json.gz") == (True, '  {"x": 1}', True)
    empty = tmp_path / "e.json"
    empty.write_text("")
    with pytest.raises(BadInputError, match="0 bytes"):
        read_head(empty, "e.json")


def test_array_keys_from_a_whole_or_cut_first_record():
    assert array_keys('[{"date": 1, "campaign_id": 2}, {"x": 3}]', "f") == ["date", "campaign_id"]
    assert array_keys('[{"date": 1, "campaign_id": ', "f") == ["date", "campaign_id"]
    with pytest.raises(BadInputError, match="empty array"):
        array_keys("[ ]", "f")


def test_ndjson_keys_tell_a_record_from_a_workspace_object():
    assert ndjson_keys('{"post_id": "p", "published_at": "x"}\n{}') == ["post_id", "published_at"]
    assert ndjson_keys('{"campaigns": []}') is None
    assert ndjson_keys('{"ad_groups": [1]}') is None      # an object of arrays only
    assert ndjson_keys('{\n "campaigns": [') is None      # a pretty-printed object


def test_locate_json_error_names_the_line(tmp_path):
    p = tmp_path / "x.ndjson"
    p.write_text('{"a": 1}\n{"a": \n')
    assert locate_json_error(p, False, "ndjson").startswith("line 2")
    p.write_text('{"a": 1}\n')
    assert locate_json_error(p, False, "ndjson") is None


# ------------------------------------------------------------------------ sql


def one(query: str):
    """The first row of a query on a fresh in-memory database."""
    with duckdb.connect() as con:
        return con.execute(query).fetchone()


@pytest.mark.parametrize("value,bad", [(5.0, False), (-1.0, True), (2.5, True), (float("nan"), True)])
def test_count_rules_refuse_negative_fractional_and_nan(value, bad):
    rules = sql.field_rules(schema.CAMPAIGNS.get("impressions"))
    row = f"SELECT CAST('{value}' AS DOUBLE) AS impressions"
    got = any(one(f"SELECT coalesce({cond}, false) FROM ({row})")[0] for _, cond, _ in rules)
    assert got is bad


def test_enum_rule_accepts_case_and_padding_only():
    (label, cond, _), = sql.field_rules(schema.CAMPAIGNS.get("objective"))
    check = lambda v: one(f"SELECT {cond} FROM (SELECT {sql.literal(v)} AS objective)")[0]  # noqa: E731
    assert label == "objective" and not check(" Leads ") and check("fame")


def test_guarded_select_raises_on_a_violation_and_casts_a_clean_row():
    t = schema.CUSTOMERS
    good = ("SELECT NULL AS account_id, 'c1' AS customer_id, 30.0 AS age, NULL AS gender, NULL AS location, NULL::DATE AS first_seen, "
            "NULL::DATE AS last_purchase, 2.0 AS orders, 10.5 AS total_spent, NULL::DOUBLE AS sessions_90d, "
            "NULL::DOUBLE AS email_opens_90d, NULL::DOUBLE AS email_clicks_90d, "
            "NULL::DOUBLE AS social_engagements_90d, NULL AS channel")
    row = one(sql.guarded_select(t, f"({good})"))
    # A record without a client is the default client's; the chosen client replaces any.
    assert row[0] == "default" and row[1] == "c1" and row[7] == 2 and isinstance(row[7], int)
    assert one(sql.guarded_select(t, f"({good})", "acme"))[0] == "acme"
    with pytest.raises(duckdb.Error, match="contract violation in orders"):
        one(sql.guarded_select(t, f"({good.replace('2.0 AS orders', '-1.0 AS orders')})"))


def test_ddl_has_every_contract_field():
    text = sql.ddl(schema.POSTS)
    assert all(f.name in text for f in schema.POSTS.fields) and "utc_offset_minutes INTEGER" in text


# --------------------------------------------------------------- ingest steps


def test_check_table_name():
    ingest.check_table_name(None)
    ingest.check_table_name("posts")
    with pytest.raises(BadInputError, match="Unknown table"):
        ingest.check_table_name("ad_groups")


def test_stage_strict_writes_the_table_when_empty_and_stages_otherwise(wh, records, tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(records))
    with wh.db.cursor() as cur:
        assert ingest.stage_strict(cur, schema.CAMPAIGNS, _source(path)) == ("campaigns", True)
        assert ingest.stage_strict(cur, schema.CAMPAIGNS, _source(path)) == ("__staged_campaigns", False)
        assert ingest.count_unique_keys(cur, schema.CAMPAIGNS, "__staged_campaigns") == 3


def test_count_unique_keys_refuses_duplicates(wh, records, tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(records + records[:1]))
    with wh.db.cursor() as cur:
        target, _ = ingest.stage_strict(cur, schema.CAMPAIGNS, _source(path))
        with pytest.raises(ingest._DetailedPath):
            ingest.count_unique_keys(cur, schema.CAMPAIGNS, target)


def test_stage_records_and_validate_list_each_problem(wh, records, tmp_path):
    bad = copy.deepcopy(records)
    bad[2]["spend"] = "abc"
    path = tmp_path / "c.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in bad))
    src = _source(path)
    with wh.db.cursor() as cur:
        tname, raw = ingest.stage_records(cur, src)
        assert (tname, raw) == ("campaigns", "__raw_campaigns")
        _, violations = ingest.validate(cur, schema.CAMPAIGNS, raw, src)
    assert violations[["index", "line", "field"]].values.tolist() == [[2, 3, "spend"]]
    assert ingest.skipped_records(violations) == [
        {"file": "c.ndjson", "index": 2, "field": "spend", "reason": "not a number: abc", "table": "campaigns"}]


def test_stage_document_stages_each_table_and_warns_on_unknown_keys(wh, example_file, tmp_path):
    doc = {**json.loads(example_file.read_text()), "ad_groups": []}
    path = tmp_path / "w.json"
    path.write_text(json.dumps(doc))
    report = IngestReport()
    with wh.db.cursor() as cur:
        staged = ingest.stage_document(cur, _source(path), report)
        n = cur.execute("SELECT count(*) FROM __raw_comments").fetchone()[0]
    assert [t for t, _ in staged] == ["campaigns", "posts", "comments", "customers"] and n == 2
    assert report.warnings and "ad_groups" in report.warnings[0]
    assert ingest.document_tables(["posts", "x"], _source(path, table="posts"), IngestReport()) == ["posts"]


def test_merge_replaces_by_key_and_counts(wh, records, tmp_path):
    wh.ingest_records("campaigns", records)
    changed = copy.deepcopy(records[:1])
    changed[0]["spend"] = 1.0
    path = tmp_path / "c.json"
    path.write_text(json.dumps(changed))
    with wh.db.cursor() as cur:
        target, _ = ingest.stage_strict(cur, schema.CAMPAIGNS, _source(path))
        assert ingest.merge(cur, schema.CAMPAIGNS, target) == (0, 1)
    assert wh.counts()["campaigns"] == 3 and wh.totals()["spend"] == pytest.approx(49.12 + 80.0 + 1.0)


# ------------------------------------------------------------- state, export


def test_state_names_and_equals_clause():
    state.check_state_name("monitoring_acks")
    for bad in ("campaigns", "meta", "Drop table", "x;y"):
        with pytest.raises(ValueError):
            state.check_state_name(bad)
    assert state.equals_clause({"a": 1, "b c": 2}) == "a = $a"
    assert state.equals_clause({}) == "TRUE"
    with pytest.raises(ValueError, match="bad column"):
        state.check_columns(pd.DataFrame({"Bad Name": [1]}))


def test_export_expr_writes_dates_and_local_post_times():
    assert workspace_export.export_expr(schema.CAMPAIGNS, schema.CAMPAIGNS.get("date")) == \
        "strftime(date, '%Y-%m-%d')"
    assert "utc_offset_minutes" in workspace_export.export_expr(schema.POSTS, schema.POSTS.get("published_at"))
    assert workspace_export.export_expr(schema.CAMPAIGNS, schema.CAMPAIGNS.get("spend")) == "spend"


# ------------------------------------------------------------ hardening steps


@pytest.mark.parametrize("raw,stored", [("h-1", "h-1"), (" h-1 ", "h-1"), ("\u00a0h-1\u3000", "h-1"),
                                        ("cafe\u0301", "caf\u00e9"), ("", ""), (None, None)])
def test_normalized_key_trims_and_composes(raw, stored):
    with duckdb.connect() as con:
        assert con.execute(f"SELECT {sql.normalized_key('x')} FROM (SELECT $x::VARCHAR AS x)",
                           {"x": raw}).fetchone()[0] == stored


def test_date_rules_bound_the_plausible_range():
    rules = sql.date_rules("date", "d")
    with duckdb.connect() as con:
        def bad(d: str) -> bool:
            return any(con.execute(f"SELECT {cond} FROM (SELECT DATE '{d}' AS d)").fetchone()[0]
                       for _, cond, _ in rules)
        assert bad("1999-12-31") and not bad("2000-01-01") and bad("9999-12-31")


def test_record_label_names_the_keys_present():
    with duckdb.connect() as con:
        q = f"SELECT {sql.record_label(schema.CAMPAIGNS)} FROM (SELECT $c AS campaign_id, $d::DATE AS date)"
        assert con.execute(q, {"c": "g-1", "d": "2025-03-03"}).fetchone()[0] == "campaign_id g-1, date 2025-03-03"
        assert con.execute(q, {"c": None, "d": "2025-03-03"}).fetchone()[0] == "date 2025-03-03"


def test_literal_path_links_a_name_with_glob_characters(tmp_path):
    from core.warehouse.sniff import literal_path

    plain, odd = tmp_path / "a.json", tmp_path / "a[1].json"
    plain.write_text("1")
    odd.write_text("2")
    with literal_path(plain) as p:
        assert p == str(plain)
    with literal_path(odd) as p:
        assert "[" not in p and Path(p).read_text() == "2"
    assert not Path(p).exists()  # the private link goes with its folder


def test_check_gzip_sizes_a_stream_and_refuses_a_cut_one(tmp_path):
    from core.warehouse.sniff import check_gzip

    path = tmp_path / "a.gz"
    path.write_bytes(gzip.compress(b"x" * 1000) + gzip.compress(b"y" * 10))  # two members
    assert check_gzip(path, "a.gz") == 1010
    with pytest.raises(BadInputError, match="more than 0 MB"):
        check_gzip(path, "a.gz", budget=500)
    path.write_bytes(gzip.compress(b"x" * 1000)[:-9])
    with pytest.raises(BadInputError, match="truncated"):
        check_gzip(path, "a.gz")
