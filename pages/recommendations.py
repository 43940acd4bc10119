"""Recommendations: a client's brief in, a budgeted campaign plan out, checked against history."""

from dataclasses import asdict

import pandas as pd
import streamlit as st

from core import objectives as ob
from core import recommendations as rec
from core import report
from core.escape import markdown as md
from core.charts import recommendations as charts
from core.recommendations import scenarios as sc
from core.recommendations import workshop as ws
from pages import _shared

K = "recommendations."
DEFAULT_BRIEF = ("We're a dental clinic in Austin, we want more leads, about $6,000 a month, "
                 "Google and Facebook only, mostly women 35-54")
UNITS = {"leads": "leads", "conversions": "sales", "revenue": "$ revenue"}
MONTH = 365 / 12

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


wh = _shared.warehouse()
campaigns = _shared.table("campaigns")
version = _shared.data_version()
known_platforms = sorted(campaigns["platform"].unique())
known_interests = sorted({i for t in campaigns["interests"] for i in t})
known_locations = sorted(campaigns["location"].dropna().unique())  # an export may not say where

# The brief survives a page change (a plain session key outlives the widget's) and a reload (URL, then workspace).
if K + "brief" not in st.session_state:
    saved = sc.last_brief(wh)
    st.session_state[K + "brief"] = (st.session_state.get(K + "brief_text") or st.query_params.get("brief")
                                     or (saved[0] if saved else DEFAULT_BRIEF))
    chosen = _shared.client()            # the sidebar's client names the plan unless the consultant types one
    st.session_state.setdefault(K + "client", st.session_state.get(K + "client_text")
                                or st.query_params.get("client") or (saved[1] if saved else "")
                                or ("" if chosen == "default" else chosen))

with st.form(K + "brief_form"):
    c1, c2 = st.columns([4, 1])
    c1.text_area("The client's brief", key=K + "brief", height=90)
    c2.text_input("Client name on the plan", key=K + "client", placeholder="e.g. Acme Dental")
    use_llm = st.checkbox("Let the configured LLM read it too (the rules' reading wins where both read a value)",
                          key=K + "use_llm") if _shared.settings().llm_enabled else False
    read = st.form_submit_button("Read the brief", type="primary")
brief, client = st.session_state[K + "brief"], st.session_state[K + "client"]
if read or K + "parsed" not in st.session_state:
    parse = (lambda t, **kw: ob.parse_brief_llm(t, _shared.settings(), **kw)) if use_llm else ob.parse_brief
    parsed = ws.offer_budget(parse(brief, known_platforms=known_platforms, known_interests=known_interests),
                             ws.recent_monthly_spend(campaigns))
    st.session_state[K + "parsed"] = parsed
    # the form shows this brief at once: its widgets' values are set here, before they are drawn
    st.session_state.update({K + k: v for k, v in ws.form_values(parsed, known_platforms).items()})
    st.session_state[K + "limits_gen"] = st.session_state.get(K + "limits_gen", 0) + 1
    st.session_state[K + "form"] = ws.form_values(parsed, known_platforms)
    st.session_state[K + "brief_text"], st.session_state[K + "client_text"] = brief, client
    st.query_params.update({"brief": brief, "client": client})
    if read:
        st.session_state[K + "planned"] = False
        sc.save_brief(wh, brief, client=client)
else:  # back from another page: its widgets were dropped, the form the user last saw is put back
    for k, v in st.session_state[K + "form"].items():
        st.session_state.setdefault(K + k, v)
parsed: ob.Objective = st.session_state[K + "parsed"]


def _pick_budget(choice: ws.Choice, key: str) -> None:
    change = choice.changes[st.session_state[key]]
    st.session_state[K + "budget"], st.session_state[K + "period"] = change["budget"], change["period"]


st.subheader("Did I understand you?")
st.markdown("\n".join(f"- {line}" for line in ob.describe_objective(parsed)))
for i, choice in enumerate(c for c in ws.budget_choices(parsed) if "budget" in c.changes[0] and
                           len(parsed.budget_options) > 1):
    st.radio(choice.question, range(len(choice.labels)), format_func=lambda j, c=choice: c.labels[j],
             horizontal=True, key=K + f"budget_pick{i}", on_change=_pick_budget, args=(choice, K + f"budget_pick{i}"))
for q in parsed.questions:
    if "two different budgets" not in q:
        st.warning(q, icon=":material/help:")
for n in parsed.notes:
    st.caption(n)
with st.form(K + "objective_form"):
    c1, c2, c3, c4 = st.columns(4)
    c1.selectbox("Goal", ob.GOALS, key=K + "goal")
    c2.number_input("Budget ($)", min_value=0.0, step=100.0, key=K + "budget")
    c3.selectbox("Per", ob.PERIODS, key=K + "period")
    c4.number_input("Max line items (0 = any)", min_value=0, step=1, key=K + "max_items")
    c1, c2, c3 = st.columns(3)
    c1.multiselect("Platforms allowed (none = all)", known_platforms, key=K + "platforms")
    c2.multiselect("Platforms excluded", known_platforms, key=K + "excluded")
    c3.selectbox("Gender", ["any", "female", "male", "all"], key=K + "gender")
    c1, c2, c3 = st.columns(3)
    c1.slider("Ages", 13, 100, key=K + "ages")
    c2.multiselect("Locations", sorted(set(known_locations) | set(parsed.locations)), key=K + "locations")
    c3.multiselect("Interests", sorted(set(known_interests) | set(parsed.interests)), key=K + "interests")
    limits = st.data_editor(ws.limits_frame(parsed, known_platforms), hide_index=True, disabled=["platform"],
                            key=K + f"limits{st.session_state[K + 'limits_gen']}")
    plan_it = st.form_submit_button("Plan", type="primary")
values = {k: st.session_state[K + k] for k in ws.form_values(parsed, known_platforms)}
st.session_state[K + "form"] = values
objective = ws.objective_from_form(parsed, values, limits)
conflicts = ws.budget_choices(objective)
for i, choice in enumerate(conflicts):
    st.radio(choice.question, range(len(choice.labels)), format_func=lambda j, c=choice: c.labels[j],
             horizontal=True, key=K + f"conflict{i}")
objective = ws.apply_choices(objective, conflicts, [st.session_state[K + f"conflict{i}"] for i in range(len(conflicts))])
with st.expander("Details: where each field came from"):
    st.json({"source": objective.source, "notes": objective.notes})

if not (plan_it or st.session_state.get(K + "planned")):
    st.info("Check the fields above, then press **Plan**.", icon=":material/edit:")
    st.stop()
st.session_state[K + "planned"] = True

with _shared.error_box():
    ob.require_complete(objective)
    # One fit per data version, shared by every session (ten users pressing Plan at once fit one model).
    model = _shared.fitted("recommendations.curves", (), _fit_curves, version=version)
    goal = objective.goal
    plan = rec.recommend(model, objective)
    forecast = rec.forecast_range(model, plan)
    costs = ws.constraint_costs(model, objective, plan)
    e, b, u = plan.expected, plan.baseline, plan.uplift
    vs = f"{u['change']:+.0%} vs today's mix" if u["change"] is not None else None
    m = st.columns(5)
    m[0].metric(f"Expected {UNITS[goal]} a month", f"{e[goal] * MONTH:,.0f}", vs,
                help=f"Today's mix: {b['note']} ({b.get(goal, 0) * MONTH:,.0f} a month).")
    m[1].metric("Leads a month", f"{e['leads'] * MONTH:,.0f}")
    m[2].metric("Expected CPL", f"${e['cpl']:,.2f}" if e["cpl"] else "–",
                f"{u['cpl_change']:+.0%} vs today's mix" if u["cpl_change"] is not None else None,
                delta_color="inverse")
    m[3].metric("Revenue a month", f"${e['revenue'] * MONTH:,.0f}")
    m[4].metric(f"{forecast['level']:.0%} range, {UNITS[goal]} a month", f"{forecast['lo']:,.0f}–{forecast['hi']:,.0f}",
                help="Carries the curves' uncertainty, day-to-day noise and the error plans' forecasts showed on "
                     "held-out advertisers; the Details tab shows how often this history's own ranges held.")
    st.caption(f"“Today's mix” is {b['note']}: {b.get(goal, 0) * MONTH:,.0f} {UNITS[goal]} a month at the same budget.")
    q = plan.quality
    if q.get("change") is not None:
        lo_t, hi_t = q["target"]
        st.caption(f"Lead quality: {q['qualification_rate']:.1%} of the plan's leads are expected to become sales, "
                   f"against {q['baseline_rate']:.1%} for today's mix ({q['change']:+.0%}; the target is "
                   f"+{lo_t:.0%} to +{hi_t:.0%})." + (f" Planning for sales from leads gives up "
                                                     f"{q['leads_given_up']:,.1f} leads a day." if "leads_given_up" in q
                                                     else " Ask for “qualified leads” to plan for them."))
    verdict = ws.constraint_verdict(costs, UNITS[goal])
    if verdict:
        st.warning(verdict, icon=":material/balance:")
    for note in plan.notes:
        st.caption(note)

    tab_plan, tab_curves, tab_budget, tab_sc, tab_report, tab_bt = st.tabs(
        ["Plan", "Response curves", "Budget", "Scenarios", "Report", "Details"])
    with tab_plan:
        table = plan.table()
        st.dataframe(table, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(format="dollar") for c in ("daily_budget", "current_daily_spend", "cpl",
                                                                       "revenue")})
        _shared.download_buttons(table, "plan", key=K + "plan")
        _shared.download_json(plan.to_payload(), "plan-full", key=K + "payload", label="Full plan JSON")
        if not costs.empty:
            st.markdown(f"**What each constraint costs** ({UNITS[goal]} a day given up)")
            st.dataframe(costs, hide_index=True, key=K + "costs")
        margins = rec.marginal_returns(model, plan)
        st.markdown(f"**The next {UNITS[goal].rstrip('s')} costs, per platform** (at the optimum these agree within "
                    "5%, or the platform is held by a constraint)")
        st.dataframe(margins, hide_index=True, key=K + "margins", column_config={
            "marginal_cost": st.column_config.NumberColumn("next one costs", format="dollar"),
            "marginal_cost_last": st.column_config.NumberColumn("last one cost", format="dollar"),
            "vs_median": st.column_config.NumberColumn("vs the others", format="percent"),
            "daily_budget": st.column_config.NumberColumn(format="dollar")})
        st.markdown("**Allocation by platform** (daily budget)")
        st.plotly_chart(charts.allocation(plan.candidates, b.get("mix"), today=model.items_), key=K + "allocation")
    curves = rec.curve_frame(model, plan)
    with tab_curves:
        st.caption(f"Expected {goal} per day against daily spend, with the 90% band; ● today, ★ recommended.")
        st.plotly_chart(charts.response_curves(curves, goal), key=K + "curves")
    with tab_budget:
        factor = st.select_slider("Budget", [0.5, 0.75, 1.0, 1.25, 1.5, 2.0], value=1.0,
                                  format_func=lambda f: f"{f:.0%} (${objective.daily_budget * f:,.0f}/day)",
                                  key=K + "factor")
        # Six plans, the same for every rerun of this objective (a tab, a download, this slider): kept, not redone.
        sweep = _shared.frame("recommendations.sweep", asdict(objective), lambda: rec.budget_sweep(model, objective),
                              version=version)
        row = sweep[sweep["factor"] == factor].iloc[0]
        s1, s2 = st.columns(2)
        s1.metric(f"Expected {goal}/day", f"{row[goal]:,.1f}")
        s2.metric("Expected CPL", f"${row['cpl']:,.2f}" if pd.notna(row["cpl"]) else "–")
        st.plotly_chart(charts.budget_sweep(sweep, goal), key=K + "sweep")
        _shared.download_buttons(sweep, "budget-sweep", key=K + "sweep_dl")
    with tab_sc:
        c1, c2 = st.columns([3, 1])
        name = c1.text_input("Scenario name", key=K + "scenario_name", placeholder="e.g. Base $6k, or No Facebook")
        if c2.button("Save as scenario", key=K + "save_scenario", type="primary"):
            with _shared.error_box():
                sc.save_scenario(wh, plan, name=name, client=client)
                st.session_state[K + "compare"] = [*st.session_state.get(K + "compare", []), name.strip()]
                st.success(f"Saved “{md(name)}” for {md(client) if client else 'this workspace'}.")
        saved = sc.list_scenarios(wh, client=client)
        if saved.empty:
            st.info("No saved scenarios for this client yet: save this plan, change the brief or the form, "
                    "plan again and save the next one.", icon=":material/bookmarks:")
        else:
            names = list(saved["name"])
            st.session_state[K + "compare"] = [n for n in st.session_state.get(K + "compare", names[-4:]) if n in names]
            picked = st.multiselect("Compare", list(dict.fromkeys(names)), key=K + "compare")
            side = sc.compare_scenarios(saved[saved["name"].isin(picked)])
            st.dataframe(side, hide_index=True, key=K + "side_by_side")
            _shared.download_buttons(side, "scenarios", key=K + "scenarios_dl")
    bt = None
    with tab_bt:
        st.caption("How well the curves predicted the past: fit on all but the last 6 months, then predict those "
                   "months at the spend actually made.")
        with _shared.error_box():
            bt = _backtest(version, goal)
            t1, t2, t3 = st.columns(3)
            t1.metric("Forecast error, week by week", f"{bt['wape']:.1%}", help="WAPE of weekly totals")
            t2.metric(f"Weeks inside the {bt['level']:.0%} range", f"{bt['coverage']:.0%}")
            t3.metric("Forecasts ran high (+) or low (−)", f"{bt['bias']:+.1%}")
            st.plotly_chart(charts.backtest(bt["weeks"], goal), key=K + "backtest")
            _shared.download_buttons(bt["weeks"], "backtest", key=K + "backtest_dl")
    with tab_report:
        html = report.plan_report_html(plan, client=client, curves=curves, costs=costs, forecast=forecast, backtest=bt)
        stem = "plan-" + "".join(ch if ch.isalnum() else "-" for ch in (client or "client").lower()).strip("-")
        st.caption("One page: the brief as understood, the plan line by line with its reasons, the forecast as a "
                   "range against today's mix, what the constraints cost, the curves and the assumptions.")
        st.download_button("Plan report (HTML)", html.encode(), f"{stem}.html", "text/html", key=K + "report_html",
                           icon=":material/download:")
        if report.pdf_available() and st.button("Make the PDF", key=K + "make_pdf"):
            st.download_button("Plan report (PDF)", report.html_to_pdf(html), f"{stem}.pdf", "application/pdf",
                               key=K + "report_pdf", icon=":material/picture_as_pdf:")
