"""Per-field marginal treatments for the segment mixture (issue 15, helper "seg3"), compared across generators.

Run: ``.venv/bin/python bench/segments_marginals.py --variants none,ties --generators copula,skewed --seeds 1``
Each variant sets module options of :mod:`core.segments.features` (``name=value`` pairs joined by
``+``, e.g. ``RANK_RULE=ties+RANK_TIES=0.2``; a bare word is ``RANK_RULE=word``), fits
``SegmentModel(random_state=0)`` on 3,000 customers with 4, 5 and 6 groups and prints the
adjusted Rand index and whether k was right, per generator and overall.
Generators: those of ``tests/core/_segments_synth.py`` and of ``bench/heldout_segments.py``.
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
