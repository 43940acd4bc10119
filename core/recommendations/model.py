"""The estimator: saturating response curves per line-item kind, partially pooled, with posterior draws."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from core.errors import BadInputError, NotEnoughDataError
from core.recommendations.curves import (FAMILIES, FAMILY_CODES, _moments, _normalise, _pooled, _season, basis, public_holidays,
                                         saturation, season_factors)
from core.recommendations.items import KIND_COLUMNS, METRICS, daily_panel, line_items

#: platforms that sell one audience between them: Meta's ad sets reach one audience on Facebook and Instagram
NETWORKS = {"facebook": "meta", "instagram": "meta"}
#: how much more likely (log-likelihood) the history must be under a pool across a network's platforms than under
#: pools per platform (or the items' own curves) for the plan to treat the network's audience as one pool
POOL_EVIDENCE = 0.0
#: prior log-odds that line items on one platform reaching one audience share its saturation (they bid in one
#: auction for the same people): a pool's weight is its posterior probability against the items' own curves
POOL_PRIOR = 2.0
#: how far past its high a dollar still counts (half of ``extrapolation`` at this many highs past it), tried by
#: :meth:`ResponseModel._choose_reach`; None: every dollar past the high counts ``extrapolation``, however far.
#: Not 1: the held-out days lie just past the fitted high and cannot tell 1 from 2 far out, where 1 cost the
#: sample generator's seed 1 a third of its captured gain
REACH_CHOICES = (None, 4.0, 2.0)
#: each line item's top share of days held out to see how its curve carries past what it was fitted on
REACH_HOLDOUT = 0.15
#: how much better (Poisson log-likelihood of the held-out days) a reach must predict than None to be chosen
REACH_EVIDENCE = 2.0

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
        Curve families mixed in the posterior (``exponential``, ``hill``, ``s_hill``, ``log``): each line
        item's data weigh how much each shape counts, so extrapolation is not tied to one shape. The
        S-shaped ``s_hill`` (flat first dollars, then a plateau) is in the default: a concave curve fitted
        to data that rise slowly, then fast, then flatten reads them as nearly straight and promises far
        too much past the observed high (a held-out line item: +7.1 leads a day promised, +0.2 true).
    extrapolation : float
        Beyond a line item's observed high (the 95th percentile of its daily spend) each extra
        dollar counts as this fraction of a dollar: the curve there is a guess, and the plans it
        favours are those whose guesses ran high (the optimiser's curse). 1.0 trusts the curve.
        Measured on held-out advertisers made differently from the sample (bench/heldout.py,
        tuning seeds 101-108): 0.7 captured more of the best gain than 0.5 (leads 0.739 -> 0.765,
        sales 0.730 -> 0.748) and its worst forecast missed by 10% instead of 16%, because the true
        curves past the high are as often ones that never flatten (forecasts too low at 0.5) as
        S-shaped ones that flatten fast (too high at 1.0). On the sample generator 0.7 captured
        89.5% instead of 88.3%, its forecasts within -3% to +6% (-7% to +2% at 0.5). With the
        S-shaped family, relative pooling of ``b``, pools chosen by evidence and the polished
        allocation (trust 5 / pool_trust 4), 0.8 replaced 0.7: the S-shaped curves now carry much of
        what the discount guarded against. Same fits, read at 0.7 -> 0.8 (bench/recommend_loss.py):
        bench/heldout2.py seeds 1-4 leads captured 0.608 -> 0.624, sales 0.659 -> 0.666, forecasts within
        10% on 5 -> 7 of 8 plans (at 0.7 the forecasts past the highs were 10-13% too low); bench/heldout.py
        seeds 101-108, 201-204, 301-304 leads 0.840 -> 0.837, sales 0.857 -> 0.860, within 10% on 30 -> 31
        of 32; the sample generator captured 89.9% at 0.8.
    extrapolation_spread : float
        The discount itself is uncertain: the posterior draws (:meth:`predict_draws`,
        :meth:`plan_draws`, and the intervals made from them) each count spend past the observed high
        at a discount drawn evenly from ``extrapolation +- extrapolation_spread`` (at least 0), one
        discount per draw shared by all line items (the shape past the high is the advertiser's, not
        one item's). The point forecasts keep ``extrapolation``. 0 gives the draws the fixed discount.
        Measured with the pools drawn as two models (:meth:`plan_draws`): on the sample generator
        (bench/recommend.py, seeds 1-5) the true uplift fell inside the plan's 90% interval on 5 of 5
        seeds at 0.3 (3 of 5 at 0.2; 2 of 5 before either change); on held-out advertisers made
        differently (tuning seeds 101-108) the month's 80% range held the leads 87% of the time and
        the sales 80% at 0.3 (81% / 76% at 0.2; 75% / 72% before). The allocation is unchanged.
    extrapolation_reach : float, "auto" or None
        How far past its observed high a dollar still counts ``extrapolation`` of a dollar, in highs: a dollar
        ``c`` highs past it counts half that (spend past the high is compressed logarithmically), so a curve
        read far past anything it was run at promises less the further it goes. None counts every dollar past
        the high alike. "auto" reads it from the history (:meth:`_choose_reach`): each item's top days are held
        out, and a reach is kept only where it predicts them better than None (``extrapolation_reach_``).
        Why: on bench/heldout3.py (items with hard caps and steep S-curves) plans moved items to 4-7x their
        highs and promised up to 24% more than they truly delivered (one item: 16.1 leads a day promised, 8.6
        true). Measured with the same fits read at None and at the reach chosen (bench/heldout3.py seeds 1-4,
        reach 2 chosen on all four): leads captured 0.476 -> 0.508, sales 0.553 -> 0.540, forecast error
        +12.6% -> +7.7% (leads) and +11.1% -> +6.9% (sales), within 10% on 2 -> 4 of 8; seeds 5-12 (chosen on
        5 of 8): leads 0.317 -> 0.352, sales 0.393 -> 0.432, forecasts +13.8% -> +9.7% and +16.9% -> +11.5%,
        within 10% on 5 -> 8 of 16. On bench/heldout.py seeds 401-404 and bench/heldout2.py seeds 1-4 the
        check keeps None on every seed (their held-out days say the curves carry on: gains of -1 to -74 for
        reach 2), so those plans are unchanged. Cost: on the sample generator (bench/recommend.py seeds 1-5)
        it picks 2 on seeds 1 and 4, whose truth carries on further than the held-out days suggest: captured
        89.9% -> 88.2% (0.834 -> 0.804, 0.943 -> 0.891). A reach of 1 (tried) took heldout3's forecasts to
        +5.9% / +4.7% but the sample's seed 1 to 0.559 captured.
    pool_blend : float
        Line items that reach one audience may saturate together: for such an audience pool (two or
        more line items on one platform, or across a network's platforms: ``networks``) a pool curve
        is fitted on the pool's summed daily spend (each item's dollars weighed by its efficiency,
        results per dollar shrunk toward the pool's), and an item's leads are the pool's leads at the
        summed spend split by its weighed spend. Whether a pool is one is read from the history
        (:meth:`_choose_pools`): its weight is ``pool_blend`` times its posterior probability against
        the items' own curves (quasi-likelihood of the daily leads, prior log-odds ``POOL_PRIOR``),
        and the plan's leads are the pooled prediction at that weight plus the own curves at the rest
        (0 turns pooling off). Measured with the same plans on three generators (a first-look harness,
        after rec5's defaults were merged): every candidate pooled at a fixed 0.3 captured 0.812 / 0.556
        / 0.891 of the best leads gain on bench/heldout.py seeds 101-108 / bench/heldout2.py seeds 1-8 /
        the sample seeds 1-5 (sales 0.826 / 0.600 on the first two); at 1.0 by evidence 0.833 / 0.666 /
        0.886 (sales 0.863 / 0.711). The sample's advertisers have no shared saturation: the evidence
        turns most of their pools off (before rec5's merge, every candidate at 1.0 there captured 0.663).
        Not kept: a prior log-odds of 0 (heldout2 seeds 1-4 leads 0.595 against 0.651 at 2; 4 gave
        0.653; the sample 0.885 / 0.884 / 0.879 at 1 / 2 / 3).
    networks : mapping or None
        Platforms that sell one audience between them (None: ``NETWORKS``, Facebook and Instagram as
        Meta): their items of one audience are also a candidate pool, chosen over the pools per
        platform only where the history's likelihood prefers it.
    pool_shrink : float
        Prior weight (in leads) that pulls each pooled item's efficiency toward its pool's.
    relative_b : bool
        Pool ``b`` relative to each item's median daily spend (else in dollars). In dollars, a small
        line item with little evidence of its own borrows the saturation spend of the big ones and looks
        nearly linear, so the optimiser pushes it far past anything it ever spent (held-out line items
        spending $13 a day: b about $210-360 in dollars, $90-125 relative; the truth flattened at $46).
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
                 country: str | None = "US", families: Sequence[str] = FAMILIES, relative_b: bool = True,
                 extrapolation: float = 0.8, extrapolation_spread: float = 0.3,
                 extrapolation_reach: float | str | None = "auto", pool_blend: float = 1.0,
                 pool_shrink: float = 2.0, networks: Mapping[str, str] | None = None, random_state: int = 0) -> None:
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
        self.extrapolation = extrapolation
        self.extrapolation_spread = extrapolation_spread
        self.extrapolation_reach = extrapolation_reach
        self.pool_blend = pool_blend
        self.pool_shrink = pool_shrink
        self.networks = networks
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
        self.key_index_ = idx
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
        fams = [FAMILY_CODES[f] for f in self.families]
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
        self.reach_ = items["max_daily_spend"].to_numpy(float)       # each item's observed high
        self._choose_reach(panel, codes)
        # line items on one platform reaching one audience draw on the same people: their summed daily spend
        self.pool_of_ = (items["platform"].astype(str) + "|" + items["audience"].astype(str)).to_numpy()
        self._fit_pools(panel, codes)
        pool_day = panel.assign(pool=self.pool_of_[codes]).groupby(["pool", "date"])["spend"].sum()
        self.pool_max_ = pool_day.groupby(level=0).quantile(0.95).to_dict()
        return self

    def _choose_reach(self, panel: pd.DataFrame, codes: np.ndarray) -> None:
        """How far past its high a line item's curve carries, read from the history (``extrapolation_reach="auto"``).

        Each item's top :data:`REACH_HOLDOUT` of days (by spend) is held out, the leads curves are fitted on the
        rest, and the held-out days (each past most of what its item was fitted on) are predicted with every
        reach of :data:`REACH_CHOICES`: the one whose Poisson log-likelihood of the held-out leads is highest is
        kept where it beats None (each dollar past the high counts ``extrapolation`` of a dollar) by
        :data:`REACH_EVIDENCE`. Curves that flatten past the high faster than any fitted shape (a hard cap, a
        steep S) show it as held-out days with fewer leads than the fit promised. Sets ``extrapolation_reach_``
        and ``reach_evidence_`` (reach -> log-likelihood gain over None).
        """
        self.reach_evidence_: dict[str, float] = {}
        self.extrapolation_reach_ = None if self.extrapolation_reach == "auto" else self.extrapolation_reach
        if self.extrapolation_reach != "auto" or "leads" not in self.metrics:
            return
        x = panel["spend"].to_numpy(float)
        top = pd.Series(np.where(x > 0, x, np.nan)).groupby(codes).transform(
            lambda v: v.quantile(1.0 - REACH_HOLDOUT)).to_numpy()
        held = x > np.nan_to_num(top, nan=np.inf)
        if held.sum() < 20:
            return
        frame = panel.loc[~held].join(self.items_.set_index("key")[[*KIND_COLUMNS, "audience"]], on="key")
        try:
            sub = self._leads_model(extrapolation_reach=None, n_draws=20).fit(frame)
        except NotEnoughDataError:
            return
        test = panel.loc[held]
        test = test[test["key"].isin(sub.keys_)]
        if len(test) < 20:
            return
        y = test["leads"].to_numpy(float)
        disp = sub.fits_["leads"].dispersion[sub._rows(test["key"])]
        score = {}
        for c in REACH_CHOICES:
            sub.extrapolation_reach_ = c
            mu = np.maximum(sub.predict(test["spend"].to_numpy(float), "leads", keys=test["key"].tolist(),
                                        dates=test["date"]), 1e-9)
            score[c] = float(((y * np.log(mu) - mu) / disp).sum())
        self.reach_evidence_ = {str(c): round(v - score[None], 2) for c, v in score.items()}
        best = max(score, key=score.get)
        if score[best] - score[None] > REACH_EVIDENCE:
            self.extrapolation_reach_ = best

    def _leads_model(self, **overrides: Any) -> ResponseModel:
        """An unfitted leads-only model with this one's settings and no pools of its own (``networks`` then
        plays no part), for the curves fitted inside a fit: the audience pools' and the reach check's."""
        return ResponseModel(**{**self.get_params(), "metrics": ("leads",), "pool_blend": 0.0, **overrides})

    def _network(self, platforms: pd.Series) -> pd.Series:
        """The ad network each platform sells (``networks`` maps e.g. facebook and instagram to meta)."""
        nets = NETWORKS if self.networks is None else self.networks
        return platforms.astype(str).map(lambda p: nets.get(p, p))

    def _pool_candidates(self) -> dict[str, np.ndarray]:
        """Audience pools that may share saturation: per (platform, audience) and per (network, audience).

        A (network, audience) pool is a candidate only where it spans two or more platforms (a Facebook
        and an Instagram item of one Meta audience); each candidate has two or more line items.
        """
        items = self.items_
        aud = items["audience"].astype(str)
        by_platform, by_network = self.pool_of_, (self._network(items["platform"]) + "|" + aud).to_numpy()
        out: dict[str, np.ndarray] = {}
        for names in (by_platform, by_network):
            for g in np.unique(names):
                sel = names == g
                if sel.sum() > 1 and g not in out and not any((sel == m).all() for m in out.values()):
                    out[str(g)] = sel
        return out

    def _fit_pools(self, panel: pd.DataFrame, codes: np.ndarray) -> None:
        """The audience pools' own leads curves on their summed, efficiency-weighed daily spend, where the
        history says the pool's items saturate together.

        Every candidate pool (:meth:`_pool_candidates`) gets a leads curve; then, per (network, audience),
        the history's quasi-likelihood chooses between the items' own curves, pools per platform and one
        pool across the network (:meth:`_choose_pools`). Sets ``pooled_`` (the chosen pools),
        ``pool_eff_`` (per item), ``pool_model_`` (a ResponseModel with one line item per candidate),
        ``pool_keys_``, ``pool_evidence_`` and, for items of a chosen network pool, ``pool_of_``.
        """
        self.pooled_, self.pool_eff_, self.pool_model_, self.pool_keys_ = [], np.ones(len(self.keys_)), None, {}
        self.pool_rows_: dict[str, np.ndarray] = {}
        self.pool_evidence_: dict[str, dict[str, float]] = {}
        self.pool_weight_ = np.zeros(len(self.keys_))
        if self.pool_blend <= 0 or "leads" not in self.metrics:
            return
        cands = self._pool_candidates()
        if not cands:
            return
        leads, spend = self.items_["leads"].to_numpy(float), self.items_["spend"].to_numpy(float)
        effs = {}
        for g, sel in cands.items():
            rate = leads[sel].sum() / max(spend[sel].sum(), 1e-9)
            effs[g] = np.where(sel, (leads + self.pool_shrink) / (rate * spend + self.pool_shrink), 1.0)
        fitted = self._pool_model(panel, codes, cands, effs)
        if fitted is None:
            return
        self.pool_model_, self.pool_keys_ = fitted
        cands = {g: sel for g, sel in cands.items() if g in self.pool_keys_}
        chosen = self._choose_pools(panel, codes, cands, effs)
        if not chosen:
            return
        # the chosen pools' curves again, on their own: the pooled prior then learns from them alone
        fitted = self._pool_model(panel, codes, {g: cands[g] for g in chosen}, effs)
        if fitted is None:
            return
        self.pool_model_, self.pool_keys_ = fitted
        for g, weight in chosen.items():
            self.pool_eff_[cands[g]] = effs[g][cands[g]]
            self.pool_of_[cands[g]] = g
            self.pool_weight_[cands[g]] = weight
        self.pooled_ = list(chosen)
        self.pool_rows_ = {g: self.pool_model_._rows([self.pool_keys_[g]])[:1] for g in chosen}

    def _history_mean(self, x: np.ndarray, row: int, dates: pd.Series) -> np.ndarray:
        """One item's expected daily leads at spends ``x`` on ``dates`` (:meth:`predict`), from the grid points
        that carry its posterior weight: the evidence reads every day of every pooled item."""
        fit = self.fits_["leads"]
        w = fit.weights[row]
        cols = np.flatnonzero(np.abs(w) > np.abs(w).max() * 1e-12)
        xe = self.effective_spend(np.asarray(x, float), np.full(len(x), row))
        out = basis(xe[:, None], self.b_grid_[cols], self.family_grid_[cols]) @ w[cols]
        return out * season_factors(dates, fit.weekday, fit.month, fit.holiday, self.holidays_)

    def _pool_model(self, panel: pd.DataFrame, codes: np.ndarray, pools: dict[str, np.ndarray],
                    effs: dict[str, np.ndarray]) -> tuple["ResponseModel", dict[str, str]] | None:
        """A leads model with one line item per pool, on its summed efficiency-weighed daily spend: (model,
        pool -> its key), or None when the pools have too little history."""
        frames = []
        for g, sel in pools.items():
            inside = sel[codes]
            sub = panel.loc[inside, ["date", "spend", *METRICS]].copy()
            sub["spend"] = sub["spend"] * effs[g][codes[inside]]
            frames.append(sub.groupby("date")[["spend", *METRICS]].sum().reset_index().assign(pool=g))
        days = pd.concat(frames, ignore_index=True)
        first = pd.DataFrame({g: self.items_.loc[sel].iloc[0] for g, sel in pools.items()}).T
        frame = days.join(first[["age_min", "age_max", "gender", "interests", "location"]], on="pool")
        # the pool's platform is its name's first part (its network for a pool across platforms: meta)
        frame = frame.assign(platform=frame["pool"].str.split("|").str[0], ad_type="audience pool",
                             bidding_strategy="audience pool")
        try:   # the pools carry past their highs as the items do
            sm = self._leads_model(extrapolation_reach=self.extrapolation_reach_).fit(frame)
        except NotEnoughDataError:
            return None
        by_pool = dict(zip(sm.items_["platform"].astype(str) + "|" + sm.items_["audience"].astype(str), sm.keys_))
        return sm, {g: by_pool[g] for g in pools if g in by_pool}

    def _choose_pools(self, panel: pd.DataFrame, codes: np.ndarray, cands: dict[str, np.ndarray],
                      effs: dict[str, np.ndarray]) -> dict[str, float]:
        """The pools the history supports, with their weights: {pool: weight}.

        A pool's gain is the quasi-Poisson log-likelihood of its items' daily leads (each item's
        dispersion) under the pool curve less that under the items' own curves. Where line items share
        saturation, an item's leads fall when its pool-mates spend more, which only the pool explains;
        where they do not, one pool curve cannot fit items that bend at different spends. Per (network,
        audience), the pool across the network's platforms replaces the pools per platform only when its
        gain is larger by ``POOL_EVIDENCE``; each chosen pool then weighs ``pool_blend`` times its
        posterior probability, ``1 / (1 + exp(-(gain + POOL_PRIOR)))``. Measured gains
        (bench/pool_evidence.py: bench/heldout.py, bench/heldout2.py, the sample): true pools mostly -1
        to +60, items of one audience that do not share saturation mostly -23 to -2. Sets
        ``pool_evidence_`` (per group: option -> gain) and ``pool_gain_`` (per candidate pool).
        """
        y = panel["leads"].to_numpy(float)
        x = panel["spend"].to_numpy(float)
        disp = self.fits_["leads"].dispersion[codes]
        ll_own = np.zeros(len(self.keys_))
        for i in np.flatnonzero(np.any(list(cands.values()), 0)):
            at = codes == i
            mu = np.maximum(self._history_mean(x[at], i, panel.loc[at, "date"]), 1e-9)
            ll_own[i] = float(((y[at] * np.log(mu) - mu) / disp[at]).sum())
        sm, ll_pool = self.pool_model_, {}
        for g, sel in cands.items():
            inside = sel[codes]
            weighed = x[inside] * effs[g][codes[inside]]
            dates = panel.loc[inside, "date"]
            S = pd.Series(weighed).groupby(dates.to_numpy()).transform("sum").to_numpy()
            total = sm._history_mean(S, sm._rows([self.pool_keys_[g]])[0], dates)
            mu = np.maximum(total * weighed / np.maximum(S, 1e-12), 1e-9)
            ll_pool[g] = float(((y[inside] * np.log(mu) - mu) / disp[inside]).sum())
        networks = (self._network(self.items_["platform"]) + "|" + self.items_["audience"].astype(str)).to_numpy()
        by_platform = set(self.pool_of_)
        chosen: dict[str, float] = {}
        self.pool_gain_: dict[str, float] = {}
        for net in np.unique(networks):
            group = networks == net
            gain = {g: ll_pool[g] - float(ll_own[sel].sum()) for g, sel in cands.items() if (sel <= group).all()}
            if not gain:
                continue
            self.pool_gain_.update(gain)
            options = {"platform": [g for g in gain if g in by_platform], "network": [g for g in gain if g not in by_platform]}
            scores = {k: sum(gain[g] for g in v) for k, v in options.items() if v}
            # a pool across platforms only where the history prefers it to the pools per platform
            pick = "network" if scores.get("network", -np.inf) > scores.get("platform", 0.0) + POOL_EVIDENCE else "platform"
            self.pool_evidence_[str(net)] = {k: round(v, 2) for k, v in scores.items()}
            for g in options[pick]:
                # the pool's weight: its posterior probability against the items' own curves, with prior odds
                weight = self.pool_blend / (1.0 + np.exp(-(gain[g] + POOL_PRIOR)))
                if weight >= 0.05:
                    chosen[g] = float(weight)
        return chosen

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
        idx = self.key_index_.get_indexer(list(keys))  # built once in fit: asked thousands of times a plan
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
        x = self.effective_spend(x, rows)
        out = (basis(x[:, None], self.b_grid_[None, :], self.family_grid_[None, :]) * fit.weights[rows]).sum(1)
        if dates is not None:
            out = out * season_factors(dates, fit.weekday, fit.month, fit.holiday, self.holidays_)
        return out

    def predict_plan(self, spend: np.ndarray, metric: str = "leads", *, keys: Sequence[str] | None = None
                     ) -> np.ndarray:
        """Expected daily outcome of each line item when the items of ``keys`` spend ``spend`` together.

        Unlike :meth:`predict` (each item on its own curve), line items that share an audience pool
        share its saturation: one item's outcome depends on what its pool-mates spend. ``keys`` must
        be distinct (items not in it spend nothing); ``spend`` may have leading dimensions
        (``(..., len(keys))``), each row one allocation.
        """
        rows = self._rows(keys)
        return self.plan_rows(spend, metric, rows, self._pools_among(rows) if metric == "leads" else None)

    def plan_rows(self, spend: np.ndarray, metric: str, rows: np.ndarray, pools: tuple | None) -> np.ndarray:
        """:meth:`predict_plan` for items already looked up (``rows = _rows(keys)``, ``pools =
        _pools_among(rows)`` or None for no pooling): the optimiser asks thousands of times for one set of keys."""
        fit = self._check(metric)
        X = np.asarray(spend, dtype=float)
        own = self._curve(fit, X, rows)
        if pools is None or metric != "leads":
            return own
        member, inside, of, prow = pools
        eff = self.pool_eff_[rows]
        total_spend = X @ member                                                 # (..., pools)
        sm = self.pool_model_
        total = sm._curve(sm.fits_["leads"], total_spend, prow)
        weighed = X[..., inside] * eff[inside]
        S = total_spend[..., of]
        pooled = np.where(S > 0, total[..., of] * weighed / np.maximum(S, 1e-12), 0.0)
        out = own.copy()
        blend = self.pool_weight_[rows][inside]
        out[..., inside] = blend * pooled + (1 - blend) * own[..., inside]
        return out

    def _pools_among(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """The audience pools the items of ``rows`` fall in, or None when none is pooled.

        Returns ``member`` (len(rows), pools: each item's efficiency in its pool's column, 0 elsewhere,
        so ``spend @ member`` is each pool's weighed spend), ``inside`` (the items in a pool), ``of``
        (the pool of each of those) and the pool model's row of each pool.
        """
        if not self.pooled_:
            return None
        pool = self.pool_of_[rows]
        names = [g for g in self.pooled_ if (pool == g).any()]
        if not names:
            return None
        member = (pool[:, None] == np.array(names)[None, :]) * self.pool_eff_[rows][:, None]
        inside = member.any(1)
        return member, inside, member.argmax(1)[inside], np.concatenate([self.pool_rows_[g] for g in names])

    def _curve(self, fit: _MetricFit, X: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Posterior mean curves at ``X`` (last axis aligned to ``rows``), each distinct (item, spend) once:
        the optimiser asks for many allocations that differ in one item's spend."""
        X = np.asarray(X, dtype=float)
        if X.size <= 4 * len(self.b_grid_):     # small: sorting out the distinct pairs costs more than it saves
            return (basis(self.effective_spend(X, rows)[..., None], self.b_grid_, self.family_grid_)
                    * fit.weights[rows]).sum(-1)
        cols = np.broadcast_to(np.asarray(rows), X.shape).reshape(-1)
        pairs, inv = np.unique(np.stack([cols.astype(float), X.reshape(-1)]), axis=1, return_inverse=True)
        r = pairs[0].astype(int)
        xe = self.effective_spend(pairs[1], r)
        y = (basis(xe[:, None], self.b_grid_[None, :], self.family_grid_[None, :]) * fit.weights[r]).sum(-1)
        return y[np.asarray(inv).reshape(-1)].reshape(X.shape)

    def plan_draws(self, spend: np.ndarray, metric: str = "leads", *, keys: Sequence[str] | None = None
                   ) -> np.ndarray:
        """Posterior draws of each item's outcome in a plan (:meth:`predict_plan`): shape (n_items, n_draws).

        The plan's prediction for an item in an audience pool averages two models (its share of the
        pool curve at the pool's summed spend, weight ``pool_blend``, and its own curve): ``pool_blend``
        of the draws are the pool curve's (one draw for all its members, so the pool's uncertainty does
        not average out over them), the others the item's own, so the range carries where the two
        models disagree, not only each one's own uncertainty. Each item's
        draws are then rescaled so their mean is the plan's prediction (the interval is around the
        forecast the plan states). Draw ``j`` counts spend past the observed highs at the discount
        ``discount_draws()[j]``, in every call, so draws of two plans compare draw by draw.
        """
        self._check(metric)
        rows = self._rows(keys)
        x = np.asarray(spend, dtype=float)
        draws = self.predict_draws(x, metric, keys=keys)
        plan = self.predict_plan(x, metric, keys=keys)
        pools = self._pools_among(rows) if metric == "leads" else None
        if pools is not None:
            member, inside, of, prow = pools
            eff = self.pool_eff_[rows]
            total_spend = x @ member                                              # (pools,)
            sm = self.pool_model_
            total = sm.predict_draws(total_spend, "leads", keys=[sm.keys_[r] for r in prow],
                                     discount=self.discount_draws())        # (pools, n_draws)
            S = total_spend[of]
            share = np.where(S > 0, x[inside] * eff[inside] / np.maximum(S, 1e-12), 0.0)
            # the plan's prediction averages two models (pool curve and own curve): a draw is one model's
            # reading, the pool's in ``pool_blend`` of the draws, so their disagreement is in the range
            draws = draws.copy()
            draws[inside] = np.where(self.pooled_draws(rows[inside]), total[of] * share[:, None], draws[inside])
        mean = draws.mean(1)
        return draws * np.where(mean > 0, plan / np.maximum(mean, 1e-12), 1.0)[:, None]

    def discount_draws(self) -> np.ndarray:
        """The extrapolation discount of each posterior draw: evenly spread over ``extrapolation +- spread``.

        Above 1 a dollar past the observed high counts more than the fitted curve says: the curve may
        flatten less than fitted (a square-root or logarithmic response read as a saturating one), as
        often as it flattens more, so the draws are centred on the point forecast's discount."""
        n = self.n_draws
        spread = float(self.extrapolation_spread)
        lo, hi = max(self.extrapolation - spread, 0.0), self.extrapolation + spread
        # stratified (evenly spaced), in an order fixed by the seed: the curve draws are independent of it
        values = lo + (hi - lo) * (np.arange(n) + 0.5) / n
        return np.random.default_rng(self.random_state + 7919).permutation(values)

    def pooled_draws(self, rows: np.ndarray) -> np.ndarray:
        """Which posterior draws of each item (``rows``) read the pool curve: ``pool_weight_`` of them, the
        same draws for every item (stratified, in an order fixed by the seed), shape (len(rows), n_draws)."""
        n = self.n_draws
        ranks = (np.random.default_rng(self.random_state + 104729).permutation(n) + 0.5) / n
        return ranks[None, :] < self.pool_weight_[np.asarray(rows)][:, None]

    def predict_draws(self, spend: np.ndarray, metric: str = "leads", *, keys: Sequence[str] | None = None,
                      discount: np.ndarray | None = None) -> np.ndarray:
        """Posterior draws of each item's expected daily outcome: shape (n_items, n_draws).

        Draw ``j`` counts spend past an item's observed high at the discount ``discount[j]``
        (:meth:`discount_draws` by default), so the draws carry the uncertainty of the discount too.
        """
        fit = self._check(metric)
        rows = self._rows(keys)
        d = self.discount_draws() if discount is None else np.asarray(discount, dtype=float)
        x = self.effective_spend(np.asarray(spend, dtype=float)[:, None], rows[:, None], d[None, :])
        return saturation(x, fit.r_draws[rows], fit.b_draws[rows], fit.f_draws[rows])

    def effective_spend(self, spend: np.ndarray, rows: np.ndarray, discount: float | np.ndarray | None = None
                        ) -> np.ndarray:
        """Spend as the curves count it: beyond an item's observed high, ``extrapolation`` of each dollar.

        ``spend`` is aligned to ``rows`` (they broadcast); ``discount`` replaces ``extrapolation``
        (an array broadcasts too: one discount per posterior draw).
        """
        x = np.asarray(spend, dtype=float)
        d = self.extrapolation if discount is None else np.asarray(discount, dtype=float)
        if not hasattr(self, "reach_") or np.all(np.asarray(d) == 1.0):
            return x
        m = self.reach_[rows]
        c = getattr(self, "extrapolation_reach_", None)
        if c is None:
            return np.where(x > m, m + d * (x - m), x)
        # the further past the high, the less a dollar counts: d at the high, d / 2 at c highs past it
        cm = c * np.maximum(m, 1e-9)
        return np.where(x > m, m + d * cm * np.log1p(np.maximum(x - m, 0.0) / cm), x)

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

