"""Chart builders: DataFrame in, Plotly/Altair figure out, no Streamlit calls.

Generic builders live here; each capability's own charts live in
``core/charts/<stem>.py``. Colours come from the theme in ``.streamlit/config.toml``.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

import numpy as np
import plotly.express as px
import plotly.graph_objects as go

_CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


@lru_cache(maxsize=1)
def palette() -> list[str]:
    """The theme's categorical colours (fallback: Plotly's)."""
    try:
        theme = tomllib.loads(_CONFIG.read_text()).get("theme", {})
        colours = theme.get("chartCategoricalColors")
        if colours:
            return list(colours)
    except OSError:
        pass
    return list(px.colors.qualitative.Plotly)


def add_band(fig: go.Figure, x, lower, upper, *, name: str, fillcolor: str, showlegend: bool = True,
             row: int | None = None, col: int | None = None) -> go.Figure:
    """Shade an interval, ``lower`` to ``upper`` over ``x``, as one trace (in subplot ``row``, ``col`` if given).

    One closed polygon (along the upper edge, back along the lower), so the band is a single
    legend entry that does not depend on the trace drawn before it, as ``fill="tonexty"`` does.
    """
    xs = np.asarray(x)
    band = go.Scatter(x=np.r_[xs, xs[::-1]], y=np.r_[np.asarray(upper, float), np.asarray(lower, float)[::-1]],
                      fill="toself", fillcolor=fillcolor, line=dict(width=0), mode="lines", name=name,
                      showlegend=showlegend, hoverinfo="skip")
    fig.add_trace(band, row=row, col=col)
    return fig


def _layout(fig: go.Figure, title: str | None = None, height: int = 360) -> go.Figure:
    fig.update_layout(title=dict(text=title, y=0.98, yanchor="top") if title else None, height=height,
                      margin=dict(l=10, r=10, t=70 if title else 30, b=10), legend_title_text="",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0), hovermode="x unified")
    return fig

