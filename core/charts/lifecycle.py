"""Charts of the model lifecycle: evaluation figures over time, drift per feature."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.charts import _layout, palette


def metric_history(history: pd.DataFrame, *, primary_only: bool = True, title: str | None = None) -> go.Figure:
    """Each family's evaluation figures over its runs; filled markers are promoted runs, open ones lost.

    ``history`` is :func:`core.lifecycle.metric_history`. One panel per family, each
    with its own y axis (the families' figures have different scales and directions).
    """
    from plotly.subplots import make_subplots

    frame = history[history["primary"]] if primary_only and len(history) else history
    frame = frame.dropna(subset=["value"]) if len(frame) else frame
    if not len(frame):
        return _layout(go.Figure(), title or "No runs yet")
    families = list(dict.fromkeys(frame["family"]))
    names = [f"{fam}: " + ", ".join(dict.fromkeys(frame.loc[frame["family"] == fam, "metric"])) for fam in families]
    fig = make_subplots(rows=len(families), cols=1, shared_xaxes=True, subplot_titles=names,
                        vertical_spacing=min(0.08, 0.3 / len(families)))
    colours = palette()
    for i, fam in enumerate(families, start=1):
        part = frame[frame["family"] == fam]
        for j, (metric, g) in enumerate(part.sort_values("trained_at").groupby("metric", sort=False)):
            fig.add_trace(go.Scatter(
                x=g["trained_at"], y=g["value"], mode="lines+markers", name=f"{fam}: {metric}",
                line=dict(color=colours[(i - 1 + j) % len(colours)]),
                marker=dict(size=9, symbol=["circle" if p else "circle-open" for p in g["promoted"]]),
                customdata=list(zip(g["run_id"], g["promoted"].map({True: "promoted", False: "kept the champion"}))),
                hovertemplate="%{y:.4g} (%{customdata[1]})<br>run %{customdata[0]}<extra>" + metric + "</extra>"),
                row=i, col=1)
    fig = _layout(fig, title, height=max(260, 170 * len(families)))
    fig.update_layout(showlegend=not primary_only, margin=dict(t=80 if title else 40))
    return fig


def drift_bars(table: pd.DataFrame, threshold: float, title: str | None = None) -> go.Figure:
    """PSI per feature against the drift threshold; drifted features stand out."""
    frame = table.dropna(subset=["psi"]).copy() if len(table) else table
    if not len(frame):
        return _layout(go.Figure(), title or "Too little data to compare")
    frame["psi"] = frame["psi"].clip(upper=10.0)
    frame["state"] = frame["drifted"].map({True: "drifted", False: "stable"})
    colours = palette()
    fig = px.bar(frame, x="feature", y="psi", color="state",
                 color_discrete_map={"stable": colours[0], "drifted": colours[min(3, len(colours) - 1)]},
                 hover_data={"p_value": ":.2g", "note": True})
    fig.add_hline(y=threshold, line_dash="dot", annotation_text=f"PSI {threshold}")
    return _layout(fig, title)
