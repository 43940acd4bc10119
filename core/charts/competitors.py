"""Competitor charts: the similarity map, similarity matrix, price table and topic mix."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.charts import _layout, palette


def similarity_map(points: pd.DataFrame) -> go.Figure:
    """Competitors placed so that distance reflects how differently their sites read."""
    if points is None or not len(points):
        return _layout(go.Figure(), "No competitors")
    fig = px.scatter(points, x="x", y="y", text="competitor", color="competitor",
                     color_discrete_sequence=palette())
    fig.update_traces(marker=dict(size=18), textposition="top center", showlegend=False)
    fig.update_xaxes(title="", showticklabels=False, zeroline=False)
    fig.update_yaxes(title="", showticklabels=False, zeroline=False, scaleanchor="x")
    return _layout(fig, "Similarity map (closer = more alike)", height=420).update_layout(hovermode="closest")


def similarity_matrix(sim: pd.DataFrame) -> go.Figure:
    """Cosine similarity between competitors' texts."""
    if sim is None or not len(sim):
        return _layout(go.Figure(), "No competitors")
    s = sim.set_index("competitor") if "competitor" in sim.columns else sim
    fig = go.Figure(go.Heatmap(z=s.to_numpy(dtype=float), x=list(s.columns), y=list(s.index), zmin=0, zmax=1,
                               colorscale="Blues", text=s.round(2).to_numpy(), texttemplate="%{text}"))
    return _layout(fig, "Text similarity (cosine)", height=140 + 40 * len(s))


def prices(table: pd.DataFrame) -> go.Figure:
    """Every plan's price, grouped by competitor, labelled with its period."""
    if table is None or not len(table):
        return _layout(go.Figure(), "No prices found")
    t = table.copy()
    t["label"] = (t["plan"].fillna("").replace("", "(no plan)") + " · " + t["currency"].astype(str)
                  + t["period"].fillna("").map(lambda p: f"/{p}" if p else "")
                  + t["unit"].fillna("").map(lambda u: f" per {u}" if u else ""))
    t = t.drop_duplicates(["competitor", "label", "amount"])
    fig = px.bar(t, x="label", y="amount", color="competitor", barmode="group", color_discrete_sequence=palette(),
                 hover_data=["url", "text"])
    fig.update_xaxes(title="plan")
    fig.update_yaxes(title="price")
    return _layout(fig, "Prices by plan")


def topic_mix(weights: pd.DataFrame) -> go.Figure:
    """How much of each competitor's site each topic covers."""
    if weights is None or not len(weights):
        return _layout(go.Figure(), "Too few pages for topics")
    long = weights.melt(id_vars="competitor", var_name="topic", value_name="share")
    fig = px.bar(long, x="share", y="competitor", color="topic", orientation="h",
                 color_discrete_sequence=palette())
    fig.update_xaxes(title="share of the site's text", tickformat=".0%")
    return _layout(fig, "Topic mix", height=160 + 40 * weights["competitor"].nunique())
