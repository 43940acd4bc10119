"""Charts of the recommendations page: frames in, Plotly figures out, no Streamlit calls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.charts import _layout, palette


def _legend_below(fig: go.Figure, height: int | None = None) -> go.Figure:
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.15, x=0), margin=dict(t=30, b=10))
    if height:
        fig.update_layout(height=height)
    return fig


def allocation(candidates: pd.DataFrame, baseline_mix: dict[str, float] | None = None,
               today: pd.DataFrame | None = None) -> go.Figure:
    """Daily budget by platform: today's spend (``today``: every line item with ``platform`` and
    ``current_daily_spend``; default the candidates), the baseline mix and the plan, side by side."""
    c = candidates.copy()
    now = c if today is None else today[today["platform"].isin(c["platform"].unique())]
    rows = {"Today": now.groupby("platform")["current_daily_spend"].sum(),
            "Plan": c.groupby("platform")["daily_budget"].sum()}
    if baseline_mix:
        base = pd.Series(baseline_mix, dtype=float)
        plat = base.index.str.split("|").str[0]
        rows["Baseline (same budget)"] = base.groupby(plat).sum()
    frame = pd.DataFrame(rows).fillna(0.0)
    frame = frame.loc[frame.sum(1) > 0]
    colours = palette()
    fig = go.Figure()
    for i, col in enumerate([k for k in ("Today", "Baseline (same budget)", "Plan") if k in frame]):
        fig.add_bar(name=col, x=frame.index, y=frame[col], marker_color=colours[i % len(colours)],
                    hovertemplate="%{x}: $%{y:,.0f}/day<extra>" + col + "</extra>")
    fig.update_layout(barmode="group", yaxis_title="daily budget ($)")
    return _legend_below(_layout(fig, None))


def response_curves(curves: pd.DataFrame, metric: str = "leads", cols: int = 2) -> go.Figure:
    """One panel per planned line item: expected outcome vs daily spend with its 90% band,
    today's spend and the recommended spend marked."""
    labels = list(dict.fromkeys(curves["label"])) if len(curves) else []
    n = max(len(labels), 1)
    cols = min(cols, n)
    rows = int(np.ceil(n / cols))
    titles = [l.replace(" · ", "<br>", 1)[:80] for l in labels] or [""]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.08,
                        vertical_spacing=min(0.25, 0.6 / rows) if rows > 1 else 0.2)
    fig.update_annotations(font_size=12)
    colours = palette()
    for i, label in enumerate(labels):
        d = curves[curves["label"] == label]
        r, c = i // cols + 1, i % cols + 1
        first = i == 0
        fig.add_trace(go.Scatter(x=np.r_[d["spend"], d["spend"][::-1]], y=np.r_[d["hi"], d["lo"][::-1]],
                                 fill="toself", line=dict(width=0), fillcolor="rgba(120,120,120,0.18)",
                                 name="90% band", showlegend=first, hoverinfo="skip"), r, c)
        fig.add_trace(go.Scatter(x=d["spend"], y=d["expected"], mode="lines", line=dict(color=colours[0]),
                                 name=f"expected {metric}", showlegend=first,
                                 hovertemplate="$%{x:,.0f}/day → %{y:.2f}<extra></extra>"), r, c)
        for col, name, colour, symbol in (("current", "today", colours[1 % len(colours)], "circle"),
                                          ("recommended", "recommended", colours[2 % len(colours)], "star")):
            x0 = float(d[col].iloc[0])
            y0 = float(np.interp(x0, d["spend"], d["expected"]))
            fig.add_trace(go.Scatter(x=[x0], y=[y0], mode="markers", name=name, showlegend=first,
                                     marker=dict(size=11, color=colour, symbol=symbol),
                                     hovertemplate=f"{name}: $%{{x:,.0f}}/day → %{{y:.2f}}<extra></extra>"), r, c)
    fig = _legend_below(_layout(fig, None), height=max(340, 300 * rows))
    fig.update_layout(hovermode="closest", margin=dict(t=60, b=10))
    fig.update_xaxes(title_text="daily spend ($)", row=rows)
    return fig


def budget_sweep(sweep: pd.DataFrame, goal: str = "leads") -> go.Figure:
    """Expected outcome (bars) and CPL (line) of the best plan from half to double the budget."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    colours = palette()
    x = [f"${v:,.0f}/day" for v in sweep["daily_budget"]]
    fig.add_bar(x=x, y=sweep[goal], name=f"expected {goal}/day", marker_color=colours[0], secondary_y=False)
    fig.add_trace(go.Scatter(x=x, y=sweep["cpl"], name="expected CPL", mode="lines+markers",
                             line=dict(color=colours[1 % len(colours)])), secondary_y=True)
    fig.update_yaxes(title_text=f"{goal} per day", secondary_y=False)
    fig.update_yaxes(title_text="CPL ($)", secondary_y=True)
    return _legend_below(_layout(fig, None))


def backtest(weeks: pd.DataFrame, metric: str = "leads") -> go.Figure:
    """Weekly actual vs predicted (at the spend actually made) with the prediction interval."""
    colours = palette()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=np.r_[weeks["week"], weeks["week"][::-1]], y=np.r_[weeks["hi"], weeks["lo"][::-1]],
                             fill="toself", line=dict(width=0), fillcolor="rgba(120,120,120,0.2)",
                             name="80% interval", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=weeks["week"], y=weeks["predicted"], name="predicted", mode="lines",
                             line=dict(color=colours[0])))
    fig.add_trace(go.Scatter(x=weeks["week"], y=weeks["actual"], name="actual", mode="lines+markers",
                             line=dict(color=colours[1 % len(colours)])))
    fig.update_layout(yaxis_title=f"{metric} per week")
    return _legend_below(_layout(fig, None))
