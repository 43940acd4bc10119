"""Overview: KPI tiles against the previous period, trend by platform, breakdowns."""

import streamlit as st

from core import overview
from core.charts import overview as charts
from core.monitoring.freshness import stale_note
from pages import _shared

st.title("Overview")

if _shared.empty_note("campaign data"):
    st.stop()

f = _shared.filters()
wh = _shared.warehouse()
period = f"{f.start:%b %d, %Y} – {f.end:%b %d, %Y}" if f.start and f.end else "all history"
st.caption(f"Campaign performance for {period}, compared with the previous period of equal length.")
data_end = wh.date_range()[1]
stale = stale_note(data_end)
if stale:
    st.warning(stale[0].upper() + stale[1:], icon=":material/history_toggle_off:")

with _shared.error_box():
    kpis = overview.kpis(wh, f)
    for row_start in (0, 6):
        cols = st.columns(6)
        for col, k in zip(cols, kpis.iloc[row_start:row_start + 6].itertuples()):
            delta = None if k.change != k.change else f"{k.change:+.1%}"
            col.metric(k.label, overview.format_value(k.value, k.format), delta,
                       delta_color={True: "normal", False: "inverse"}.get(k.higher_is_better, "off"),
                       help=f"Previous period: {overview.format_value(k.previous, k.format)}")

    left, right = st.columns([3, 1])
    metric = right.selectbox("Metric", overview.KPIS, index=0, key="overview.metric",
                             format_func=lambda k: overview.KPI_META[k][0])
    grain = right.radio("Grain", ["day", "week", "month"], index=1, horizontal=True, key="overview.grain")
    trend = overview.trend(wh, f, grain, "platform")
    last_day = min(d for d in (f.end, data_end) if d is not None) if data_end else None
    left.plotly_chart(charts.trend(trend, metric, partial_from=overview.partial_period_start(last_day, grain),
                                   grain=grain), key="overview.trend")

    st.subheader("Breakdown")
    by = st.segmented_control("By", list(charts.BREAKDOWN_LABELS), default="platform", key="overview.by",
                              format_func=lambda b: charts.BREAKDOWN_LABELS[b]) or "platform"
    table = overview.breakdown(wh, f, by)
    st.plotly_chart(charts.breakdown(table, by, metric), key="overview.breakdown_chart")
    money = {k: st.column_config.NumberColumn(overview.KPI_META[k][0], format="dollar")
             for k in ("spend", "revenue", "cpc", "cpl", "cpa")}
    counts = {k: st.column_config.NumberColumn(overview.KPI_META[k][0], format="localized")
              for k in ("impressions", "clicks", "leads", "conversions")}
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        **money, **counts,
        "ctr": st.column_config.NumberColumn("CTR", format="percent"),
        "roas": st.column_config.NumberColumn("ROAS", format="%.2fx")})
    _shared.download_buttons(table, f"breakdown-by-{by}", key="overview.breakdown")
