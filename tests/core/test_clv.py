"""Customer lifetime value: the likelihoods on cases worked by hand, CDNOW's published figures, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import cli, registry
from core.clv import (CLVModel, TableReading, at_risk, customers_from_transactions, holdout_check, rank_audiences,
                      read_customers, read_transactions, repeat_spend, segment_value, summarise_customers,
                      valuable_audiences)
from core.clv import bgnbd, gamma_gamma
from core.errors import BadInputError, NotEnoughDataError

CDNOW = Path(__file__).resolve().parent.parent / "fixtures" / "cdnow" / "CDNOW_sample.txt.gz"
CAL_END = "1997-09-30"  # 39 weeks after CDNOW's first day, as in Fader, Hardie & Lee (2005)
#: Fader, Hardie & Lee (2005), table 1, and Fader & Hardie's Gamma-Gamma note (2013).
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


# ------------------------------------------------------------------ by hand


def test_bgnbd_likelihood_and_p_alive_by_hand():
    ones = (1.0, 1.0, 1.0, 1.0)  # r = alpha = a = b = 1
    # x = 0: L = (alpha / (alpha + T))^r = 1/2 at T = 1.
    assert bgnbd.log_likelihood(ones, [0], [0], [1])[0] == pytest.approx(np.log(0.5))
    # x = 1, t_x = 1, T = 2: B(1,2)/B(1,1) * 1/3^2 + B(2,1)/B(1,1) * 1/2^2 = 1/18 + 1/8 = 13/72,
    # and P(alive) is the first term's share: (1/18) / (13/72) = 4/13.
    assert np.exp(bgnbd.log_likelihood(ones, [1], [1], [2])[0]) == pytest.approx(13 / 72)
    assert bgnbd.p_alive(ones, [1], [1], [2])[0] == pytest.approx(4 / 13)
    assert bgnbd.p_alive(ones, [0], [0], [5])[0] == 1.0  # never came back: nothing says they left


def test_bgnbd_expectations_reduce_to_poisson_without_drop_out():
    # b huge: drop-out never happens, so E[X(t)] -> r t / alpha (a gamma-mixed Poisson).
    params = (2.0, 4.0, 2.0, 1e7)
    assert bgnbd.expected_purchases(params, 10.0) == pytest.approx(2.0 * 10 / 4.0, rel=1e-4)
    # ... and a customer with x purchases in T expects (r + x) t / (alpha + T).
    got = bgnbd.conditional_expected_purchases(params, 10.0, [3], [5.0], [8.0])[0]
    assert got == pytest.approx((2.0 + 3) * 10 / (4.0 + 8.0), rel=1e-4)


def test_bgnbd_likelihood_is_finite_for_long_histories():
    ll = bgnbd.log_likelihood((0.5, 2.0, 0.8, 2.5), [300, 0], [99.0, 0.0], [100.0, 100.0])
    assert np.isfinite(ll).all()
    assert np.isfinite(bgnbd.conditional_expected_purchases((0.5, 2.0, 0.8, 2.5), 52, [300], [99.0], [100.0])).all()


def test_gamma_gamma_likelihood_and_expected_spend_by_hand():
    # p = 1, q = 2, gamma = 1, one transaction of 1: Γ(3)/(Γ(1)Γ(2)) * 1 * 1 / 2^3 = 1/4.
    assert np.exp(gamma_gamma.log_likelihood((1, 2, 1), [1], [1.0])[0]) == pytest.approx(0.25)
    # E[M | x, z] = p (gamma + x z) / (p x + q - 1) = 1 * (1 + 1) / (1 + 1) = 1.
    assert gamma_gamma.expected_spend((1, 2, 1), [1], [1.0])[0] == pytest.approx(1.0)
    # Many transactions: the customer's own mean wins; none: the population mean p gamma / (q - 1).
    assert gamma_gamma.expected_spend((6.0, 3.7, 15.0), [1000], [50.0])[0] == pytest.approx(50.0, rel=0.01)
    assert gamma_gamma.population_mean((6.0, 3.0, 15.0)) == pytest.approx(45.0)


def test_bgnbd_recovers_its_own_parameters_from_simulated_customers():
    rng = np.random.default_rng(3)
    r, alpha, a, b, T, n = 0.8, 5.0, 1.2, 3.0, 52.0, 6000
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T:
                break
            x[i], t_x[i] = x[i] + 1, t
            if rng.random() < p[i]:
                break
    got = bgnbd.BetaGeoModel().fit(x, t_x, np.full(n, T)).params_
    for k, want in zip(bgnbd.PARAMS, (r, alpha, a, b)):
        assert got[k] == pytest.approx(want, rel=0.25), k


# ------------------------------------------------------------------ CDNOW's published figures


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return read_transactions(CDNOW)


def test_cdnow_sample_summary_matches_the_literature(cdnow):
    cal = customers_from_transactions(cdnow, as_of=CAL_END)
    s = summarise_customers(cal, CAL_END).set_index("customer_id")
    assert len(s) == 2357 and int((s["x"] > 0).sum()) == 946
    one = s.loc["0001"]  # customer 1: 2 repeat purchases, the last at week 30.43, observed 38.86 weeks
    assert (one["x"], round(one["t_x"], 2), round(one["T"], 2)) == (2, 30.43, 38.86)


def test_cdnow_parameters_within_5_percent_of_published(cdnow):
    cal = customers_from_transactions(cdnow, as_of=CAL_END)
    model = CLVModel().fit(cal, as_of=CAL_END, spend=repeat_spend(cdnow, as_of=CAL_END))
    for k, want in PUBLISHED_BGNBD.items():
        assert model.purchases_.params_[k] == pytest.approx(want, rel=0.05), k
    for k, want in PUBLISHED_GG.items():
        assert model.spend_.params_[k] == pytest.approx(want, rel=0.05), k
    assert model.purchases_.log_likelihood_ == pytest.approx(-9582.4, abs=0.5)
    n = model.purchases_.expected_purchases(39, [2], [30.43], [38.86])[0]
    assert n == pytest.approx(1.226, rel=0.05)


def test_cli_clv_on_the_cdnow_customers_table_follows_the_contract(cdnow, tmp_path, capsys):
    cal = customers_from_transactions(cdnow, as_of=CAL_END)
    path = tmp_path / "customers.json"
    path.write_text(json.dumps({"customers": cal.to_dict(orient="records")}))
    assert cli.main(["clv", "--data", str(path), "--as-of", CAL_END, "--horizon-days", "273",
                     "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"model", "as_of", "horizon_days", "params", "spend_model", "customers"} <= set(out)
    assert set(out["params"]) == {"r", "alpha", "a", "b"} and set(out["spend_model"]) == {"p", "q", "gamma"}
    for k, want in PUBLISHED_BGNBD.items():
        assert out["params"][k] == pytest.approx(want, rel=0.05), k
    first = out["customers"][0]
    assert set(first) == {"customer_id", "p_alive", "expected_purchases", "expected_value"}
    assert first["customer_id"] == "0001" and first["expected_purchases"] == pytest.approx(1.226, rel=0.05)
    assert out["as_of"] == CAL_END and out["horizon_days"] == 273 and len(out["customers"]) == 2357
    # The customers table's average order value includes each first order, which runs larger than
    # later ones at CDNOW: the spend model then differs from the note's, its population mean does not.
    assert out["spend_basis"] == "orders" and out["table_reading"]["total_spent"] == "all_orders"
    mean = out["spend_model"]["p"] * out["spend_model"]["gamma"] / (out["spend_model"]["q"] - 1)
    assert mean == pytest.approx(6.25 * 15.44 / 2.74, rel=0.05)


def test_cli_clv_from_an_order_log_reaches_the_published_spend_model(tmp_path, capsys):
    assert cli.main(["clv", "--transactions", str(CDNOW), "--as-of", CAL_END, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["spend_basis"] == "repeat"
    for k, want in PUBLISHED_GG.items():
        assert out["spend_model"][k] == pytest.approx(want, rel=0.05), k


def _lifetimes_style(cdnow: pd.DataFrame, orders: str, total: str) -> pd.DataFrame:
    """CDNOW's calibration customers table as a summary of the kind ``lifetimes`` makes would fill it:
    frequency = repeat purchase days, monetary_value = mean repeat day's value (0 for one-time buyers)."""
    cal = customers_from_transactions(cdnow, as_of=CAL_END)
    mv = cal["customer_id"].map(repeat_spend(cdnow, as_of=CAL_END).set_index("customer_id")["spend_mean"])
    freq = cal["orders"] - 1
    spent = {"repeat_sum": mv.fillna(0) * freq, "mean_x_orders": mv.fillna(0) * (freq + 1),
             "mean_x_orders_rounded": (mv.fillna(0) * (freq + 1)).round(2)}[total]
    return cal.assign(orders=freq if orders == "frequency" else cal["orders"], total_spent=spent.round(6))


@pytest.mark.parametrize("orders, total, reading", [
    ("purchases", "repeat_sum", ("purchases", "repeat_sum")),
    ("purchases", "mean_x_orders", ("purchases", "repeat_mean_x_purchases")),
    ("purchases", "mean_x_orders_rounded", ("purchases", "repeat_mean_x_purchases")),
    ("frequency", "repeat_sum", ("repeat_purchases", "repeat_sum")),
    ("frequency", "mean_x_orders_rounded", ("repeat_purchases", "repeat_mean_x_purchases")),
])
def test_cdnow_tables_built_from_a_purchase_model_summary_reach_every_published_parameter(cdnow, orders, total,
                                                                                          reading):
    model = CLVModel().fit(_lifetimes_style(cdnow, orders, total), as_of=CAL_END)
    assert (model.reading_.orders, model.reading_.total_spent) == reading
    assert model.spend_basis_ == "repeat" and len(model.summary_) == 2357
    for k, want in PUBLISHED_BGNBD.items():
        assert model.purchases_.params_[k] == pytest.approx(want, rel=0.05), k
    for k, want in PUBLISHED_GG.items():
        assert model.spend_.params_[k] == pytest.approx(want, rel=0.05), k
    assert model.purchases_.expected_purchases(39, [2], [30.43], [38.86])[0] == pytest.approx(1.226, rel=0.05)


def test_cli_clv_reads_a_repeat_purchase_table_through_the_loader(cdnow, tmp_path, capsys):
    table = _lifetimes_style(cdnow, "frequency", "mean_x_orders_rounded")
    path = tmp_path / "customers.json"
    path.write_text(json.dumps({"customers": table.to_dict(orient="records")}))
    assert cli.main(["clv", "--data", str(path), "--as-of", CAL_END, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["table_reading"]["orders"] == "repeat_purchases" and out["spend_basis"] == "repeat"
    assert out["table_reading"]["notes"] and len(out["customers"]) == 2357
    for k, want in PUBLISHED_BGNBD.items():
        assert out["params"][k] == pytest.approx(want, rel=0.05), k
    for k, want in PUBLISHED_GG.items():
        assert out["spend_model"][k] == pytest.approx(want, rel=0.05), k


def test_table_reading_signatures_by_hand():
    day = "2024-01-01"
    base = pd.DataFrame({"customer_id": [f"c{i}" for i in range(12)], "first_seen": [day] * 12,
                         "last_purchase": [day] * 6 + ["2024-03-01"] * 6})
    # The contract: one-day customers have 1 order and spent their first order.
    plain = base.assign(orders=[1] * 6 + [3] * 6, total_spent=[10.0] * 6 + [30.0] * 6)
    s, r = read_customers(plain, "2024-06-30")
    assert r == TableReading() and list(s["x"]) == [0] * 6 + [2] * 6
    assert s["spend_n"].tolist() == [1] * 6 + [3] * 6 and s["spend_mean"].tolist() == [10.0] * 12
    # orders = repeat purchases: one-day customers have 0 and still count as customers with one purchase.
    freq = base.assign(orders=[0] * 6 + [2] * 6, total_spent=[0.0] * 6 + [30.0] * 6)
    s, r = read_customers(freq, "2024-06-30")
    assert r.orders == "repeat_purchases" and len(s) == 12 and list(s["x"]) == [0] * 6 + [2] * 6
    # One-time buyers spent 0: repeat orders only. With one repeat order, "mean repeat order x 2 purchases"
    # is always an even number of cents: 30.01, 30.03 and 12.35 can only be sums of repeat orders ...
    odd = base.assign(orders=[1] * 6 + [2] * 6, total_spent=[0.0] * 6 + [30.01, 30.03, 12.35, 8.0, 9.0, 10.0])
    s, r = read_customers(odd, "2024-06-30")
    assert r.total_spent == "repeat_sum" and r.spend_basis == "repeat"
    assert s["spend_n"].tolist() == [0] * 6 + [1] * 6 and s["spend_mean"].iloc[6] == pytest.approx(30.01)
    # ... while totals that are all even fit both; the contract's total / purchases (the mean) is then read.
    even = odd.assign(total_spent=[0.0] * 6 + [30.02, 30.04, 12.36, 8.0, 9.0, 10.0])
    s, r = read_customers(even, "2024-06-30")
    assert r.total_spent == "repeat_mean_x_purchases"
    assert s["spend_n"].tolist() == [0] * 6 + [1] * 6 and s["spend_mean"].iloc[6] == pytest.approx(15.01)
    # Several orders on one day: order lines, not purchase days; they count as one purchase.
    lines = plain.assign(orders=[2] + [1] * 5 + [3] * 6)
    s, r = read_customers(lines, "2024-06-30")
    assert r.same_day_customers == 1 and s["x"].iloc[0] == 0 and any("order lines" in n for n in r.notes())


def test_cli_clv_bad_input_exits_2(tmp_path, capsys):
    assert cli.main(["clv", "--transactions", str(CDNOW), "--as-of", "yesterday-ish"]) == 2
    assert cli.main(["clv", "--transactions", str(CDNOW), "--horizon-days", "-5"]) == 2
    assert "horizon" in capsys.readouterr().err


# ------------------------------------------------------------------ holdout, segments, persistence


def test_holdout_check_tracks_cdnow(cdnow):
    check = holdout_check(cdnow, CAL_END)
    s = check.summary()
    assert s["customers"] == 2357
    assert s["predicted_total"] == pytest.approx(s["actual_total"], rel=0.15)
    groups = check.by_group.set_index("group")
    assert list(groups.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert groups["predicted"].is_monotonic_increasing and groups["actual"].is_monotonic_increasing
    tr = check.tracking
    assert tr["actual"].is_monotonic_increasing and tr["expected"].is_monotonic_increasing
    at_cut = tr.loc[~tr["holdout"], ["actual", "expected"]].iloc[-1]
    assert at_cut["expected"] == pytest.approx(at_cut["actual"], rel=0.05)  # calibration fits its own period


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_crm_like_tables_keep_the_contract_reading(seed):
    from core.segments import synthetic_customers

    # first_seen is a sign-up day here (one-order customers bought later), prices end in all sorts of cents.
    customers = synthetic_customers(800, random_state=seed)[0]
    assert read_customers(customers)[1] == TableReading()


def test_summary_skips_non_buyers_and_caps_dates():
    c = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "orders": [2, 0, 1, 3],
                      "total_spent": [20.0, 0.0, 5.0, 30.0],
                      "first_seen": ["2024-01-01", "2024-01-01", None, "2025-01-01"],
                      "last_purchase": ["2024-03-01", None, "2024-02-01", "2025-02-01"]})
    s = summarise_customers(c, "2024-06-30").set_index("customer_id")
    assert list(s.index) == ["a", "c"]  # b never bought; d arrived after the as-of day
    assert s.loc["c", "T"] == pytest.approx((pd.Timestamp("2024-06-30") - pd.Timestamp("2024-02-01")).days / 7)
    with pytest.raises(BadInputError):
        summarise_customers(c.drop(columns="orders"))
    with pytest.raises(NotEnoughDataError):
        CLVModel().fit(c, as_of="2024-06-30")


def test_segment_value_at_risk_and_audiences(cdnow):
    cal = customers_from_transactions(cdnow, as_of=CAL_END)
    model = CLVModel().fit(cal, as_of=CAL_END)
    values = model.predict(horizon_days=365).assign(orders=(model.summary_["x"] + 1).to_numpy())
    heavy = (cal["orders"] >= 3).to_numpy()
    assign = pd.DataFrame({"customer_id": cal["customer_id"], "segment": heavy.astype(int),
                           "name": np.where(heavy, "regulars", "others")})
    seg = segment_value(values, assign)
    assert seg.loc[0, "name"] == "regulars" and seg["customers"].sum() == 2357
    assert seg["expected_value"].sum() == pytest.approx(values["expected_value"].sum())
    risk = at_risk(values, assign, top=10)
    assert len(risk) == 10 and (risk["p_alive"] < 0.5).all() and (risk["orders"] > 1).all()
    assert risk["value_at_stake"].is_monotonic_decreasing
    aud = rank_audiences(cal, assign, top=1, values=values)
    assert aud[0]["name"] == "regulars" and aud[0]["expected_value_12m"] > seg.loc[1, "value_per_customer"]


def test_valuable_audiences_of_a_workspace(wh):
    from core.segments import synthetic_customers

    wh.ingest_records("customers", synthetic_customers(300, random_state=2)[0].to_dict(orient="records"))
    aud = valuable_audiences(wh, top=2)
    assert 1 <= len(aud) <= 2
    assert aud[0]["expected_value_12m"] >= aud[-1]["expected_value_12m"]
    assert {"segment", "name", "customers", "share_alive", "age_min", "age_max", "gender", "locations"} <= set(aud[0])
    empty = type(wh).in_memory()
    assert valuable_audiences(empty) == []


def test_saved_model_round_trips_through_the_registry(cdnow, tmp_path):
    cal = customers_from_transactions(cdnow, as_of=CAL_END)
    model = CLVModel().fit(cal, as_of=CAL_END)
    passport = model.save(tmp_path, data_version=7)
    assert passport["data"]["data_version"] == 7
    loaded, _ = CLVModel.load(tmp_path)
    assert loaded.purchases_.params_ == model.purchases_.params_
    got = loaded.predict(summary=model.summary_)
    assert np.allclose(got["expected_value"], model.predict(summary=model.summary_)["expected_value"])
    with pytest.raises(registry.ModelMismatchError):
        CLVModel.load(tmp_path, spend_basis="repeat")


def test_chart_builders_return_figures(cdnow):
    from core.charts import clv as charts

    check = holdout_check(cdnow, CAL_END)
    track = charts.tracking(check.tracking)
    assert [t.name for t in track.data] == ["actual", "model"] and len(track.data[0].x) == len(check.tracking)
    cond = charts.conditional_expectation(check.by_group)
    assert list(cond.data[0].x) == check.by_group["group"].tolist()
    seg = pd.DataFrame({"segment": [0, 1], "name": ["a", "b"], "value_per_customer": [10.0, 30.0],
                        "share_alive": [0.5, 0.9]})
    bars = charts.segment_value(seg)
    assert list(bars.data[0].y) == ["a", "b"] and bars.data[0].text[1] == "90% active"
    assert len(charts.tracking(pd.DataFrame()).data) == 0
