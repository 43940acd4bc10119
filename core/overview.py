"""KPIs, trends and breakdowns for the overview page: sums from the warehouse, ratios here."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.warehouse import Filters, Warehouse

SUMS = ("spend", "impressions", "clicks", "leads", "conversions", "revenue")
RATIOS = ("ctr", "cpc", "cpl", "cpa", "roas")
KPIS = SUMS + RATIOS

# How each KPI reads: (label, format, whether higher is better; None = neither).
KPI_META: dict[str, tuple[str, str, bool | None]] = {
    "spend": ("Spend", "money", None),
    "impressions": ("Impressions", "count", True),
    "clicks": ("Clicks", "count", True),
    "leads": ("Leads", "count", True),
    "conversions": ("Conversions", "count", True),
    "revenue": ("Revenue", "money", True),
    "ctr": ("CTR", "percent", True),
    "cpc": ("CPC", "money", False),
    "cpl": ("CPL", "money", False),
    "cpa": ("CPA", "money", False),
    "roas": ("ROAS", "ratio", True),
}


def safe_ratio(num, den):
    """``num / den``, NaN where ``den`` is not positive: a KPI with nothing to divide by is unknown, not 0 or inf.

    A Series in gives a Series on its index; anything else an array.

    >>> safe_ratio(pd.Series([3.0, 1.0]), pd.Series([2, 0])).tolist()
    [1.5, nan]
    """
    n, d = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(d > 0, n / np.where(d > 0, d, 1.0), np.nan)
    return pd.Series(out, index=num.index) if isinstance(num, pd.Series) else out


def with_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Add CTR, CPC, CPL, CPA and ROAS to a frame of summed metrics (NaN where undefined)."""
    out = frame.copy()
    out["ctr"] = safe_ratio(out["clicks"], out["impressions"])
    out["cpc"] = safe_ratio(out["spend"], out["clicks"])
    out["cpl"] = safe_ratio(out["spend"], out["leads"])
    out["cpa"] = safe_ratio(out["spend"], out["conversions"])
    out["roas"] = safe_ratio(out["revenue"], out["spend"])
    return out


def ratios(totals: dict[str, float]) -> dict[str, float]:
    """Every KPI from one row of sums."""
    row = with_ratios(pd.DataFrame([{k: totals.get(k, 0.0) for k in SUMS}])).iloc[0]
    return {k: float(row[k]) for k in KPIS}


def kpis(wh: Warehouse, filters: Filters) -> pd.DataFrame:
    """One row per KPI: value in the period, value in the previous period of equal length, change."""
    now = ratios(wh.totals(filters))
    has_previous = filters.start is not None and filters.end is not None
    before = ratios(wh.totals(filters.shifted_back())) if has_previous else {k: np.nan for k in KPIS}
    rows = []
    for k in KPIS:
        label, fmt, higher_is_better = KPI_META[k]
        cur, prev = now[k], before[k]
        change = (cur - prev) / prev if prev and np.isfinite(prev) and prev != 0 and np.isfinite(cur) else np.nan
        rows.append({"kpi": k, "label": label, "format": fmt, "value": cur, "previous": prev,
                     "change": change, "higher_is_better": higher_is_better})
    return pd.DataFrame(rows)


def trend(wh: Warehouse, filters: Filters, grain: str = "day", by: str | None = "platform") -> pd.DataFrame:
    return with_ratios(wh.trend(filters, grain, by))


def partial_period_start(last_day, grain: str) -> pd.Timestamp | None:
    """The start of the last week or month when the data stops before it ends, else None.

    A weekly chart's last point then holds fewer days than the others: plotted as is it
    reads as a drop, so the chart marks it partial.

    >>> partial_period_start("2026-10-31", "week")  # a Saturday: that week (from Monday) is cut short
    Timestamp('2026-10-26 00:00:00')
    >>> partial_period_start("2026-11-01", "week") is None  # a Sunday ends its week
    True
    >>> partial_period_start("2026-10-31", "month") is None
    True
    """
    if last_day is None or grain not in ("week", "month"):
        return None
    day = pd.Timestamp(last_day).normalize()
    period = day.to_period("W-SUN" if grain == "week" else "M")
    return None if day >= period.end_time.normalize() else period.start_time


def breakdown(wh: Warehouse, filters: Filters, by: str = "platform") -> pd.DataFrame:
    return with_ratios(wh.breakdown(filters, by))


def format_value(value: float, fmt: str) -> str:
    """A KPI value as a person reads it: $1,234, 12.3%, 3.2x, 1,234."""
    if value is None or not np.isfinite(value):
        return "–"
    if abs(value) >= 10_000_000:
        # Tiles are narrow: eight digits and more read better in millions.
        return f"${value / 1e6:,.1f}M" if fmt == "money" else f"{value / 1e6:,.1f}M"
    if fmt == "money":
        return f"${value:,.2f}" if abs(value) < 100 else f"${value:,.0f}"
    if fmt == "percent":
        return f"{value * 100:.2f}%"
    if fmt == "ratio":
        return f"{value:.2f}x"
    return f"{value:,.0f}"
