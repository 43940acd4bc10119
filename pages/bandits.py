"""A/B bandits: run ad-variant tests that shift traffic to the winner, see why, check policies offline."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import bandits as B
from core.errors import BadInputError
from core.charts import bandits as charts
from pages import _shared

REWARD_LABELS = {"click_per_impression": "Clicks per impression (CTR)",
                 "conversion_per_click": "Conversions per click", "lead_per_dollar": "Leads per dollar"}


# Simulation and OPE are pure functions of their arguments (no workspace data): shared store, version 0.
def _simulate(rates: tuple[float, ...], horizon: int, runs: int, batch: int, epsilon: float, floor: float):
    def run():
        res = B.compare_policies(list(rates), horizon=horizon, runs=runs, batch=batch, epsilon=epsilon, floor=floor)
        return B.regret_table(res), B.regret_curves(res)
    return _shared.fitted("bandits.simulation", (rates, horizon, runs, batch, epsilon, floor), run, version=0)


def _ope(random_path: str, bts_path: str, interval: str) -> pd.DataFrame:
    return _shared.frame("bandits.ope", (random_path, bts_path, interval), lambda: B.evaluate_obd(
        B.read_obd(random_path), B.read_obd(bts_path), interval=interval, n_boot=1000), version=0)


st.title("A/B bandits")
st.caption("Test ad variants and move traffic or budget to the winner while the test runs.")
wh = _shared.warehouse()
tab_exp, tab_sim, tab_ope = st.tabs(["Experiments", "Why a bandit (simulation)", "Off-policy check"])

with tab_exp, _shared.error_box():
    exps = B.experiments(wh)
    with st.expander("New experiment or import", expanded=len(exps) == 0):
        if len(exps) == 0:
            st.info("No experiments yet: describe your variants below, or import the JSON the content studio "
                    "exports (or a CSV of daily results).", icon=":material/science:")
        with st.form("bandits.new"):
            name = st.text_input("Experiment name", key="bandits.new_name")
            reward = st.selectbox("Reward", list(REWARD_LABELS), format_func=REWARD_LABELS.get, key="bandits.reward")
            arms = st.data_editor(pd.DataFrame({"arm": ["A", "B"], "platform": ["facebook"] * 2, "text": ["", ""],
                                                "campaign_id": ["", ""]}), num_rows="dynamic", key="bandits.arms")
            if st.form_submit_button("Create experiment", icon=":material/add:"):
                st.session_state["bandits.experiment"] = B.create_experiment(wh, name, arms, reward=reward)
                st.rerun()
        up = st.file_uploader("Import (JSON or CSV)", type=["json", "csv"], key="bandits.upload")
        if up is not None and st.button("Import file", key="bandits.import"):
            imp = B.parse_import(up.getvalue(), up.name)
            if imp.arms is not None:
                eid = B.create_experiment(wh, imp.name, imp.arms, reward=imp.reward or "click_per_impression")
            elif len(exps):
                eid = st.session_state.get("bandits.experiment") or exps["experiment_id"].iloc[0]
            else:
                raise BadInputError("A results file needs an experiment: create one first or import arms.")
            if len(imp.results):
                B.save_results(wh, eid, imp.results)
            st.session_state["bandits.experiment"] = eid
            st.rerun()
    if len(exps):
        ids = exps["experiment_id"].tolist()
        if st.session_state.get("bandits.experiment") not in ids:
            st.session_state["bandits.experiment"] = ids[0]
        names = dict(zip(exps["experiment_id"], exps["name"]))
        eid = st.selectbox("Experiment", ids, format_func=names.get, key="bandits.experiment")
        exp = B.experiment(wh, eid)
        arm_frame = B.experiment_arms(wh, eid)
        with st.form("bandits.settings"):
            c = st.columns(5)
            policy = c[0].selectbox("Policy", B.POLICIES, index=B.POLICIES.index(exp["policy"]), key="bandits.policy")
            floor = c[1].slider("Floor per arm", 0.0, 1.0 / len(arm_frame), float(exp["floor"]), 0.01,
                                key="bandits.floor")
            threshold = c[2].slider("Stop when P(best) reaches", 0.5, 0.999, float(exp["threshold"]), 0.005,
                                    key="bandits.threshold")
            max_loss = c[3].number_input(f"...and expected loss under ({B.REWARDS[exp['reward']][4]}; 0 = any)",
                                         0.0, value=0.0, key="bandits.max_loss")
            volume = c[4].number_input("Next period's traffic or budget", 0.0, value=10000.0, key="bandits.volume")
            if st.form_submit_button("Apply"):
                B.update_experiment(wh, eid, policy=policy, floor=floor, threshold=threshold)
        results = B.experiment_results(wh, eid)
        st.subheader("Daily results")
        blank = pd.DataFrame({"arm": arm_frame["arm"], "date": pd.Timestamp.today().normalize(),
                              **{c: 0 for c in B.RESULT_COLUMNS}})
        log_key = f"bandits.log.{eid}.{st.session_state.get('bandits.log_version', 0)}"   # fresh editor after a save
        edited = st.data_editor(results if len(results) else blank, num_rows="dynamic", key=log_key,
                                column_config={"arm": st.column_config.SelectboxColumn(options=arm_frame["arm"].tolist()),
                                               "date": st.column_config.DateColumn()})
        c1, c2, c3 = st.columns(3)
        if c1.button("Save results", key="bandits.save", icon=":material/save:"):
            B.save_results(wh, eid, edited, replace=True)
            st.session_state["bandits.log_version"] = st.session_state.get("bandits.log_version", 0) + 1
            st.rerun()
        campaigns = _shared.table("campaigns", _shared.filters())
        mapping = B.match_campaigns(arm_frame, campaigns) if len(campaigns) else {}
        if mapping and c2.button(f"Take from {len(mapping)} matching campaigns", key="bandits.from_campaigns"):
            B.save_results(wh, eid, B.results_from_campaigns(campaigns, mapping), replace=True)
            st.rerun()
        if c3.button("Delete experiment", key="bandits.delete", icon=":material/delete:"):
            B.delete_experiment(wh, eid)
            st.session_state.pop("bandits.experiment", None)
            st.rerun()
        model, decision = B.analyse(wh, eid, max_loss=max_loss or None)
        (st.success if decision.stop else st.info)(decision.verdict)
        scale, unit = B.REWARDS[exp["reward"]][3], B.REWARDS[exp["reward"]][4]
        nxt = model.predict(volume=volume).merge(decision.table(), on="arm")
        nxt["expected_loss"] = nxt["expected_loss"] * scale
        st.dataframe(nxt.rename(columns={"expected_loss": f"expected_loss ({unit})", "share": "next_share"}),
                     hide_index=True, key="bandits.decision_table",
                     column_config={"next_share": st.column_config.NumberColumn(format="percent"),
                                    "prob_best": st.column_config.NumberColumn(format="percent")})
        _shared.download_buttons(nxt, f"bandit-{eid}", key="bandits.dl_decision")
        left, right = st.columns(2)
        stats = B.arm_stats(results, model.arms_, exp["reward"])
        if stats["trials"].sum() > 0:
            axis = f"{B.REWARDS[exp['reward']][2]} (%)" if scale == 100 else "leads per $1,000"
            left.plotly_chart(charts.posteriors(stats, count=B.is_count_reward(exp["reward"]), unit_scale=scale,
                                                unit=axis), key="bandits.posteriors")
        right.plotly_chart(charts.prob_best(decision.table(), threshold=float(exp["threshold"])), key="bandits.pbest")
        if len(model.history_):
            st.plotly_chart(charts.allocation(model.history_, model.predict()), key="bandits.allocation")

with tab_sim, _shared.error_box():
    st.caption("Given true rates, each policy and a fixed equal A/B split run many times over a horizon.")
    with st.form("bandits.sim"):
        c = st.columns(5)
        rates_text = c[0].text_input("True arm rates", "0.05, 0.04", key="bandits.sim_rates")
        horizon = c[1].number_input("Rounds", 100, 100_000, 10_000, 1000, key="bandits.sim_horizon")
        runs = c[2].number_input("Runs", 1, 1000, 200, 50, key="bandits.sim_runs")
        batch = c[3].number_input("Update every (rounds)", 1, 10_000, 1, key="bandits.sim_batch")
        epsilon = c[4].slider("Epsilon", 0.0, 0.5, 0.1, key="bandits.sim_eps")
        run_sim = st.form_submit_button("Simulate", icon=":material/play_arrow:")
    if run_sim or "bandits.sim_done" in st.session_state:
        st.session_state["bandits.sim_done"] = True
        try:
            rates = tuple(float(x) for x in rates_text.split(",") if x.strip())
        except ValueError:
            raise BadInputError("Rates are comma-separated numbers such as 0.05, 0.04.")
        with st.spinner("Simulating..."):
            table, curves = _simulate(rates, int(horizon), int(runs), int(batch), float(epsilon), 0.0)
        st.dataframe(table, hide_index=True, key="bandits.sim_table")
        _shared.download_buttons(table, "bandit-simulation", key="bandits.dl_sim")
        left, right = st.columns(2)
        left.plotly_chart(charts.regret(curves), key="bandits.regret")
        right.plotly_chart(charts.waste(curves), key="bandits.waste")

with tab_ope, _shared.error_box():
    st.caption("What would a policy have earned? Inverse propensity weighting on logged data, checked on the "
               "Open Bandit Dataset (ZOZOTOWN, Apache-2.0): Bernoulli Thompson sampling vs uniform random.")
    found = B.obd_sample(_shared.settings().datasets_dir)
    interval = st.segmented_control("Intervals", ["clt", "bootstrap"], default="clt", key="bandits.ope_interval")
    if not found:
        st.info("The Open Bandit sample is not available in this installation.")
    else:
        est = _ope(str(found[0]), str(found[1]), interval or "clt")
        bts = est[(est["target"] == "Bernoulli TS") & (est["estimator"] == "SNIPW")].iloc[0]
        st.metric("Bernoulli TS click rate, estimated from the random log (SNIPW)", f"{bts['value']:.3%}",
                  help=f"95% interval {bts['lo']:.3%} to {bts['hi']:.3%}; its own log: {bts['on_policy']:.3%}")
        st.write(f"Estimate **{bts['value']:.3%}** (95% interval {bts['lo']:.3%}–{bts['hi']:.3%}) against "
                 f"**{bts['on_policy']:.3%}** that Thompson sampling really earned.")
        st.plotly_chart(charts.ope(est), key="bandits.ope_chart")
        st.dataframe(est, hide_index=True, key="bandits.ope_table")
        _shared.download_buttons(est, "bandit-ope", key="bandits.dl_ope")
