"""What the lifetime value model tells a marketer: per customer, per segment, at risk, audiences; the CLI.

``python -m core clv`` (CLI.md) is :func:`run_clv`. :func:`segment_value`,
:func:`at_risk` and :func:`valuable_audiences` join the predictions to the segments
for the Segments page and the recommendations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.clv.data import customers_from_transactions, read_transactions, repeat_spend
from core.clv.model import MODEL_NAME, CLVModel
from core.errors import BadInputError, NotEnoughDataError

#: "At risk": bought more than once (a real customer) yet now probably gone.
AT_RISK_P_ALIVE = 0.5
YEAR_DAYS = 365


def customer_values(customers: pd.DataFrame, *, as_of: str | pd.Timestamp | None = None,
                    horizon_days: float = YEAR_DAYS, spend: pd.DataFrame | None = None
                    ) -> tuple[CLVModel, pd.DataFrame]:
    """Fit on the customers table and predict: the model and customer_id, p_alive, expected_* per customer."""
    model = CLVModel().fit(customers, as_of=as_of, spend=spend)
    table = model.predict(horizon_days=horizon_days)
    s = model.summary_
    table["orders"] = (s["x"] + 1).astype(int).to_numpy()
    table["weeks_since_last"] = (s["T"] - s["t_x"]).round(1).to_numpy()
    return model, table


def clv_payload(model: CLVModel, table: pd.DataFrame, *, horizon_days: float, skipped: int) -> dict[str, Any]:
    """The ``python -m core clv`` JSON (CLI.md), plus a few extras a reader needs."""
    rnd = {"p_alive": 4, "expected_purchases": 4, "expected_value": 2}
    rows = table[["customer_id", *rnd]].round(rnd)
    return {"model": MODEL_NAME, "as_of": f"{model.as_of_:%Y-%m-%d}", "horizon_days": int(horizon_days),
            "params": {k: round(v, 4) for k, v in model.purchases_.params_.items()},
            "spend_model": {k: round(v, 4) for k, v in model.spend_.params_.items()},
            "customers": rows.to_dict(orient="records"),
            "spend_basis": model.spend_basis_, "table_reading": model.reading_.as_dict(),
            "skipped_customers": int(skipped),
            "totals": {"expected_purchases": round(float(table["expected_purchases"].sum()), 1),
                       "expected_value": round(float(table["expected_value"].sum()), 2),
                       "share_alive": round(float(table["p_alive"].mean()), 4)}}


def _as_of(text: str | None) -> pd.Timestamp | None:
    if not text:
        return None
    try:
        return pd.Timestamp(str(text)).normalize()
    except ValueError:
        raise BadInputError(f"--as-of must be a date YYYY-MM-DD, not {text!r}.") from None


def run_clv(args: Any, ctx: Any) -> dict[str, Any]:
    """``python -m core clv [--data PATH | --db PATH] [--as-of YYYY-MM-DD] [--horizon-days N]``."""
    horizon = getattr(args, "horizon_days", YEAR_DAYS)
    if horizon is None or horizon <= 0:
        raise BadInputError(f"--horizon-days must be a positive number of days, not {horizon}.")
    as_of = _as_of(getattr(args, "as_of", None))
    log = getattr(args, "transactions", None)
    spend = None
    if log:  # an order log gives what the customers table cannot: the value of repeat orders alone
        transactions = read_transactions(log)
        as_of = as_of or pd.Timestamp(transactions["date"].max())
        customers = customers_from_transactions(transactions, as_of=as_of)
        spend = repeat_spend(transactions, as_of=as_of)
    else:
        customers = ctx.warehouse().customers()
    if customers.empty:
        raise NotEnoughDataError("There are no customers in the data: give --data a file with customers.")
    model, table = customer_values(customers, as_of=as_of, horizon_days=horizon, spend=spend)
    return clv_payload(model, table, horizon_days=horizon, skipped=len(customers) - len(table))


# ------------------------------------------------------------------ joined to the segments


def segment_value(values: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """Per segment: customers, share alive, expected 12-month purchases and value (total and per customer).

    ``values`` from :func:`customer_values`; ``assignments`` has customer_id, segment, name.
    Customers the value model left out (no purchase yet) count as worth 0 and not alive.
    """
    a = assignments.assign(customer_id=assignments["customer_id"].astype(str))
    v = values.assign(customer_id=values["customer_id"].astype(str)).set_index("customer_id")
    j = a.join(v[["p_alive", "expected_purchases", "expected_value"]], on="customer_id")
    j[["p_alive", "expected_purchases", "expected_value"]] = j[["p_alive", "expected_purchases",
                                                                "expected_value"]].fillna(0.0)
    out = j.groupby(["segment", "name"], as_index=False).agg(
        customers=("customer_id", "size"), share_alive=("p_alive", "mean"),
        expected_purchases=("expected_purchases", "sum"), expected_value=("expected_value", "sum"))
    out["value_per_customer"] = out["expected_value"] / out["customers"]
    out["share_of_value"] = out["expected_value"] / max(float(out["expected_value"].sum()), 1e-12)
    return out.sort_values("expected_value", ascending=False).reset_index(drop=True)


def at_risk(values: pd.DataFrame, assignments: pd.DataFrame | None = None, *, top: int = 50,
            threshold: float = AT_RISK_P_ALIVE) -> pd.DataFrame:
    """Repeat customers most likely lapsing, the ones worth most first.

    A customer is at risk when they have bought more than once and their probability
    of still being a customer is below ``threshold``; they are ranked by what they
    would be worth if won back (their order count times expected order value).
    """
    v = values[(values["orders"] > 1) & (values["p_alive"] < threshold)].copy()
    v["value_at_stake"] = v["orders"] * v["expected_spend"]
    if assignments is not None and len(assignments):
        names = assignments.assign(customer_id=assignments["customer_id"].astype(str)).set_index("customer_id")
        v = v.join(names[["segment", "name"]], on="customer_id")
    return v.sort_values("value_at_stake", ascending=False).head(top).reset_index(drop=True)


def audience_with_value(audience: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """An audience export (customer rows) with p_alive, expected purchases and value added."""
    v = values.assign(customer_id=values["customer_id"].astype(str)).set_index("customer_id")
    cols = ["p_alive", "expected_purchases", "expected_value"]
    return audience.join(v[cols], on="customer_id").sort_values("expected_value", ascending=False,
                                                                  na_position="last")


def _targeting(members: pd.DataFrame) -> dict[str, Any]:
    """The ad-platform targeting that reaches most of a segment: its central age band, gender, locations."""
    out: dict[str, Any] = {"age_min": None, "age_max": None, "gender": "all", "locations": []}
    if "age" in members and members["age"].notna().any():
        age = pd.to_numeric(members["age"], errors="coerce").dropna()
        out["age_min"], out["age_max"] = int(np.floor(age.quantile(0.1))), int(np.ceil(age.quantile(0.9)))
    if "gender" in members and members["gender"].notna().any():
        top = members["gender"].astype(str).str.lower().value_counts(normalize=True)
        if top.iloc[0] >= 0.7 and top.index[0] in ("female", "male"):
            out["gender"] = top.index[0]
    if "location" in members and members["location"].notna().any():
        share = members["location"].astype(str).value_counts(normalize=True)
        out["locations"] = [str(k) for k, s in share.items() if s >= 0.1][:5]
    return out


def rank_audiences(customers: pd.DataFrame, assignments: pd.DataFrame, *, top: int = 3,
                   values: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """The segments worth most per customer over the next 12 months, as audiences to target.

    Each entry: segment, name, customers, expected_value_12m (per customer and total),
    share_alive, and the targeting that reaches them (age_min, age_max, gender,
    locations). A brief asking for "high-value customers" targets these.
    """
    if values is None:
        _, values = customer_values(customers)
    seg = segment_value(values, assignments)
    seg = seg[seg["expected_value"] > 0].sort_values("value_per_customer", ascending=False).head(top)
    c = customers.assign(customer_id=customers["customer_id"].astype(str))
    a = assignments.assign(customer_id=assignments["customer_id"].astype(str))
    out = []
    for _, r in seg.iterrows():
        ids = a.loc[a["segment"] == r["segment"], "customer_id"]
        members = c[c["customer_id"].isin(set(ids))]
        out.append({"segment": int(r["segment"]), "name": str(r["name"]), "customers": int(r["customers"]),
                    "expected_value_12m": round(float(r["value_per_customer"]), 2),
                    "expected_value_12m_total": round(float(r["expected_value"]), 2),
                    "share_alive": round(float(r["share_alive"]), 4), **_targeting(members)})
    return out


def valuable_audiences(wh: Any, *, top: int = 3) -> list[dict[str, Any]]:
    """:func:`rank_audiences` of a workspace: its customers, the segments stored by the last
    refresh (or a fresh automatic segmentation), and their predicted value. Empty when the
    workspace has too few customers or purchases for either model."""
    from core import segments

    customers = wh.customers()
    if len(customers) < segments.MIN_CUSTOMERS:
        return []
    assignments = wh.load_state("segments_assignments")
    ids = set(customers["customer_id"].astype(str))
    if assignments.empty or not ids <= set(assignments["customer_id"].astype(str)):
        model = segments.SegmentModel(k="auto", random_state=0).fit(customers)
        assignments = segments.assignments_frame(customers, model.labels_, model.names_)
    try:
        return rank_audiences(customers, assignments[["customer_id", "segment", "name"]], top=top)
    except NotEnoughDataError:
        return []


def value_view(customers: pd.DataFrame, assignments: pd.DataFrame, values: pd.DataFrame | None = None, *,
               top: int = 25) -> dict[str, pd.DataFrame]:
    """What the Segments page shows about value, in one call: ``segments`` (value per segment),
    ``at_risk`` (the top repeat customers probably lapsing) and ``values`` (per customer).

    Raises NotEnoughDataError when the customers hold no purchase history the model can learn from.
    """
    if values is None:
        _, values = customer_values(customers)
    return {"values": values, "segments": segment_value(values, assignments),
            "at_risk": at_risk(values, assignments, top=top)}
