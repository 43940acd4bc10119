"""What works, and a budgeted plan: response curves per line item, pooled, then allocated.

Maths first (pure functions), the estimator on top, then the optimiser and the plan:

* :func:`saturation` -- expected daily outcome of a line item at a daily spend,
  ``r * b * (1 - exp(-spend / b))``: ``r`` is the outcome per dollar of the first dollars,
  ``b`` the spend at which returns have fallen to ``1/e`` of that.
* :class:`ResponseModel` -- for each line-item kind (platform, ad type, bidding strategy,
  audience) and each outcome (leads, conversions, revenue) a posterior over ``(r, b)`` on a
  grid, from a quasi-Poisson likelihood of daily outcomes given daily spend, adjusted by
  multiplicative weekday and month factors estimated on the total. Kinds borrow strength
  from kinds that share a platform, ad type, bidding strategy or audience: an additive
  model of ``log r`` and ``log b`` on those values, fitted by precision-weighted ridge
  regression, is each kind's prior (empirical Bayes), with the between-kind spread
  estimated from the data. The posterior mean curve is a mixture of saturating curves,
  so it stays concave.
* :func:`allocate` -- greedy marginal-return allocation in small increments (optimal for
  concave curves), under the budget, platform shares/amounts, a per-item trust cap, a
  minimum useful daily budget and a maximum number of line items.
* :func:`recommend` -- the plan, the last-90-days baseline at the same budget, and the
  uplift with an interval from posterior draws. :func:`backtest` fits on all but the
  last months and scores the predictions of the held-out weeks.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from core.errors import BadInputError, NotEnoughDataError
from core.objectives import Objective, resolve_objective
from core.schema import audience_label

METRICS = ("leads", "conversions", "revenue")
KIND_COLUMNS = ("platform", "ad_type", "bidding_strategy", "age_min", "age_max", "gender", "interests", "location")
_UNIT = {"leads": "lead", "conversions": "sale", "revenue": "dollar of revenue"}


# ------------------------------------------------------------------ pure maths


FAMILIES = ("exponential", "hill")


def basis(spend: np.ndarray | float, b: np.ndarray | float, family: np.ndarray | int = 0) -> np.ndarray:
    """Shape of a saturating curve in [0, 1): ``1 - exp(-x/b)`` (family 0) or ``x / (x + b)`` (family 1,
    a Hill curve of shape 1). Both have slope ``1/b`` at zero, so ``r * b * basis`` has slope ``r`` there.

    >>> float(basis(100.0, 100.0, 1))
    0.5
    """
    u = np.asarray(spend, dtype=float) / np.asarray(b, dtype=float)
    return np.where(np.asarray(family) == 1, u / (1.0 + u), -np.expm1(-u))


def saturation(spend: np.ndarray | float, r: np.ndarray | float, b: np.ndarray | float,
               family: np.ndarray | int = 0) -> np.ndarray:
    """Expected daily outcome at ``spend``: ``r * b * basis(spend, b, family)``
    (exponential: ``r * b * (1 - exp(-spend / b))``).

    >>> float(saturation(0.0, 0.1, 100.0)), round(float(saturation(1e9, 0.1, 100.0)), 6)
    (0.0, 10.0)
    """
    return np.asarray(r) * np.asarray(b) * basis(spend, b, family)


def marginal(spend: np.ndarray | float, r: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """Derivative of :func:`saturation` in spend: ``r * exp(-spend / b)``."""
    return np.asarray(r) * np.exp(-np.asarray(spend, dtype=float) / np.asarray(b))


def mixture_curve(spend: np.ndarray | float, weights: np.ndarray, b_grid: np.ndarray,
                  families: np.ndarray | int = 0) -> np.ndarray:
    """A mixture of saturating curves ``sum_g w_g basis(spend, b_g, family_g)`` (posterior mean curve)."""
    x = np.asarray(spend, dtype=float)
    return (basis(x[..., None], b_grid, families) * weights).sum(-1)


def season_factors(dates: pd.Series, weekday: np.ndarray, month: np.ndarray, holiday: float = 1.0,
                   holiday_dates: Iterable = ()) -> np.ndarray:
    """Multiplicative season factor of each date (weekday x month x public holiday)."""
    d = pd.DatetimeIndex(dates)
    out = weekday[d.dayofweek] * month[d.month - 1]
    if holiday != 1.0 and holiday_dates is not None and len(holiday_dates):
        out = out * np.where(d.normalize().isin(pd.DatetimeIndex(list(holiday_dates))), holiday, 1.0)
    return out


def public_holidays(country: str | None, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Public holidays of ``country`` between two dates (empty when unknown or None)."""
    if not country:
        return pd.DatetimeIndex([])
    try:
        import holidays

        days = holidays.country_holidays(country, years=range(start.year, end.year + 2))
    except (ImportError, NotImplementedError, KeyError):
        return pd.DatetimeIndex([])
    return pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in days))


# ------------------------------------------------------------------ line items


def kind_key(platform: str, ad_type: str, bidding: str, age_min: int, age_max: int, gender: str,
             interests: Iterable[str], location: str) -> str:
    """A stable id for one line-item kind."""
    return f"{platform}|{ad_type}|{bidding}|{audience_label(age_min, age_max, gender, location, interests)}"


def _with_keys(campaigns: pd.DataFrame) -> pd.DataFrame:
    df = campaigns.copy()
    df["interests"] = df["interests"].map(lambda v: tuple(sorted(v)) if v is not None else ())
    if "audience" not in df:
        df["audience"] = [audience_label(*a) for a in zip(df["age_min"], df["age_max"], df["gender"],
                                                          df["location"], df["interests"])]
    df["key"] = df["platform"] + "|" + df["ad_type"] + "|" + df["bidding_strategy"] + "|" + df["audience"]
    df["date"] = pd.to_datetime(df["date"]).dt.normalize()
    return df


def daily_panel(campaigns: pd.DataFrame) -> pd.DataFrame:
    """One row per line-item kind and day: summed spend and outcomes."""
    df = _with_keys(campaigns)
    return (df.groupby(["key", "date"], sort=True)[["spend", *METRICS]].sum().reset_index())


def line_items(campaigns: pd.DataFrame, *, recent_days: int = 90) -> pd.DataFrame:
    """One row per line-item kind: its targeting, history and its recent share of spend."""
    df = _with_keys(campaigns)
    end = df["date"].max()
    recent = df[df["date"] > end - pd.Timedelta(days=recent_days)]
    first = df.drop_duplicates("key").set_index("key")
    g = df.groupby("key")
    daily = df.groupby(["key", "date"])["spend"].sum()
    out = pd.DataFrame({
        "platform": first["platform"], "ad_type": first["ad_type"], "bidding_strategy": first["bidding_strategy"],
        "age_min": first["age_min"].astype(int), "age_max": first["age_max"].astype(int),
        "gender": first["gender"], "interests": first["interests"], "location": first["location"],
        "audience": first["audience"], "objective": first.get("objective"),
        "days": g["date"].nunique(), "spend": g["spend"].sum(),
        **{m: g[m].sum() for m in METRICS},
        "first_date": g["date"].min(), "last_date": g["date"].max(),
        "max_daily_spend": daily.groupby(level=0).quantile(0.95),
    })
    rs = recent.groupby("key")["spend"].sum()
    out["recent_spend"] = rs.reindex(out.index).fillna(0.0)
    total_recent = out["recent_spend"].sum()
    out["recent_share"] = out["recent_spend"] / total_recent if total_recent > 0 else 0.0
    days_recent = max(1, (recent["date"].max() - recent["date"].min()).days + 1) if len(recent) else 1
    out["current_daily_spend"] = out["recent_spend"] / days_recent
    for m in METRICS:
        out[f"recent_{m}"] = recent.groupby("key")[m].sum().reindex(out.index).fillna(0.0)
    out.index.name = "key"
    return out.reset_index()


# ------------------------------------------------------------------ the estimator


@dataclass
class _MetricFit:
    """Posterior of one outcome: per item weights over the b grid, draws, prior design."""

    weights: np.ndarray          # (n_items, G_b): posterior mean curve = mixture_curve(x, w, b_grid)
    r_draws: np.ndarray          # (n_items, n_draws)
    b_draws: np.ndarray          # (n_items, n_draws)
    f_draws: np.ndarray          # (n_items, n_draws): curve family of each draw
    family_share: np.ndarray     # posterior probability of the Hill family per item
    r_mean: np.ndarray           # posterior mean of r
    b_median: np.ndarray         # posterior median of b
    dispersion: np.ndarray       # quasi-Poisson dispersion per item
    weekday: np.ndarray
    month: np.ndarray
    holiday: float
    prior_coef: dict[str, np.ndarray] = field(default_factory=dict)   # 'r'/'b' -> coefficients
    prior_tau: dict[str, float] = field(default_factory=dict)


class ResponseModel(BaseEstimator):
    """Saturating response curves per line-item kind, partially pooled, with uncertainty.

    Parameters
    ----------
    metrics : sequence of str
        Outcomes to model (leads, conversions, revenue).
    n_grid : int
        Grid points of the saturation spend ``b`` (shared by all items, log-spaced).
    n_r : int
        Grid points of ``r`` per item and ``b``, around the likelihood ridge.
    n_draws : int
        Posterior draws kept per item for intervals.
    half_life_days : float or None
        Older days weigh less (``0.5 ** (age / half_life)``); None weighs all days alike.
    ridge : float
        Ridge penalty of the pooled prior's group effects (platform, ad type, bidding, audience).
        A strong penalty keeps a few line items per group from pulling their neighbours too far;
        measured on held-out sample advertisers (seeds 11-18) it captured more of the best gain.
    families : sequence of str
        Curve families mixed in the posterior (``exponential``, ``hill``): each line item's
        data weigh how much each shape counts, so extrapolation is not tied to one shape.
    relative_b : bool
        Pool ``b`` relative to each item's median daily spend (else in dollars).
    country : str or None
        Public holidays of this country get their own factor (None: no holiday factor).
    random_state : int
        Seed of the posterior draws.

    Examples
    --------
    >>> model = ResponseModel(n_draws=50).fit(campaigns)   # doctest: +SKIP
    >>> model.curves("leads").head()                      # doctest: +SKIP
    """

    def __init__(self, *, metrics: Sequence[str] = METRICS, n_grid: int = 120, n_r: int = 41, n_draws: int = 200,
                 half_life_days: float | None = 365.0, ridge: float = 20.0, season_iterations: int = 2,
                 country: str | None = "US", families: Sequence[str] = FAMILIES, relative_b: bool = False,
                 random_state: int = 0) -> None:
        self.metrics = metrics
        self.n_grid = n_grid
        self.n_r = n_r
        self.n_draws = n_draws
        self.half_life_days = half_life_days
        self.ridge = ridge
        self.season_iterations = season_iterations
        self.country = country
        self.families = families
        self.relative_b = relative_b
        self.random_state = random_state

    # ---- fitting

    def fit(self, campaigns: pd.DataFrame, progress: Callable[[float, str], None] | None = None) -> "ResponseModel":
        """Learn every line item's curves from campaign-days.

        Parameters
        ----------
        campaigns : DataFrame
            The campaigns table as ``Warehouse.campaigns()`` returns it.
        progress : callable, optional
            Called with (fraction done, message).
        """
        if campaigns is None or len(campaigns) == 0:
            raise NotEnoughDataError("There are no campaign-days to learn from: load campaign data first.")
        missing = [c for c in ("date", "spend", *KIND_COLUMNS, *self.metrics) if c not in campaigns]
        if missing:
            raise BadInputError(f"The campaigns frame lacks columns: {', '.join(missing)}.")
        report = progress or (lambda f, m: None)
        rng = np.random.default_rng(self.random_state)
        panel = daily_panel(campaigns)
        if panel["date"].nunique() < 28:
            raise NotEnoughDataError("At least 4 weeks of campaign history are needed to learn response curves.")
        items = line_items(campaigns)
        keys = items["key"].tolist()
        idx = pd.Index(keys)
        self.items_ = items
        self.keys_ = keys
        self.start_, self.end_ = panel["date"].min(), panel["date"].max()
        self.holidays_ = public_holidays(self.country, self.start_, self.end_)
        codes = idx.get_indexer(panel["key"])
        x = panel["spend"].to_numpy(float)
        dates = panel["date"]
        age = (self.end_ - dates).dt.days.to_numpy(float)
        w = 0.5 ** (age / self.half_life_days) if self.half_life_days else np.ones_like(age)
        active = x > 0
        pos = x[active]
        lo = max(np.quantile(pos, 0.02) * 0.2, 0.05) if len(pos) else 0.05
        hi = max(np.quantile(pos, 0.99) * 60.0, lo * 100) if len(pos) else 1e4
        b_values = np.geomspace(lo, hi, self.n_grid)
        fams = [FAMILIES.index(f) for f in self.families]
        # the grid of basis curves: every (family, b) pair
        self.b_grid_ = np.tile(b_values, len(fams))
        self.family_grid_ = np.repeat(np.array(fams), len(b_values))
        self.design_, self.design_names_ = self._design(items)
        med = pd.Series(x[active]).groupby(codes[active]).median()
        self.spend_scale_ = med.reindex(range(len(keys))).fillna(float(np.median(pos)) if len(pos) else 1.0
                                                                 ).to_numpy(float)
        self.fits_: dict[str, _MetricFit] = {}
        for mi, metric in enumerate(self.metrics):
            report(mi / len(self.metrics), f"fitting {metric} curves")
            y = panel[metric].to_numpy(float)
            self.fits_[metric] = self._fit_metric(codes, x, y, dates, w, len(keys), rng)
        report(1.0, "done")
        self.n_rows_ = len(panel)
        return self

    def _design(self, items: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        """One-hot design of the shared values (platform, ad type, bidding, audience), plus intercept."""
        cols = ["platform", "ad_type", "bidding_strategy", "audience"]
        names, blocks = ["(intercept)"], [np.ones((len(items), 1))]
        for c in cols:
            values = sorted(items[c].astype(str).unique())
            names.extend(f"{c}={v}" for v in values)
            blocks.append((items[c].astype(str).to_numpy()[:, None] == np.array(values)[None, :]).astype(float))
        return np.hstack(blocks), names

    def _grid_loglik(self, codes, x, y, s, w, n_items):
        """Profile pieces per item and b: Y, A(b) = sum w y log(1-e^{-x/b}), B(b) = sum w s (1-e^{-x/b})."""
        G = len(self.b_grid_)
        A = np.zeros((n_items, G))
        B = np.zeros((n_items, G))
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(n_items + 1))
        for i in range(n_items):
            sel = order[bounds[i]:bounds[i + 1]]
            if len(sel) == 0:
                continue
            E = basis(x[sel, None], self.b_grid_[None, :], self.family_grid_[None, :])
            A[i] = (w[sel] * y[sel]) @ np.log(np.maximum(E, 1e-9))
            B[i] = (w[sel] * s[sel]) @ E
        Y = np.bincount(codes, weights=w * y, minlength=n_items)
        return Y, A, B

    def _fit_metric(self, codes, x, y, dates, w, n_items, rng) -> _MetricFit:
        bg, fg = self.b_grid_, self.family_grid_
        weekday, month, hol = np.ones(7), np.ones(12), np.ones(2)
        dow = pd.DatetimeIndex(dates).dayofweek.to_numpy()
        mon = pd.DatetimeIndex(dates).month.to_numpy() - 1
        isx = pd.DatetimeIndex(dates).isin(self.holidays_).astype(int)
        # 1) flat-prior profile fits alternating with the season factors
        for _ in range(max(1, self.season_iterations)):
            s = weekday[dow] * month[mon] * hol[isx]
            Y, A, B = self._grid_loglik(codes, x, y, s, w, n_items)
            rb = np.where(B > 0, Y[:, None] / np.maximum(B, 1e-12), 0.0)          # MLE of r*b per b
            prof = Y[:, None] * np.log(np.maximum(rb, 1e-300)) + A - rb * B
            g = prof.argmax(1)
            mu0 = rb[codes, g[codes]] * basis(x, bg[g[codes]], fg[g[codes]])      # mean without season
            weekday, month, hol = _season(y, mu0, dow, mon, isx, w, weekday, month, hol)
        s = weekday[dow] * month[mon] * hol[isx]
        Y, A, B = self._grid_loglik(codes, x, y, s, w, n_items)
        rb = np.where(B > 0, Y[:, None] / np.maximum(B, 1e-12), 0.0)
        prof = Y[:, None] * np.log(np.maximum(rb, 1e-300)) + A - rb * B
        g = prof.argmax(1)
        mu = s * rb[codes, g[codes]] * basis(x, bg[g[codes]], fg[g[codes]])
        # 2) quasi-Poisson dispersion per item (Pearson), at least 1
        pear = np.bincount(codes, weights=w * (y - mu) ** 2 / np.maximum(mu, 1e-9), minlength=n_items)
        nw = np.bincount(codes, weights=w, minlength=n_items)
        disp = np.clip(pear / np.maximum(nw - 2, 1.0), 1.0, None)
        # 3) per item, an r grid around the likelihood ridge r_hat(b) (width from the Poisson information),
        #    and the tempered log-likelihood on the (r, b) grid:
        #    loglik[i, j, g] = (Y log(r b) + A(b) - r b B(b)) / disp,  r = r_hat_i(b_g) * exp(sigma_i * delta_j)
        r_hat = np.maximum(Y, 0.5)[:, None] / np.maximum(B, 1e-12) / bg[None, :]          # (n, G_b)
        sigma = np.sqrt(disp / np.maximum(Y, 1.0)) * 1.0
        delta = np.linspace(-4.5, 4.5, self.n_r)
        logr = np.log(r_hat)[:, None, :] + (sigma[:, None] * delta[None, :])[:, :, None]   # (n, J, G_b)
        rr = np.exp(logr)
        logb = np.log(bg)
        ll = (Y[:, None, None] * (logr + logb[None, None, :]) + A[:, None, :]
              - rr * bg[None, None, :] * B[:, None, :]) / disp[:, None, None]
        # 4) flat-prior posterior moments of log r and log b per item (for the pooled prior)
        post = _normalise(ll)
        m_r = (post * logr).sum((1, 2))
        v_r = np.maximum((post * (logr - m_r[:, None, None]) ** 2).sum((1, 2)), 1e-6)
        m_b, v_b = _moments(post.sum(1), logb)
        # 5) empirical Bayes prior: additive model of log r / log b on shared values
        coef_r, pred_r, tau_r = _pooled(self.design_, m_r, v_r, self.ridge)
        # b is pooled relative to each item's typical spend: where curves bend, relative to the budgets
        # advertisers set, carries across line items far better than an absolute dollar amount
        scale = np.log(self.spend_scale_) if self.relative_b else np.zeros(n_items)
        coef_b, pred_b, tau_b = _pooled(self.design_, m_b - scale, v_b, self.ridge)
        pred_b = pred_b + scale
        prior = -0.5 * ((logr - pred_r[:, None, None]) / tau_r) ** 2 \
            - 0.5 * (((logb[None, :] - pred_b[:, None]) / tau_b) ** 2)[:, None, :]
        post = _normalise(ll + prior)
        # posterior mean curve: sum_g (sum_j P r) b_g (1 - e^{-x/b_g})
        weights = (post * rr).sum(1) * bg[None, :]
        flat = post.reshape(n_items, -1)
        cum = np.cumsum(flat, 1)
        u = rng.random((n_items, self.n_draws))
        cells = np.minimum(np.stack([np.searchsorted(cum[i], u[i]) for i in range(n_items)]), flat.shape[1] - 1)
        r_draws = np.take_along_axis(rr.reshape(n_items, -1), cells, 1)
        b_draws = bg[cells % len(bg)]
        f_draws = fg[cells % len(bg)]
        pb = post.sum(1)
        order = np.argsort(bg, kind="stable")
        b_median = bg[order][np.minimum((np.cumsum(pb[:, order], 1) < 0.5).sum(1), len(bg) - 1)]
        family_share = pb[:, fg == 1].sum(1)
        r_mean = (post * rr).sum((1, 2))
        return _MetricFit(weights, r_draws, b_draws, f_draws, family_share, r_mean, b_median, disp, weekday, month, float(hol[1]),
                          {"r": coef_r, "b": coef_b}, {"r": tau_r, "b": tau_b})

    # ---- using the curves

    def _check(self, metric: str) -> _MetricFit:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "fits_")
        if metric not in self.fits_:
            raise BadInputError(f"The model was not fitted for {metric}.")
        return self.fits_[metric]

    def _rows(self, keys: Sequence[str] | None) -> np.ndarray:
        if keys is None:
            return np.arange(len(self.keys_))
        idx = pd.Index(self.keys_).get_indexer(list(keys))
        if (idx < 0).any():
            raise BadInputError("Unknown line item: " + str(np.asarray(list(keys))[idx < 0][0]))
        return idx

    def predict(self, spend: np.ndarray | Mapping[str, float], metric: str = "leads", *,
                keys: Sequence[str] | None = None, dates: pd.Series | None = None) -> np.ndarray:
        """Expected daily outcome of each line item at a daily spend (posterior mean).

        ``spend`` is an array aligned to ``keys`` (all items when None) or a mapping key -> spend.
        Without ``dates`` the season factor is 1 (an average day); with ``dates`` (same length
        as ``spend``) each value is scaled by that day's weekday and month factors.
        """
        fit = self._check(metric)
        if isinstance(spend, Mapping):
            keys, spend = list(spend), np.array(list(spend.values()), dtype=float)
        rows = self._rows(keys)
        x = np.asarray(spend, dtype=float)
        out = (basis(x[:, None], self.b_grid_[None, :], self.family_grid_[None, :]) * fit.weights[rows]).sum(1)
        if dates is not None:
            out = out * season_factors(dates, fit.weekday, fit.month, fit.holiday, self.holidays_)
        return out

    def predict_draws(self, spend: np.ndarray, metric: str = "leads", *, keys: Sequence[str] | None = None
                      ) -> np.ndarray:
        """Posterior draws of each item's expected daily outcome: shape (n_items, n_draws)."""
        fit = self._check(metric)
        rows = self._rows(keys)
        x = np.asarray(spend, dtype=float)[:, None]
        return saturation(x, fit.r_draws[rows], fit.b_draws[rows], fit.f_draws[rows])

    def curves(self, metric: str = "leads") -> pd.DataFrame:
        """The learned curves, one row per line item: r (first-dollar yield), b (saturation spend)."""
        fit = self._check(metric)
        out = self.items_[["key", "platform", "ad_type", "bidding_strategy", "audience", "days", "spend"]].copy()
        out["r"] = fit.r_mean
        out["b"] = fit.b_median
        out["r_lo"], out["r_hi"] = np.quantile(fit.r_draws, [0.05, 0.95], axis=1)
        out["b_lo"], out["b_hi"] = np.quantile(fit.b_draws, [0.05, 0.95], axis=1)
        out["dispersion"] = fit.dispersion
        out["hill_share"] = fit.family_share
        out["current_daily_spend"] = self.items_["current_daily_spend"].to_numpy()
        return out

    def season(self, metric: str = "leads") -> pd.DataFrame:
        """Weekday, month and public-holiday factors (multiplicative, mean about 1)."""
        fit = self._check(metric)
        wd = pd.DataFrame({"kind": "weekday", "index": range(7), "factor": fit.weekday,
                           "label": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]})
        mo = pd.DataFrame({"kind": "month", "index": range(1, 13), "factor": fit.month,
                           "label": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                     "Dec"]})
        ho = pd.DataFrame({"kind": "holiday", "index": [1], "factor": [fit.holiday], "label": ["public holiday"]})
        return pd.concat([wd, mo, ho], ignore_index=True)

    def kind_curve(self, platform: str, ad_type: str, bidding_strategy: str, audience: str,
                   metric: str = "leads") -> tuple[float, float]:
        """The pooled prior's (r, b) for a combination of known values, seen together or not."""
        fit = self._check(metric)
        row = np.zeros(len(self.design_names_))
        row[0] = 1.0
        for c, v in (("platform", platform), ("ad_type", ad_type), ("bidding_strategy", bidding_strategy),
                     ("audience", audience)):
            name = f"{c}={v}"
            if name not in self.design_names_:
                raise BadInputError(f"{c} '{v}' was never seen in the history.")
            row[self.design_names_.index(name)] = 1.0
        scale = float(np.median(self.spend_scale_)) if self.relative_b else 1.0   # a new combination: typical level
        return float(np.exp(row @ fit.prior_coef["r"])), float(np.exp(row @ fit.prior_coef["b"]) * scale)


def _season(y, mu0, dow, mon, isx, w, weekday, month, hol, iterations: int = 3):
    """Multiplicative weekday x month x holiday factors of the total, shrunk toward 1, mean 1."""
    shrink = max(float(np.sum(w * y)) / max(len(np.unique(mon)), 1) * 0.02, 1e-9)
    for _ in range(iterations):
        num = np.bincount(dow, weights=w * y, minlength=7)
        den = np.bincount(dow, weights=w * mu0 * month[mon] * hol[isx], minlength=7)
        weekday = (num + shrink) / (den + shrink)
        weekday /= np.average(weekday[dow], weights=w)
        num = np.bincount(mon, weights=w * y, minlength=12)
        den = np.bincount(mon, weights=w * mu0 * weekday[dow] * hol[isx], minlength=12)
        month = (num + shrink * 4) / (den + shrink * 4)
        month /= np.average(month[mon], weights=w)
        num = np.bincount(isx, weights=w * y, minlength=2)
        den = np.bincount(isx, weights=w * mu0 * weekday[dow] * month[mon], minlength=2)
        hol = np.array([1.0, (num[1] + shrink * 0.2) / (den[1] + shrink * 0.2) / max(num[0] / max(den[0], 1e-12),
                                                                                      1e-12)])
    return weekday, month, hol


def _normalise(ll: np.ndarray) -> np.ndarray:
    flat = ll.reshape(ll.shape[0], -1)
    flat = flat - flat.max(1, keepdims=True)
    p = np.exp(flat)
    p /= p.sum(1, keepdims=True)
    return p.reshape(ll.shape)


def _moments(p: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = (p * grid).sum(1)
    v = (p * (grid[None, :] - m[:, None]) ** 2).sum(1)
    return m, np.maximum(v, 1e-6)


def _pooled(X: np.ndarray, theta: np.ndarray, var: np.ndarray, ridge: float, iterations: int = 5):
    """Precision-weighted ridge fit of per-item estimates; returns coef, prediction, between-item sd."""
    tau2 = max(float(np.var(theta)), 0.05)
    pen = np.full(X.shape[1], ridge)
    pen[0] = 1e-6
    for _ in range(iterations):
        wts = 1.0 / (var + tau2)
        XtW = X.T * wts
        inv = np.linalg.inv(XtW @ X + np.diag(pen))
        coef = inv @ (XtW @ theta)
        pred = X @ coef
        # leave-one-out residuals (ridge hat matrix), so a rich design does not hide the spread
        lev = np.clip(np.einsum("ij,jk,ik->i", X, inv, X) * wts, 0.0, 0.95)
        resid2 = ((theta - pred) / (1.0 - lev)) ** 2
        tau2 = max(float(np.sum(wts * (resid2 - var)) / np.sum(wts)), 0.01)
    tau = float(np.sqrt(tau2))
    return coef, pred, max(tau, 0.1)


# ------------------------------------------------------------------ the optimiser


@dataclass
class Constraints:
    """Limits on an allocation. Amounts are per day; shares are fractions of the budget."""

    budget: float
    item_cap: np.ndarray | None = None          # per candidate, max daily spend
    platform_max: dict[str, float] = field(default_factory=dict)
    platform_min: dict[str, float] = field(default_factory=dict)
    min_item_budget: float = 0.0
    max_items: int | None = None


def allocate(gain: Callable[[np.ndarray], np.ndarray], platforms: Sequence[str], cons: Constraints, *,
             steps: int = 400) -> np.ndarray:
    """Greedy marginal-return allocation of ``cons.budget`` over candidates.

    Parameters
    ----------
    gain : callable
        ``gain(X) -> Y``: expected outcome of each candidate (column) at spends ``X`` of shape
        (n_points, n_candidates); it must be concave and increasing in spend.
    platforms : sequence of str
        The platform of each candidate.
    cons : Constraints
    steps : int
        Number of increments the budget is cut into.

    Returns
    -------
    ndarray
        Daily spend per candidate; sums to at most the budget.

    Examples
    --------
    >>> g = lambda X: saturation(X, np.array([0.1, 0.05]), np.array([50.0, 500.0]))
    >>> x = allocate(g, ["a", "b"], Constraints(budget=100.0))
    >>> bool(abs(x.sum() - 100.0) < 1e-6 and x[0] > 0 and x[1] > 0)
    True
    """
    plats = np.asarray(platforms)
    n = len(plats)
    active = np.ones(n, dtype=bool)
    if n == 0 or cons.budget <= 0:
        return np.zeros(n)
    for _ in range(n + 1):
        x = _greedy(gain, plats, cons, active, steps)
        on = x > 1e-9
        small = on & (x < cons.min_item_budget - 1e-9)
        too_many = cons.max_items is not None and on.sum() > cons.max_items
        if not small.any() and not too_many:
            return x
        if small.any():
            # drop the smallest under-funded item and re-allocate its money
            cand = np.where(small)[0]
            active[cand[np.argmin(x[cand])]] = False
        else:
            keep = np.argsort(-x)[:cons.max_items]
            mask = np.zeros(n, dtype=bool)
            mask[keep] = True
            active &= mask
    return _greedy(gain, plats, cons, active, steps)


def _greedy(gain, plats: np.ndarray, cons: Constraints, active: np.ndarray, steps: int) -> np.ndarray:
    n = len(plats)
    budget = float(cons.budget)
    delta = budget / steps
    cap = np.full(n, np.inf) if cons.item_cap is None else np.asarray(cons.item_cap, dtype=float).copy()
    cap[~active] = 0.0
    levels = np.arange(steps + 1) * delta
    vals = gain(np.repeat(levels[:, None], n, axis=1))                    # (steps+1, n)
    inc = np.diff(vals, axis=0)                                             # gain of the j-th increment
    n_inc_cap = np.floor(np.minimum(cap, budget) / delta + 1e-9).astype(int)
    taken = np.zeros(n, dtype=int)
    pmax = {p: cons.platform_max.get(p, np.inf) for p in set(plats)}
    used = {p: 0.0 for p in set(plats)}
    remaining = steps

    def step(candidates: np.ndarray) -> bool:
        nonlocal remaining
        ok = candidates & (taken < n_inc_cap) & (taken < steps)
        ok &= np.array([used[p] + delta <= pmax[p] + 1e-9 for p in plats])
        if not ok.any() or remaining <= 0:
            return False
        g = np.where(ok, inc[np.minimum(taken, steps - 1), np.arange(n)], -np.inf)
        j = int(np.argmax(g))
        if g[j] <= 0:
            return False
        taken[j] += 1
        used[plats[j]] += delta
        remaining -= 1
        return True

    for p, lo in cons.platform_min.items():          # first meet each platform's minimum
        mask = plats == p
        while used.get(p, 0.0) + 1e-9 < lo and step(mask):
            pass
    while step(np.ones(n, dtype=bool)):
        pass
    return taken * delta


# ------------------------------------------------------------------ planning


@dataclass
class Plan:
    """A plan and its comparison with the baseline."""

    objective: Objective
    items: pd.DataFrame            # one row per planned line item
    expected: dict[str, float]
    baseline: dict[str, Any]
    uplift: dict[str, float]
    candidates: pd.DataFrame        # every candidate with current and recommended spend
    notes: list[str]

    def to_payload(self) -> dict[str, Any]:
        """The CLI contract's JSON shape."""
        plan = []
        for _, r in self.items.iterrows():
            plan.append({
                "platform": r["platform"], "ad_type": r["ad_type"], "bidding_strategy": r["bidding_strategy"],
                "audience": {"age_min": int(r["age_min"]), "age_max": int(r["age_max"]), "gender": r["gender"],
                             "interests": list(r["interests"]), "location": r["location"]},
                "daily_budget": round(float(r["daily_budget"]), 2),
                "expected": {"spend": round(float(r["daily_budget"]), 2), "leads": round(float(r["leads"]), 2),
                             "conversions": round(float(r["conversions"]), 2),
                             "revenue": round(float(r["revenue"]), 2), "cpl": _r(r["cpl"])},
                "why": r["why"],
                "current_daily_spend": round(float(r["current_daily_spend"]), 2),
                "key": r["key"],
            })
        return {"objective": self.objective.contract_dict(), "plan": plan, "expected": self.expected,
                "baseline": self.baseline, "uplift": self.uplift, "notes": self.notes}

    def table(self) -> pd.DataFrame:
        """The plan as a flat table for display and download."""
        cols = ["platform", "ad_type", "bidding_strategy", "audience", "daily_budget", "current_daily_spend",
                "leads", "conversions", "revenue", "cpl", "why"]
        out = self.items[cols].copy()
        for c in ("daily_budget", "current_daily_spend", "leads", "conversions", "revenue", "cpl"):
            out[c] = out[c].astype(float).round(2)
        return out


def _r(v: float, nd: int = 2) -> float | None:
    v = float(v)
    return round(v, nd) if np.isfinite(v) else None


def _audience_ok(items: pd.DataFrame, obj: Objective) -> np.ndarray:
    ok = np.ones(len(items), dtype=bool)
    if obj.gender in ("female", "male"):
        ok &= items["gender"].isin([obj.gender, "all"]).to_numpy()
    if obj.age_min is not None and obj.age_max is not None:
        ok &= ((items["age_max"] >= obj.age_min) & (items["age_min"] <= obj.age_max)).to_numpy()
    if obj.locations:
        locs = [str(l) for l in obj.locations]
        ok &= items["location"].map(lambda v: any(str(v) == l or l.startswith(str(v) + "-") or
                                                  str(v).startswith(l + "-") for l in locs)).to_numpy()
    if obj.interests:
        wanted = {i.lower() for i in obj.interests}
        ok &= items["interests"].map(lambda v: not v or bool(wanted & {i.lower() for i in v})).to_numpy()
    return ok


def candidates_for(model: ResponseModel, obj: Objective) -> tuple[pd.DataFrame, list[str]]:
    """The line items a plan may use: allowed platforms, audience hints where the history has them."""
    items = model.items_.copy()
    notes: list[str] = []
    known = sorted(items["platform"].unique())
    allowed = [p for p in (obj.platforms or known) if p not in obj.excluded_platforms]
    usable = [p for p in allowed if p in known]
    if not usable:
        asked = ", ".join(obj.platforms or allowed) or "none"
        raise BadInputError(f"The history has no campaigns on the platforms allowed ({asked}); "
                            f"it has {', '.join(known)}. Which of those may the plan use?", "No usable platform")
    missing = [p for p in allowed if p not in known]
    if missing and obj.platforms:
        notes.append(f"No history on {', '.join(missing)}, so the plan cannot judge it and leaves it out.")
    items = items[items["platform"].isin(usable)]
    ok = _audience_ok(items, obj)
    if (obj.gender or obj.age_min is not None or obj.locations or obj.interests):
        if ok.any():
            items = items[ok]
        else:
            notes.append("No line item in the history matches the audience asked for; "
                         "the plan uses the closest audiences it knows.")
    return items, notes


def _why(row: pd.Series, goal: str, marginal_cost: float, median_marginal: float) -> str:
    unit = _UNIT[goal]
    cur, rec = float(row["current_daily_spend"]), float(row["daily_budget"])
    hist_spend, hist_out = float(row["hist_spend"]), float(row["hist_out"])
    if goal == "revenue":
        past = f"returned ${hist_out / hist_spend:.2f} per dollar" if hist_spend > 0 and hist_out > 0 else \
            "has little revenue history"
        nxt = f"the next dollar still brings about ${1 / marginal_cost:.2f}" if np.isfinite(marginal_cost) and \
            marginal_cost > 0 else "returns are flat"
    else:
        past = (f"brought {goal} at ${hist_spend / hist_out:,.0f} each" if hist_out > 0 else f"brought few {goal}")
        nxt = (f"the next {unit} costs about ${marginal_cost:,.0f}" if np.isfinite(marginal_cost) else
               "returns are flat")
    when = "over the last 90 days" if row["recent_spend"] > 0 else "when it last ran"
    if cur < 1:
        verb = f"Restart at ${rec:,.0f}/day"
    elif rec > cur * 1.1:
        verb = f"Raise from ${cur:,.0f} to ${rec:,.0f}/day"
    elif rec < cur * 0.9:
        verb = f"Trim from ${cur:,.0f} to ${rec:,.0f}/day"
    else:
        verb = f"Keep at about ${rec:,.0f}/day"
    tail = "room to grow before returns flatten" if rec > cur * 1.1 else "this is where returns start to flatten"
    return f"{verb}: it {past} {when}, and at this budget {nxt} ({tail})."


def recommend(model: ResponseModel, obj: Objective, *, min_item_budget: float | None = None,
              trust: float = 5.0, steps: int = 400, allow_overspend_cap: bool = True) -> Plan:
    """The budgeted plan for an objective, with the baseline and uplift.

    Parameters
    ----------
    model : ResponseModel
        Fitted on the client's history.
    obj : Objective
        With a budget (see :func:`core.objectives.require_complete`).
    min_item_budget : float, optional
        Smallest useful daily budget of a line item (default: 2% of the daily budget, at least $5).
    trust : float
        A line item may get at most ``trust`` times the highest daily spend it ever had (its
        95th percentile); beyond that the curve is an extrapolation.
    """
    from core.objectives import require_complete

    require_complete(obj)
    goal = obj.goal
    budget = float(obj.daily_budget)
    cands, notes = candidates_for(model, obj)
    keys = cands["key"].tolist()
    rows = model._rows(keys)
    fit = model.fits_[goal]
    w = fit.weights[rows]
    bg, fg = model.b_grid_, model.family_grid_

    def gain(X: np.ndarray) -> np.ndarray:
        return (basis(X[..., None], bg, fg) * w[None, :, :]).sum(-1)

    cap = np.maximum(cands["max_daily_spend"].to_numpy(float), 1.0) * trust
    if allow_overspend_cap and cap.sum() < budget:
        notes.append(f"The budget is above what these line items ever spent; each may go up to "
                     f"{budget / cap.sum() * trust:.1f}x its past high, which is an extrapolation.")
        cap *= budget / cap.sum() * 1.0001
    plat = cands["platform"].to_numpy()
    pmax = {}
    for p in set(plat):
        lim = np.inf
        if p in obj.platform_max_share:
            lim = min(lim, obj.platform_max_share[p] * budget)
        if p in obj.platform_max:
            lim = min(lim, obj.platform_max[p])
        pmax[p] = lim
    pmin = {p: max(obj.platform_min.get(p, 0.0), obj.platform_min_share.get(p, 0.0) * budget)
            for p in set(obj.platform_min) | set(obj.platform_min_share)}
    for p in list(pmin):
        if p not in set(plat):
            raise BadInputError(f"The brief asks for a minimum on {p}, but the history has no usable {p} line item.")
    if sum(pmin.values()) > budget + 1e-6:
        raise BadInputError("The platform minimums add up to more than the budget; lower them or raise the budget.")
    min_b = max(5.0, 0.02 * budget) if min_item_budget is None else float(min_item_budget)
    min_b = min(min_b, budget)
    cons = Constraints(budget=budget, item_cap=cap, platform_max=pmax, platform_min=pmin, min_item_budget=min_b,
                       max_items=obj.max_line_items)
    x = allocate(gain, plat, cons, steps=steps)

    out = cands.copy()
    out["daily_budget"] = x
    for m in METRICS:
        out[m] = model.predict(x, m, keys=keys) if m in model.fits_ else np.nan
    out["cpl"] = np.where(out["leads"] > 0, x / np.maximum(out["leads"], 1e-12), np.nan)
    # marginal cost of one more unit of the goal at the recommended spend
    eps = max(budget / steps, 0.5)
    m_gain = (model.predict(x + eps, goal, keys=keys) - model.predict(x, goal, keys=keys)) / eps
    out["marginal_cost"] = np.where(m_gain > 0, 1.0 / np.maximum(m_gain, 1e-12), np.inf)
    out["hist_spend"] = np.where(out["recent_spend"] > 0, out["recent_spend"], out["spend"])
    out["hist_out"] = np.where(out["recent_spend"] > 0, out[f"recent_{goal}"], out[goal])
    planned = out[out["daily_budget"] > 1e-9].copy()
    med = float(np.median(planned["marginal_cost"])) if len(planned) else np.nan
    planned["why"] = [_why(r, goal, r["marginal_cost"], med) for _, r in planned.iterrows()]
    planned = planned.sort_values("daily_budget", ascending=False)

    totals = {m: float(planned[m].sum()) for m in METRICS}
    spend = float(planned["daily_budget"].sum())
    expected = {"daily_spend": round(spend, 2), **{m: round(v, 2) for m, v in totals.items()},
                "cpl": _r(spend / totals["leads"]) if totals["leads"] > 0 else None,
                "cpa": _r(spend / totals["conversions"]) if totals["conversions"] > 0 else None,
                "roas": _r(totals["revenue"] / spend) if spend > 0 else None}

    # baseline: the last 90 days' mix on the platforms the plan may use (audience hints are a preference of
    # the plan, not a change to what the client runs today), scaled to the same budget
    items = model.items_
    pool = items[items["platform"].isin(cands["platform"].unique())]
    restricted = len(pool) < len(items)
    share = pool["recent_share"].to_numpy(float)
    note = "last 90 days' mix scaled to this budget"
    if share.sum() <= 0:
        share = pool["spend"].to_numpy(float)
        note = "the whole history's mix scaled to this budget (no recent spend on these platforms)"
    elif restricted:
        note = "last 90 days' mix on the allowed platforms scaled to this budget"
    xb = share / share.sum() * budget
    base_keys = pool["key"].tolist()
    base = {m: float(model.predict(xb, m, keys=base_keys).sum()) for m in METRICS if m in model.fits_}
    baseline = {"daily_spend": round(float(xb.sum()), 2), **{m: round(v, 2) for m, v in base.items()},
                "cpl": _r(xb.sum() / base["leads"]) if base.get("leads", 0) > 0 else None,
                "note": note, "mix": {k: round(float(v), 2) for k, v in zip(base_keys, xb) if v > 0}}

    # uplift of the goal with an interval, from joint posterior draws
    d_plan = model.predict_draws(x, goal, keys=keys).sum(0)
    d_base = model.predict_draws(xb, goal, keys=base_keys).sum(0)
    rel = d_plan / np.maximum(d_base, 1e-12) - 1.0
    lo, hi = np.quantile(rel, [0.05, 0.95])
    base_goal = base.get(goal, 0.0)
    uplift = {"goal": goal, "change": _r(totals[goal] / base_goal - 1.0, 4) if base_goal > 0 else None,
              "interval": [_r(lo, 4), _r(hi, 4)], "level": 0.9,
              "interval_basis": "posterior uncertainty of the curves; not the risk that their shape is wrong",
              "cpl_change": _r(expected["cpl"] / baseline["cpl"] - 1.0, 4)
              if expected["cpl"] and baseline["cpl"] else None}
    if obj.target_cpl and expected["cpl"]:
        verdict = "meets" if expected["cpl"] <= obj.target_cpl else "misses"
        notes.append(f"The plan's expected CPL ${expected['cpl']:,.2f} {verdict} the target ${obj.target_cpl:,.2f}.")
    if obj.target_cpa and expected["cpa"]:
        verdict = "meets" if expected["cpa"] <= obj.target_cpa else "misses"
        notes.append(f"The plan's expected cost per sale ${expected['cpa']:,.2f} {verdict} the target "
                     f"${obj.target_cpa:,.2f}.")
    if spend < budget - max(budget / steps, 0.01) * 1.5:
        notes.append(f"The plan spends ${spend:,.2f} of ${budget:,.2f} a day: more would add nothing the "
                     "constraints allow.")
    out["recommended"] = out["daily_budget"]
    return Plan(obj, planned.reset_index(drop=True), expected, baseline, uplift, out.reset_index(drop=True), notes)


def budget_sweep(model: ResponseModel, obj: Objective, factors: Sequence[float] = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0),
                 **kwargs: Any) -> pd.DataFrame:
    """Expected outcome and CPL of the optimal plan from half to double the budget."""
    from dataclasses import replace

    rows = []
    for f in factors:
        o = replace(obj, budget=float(obj.budget) * f, questions=[])
        p = recommend(model, o, **kwargs)
        rows.append({"factor": f, "daily_budget": o.daily_budget, "spend": p.expected["daily_spend"],
                     "leads": p.expected["leads"], "conversions": p.expected["conversions"],
                     "revenue": p.expected["revenue"], "cpl": p.expected["cpl"],
                     "baseline_leads": p.baseline.get("leads"), "baseline_cpl": p.baseline.get("cpl")})
    return pd.DataFrame(rows)


def curve_frame(model: ResponseModel, plan: Plan, metric: str | None = None, points: int = 60) -> pd.DataFrame:
    """Each planned item's response curve with its 90% band, for the chart."""
    metric = metric or plan.objective.goal
    rows = []
    for _, r in plan.items.iterrows():
        top = max(r["daily_budget"], r["current_daily_spend"], r["max_daily_spend"]) * 1.6 + 1.0
        xs = np.linspace(0, top, points)
        mean = model.predict(xs, metric, keys=[r["key"]] * points)
        draws = model.predict_draws(xs, metric, keys=[r["key"]] * points)
        lo, hi = np.quantile(draws, [0.05, 0.95], axis=1)
        label = f"{r['platform']} {r['ad_type']} · {r['audience']}"
        rows.append(pd.DataFrame({"key": r["key"], "label": label, "spend": xs, "expected": mean, "lo": lo,
                                  "hi": hi, "current": r["current_daily_spend"], "recommended": r["daily_budget"]}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


# ------------------------------------------------------------------ backtest


def backtest(campaigns: pd.DataFrame, *, holdout_days: int = 182, metric: str = "leads", level: float = 0.8,
             model: ResponseModel | None = None, random_state: int = 0) -> dict[str, Any]:
    """Fit on all but the last ``holdout_days`` and score weekly predictions at the spend actually made.

    Returns
    -------
    dict
        ``wape`` and ``mape`` of weekly totals, ``bias``, ``coverage`` of the ``level`` interval,
        ``weeks`` (a frame of actual, predicted, lo, hi per week) and the split date.
    """
    df = _with_keys(campaigns)
    end = df["date"].max()
    split = end - pd.Timedelta(days=holdout_days)
    train, test = df[df["date"] <= split], df[df["date"] > split]
    if train["date"].nunique() < 90 or test.empty:
        raise NotEnoughDataError(f"A backtest needs at least 90 days of history before the last {holdout_days} days.")
    m = model or ResponseModel(metrics=(metric,), n_draws=200, random_state=random_state)
    m.fit(train)
    # calibration from the training weeks only: how much wider than Poisson-type noise weekly totals vary
    tr = _weekly(m, train, metric)
    z2 = (tr["actual"] - tr["pred"]) ** 2 / np.maximum(tr["obs_var"] + tr["draws"].var(1), 1e-9)
    inflate = float(max(1.0, np.mean(z2[tr["full"]]) if tr["full"].any() else 1.0))
    te = _weekly(m, test[test["key"].isin(m.keys_)], metric)
    rng = np.random.default_rng(random_state)
    sim = te["draws"] + rng.standard_normal(te["draws"].shape) * np.sqrt(te["obs_var"] * inflate)[:, None]
    a = (1 - level) / 2
    lo, hi = np.quantile(sim, [a, 1 - a], axis=1)
    actual, pred, weeks, full = te["actual"], te["pred"], te["weeks"], te["full"]
    if full.sum() >= 4:                      # drop partial first/last weeks
        actual, pred, lo, hi, weeks = actual[full], pred[full], lo[full], hi[full], weeks[full]
    wape = float(np.abs(pred - actual).sum() / max(actual.sum(), 1e-9))
    nz = actual > 0
    mape = float(np.mean(np.abs(pred[nz] - actual[nz]) / actual[nz])) if nz.any() else float("nan")
    coverage = float(np.mean((actual >= lo) & (actual <= hi)))
    frame = pd.DataFrame({"week": weeks, "actual": actual, "predicted": pred, "lo": lo, "hi": hi})
    return {"metric": metric, "split": split.date().isoformat(), "holdout_days": holdout_days,
            "wape": wape, "mape": mape, "bias": float(pred.sum() / max(actual.sum(), 1e-9) - 1.0),
            "coverage": coverage, "level": level, "weeks": frame, "noise_inflation": inflate,
            "items_unseen": int(test.loc[~test["key"].isin(m.keys_), "key"].nunique())}


def _weekly(m: ResponseModel, df: pd.DataFrame, metric: str) -> dict[str, Any]:
    """Weekly actual totals, predicted means, posterior draws and observation variance at actual spend."""
    panel = df.groupby(["key", "date"], sort=True)[["spend", metric]].sum().reset_index()
    fit = m.fits_[metric]
    rows = m._rows(panel["key"])
    s = season_factors(panel["date"], fit.weekday, fit.month, fit.holiday, m.holidays_)
    x = panel["spend"].to_numpy(float)
    mean = m.predict(x, metric, keys=panel["key"]) * s
    draws = saturation(x[:, None], fit.r_draws[rows], fit.b_draws[rows], fit.f_draws[rows]) * s[:, None]
    week = panel["date"].dt.to_period("W-SUN").dt.start_time
    weeks = pd.Index(sorted(week.unique()))
    wi = weeks.get_indexer(week)
    n_w = len(weeks)
    days = pd.Series(panel["date"].to_numpy()).groupby(wi).nunique().reindex(range(n_w)).to_numpy()
    return {"weeks": weeks, "full": days == 7,
            "actual": np.bincount(wi, weights=panel[metric].to_numpy(float), minlength=n_w),
            "pred": np.bincount(wi, weights=mean, minlength=n_w),
            "draws": np.stack([np.bincount(wi, weights=draws[:, k], minlength=n_w)
                               for k in range(draws.shape[1])], 1),
            "obs_var": np.bincount(wi, weights=mean * fit.dispersion[rows], minlength=n_w)}


# ------------------------------------------------------------------ CLI


def run_recommend(args: argparse.Namespace, ctx: Any) -> dict[str, Any]:
    """``python -m core recommend``: the plan for a brief (shared/contract/CLI.md)."""
    t0 = time.perf_counter()
    wh = ctx.warehouse()
    campaigns = wh.campaigns()
    if campaigns.empty:
        raise NotEnoughDataError("There are no campaigns in the data: give --data FILE with campaign records.")
    interests = sorted({i for t in campaigns["interests"] for i in t})
    obj = resolve_objective(args.objective, budget=args.budget, period=args.period, platforms=args.platforms,
                            goal=args.goal, known_platforms=sorted(campaigns["platform"].unique()),
                            known_interests=interests)
    model = ResponseModel(country=ctx.settings.country, random_state=0).fit(campaigns)
    plan = recommend(model, obj)
    payload = plan.to_payload()
    payload["model"] = {"name": "pooled saturating response curves (quasi-Poisson, empirical Bayes)",
                        "line_items": len(model.keys_), "rows": int(model.n_rows_),
                        "fit_seconds": round(time.perf_counter() - t0, 2)}
    return payload
