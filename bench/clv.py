"""Lifetime value benchmark (not a test): CDNOW's published figures, the holdout check, and speed.

1. CDNOW's 2,357-customer sample (``tests/fixtures/cdnow``), calibrated on its first 39
   weeks (to 1997-09-30): the BG/NBD and Gamma-Gamma parameters against the published
   ones (Fader, Hardie & Lee 2005; Fader & Hardie's Gamma-Gamma note), both from the
   contract customers table alone and from the order log (which knows repeat-order values),
   and customer 1's expected purchases in the next 39 weeks (published 1.226).
2. The holdout check on the same data: predicted vs actual repeat orders in weeks 40-78, by
   calibration frequency.
3. Speed: ``python -m core clv``'s work (fit + predict) on N generated customers.

Run: ``.venv/bin/python bench/clv.py [--customers 100000]``
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

from core.clv import (CLVModel, customer_values, customers_from_transactions, holdout_check,  # noqa: E402
                      read_transactions, repeat_spend)
from core.segments import synthetic_customers  # noqa: E402

CDNOW = ROOT / "tests" / "fixtures" / "cdnow" / "CDNOW_sample.txt.gz"
CAL_END = "1997-09-30"
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "gamma": 15.44}


def published_figures() -> None:
    log = read_transactions(CDNOW)
    table = customers_from_transactions(log, as_of=CAL_END)
    for label, spend in (("customers table (contract fields)", None),
                         ("order log (repeat-order values)", repeat_spend(log, as_of=CAL_END))):
        t0 = time.perf_counter()
        m = CLVModel().fit(table, as_of=CAL_END, spend=spend)
        got = {**m.purchases_.params_, **m.spend_.params_}
        print(f"\n{label}: {len(m.summary_):,} customers, fit {time.perf_counter() - t0:.2f} s, "
              f"BG/NBD log-likelihood {m.purchases_.log_likelihood_:.1f} (published -9582.4)")
        for k, want in PUBLISHED.items():
            print(f"  {k:6s} {got[k]:8.4f}  published {want:7.3f}  off {100 * (got[k] / want - 1):+6.2f}%")
        n1 = float(m.purchases_.expected_purchases(39, [2], [30.43], [38.86])[0])
        print(f"  customer 1 (x=2, t_x=30.43, T=38.86): {n1:.4f} purchases in 39 weeks (published 1.226)")
    check = holdout_check(log, CAL_END)
    print(f"\nholdout check, weeks 40-78: {check.summary()}")
    print(check.by_group.round(3).to_string(index=False))


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
    args = ap.parse_args()
    pd.set_option("display.width", 120)
    published_figures()
    speed(args.customers)


if __name__ == "__main__":
    main()
