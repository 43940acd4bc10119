"""The warehouse: ingest of every accepted shape, every bad input, merges, state, queries."""

from __future__ import annotations

import copy
import gzip
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from core.errors import BadInputError, ValidationError, WorkspaceLockedError
from core.warehouse import Filters, Warehouse


@pytest.fixture
def workspace(example_file) -> dict:
    return json.loads(example_file.read_text())


def write(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj))
    return path


def snapshot(wh: Warehouse) -> tuple:
    return wh.counts(), wh.data_version, len(wh.ingest_history())


# ------------------------------------------------------------------ good input


def test_workspace_object_loads_all_four_tables(wh, example_file):
    report = wh.ingest(example_file)
    assert report.loaded == {"campaigns": 3, "posts": 1, "comments": 2, "customers": 1}
    assert wh.counts() == {"campaigns": 3, "posts": 1, "comments": 2, "customers": 1}
    assert wh.data_version == 1


def test_numbers_as_strings_and_platform_case(wh, workspace, tmp_path):
    recs = workspace["campaigns"]
    recs[0]["platform"] = "  GOOGLE "
    wh.ingest(write(tmp_path / "c.json", recs))
    df = wh.campaigns()
    assert set(df["platform"]) == {"google", "facebook"}
    fb = df[df["campaign_id"] == "fb-leadform-women-35-54"].iloc[0]
    assert fb["spend"] == pytest.approx(49.12) and fb["impressions"] == 6120
    assert fb["daily_budget"] == 50.0


@pytest.mark.parametrize("layout", ["array", "ndjson", "array.gz", "ndjson.gz"])
def test_every_layout_loads_the_same_rows(wh, workspace, tmp_path, layout):
    recs = workspace["campaigns"]
    text = json.dumps(recs) if layout.startswith("array") else "\n".join(json.dumps(r) for r in recs) + "\n"
    path = tmp_path / f"c.{layout.replace('array', 'json')}"
    if layout.endswith(".gz"):
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    report = wh.ingest(path)
    assert report.loaded == {"campaigns": 3}
    assert wh.totals()["spend"] == pytest.approx(78.41 + 49.12 + 80.0)


def test_reimport_replaces_and_never_double_counts(wh, example_file, workspace, tmp_path):
    wh.ingest(example_file)
    spend = wh.totals()["spend"]
    again = wh.ingest(example_file)
    assert again.replaced["campaigns"] == 3 and again.loaded["campaigns"] == 0
    assert wh.totals()["spend"] == pytest.approx(spend)
    # An overlapping file: one day replaced with a new value, one new day.
    recs = copy.deepcopy(workspace["campaigns"][:1])
    recs[0]["spend"] = 10.0
    new_day = copy.deepcopy(recs[0])
    new_day["date"] = "2025-03-05"
    report = wh.ingest(write(tmp_path / "overlap.json", recs + [new_day]))
    assert report.replaced == {"campaigns": 1} and report.loaded == {"campaigns": 1}
    assert wh.counts()["campaigns"] == 4
    assert wh.totals()["spend"] == pytest.approx(spend - 78.41 + 10.0 + 10.0)


def test_duplicate_keys_within_a_file_keep_the_last(wh, workspace, tmp_path):
    first = copy.deepcopy(workspace["campaigns"][0])
    last = copy.deepcopy(first)
    last["spend"] = 1.0
    wh.ingest(write(tmp_path / "dup.json", [first, last]))
    assert wh.counts()["campaigns"] == 1
    assert wh.totals()["spend"] == pytest.approx(1.0)


def test_every_write_bumps_data_version_and_logs(wh, example_file):
    wh.ingest(example_file)
    wh.ingest(example_file)
    assert wh.data_version == 2
    log = wh.ingest_history()
    assert set(log.columns) >= {"file_name", "sha256", "loaded_at", "rows_loaded", "rows_replaced", "rows_skipped"}
    assert log["sha256"].str.len().eq(64).all()
    wh.reset()
    assert wh.is_empty() and wh.data_version == 3


def test_posts_keep_their_local_time(wh, example_file):
    wh.ingest(example_file)
    post = wh.posts().iloc[0]
    assert post["utc_offset_minutes"] == -360
    assert post["local_time"] == pd.Timestamp("2025-03-04 18:30:00")


def test_export_round_trips(wh, example_file, tmp_path):
    wh.ingest(example_file)
    exported = write(tmp_path / "export.json", wh.export_workspace())
    other = Warehouse.in_memory()
    other.ingest(exported)
    assert other.counts() == wh.counts()
    pd.testing.assert_frame_equal(other.campaigns(), wh.campaigns())
    pd.testing.assert_frame_equal(other.posts(), wh.posts())


def test_unknown_top_level_key_is_a_warning(wh, workspace, tmp_path):
    report = wh.ingest(write(tmp_path / "w.json", {**workspace, "ad_groups": []}))
    assert any("ad_groups" in w for w in report.warnings)
    assert wh.counts()["campaigns"] == 3


# ------------------------------------------------------------------- bad input

BAD_RECORDS = [
    ("spend", "abc", "not a number"),
    ("leads", None, "missing"),
    ("revenue", -5, "negative"),
    ("clicks", 10**9, "clicks above impressions"),
    ("date", "2025-13-45", "not a YYYY-MM-DD date"),
    ("objective", "fame", "not one of"),
    ("impressions", 6120.5, "not a whole number"),
    ("audience.age_min", 60, "age_min above age_max"),
    ("audience.gender", "robots", "not one of all/female/male"),
    ("campaign_id", "   ", "empty"),
    ("platform", "", "empty"),
]


@pytest.mark.parametrize("field,value,reason", BAD_RECORDS)
@pytest.mark.parametrize("layout", ["array", "ndjson", "object"])
def test_bad_record_names_file_record_field_and_changes_nothing(wh, example_file, workspace, tmp_path,
                                                                field, value, reason, layout):
    wh.ingest(example_file)
    before = snapshot(wh)
    recs = copy.deepcopy(workspace["campaigns"])
    target = recs[1]
    if field.startswith("audience."):
        target["audience"][field.split(".")[1]] = value
    elif value is None:
        del target[field]
    else:
        target[field] = value
    path = tmp_path / f"bad.{'ndjson' if layout == 'ndjson' else 'json'}"
    if layout == "ndjson":
        path.write_text("\n".join(json.dumps(r) for r in recs))
    else:
        write(path, recs if layout == "array" else {"campaigns": recs})
    with pytest.raises(ValidationError) as err:
        wh.ingest(path)
    v = err.value.violations
    assert list(v["index"]) == [1] and list(v["field"]) == [field] and reason in v["reason"].iloc[0]
    assert path.name in str(err.value) and "record 1" in str(err.value) and field in str(err.value)
    if layout == "ndjson":
        assert "line 2" in str(err.value)
    assert snapshot(wh) == before


def test_every_violation_is_reported(wh, workspace, tmp_path):
    recs = copy.deepcopy(workspace["campaigns"])
    recs[0]["spend"] = "abc"
    recs[2]["audience"]["age_min"] = 90
    del recs[2]["platform"]
    with pytest.raises(ValidationError) as err:
        wh.ingest(write(tmp_path / "bad.json", recs))
    got = set(zip(err.value.violations["index"], err.value.violations["field"]))
    assert got == {(0, "spend"), (2, "audience.age_min"), (2, "platform")}


def test_skip_bad_loads_good_records_and_reports_skipped(wh, workspace, tmp_path):
    recs = copy.deepcopy(workspace["campaigns"])
    recs[0]["spend"] = "abc"
    report = wh.ingest(write(tmp_path / "bad.json", recs), skip_bad=True)
    assert report.loaded == {"campaigns": 2}
    assert report.skipped == [{"file": "bad.json", "index": 0, "field": "spend",
                               "reason": "not a number: abc", "table": "campaigns"}]
    assert wh.ingest_history()["rows_skipped"].sum() == 1


@pytest.mark.parametrize("content,message", [
    ("", "empty"),
    ("   \n", "whitespace"),
    ("date,platform\n2025-01-01,google\n", "not JSON"),
    ('[{"date": "2025-03-03", "platform": "google", ', "malformed or truncated"),
    ('{"date": "2025-03-03", "campaign_id": "x"}\n{"date": \n', "line 2"),
    ("[]", "no records"),
    ('{"ad_groups": []}', "none of the tables"),
    ('[{"foo": 1}]', "cannot tell which table"),
])
def test_malformed_files_give_a_clear_message_and_change_nothing(wh, example_file, tmp_path, content, message):
    wh.ingest(example_file)
    before = snapshot(wh)
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(BadInputError) as err:
        wh.ingest(path)
    assert message in str(err.value) and "broken.json" in str(err.value)
    assert snapshot(wh) == before


def test_a_non_json_file_renamed_json_and_a_corrupt_gzip(wh, tmp_path):
    png = tmp_path / "image.json"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(50)))
    with pytest.raises(BadInputError, match="not JSON"):
        wh.ingest(png)
    gz = tmp_path / "c.json.gz"
    gz.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(BadInputError, match="gzip"):
        wh.ingest(gz)
    assert wh.is_empty()


def test_bad_table_in_a_workspace_leaves_other_tables_unloaded(wh, workspace, tmp_path):
    bad = copy.deepcopy(workspace)
    bad["customers"][0]["orders"] = -1
    with pytest.raises(ValidationError, match="orders"):
        wh.ingest(write(tmp_path / "w.json", bad))
    assert wh.is_empty() and wh.data_version == 0


def test_bad_post_and_comment_dates(wh, workspace, tmp_path):
    posts = copy.deepcopy(workspace["posts"])
    posts[0]["published_at"] = "yesterday"
    with pytest.raises(ValidationError, match="published_at"):
        wh.ingest(write(tmp_path / "p.json", posts), table="posts")
    comments = copy.deepcopy(workspace["comments"])
    comments[1]["label"] = "angry"
    with pytest.raises(ValidationError, match="label"):
        wh.ingest(write(tmp_path / "c.json", comments))


# ------------------------------------------------------------- lock, queries


def test_second_process_gets_a_clear_lock_message(locked_db):
    with pytest.raises(WorkspaceLockedError, match="--data"):
        Warehouse.open(locked_db)


def test_filters_and_aggregates(wh, example_file):
    wh.ingest(example_file)
    f = Filters(start=date(2025, 3, 3), end=date(2025, 3, 3), platforms=("google",))
    assert wh.totals(f)["spend"] == pytest.approx(78.41)
    assert wh.totals(Filters(objectives=("sales",)))["rows"] == 0
    by = wh.breakdown(Filters(), "campaign")
    assert list(by["campaign_id"]) == ["g-search-dental-25-44", "fb-leadform-women-35-54"]
    trend = wh.trend(Filters(), "week", "platform")
    assert trend["spend"].sum() == pytest.approx(wh.totals()["spend"])
    assert f.shifted_back() == Filters(date(2025, 3, 2), date(2025, 3, 2), ("google",), ())


def test_state_tables_upsert_load_delete(wh):
    wh.save_state("monitoring_acks", pd.DataFrame({"incident": ["a", "b"], "muted": [True, False]}),
                  keys=["incident"])
    wh.save_state("monitoring_acks", pd.DataFrame({"incident": ["b"], "muted": [True]}), keys=["incident"])
    acks = wh.load_state("monitoring_acks")
    assert dict(zip(acks["incident"], acks["muted"])) == {"a": True, "b": True}
    assert wh.load_state("monitoring_acks", incident="a")["muted"].tolist() == [True]
    assert wh.delete_state("monitoring_acks", incident="a") == 1
    assert wh.load_state("never_written").empty
    assert wh.data_version == 0 and wh.state_version == 3
    with pytest.raises(ValueError):
        wh.save_state("campaigns", pd.DataFrame({"x": [1]}))


def test_persistent_file_survives_reopen(tmp_path, example_file):
    db = tmp_path / "ws.duckdb"
    wh = Warehouse.open(db)
    wh.ingest(example_file)
    wh.close()
    again = Warehouse.open(db)
    assert again.counts()["campaigns"] == 3 and again.data_version == 1
    again.close()
