"""The Monitor estimator: fit scores every campaign-day against the days before it."""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from core.errors import BadInputError, NotEnoughDataError
from core.monitoring.baseline import Grid, budget_groups, build_grid, count_pass, own_spend, spend_pass
from core.monitoring.detect import burst_overspend, count_evidence, quiet_repeats, root_cause, spend_checks
from core.monitoring.incidents import incidents, resolve_since
from core.monitoring.messages import MESSAGES, AlertDay
from core.monitoring.stats import day_types, nb_quantile_band, spend_elasticity
from core.monitoring.vocabulary import ALERT_COLUMNS, CHANNELS, SENSITIVITY, Sensitivity

# the metric an alert of each kind speaks of, and the other result it mentions
_METRIC_OF = {"cpl_jump": ("leads", "conversions"), "cpa_jump": ("conversions", "leads"),
              "ctr_collapse": ("clicks", None)}


class Monitor(BaseEstimator):
    """Detects underperforming or abnormal campaign-days.

    Parameters
    ----------
    sensitivity : {"low", "normal", "high"}
        How much evidence opens an alert (see :data:`SENSITIVITY`).
    half_life : float
        Days after which a past day counts half in a campaign's baseline rate.
    min_history_days : int
        Days of history a campaign needs before its rates are checked.
    history_days : int or None
        Only the last this many days of the data are read (default 456: a quarter to
        check or replay after a year of warm-up; baselines forget in weeks). None reads all.
    country : str or None
        Country whose public holidays need stronger evidence (ISO code).
    leak_hold : float or None
        While a campaign's evidence of a slow leak of leads (a CUSUM of the log-likelihood
        ratio of a halving, in nats) is above this, its leads baseline stops learning (for
        at most 4 days in a row: longer holds mistake a genuine slow drift for a leak), so a
        slow leak on a small campaign does not teach the monitor that it is normal before
        the evidence is strong enough to alert. None: always learn. Chosen on sample seeds
        1-5; on held-out seeds 21-25 incident recall 0.85 -> 0.86 (cost-per-lead jumps
        0.30 -> 0.35), precision 0.993 -> 0.989, worst account 0.968.
    random_state : int or None
        Unused (the monitor is deterministic); kept for the estimator contract.

    Attributes
    ----------
    stats_ : dict
        Per metric, (campaign x day) arrays: observed, expected, band, p-value.
    flags_ : dict
        Per kind, the (campaign x day) alert mask.
    alerts_ : DataFrame
        Every alert over the whole history (columns :data:`ALERT_COLUMNS` plus extras).
    incidents_ : DataFrame
        Alerts grouped into incidents.
    last_date_ : Timestamp
        The last day of the data.
    """

    def __init__(self, *, sensitivity: str = "normal", half_life: float = 28.0, min_history_days: int = 14,
                 history_days: int | None = 456, country: str | None = "US", leak_hold: float | None = 2.0,
                 random_state: int | None = None) -> None:
        self.sensitivity = sensitivity
        self.half_life = half_life
        self.min_history_days = min_history_days
        self.history_days = history_days
        self.country = country
        self.leak_hold = leak_hold
        self.random_state = random_state

    # ---- fit

    def fit(self, frame: pd.DataFrame, shared_budgets: Mapping[str, str] | None = None) -> "Monitor":
        """Score every campaign-day of ``frame`` against the days before it.

        The steps: the (campaign x day) grid of the recent history, the baselines
        (:mod:`core.monitoring.baseline`), the count evidence of each channel and the
        spend checks, then one root cause per campaign-day (:mod:`core.monitoring.detect`).

        Parameters
        ----------
        frame : DataFrame
            Campaign-days with the contract columns (``wh.campaigns()``).
        shared_budgets : mapping, optional
            Line items that share one budget: campaign_id -> the budget's key
            (``wh.shared_budgets()``; a Meta ad set split over Facebook and Instagram). Where
            budgets are unknown, such line items overspend only when their total bursts too.
        """
        s = self._thresholds(frame)
        g = build_grid(self._recent_history(frame))
        weekday = g.dates.weekday.to_numpy()
        daytype = day_types(g.dates, self.country)
        holiday = daytype > 0
        v, pres = g.values, g.present
        passes, sp = self._baselines(g, weekday, daytype)
        spent = pres & (v["spend"] > 0)
        kinds: dict[str, dict[str, np.ndarray]] = {}
        stats: dict[str, dict[str, np.ndarray]] = {}
        for name, (obs, _) in CHANNELS.items():
            no_leads = ((v["leads"] == 0) & (np.nan_to_num(passes["leads"]["mu"]) >= 1.0)
                        if name == "conversions" else None)
            kinds[name], stats[name] = count_evidence(
                v[obs], passes[name], pres, spent, s, holiday=holiday, min_history_days=self.min_history_days,
                slow_leaks=name != "clicks", no_leads=no_leads)
        over, under, stats["spend"] = spend_checks(v["spend"], v["daily_budget"], sp, pres, s,
                                                   budget_known=g.budget_known,
                                                   own=self._own_spend(g, s, shared_budgets))
        cause = root_cause(kinds)
        track_l = cause.pop("tracking_leads")
        self.track_metric_ = np.where(track_l, "leads", "conversions")
        self.grid_ = g
        self.stats_ = stats
        self.flags_ = {**cause, "overspend": over, "underdelivery": under}
        self.holiday_ = holiday
        self.last_date_ = g.dates[-1]
        exp_track = np.where(track_l, np.nan_to_num(stats["leads"]["expected"]),
                             np.nan_to_num(stats["conversions"]["expected"]))
        self.quiet_ = quiet_repeats(cause["tracking_stopped"], exp_track)
        every = self._alerts()
        self.incidents_ = incidents(every, last_date=self.last_date_)
        self.alerts_ = every[~every.pop("_quiet")].reset_index(drop=True) if len(every) else every
        return self

    def _thresholds(self, frame: pd.DataFrame | None) -> Sensitivity:
        """Validate the settings and the frame; the sensitivity's thresholds."""
        if self.sensitivity not in SENSITIVITY:
            raise BadInputError(f"sensitivity must be one of {', '.join(SENSITIVITY)}, not {self.sensitivity!r}.")
        if frame is None or len(frame) == 0:
            raise NotEnoughDataError("There are no campaign-days to monitor yet: load campaign data first.")
        return SENSITIVITY[self.sensitivity]

    def _recent_history(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Only the last ``history_days`` days (baselines forget in weeks)."""
        if not self.history_days:
            return frame
        dates = pd.to_datetime(frame["date"])
        return frame[dates > dates.max() - pd.Timedelta(days=int(self.history_days))]

    def _baselines(self, g: Grid, weekday: np.ndarray, daytype: np.ndarray
                   ) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, np.ndarray]]:
        """Expected counts per channel (results scale as ``spend ** elasticity``) and expected spend."""
        v, pres = g.values, g.present
        beta = spend_elasticity(v["leads"] + v["conversions"], v["spend"], pres)
        exposure = {"spend": v["spend"] ** beta, "impressions": v["impressions"]}
        self.elasticity_ = beta
        passes = {name: count_pass(v[obs], exposure[exp], pres, weekday, g.platform_idx, half_life=self.half_life,
                                   wd_half_life=120.0, alpha_prior=0.05, outlier_z=3.5, market=True,
                                   daytype=daytype,
                                   leak_hold=self.leak_hold if name == "leads" else None)
                  for name, (obs, exp) in CHANNELS.items()}
        sp = spend_pass(v["spend"], v["daily_budget"], pres, weekday, half_life=self.half_life)
        return passes, sp

    # ---- outputs

    def _own_spend(self, g: Grid, s: Sensitivity, shared: Mapping[str, str] | None
                   ) -> dict[str, np.ndarray] | None:
        """Where some day's budget is unknown: expected spend from the campaign's own spend.

        Line items that share one budget (a Meta ad set split over placements) get a
        ``pooled`` mask: the days their shared budget's total spend bursts too.
        """
        if not (g.present & ~g.budget_known).any():
            return None
        weekday = g.dates.weekday.to_numpy()
        own = own_spend(g.values["spend"], g.present, weekday=weekday)
        group = budget_groups(g.campaigns["campaign_id"], shared)
        if (group >= 0).any():
            n = int(group.max()) + 1
            member = group >= 0
            total, pres = np.zeros((n, len(g.dates))), np.zeros((n, len(g.dates)), dtype=bool)
            np.add.at(total, group[member], g.values["spend"][member])
            np.logical_or.at(pres, group[member], g.present[member])
            own_t = own_spend(total, pres, weekday=weekday)
            ok_t = pres & np.isfinite(own_t["expected"]) & (own_t["expected"] >= 5.0) & (own_t["n"] >= 7)
            unknown = np.zeros_like(pres)
            burst, _, _ = burst_overspend(total, np.zeros_like(total), unknown, own_t, ok_t, s)
            own["pooled"] = np.where(member[:, None], burst[np.maximum(group, 0)], True)
        return own

    def _alerts(self) -> pd.DataFrame:
        g, fl = self.grid_, self.flags_
        rows: list[dict[str, Any]] = []
        for kind, mask in fl.items():
            cs, ds = np.nonzero(mask)
            for c, d in zip(cs.tolist(), ds.tolist()):
                rows.append({**self._alert_row(kind, c, d),
                             "_quiet": bool(kind == "tracking_stopped" and self.quiet_[c, d])})
        if not rows:
            return pd.DataFrame(columns=ALERT_COLUMNS + ["campaign_name", "platform", "p_value", "spend", "since",
                                                         "_quiet"])
        out = pd.DataFrame(rows)
        meta = g.campaigns.set_index("campaign_id")
        for col in ("campaign_name", "platform"):
            out[col] = out["campaign_id"].map(meta[col]) if col in meta else None
        return out.sort_values(["date", "campaign_id", "kind"]).reset_index(drop=True)

    def _alert_day(self, kind: str, c: int, d: int) -> AlertDay:
        """The numbers of campaign ``c`` on day ``d`` that an alert of ``kind`` speaks of."""
        v, st_ = self.grid_.values, self.stats_
        if kind == "tracking_stopped":
            metric, other = (("leads", "conversions") if self.track_metric_[c, d] == "leads"
                             else ("conversions", "leads"))
        else:
            metric, other = _METRIC_OF.get(kind, ("spend", None))
        s = st_[metric]
        run = 1
        if kind == "underdelivery":
            while d - run >= 0 and self.flags_["underdelivery"][c, d - run]:
                run += 1
        return AlertDay(
            metric=metric, other=other, spend=float(v["spend"][c, d]), budget=float(v["daily_budget"][c, d]),
            budget_known=bool(self.grid_.budget_known[c, d]), observed=float(s["observed"][c, d]),
            expected=float(np.nan_to_num(s["expected"][c, d])), impressions=float(v["impressions"][c, d]),
            zero_run=int(s["zero_run"][c, d]), zero_expected=float(s["zero_expected"][c, d]),
            other_value=float(v[other][c, d]) if other else 0.0,
            other_expected=float(np.nan_to_num(st_[other]["expected"][c, d])) if other else 0.0, run=run)

    def _alert_row(self, kind: str, c: int, d: int) -> dict[str, Any]:
        a = self._alert_day(kind, c, d)
        msg, severity, exp = MESSAGES[kind](a)
        return {"campaign_id": str(self.grid_.campaigns["campaign_id"].iat[c]),
                "date": self.grid_.dates[d].date().isoformat(), "metric": a.metric, "kind": kind,
                "severity": severity, "observed": round(a.observed, 2), "expected": round(exp, 2), "message": msg,
                "p_value": float(self.stats_[a.metric]["p"][c, d]), "spend": round(a.spend, 2),
                "since": self._since(kind, a.metric, c, d).date().isoformat()}

    def _since(self, kind: str, metric: str, c: int, d: int) -> pd.Timestamp:
        """When the problem behind an alert began: the first day of its run of zeros or short days."""
        g = self.grid_
        if kind == "tracking_stopped":
            bad = g.values[metric][c] == 0
        elif kind == "underdelivery":
            bad = self.flags_["underdelivery"][c]
        else:
            return g.dates[d]
        k = d
        while k > 0 and (bad[k - 1] or not g.present[c, k - 1]) and d - k < 90:
            k -= 1
        while k < d and not g.present[c, k]:
            k += 1
        return g.dates[k]

    def scores(self, campaign_id: str | None = None) -> pd.DataFrame:
        """One row per campaign-day and metric: observed, expected, band, alert, kind.

        Built on demand from the fitted arrays (all campaigns, or one).
        """
        check_is_fitted(self, "flags_")
        g = self.grid_
        C, D = g.present.shape
        ids = g.campaigns["campaign_id"].to_numpy()
        rows = np.arange(C) if campaign_id is None else np.nonzero(ids == str(campaign_id))[0]
        metric_of = {"cpl_jump": "leads", "cpa_jump": "conversions", "ctr_collapse": "clicks",
                     "overspend": "spend", "underdelivery": "spend"}
        frames = []
        for metric, s in self.stats_.items():
            alert = np.zeros((len(rows), D), dtype=bool)
            kind = np.full((len(rows), D), "", dtype=object)
            for k, mask in self.flags_.items():
                m = mask[rows]
                if k == "tracking_stopped":
                    m = m & (self.track_metric_[rows] == metric)
                elif metric_of[k] != metric:
                    continue
                alert |= m
                kind = np.where(m, k, kind)
            if "lower" in s:
                lo, hi = s["lower"][rows], s["upper"][rows]
            else:  # the negative-binomial band, only for the campaigns asked for
                ready = s["ready"][rows]
                lo, hi = nb_quantile_band(np.where(ready, s["expected"][rows], np.nan), s["alpha"][rows])
            frames.append(pd.DataFrame({
                "campaign_id": np.repeat(ids[rows], D), "date": np.tile(g.dates.to_numpy(), len(rows)),
                "metric": metric, "observed": s["observed"][rows].ravel(), "expected": s["expected"][rows].ravel(),
                "lower": lo.ravel(), "upper": hi.ravel(),
                "alert": alert.ravel(), "kind": kind.ravel(), "present": g.present[rows].ravel()}))
        out = pd.concat(frames, ignore_index=True)
        return out[out["present"]].drop(columns="present").reset_index(drop=True)

    def predict(self, since: str | date | None = None) -> pd.DataFrame:
        """Alerts on or after ``since`` (default: the last 7 days of the data)."""
        check_is_fitted(self, "alerts_")
        start = resolve_since(since, self.last_date_)
        a = self.alerts_
        return a[pd.to_datetime(a["date"]) >= start].reset_index(drop=True) if len(a) else a

    def incidents(self, since: str | date | None = None) -> pd.DataFrame:
        """Incidents that were open at some point on or after ``since``."""
        check_is_fitted(self, "incidents_")
        start = resolve_since(since, self.last_date_)
        i = self.incidents_
        if not len(i):
            return i
        return i[pd.to_datetime(i["last_alert"]) >= start].reset_index(drop=True)

    def series(self, campaign_id: str, metric: str) -> pd.DataFrame:
        """Observed vs expected band for one campaign and metric (for the chart)."""
        s = self.scores(campaign_id)
        return s[s["metric"] == metric].reset_index(drop=True)


