"""Charts of the model lifecycle: evaluation figures over time, drift per feature."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.charts import _layout, palette


def metric_history(history: pd.DataFrame, *, primary_only: bool = True, title: str | None = None) -> go.Figure:
    """Each family's evaluation figures over its runs; filled markers are promoted runs.

    ``history`` is :func:`core.lifecycle.metric_history`. One panel per family, each
    with its own y axis (the families' figures have different scales and directions).
    """
    frame = history[history["primary"]] if primary_only and len(history) else history
    frame = frame.dropna(subset=["value"]) if len(frame) else frame
    if not len(frame):
        return _layout(go.Figure(), title or "No runs yet")
    frame = frame.assign(label=frame["family"] + ": " + frame["metric"],
                         decision=frame["promoted"].map({True: "promoted", False: "kept the champion"}))
    families = list(dict.fromkeys(frame["family"]))
    fig = px.line(frame.sort_values("trained_at"), x="trained_at", y="value", color="metric",
                  facet_row="family", category_orders={"family": families}, markers=True,
                  symbol="decision", symbol_map={"promoted": "circle", "kept the champion": "circle-open"},
                  color_discrete_sequence=palette(), hover_data={"run_id": True, "decision": True})
    fig.update_yaxes(matches=None, title_text="")
    fig.update_xaxes(title_text="")
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    return _layout(fig, title, height=max(260, 170 * len(families)))


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
