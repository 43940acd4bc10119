"""Evaluation aid (benchmarks and tests): inject known incidents, score alerts against them."""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable

import numpy as np
import pandas as pd

INJECTABLE = ("cpl_jump", "ctr_collapse", "tracking_stopped", "overspend", "underdelivery")


def inject_incidents(frame: pd.DataFrame, *, start: str | date, per_kind: int = 4,
                     kinds: Iterable[str] = INJECTABLE, length: tuple[int, int] = (3, 7),
                     min_expected: dict[str, float] | None = None, max_length: int = 28,
                     random_state: int | None = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Copy of ``frame`` with known incidents injected on or after ``start`` (for benchmarks and tests).

    Each kind gets up to ``per_kind`` incidents on distinct campaigns (never two on one
    campaign) that ran at least 60 of the 90 days before ``start``. An incident covers
    3-7 (``length``) of the campaign's days, longer on small campaigns: it lasts until
    the campaign would have delivered ``min_expected[kind]`` results at its recent
    pace (by default 12 leads for a tracking stop, 30 leads for a leads drop, 150 clicks
    for a click-through collapse: less is invisible to any test at a strict level), at
    most ``max_length`` days; campaigns too small for that are not chosen. What
    changes on every day of the incident:

    * ``cpl_jump``: leads and conversions thinned to 25-45% at unchanged spend;
    * ``ctr_collapse``: clicks thinned to 15-35% at unchanged impressions (leads and conversions follow);
    * ``tracking_stopped``: leads and conversions 0;
    * ``overspend``: spend 1.6-2.5x the daily budget (delivery scales with it);
    * ``underdelivery``: spend 5-30% of the usual (delivery scales with it).

    Returns
    -------
    (frame, truth): truth has campaign_id, kind, start, end (inclusive dates), days.
    """
    need = {"cpl_jump": 30.0, "tracking_stopped": 12.0, "ctr_collapse": 150.0, **(min_expected or {})}
    rng = np.random.default_rng(random_state)
    f = frame.copy()
    f["date"] = pd.to_datetime(f["date"]).dt.normalize()
    f["campaign_id"] = f["campaign_id"].astype(str)
    start_ts = pd.Timestamp(start).normalize()
    vol = _recent_volume(f, start_ts)
    window = f[f["date"] >= start_ts]
    days_of = {c: g.index.to_numpy() for c, g in window.sort_values("date").groupby("campaign_id")}
    lo_len, hi_len = length
    taken: set[str] = set()
    truth = []
    for kind in kinds:
        ok, n_need = _eligible(vol, kind, need, max_length)
        pool = [c for c in ok.index if c not in taken and len(days_of.get(c, ())) >= lo_len]
        rng.shuffle(pool)
        for cid in pool[:per_kind]:
            taken.add(cid)
            rows_all = days_of[cid]
            n = max(int(rng.integers(lo_len, hi_len + 1)), int(n_need[cid]))
            n = min(n, max_length, len(rows_all))
            s_off = int(rng.integers(0, len(rows_all) - n + 1))
            rows = rows_all[s_off:s_off + n]
            _INJECT[kind](f, rows, rng, kind)
            truth.append({"campaign_id": cid, "kind": kind, "start": f.at[rows[0], "date"],
                          "end": f.at[rows[-1], "date"], "days": len(rows)})
    return f, pd.DataFrame(truth, columns=["campaign_id", "kind", "start", "end", "days"])


def _recent_volume(f: pd.DataFrame, start_ts: pd.Timestamp) -> pd.DataFrame:
    """Per campaign, its daily pace over the 90 days before ``start`` (campaigns there 60 days or more)."""
    recent = f[(f["date"] < start_ts) & (f["date"] >= start_ts - pd.Timedelta(days=90))].groupby("campaign_id")
    vol = pd.DataFrame({"leads": recent["leads"].mean(), "conversions": recent["conversions"].mean(),
                        "clicks": recent["clicks"].mean(), "budget": recent["daily_budget"].mean(),
                        "spend": recent["spend"].mean(), "days": recent.size()}).fillna(0.0)
    return vol[vol["days"] >= 60]


def _eligible(vol: pd.DataFrame, kind: str, need: dict[str, float], max_length: int
              ) -> tuple[pd.DataFrame, pd.Series]:
    """Campaigns large enough for ``kind``, and the days each needs to show it."""
    if kind in ("cpl_jump", "tracking_stopped"):
        pace = np.maximum(vol["leads"], vol["conversions"])
    elif kind == "ctr_collapse":
        pace = vol["clicks"]
    else:
        ok = vol[(vol["budget"] >= 10) & (vol["spend"] >= 0.5 * vol["budget"])]
        return ok, pd.Series(0, index=ok.index)
    ok = vol[pace * max_length >= need[kind]]
    return ok, np.ceil(need[kind] / np.maximum(pace[ok.index], 1e-9)).astype(int)


def _thin(f: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator, kind: str) -> None:
    """Leads (and, for a click collapse, clicks) thinned at unchanged spend."""
    if kind == "cpl_jump":
        q, cols = rng.uniform(0.25, 0.45), ("leads", "conversions")
    else:
        q, cols = rng.uniform(0.15, 0.35), ("clicks", "leads", "conversions")
    for col in cols:
        f.loc[rows, col] = rng.binomial(f.loc[rows, col].astype(int).to_numpy(), q)
    f.loc[rows, "revenue"] = f.loc[rows, "revenue"] * q


def _stop(f: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator, kind: str) -> None:
    f.loc[rows, ["leads", "conversions"]] = 0
    f.loc[rows, "revenue"] = 0.0


def _respend(f: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator, kind: str) -> None:
    """Spend far above the budget (overspend) or far below the usual (under-delivery); delivery follows."""
    k = len(rows)
    old = f.loc[rows, "spend"].to_numpy(float)
    budget = f.loc[rows, "daily_budget"].to_numpy(float)
    new = budget * rng.uniform(1.6, 2.5, size=k) if kind == "overspend" else old * rng.uniform(0.05, 0.3, size=k)
    q = np.clip(new / np.maximum(old, 1e-9), 0, None)
    f.loc[rows, "spend"] = np.round(new, 2)
    qi = np.minimum(q, 1.0)
    for col in ("impressions", "clicks", "leads", "conversions"):
        vals = f.loc[rows, col].astype(int).to_numpy()
        if kind == "overspend":  # more delivery, with diminishing returns
            f.loc[rows, col] = rng.poisson(vals * q ** 0.8)
        else:
            f.loc[rows, col] = rng.binomial(vals, qi)
    f.loc[rows, "clicks"] = np.minimum(f.loc[rows, "clicks"], f.loc[rows, "impressions"])
    f.loc[rows, "leads"] = np.minimum(f.loc[rows, "leads"], f.loc[rows, "clicks"])
    f.loc[rows, "revenue"] = f.loc[rows, "revenue"] * (q ** 0.8 if kind == "overspend" else qi)


_INJECT = {"cpl_jump": _thin, "ctr_collapse": _thin, "tracking_stopped": _stop, "overspend": _respend,
           "underdelivery": _respend}


ACCEPTED_KINDS: dict[str, tuple[str, ...]] = {
    "cpl_jump": ("cpl_jump", "cpa_jump"),
    "ctr_collapse": ("ctr_collapse",),
    "tracking_stopped": ("tracking_stopped",),
    "overspend": ("overspend",),
    "underdelivery": ("underdelivery",),
}


def evaluate(alerts: pd.DataFrame, truth: pd.DataFrame, *, since: str | date) -> dict[str, Any]:
    """Precision of alerts and recall of injected incidents, overall and per kind.

    An alert is correct when its day lies inside an injected incident of its
    campaign (any kind); it is *kind-matched* when the kinds agree
    (:data:`ACCEPTED_KINDS`). An incident is recalled when at least one
    kind-matched alert falls inside it (``recall_any_kind``: any alert). Every other
    alert is a false alarm.
    """
    a = alerts.copy()
    a["_d"] = pd.to_datetime(a["date"]) if len(a) else pd.Series(dtype="datetime64[ns]")
    a = a[a["_d"] >= pd.Timestamp(since)] if len(a) else a
    inside = np.zeros(len(a), dtype=bool)
    matched = np.zeros(len(a), dtype=bool)
    per_kind: dict[str, dict[str, float]] = {}
    recalled = []
    for _, t in truth.iterrows():
        m = (a["campaign_id"].astype(str) == str(t["campaign_id"])) & (a["_d"] >= t["start"]) & (a["_d"] <= t["end"])
        km = m & a["kind"].isin(ACCEPTED_KINDS.get(t["kind"], (t["kind"],)))
        inside |= m.to_numpy()
        matched |= km.to_numpy()
        first = a.loc[km, "_d"].min() if km.any() else None
        recalled.append({"kind": t["kind"], "hit": bool(km.any()), "hit_any": bool(m.any()),
                         "delay_days": (first - t["start"]).days if first is not None else None})
    rec = pd.DataFrame(recalled, columns=["kind", "hit", "hit_any", "delay_days"])
    for kind in sorted(set(rec["kind"]) | set(a["kind"] if len(a) else [])):
        ak = a["kind"] == kind if len(a) else np.zeros(0, dtype=bool)
        rk = rec[rec["kind"] == kind]
        n_alerts = int(np.sum(ak))
        per_kind[kind] = {
            "alerts": n_alerts,
            "false_alarms": int(np.sum(np.asarray(ak) & ~inside)),
            "precision": float(np.sum(np.asarray(ak) & inside) / n_alerts) if n_alerts else float("nan"),
            "incidents": int(len(rk)),
            "recall": float(rk["hit"].mean()) if len(rk) else float("nan"),
            "recall_any_kind": float(rk["hit_any"].mean()) if len(rk) else float("nan"),
            "median_delay_days": float(rk["delay_days"].dropna().median()) if rk["hit"].any() else float("nan"),
        }
    n = len(a)
    return {
        "alerts": int(n), "false_alarms": int(np.sum(~inside)),
        "precision": float(inside.mean()) if n else float("nan"),
        "precision_kind_matched": float(matched.mean()) if n else float("nan"),
        "incidents": int(len(rec)), "recall": float(rec["hit"].mean()) if len(rec) else float("nan"),
        "recall_any_kind": float(rec["hit_any"].mean()) if len(rec) else float("nan"),
        "per_kind": per_kind,
    }
