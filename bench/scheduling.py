"""Scheduling benchmark (not a test): best-times on known patterns and real posts, Prophet vs seasonal naive.

1. Known patterns: for each seed, posts are generated with a known engagement rate per
   weekday x hour (``core.sample_data``'s advertiser, and the tests' own generator); the model
   sees only the posts. Printed: how often the top 3 slots all lie in the true top 10% of the
   168 slots, beside the same for ranking raw slot means.
2. Real posts (UCI Facebook metrics; Thai live sellers without impressions): random halves;
   squared error on the held-out half of the shrunken slot rates, raw slot means and the flat
   platform rate.
3. Prophet on its Peyton Manning series: rolling origin over the last year, 28 days ahead,
   MASE of Prophet and of the weekly seasonal-naive forecast.
4. Timing of one best-times fit and one forecast fit.

Run: ``.venv/bin/python bench/scheduling.py [--seeds 20] [--skip-prophet]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import scheduling as sch  # noqa: E402
from tests.core import test_scheduling as t  # noqa: E402
from tests.core._scheduling_synth import posts_frame, synthetic_posts, true_table  # noqa: E402


def _in_top_decile(slots: pd.DataFrame, rate: pd.Series) -> bool:
    thr = np.quantile(rate.to_numpy(), 0.9)
    return all(rate.loc[(int(r.weekday), int(r.hour))] >= thr for r in slots.head(3).itertuples())


def known_patterns(seeds: int) -> None:
    from core import sample_data as sd

    grid = pd.DataFrame([(d, h) for d in range(7) for h in range(24)], columns=["weekday", "hour"])
    rows = []
    for seed in range(1000, 1000 + seeds):
        posts = posts_frame(sd.generate(seed=seed, n_line_items=2, n_comments=0, n_customers=0).posts)
        model = sch.BestTimes().fit(posts)
        for platform in sd.POST_PLATFORMS:
            rate = grid.assign(r=sd.true_engagement_rate(platform, grid["weekday"], grid["hour"], "image"))
            rate = rate.set_index(["weekday", "hour"])["r"]
            table = model.slots(platform)
            raw = table[table["posts"] > 0].sort_values("raw_rate", ascending=False)
            rows.append({"generator": f"sample_data/{platform}", "posts": int(table["posts"].sum()),
                         "model": _in_top_decile(table, rate), "raw": _in_top_decile(raw, rate)})
    rate = true_table("facebook").set_index(["weekday", "hour"])["rate"]
    for n in (500, 1000):
        for seed in range(2000, 2000 + seeds):
            model = sch.BestTimes().fit(posts_frame(synthetic_posts(n, random_state=seed)))
            table = model.slots("facebook")
            raw = table[table["posts"] > 0].sort_values("raw_rate", ascending=False)
            rows.append({"generator": f"tests/{n} posts", "posts": n,
                         "model": _in_top_decile(table, rate), "raw": _in_top_decile(raw, rate)})
    out = pd.DataFrame(rows).groupby("generator").agg(seeds=("model", "size"), posts=("posts", "mean"),
                                                      model=("model", "mean"), raw_means=("raw", "mean"))
    print("Top 3 slots all in the true top 10% (share of seeds):")
    print(out.round(2).to_string(), "\n")


def real_posts() -> None:
    for name, posts, rate in (("UCI Facebook metrics (500 posts)", t._facebook_metrics(), True),
                              ("Thai live sellers (7,050 posts, no impressions)", t._thai_sellers(), False)):
        err = t._held_out_errors(posts, 20, rate=rate)
        print(f"{name}: held-out MSE model {err[:, 0].mean():.4g}, raw slot means {err[:, 1].mean():.4g}, "
              f"flat {err[:, 2].mean():.4g}; model beats raw on {np.mean(err[:, 0] < err[:, 1]):.0%} "
              f"and flat on {np.mean(err[:, 0] < err[:, 2]):.0%} of 20 splits")
        model = sch.BestTimes().fit(posts)
        top = model.predict("facebook", top=3)
        print("  top 3:", ", ".join(f"{sch.WEEKDAYS[int(r.weekday)][:3]} {int(r.hour):02d}:00 "
                                    f"({r.expected_engagement_rate:.4g} [{r.lower:.4g}, {r.upper:.4g}], "
                                    f"{int(r.posts)} posts)" for r in top.itertuples()))
        print("  model:", model.describe("facebook"))
    print()


def prophet() -> None:
    df = pd.read_csv(t.FIX / "example_wp_log_peyton_manning.csv.gz")
    series = pd.Series(df["y"].to_numpy(float), index=pd.to_datetime(df["ds"])).asfreq("D")
    for country in ("US", None):
        start = time.perf_counter()
        bt = sch.Forecaster(horizon=28, country=country, nonnegative=False, backtest_folds=12).backtest(series)
        print(f"Peyton Manning, 12 origins x 28 days, holidays={country}: MASE {bt['mase']:.3f} "
              f"(seasonal naive {bt['naive_mase']:.3f}), MAE ratio vs seasonal naive {bt['relative_mae']:.3f} "
              f"[{time.perf_counter() - start:.1f} s]")
    print()


def timing() -> None:
    posts = posts_frame(synthetic_posts(2000, random_state=1))
    start = time.perf_counter()
    sch.BestTimes().fit(posts)
    print(f"best-times fit, 2,000 posts (platform + 3 media types): {time.perf_counter() - start:.2f} s")
    from tests.core._scheduling_synth import synthetic_campaigns

    frame = synthetic_campaigns(730)
    frame["date"] = pd.to_datetime(frame["date"])
    series = sch.campaign_series(frame, "leads")
    start = time.perf_counter()
    sch.Forecaster(horizon=28).fit(series).predict()
    print(f"Prophet fit + predict with bands, 730 days: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--skip-prophet", action="store_true")
    args = parser.parse_args()
    known_patterns(args.seeds)
    real_posts()
    if not args.skip_prophet:
        prophet()
    timing()
