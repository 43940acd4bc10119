"""A/B bandits page: experiments with a verdict, the simulation, the off-policy check, empty workspace."""

import numpy as np
import pandas as pd

from core import bandits as B
from core.warehouse import Warehouse
from tests.pages.conftest import error_texts, open_page


def _seed_experiment(db_path) -> str:
    wh = Warehouse.open(db_path)
    eid = B.create_experiment(wh, "Headline test", [{"name": "A", "platform": "facebook", "text": "Save 20%"},
                                                    {"name": "B", "platform": "facebook", "text": "Smile more"}])
    rows = [{"arm": arm, "date": d, "impressions": 5000, "clicks": c}
            for d in pd.date_range("2026-03-01", periods=7) for arm, c in (("A", 100), ("B", 140))]
    B.save_results(wh, eid, pd.DataFrame(rows))
    wh.close()
    return eid


def test_experiment_shows_verdict_shares_and_charts(db_path):
    _seed_experiment(db_path)
    at = open_page("bandits")
    assert not at.exception and not error_texts(at)
    assert at.title[0].value == "A/B bandits"
    verdicts = [s.value for s in at.success]
    assert any(v.startswith("B beats A with") and "points of CTR" in v for v in verdicts)
    table = next(d.value for d in at.dataframe if "next_share" in d.value.columns)
    shares = dict(zip(table["arm"], table["next_share"]))
    assert shares["B"] > 0.9 and shares["A"] >= 0.05 - 1e-9
    assert len(at.get("plotly_chart")) >= 3      # posteriors, P(best), allocation (+ OPE on its tab)


def test_simulation_tab_runs_all_policies(db_path):
    at = open_page("bandits")
    at.text_input(key="bandits.sim_rates").set_value("0.06, 0.04")
    at.number_input(key="bandits.sim_horizon").set_value(2000)
    at.number_input(key="bandits.sim_runs").set_value(50)
    at.button(key="FormSubmitter:bandits.sim-Simulate").click().run()
    assert not at.exception and not error_texts(at)
    sim = next(d.value for d in at.dataframe if "vs_fixed" in d.value.columns)
    assert set(sim["policy"]) == {"thompson", "ucb1", "epsilon-greedy", "fixed"}
    assert (sim.loc[sim["policy"] != "fixed", "vs_fixed"] < 1).all()


def test_off_policy_tab_reports_the_estimate_with_interval(db_path):
    at = open_page("bandits")
    assert not at.exception
    metric = next(m for m in at.metric if "Bernoulli TS" in m.label)
    assert metric.value.endswith("%")
    ope = next(d.value for d in at.dataframe if "estimator" in d.value.columns)
    assert set(ope["estimator"]) == {"IPW", "SNIPW"} and (ope["lo"] < ope["hi"]).all()
    assert np.isfinite(ope["value"]).all()


def test_empty_workspace_gets_a_friendly_note(db_path):
    at = open_page("bandits")
    assert not at.exception and not error_texts(at)
    assert any("No experiments yet" in i.value for i in at.info)


def test_bad_simulation_input_is_an_error_box_not_a_traceback(db_path):
    at = open_page("bandits")
    at.text_input(key="bandits.sim_rates").set_value("0.05, abc")
    at.button(key="FormSubmitter:bandits.sim-Simulate").click().run()
    assert not at.exception
    assert any("comma-separated" in e for e in error_texts(at))


def test_create_an_experiment_from_the_page(db_path):
    at = open_page("bandits")
    at.text_input(key="bandits.new_name").set_value("Winter offer")
    at.button(key="FormSubmitter:bandits.new-Create experiment").click().run()
    assert not at.exception and not error_texts(at)
    assert at.selectbox(key="bandits.experiment").value == "winter-offer"
    assert any("No results yet" in i.value for i in at.info)
    wh = Warehouse.open(db_path)
    try:
        assert B.experiment_arms(wh, "winter-offer")["arm"].tolist() == ["A", "B"]
    finally:
        wh.close()
