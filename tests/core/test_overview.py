"""KPIs with the previous period, ratios, formatting."""

import math
from datetime import date

import numpy as np
import pandas as pd
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


def test_partial_period_start_marks_a_cut_short_last_week_or_month():
    from core.overview import partial_period_start

    assert str(partial_period_start("2026-10-28", "week").date()) == "2026-10-26"  # Wednesday
    assert partial_period_start("2026-11-01", "week") is None  # Sunday: the week is whole
    assert str(partial_period_start("2026-10-15", "month").date()) == "2026-10-01"
    assert partial_period_start("2026-10-31", "month") is None
    assert partial_period_start("2026-10-28", "day") is None and partial_period_start(None, "week") is None


def test_breakdown_and_partial_trend_charts(example_file):
    from core import overview
    from core.charts import overview as charts
    from core.warehouse import Filters, Warehouse

    wh = Warehouse.from_files([example_file])
    for by in ("platform", "ad_type", "bidding_strategy", "campaign"):
        fig = charts.breakdown(overview.breakdown(wh, Filters(), by), by, "spend")
        assert len(fig.data) == 1 and len(fig.data[0].y) >= 1
    trend = overview.trend(wh, Filters(), "week", "platform")
    start = trend["period"].max()
    fig = charts.trend(trend, "spend", partial_from=start, grain="week")
    assert any("partial week" in (a.text or "") for a in fig.layout.annotations)
    assert not charts.trend(trend, "spend").layout.annotations
    wh.close()


def test_safe_ratio_is_unknown_where_there_is_nothing_to_divide_by():
    from core.overview import safe_ratio

    s = safe_ratio(pd.Series([3.0, 1.0, 2.0, 5.0], index=[10, 11, 12, 13]), pd.Series([2, 0, -1, np.nan],
                                                                                    index=[10, 11, 12, 13]))
    assert s.index.tolist() == [10, 11, 12, 13] and s.iloc[0] == 1.5 and s.iloc[1:].isna().all()
    assert np.isnan(safe_ratio(1.0, 0.0)) and float(safe_ratio(np.array([4]), np.array([2]))[0]) == 2.0
