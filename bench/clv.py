"""Lifetime value benchmark (not a test): CDNOW's published figures, the holdout check, and speed.

1. CDNOW's 2,357-customer sample (``tests/fixtures/cdnow``), calibrated on its first 39
   weeks (to 1997-09-30): the BG/NBD and Gamma-Gamma parameters against the published
   ones (Fader, Hardie & Lee 2005; Fader & Hardie's Gamma-Gamma note) and customer 1's
   expected purchases in the next 39 weeks (published 1.226), from customers tables built
   every plausible way (orders as purchase days, order lines or repeat purchases; total_spent
   as all orders, repeat orders only, or mean repeat order x purchases) and from the order log.
   ``--first-order``: on the table whose total_spent includes each first order, the estimators
   of the repeat-order spend model tried (none reaches the published one; see the output).
2. The holdout check on the same data: predicted vs actual repeat orders in weeks 40-78, by
   calibration frequency.
3. Speed: ``python -m core clv``'s work (fit + predict) on N generated customers.

Run: ``.venv/bin/python bench/clv.py [--customers 100000] [--first-order]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.optimize import minimize  # noqa: E402
from scipy.special import gammaln  # noqa: E402

from core.clv import (CLVModel, GammaGammaModel, customer_values, customers_from_transactions, holdout_check,  # noqa: E402
                      read_transactions, repeat_spend)
from core.segments import synthetic_customers  # noqa: E402

CDNOW = ROOT / "tests" / "fixtures" / "cdnow" / "CDNOW_sample.txt.gz"
CAL_END = "1997-09-30"
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "gamma": 15.44}


def constructions(log: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, pd.DataFrame | None]]:
    """The customers tables an outside check might build from the sample, and the order log's repeat spend."""
    days = customers_from_transactions(log, as_of=CAL_END)
    lines = log[log["date"] <= pd.Timestamp(CAL_END)].groupby("customer_id").size()
    mv = days["customer_id"].map(repeat_spend(log, as_of=CAL_END).set_index("customer_id")["spend_mean"]).fillna(0)
    freq = days["orders"] - 1
    return {
        "a  all orders, orders = purchase days": (days, None),
        "a' all orders, orders = order lines": (days.assign(orders=days["customer_id"].map(lines).to_numpy()), None),
        "b  repeat orders' sum": (days.assign(total_spent=(mv * freq).round(2)), None),
        "c  mean repeat order x purchases": (days.assign(total_spent=mv * (freq + 1)), None),
        "c' same, rounded to cents": (days.assign(total_spent=(mv * (freq + 1)).round(2)), None),
        "d  orders = repeat purchases, repeat sum": (days.assign(orders=freq, total_spent=(mv * freq).round(2)), None),
        "order log (--transactions)": (days, repeat_spend(log, as_of=CAL_END)),
    }


def published_figures() -> None:
    log = read_transactions(CDNOW)
    keys = list(PUBLISHED)
    print(f"{'construction':42s} {'reading':38s} " + " ".join(f"{k:>7s}" for k in keys) + "  cust 1")
    print(f"{'published':42s} {'':38s} " + " ".join(f"{PUBLISHED[k]:7.3f}" for k in keys) + "   1.226")
    for label, (table, spend) in constructions(log).items():
        m = CLVModel().fit(table, as_of=CAL_END, spend=spend)
        got = {**m.purchases_.params_, **m.spend_.params_}
        n1 = float(m.purchases_.expected_purchases(39, [2], [30.43], [38.86])[0])
        r = m.reading_
        reading = f"{r.orders}/{r.total_spent if spend is None else 'log'}" + (
            f" ({r.same_day_customers} one-day)" if r.same_day_customers else "")
        print(f"{label:42s} {reading:38s} " + " ".join(f"{got[k]:7.4f}" for k in keys) + f"  {n1:.4f}")
        print(f"{'':42s} {'off (%)':38s} " + " ".join(f"{100 * (got[k] / PUBLISHED[k] - 1):+7.1f}" for k in keys)
              + f"  {100 * (n1 / 1.226 - 1):+5.1f}")
    check = holdout_check(log, CAL_END)
    print(f"\nholdout check, weeks 40-78: {check.summary()}")
    print(check.by_group.round(3).to_string(index=False))


def _sum_log_density(shape, q, gamma, s):
    """log density of a sum s of Gamma(shape, nu) spend, nu ~ Gamma(q, gamma) (the Gamma-Gamma total)."""
    return (gammaln(shape + q) - gammaln(shape) - gammaln(q) + q * np.log(gamma) + (shape - 1) * np.log(s)
            - (shape + q) * np.log(gamma + s))


def first_order_estimators() -> None:
    """Total = first order + x repeat orders: ways to estimate the repeat orders' spend model from it."""
    log = read_transactions(CDNOW)
    table = customers_from_transactions(log, as_of=CAL_END)
    x, total = (table["orders"] - 1).to_numpy(float), table["total_spent"].to_numpy(float)
    rep, once = (x > 0) & (total > 0), total[(x == 0) & (total > 0)]
    xs, ss = x[rep], total[rep]
    rows = {"naive: mean of all orders (the contract reading)": GammaGammaModel().fit(xs + 1, ss / (xs + 1)).theta_}
    for label, first in (("subtract one-time buyers' mean order", once.mean()),
                         ("subtract one-time buyers' median order", np.median(once))):
        z = (ss - first) / xs
        rows[label] = GammaGammaModel().fit(xs[z > 0], z[z > 0]).theta_
    scale = float(np.median(ss))

    def mixture_nll(theta):  # first order drawn from the one-time buyers' orders, independent of nu
        p, q, g = np.exp(theta)
        y = (ss[:, None] - once[None, :]) / scale
        ok = y > 0
        dens = np.where(ok, np.exp(_sum_log_density(p * xs[:, None], q, g, np.where(ok, y, 1.0))), 0.0)
        return -float(np.mean(np.log(dens.mean(axis=1) + 1e-300)))

    res = minimize(mixture_nll, np.log([5.0, 3.0, 0.5]), method="L-BFGS-B", bounds=[(-10, 10)] * 3)
    p, q, g = np.exp(res.x)
    rows["mixture: first order ~ one-time buyers' orders"] = (p, q, g * scale)
    print(f"\ntotal_spent includes the first order: estimators of the repeat-order spend model "
          f"({int(rep.sum())} repeat buyers)")
    print(f"  {'estimator':52s} {'p':>7s} {'q':>7s} {'gamma':>7s}  (published 6.25 3.74 15.44)")
    for label, (p, q, g) in rows.items():
        print(f"  {label:52s} {p:7.3f} {q:7.3f} {g:7.3f}")
    # How sharply does the repeat-order data itself pin p down? Profile likelihood with q, gamma refitted.
    from core.clv.gamma_gamma import log_likelihood

    spend = repeat_spend(log, as_of=CAL_END)
    spend = spend[spend["spend_mean"] > 0]
    n, z = spend["spend_n"].to_numpy(), spend["spend_mean"].to_numpy()
    best = GammaGammaModel().fit(n, z)
    top = float(log_likelihood(best.theta_, n, z).sum())
    drops = []
    for p_fixed in (4.5, 5.0, 6.25, 7.86, 9.0, 10.0):
        r = minimize(lambda t: -float(log_likelihood((p_fixed, *np.exp(t)), n, z).sum()),
                     np.log([3.7, 15.4]), method="Nelder-Mead")
        drops.append(f"p={p_fixed}: {top + r.fun:.2f}")
    print("  repeat-order data, log-likelihood drop with p fixed (q, gamma refitted; 1.92 = 95% interval):")
    print("   ", "; ".join(drops))


def speed(n: int) -> None:
    customers, _ = synthetic_customers(n, random_state=3)
    t0 = time.perf_counter()
    model, values = customer_values(customers)
    print(f"\nfit + predict on {n:,} customers ({len(values):,} with a purchase): "
          f"{time.perf_counter() - t0:.2f} s; params {({k: round(v, 3) for k, v in model.purchases_.params_.items()})}")
    print(f"  mean p_alive {values['p_alive'].mean():.3f}, 12-month value total ${values['expected_value'].sum():,.0f}, "
          f"finite everywhere: {bool(np.isfinite(values.select_dtypes('number')).all().all())}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--first-order", action="store_true", help="estimators for a total that includes first orders")
    args = ap.parse_args()
    pd.set_option("display.width", 120)
    published_figures()
    if args.first_order:
        first_order_estimators()
    speed(args.customers)


if __name__ == "__main__":
    main()
