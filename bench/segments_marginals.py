"""Per-field marginal treatments for the segment mixture (issue 15, helper "seg3"), compared across generators.

Run: ``.venv/bin/python bench/segments_marginals.py --variants none,ties --generators copula,skewed --seeds 1``
Each variant sets module options of :mod:`core.segments.features` (``name=value`` pairs joined by
``+``, e.g. ``RANK_RULE=ties+RANK_TIES=0.2``; a bare word is ``RANK_RULE=word``), fits
``SegmentModel(random_state=0)`` on 3,000 customers with 4, 5 and 6 groups and prints the
adjusted Rand index and whether k was right, per generator and overall.
Generators: those of ``tests/core/_segments_synth.py``, ``bench/heldout_segments.py`` and
``tests/core/_segments_synth_seg3.py`` (zinb_factor, ordinal_t: written before the tuning, never tuned on).

Measured (2-core shared machine, stability off, 4/5/6 groups; "none" is log + Yeo-Johnson for every
field, "few" normal scores for whole-number fields with at most 20 values, the default):

==========================================================  ==============  ==============
bases                                                        none            few
==========================================================  ==============  ==============
tuned on: 13 generators, seeds 1-3 (117; merge 0.2)          0.713 / 62%     0.723 / 68%
session-4 held-out latent_class/personas/copula, seeds 1-3   0.701 / 56%     0.733 / 70%
  (27, seen; merge 0.21 as on main after seg4)
not tuned on: 10 generators of _segments_synth, seed 101     0.695 / 50%     0.691 / 50%
not tuned on: zinb_factor + ordinal_t, seeds 1-3 (18;         0.484 / 33%     0.425 / 39%
  merge 0.21)
new seeds 4-5: those five generators (30; merge 0.2)         0.477 / 33%     0.476 / 30%
tuned on, after seg4's merge 0.21: 10 generators, seed 1 (30)  0.726 / 67%     0.730 / 67%
==========================================================  ==============  ==============

Tried and not kept (seed 1 of the 13 unless said): every field normal scores 0.625 / 44%; fields whose
commonest value holds >= 15% 0.715 / 59%; at most 10 / 30 / 60 values 0.726 / 62%, 0.732 / 64%
(seeds 2-3), 0.718 / 54%; 90th percentile <= 10 / 20 0.738 / 69%, 0.721 / 59%; spend per order and
orders per year modelled in place of the totals 0.741 / 67%, with clicks per open 0.721 / 51%;
re-mapping normal scores onto the fitted mixture's marginals (a Gaussian-mixture-copula step, 2
rounds) 0.724 / 67% from "few", 0.713 / 46% from every field; with "few", k tolerance 0.1 / 0.3
0.727 / 64%, 0.722 / 69%, merge 0.25 0.740 / 64%. "few" alone: 0.731 / 72%.
"""

from __future__ import annotations

import argparse
import sys
import time
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def generators() -> dict:
    import heldout_segments
    from tests.core._segments_synth import GENERATORS
    out = dict(GENERATORS)
    try:
        from tests.core import _segments_synth_seg3
        out.update(_segments_synth_seg3.GENERATORS)
    except ImportError:
        pass
    out.update(heldout_segments.GENERATORS)
    return out


def apply_variant(variant: str) -> None:
    from core.segments import features, selection
    for part in variant.split("+"):
        if not part or part == "base":
            continue
        key, _, value = part.partition("=")
        if not value:
            key, value = "RANK_RULE", key
        mod = features if hasattr(features, key) else selection
        old = getattr(mod, key)
        if isinstance(old, tuple):  # RATIOS=spend_per_order:clicks_per_open
            setattr(mod, key, tuple(v for v in value.split(":") if v))
        else:
            setattr(mod, key, value if isinstance(old, str) else type(old)(value))


def one(job: tuple) -> dict:
    variant, name, seed, groups, n = job
    from sklearn.metrics import adjusted_rand_score
    from threadpoolctl import threadpool_limits

    apply_variant(variant)
    from core.segments import SegmentModel
    c, truth = generators()[name](n, groups=groups, seed=seed)
    t0 = time.perf_counter()
    with threadpool_limits(1):
        m = SegmentModel(random_state=0, stability_repeats=0).fit(c)
    return {"variant": variant, "generator": name, "seed": seed, "groups": groups, "k": m.k_,
            "right_k": m.k_ == groups, "ari": adjusted_rand_score(truth, m.labels_),
            "seconds": time.perf_counter() - t0}


def main() -> None:
    import pandas as pd
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default="none")
    ap.add_argument("--generators", default="copula,latent_class,personas,skewed,shop_log")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out")
    args = ap.parse_args()
    jobs = [(v, g, int(s), k, args.n) for v in args.variants.split(",") for g in args.generators.split(",")
            for s in args.seeds.split(",") for k in (4, 5, 6)]
    with Pool(args.jobs, maxtasksperchild=1) as pool:  # fresh module options per job
        rows = pool.map(one, jobs, chunksize=1)
    df = pd.DataFrame(rows)
    if args.out:
        df.to_csv(args.out, index=False)
    pd.set_option("display.width", 200)
    ari = df.pivot_table(index="generator", columns="variant", values="ari", aggfunc="mean")
    rk = df.pivot_table(index="generator", columns="variant", values="right_k", aggfunc="mean")
    print("ARI\n", ari.round(3).to_string(), "\nright k\n", rk.round(2).to_string())
    print("overall ARI / right k / seconds")
    print(df.groupby("variant")[["ari", "right_k", "seconds"]].mean().round(3).to_string())


if __name__ == "__main__":
    main()
