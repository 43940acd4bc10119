"""Scheduling charts: the weekday x hour heatmap with the top slots marked, slot intervals,
the posting habit against the best slots, and the forecast with its band."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts import _layout, add_band, palette

DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _grid(table: pd.DataFrame, column: str) -> np.ndarray:
    grid = np.full((7, 24), np.nan)
    grid[table["weekday"].to_numpy(int), table["hour"].to_numpy(int)] = table[column].to_numpy(float)
    return grid


def slot_heatmap(table: pd.DataFrame, top: int = 5, *, title: str | None = None,
                 unit: str = "engagement rate") -> go.Figure:
    """Expected engagement per weekday x hour, the ``top`` ranked slots outlined and numbered.

    Parameters
    ----------
    table : DataFrame
        ``BestTimes.slots()``: weekday, hour, expected_engagement_rate, lower, upper, posts, rank.
    top : int
        How many ranked slots to mark.
    """
    fig = go.Figure()
    if table is None or not len(table):
        return _layout(fig, title or "No posts")
    z = _grid(table, "expected_engagement_rate")
    lo, hi, posts = _grid(table, "lower"), _grid(table, "upper"), _grid(table, "posts")
    text = np.vectorize(lambda a, b, n: f"interval {a:.4g} to {b:.4g}<br>{int(n)} posts")(lo, hi, posts)
    fig.add_trace(go.Heatmap(z=z, x=[f"{h:02d}:00" for h in range(24)], y=list(DAY_LABELS), colorscale="Blues",
                             customdata=text, colorbar=dict(title=unit),
                             hovertemplate="%{y} %{x}<br>expected %{z:.4g}<br>%{customdata}<extra></extra>"))
    best = table.sort_values("rank").head(int(top))
    fig.add_trace(go.Scatter(
        x=[f"{int(h):02d}:00" for h in best["hour"]], y=[DAY_LABELS[int(d)] for d in best["weekday"]],
        mode="markers+text", text=[f"#{int(r)}" for r in best["rank"]], textposition="middle center",
        textfont=dict(color="white", size=10),
        marker=dict(symbol="square", size=22, color=palette()[1 % len(palette())], line=dict(color="black", width=1)),
        name=f"top {int(top)} slots", hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed")
    fig = _layout(fig, title, height=380)
    fig.update_layout(hovermode="closest")
    return fig


def slot_intervals(top: pd.DataFrame, *, title: str | None = None, unit: str = "engagement rate") -> go.Figure:
    """The top slots' expected values with their intervals (dots and error bars), best first."""
    fig = go.Figure()
    if top is None or not len(top):
        return _layout(fig, title or "No slots")
    t = top.sort_values("rank")
    labels = [f"#{int(r.rank)} {DAY_LABELS[int(r.weekday)]} {int(r.hour):02d}:00" for r in t.itertuples()]
    est = t["expected_engagement_rate"].to_numpy(float)
    fig.add_trace(go.Scatter(
        x=est, y=labels, mode="markers", marker=dict(color=palette()[0], size=9), name="expected",
        error_x=dict(type="data", symmetric=False, array=t["upper"].to_numpy(float) - est,
                     arrayminus=est - t["lower"].to_numpy(float)),
        customdata=t["posts"], hovertemplate="%{y}: %{x:.4g} (%{customdata} posts)<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=unit)
    fig = _layout(fig, title, height=max(220, 28 * len(t) + 80))
    fig.update_layout(hovermode="closest")
    return fig


def habit_vs_best(table: pd.DataFrame, top: int = 10, *, title: str | None = None) -> go.Figure:
    """Where the account actually posts (bubble size = posts) over the expected-rate heatmap's best slots."""
    fig = go.Figure()
    if table is None or not len(table):
        return _layout(fig, title or "No posts")
    colours = palette()
    used = table[table["posts"] > 0]
    fig.add_trace(go.Scatter(
        x=used["hour"], y=[DAY_LABELS[int(d)] for d in used["weekday"]], mode="markers", name="your posts",
        marker=dict(size=np.sqrt(used["posts"].to_numpy(float)) * 6 + 3, color=colours[0], opacity=0.55),
        customdata=used["posts"], hovertemplate="%{y} %{x}:00: %{customdata} posts<extra></extra>"))
    best = table.sort_values("rank").head(int(top))
    fig.add_trace(go.Scatter(
        x=best["hour"], y=[DAY_LABELS[int(d)] for d in best["weekday"]], mode="markers",
        name=f"best {int(top)} slots", marker=dict(symbol="star", size=16, color=colours[1 % len(colours)],
                                                 line=dict(color="black", width=1))))
    fig.update_xaxes(range=[-0.5, 23.5], dtick=2, title="hour")
    fig.update_yaxes(categoryorder="array", categoryarray=list(DAY_LABELS), autorange="reversed")
    fig = _layout(fig, title, height=340)
    fig.update_layout(hovermode="closest")
    return fig


def forecast_chart(history: pd.Series, forecast: pd.DataFrame, metric: str, *, days_shown: int = 180,
                   title: str | None = None) -> go.Figure:
    """The recent history, the forecast and its uncertainty band."""
    colours = palette()
    fig = go.Figure()
    if history is not None and len(history):
        h = history.dropna()
        h = h[h.index > h.index.max() - pd.Timedelta(days=int(days_shown))]
        fig.add_trace(go.Scatter(x=h.index, y=h.to_numpy(float), mode="lines", name="history",
                                 line=dict(color=colours[0], width=1.5)))
    if forecast is not None and len(forecast):
        f = forecast.sort_values("date")
        add_band(fig, f["date"], f["yhat_lower"], f["yhat_upper"], name="uncertainty band",
                 fillcolor="rgba(249,115,22,0.2)")
        fig.add_trace(go.Scatter(x=f["date"], y=f["yhat"], mode="lines", name="forecast",
                                 line=dict(color=colours[1 % len(colours)], dash="dash")))
    fig.update_yaxes(title=metric)
    return _layout(fig, title)


def backtest_chart(per_fold: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """MASE of the model and of seasonal naive at each rolling origin (below 1 beats the naive scale)."""
    fig = go.Figure()
    if per_fold is None or not len(per_fold):
        return _layout(fig, title or "No backtest")
    colours = palette()
    fig.add_trace(go.Bar(x=per_fold["cutoff"], y=per_fold["mase"], name="Prophet", marker_color=colours[0]))
    fig.add_trace(go.Bar(x=per_fold["cutoff"], y=per_fold["naive_mase"], name="seasonal naive",
                         marker_color=colours[7 % len(colours)]))
    fig.add_hline(y=1.0, line_dash="dot", line_color="grey")
    fig.update_yaxes(title="MASE")
    fig.update_xaxes(title="forecast origin", type="category")
    return _layout(fig, title, height=300)
