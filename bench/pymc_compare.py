"""PyMC-Marketing's MMM and budget optimizer against ours, on the same held-out histories (not a test).

Runs in its own environment (never a dependency of the workbench)::

    python -m venv bench/.venv-pymc
    bench/.venv-pymc/bin/pip install pymc-marketing nutpie    # 0.19.2 and 0.16.8 here
    bench/.venv-pymc/bin/python bench/pymc_compare.py --seeds 201 202 203 204                  # platforms
    bench/.venv-pymc/bin/python bench/pymc_compare.py --seeds 201 202 203 204 --channels item  # line items
    bench/.venv-pymc/bin/python bench/pymc_compare.py --seeds 201 202 203 204 --priors spend-share
    bench/.venv-pymc/bin/python bench/pymc_compare.py --seeds 201 --goals leads --channels item --freq day
    bench/.venv-pymc/bin/python bench/pymc_compare.py --seeds 203 --goals leads --channels item --freq day
    .venv/bin/python bench/recommend.py --generator heldout --seeds 201 202 203 204            # the workbench

For each held-out advertiser (bench/heldout.py) and goal (leads, sales) it fits PyMC-Marketing's
current MMM class (``pymc_marketing.mmm.multidimensional.MMM``) on weekly totals with geometric
adstock (``l_max=3`` weeks), logistic saturation and yearly Fourier seasonality (the library's
standard model and default priors), sampled with nutpie. Then the library's optimizer
(``MultiDimensionalBudgetOptimizerWrapper.optimize_budget``, SLSQP on the posterior-mean media
contribution over the next 4 weeks) splits the budget the workbench plans (today's daily spend, x7 a
week), each channel bounded by 0 and 3x its highest weekly spend (the workbench's trust cap). Channels
are platforms (``--channels platform``, how an MMM is normally set up; each platform's money is then
split over its line items in today's mix) or line items (``--channels item``: 28 channels, slower).

Figures per plan:

* ``opt_gap``: the optimizer is at the optimum of its own model: a greedy brute force over the
  posterior-mean steady-state response (independent of the library's graph: ``beta * (1 - e^-lam x) /
  (1 + e^-lam x)`` per channel with the posterior draws; adstock is normalised, so a steady budget's
  steady effect is the saturation of the budget) finds at most ``opt_gap`` more (a share of the
  model's own gain);
* ``captured``: the allocation scored on the TRUE response, like ours: the share of the best possible
  gain over today's mix that it captures;
* ``forecast_err``: the model's predicted gain over today's mix against the true gain (the
  optimism of the plan's promise: +0.30 = promises 30% more gain than it delivers; blank where the plan
  truly loses against today's mix);
* ``forecast_total_err``: the model's forecast of the plan's whole outcome (its base plus its media
  contribution) against what the plan truly delivers, as the workbench's ``forecast_error``;
* ``ceiling``: the captured share of the best plan any model could reach through these channels (each
  channel's money split over its line items in today's mix), on the truth;
* ``media_credit``: the outcome the model credits to media at today's spend over the true outcome (all of
  which media makes in the truth: 1.0 is right; 1.8 = it credits media with 80% more than media makes, and
  a negative base makes up the difference);
  ``marginal_rank_corr``: Spearman correlation of the channels' marginal returns at today's spend, model
  against truth (1: it knows which channels to fund).

Fits are cached in ``bench/out/pymc/`` (git-ignored; ``--refit`` to redo). The workbench's own figures
on the same seeds come from ``bench/recommend.py --generator heldout --seeds 201 202 203 204``.

Why the previous version's optimizer never moved: pymc-marketing 0.19.2's legacy ``pymc_marketing.mmm.MMM``
scales the channel data inside the model graph (``channel_data / channel_scale``), but its
``_channel_scales`` still returns the scaler's maxima, and ``BudgetOptimizer`` divides the budgets by
them too: the budget was scaled twice (divided by max-spend squared), the objective was 0.002 instead
of 4.1 scaled units at an equal split (seed 201, leads), its gradient ~1e-7, and SLSQP stopped after one
iteration. With the double scaling removed the same fit's optimizer moves (60 iterations). The
multidimensional class's wrapper sets ``_channel_scales = 1`` and optimizes in original units (leads
per week), so it is used here, without patching the library.

Results on 2026-12-01 (pymc-marketing 0.19.2, pymc 5.28.5, nutpie 0.16.8; 2 chains x 500 draws after 500
tuning, target_accept 0.9, cores=1, on 2 cores shared with other benches; the workbench at main aa47f40).
Captured share of the best possible gain over today's mix, on the truth (1 = the best plan, 0 = no better
than today's mix, below 0 = worse than today's mix); "fc" is the plan's forecast of its own outcome against
what it truly delivers::

    seed goal   workbench  fc     PyMC platform  ceiling  fc     PyMC spend-share  PyMC line items  fc
    201  leads  0.68       -0.5%  0.08           0.21     +43%   0.08              0.46             +75%
    201  sales  0.72       -0.6%  -0.18          0.12     +38%   -0.18             0.22             +95%
    202  leads  0.80       -4.9%  -0.16          0.12     +106%  -0.13             0.42             +53%
    202  sales  0.69       -4.4%  -0.11          0.16     +74%   -0.11             0.25             +56%
    203  leads  0.63       +3.6%  -0.05          0.38     +36%   -0.02             -0.39            +86%
    203  sales  0.68       -3.0%  0.31           0.48     +22%   0.32              -0.21            +99%
    204  leads  0.86       +0.9%  -0.11          0.29     +80%   -0.10             -0.14            +170%
    204  sales  0.87       -0.2%  -1.20          0.40     +104%  -1.19             -1.40            +266%
    mean leads  0.75       -0.3%  -0.06          0.25     +66%   -0.04             0.09             +96%
    mean sales  0.74       -2.0%  -0.29          0.29     +59%   -0.29             -0.28            +129%

Against today's mix the PyMC-Marketing plans change the outcome by -5% (leads) and -8% (sales) on average
with platform channels, +16% and +1% with line-item channels; the workbench's plans by +53% and +51%.
(204 sales: the best plan gains only 1.8 sales a day over today's, so a loss of 2.2 reads as -1.20.)

Sampler and optimizer diagnostics (platform / line items): fit 46-94 s / 53-166 s per advertiser and goal
(spend-share priors: 17-26 s); divergences 0-63 / 0-58 of 1,000 draws; max r-hat 1.01-1.05 / 1.01-1.02;
min bulk ESS 54-176 / 84-357. SLSQP ran 57-80 / 198-255 iterations, moved 37-63% / 46-79% of the budget, and the
brute force on its own posterior found at most 6.6% more of its own gain (202 leads, platforms; <= 1.2%
elsewhere): the optimizer reaches the optimum of its model, so the losses are the model's.

Where PyMC-Marketing is worse, and why (the figures above):

* **Channel granularity.** An MMM over platforms cannot move money between the line items of a platform;
  the best any platform-level plan can do here (``ceiling``) is 0.25 (leads) and 0.29 (sales) of the best
  gain: most of the gain is in the mix inside platforms (audiences, ad types, bidding), which the workbench
  plans line item by line item. With 28 line-item channels the ceiling is 1.0, but 103 weekly points do not
  identify 28 curves (rank correlation of the marginal returns with the truth 0.28 / 0.21 on average), so it
  captures 0.09 / -0.28.
* **Budgets that follow demand.** The generator raises budgets in the high season; an additive MMM with 2
  Fourier terms reads the season as the effect of spend: at today's spend it credits media with 1.3-5.8x
  (platforms) and 1.6-3.1x (line items) the outcome media truly makes, balanced by a negative base
  (e.g. -332 leads a week on 201). The channels whose spend tracks the season most look best, so the plans
  fund them and the forecast is optimistic on every plan (+22% to +266%); the workbench's plans are within
  -5% to +4% of what they deliver.
* **The additive form, not the weekly aggregation.** The truth is multiplicative (outcome = media response
  x season, with day-of-week factors); an additive season cannot scale the media effect with demand. Daily
  totals do not rescue it: fitted day by day (``--freq day``, 730 points, l_max 14 days, 296-459 s) the
  line-item MMM captures 0.47 on 201 leads (weekly: 0.46) and -0.74 on 203 leads (weekly: -0.39), credits
  media with 2.3x / 1.9x its true outcome (weekly: 1.9x / 1.7x) and forecasts its plan +108% / +171%
  (weekly: +75% / +86%). More points of the same confounded history do not separate spend from season.
* **One saturation shape** (reasoning, not measured apart). Logistic saturation for every channel; the
  truth mixes exponential, S-shaped Hill, logarithmic (never saturating) and square-root pools.
* **Shared audiences** (reasoning, not measured apart). Line items that buy one audience on one platform
  draw on one pool; at line-item level the MMM treats them as independent channels, so it believes moving
  money between them creates reach it does not. (At platform level the pools nest inside platforms, so this
  costs nothing there.)
* **Priors.** The library's example-notebook priors (saturation beta ~ HalfNormal(channels x spend share))
  change almost nothing (-0.04 / -0.29 against -0.06 / -0.29): the failure is in the data's confounding and
  the channel level, not in the prior on effect sizes.

Where PyMC-Marketing is better: it is a full Bayesian model with posterior intervals on every channel
parameter, adstock carry-over estimated per channel, calibration to lift tests (``add_lift_test_measurements``)
that would break the season-spend confounding if a client ran experiments, time-varying intercept and media
effects, and custom constraints and risk-aware utilities (tail distance, value at risk, Sharpe ratio) in the optimizer.
The workbench has no lift-test calibration. It is also much slower: 17-166 s of sampling per advertiser
and goal on weekly totals (296-459 s on daily ones), with divergences, against at most 13 s for the
workbench's fit and plan.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import heldout  # noqa: E402

warnings.filterwarnings("ignore")
OUT = HERE / "out" / "pymc"
# per period length: (days in a period, adstock l_max in periods, periods the optimizer plans)
FREQ = {"week": (7, 3, 4), "day": (1, 14, 28)}


def weekly(campaigns: pd.DataFrame, goal: str, channel: dict[str, str], freq: str = "week"
           ) -> tuple[pd.DataFrame, list[str]]:
    """Weekly (or daily) spend per channel (one column each) and the goal's total, whole weeks only."""
    from core.recommendations.items import _with_keys

    df = _with_keys(campaigns)
    df["week"] = df["date"].dt.to_period("W-SUN").dt.start_time
    df["channel"] = df["key"].map(channel)
    cols = sorted(set(channel.values()))
    out = df.pivot_table(index="week", columns="channel", values="spend", aggfunc="sum").reindex(columns=cols)
    out = out.fillna(0.0)
    out["y"] = df.groupby("week")[goal].sum()
    full = df.groupby("week")["date"].nunique() == 7
    out = out[full.reindex(out.index).fillna(False).to_numpy()].reset_index().rename(columns={"week": "date"})
    out.columns.name = None
    if freq == "day":                               # the same whole weeks, day by day
        days = df[df["week"].isin(out["date"])]
        out = days.pivot_table(index="date", columns="channel", values="spend", aggfunc="sum").reindex(columns=cols)
        out = out.fillna(0.0)
        out["y"] = days.groupby("date")[goal].sum()
        out = out.reset_index()
        out.columns.name = None
    return out, cols


def fit(data: pd.DataFrame, cols: list[str], path: Path, *, seed: int, draws: int, tune: int, chains: int,
        priors: str, freq: str, refit: bool):
    """The fitted MMM (cached at ``path``) and its fit record: seconds and sampler diagnostics.

    ``priors``: "default" (the library's), or "spend-share": each channel's saturation beta
    ``HalfNormal(sigma = n_channels * its share of spend)``, as the library's example notebook sets them.
    """
    import arviz as az
    from pymc_extras.prior import Prior
    from pymc_marketing.mmm import GeometricAdstock, LogisticSaturation
    from pymc_marketing.mmm.multidimensional import MMM

    meta = path.with_suffix(".json")
    if path.exists() and meta.exists() and not refit:
        return MMM.load(str(path)), json.loads(meta.read_text())
    saturation = LogisticSaturation()
    if priors == "spend-share":
        share = data[cols].sum().to_numpy(float) / float(data[cols].to_numpy().sum())
        saturation = LogisticSaturation(priors={"lam": Prior("Gamma", alpha=3, beta=1, dims="channel"),
                                                "beta": Prior("HalfNormal", sigma=len(cols) * share, dims="channel")})
    mmm = MMM(date_column="date", channel_columns=cols, target_column="y",
              adstock=GeometricAdstock(l_max=FREQ[freq][1]), saturation=saturation, yearly_seasonality=2)
    t0 = time.perf_counter()
    mmm.fit(data[["date", *cols]], data["y"], draws=draws, tune=tune, chains=chains, cores=1, random_seed=seed,
            progressbar=False, target_accept=0.9, nuts_sampler="nutpie")
    seconds = time.perf_counter() - t0
    names = ["intercept_contribution", "adstock_alpha", "saturation_lam", "saturation_beta", "gamma_fourier",
             "y_sigma"]
    post = mmm.idata.posterior
    summ = az.summary(mmm.idata, var_names=[v for v in names if v in post], kind="diagnostics")
    rec = {"fit_seconds": round(seconds, 1), "draws": draws, "tune": tune, "chains": chains,
           "divergences": int(mmm.idata.sample_stats["diverging"].sum()),
           "rhat_max": float(summ["r_hat"].max()), "ess_bulk_min": float(summ["ess_bulk"].min())}
    path.parent.mkdir(parents=True, exist_ok=True)
    mmm.save(str(path))
    meta.write_text(json.dumps(rec))
    return mmm, rec


def steady_response(mmm, cols: list[str]):
    """Posterior-mean steady weekly media contribution (original units) at weekly spends ``x``, per channel.

    Written from the model's equations, not its graph, so it checks the library's optimizer independently.
    """
    post = mmm.idata.posterior
    lam = post["saturation_lam"].stack(s=("chain", "draw")).transpose("channel", "s").sel(channel=cols).to_numpy()
    beta = post["saturation_beta"].stack(s=("chain", "draw")).transpose("channel", "s").sel(channel=cols).to_numpy()
    cdata = mmm.idata.constant_data
    scale = cdata["channel_scale"].sel(channel=cols).to_numpy().reshape(-1, 1)
    target = float(np.asarray(cdata["target_scale"]).reshape(-1)[0])

    def response(x: np.ndarray) -> np.ndarray:
        u = lam * (np.asarray(x, float).reshape(-1, 1) / scale)
        return target * (beta * (1 - np.exp(-u)) / (1 + np.exp(-u))).mean(1)

    return response


def greedy(response, budget: float, upper: np.ndarray, steps: int = 2000) -> np.ndarray:
    """Brute force on a separable concave response: the budget in small increments, each to the best channel."""
    x = np.zeros(len(upper))
    d = budget / steps
    for _ in range(steps):
        gain = np.array([response(x + np.eye(len(x))[i] * d).sum() if x[i] + d <= upper[i] + 1e-9 else -np.inf
                         for i in range(len(x))])
        x[int(np.argmax(gain))] += d
    return x


class ChannelTruth:
    """The true response seen through channels: each channel's spend split over its line items in fixed shares.

    Gives ``heldout.best_allocation`` the best any allocation over these channels can do (the ceiling of an
    MMM at this granularity, whatever its curves).
    """

    def __init__(self, truth: heldout.Truth, index: np.ndarray, weights: np.ndarray, n: int):
        self.truth, self.index, self.weights, self.keys = truth, index, weights, list(range(n))

    def daily(self, p: np.ndarray, metric: str) -> np.ndarray:
        return self.truth.daily(np.asarray(p, float)[..., self.index] * self.weights, metric)


def allocate(mmm, data: pd.DataFrame, cols: list[str], budget: float, upper: np.ndarray, x0: np.ndarray,
             freq: str) -> tuple[np.ndarray, dict]:
    """PyMC-Marketing's own budget optimizer: spend per channel and period for the next few weeks."""
    import xarray as xr
    from pymc_marketing.mmm.multidimensional import MultiDimensionalBudgetOptimizerWrapper

    last = pd.Timestamp(data["date"].max())
    days, _, periods = FREQ[freq]
    start, end = last + pd.Timedelta(days=days), last + pd.Timedelta(days=days * periods)
    wrapper = MultiDimensionalBudgetOptimizerWrapper(model=mmm, start_date=str(start.date()), end_date=str(end.date()))
    bounds = xr.DataArray(np.stack([np.zeros(len(cols)), upper], 1), dims=("channel", "bound"),
                          coords={"channel": cols, "bound": ["lower", "upper"]})
    alloc, res = wrapper.optimize_budget(budget=budget, budget_bounds=bounds, x0=x0)
    x = np.array([float(alloc.sel(channel=c)) for c in cols])
    return x, {"num_periods": int(wrapper.num_periods), "iterations": int(res.nit), "success": bool(res.success),
               "moved": float(np.abs(x - x0).sum() / 2 / budget)}


def run(seed: int, goal: str, *, channels: str, draws: int, tune: int, chains: int, priors: str, freq: str,
        refit: bool) -> dict:
    from core.recommendations import line_items

    campaigns, truth = heldout.make(seed)
    items = line_items(campaigns).set_index("key").loc[truth.keys]
    if channels == "platform":
        channel = {k: str(items.loc[k, "platform"]) for k in truth.keys}
    else:
        channel = {k: f"c{i:02d}" for i, k in enumerate(truth.keys)}
    data, cols = weekly(campaigns, goal, channel, freq)
    per = FREQ[freq][0]                             # days in a period
    tag = ("" if priors == "default" else f"-{priors}") + ("" if freq == "week" else f"-{freq}")
    mmm, rec = fit(data, cols, OUT / f"{seed}-{goal}-{channels}{tag}.nc", seed=seed, draws=draws, tune=tune,
                   chains=chains, priors=priors, freq=freq, refit=refit)
    # the same budget as the workbench: today's daily spend (the last 90 days), x7 a week
    budget_day = float(items["current_daily_spend"].sum())
    budget = per * budget_day
    upper = np.array([3 * float(data[c].max()) for c in cols])
    today = np.array([per * float(sum(items.loc[k, "current_daily_spend"] for k in truth.keys if channel[k] == c))
                      for c in cols])
    x0 = np.minimum(np.maximum(today, 1.0), upper)
    x0 *= budget / x0.sum()
    t0 = time.perf_counter()
    x_week, opt = allocate(mmm, data, cols, budget, upper, x0, freq)
    opt["optimize_seconds"] = round(time.perf_counter() - t0, 1)
    # is it at its own model's optimum? (greedy brute force on the posterior-mean steady response)
    response = steady_response(mmm, cols)
    x_brute = greedy(response, budget, upper)
    own_gain = response(x_week).sum() - response(today).sum()
    brute_gain = response(x_brute).sum() - response(today).sum()
    opt["opt_gap"] = float((brute_gain - own_gain) / max(abs(brute_gain), 1e-9))
    # each channel's money over its line items in today's mix (the whole history's where today has none)
    share = items["recent_share"].to_numpy(float)
    index = np.array([cols.index(channel[k]) for k in truth.keys])
    weights = np.zeros(len(truth.keys))
    for j in range(len(cols)):
        sel = index == j
        w = share[sel] if share[sel].sum() > 0 else items["spend"].to_numpy(float)[sel]
        weights[sel] = w / max(w.sum(), 1e-12)
    seen = ChannelTruth(truth, index, weights, len(cols))
    x = seen.weights * (x_week / per)[index]
    x_base = share / share.sum() * budget_day
    p_best = heldout.best_allocation(seen, goal, budget_day, start=[x_week / per, today / per])
    got, base = float(truth.daily(x, goal).sum()), float(truth.daily(x_base, goal).sum())
    x_best = heldout.best_allocation(truth, goal, budget_day, start=[x, x_base])
    best = max(float(truth.daily(x_best, goal).sum()), got)
    promised = own_gain / per                       # the model's predicted gain per day over today's mix
    # the model's forecast of the plan's whole outcome per day (base + media; the Fourier terms average to 0)
    target = float(np.asarray(mmm.idata.constant_data["target_scale"]).reshape(-1)[0])
    forecast = (target * float(mmm.idata.posterior["intercept_contribution"].mean()) + response(x_week).sum()) / per
    # where the model goes wrong: how much of the outcome it credits to media (all of it is, in the truth), and
    # whether it ranks the channels' marginal returns at today's spend as the truth does
    true_by = np.bincount(index, truth.daily(x_base, goal), minlength=len(cols))
    true_up = np.bincount(index, truth.daily(x_base * 1.1, goal), minlength=len(cols))
    model_marg = (response(today * 1.1) - response(today)) / np.maximum(0.1 * today, 1e-9)
    true_marg = per * (true_up - true_by) / np.maximum(0.1 * today, 1e-9)
    from scipy.stats import spearmanr

    diag = {"media_credit": float(response(today).sum() / (per * true_by.sum())),
            "marginal_rank_corr": float(spearmanr(model_marg, true_marg)[0])}
    return {"seed": seed, "goal": goal, "channels": channels, "priors": priors, "freq": freq,
            "budget_day": round(budget_day, 1),
            "baseline": base, "plan": got, "best": best,
            "captured": (got - base) / (best - base) if best > base else float("nan"),
            "ceiling": (float(seen.daily(p_best, goal).sum()) - base) / (best - base) if best > base else float("nan"),
            "forecast_err": promised / (got - base) - 1 if got > base else float("nan"),
            "forecast_total_err": forecast / got - 1,
            **diag, **opt, **rec}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[201, 202, 203, 204])
    ap.add_argument("--goals", nargs="+", default=["leads", "conversions"])
    ap.add_argument("--channels", choices=("platform", "item"), default="platform")
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--tune", type=int, default=500)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--priors", choices=("default", "spend-share"), default="default")
    ap.add_argument("--freq", choices=tuple(FREQ), default="week", help="fit on weekly or daily totals")
    ap.add_argument("--refit", action="store_true", help="fit again even where a cached fit exists")
    args = ap.parse_args(argv)
    cols = ["seed", "goal", "channels", "priors", "freq", "captured", "ceiling", "forecast_err", "forecast_total_err",
            "media_credit", "marginal_rank_corr", "opt_gap", "iterations", "moved", "fit_seconds", "divergences",
            "rhat_max", "ess_bulk_min"]
    rows = []
    for s in args.seeds:
        for g in args.goals:
            rows.append(run(s, g, channels=args.channels, draws=args.draws, tune=args.tune, chains=args.chains,
                            priors=args.priors, freq=args.freq,
                            refit=args.refit))
            print(pd.DataFrame(rows[-1:])[cols].round(3).to_string(index=False, header=len(rows) == 1), flush=True)
    df = pd.DataFrame(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    name = f"results-{args.channels}-{args.priors}-{args.freq}-{'-'.join(map(str, args.seeds))}.csv"
    df.to_csv(OUT / name, index=False)
    for g, part in df.groupby("goal", sort=False):
        print(f"PyMC-Marketing {g} ({args.channels}, {args.priors} priors): "
              f"captured share of the best gain {part['captured'].mean():.2f} "
              f"(worst {part['captured'].min():.2f}); forecast of the gain {part['forecast_err'].mean():+.0%} "
              f"on average; fit {part['fit_seconds'].mean():.0f} s per advertiser")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
