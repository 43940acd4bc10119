"""Chart helpers shared by the capabilities' charts: the interval band."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.charts import add_band
from core.charts import bandits as bandit_charts
from core.charts import monitoring as monitoring_charts
from core.charts import scheduling as scheduling_charts


def test_a_band_is_one_closed_polygon_along_the_upper_edge_and_back_along_the_lower():
    x = pd.date_range("2026-11-01", periods=3)
    fig = add_band(go.Figure(), x, [1.0, 2.0, 3.0], [4.0, 5.0, 6.0], name="band", fillcolor="rgba(0,0,0,0.2)")
    (trace,) = fig.data
    assert trace.fill == "toself" and trace.name == "band" and trace.showlegend
    assert list(trace.y) == [4.0, 5.0, 6.0, 3.0, 2.0, 1.0]
    assert pd.to_datetime(list(trace.x)).tolist() == [*x, *x[::-1]]
    grid = make_subplots(rows=1, cols=2)
    add_band(grid, [0, 1], [0, 0], [1, 1], name="b", fillcolor="red", showlegend=False, row=1, col=2)
    assert grid.data[0].xaxis == "x2" and not grid.data[0].showlegend


def test_the_monitor_and_forecast_charts_draw_their_intervals_as_bands():
    days = pd.date_range("2026-10-01", periods=10)
    series = pd.DataFrame({"date": days, "observed": np.arange(10.0), "expected": np.arange(10.0) + 0.5,
                           "lower": np.arange(10.0) - 1, "upper": np.arange(10.0) + 2, "alert": False})
    fig = monitoring_charts.expected_band(series, "leads")
    band = [t for t in fig.data if t.fill == "toself"]
    assert [t.name for t in band] == ["expected band"] and max(band[0].y) == 11.0
    forecast = pd.DataFrame({"date": days, "yhat": 5.0, "yhat_lower": 3.0, "yhat_upper": 8.0})
    fig = scheduling_charts.forecast_chart(pd.Series(4.0, index=days - pd.Timedelta(days=10)), forecast, "leads")
    assert [t.name for t in fig.data if t.fill == "toself"] == ["uncertainty band"]
    curves = pd.DataFrame({"policy": "thompson", "round": [1, 2, 3], "regret": [0.0, 1.0, 1.5],
                           "lo": [0.0, 0.5, 1.0], "hi": [0.0, 1.5, 2.0]})
    fig = bandit_charts.regret(curves)
    assert [t.fill for t in fig.data] == ["toself", None] and not fig.data[0].showlegend
