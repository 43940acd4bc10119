"""Overview charts."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.charts import _layout, palette
from core.overview import KPI_META

BREAKDOWN_LABELS = {"platform": "Platform", "ad_type": "Ad type", "bidding_strategy": "Bidding", "campaign": "Campaign"}


def trend(frame: pd.DataFrame, metric: str, *, partial_from: pd.Timestamp | None = None,
          grain: str = "week") -> go.Figure:
    """One line per platform over time for a KPI (sums stack as areas, ratios as lines).

    ``partial_from``: the start of a last period the data does not cover in full; it is
    shaded and labelled "partial", so its smaller sum does not read as a drop.
    """
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
    if partial_from is not None and len(frame) and pd.Timestamp(frame["period"].max()) >= partial_from:
        fig.add_vrect(x0=partial_from, x1=pd.Timestamp(frame["period"].max()), fillcolor="grey", opacity=0.12,
                      line_width=0, annotation_text=f"partial {grain}", annotation_position="top left")
    return _layout(fig, f"{label} by platform")


def breakdown(frame: pd.DataFrame, by: str, metric: str) -> go.Figure:
    """One bar per platform / ad type / bidding / campaign for a KPI, largest first."""
    label, fmt, _ = KPI_META[metric]
    if frame.empty or metric not in frame:
        return _layout(go.Figure(), f"{label}: no data in this period")
    top = frame.sort_values(metric, ascending=False).head(15)
    names = top["campaign_name"].fillna(top["campaign_id"]) if by == "campaign" else top[by]
    fig = go.Figure(go.Bar(x=top[metric], y=names.astype(str), orientation="h", marker_color=palette()[0],
                           hovertemplate="%{y}: %{x}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title=label, tickformat=".1%" if fmt == "percent" else None,
                     tickprefix="$" if fmt == "money" else None)
    return _layout(fig, f"{label} by {BREAKDOWN_LABELS.get(by, by).lower()}", height=max(260, 28 * len(top) + 90))
