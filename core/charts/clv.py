"""Lifetime value charts: value per segment, and the holdout check's tracking and conditional-expectation plots."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.charts import _layout, palette


def segment_value(table: pd.DataFrame) -> go.Figure:
    """Expected 12-month value per customer of each segment (bars), with the share still active (text)."""
    if table is None or not len(table):
        return _layout(go.Figure(), "No value estimates")
    t = table.sort_values("value_per_customer")
    fig = go.Figure(go.Bar(x=t["value_per_customer"], y=t["name"], orientation="h", marker_color=palette()[0],
                           text=[f"{a:.0%} active" for a in t["share_alive"]], textposition="auto",
                           hovertemplate="%{y}: $%{x:,.2f} per customer<extra></extra>"))
    fig.update_xaxes(title="expected value per customer, next 12 months ($)")
    return _layout(fig, "What each segment is worth", height=200 + 36 * len(t)).update_layout(hovermode="closest")


def tracking(frame: pd.DataFrame) -> go.Figure:
    """Cumulative repeat orders week by week: actual against the model, the holdout period shaded."""
    if frame is None or not len(frame):
        return _layout(go.Figure(), "No holdout check")
    c = palette()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=frame["date"], y=frame["actual"], name="actual", line=dict(color=c[0])))
    fig.add_trace(go.Scatter(x=frame["date"], y=frame["expected"], name="model", line=dict(color=c[1 % len(c)],
                                                                                            dash="dash")))
    hold = frame[frame["holdout"]]
    if len(hold):
        fig.add_vrect(x0=hold["date"].iloc[0], x1=hold["date"].iloc[-1], fillcolor="grey", opacity=0.12,
                      line_width=0, annotation_text="holdout", annotation_position="top left")
    fig.update_yaxes(title="cumulative repeat orders")
    return _layout(fig, "Tracking: repeat orders, actual vs model")


def conditional_expectation(frame: pd.DataFrame) -> go.Figure:
    """Mean holdout orders per customer, by orders repeated in calibration: actual vs predicted."""
    if frame is None or not len(frame):
        return _layout(go.Figure(), "No holdout check")
    c = palette()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=frame["group"], y=frame["actual"], name="actual", mode="lines+markers",
                             line=dict(color=c[0]), customdata=frame["customers"],
                             hovertemplate="%{y:.2f} (%{customdata} customers)"))
    fig.add_trace(go.Scatter(x=frame["group"], y=frame["predicted"], name="model", mode="lines+markers",
                             line=dict(color=c[1 % len(c)], dash="dash")))
    fig.update_xaxes(title="repeat orders in the calibration period", type="category")
    fig.update_yaxes(title="orders per customer in the holdout")
    return _layout(fig, "Conditional expectation: holdout orders by customer group")
