"""Recommendations: a client's brief in, a budgeted campaign plan out, checked against history."""

import pandas as pd
import streamlit as st

from core import objectives as ob
from core import recommendations as rec
from core.charts import recommendations as charts
from pages import _shared

st.title("Recommendations")
st.caption("Type the client's brief; check what was understood; get a plan learned from the whole history "
           "(the sidebar filter does not apply here).")
if _shared.empty_note("campaign data"):
    st.stop()


def _backtest(version: int, goal: str) -> dict:
    return _shared.fitted("recommendations.backtest", goal, lambda: rec.backtest(_shared.table("campaigns"),
                                                                                 metric=goal), version=version)


def _fit_curves() -> rec.ResponseModel:
    with st.status("Learning response curves from the history…", expanded=True) as status:
        bar = st.progress(0.0)
        fitted = rec.ResponseModel().fit(campaigns, progress=lambda f, msg: bar.progress(min(f, 1.0), text=msg))
        status.update(label=f"Learned {len(fitted.keys_)} line items from {fitted.n_rows_:,} line-item days",
                      state="complete", expanded=False)
    return fitted


campaigns = _shared.table("campaigns")
version = _shared.data_version()
known_platforms = sorted(campaigns["platform"].unique())
known_interests = sorted({i for t in campaigns["interests"] for i in t})
known_locations = sorted(campaigns["location"].unique())

with st.form("recommendations.brief_form"):
    brief = st.text_area("The client's brief", key="recommendations.brief", height=90, value=(
        "We're a dental clinic in Austin, we want more leads, about $6,000 a month, "
        "Google and Facebook only, mostly women 35-54"))
    use_llm = st.checkbox("Let the configured LLM read it too (the rules' reading wins where both read a value)",
                          key="recommendations.use_llm") if _shared.settings().llm_enabled else False
    read = st.form_submit_button("Read the brief", type="primary")
FORM_KEYS = ("goal", "budget", "period", "max_items", "platforms", "excluded", "gender", "ages", "locations",
             "interests", "limits", "planned")
if read or "recommendations.parsed" not in st.session_state:
    for k in FORM_KEYS:  # a new brief resets the "did I understand you?" form to its parse
        st.session_state.pop(f"recommendations.{k}", None)
    parse = (lambda t, **kw: ob.parse_brief_llm(t, _shared.settings(), **kw)) if use_llm else ob.parse_brief
    st.session_state["recommendations.parsed"] = parse(
        brief, known_platforms=known_platforms, known_interests=known_interests)
parsed: ob.Objective = st.session_state["recommendations.parsed"]

st.subheader("Did I understand you?")
for q in parsed.questions:
    st.warning(q, icon=":material/help:")
with st.form("recommendations.objective_form"):
    c1, c2, c3, c4 = st.columns(4)
    goal = c1.selectbox("Goal", ob.GOALS, index=ob.GOALS.index(parsed.goal), key="recommendations.goal")
    budget = c2.number_input("Budget ($)", min_value=0.0, step=100.0, value=float(parsed.budget or 0.0),
                             key="recommendations.budget")
    period = c3.selectbox("Per", ob.PERIODS, index=ob.PERIODS.index(parsed.period or "month"),
                          key="recommendations.period")
    max_items = c4.number_input("Max line items (0 = any)", min_value=0, step=1,
                                value=int(parsed.max_line_items or 0), key="recommendations.max_items")
    c1, c2, c3 = st.columns(3)
    platforms = c1.multiselect("Platforms allowed (none = all)", known_platforms,
                               default=[p for p in parsed.platforms if p in known_platforms],
                               key="recommendations.platforms")
    excluded = c2.multiselect("Platforms excluded", known_platforms,
                              default=[p for p in parsed.excluded_platforms if p in known_platforms],
                              key="recommendations.excluded")
    gender = c3.selectbox("Gender", ["any", "female", "male", "all"], key="recommendations.gender",
                          index=["any", "female", "male", "all"].index(parsed.gender or "any"))
    c1, c2, c3 = st.columns(3)
    ages = c1.slider("Ages", 13, 100, (parsed.age_min or 13, parsed.age_max or 100), key="recommendations.ages")
    locations = c2.multiselect("Locations", sorted(set(known_locations) | set(parsed.locations)),
                               default=parsed.locations, key="recommendations.locations")
    interests = c3.multiselect("Interests", sorted(set(known_interests) | set(parsed.interests)),
                               default=parsed.interests, key="recommendations.interests")
    limits = st.data_editor(pd.DataFrame({
        "platform": known_platforms,
        "max share %": [parsed.platform_max_share.get(p, 1.0) * 100 for p in known_platforms],
        "min $/day": [round(parsed.platform_min.get(p, 0.0), 2) for p in known_platforms]}),
        hide_index=True, disabled=["platform"], key="recommendations.limits")
    plan_it = st.form_submit_button("Plan", type="primary")

limits = limits.rename(columns={"max share %": "max_share", "min $/day": "min_daily"})
changes = dict(goal=goal, budget=budget or None, period=period, max_line_items=int(max_items) or None,
               platforms=sorted(platforms), excluded_platforms=sorted(excluded),
               gender=None if gender == "any" else gender, locations=list(locations), interests=list(interests),
               age_min=None if ages == (13, 100) else ages[0], age_max=None if ages == (13, 100) else ages[1],
               platform_max_share={r.platform: r.max_share / 100 for r in limits.itertuples() if r.max_share < 100},
               platform_min={r.platform: float(r.min_daily) for r in limits.itertuples() if r.min_daily > 0})
objective = parsed.edited(**{k: v for k, v in changes.items() if getattr(parsed, k) != v})
with st.expander("Where each field came from"):
    st.json({"source": objective.source, "notes": objective.notes})

if not (plan_it or st.session_state.get("recommendations.planned")):
    st.info("Check the fields above, then press **Plan**.", icon=":material/edit:")
    st.stop()
st.session_state["recommendations.planned"] = True

with _shared.error_box():
    ob.require_complete(objective)
    # One fit per data version, shared by every session (ten users pressing Plan at once fit one model).
    model = _shared.fitted("recommendations.curves", (), _fit_curves, version=version)
    plan = rec.recommend(model, objective)
    payload = plan.to_payload()
    e, b, u = plan.expected, plan.baseline, plan.uplift
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(f"Expected {goal}/day", f"{e[goal]:,.1f}", f"{u['change']:+.1%} vs baseline" if u["change"] is not None
              else None)
    m2.metric("Expected CPL", f"${e['cpl']:,.2f}" if e["cpl"] else "–",
              f"{u['cpl_change']:+.1%}" if u["cpl_change"] is not None else None, delta_color="inverse")
    m3.metric(f"Baseline {goal}/day", f"{b.get(goal, 0):,.1f}", help=b["note"])
    lo, hi = u["interval"]
    m4.metric("Uplift, 90% interval", f"{lo * 100:+.0f}…{hi * 100:+.0f}%" if lo is not None else "–",
              help=f"Change in expected {goal} against the baseline, from the posterior draws of the curves. "
                   "It does not cover the risk that the curves' shape is wrong; on held-out sample advertisers "
                   "the model's own uplift ran above the true one (see bench/recommend.py).")
    for note in plan.notes:
        st.caption(note)

    tab_plan, tab_curves, tab_budget, tab_bt = st.tabs(["Plan", "Response curves", "Budget", "Backtest"])
    with tab_plan:
        table = plan.table()
        st.dataframe(table, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(format="dollar") for c in ("daily_budget", "current_daily_spend", "cpl")})
        _shared.download_buttons(table, "plan", key="recommendations.plan")
        _shared.download_json(payload, "plan-full", key="recommendations.payload", label="Full plan JSON")
        st.markdown("**Allocation by platform** (daily budget)")
        st.plotly_chart(charts.allocation(plan.candidates, b.get("mix"), today=model.items_), key="recommendations.allocation")
    with tab_curves:
        st.caption(f"Expected {goal} per day against daily spend, with the 90% band; ● today, ★ recommended.")
        st.plotly_chart(charts.response_curves(rec.curve_frame(model, plan), goal), key="recommendations.curves")
    with tab_budget:
        factor = st.select_slider("Budget", [0.5, 0.75, 1.0, 1.25, 1.5, 2.0], value=1.0,
                                  format_func=lambda f: f"{f:.0%} (${objective.daily_budget * f:,.0f}/day)",
                                  key="recommendations.factor")
        sweep = rec.budget_sweep(model, objective)
        row = sweep[sweep["factor"] == factor].iloc[0]
        s1, s2 = st.columns(2)
        s1.metric(f"Expected {goal}/day", f"{row[goal]:,.1f}")
        s2.metric("Expected CPL", f"${row['cpl']:,.2f}" if pd.notna(row["cpl"]) else "–")
        st.plotly_chart(charts.budget_sweep(sweep, goal), key="recommendations.sweep")
        _shared.download_buttons(sweep, "budget-sweep", key="recommendations.sweep_dl")
    with tab_bt:
        st.caption("Fit on all but the last 6 months; predict those months at the spend actually made.")
        with _shared.error_box():
            bt = _backtest(version, goal)
            t1, t2, t3 = st.columns(3)
            t1.metric("Weekly error (WAPE)", f"{bt['wape']:.1%}")
            t2.metric(f"{bt['level']:.0%} interval coverage", f"{bt['coverage']:.0%}")
            t3.metric("Bias", f"{bt['bias']:+.1%}")
            st.plotly_chart(charts.backtest(bt["weeks"], goal), key="recommendations.backtest")
            _shared.download_buttons(bt["weeks"], "backtest", key="recommendations.backtest_dl")
