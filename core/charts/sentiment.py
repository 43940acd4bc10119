"""Sentiment charts: frames from ``core.sentiment`` in, Plotly figures out (no Streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.charts import _layout, palette

#: One colour per class, in the theme's order where it has three.
def label_colours() -> dict[str, str]:
    p = palette()
    return {"negative": p[min(1, len(p) - 1)], "neutral": "#9e9e9e", "positive": p[0]}


def _empty(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, None, height=240)


def over_time(trend: pd.DataFrame, *, by: str = "platform", title: str | None = None) -> go.Figure:
    """Mean polarity per period, one line per ``by`` group, with the comment count on hover."""
    if trend.empty:
        return _empty("No scored comments in this range")
    fig = px.line(trend, x="period", y="mean_score", color=by, markers=True, color_discrete_sequence=palette(),
                  hover_data={"comments": True, "negative_share": ":.0%"},
                  labels={"mean_score": "mean sentiment (-1 to 1)", "period": ""})
    fig.add_hline(y=0, line_dash="dot", line_color="#9e9e9e")
    fig.update_yaxes(range=[-1, 1])
    return _layout(fig, title)


def label_mix(scored: pd.DataFrame, *, freq: str = "W", title: str | None = None) -> go.Figure:
    """Comments per period stacked by final sentiment."""
    frame = scored.dropna(subset=["sentiment"]) if "sentiment" in scored else scored.iloc[0:0]
    if frame.empty:
        return _empty("No scored comments in this range")
    period = pd.to_datetime(frame["created_at"], utc=True).dt.tz_localize(None).dt.to_period(freq).dt.start_time
    counts = frame.assign(period=period).groupby(["period", "sentiment"]).size().rename("comments").reset_index()
    fig = px.bar(counts, x="period", y="comments", color="sentiment", color_discrete_map=label_colours(),
                 category_orders={"sentiment": ["negative", "neutral", "positive"]}, labels={"period": ""})
    return _layout(fig, title)


def posts(summary: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Mean polarity per post (worst first), bar width by comments."""
    if summary.empty:
        return _empty("No comments linked to posts")
    frame = summary.iloc[::-1]
    fig = px.bar(frame, x="mean_score", y="post_id", orientation="h", color="platform",
                 color_discrete_sequence=palette(), hover_data={"comments": True, "negative_share": ":.0%"},
                 labels={"mean_score": "mean sentiment", "post_id": ""})
    fig.update_xaxes(range=[-1, 1])
    return _layout(fig, title, height=max(240, 28 * len(frame) + 80))


def drivers(words: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """The words that drive each class (log-odds z-scores), one panel per class."""
    if words.empty:
        return _empty("Too few comments to find driving words")
    fig = px.bar(words.iloc[::-1], x="z", y="word", color="label", facet_col="label", orientation="h",
                 color_discrete_map=label_colours(), hover_data={"count": True},
                 category_orders={"label": ["negative", "neutral", "positive"]}, labels={"z": "z", "word": ""})
    fig.update_yaxes(matches=None, showticklabels=True)
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    fig.update_layout(showlegend=False)
    return _layout(fig, title, height=max(300, 22 * words.groupby("label").size().max() + 100))


def model_card(card: pd.DataFrame, *, metric: str = "macro_recall", title: str | None = None) -> go.Figure:
    """This model against VADER on every labelled set, one metric."""
    if card.empty:
        return _empty("No model card figures")
    fig = px.bar(card, x="set", y=metric, color="who", barmode="group", color_discrete_sequence=palette(),
                 text=metric, labels={"set": "", metric: metric.replace("_", " ")})
    fig.update_traces(texttemplate="%{text:.2f}", textposition="outside")
    fig.update_yaxes(range=[0, 1])
    return _layout(fig, title)
