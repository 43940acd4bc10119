"""KPIs with the previous period, ratios, formatting."""

import math
from datetime import date

import pytest

from core import overview
from core.warehouse import Filters


def test_ratios_from_sums_handle_zero_denominators():
    r = overview.ratios({"spend": 100.0, "impressions": 1000, "clicks": 50, "leads": 4, "conversions": 0,
                         "revenue": 250.0})
    assert r["ctr"] == pytest.approx(0.05) and r["cpc"] == pytest.approx(2.0)
    assert r["cpl"] == pytest.approx(25.0) and r["roas"] == pytest.approx(2.5)
    assert math.isnan(r["cpa"])


def test_kpis_compare_with_previous_period(wh, example_file):
    wh.ingest(example_file)
    k = overview.kpis(wh, Filters(start=date(2025, 3, 4), end=date(2025, 3, 4))).set_index("kpi")
    assert k.loc["spend", "value"] == pytest.approx(80.0)
    assert k.loc["spend", "previous"] == pytest.approx(78.41 + 49.12)
    assert k.loc["spend", "change"] == pytest.approx(80.0 / (78.41 + 49.12) - 1)
    assert not k.loc["cpl", "higher_is_better"]


def test_breakdown_and_trend_carry_ratios(wh, example_file):
    wh.ingest(example_file)
    b = overview.breakdown(wh, Filters(), "platform").set_index("platform")
    assert b.loc["google", "cpl"] == pytest.approx((78.41 + 80.0) / 9)
    t = overview.trend(wh, Filters(), "day", "platform")
    assert set(t.columns) >= {"period", "platform", "ctr", "roas"}


@pytest.mark.parametrize("value,fmt,text", [
    (1234.5, "money", "$1,234"), (12.345, "money", "$12.35"), (0.0512, "percent", "5.12%"),
    (3.14159, "ratio", "3.14x"), (1234567, "count", "1,234,567"), (float("nan"), "money", "–"),
    (10_204_000, "count", "10.2M"), (12_500_000, "money", "$12.5M"),
])
def test_format_value(value, fmt, text):
    assert overview.format_value(value, fmt) == text
