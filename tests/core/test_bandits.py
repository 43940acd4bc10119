"""A/B bandits: posteriors and decisions, allocation, simulation vs a reference, OPE, experiments, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from sklearn.exceptions import NotFittedError

from core import bandits as B
from core.cli import main
from core.errors import BadInputError, NotEnoughDataError
from core.warehouse import Warehouse

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "bandits"


# ------------------------------------------------------------------ maths and decisions


def test_prob_best_matches_the_exact_two_beta_probability():
    s, n = np.array([30, 42]), np.array([1000, 1000])
    a, b = B.posterior_params(s, n)
    exact, _ = integrate.quad(lambda x: stats.beta(a[1], b[1]).pdf(x) * stats.beta(a[0], b[0]).cdf(x), 0, 1)
    pb = B.prob_best(B.posterior_draws(s, n, 200_000, rng=np.random.default_rng(1)))
    assert pb.sum() == pytest.approx(1.0)
    assert pb[1] == pytest.approx(exact, abs=0.005)


def test_expected_loss_is_smallest_for_the_leader_and_shrinks_with_data():
    few = B.expected_loss(B.posterior_draws(np.array([3, 5]), np.array([100, 100])))
    many = B.expected_loss(B.posterior_draws(np.array([300, 500]), np.array([10000, 10000])))
    assert (few >= 0).all() and few[1] < few[0]
    assert many[1] < few[1] / 5


def test_gamma_poisson_posterior_for_per_dollar_rewards():
    a, b = B.posterior_params(np.array([50.0, 80.0]), np.array([1000.0, 1000.0]), count=True)
    assert (a / b)[1] > (a / b)[0]
    assert (a / b)[0] == pytest.approx(0.05, rel=0.05)     # prior weighs one event only
    assert B.is_count_reward("lead_per_dollar") and not B.is_count_reward("click_per_impression")


def test_floor_keeps_every_arm_alive_and_rejects_impossible_floors():
    assert B.apply_floor(np.array([1.0, 0.0, 0.0]), 0.1).tolist() == pytest.approx([0.8, 0.1, 0.1])
    with pytest.raises(BadInputError):
        B.apply_floor(np.ones(4), 0.3)


@pytest.mark.parametrize("policy", B.POLICIES)
def test_every_policy_shifts_share_to_the_better_arm_above_the_floor(policy):
    shares = B.allocate(policy, np.array([200, 300]), np.array([10000, 10000]), floor=0.05)
    assert shares.sum() == pytest.approx(1.0)
    assert shares.min() >= 0.05 - 1e-12
    assert shares[1] > 0.5
    no_data = B.allocate(policy, np.zeros(3), np.zeros(3), floor=0.05)
    assert no_data.tolist() == pytest.approx([1 / 3] * 3)


def test_thompson_share_for_a_close_race_stays_near_even():
    shares = B.allocate("thompson", np.array([20, 21]), np.array([1000, 1000]), floor=0.0)
    assert 0.3 < shares[0] < 0.7


def test_verdict_and_stopping_rule():
    d = B.decide(["A", "B"], np.array([200, 260]), np.array([10000, 10000]), threshold=0.95)
    assert d.leader == "B" and d.stop
    assert d.verdict.startswith("B beats A with") and "points of CTR" in d.verdict
    assert "stop the test and keep B" in d.verdict
    close = B.decide(["A", "B"], np.array([20, 22]), np.array([1000, 1000]), threshold=0.95)
    assert not close.stop and "Keep testing" in close.verdict
    # the expected-loss rule can hold a test open even past the probability threshold
    strict = B.decide(["A", "B"], np.array([200, 260]), np.array([10000, 10000]), threshold=0.95, max_loss=0.0)
    assert not strict.stop and "a loss under" in strict.verdict
    three = B.decide(["A", "B", "C"], np.array([5, 5, 40]), np.array([100, 100, 100]), reward="lead_per_dollar")
    assert three.leader == "C" and "best of 3 variants" in three.verdict and "leads per $1,000" in three.verdict
    assert three.table()["prob_best"].sum() == pytest.approx(1.0)


# ------------------------------------------------------------------ simulation


def test_simulation_shapes_and_regret_bookkeeping():
    r = B.simulate([0.05, 0.04, 0.03], policy="ucb1", horizon=500, runs=7, random_state=3)
    assert r.pulls.shape == (7, 3) and (r.pulls.sum(1) == 500).all()
    gaps = np.array([0.0, 0.01, 0.02])
    assert r.final_regret == pytest.approx(r.pulls @ gaps)
    assert r.mean_regret[-1] == pytest.approx(r.final_regret.mean())
    assert np.all(np.diff(r.mean_regret) >= -1e-12)
    with pytest.raises(BadInputError):
        B.simulate([0.5, 1.5], policy="thompson", horizon=10)


def test_all_three_policies_beat_a_fixed_split():
    res = B.compare_policies([0.05, 0.035], horizon=4000, runs=100, random_state=0)
    table = B.regret_table(res).set_index("policy")
    # UCB1's bonus sqrt(2 ln t / n) is wide next to rates of a few percent: it wins, but slowly.
    for pol, factor in (("thompson", 0.6), ("epsilon-greedy", 0.8), ("ucb1", 0.95)):
        assert table.loc[pol, "mean_regret"] < factor * table.loc["fixed", "mean_regret"], pol
        assert table.loc[pol, "waste_share"] < table.loc["fixed", "waste_share"]
    assert table.loc["fixed", "mean_regret"] == pytest.approx(0.5 * 0.015 * 4000, rel=0.05)


def test_batched_updates_still_learn():
    daily = B.simulate([0.05, 0.035], policy="thompson", horizon=4000, runs=50, batch=200, random_state=1)
    fixed = B.simulate([0.05, 0.035], policy="fixed", horizon=4000, runs=50, random_state=1)
    assert daily.final_regret.mean() < 0.6 * fixed.final_regret.mean()


def _pooled_regret(problems, horizon, runs_vec, runs_ref):
    ours = sum(B.simulate(p, policy="thompson", horizon=horizon, runs=runs_vec, random_state=11 + i)
               .final_regret.mean() for i, p in enumerate(problems))
    ref = sum(B.reference_thompson(p, horizon=horizon, runs=runs_ref, random_state=101 + i).mean()
              for i, p in enumerate(problems))
    return ours, ref


def test_thompson_agrees_with_a_textbook_implementation_quick():
    ours, ref = _pooled_regret([[0.05, 0.04], [0.1, 0.12, 0.11]], horizon=2000, runs_vec=400, runs_ref=60)
    assert ours == pytest.approx(ref, rel=0.15)


@pytest.mark.slow
def test_thompson_regret_within_10_percent_of_reference_over_10000_rounds():
    ours, ref = _pooled_regret([[0.05, 0.04], [0.1, 0.12, 0.11]], horizon=10_000, runs_vec=1000, runs_ref=200)
    assert ours == pytest.approx(ref, rel=0.10)


# ------------------------------------------------------------------ off-policy evaluation


def test_ipw_and_snipw_basics():
    r = np.array([1.0, 0.0, 1.0, 0.0])
    assert B.ipw(r, np.ones(4)).value == pytest.approx(0.5)
    w = np.array([2.0, 0.5, 1.0, 0.5])
    assert B.snipw(r, w).value == pytest.approx(B.snipw(r, 10 * w).value)
    assert B.ipw(r, w).value == pytest.approx((2 + 1) / 4)


def test_ope_intervals_cover_a_known_target_value():
    """Synthetic logs: uniform logging over 5 arms, a target that prefers arm 0."""
    rng = np.random.default_rng(0)
    rates = np.array([0.3, 0.2, 0.1, 0.1, 0.05])
    target = np.array([0.6, 0.1, 0.1, 0.1, 0.1])
    truth = float(target @ rates)
    hits = {"ipw": 0, "snipw": 0}
    reps = 200
    for _ in range(reps):
        a = rng.integers(5, size=2000)
        r = (rng.random(2000) < rates[a]).astype(float)
        w = target[a] / 0.2
        for name, est in (("ipw", B.ipw), ("snipw", B.snipw)):
            e = est(r, w)
            hits[name] += e.lo <= truth <= e.hi
    assert hits["ipw"] / reps > 0.9 and hits["snipw"] / reps > 0.9
    boot = B.snipw(r, w, interval="bootstrap", n_boot=400)
    clt = B.snipw(r, w)
    assert boot.hi - boot.lo == pytest.approx(clt.hi - clt.lo, rel=0.25)


def test_open_bandit_sample_estimates():
    random_log = B.read_obd(FIX / "obd_random.csv.gz")
    bts_log = B.read_obd(FIX / "obd_bts.csv.gz")
    assert len(random_log) == len(bts_log) == 10_000
    pi = B.action_distribution(bts_log)
    assert pi.groupby(level=0).sum().to_numpy() == pytest.approx(1.0)
    est = B.evaluate_obd(random_log, bts_log)
    assert list(est["estimator"]) == ["IPW", "SNIPW", "IPW", "SNIPW"]
    bts = est[est["target"] == "Bernoulli TS"].set_index("estimator")
    # BTS's own log clicked 0.42%; the estimate from the random log agrees within its interval
    assert bts.loc["IPW", "on_policy"] == pytest.approx(0.0042)
    assert bts["covers_on_policy"].all()
    assert (bts["lo"] > 0).all() and (bts["hi"] < 0.01).all()
    assert (est["lo"] < est["value"]).all() and (est["value"] < est["hi"]).all()


# ------------------------------------------------------------------ the estimator


def _daily(days=10, rates=(0.02, 0.03), n=2000, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for d in pd.date_range("2026-03-01", periods=days):
        for arm, p in zip("AB", rates):
            clicks = int(rng.binomial(n, p))
            rows.append({"arm": arm, "date": d, "impressions": n, "clicks": clicks,
                         "conversions": int(rng.binomial(clicks, 0.1)), "leads": 0, "spend": n * 0.005})
    return pd.DataFrame(rows)


def test_allocator_learns_day_by_day():
    model = B.BanditAllocator(policy="thompson", floor=0.05).fit(_daily(), arms=["A", "B"])
    h = model.history_
    assert len(h) == 20 and set(h.columns) >= {"recommended_share", "actual_share"}
    first = h[h["date"] == h["date"].min()].set_index("arm")["recommended_share"]
    assert first.tolist() == pytest.approx([0.5, 0.5])
    nxt = model.predict(volume=10000).set_index("arm")
    assert nxt.loc["B", "share"] > 0.9 and nxt.loc["A", "share"] >= 0.05 - 1e-9
    assert nxt["amount"].sum() == pytest.approx(10000)
    with pytest.raises(NotFittedError):
        B.BanditAllocator().predict()


# ------------------------------------------------------------------ experiments in the warehouse


def test_experiment_life_cycle(wh: Warehouse):
    eid = B.create_experiment(wh, "Spring headline test", [
        {"name": "A", "platform": "Facebook", "text": "Save 20% today"},
        {"name": "B", "platform": "facebook", "text": "Your smile, our care"}], floor=0.1)
    assert B.experiments(wh)["name"].tolist() == ["Spring headline test"]
    assert B.experiment_arms(wh, eid)["platform"].tolist() == ["facebook", "facebook"]
    assert B.save_results(wh, eid, _daily(days=5)) == 10
    again = _daily(days=1).assign(clicks=7)
    B.save_results(wh, eid, again)                       # same arm and day: replaced, not added
    res = B.experiment_results(wh, eid)
    assert len(res) == 10 and res.loc[res["date"] == res["date"].min(), "clicks"].tolist() == [7, 7]
    model, decision = B.analyse(wh, eid)
    assert model.shares_.min() >= 0.1 - 1e-9 and decision.leader in ("A", "B")
    B.update_experiment(wh, eid, reward="conversion_per_click", policy="ucb1")
    assert B.experiment(wh, eid)["policy"] == "ucb1"
    with pytest.raises(BadInputError):
        B.save_results(wh, eid, pd.DataFrame([{"arm": "Z", "date": "2026-01-01", "impressions": 1}]))
    with pytest.raises(BadInputError):
        B.save_results(wh, eid, pd.DataFrame([{"arm": "A", "date": "2026-01-01", "impressions": 1, "clicks": 5}]))
    B.delete_experiment(wh, eid)
    assert len(B.experiments(wh)) == 0 and len(B.experiment_results(wh, eid)) == 0


def test_imports_content_studio_json_and_csv():
    studio = json.dumps({"experiment": "Clinic ads", "arms": [
        {"name": "Variant A", "platform": "google_search", "text": "Gentle dentists"},
        {"name": "Variant B", "platform": "google_search", "text": "Book today"}]})
    imp = B.parse_import(studio.encode(), "variants.json")
    assert imp.name == "Clinic ads" and imp.arms["arm"].tolist() == ["Variant A", "Variant B"]
    csv = "arm,date,impressions,clicks\nVariant A,2026-01-01,100,3\nVariant B,2026-01-01,100,5\n"
    imp2 = B.parse_import(csv, "log.csv")
    assert B.clean_results(imp2.results, ["Variant A", "Variant B"])["clicks"].sum() == 8
    with pytest.raises(BadInputError):
        B.parse_import(b"{not json", "x.json")
    with pytest.raises(BadInputError):
        B.parse_import(json.dumps({"experiment": "x", "arms": [{"name": "only one"}]}), "x.json")


def test_results_taken_from_matching_campaigns():
    dates = pd.date_range("2026-02-01", periods=3)
    camp = pd.DataFrame({"date": list(dates) * 2, "campaign_id": ["c1"] * 3 + ["c2"] * 3,
                         "campaign_name": ["Headline A"] * 3 + ["Headline B"] * 3,
                         "impressions": 1000, "clicks": [10, 12, 11, 20, 21, 19], "conversions": 1, "leads": 2,
                         "spend": 50.0})
    arms = B.clean_arms([{"name": "headline a"}, {"name": "B", "campaign_id": "c2"}])
    mapping = B.match_campaigns(arms, camp)
    assert mapping == {"headline a": "c1", "B": "c2"}
    res = B.results_from_campaigns(camp, mapping)
    assert res.groupby("arm")["clicks"].sum().to_dict() == {"B": 60, "headline a": 33}
    with pytest.raises(BadInputError):
        B.results_from_campaigns(camp, {})
    with pytest.raises(NotEnoughDataError):
        B.results_from_campaigns(camp.iloc[:0], {"x": "c9"})


# ------------------------------------------------------------------ CLI


def test_cli_simulate_prints_the_contract(capsys):
    code = main(["bandit", "simulate", "--arms", "0.05,0.04", "--policy", "thompson", "--horizon", "3000",
                 "--seed", "7", "--format", "json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"policy", "horizon", "pulls", "reward", "regret"}
    assert out["policy"] == "thompson" and out["horizon"] == 3000 and sum(out["pulls"]) == 3000
    assert out["regret"] == pytest.approx(out["pulls"][1] * 0.01, abs=1e-6)
    assert 0 < out["reward"] < 3000
    main(["bandit", "simulate", "--arms", "0.05,0.04", "--policy", "thompson", "--horizon", "3000",
          "--seed", "7", "--format", "json"])
    assert json.loads(capsys.readouterr().out) == out        # seeded: reproducible


@pytest.mark.parametrize("arms", ["0.05", "0.05,abc", "0.5,1.2"])
def test_cli_bad_arms_exit_2(capsys, arms):
    code = main(["bandit", "simulate", "--arms", arms, "--policy", "ucb1", "--horizon", "10", "--format", "json"])
    assert code == 2
    assert capsys.readouterr().err.strip()


def test_results_blank_cells_are_zero_but_text_is_rejected():
    ok = B.clean_results(pd.DataFrame([{"arm": "A", "date": "2026-01-01", "impressions": 10, "clicks": None}]), ["A"])
    assert ok["clicks"].tolist() == [0]
    with pytest.raises(BadInputError, match="must be a number"):
        B.clean_results(pd.DataFrame([{"arm": "A", "date": "2026-01-01", "impressions": "ten"}]), ["A"])


def test_obd_sample_prefers_the_data_sets_folder_then_the_shipped_copy(tmp_path):
    from core.config import PROJECT_ROOT

    shipped = B.obd_sample(tmp_path)  # nothing under tmp_path: the copy shipped in data/obd
    assert shipped == (PROJECT_ROOT / "data" / "obd" / "obd_random.csv.gz",
                       PROJECT_ROOT / "data" / "obd" / "obd_bts.csv.gz")
    assert "tests" not in shipped[0].parts and len(B.read_obd(shipped[0])) == 10_000
    full = tmp_path / "obd-sample"
    full.mkdir()
    for name in ("random_all.csv", "bts_all.csv"):
        (full / name).write_text("item_id,position,click,propensity_score\n1,1,0,0.0125\n")
    assert B.obd_sample(tmp_path) == (full / "random_all.csv", full / "bts_all.csv")
