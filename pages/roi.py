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
    level = c[0].slider("Prediction interval", 0.5, 0.95, 0.8, 0.05, key="roi.level")
    alpha = c[1].number_input("Linear model penalty (ridge alpha)", 0.01, 100.0, 1.0, key="roi.alpha")
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
    st.success(f"On later months the {'gradient-boosted' if best == 'gbm' else 'linear'} model explains "
               f"{s.loc[best, 'r2']:.0%} of the spend-weighted variation in ROI (R2 {s.loc[best, 'r2']:.2f}, "
               f"revenue MAPE {s.loc[best, 'mape']:.0%}) against R2 {s.loc['platform mean', 'r2']:.2f} and MAPE "
               f"{s.loc['platform mean', 'mape']:.0%} for each platform's average ROI.")
    t_val, t_drv, t_what, t_camp = st.tabs(["Validation", "Drivers", "What-if", "Campaigns"])
    with t_val:
        left, right = st.columns(2)
        left.plotly_chart(charts.cv_scores(res.cv.scores), key="roi.cv_chart")
        right.plotly_chart(charts.predicted_vs_actual(res.cv.predictions, best), key="roi.pva")
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
            plan = {col: c[i % 4].selectbox(col.replace("_", " ").capitalize(), sorted(m[col].astype(str).unique()),
                                            key=f"roi.w_{col}")
                    for i, col in enumerate(["platform", "ad_type", "bidding_strategy", "objective", "gender",
                                             "location", "interests"])}
            plan["age_min"] = c[3].number_input("Age from", 13, 100, int(m["age_min"].median()), key="roi.w_age_min")
            plan["age_max"] = c[0].number_input("Age to", 13, 100, int(m["age_max"].median()), key="roi.w_age_max")
            plan["daily_budget"] = c[1].number_input("Daily budget ($)", 1.0, value=float(round(m["daily_spend"].median())),
                                                     key="roi.w_budget")
            month = c[2].selectbox("Month", ["average"] + list(range(1, 13)), key="roi.w_month")
            st.form_submit_button("Predict")
        plan["month"] = None if month == "average" else int(month)
        out = R.what_if(res.model, plan)
        c = st.columns(3)
        c[0].metric("Predicted ROI", f"{out['predicted_roi']:.0%}",
                    help=f"{level:.0%} interval {out['interval'][0]:.0%} to {out['interval'][1]:.0%}")
        c[1].metric(f"{level:.0%} interval", f"{out['interval'][0]:.0%} to {out['interval'][1]:.0%}")
        c[2].metric("Expected revenue per month", f"${out['expected_revenue']:,.0f}",
                    help=f"at ${out['spend']:,.0f} of spend; interval ${out['revenue_interval'][0]:,.0f} "
                         f"to ${out['revenue_interval'][1]:,.0f}")
        st.caption("Expected revenue at a spend is spend x (1 + ROI); it agrees with the Recommendations page's "
                   "response curves at the budgets a line item has run at (see core/roi.py).")
        _shared.download_json(out, "roi-what-if", key="roi.dl_whatif")
    with t_camp:
        st.dataframe(res.campaigns, hide_index=True, key="roi.campaigns", column_config={
            c: st.column_config.NumberColumn(format="percent") for c in ("roi", "predicted_roi", "lo", "hi")})
        _shared.download_buttons(res.campaigns, "roi-campaigns", key="roi.dl_campaigns")
