"""Bandit benchmark (not a test): the regret table, Thompson vs a reference, OPE on Open Bandit.

For each Bernoulli problem below, runs every policy (epsilon-greedy, UCB1, Thompson
sampling) and a fixed equal A/B split for ``--horizon`` rounds, ``--runs`` times
(``core.bandits.simulate``, vectorised over runs), and prints mean cumulative pseudo-regret
at the horizon (with its standard error), the share of traffic wasted on losing arms and the
regret relative to the fixed split.

Reference Thompson sampling on the same problems: an independent textbook implementation
(``core.bandits.reference_thompson``: one run at a time, plain per-round loop, Beta(1, 1)
prior, as in Russo et al. 2018, Algorithm 2) over ``--runs`` runs, and mabwiser's
``LearningPolicy.ThompsonSampling`` over ``--mabwiser-runs`` runs of the first problem
(mabwiser predicts and updates one pull at a time, about 2 s per 10,000-round run here, so
200 runs of every problem would take about half an hour on this machine; the textbook
implementation is the reference of record and mabwiser a cross-check).

Finally the off-policy estimates on the Open Bandit Dataset sample (IPW and SNIPW, CLT and
bootstrap intervals), from the data sets folder's ``obd-sample`` when present, else the copy in ``data/obd``.

Run: ``.venv/bin/python bench/bandits.py [--horizon 10000] [--runs 200] [--mabwiser-runs 10]``
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

from core import bandits as B  # noqa: E402
from core.config import Settings  # noqa: E402

PROBLEMS = [[0.05, 0.04], [0.02, 0.03], [0.10, 0.12, 0.11], [0.30, 0.25, 0.20, 0.28]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--horizon", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--mabwiser-runs", type=int, default=10)
    ap.add_argument("--skip-ope", action="store_true")
    args = ap.parse_args()
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 20)

    print(f"== regret at {args.horizon:,} rounds, mean over {args.runs} runs ==")
    rows, ref_rows = [], []
    for i, rates in enumerate(PROBLEMS):
        t0 = time.perf_counter()
        res = B.compare_policies(rates, horizon=args.horizon, runs=args.runs, random_state=1000 * i)
        sim_s = time.perf_counter() - t0
        table = B.regret_table(res)
        table.insert(0, "problem", ",".join(f"{r:g}" for r in rates))
        rows.append(table)
        t0 = time.perf_counter()
        ref = B.reference_thompson(rates, horizon=args.horizon, runs=args.runs, random_state=7 + i)
        ref_s = time.perf_counter() - t0
        ours = res["thompson"].final_regret
        ref_rows.append({"problem": ",".join(f"{r:g}" for r in rates), "thompson (ours)": ours.mean(),
                         "ours_se": ours.std(ddof=1) / np.sqrt(len(ours)),
                         "textbook reference": ref.mean(), "ref_se": ref.std(ddof=1) / np.sqrt(len(ref)),
                         "ratio": ours.mean() / ref.mean(),
                         "z": (ours.mean() - ref.mean()) / np.hypot(ours.std(ddof=1) / np.sqrt(len(ours)),
                                                                    ref.std(ddof=1) / np.sqrt(len(ref))),
                         "sim_s (4 policies)": sim_s, "reference_s": ref_s})
    table = pd.concat(rows, ignore_index=True)
    cols = ["problem", "policy", "mean_regret", "se", "waste_share", "best_arm_share", "vs_fixed"]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    beat = table[table["policy"] != "fixed"].groupby("policy")["vs_fixed"].max()
    print("\nworst regret relative to the fixed split, per policy (must be < 1):")
    print(beat.to_string(float_format=lambda v: f"{v:.3f}"))

    print("\n== Thompson sampling vs the textbook reference (same problems) ==")
    ref = pd.DataFrame(ref_rows)
    print(ref.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    pooled = ref["thompson (ours)"].sum() / ref["textbook reference"].sum()
    print(f"pooled ratio (sum of mean regrets): {pooled:.3f}  -> within 10%: {abs(pooled - 1) <= 0.10}")
    print("(z: difference in standard errors; with 200 heavy-tailed runs each, one problem's ratio can stray "
          "past 10% by chance while |z| < 2)")

    if args.mabwiser_runs > 0:
        rates = PROBLEMS[0]
        t0 = time.perf_counter()
        mw = B.mabwiser_thompson(rates, horizon=args.horizon, runs=args.mabwiser_runs, random_state=3)
        mw_s = time.perf_counter() - t0
        ours = ref_rows[0]["thompson (ours)"]
        print(f"\nmabwiser ThompsonSampling on {rates}: mean regret {mw.mean():.2f} "
              f"(se {mw.std(ddof=1) / np.sqrt(len(mw)):.2f}, {args.mabwiser_runs} runs, {mw_s:.1f} s); "
              f"ours {ours:.2f} over {args.runs} runs")

    if not args.skip_ope:
        rnd, bts = B.obd_sample(Settings.from_mapping().datasets_dir)  # the full sample, else the shipped copy
        src = rnd.parent
        random_log, bts_log = B.read_obd(rnd), B.read_obd(bts)
        print(f"\n== off-policy evaluation on the Open Bandit sample ({src}; 95% intervals; click rate %) ==")
        for how in ("clt", "bootstrap"):
            est = B.evaluate_obd(random_log, bts_log, interval=how, n_boot=2000)
            show = est.assign(**{c: est[c] * 100 for c in ("value", "lo", "hi", "on_policy", "on_policy_lo",
                                                            "on_policy_hi")})
            print(f"-- {how} intervals")
            print(show[["target", "log", "estimator", "value", "lo", "hi", "ess", "on_policy", "on_policy_lo",
                        "on_policy_hi", "covers_on_policy"]].to_string(index=False,
                                                                       float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
