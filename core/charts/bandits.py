"""Charts of the A/B bandits capability: data in, Plotly figure out, no Streamlit calls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts import _layout, add_band, palette

_NAMES = {"thompson": "Thompson sampling", "ucb1": "UCB1", "epsilon-greedy": "Epsilon-greedy",
          "fixed": "Fixed equal split (A/B)"}


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    if len(h) != 6:
        return f"rgba(128,128,128,{alpha})"
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def regret(curves: pd.DataFrame, *, band: bool = True) -> go.Figure:
    """Mean cumulative pseudo-regret per policy over rounds, with a 10-90% band across runs."""
    fig = go.Figure()
    for i, (pol, g) in enumerate(curves.groupby("policy", sort=False)):
        colour = palette()[i % len(palette())]
        name = _NAMES.get(pol, pol)
        if band:
            add_band(fig, g["round"], g["lo"], g["hi"], name=name, fillcolor=_rgba(colour, 0.15), showlegend=False)
        fig.add_trace(go.Scatter(x=g["round"], y=g["regret"], name=name, line=dict(color=colour)))
    fig.update_xaxes(title="round (impressions)")
    fig.update_yaxes(title="cumulative regret (lost clicks)")
    return _layout(fig, "Cumulative regret: what each policy lost against always showing the best")


def waste(curves: pd.DataFrame) -> go.Figure:
    """Share of traffic so far sent to losing arms, per policy."""
    fig = go.Figure()
    for i, (pol, g) in enumerate(curves.groupby("policy", sort=False)):
        fig.add_trace(go.Scatter(x=g["round"], y=g["waste_share"], name=_NAMES.get(pol, pol),
                                 line=dict(color=palette()[i % len(palette())])))
    fig.update_yaxes(title="share of traffic on losing arms", tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(title="round (impressions)")
    return _layout(fig, "Traffic wasted on losers")


def allocation(history: pd.DataFrame, next_shares: pd.DataFrame | None = None) -> go.Figure:
    """Recommended share per arm after each day (stacked), and the next period's."""
    h = history.copy()
    if next_shares is not None and len(h):
        nxt = next_shares.assign(date=h["date"].max() + pd.Timedelta(days=1)).rename(
            columns={"share": "recommended_share"})
        h = pd.concat([h, nxt[["date", "arm", "recommended_share"]]], ignore_index=True)
    fig = go.Figure()
    for i, (arm, g) in enumerate(h.groupby("arm", sort=False)):
        fig.add_trace(go.Scatter(x=g["date"], y=g["recommended_share"], name=str(arm), stackgroup="one",
                                 line=dict(color=palette()[i % len(palette())])))
    fig.update_yaxes(title="recommended share", tickformat=".0%", range=[0, 1])
    return _layout(fig, "Traffic share recommended for each day")


def posteriors(table: pd.DataFrame, *, count: bool = False, points: int = 300, unit_scale: float = 100.0,
               unit: str = "CTR (%)") -> go.Figure:
    """Posterior density of each arm's rate (Beta, or Gamma for per-dollar rewards).

    ``table`` has columns arm, successes, trials (as :func:`core.bandits.arm_stats` returns).
    """
    from scipy import stats

    from core.bandits import posterior_params

    a, b = posterior_params(table["successes"].to_numpy(float), table["trials"].to_numpy(float), count=count)
    dists = [stats.gamma(ai, scale=1 / bi) if count else stats.beta(ai, bi) for ai, bi in zip(a, b)]
    lo = min(d.ppf(0.0005) for d in dists)
    hi = max(d.ppf(0.9995) for d in dists)
    x = np.linspace(lo, hi, points)
    fig = go.Figure()
    for i, (arm, d) in enumerate(zip(table["arm"], dists)):
        fig.add_trace(go.Scatter(x=x * unit_scale, y=d.pdf(x) / unit_scale, name=str(arm), fill="tozeroy",
                                 line=dict(color=palette()[i % len(palette())])))
    fig.update_xaxes(title=unit)
    fig.update_yaxes(title="posterior density", showticklabels=False)
    return _layout(fig, "What each arm's true rate may be")


def prob_best(decision_table: pd.DataFrame, threshold: float | None = None) -> go.Figure:
    """P(best) per arm as bars, with the stopping threshold."""
    fig = go.Figure(go.Bar(x=decision_table["arm"].astype(str), y=decision_table["prob_best"],
                           marker_color=palette()[0], text=[f"{p:.0%}" for p in decision_table["prob_best"]],
                           textposition="outside"))
    if threshold is not None:
        fig.add_hline(y=threshold, line_dash="dash", annotation_text=f"stop at {threshold:.0%}")
    fig.update_yaxes(title="probability of being best", tickformat=".0%", range=[0, 1.1])
    return _layout(fig, "Probability each arm is best")


def ope(estimates: pd.DataFrame) -> go.Figure:
    """Off-policy estimates with intervals beside each target's on-policy mean (click rate, %)."""
    fig = go.Figure()
    labels = [f"{t} on {l} log · {e}" for t, l, e in zip(estimates["target"], estimates["log"],
                                                          estimates["estimator"])]
    fig.add_trace(go.Scatter(
        x=estimates["value"] * 100, y=labels, mode="markers", name="off-policy estimate",
        marker=dict(color=palette()[0], size=10),
        error_x=dict(type="data", symmetric=False, array=(estimates["hi"] - estimates["value"]) * 100,
                     arrayminus=(estimates["value"] - estimates["lo"]) * 100)))
    fig.add_trace(go.Scatter(
        x=estimates["on_policy"] * 100, y=labels, mode="markers", name="on-policy mean of the target's own log",
        marker=dict(color=palette()[1 % len(palette())], symbol="diamond", size=10),
        error_x=dict(type="data", symmetric=False, array=(estimates["on_policy_hi"] - estimates["on_policy"]) * 100,
                     arrayminus=(estimates["on_policy"] - estimates["on_policy_lo"]) * 100)))
    fig.update_xaxes(title="click rate (%)")
    fig = _layout(fig, "Off-policy estimates vs what each policy really earned", height=320)
    fig.update_layout(hovermode="closest")
    return fig
