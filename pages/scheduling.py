"""Scheduling: when to post (best slots, habit, a two-week calendar) and what the coming weeks bring."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core import scheduling
from core.charts import scheduling as charts
from pages import _shared

st.title("Scheduling")
st.caption("When to post, from your own posts' engagement per weekday and hour (slots with few posts borrow "
           "strength from their neighbours, and every estimate has an interval); and what the coming weeks "
           "will bring, forecast with Prophet. Both use the whole history.")

wh = _shared.warehouse()
counts = wh.counts()
if not counts.get("posts") and not counts.get("campaigns"):
    _shared.empty_note("posts")
    st.stop()

LOCAL = "Each post's local time"
ZONES = [LOCAL, "UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
         "Europe/London", "Europe/Berlin", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney"]


# Fits live in the shared store keyed by data version and settings: once per data, never on a widget change,
# and reused by every session.
def _best_times(version: int, tz: str | None) -> scheduling.BestTimes:
    return _shared.fitted("scheduling.best_times", tz,
                          lambda: scheduling.BestTimes(tz=tz).fit(_shared.table("posts")), version=version)


def _forecast(version: int, metric: str, campaign: str | None, horizon: int, country: str) -> dict:
    def fit():
        bar = st.progress(0.0, "Fitting Prophet…")
        try:
            return scheduling.forecast_report(_shared.warehouse(), metric, campaign, horizon=horizon,
                                              country=country, progress=lambda f, m: bar.progress(min(f, 1.0), m))
        finally:
            bar.empty()
    return _shared.fitted("scheduling.forecast", (metric, campaign, horizon, country), fit, version=version)


best_tab, forecast_tab = st.tabs(["Best time to post", "Forecast"])

with best_tab:
    if not _shared.empty_note("posts"):
        posts = _shared.table("posts")
        zone = _shared.settings().timezone
        zones = ZONES + ([zone] if zone and zone not in ZONES else [])
        with st.form("scheduling.best_form"):
            c1, c2, c3, c4 = st.columns(4)
            platform = c1.selectbox("Platform", ["all"] + sorted(posts["platform"].str.lower().unique()),
                                    key="scheduling.platform")
            tz = c2.selectbox("Time zone", zones, key="scheduling.tz",
                              help="Slots are in the local time each post was published in, unless you pick a zone.")
            top_n = c3.number_input("Top slots", 1, 30, 5, key="scheduling.top")
            min_posts = c4.number_input("Only slots with at least N posts", 0, 50, 0, key="scheduling.min_posts")
            st.form_submit_button("Rank slots", icon=":material/schedule:")
        with _shared.error_box():
            with st.spinner("Estimating every weekday x hour slot..."):
                model = _best_times(_shared.data_version(), None if tz == LOCAL else tz)
            media_options = ["all"] + (model.media_types(platform) if platform != "all" else [])
            media = st.radio("Media type", media_options, horizontal=True, key="scheduling.media")
            table = model.slots(platform, media)
            top = model.predict(platform, media, top=int(top_n), min_posts=int(min_posts))
            unit = "engagements per post" if model.family(platform, media) == "gamma" else "engagement rate"
            habit = model.habit(platform, media, top=10)
            if not len(top):
                st.warning(f"No slot has {int(min_posts)} posts or more; showing every slot.")
                top, min_posts = model.predict(platform, media, top=int(top_n)), 0
            best = top.iloc[0]
            m1, m2, m3, m4 = st.columns(4)
            m1.metric("Best slot", f"{scheduling.WEEKDAYS[int(best.weekday)][:3]} {int(best.hour):02d}:00")
            m2.metric(f"Expected {unit}", f"{best.expected_engagement_rate:.4g}",
                      help=f"90% interval {best.lower:.4g} to {best.upper:.4g}")
            m3.metric("Your posts in the best 10 slots", f"{habit['share_in_top']:.0%}")
            m4.metric("Best 10 slots vs your habit", f"{habit['lift']:+.0%}")
            st.plotly_chart(charts.slot_heatmap(table, top=int(top_n), unit=unit), key="scheduling.heatmap")
            st.caption(model.describe(platform, media))
            c1, c2 = st.columns(2)
            c1.plotly_chart(charts.slot_intervals(top, unit=unit, title="Top slots with 90% intervals"),
                            key="scheduling.intervals")
            c2.plotly_chart(charts.habit_vs_best(table, top=10, title="Where you post vs the best slots"),
                            key="scheduling.habit")
            shown = top.assign(weekday=top["weekday"].map(lambda d: scheduling.WEEKDAYS[int(d)]))
            st.dataframe(shown, hide_index=True, width="stretch", key="scheduling.top_table")
            _shared.download_buttons(top, "best-times", key="scheduling.dl_top")

            st.subheader("Suggested posting calendar, next two weeks")
            per_week = model.posts_per_week_.get(platform, sum(model.posts_per_week_.values()))
            per_week = st.slider("Posts a week", 1, 21, int(min(max(round(per_week), 1), 21)),
                                 key="scheduling.per_week")
            ranked = table[table["posts"] >= int(min_posts)]
            cal = scheduling.suggest_calendar(ranked, date.today() + timedelta(days=1), days=14, per_week=per_week)
            st.dataframe(cal, hide_index=True, width="stretch", key="scheduling.calendar")
            ics = scheduling.calendar_ics(cal, tz=None if tz == LOCAL else tz, unit=unit)
            c1, c2 = st.columns([1, 5])
            c1.download_button(".ics", ics, "posting-calendar.ics", "text/calendar", key="scheduling.dl_ics",
                               icon=":material/event:")
            with c2:
                _shared.download_buttons(cal, "posting-calendar", key="scheduling.dl_cal")

with forecast_tab:
    options = ([*scheduling.CAMPAIGN_METRICS] if counts.get("campaigns") else []) + \
              (["engagement"] if counts.get("posts") else [])
    campaigns = _shared.table("campaigns") if counts.get("campaigns") else pd.DataFrame()
    names = {} if campaigns.empty else dict(zip(campaigns["campaign_id"], campaigns["campaign_name"].fillna("")))
    with st.form("scheduling.forecast_form"):
        c1, c2, c3 = st.columns([1, 2, 1])
        metric = c1.selectbox("Metric", options, key="scheduling.metric")
        campaign = c2.selectbox("Campaign (campaign metrics)", ["All campaigns"] + list(names),
                                key="scheduling.campaign", format_func=lambda c: f"{names.get(c) or c} ({c})"
                                if c in names else c)
        horizon = c3.number_input("Days ahead", 7, 180, 28, key="scheduling.horizon")
        st.form_submit_button("Forecast", icon=":material/trending_up:")
    with _shared.error_box():
        chosen = None if campaign == "All campaigns" or metric == "engagement" else campaign
        result = _forecast(_shared.data_version(), metric, chosen, int(horizon), _shared.settings().country)
        st.caption(scheduling.forecast_note(result))
        bt = result["backtest"]
        m1, m2, m3 = st.columns(3)
        if "mase" in bt:
            m1.metric("MASE (Prophet)", f"{bt['mase']:.2f}", help="Mean absolute error over the backtest, scaled "
                      "by the in-sample error of last week's same-day value; below 1 beats that scale.")
            m2.metric("MASE (seasonal naive)", f"{bt['naive_mase']:.2f}")
            m3.metric("Error vs seasonal naive", f"{bt['relative_mae']:.0%}",
                      help="Prophet's mean absolute error as a share of the seasonal-naive forecast's.")
        else:
            st.info(bt.get("note", "No backtest."))
        st.plotly_chart(charts.forecast_chart(result["history"], result["forecast"], metric),
                        key="scheduling.forecast_chart")
        st.caption(f"{result['model']}; unit: {result['unit']}.")
        if "per_fold" in bt:
            st.plotly_chart(charts.backtest_chart(pd.DataFrame(bt["per_fold"]),
                                                  title=f"Rolling-origin backtest, {bt['horizon']} days ahead"),
                            key="scheduling.backtest_chart")
        table = result["forecast"].assign(date=result["forecast"]["date"].dt.date)
        st.dataframe(table, hide_index=True, width="stretch", key="scheduling.forecast_table")
        _shared.download_buttons(table, f"forecast-{metric}", key="scheduling.dl_forecast")
