"""Segment charts: the k-selection curve, the 2-D map, profiles and sizes across ingests."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.charts import _layout, palette


def selection_curve(curve: pd.DataFrame, chosen: int | None = None) -> go.Figure:
    """Silhouette (higher is better) or BIC (lower is better) for each k tried, the chosen k marked.

    A mixture's curve (a ``segments`` column) is over component counts, each merging into some
    segments: the star marks the count the ``chosen`` segments came from."""
    fig = go.Figure()
    if curve is None or not len(curve):
        return _layout(fig, "k was set by hand")
    metric = str(curve["metric"].iloc[0])
    label = "Silhouette (higher is better)" if metric == "silhouette" else "BIC (lower is better)"
    merged = "segments" in curve and curve["segments"].notna().all()
    text = [f"merges into {int(s)} segments" for s in curve["segments"]] if merged else None
    fig.add_trace(go.Scatter(x=curve["k"], y=curve["score"], mode="lines+markers", name=label, text=text,
                             line=dict(color=palette()[0])))
    at = None
    if chosen is not None and merged and (curve["segments"] == chosen).any():
        rows = curve[curve["segments"] == chosen]
        at = int(rows.loc[rows["score"].idxmin(), "k"])
    elif chosen is not None and not merged and chosen in set(curve["k"]):
        at = chosen
    if at is not None:
        y = float(curve.loc[curve["k"] == at, "score"].iloc[0])
        fig.add_trace(go.Scatter(x=[at], y=[y], mode="markers", name=f"chosen: {chosen} segments",
                                 marker=dict(size=14, symbol="star", color=palette()[1 % len(palette())])))
    fig.update_xaxes(title="mixture components" if merged else "number of segments (k)", dtick=1)
    fig.update_yaxes(title=label)
    return _layout(fig, "Choosing k")


def projection(points: pd.DataFrame) -> go.Figure:
    """Customers on the first two principal components, coloured by segment name."""
    if points is None or not len(points):
        return _layout(go.Figure(), "No customers")
    fig = px.scatter(points, x="pc1", y="pc2", color="name", hover_data=["customer_id", "segment"],
                     color_discrete_sequence=palette(), opacity=0.6)
    fig.update_traces(marker=dict(size=5))
    fig.update_xaxes(title="component 1")
    fig.update_yaxes(title="component 2")
    return _layout(fig, "Customers in 2-D (PCA)", height=460).update_layout(hovermode="closest")


def profile_heatmap(table: pd.DataFrame) -> go.Figure:
    """What sets each segment apart: z-scores of its features against all customers."""
    zcols = [c for c in table.columns if c.startswith("z_")]
    if table is None or not len(table) or not zcols:
        return _layout(go.Figure(), "No profiles")
    z = table[zcols].to_numpy(dtype=float)
    fig = go.Figure(go.Heatmap(z=z, x=[c.removeprefix("z_").replace("_", " ") for c in zcols],
                               y=table["name"].tolist(), colorscale="RdBu", zmid=0, zmin=-2, zmax=2,
                               text=[[f"{v:+.1f}" for v in row] for row in z], texttemplate="%{text}",
                               colorbar=dict(title="z")))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Segment profiles (z-score vs all customers)", height=220 + 40 * len(table))


def size_history(history: pd.DataFrame) -> go.Figure:
    """Segment sizes at each run (full re-segmentations and incremental ingests)."""
    if history is None or not len(history):
        return _layout(go.Figure(), "No runs yet")
    h = history.copy()
    h["run"] = pd.to_datetime(h["at"]).dt.strftime("%Y-%m-%d %H:%M:%S") + " (" + h["kind"].astype(str) + ")"
    fig = px.bar(h, x="run", y="size", color="name", color_discrete_sequence=palette())
    fig.update_xaxes(title="run", type="category")
    fig.update_yaxes(title="customers")
    return _layout(fig, "Segment sizes across ingests")
