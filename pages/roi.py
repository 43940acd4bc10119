"""ROI: what each campaign returned, what drives it, and what a planned campaign will return."""

import pandas as pd
import streamlit as st

from core import roi as R
from core.charts import roi as charts
from core.errors import NotEnoughDataError
from pages import _shared

st.title("ROI")
st.caption("Returns over the sidebar's period; the models learn from the whole history.")
if _shared.empty_note("campaign data"):
    st.stop()


# The model fits, in the shared store keyed by data version and settings (new data refits).
def _analysis(version: int, level: float, alpha: float, min_spend: float) -> R.ROIAnalysis:
    def fit():
        bar = st.progress(0.0, "Validating on later months...")
        try:
            return R.analyse(_shared.table("campaigns"), level=level, alpha=alpha, min_spend=min_spend,
                             progress=lambda f, m: bar.progress(min(f, 1.0), m))
        finally:
            bar.empty()
    return _shared.fitted("roi", (level, alpha, min_spend), fit, version=version)


def _importance(version: int, level: float, alpha: float, min_spend: float) -> pd.DataFrame:
    def compute():
        res = _analysis(version, level, alpha, min_spend)
        return R.permutation_importance_frame(res.model, res.months, n_repeats=3)
    return _shared.frame("roi.importance", (level, alpha, min_spend), compute, version=version)


with _shared.error_box():
    period = _shared.table("campaigns", _shared.filters())
    by = st.segmented_control("ROI by", list(R.GROUPS), default="platform", key="roi.by",
                              format_func=lambda s: s.replace("_", " ")) or "platform"
    table = R.roi_table(period, by)
    spend, revenue = float(period["spend"].sum()), float(period["revenue"].sum())
    c = st.columns(5)
    c[0].metric("Spend", f"${spend:,.0f}")
    c[1].metric("Revenue", f"${revenue:,.0f}")
    c[2].metric("ROI", f"{(revenue - spend) / spend:.0%}" if spend else "–")
    c[3].metric("ROAS", f"{revenue / spend:.2f}" if spend else "–")
    conv = float(period["conversions"].sum())
    c[4].metric("CPA", f"${spend / conv:,.2f}" if conv else "–")
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.roi_bars(table, by), key="roi.bars")
    right.dataframe(table, hide_index=True, key="roi.table", column_config={
        "roi": st.column_config.NumberColumn("ROI", format="percent"),
        "roas": st.column_config.NumberColumn("ROAS", format="%.2f"),
        "cpa": st.column_config.NumberColumn("CPA", format="dollar"),
        "cpl": st.column_config.NumberColumn("CPL", format="dollar")})
    _shared.download_buttons(table, f"roi-by-{by}", key="roi.dl_table")

st.subheader("What drives ROI, and what a planned campaign will return")
with st.form("roi.model_form"):
    c = st.columns(3)
    level = c[0].slider("Range to show (how sure)", 0.5, 0.95, 0.8, 0.05, key="roi.level")
    alpha = c[1].number_input("Smoothing of the linear model", 0.01, 100.0, 1.0, key="roi.alpha",
                              help="The ridge penalty (alpha): higher keeps the drivers closer to zero.")
    min_spend = c[2].number_input("Ignore campaign-months spending under ($)", 0.0, value=50.0, key="roi.min_spend")
    st.form_submit_button("Refit")

with _shared.error_box():
    try:
        res = _analysis(_shared.data_version(), float(level), float(alpha), float(min_spend))
    except NotEnoughDataError as exc:
        st.info(f"{exc.message} The ROI read-out above still works; the models need more history.",
                icon=":material/hourglass_empty:")
        st.stop()
    s = res.cv.scores.set_index("model")
    best = res.cv.best()
    off, off_base = s.loc[best, "mape"], s.loc["platform mean", "mape"]
    st.success(f"Tested on later months it had not seen, the model's revenue forecasts were off by {off:.0%} on "
               f"average, against {off_base:.0%} when each platform's average ROI is used as the forecast.")
    with st.expander("Details: how the model was scored"):
        st.markdown(f"The {'gradient-boosted' if best == 'gbm' else 'linear'} model explains {s.loc[best, 'r2']:.0%} "
                    f"of the spend-weighted variation in ROI on later months (R² {s.loc[best, 'r2']:.2f}, revenue "
                    f"MAPE {s.loc[best, 'mape']:.0%}) against R² {s.loc['platform mean', 'r2']:.2f} and MAPE "
                    f"{off_base:.0%} for each platform's average ROI. Code: core/roi.py.")
    t_val, t_drv, t_what, t_camp = st.tabs(["How reliable", "Drivers", "What-if", "Campaigns"])
    with t_val:
        st.caption("Each dot is a campaign-month the model had not seen: forecast against what it returned.")
        left, right = st.columns(2)
        left.plotly_chart(charts.cv_scores(res.cv.scores), key="roi.cv_chart")
        right.plotly_chart(charts.predicted_vs_actual(res.cv.predictions, best), key="roi.pva")
        with st.expander("Details: scores per model and per test period"):
            st.dataframe(res.cv.scores, hide_index=True, key="roi.cv_scores")
            st.dataframe(res.cv.folds, hide_index=True, key="roi.cv_folds", column_config={
                c: st.column_config.DateColumn(format="YYYY-MM") for c in ("test_start", "test_end")})
        _shared.download_buttons(res.cv.folds, "roi-validation", key="roi.dl_cv")
    with t_drv:
        left, right = st.columns(2)
        left.plotly_chart(charts.coefficients(res.linear.coefficients()), key="roi.coefs")
        imp = _importance(_shared.data_version(), float(level), float(alpha), float(min_spend))
        right.plotly_chart(charts.importance(imp), key="roi.importance")
        feature = st.selectbox("Partial dependence on", ["daily_spend", "month", "platform", "ad_type",
                                                          "bidding_strategy", "interests"], key="roi.pd_feature")
        st.plotly_chart(charts.partial_dependence(R.partial_dependence(res.model, res.months, feature)),
                        key="roi.pd")
        _shared.download_buttons(res.linear.coefficients(), "roi-coefficients", key="roi.dl_coefs")
    with t_what:
        m = res.months
        with st.form("roi.whatif"):
            c = st.columns(4)
            top = m.loc[m["spend"].idxmax()]          # the defaults: the biggest campaign-month, a combination seen
            opts = {col: sorted(m[col].astype(str).unique()) for col in
                    ("platform", "ad_type", "bidding_strategy", "objective", "gender", "location", "interests")}
            plan = {col: c[i % 4].selectbox(col.replace("_", " ").capitalize(), o, index=o.index(str(top[col])),
                                            key=f"roi.w_{col}") for i, (col, o) in enumerate(opts.items())}
            plan["age_min"] = c[3].number_input("Age from", 13, 100, int(top["age_min"]), key="roi.w_age_min")
            plan["age_max"] = c[0].number_input("Age to", 13, 100, int(top["age_max"]), key="roi.w_age_max")
            plan["daily_budget"] = c[1].number_input("Daily budget ($)", 1.0, value=float(round(top["daily_spend"])),
                                                     key="roi.w_budget")
            month = c[2].selectbox("Month", ["average"] + list(range(1, 13)), key="roi.w_month")
            st.form_submit_button("Predict")
        plan["month"] = None if month == "average" else int(month)
        out = R.what_if(res.model, plan)
        novelty = R.what_if_novelty(m, plan)
        for w in novelty["warnings"]:
            st.warning(w, icon=":material/explore:")
        c = st.columns(3)
        c[0].metric("Predicted ROI", f"{out['predicted_roi']:.0%}" if novelty["combination_seen"] else "not measured",
                    help=f"{level:.0%} range {out['interval'][0]:.0%} to {out['interval'][1]:.0%}"
                         + ("" if novelty["combination_seen"] else f"; the model's extrapolation: "
                                                                   f"{out['predicted_roi']:.0%}"))
        c[1].metric(f"{level:.0%} range", f"{out['interval'][0]:.0%} to {out['interval'][1]:.0%}")
        c[2].metric("Expected revenue per month", f"${out['expected_revenue']:,.0f}",
                    help=f"at ${out['spend']:,.0f} of spend; interval ${out['revenue_interval'][0]:,.0f} "
                         f"to ${out['revenue_interval'][1]:,.0f}")
        st.caption("Expected revenue at a spend is spend x (1 + ROI); it agrees with the Recommendations page's "
                   "response curves at the budgets a line item has run at.")
        _shared.download_json({**out, "novelty": novelty}, "roi-what-if", key="roi.dl_whatif")
    with t_camp:
        st.dataframe(res.campaigns, hide_index=True, key="roi.campaigns", column_config={
            c: st.column_config.NumberColumn(format="percent") for c in ("roi", "predicted_roi", "lo", "hi")})
        _shared.download_buttons(res.campaigns, "roi-campaigns", key="roi.dl_campaigns")
