"""Monitoring charts: observed vs expected band with alert days, incidents over time."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.charts import _layout, add_band, palette

_LABELS = {"leads": "Leads", "conversions": "Conversions", "clicks": "Clicks", "spend": "Spend ($)"}
_ALERT = "#d62728"


def expected_band(series: pd.DataFrame, metric: str, *, title: str | None = None) -> go.Figure:
    """Observed daily values against the expected value and its band, alert days marked.

    Parameters
    ----------
    series : DataFrame
        ``Monitor.series(campaign_id, metric)``: date, observed, expected, lower, upper, alert, kind.
    metric : str
        The metric shown (axis label).
    """
    colours = palette()
    fig = go.Figure()
    if series is None or not len(series):
        return _layout(fig, title or "No data")
    s = series.sort_values("date")
    band = s.dropna(subset=["lower", "upper"])
    if len(band):
        add_band(fig, band["date"], band["lower"], band["upper"], name="expected band",
                 fillcolor="rgba(128,128,128,0.2)")
    fig.add_trace(go.Scatter(x=s["date"], y=s["expected"], mode="lines", name="expected",
                             line=dict(color=colours[1 % len(colours)], dash="dash")))
    fig.add_trace(go.Scatter(x=s["date"], y=s["observed"], mode="lines+markers", name="observed",
                             line=dict(color=colours[0]), marker=dict(size=4)))
    alerts = s[s["alert"].astype(bool)]
    if len(alerts):
        fig.add_trace(go.Scatter(x=alerts["date"], y=alerts["observed"], mode="markers", name="alert",
                                 marker=dict(color=_ALERT, size=11, symbol="x"),
                                 text=alerts["kind"], hovertemplate="%{text}: %{y}<extra></extra>"))
    fig.update_yaxes(title_text=_LABELS.get(metric, metric), rangemode="tozero")
    return _layout(fig, title)


def incidents_timeline(incidents: pd.DataFrame, *, last_date=None, title: str | None = None) -> go.Figure:
    """One bar per incident from its start to its end (ongoing ones to the last day)."""
    fig = go.Figure()
    if incidents is None or not len(incidents):
        return _layout(fig, title or "No incidents")
    inc = incidents.copy()
    end = inc["end"].where(inc["end"] != "ongoing", inc["last_alert"])
    inc["_start"] = pd.to_datetime(inc["start"])
    inc["_end"] = pd.to_datetime(end) + pd.Timedelta(days=1)
    inc["_label"] = inc["campaign_name"].fillna(inc["campaign_id"]).astype(str)
    colours = palette()
    for i, (kind, grp) in enumerate(inc.groupby("kind")):
        fig.add_trace(go.Bar(
            x=(grp["_end"] - grp["_start"]).dt.total_seconds() * 1000, base=grp["_start"], y=grp["_label"],
            orientation="h", name=kind, marker_color=colours[i % len(colours)],
            text=grp["severity"], hovertext=grp["message"], hoverinfo="text+name"))
    fig.update_xaxes(type="date")
    fig.update_layout(barmode="overlay")
    return _layout(fig, title, height=max(240, 28 * inc["_label"].nunique() + 80))
