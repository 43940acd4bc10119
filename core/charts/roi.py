"""Charts of the ROI capability: data in, Plotly figure out, no Streamlit calls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts import _layout, palette

_LABEL = {"campaign": "campaign_id", "platform": "platform", "ad_type": "ad_type",
          "bidding_strategy": "bidding_strategy", "audience": "audience"}


def roi_bars(table: pd.DataFrame, by: str = "platform", top: int = 25) -> go.Figure:
    """ROI per group, best first; red below break-even."""
    col = _LABEL.get(by, by)
    t = table.dropna(subset=["roi"]).head(top).sort_values("roi")
    colours = [palette()[0] if v >= 0 else "#d62728" for v in t["roi"]]
    fig = go.Figure(go.Bar(x=t["roi"], y=t[col].astype(str), orientation="h", marker_color=colours,
                           customdata=np.c_[t["spend"], t["revenue"], t["roas"]],
                           hovertemplate="%{y}<br>ROI %{x:.0%}<br>spend $%{customdata[0]:,.0f}<br>"
                                         "revenue $%{customdata[1]:,.0f}<br>ROAS %{customdata[2]:.2f}<extra></extra>"))
    fig.add_vline(x=0, line_dash="dot")
    fig.update_xaxes(title="ROI = (revenue - spend) / spend", tickformat=".0%")
    fig = _layout(fig, f"ROI by {by.replace('_', ' ')}", height=max(300, 24 * len(t) + 80))
    fig.update_layout(hovermode="closest")
    return fig


def cv_scores(scores: pd.DataFrame) -> go.Figure:
    """R2 (higher is better) and MAPE (lower is better) on later months, per model."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=scores["model"], y=scores["r2"], name="R2 of ROI (spend-weighted)",
                         marker_color=palette()[0], text=[f"{v:.2f}" for v in scores["r2"]], textposition="outside"))
    fig.add_trace(go.Bar(x=scores["model"], y=scores["mape"], name="MAPE of revenue",
                         marker_color=palette()[1 % len(palette())], text=[f"{v:.0%}" for v in scores["mape"]],
                         textposition="outside"))
    fig.update_layout(barmode="group")
    return _layout(fig, "Out-of-time accuracy (train on earlier months, test on later ones)")


def predicted_vs_actual(pred: pd.DataFrame, model: str) -> go.Figure:
    """Each held-out campaign-month: actual ROI against the model's, marker size by spend."""
    size = 6 + 18 * np.sqrt(pred["spend"] / pred["spend"].max())
    fig = go.Figure(go.Scatter(x=pred[model], y=pred["roi"], mode="markers",
                               marker=dict(size=size, color=palette()[0], opacity=0.6),
                               text=pred["campaign_id"] + " " + pred["month_start"].dt.strftime("%Y-%m"),
                               hovertemplate="%{text}<br>predicted %{x:.0%}<br>actual %{y:.0%}<extra></extra>"))
    lo = float(np.nanmin([pred[model].min(), pred["roi"].min()]))
    hi = float(np.nanmax([pred[model].max(), pred["roi"].max()]))
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(dash="dash", color="grey"),
                             name="perfect", hoverinfo="skip"))
    fig.update_xaxes(title="predicted ROI", tickformat=".0%")
    fig.update_yaxes(title="actual ROI", tickformat=".0%")
    fig = _layout(fig, f"Later months: actual vs predicted ({model})")
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def coefficients(coefs: pd.DataFrame, top: int = 20) -> go.Figure:
    """Linear-model effects on ROI with their 95% bootstrap intervals."""
    c = coefs.head(top).iloc[::-1]
    err = {}
    if "lo" in c:
        err = dict(error_x=dict(type="data", symmetric=False, array=c["hi"] - c["effect"],
                                arrayminus=c["effect"] - c["lo"]))
    fig = go.Figure(go.Scatter(x=c["effect"], y=c["feature"], mode="markers",
                               marker=dict(size=9, color=palette()[0]), **err))
    fig.add_vline(x=0, line_dash="dot")
    fig.update_xaxes(title="effect on ROI (ROI points)")
    fig = _layout(fig, "Drivers: linear model coefficients", height=max(320, 22 * len(c) + 80))
    fig.update_layout(hovermode="closest")
    return fig


def importance(frame: pd.DataFrame) -> go.Figure:
    """Permutation importance: how much R2 drops when a feature is shuffled."""
    f = frame.iloc[::-1]
    fig = go.Figure(go.Bar(x=f["importance"], y=f["feature"], orientation="h", marker_color=palette()[0],
                           error_x=dict(type="data", array=f["std"])))
    fig.update_xaxes(title="drop in R2 when shuffled")
    return _layout(fig, "Drivers: permutation importance")


def partial_dependence(frame: pd.DataFrame, label: str | None = None) -> go.Figure:
    """Mean predicted ROI as one feature varies (the others as they were)."""
    feature = str(frame["feature"].iloc[0])
    numeric = pd.api.types.is_numeric_dtype(frame["value"])
    if numeric:
        fig = go.Figure(go.Scatter(x=frame["value"], y=frame["roi"], mode="lines+markers",
                                   line=dict(color=palette()[0])))
    else:
        fig = go.Figure(go.Bar(x=frame["value"].astype(str), y=frame["roi"], marker_color=palette()[0]))
    fig.update_yaxes(title="mean predicted ROI", tickformat=".0%")
    fig.update_xaxes(title=label or feature.replace("_", " "), type="log" if feature == "daily_spend" else None)
    return _layout(fig, f"Partial dependence on {label or feature.replace('_', ' ')}")
