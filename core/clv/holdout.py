"""The holdout check: calibrate on the first part of a transaction log, predict the rest, compare.

Two classic views (Fader, Hardie & Lee 2005, figures 3 and 4):

* **tracking**: cumulative repeat orders week by week, actual against what the model
  expects for these customers (each contributes E[X(t - first purchase)]), across the
  calibration period and into the holdout;
* **conditional expectation**: customers grouped by how many repeat orders they made in
  calibration, their mean actual holdout orders against the mean predicted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.clv.data import DAYS_PER_WEEK, customers_from_transactions, daily_orders, holdout_counts, repeat_spend
from core.clv.model import CLVModel
from core.errors import NotEnoughDataError

#: Calibration repeat-order groups shown: 0, 1, ..., 6 and "7+".
TOP_GROUP = 7


@dataclass
class HoldoutCheck:
    """What a holdout check found."""

    model: CLVModel
    calibration_end: pd.Timestamp
    holdout_end: pd.Timestamp
    customers: pd.DataFrame  # customer_id, x, predicted, actual
    by_group: pd.DataFrame  # group, customers, predicted, actual (means)
    tracking: pd.DataFrame  # week, date, actual, expected (cumulative repeat orders)

    def summary(self) -> dict[str, float]:
        c = self.customers
        return {"customers": int(len(c)), "predicted_total": round(float(c["predicted"].sum()), 1),
                "actual_total": int(c["actual"].sum()),
                "mean_abs_error": round(float((c["predicted"] - c["actual"]).abs().mean()), 4),
                "correlation": round(float(np.corrcoef(c["predicted"], c["actual"])[0, 1]), 4)
                if c["actual"].std() > 0 and c["predicted"].std() > 0 else float("nan")}


def default_split(transactions: pd.DataFrame, share: float = 0.5) -> pd.Timestamp:
    """A calibration end ``share`` of the way through the log (whole days)."""
    lo, hi = transactions["date"].min(), transactions["date"].max()
    return pd.Timestamp(lo + (hi - lo) * share).normalize()


def holdout_check(transactions: pd.DataFrame, calibration_end: str | pd.Timestamp | None = None, *,
                  holdout_end: str | pd.Timestamp | None = None, repeat_only_spend: bool = True) -> HoldoutCheck:
    """Fit on orders up to ``calibration_end`` (default: half-way), predict orders up to ``holdout_end``
    (default: the last day of the log) for the customers who had bought by then, and compare."""
    if transactions.empty:
        raise NotEnoughDataError("The transaction log is empty.")
    cal_end = pd.Timestamp(calibration_end) if calibration_end is not None else default_split(transactions)
    end = pd.Timestamp(holdout_end) if holdout_end is not None else pd.Timestamp(transactions["date"].max())
    if end <= cal_end:
        raise NotEnoughDataError("The log ends before the holdout period starts: choose an earlier calibration end.")
    customers = customers_from_transactions(transactions, as_of=cal_end)
    spend = repeat_spend(transactions, as_of=cal_end) if repeat_only_spend else None
    model = CLVModel().fit(customers, as_of=cal_end, spend=spend)
    weeks = (end - cal_end).days / DAYS_PER_WEEK
    s = model.summary_
    predicted = model.purchases_.expected_purchases(weeks, s["x"], s["t_x"], s["T"])
    actual = holdout_counts(transactions, cal_end, end).reindex(s["customer_id"]).fillna(0).to_numpy()
    per_customer = pd.DataFrame({"customer_id": s["customer_id"], "x": s["x"].astype(int),
                                 "predicted": predicted, "actual": actual})
    return HoldoutCheck(model, cal_end, end, per_customer, conditional_expectation(per_customer),
                        tracking(transactions, model, cal_end, end))


def conditional_expectation(per_customer: pd.DataFrame) -> pd.DataFrame:
    """Mean predicted and actual holdout orders per calibration repeat-order group (0..6, "7+")."""
    group = per_customer["x"].clip(upper=TOP_GROUP)
    out = per_customer.groupby(group).agg(customers=("x", "size"), predicted=("predicted", "mean"),
                                          actual=("actual", "mean")).reset_index(names="x")
    out.insert(0, "group", [f"{v}+" if v == TOP_GROUP else str(v) for v in out["x"]])
    return out.drop(columns="x")


def tracking(transactions: pd.DataFrame, model: CLVModel, calibration_end: pd.Timestamp,
             end: pd.Timestamp) -> pd.DataFrame:
    """Cumulative repeat orders by week since the first order in the log, actual and expected."""
    orders = daily_orders(transactions)
    first = orders.groupby("customer_id")["date"].min()
    first = first[first <= calibration_end]
    orders = orders[orders["customer_id"].isin(first.index) & (orders["date"] <= end)]
    start = first.min()
    repeat_days = orders.loc[orders["date"] > orders["customer_id"].map(first), "date"]
    n_weeks = int(np.ceil((end - start).days / DAYS_PER_WEEK))
    edges = start + pd.to_timedelta(np.arange(1, n_weeks + 1) * DAYS_PER_WEEK, unit="D")
    actual = np.searchsorted(np.sort(repeat_days.to_numpy()), edges.to_numpy(), side="left")
    # Customers who arrived on the same day share one E[X(t)] curve.
    arrivals = ((first - start).dt.days / DAYS_PER_WEEK).value_counts()
    t_since = edges_weeks = np.arange(1, n_weeks + 1, dtype=float)
    expected = np.zeros(n_weeks)
    for s_i, count in arrivals.items():
        age = np.clip(t_since - float(s_i), 0, None)
        expected += count * model.purchases_.expected_new_customer_purchases(age)
    return pd.DataFrame({"week": edges_weeks.astype(int), "date": edges, "actual": actual.astype(int),
                         "expected": expected, "holdout": edges > calibration_end})
