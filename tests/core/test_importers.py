"""Importers of real public ad exports, on a few copied rows (tests/fixtures/importers/SOURCE.md)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from core import importers as im
from core.errors import BadInputError
from core.warehouse import Warehouse

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "importers"
KAG = FIX / "KAG_conversion_excerpt.csv"
CONTROL, TEST = FIX / "control_group.csv", FIX / "test_group.csv"


def _ingest(records):
    wh = Warehouse.in_memory()
    report = wh.ingest_records("campaigns", records)
    frame = wh.campaigns()
    wh.close()
    return report, frame


def test_fb_rows_map_to_contract_records():
    recs = im.import_fb_ad_conversion(KAG, start=date(2026, 3, 2))
    assert len(recs) == 10
    report, frame = _ingest(recs)
    assert report.loaded == {"campaigns": 10} and report.skipped == []
    first = next(r for r in recs if r["campaign_id"] == "kag-916-30-34-M-i15")
    assert first == {
        "date": "2026-03-02", "platform": "facebook", "campaign_id": "kag-916-30-34-M-i15",
        "campaign_name": "Campaign 916 | 30-34 male | interest 15", "objective": "leads", "ad_type": "unknown",
        "bidding_strategy": "unknown",
        "audience": {"age_min": 30, "age_max": 34, "gender": "male", "interests": ["interest 15"],
                     "location": "unknown"},
        "daily_budget": 1.43, "spend": 1.43, "impressions": 7350, "clicks": 1, "leads": 2, "conversions": 1,
        "revenue": 100.0, "currency": "USD"}
    assert frame["spend"].sum() == pytest.approx(1.43 + 1.82 + 0 + 1.25 + 1.29 + 0 + 5.63 + 2.98 + 3.24 + 52.26)


def test_fb_ads_of_one_targeting_become_consecutive_days():
    recs = im.import_fb_ad_conversion(KAG, start=date(2026, 3, 2), value_per_approved=250.0)
    three = [r for r in recs if r["campaign_id"] == "kag-1178-30-34-M-i23"]
    assert [r["date"] for r in three] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert [r["impressions"] for r in three] == [23198, 26890, 221695]     # in ad_id order
    assert three[2]["revenue"] == 500.0
    assert len({r["campaign_id"] for r in recs}) == 6          # 916: i15 i16 i20 i28x2, 936: i10x2, 1178: i23x3
    per_ad = im.import_fb_ad_conversion(KAG, start=date(2026, 3, 2), granularity="ad")
    assert len({r["campaign_id"] for r in per_ad}) == 10 and {r["date"] for r in per_ad} == {"2026-03-02"}


def test_fb_accepts_uploaded_bytes_and_rejects_other_files():
    assert im.import_fb_ad_conversion(KAG.read_bytes()) == im.import_fb_ad_conversion(KAG)
    assert im.import_fb_ad_conversion(io.BytesIO(KAG.read_bytes())) == im.import_fb_ad_conversion(KAG)
    with pytest.raises(BadInputError, match="missing column"):
        im.import_fb_ad_conversion(CONTROL)
    bad = KAG.read_text(encoding="utf-8-sig").replace("7350", "lots")
    with pytest.raises(BadInputError, match=r"line 2, column 'Impressions'"):
        im.import_fb_ad_conversion(bad.encode())
    with pytest.raises(BadInputError, match="column 'gender'"):
        im.import_fb_ad_conversion(KAG.read_text(encoding="utf-8-sig").replace(",M,15,", ",X,15,").encode())
    with pytest.raises(BadInputError, match="no such file"):
        im.import_fb_ad_conversion(FIX / "absent.csv")


def test_control_test_maps_and_skips_the_short_row():
    problems: list = []
    recs = im.import_control_test(CONTROL, TEST, problems=problems)
    assert len(recs) == 6 + 5
    assert problems == [{"file": str(CONTROL), "line": 6, "reason": "short row: empty metric fields, skipped"}]
    assert "2019-08-05" not in {r["date"] for r in recs if r["campaign_id"] == "control-campaign"}
    report, frame = _ingest(recs)
    assert report.loaded == {"campaigns": 11} and report.skipped == []
    c1 = recs[0]
    assert (c1["date"], c1["campaign_id"], c1["spend"], c1["impressions"], c1["clicks"], c1["leads"],
            c1["conversions"], c1["revenue"]) == ("2019-08-01", "control-campaign", 2280.0, 82702, 7016, 1819, 618,
                                                  618 * im.CT_VALUE_PER_PURCHASE)
    assert {r["bidding_strategy"] for r in recs} == {"maximum_bidding", "average_bidding"}
    assert set(frame["objective"]) == {"sales"}
    with pytest.raises(BadInputError, match="line 6"):
        im.import_control_test(CONTROL, TEST, on_short_row="raise")


def test_control_test_reads_the_kaggle_original_headers():
    original = CONTROL.read_text().replace("Impressions", "# of Impressions").replace("Purchase", "# of Purchase")
    recs = im.import_control_test(original.encode(), TEST)
    assert len(recs) == 11
    with pytest.raises(BadInputError, match="D.MM.YYYY"):
        im.import_control_test(CONTROL.read_text().replace("1.08.2019", "2019-08-01").encode(), TEST)


def test_examples_from_a_datasets_folder(tmp_path):
    assert im.available_examples(None) == [] and im.available_examples(tmp_path) == []
    (tmp_path / "fb-ad-conversion-kag").mkdir()
    (tmp_path / "fb-ad-conversion-kag" / "KAG_conversion_data.csv").write_bytes(KAG.read_bytes())
    (tmp_path / "ab-campaign-control-test").mkdir()
    for f in (CONTROL, TEST):
        (tmp_path / "ab-campaign-control-test" / f.name).write_bytes(f.read_bytes())
    assert im.available_examples(tmp_path) == ["fb-ad-conversion", "ab-control-test"]
    assert len(im.load_example("ab-control-test", tmp_path)["campaigns"]) == 11
    assert len(im.load_example("fb-ad-conversion", tmp_path)["campaigns"]) == 10
    with pytest.raises(BadInputError):
        im.load_example("nope", tmp_path)


def test_full_public_files_load_cleanly(shared_datasets):
    wh = Warehouse.in_memory()
    for name in im.available_examples(shared_datasets):
        report = wh.ingest_records("campaigns", im.load_example(name, shared_datasets)["campaigns"])
        assert report.skipped == []
    assert wh.counts()["campaigns"] == 1143 + 59
    wh.close()
