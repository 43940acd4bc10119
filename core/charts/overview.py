"""Overview charts."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.charts import _layout, palette
from core.overview import KPI_META

BREAKDOWN_LABELS = {"platform": "Platform", "ad_type": "Ad type", "bidding_strategy": "Bidding", "campaign": "Campaign"}


def trend(frame: pd.DataFrame, metric: str) -> go.Figure:
    """One line per platform over time for a KPI (sums stack as areas, ratios as lines)."""
    label, fmt, _ = KPI_META[metric]
    if frame.empty:
        return _layout(go.Figure(), f"{label}: no data in this period")
    if metric in ("spend", "impressions", "clicks", "leads", "conversions", "revenue"):
        fig = px.area(frame, x="period", y=metric, color="platform", color_discrete_sequence=palette())
    else:
        fig = px.line(frame, x="period", y=metric, color="platform", color_discrete_sequence=palette())
    fig.update_yaxes(title=label, tickformat=".1%" if fmt == "percent" else None,
                     tickprefix="$" if fmt == "money" else None)
    fig.update_xaxes(title=None)
    return _layout(fig, f"{label} by platform")
