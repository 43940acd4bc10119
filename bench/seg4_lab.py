"""Model-side experiments for issue 15 (helper seg4): variants of the mixture and of the k rule on cached feature matrices.

The features (``SegmentModel``'s transform, noise fields left out) of every base are built once
and cached under /tmp/seg4cache; each variant then reads only the matrices, so a variant over
69 bases costs the model fits alone.

Run: ``.venv/bin/python bench/seg4_lab.py --variants base,vve --sets tune``. Sets: ``tune`` (the
seven tuning generators, seeds 1-2, and the session-4 held-out bases, seeds 1-3; all seen), ``other``
(factor, skewed, shop_log, hurdle, seeds 101-102) and ``heldnew`` (the session-4 generators at seeds
7-8): tuned on by helper seg4 through ``bench/seg4_sweep.py``; ``fresh`` (seed 103 of the four, seed 9
of the session-4 ones) and ``seg4`` (tests/core/_segments_synth_seg4.py, seeds 1-3): run once, at the end.
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
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

CACHE = Path("/tmp/seg4cache")
TUNE7 = ("lognormal", "process", "heavy_tail", "latent", "unequal", "channel_mix", "subspace")


def bases(which: str):
    """(name, seed, groups, make) of a set."""
    from bench.heldout_segments import GENERATORS as HELD
    from tests.core._segments_synth import GENERATORS as SYN
    out = []
    if which in ("tune", "tune7"):
        out += [(g, s, k, SYN[g]) for g in TUNE7 for s in (1, 2) for k in (4, 5, 6)]
    if which in ("tune", "held4"):
        out += [(g, s, k, HELD[g]) for g in HELD for s in (1, 2, 3) for k in (4, 5, 6)]
    if which == "other":  # never tuned on by this helper: other generators, other seeds
        from tests.core._segments_synth_hurdle import hurdle_base
        gens = {"factor": SYN["factor"], "skewed": SYN["skewed"], "shop_log": SYN["shop_log"], "hurdle": hurdle_base}
        out += [(g, s, k, f) for g, f in gens.items() for s in (101, 102) for k in (4, 5, 6)]
    if which == "heldnew":  # the session-4 held-out generators at seeds never run
        out += [(g, s, k, HELD[g]) for g in HELD for s in (7, 8) for k in (4, 5, 6)]
    if which == "fresh":  # seeds no one ran before this helper's final check
        from tests.core._segments_synth_hurdle import hurdle_base
        gens = {"factor": SYN["factor"], "skewed": SYN["skewed"], "shop_log": SYN["shop_log"], "hurdle": hurdle_base}
        out += [(g, 103, k, f) for g, f in gens.items() for k in (4, 5, 6)]
        out += [(g, 9, k, HELD[g]) for g in HELD for k in (4, 5, 6)]
    if which == "seg4":  # this helper's own held-out generators: run once, at the end
        from tests.core._segments_synth_seg4 import GENERATORS as MINE
        out += [(g, s, k, f) for g, f in MINE.items() for s in (1, 2, 3) for k in (4, 5, 6)]
    return out


def matrices(name, seed, groups, make):
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{name}-{seed}-{groups}.npz"
    if path.exists():
        z = np.load(path)
        return z["X"], z["XL"], z["truth"]
    from core.segments.features import FeatureTransform, customer_features, noise_features, usable_features
    customers, truth = make(3000, groups=groups, seed=seed)
    feats = customer_features(customers)
    cols = usable_features(feats)
    t = FeatureTransform().fit(feats[cols])
    X = t.transform(feats[cols])
    noise = noise_features(X, cols, random_state=0)
    keep = [c for c in cols if c not in noise]
    t = t.select(keep)
    X, XL = t.transform(feats[keep]), t.transform(feats[keep], impute=False)
    np.savez(path, X=X, XL=XL, truth=np.asarray(truth))
    return X, XL, np.asarray(truth)


VARIANTS = {}


def variant(fn):
    VARIANTS[fn.__name__] = fn
    return fn


@variant
def base(X, XL):
    from core.segments import selection
    curve = selection.bic_curve(X, range(2, 9))
    comps = selection.pick_components(curve)
    gm, cmap = selection.mixture_segments(X, comps, merge=True)
    return int(cmap.max()) + 1, selection.mixture_labels(gm, cmap, XL)


@variant
def vve(X, XL):
    """The same pipeline with common-axes (VVE) components instead of tied ones."""
    from core.segments import selection
    old = selection.COVARIANCE
    selection.COVARIANCE = "common-axes"
    try:
        return base(X, XL)
    finally:
        selection.COVARIANCE = old


def run(variants, which, limit=None):
    rows = []
    todo = bases(which)
    for name, seed, groups, make in todo:
        X, XL, truth = matrices(name, seed, groups, make)
        for v in variants:
            t0 = time.perf_counter()
            k, labels = VARIANTS[v](X, XL)
            rows.append({"variant": v, "gen": name, "seed": seed, "groups": groups, "k": k,
                         "right": k == groups, "ari": adjusted_rand_score(truth, labels),
                         "s": time.perf_counter() - t0})
        print(" ".join(f"{r['variant']}:{r['gen']}/{r['seed']}/{r['groups']} k={r['k']} ari={r['ari']:.3f}"
                       for r in rows[-len(variants):]), flush=True)
    return pd.DataFrame(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default="base")
    ap.add_argument("--sets", default="tune")
    ap.add_argument("--out")
    args = ap.parse_args()
    with threadpool_limits(1):
        frames = [run(args.variants.split(","), s) for s in args.sets.split(",")]
    df = pd.concat(frames)
    df["family"] = np.where(df["gen"].isin(TUNE7), "tune7", df["gen"])
    if args.out:
        df.to_csv(args.out, index=False)
    pd.set_option("display.width", 200)
    print(df.pivot_table(index="gen", columns="variant", values=["ari", "right"], aggfunc="mean").round(3))
    print(df.groupby(["variant"])[["ari", "right", "s"]].mean().round(3))
    held = df[df["gen"].isin(["latent_class", "personas", "copula"])]
    if len(held):
        print("held4:", held.groupby("variant")[["ari", "right"]].mean().round(3).to_dict())
    tun = df[df["gen"].isin(TUNE7)]
    if len(tun):
        print("tune7:", tun.groupby("variant")[["ari", "right"]].mean().round(3).to_dict())


if __name__ == "__main__":
    main()
