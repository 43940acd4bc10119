"""From alert to action: what to do about an incident, in a marketer's words, with its effect.

* a cost-per-lead (or per-conversion) jump: pause the line item and move its daily
  budget to the line items with the best marginal return on the response curves
  (:mod:`core.recommendations`: the same total budget over today's line items, each at
  most doubled); the effect is the leads those curves expect minus the few the paused
  line item still brings;
* tracking stopped (clicks go on, leads stop): check the tracking before touching budgets;
* overspend: lower the budget cap to the daily budget; the effect is the money saved;
* under-delivery: widen the audience or raise the bid; the effect is the leads its curve
  expects at its full budget;
* click-through collapse: refresh or check the ad.

Budget changes come as ``changes``: one ``{campaign_id, campaign_name, platform, before,
after}`` per line item touched, which :mod:`core.monitoring.revisions` records and exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

ACTION_COLUMNS = ["action", "effect", "effect_leads_week", "changes"]


def _money(x: float) -> str:
    return f"${x:,.0f}" if abs(x) >= 10 else f"${x:,.2f}"


@dataclass
class Situation:
    """Today's line items: one row per campaign (latest day), and the fitted response curves."""

    today: pd.DataFrame  # campaign_id, campaign_name, platform, daily_budget, spend (recent daily), leads (recent), key
    model: Any = None  # core.recommendations.ResponseModel fitted on leads, or None


def situation(campaigns: pd.DataFrame, *, model: Any = None, recent_days: int = 14) -> Situation:
    """Each campaign's latest budget and recent daily spend and leads (the base of every proposal)."""
    f = campaigns.copy()
    f["date"] = pd.to_datetime(f["date"])
    last = f["date"].max()
    recent = f[f["date"] > last - pd.Timedelta(days=recent_days)]
    latest = f.sort_values("date").groupby("campaign_id").tail(1).set_index("campaign_id")
    g = recent.groupby("campaign_id")
    today = pd.DataFrame({
        "campaign_name": latest.get("campaign_name", pd.Series(latest.index, index=latest.index)),
        "platform": latest.get("platform"),
        "daily_budget": pd.to_numeric(latest["daily_budget"], errors="coerce"),
        "last_date": latest["date"],
        "spend": g["spend"].mean(), "leads": g["leads"].mean(),
    })
    today["key"] = _kind_keys(latest)
    today["active"] = today["last_date"] >= last - pd.Timedelta(days=2)
    return Situation(today=today, model=model)


def _kind_keys(rows: pd.DataFrame) -> pd.Series:
    """The response model's line-item kind of each campaign (None where targeting is unknown)."""
    need = ("platform", "ad_type", "bidding_strategy", "age_min", "age_max", "gender", "interests", "location")
    if any(c not in rows for c in need):
        return pd.Series(None, index=rows.index, dtype=object)
    from core.recommendations import kind_key

    return pd.Series([kind_key(r.platform, r.ad_type, r.bidding_strategy, int(r.age_min), int(r.age_max), r.gender,
                               tuple(sorted(r.interests)) if r.interests is not None else (), r.location)
                      for r in rows[list(need)].itertuples()], index=rows.index)


def fit_curves(campaigns: pd.DataFrame, *, country: str | None = "US") -> Any:
    """Leads response curves for the proposals (None when there is too little history)."""
    from core.errors import WorkbenchError
    from core.recommendations import ResponseModel

    try:
        return ResponseModel(metrics=("leads",), n_draws=50, country=country).fit(campaigns)
    except WorkbenchError:
        return None


def reallocate(sit: Situation, freed: float, exclude: str) -> tuple[list[dict[str, Any]], float]:
    """Move ``freed`` dollars a day to the line items with the best marginal return.

    Returns (budget changes of the receiving campaigns, expected extra leads per day).
    Each receiving line item at most doubles; without curves nothing moves.
    """
    m = sit.model
    t = sit.today[(sit.today.index != exclude) & sit.today["active"] & sit.today["key"].notna()
                  & (sit.today["daily_budget"] > 0)]
    if m is None or freed <= 0 or not len(t):
        return [], 0.0
    t = t[t["key"].isin(set(m.keys_))]
    if not len(t):
        return [], 0.0
    from core.recommendations import Constraints, allocate, goal_gain

    keys = t["key"].tolist()
    base = t["spend"].fillna(0.0).to_numpy(float)
    f = goal_gain(m, keys, "leads")

    def gain(X: np.ndarray) -> np.ndarray:
        return f(X + base) - f(np.zeros_like(X) + base)

    # items sharing an audience share its saturation: the optimiser must see the gain as joint
    gain.joint, gain.groups = getattr(f, "joint", False), getattr(f, "groups", np.zeros(len(keys)))
    cap = np.maximum(t["daily_budget"].to_numpy(float), 1.0)
    x = allocate(gain, t["platform"].astype(str).tolist(), Constraints(budget=freed, item_cap=cap), steps=100)
    extra = float(gain(x[None, :])[0].sum())
    changes = [{"campaign_id": cid, "campaign_name": r.campaign_name, "platform": r.platform,
                "before": round(float(r.daily_budget), 2), "after": round(float(r.daily_budget + dx), 2)}
               for (cid, r), dx in zip(t.iterrows(), x) if dx >= 0.5]
    return changes, extra


def _leads_at(sit: Situation, cid: str, spend: float) -> float | None:
    m, row = sit.model, sit.today.loc[cid]
    if m is None or row["key"] is None or row["key"] not in set(m.keys_):
        return None
    return float(m.predict({row["key"]: spend}, "leads")[0])


def propose_one(alert: pd.Series | dict[str, Any], sit: Situation) -> dict[str, Any]:
    """The proposed action of one alert or incident (a row with campaign_id, kind, observed, expected)."""
    cid, kind = str(alert["campaign_id"]), alert["kind"]
    if cid not in sit.today.index:
        return {"action": "", "effect": "", "effect_leads_week": 0.0, "changes": []}
    row = sit.today.loc[cid]
    name = row["campaign_name"] or cid
    budget = float(row["daily_budget"]) if pd.notna(row["daily_budget"]) else float(row["spend"] or 0.0)
    obs, exp = float(alert.get("observed") or 0.0), float(alert.get("expected") or 0.0)
    out: dict[str, Any] = {"effect_leads_week": 0.0, "changes": []}
    if kind in ("cpl_jump", "cpa_jump"):
        unit = "lead" if kind == "cpl_jump" else "conversion"
        moved, extra = reallocate(sit, budget, cid)
        still = float(np.nan_to_num(row["leads"])) * (obs / exp if exp > 0 else 1.0)  # at today's rate
        net = 7.0 * (extra - still)
        where = ", ".join(str(c["campaign_name"]) for c in sorted(moved, key=lambda c: c["before"] - c["after"])[:2])
        out["changes"] = [{"campaign_id": cid, "campaign_name": name, "platform": row["platform"],
                           "before": round(budget, 2), "after": 0.0}] + moved
        if moved:
            out["action"] = (f"Pause {name} (its cost per {unit} jumped) and move its {_money(budget)}/day "
                             f"to {where}{' and others' if len(moved) > 2 else ''}, where the response curves "
                             "show the best marginal return")
            out["effect"] = f"{net:+.0f} leads/week expected"
        else:
            out["action"] = f"Pause {name} (its cost per {unit} jumped) until the cause is found"
            out["effect"] = f"saves {_money(7 * budget)}/week of spend at a poor cost per {unit}"
        out["effect_leads_week"] = round(net, 1) if moved else 0.0
    elif kind == "tracking_stopped":
        out["action"] = (f"Check the tracking of {name}: clicks go on but {alert.get('metric', 'leads')} stopped; "
                         "test the form and the conversion tag before changing any budget")
        out["effect"] = f"about {7 * exp:.0f} {alert.get('metric', 'leads')}/week no longer recorded"
    elif kind == "overspend":
        spent = float(alert.get("spend") or obs)
        out["action"] = (f"Lower the budget cap of {name} to its {_money(budget)} daily budget "
                         "(a campaign spending limit, or standard delivery)")
        out["effect"] = f"saves about {_money(7 * max(spent - budget, 0.0))}/week"
        out["changes"] = [{"campaign_id": cid, "campaign_name": name, "platform": row["platform"],
                           "before": round(spent, 2), "after": round(budget, 2)}]
    elif kind == "underdelivery":
        now_l, full_l = _leads_at(sit, cid, obs), _leads_at(sit, cid, budget)
        more = 7.0 * (full_l - now_l) if now_l is not None and full_l is not None else 0.0
        out["action"] = (f"Widen the audience or raise the bid of {name}: it spends {_money(obs)} of its "
                         f"{_money(budget)} daily budget")
        out["effect"] = f"{more:+.0f} leads/week expected when it delivers again" if more else \
            "its budget delivers again"
        out["effect_leads_week"] = round(more, 1)
    elif kind == "ctr_collapse":
        out["action"] = (f"Check the ads of {name}: click-through collapsed; look for a disapproved or changed "
                         "ad and refresh the creative")
        out["effect"] = f"about {7 * max(exp - obs, 0.0):,.0f} clicks/week to win back"
    else:
        out["action"], out["effect"] = "", ""
    return out


def propose(alerts: pd.DataFrame, sit: Situation) -> pd.DataFrame:
    """``alerts`` (or incidents) with the columns :data:`ACTION_COLUMNS` added."""
    out = alerts.copy()
    rows = [propose_one(r, sit) for _, r in alerts.iterrows()]
    for col in ACTION_COLUMNS:
        out[col] = [r.get(col, "") for r in rows]
    return out


def action_text(alerts: pd.DataFrame, sit: Situation) -> pd.Series:
    """One line per alert: the action and its expected effect (for the webhook and email)."""
    p = propose(alerts, sit)
    return pd.Series([f"{a} ({e})" if a and e else a for a, e in zip(p["action"], p["effect"])], index=alerts.index)
