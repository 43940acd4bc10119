"""k-rule experiment (issue 15): BIC+merge vs bootstrap-mode and bootstrap-stability rules.

Per case it caches: full-data mixtures for c = 2..8 components (merged labels, merged k,
BIC) and B bootstrap refits (BIC, merged k, merged labels of a common evaluation sample),
then scores the rules offline. Run on the tuning bases only:
``.venv/bin/python bench/segments_k.py --seeds 1,2,3,4 --generators lognormal,process --out /tmp/k.pkl``
(``--frac 0.7``: subsamples of 70% without replacement instead of bootstrap resamples), then
``.venv/bin/python bench/segments_k.py --score /tmp/k.pkl``.

Rules scored: BIC+merge on all customers (the product's); (a) the most common BIC+merge
answer over B refits; bagged BIC (summed over refits); (b) the most stable k (mean ARI
between refits) among k whose BIC is within ``tol`` per customer of the lowest; (c) among
those, the k the refits vote for most; and votes with the all-customer answer weighted.
Result on the 24 tuning cases (issue 15): none beat BIC+merge's right k (13/24) by more than
one case, and every one that moved lowered ARI (see the report in the commit message).
"""
from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import itertools  # noqa: E402
from collections import Counter  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from core.segments import selection  # noqa: E402
from core.segments.features import FeatureTransform, customer_features, usable_features  # noqa: E402
from tests.core._segments_synth import GENERATORS  # noqa: E402

KS = range(2, 9)


def case(customers, truth, B: int, size: int, seed: int = 0, frac: float = 0.0) -> dict:
    f = customer_features(customers)
    cols = usable_features(f)
    tr = FeatureTransform().fit(f[cols])
    X, XL = tr.transform(f[cols]), tr.transform(f[cols], impute=False)
    full = {}
    for c in KS:
        gm = selection.mixture(c, random_state=0).fit(X)
        cmap = selection.merge_components(gm.predict_proba(X))
        lab = selection.mixture_labels(gm, cmap, XL)
        full[c] = {"bic": float(gm.bic(X)), "k": int(cmap.max()) + 1, "ari": adjusted_rand_score(truth, lab)}
    rng = np.random.default_rng(seed)
    ev = selection.sample_index(len(X), 2000, rng)
    boots = []
    for b in range(B):
        idx = (rng.choice(len(X), size=int(frac * len(X)), replace=False) if frac
               else rng.choice(len(X), size=min(len(X), size), replace=True))
        Xb = X[idx]
        row = {}
        for c in KS:
            gm = selection.mixture(c, random_state=b + 1, restarts=1).fit(Xb)
            cmap = selection.merge_components(gm.predict_proba(Xb))
            row[c] = {"bic": float(gm.bic(Xb)), "k": int(cmap.max()) + 1,
                      "lab": selection.mixture_labels(gm, cmap, X[ev])}
        boots.append(row)
    return {"full": full, "boots": boots}


def _argmin(row: dict) -> int:
    return min(KS, key=lambda c: row[c]["bic"])


def rule_bic(r: dict, **_) -> int:
    return _argmin(r["full"])


def rule_mode(r: dict, B: int = 10, **_) -> int:
    """(a) The segment count most refits' BIC+merge gives (ties: the all-customer answer, else the
    smaller); its components: the ones most of those refits used."""
    boots = r["boots"][:B]
    picks = [(c, b[c]["k"]) for b in boots for c in [_argmin(b)]]
    cnt = Counter(k for _, k in picks)
    top = max(cnt.values())
    cf = rule_bic(r)
    tied = [k for k, v in cnt.items() if v == top]
    kmode = r["full"][cf]["k"] if r["full"][cf]["k"] in tied else min(tied)
    if r["full"][cf]["k"] == kmode:
        return cf
    return Counter(c for c, k in picks if k == kmode).most_common(1)[0][0]


def rule_bagged(r: dict, B: int = 10, **_) -> int:
    return min(KS, key=lambda c: r["full"][c]["bic"] + sum(b[c]["bic"] for b in r["boots"][:B]))


def _stability(r: dict, c: int, B: int) -> float:
    labs = [b[c]["lab"] for b in r["boots"][:B]]
    return float(np.mean([adjusted_rand_score(a, b) for a, b in itertools.combinations(labs, 2)]))


def _within(r: dict, tol: float) -> list[int]:
    bics = {c: r["full"][c]["bic"] for c in KS}
    lo = min(bics.values())
    return [c for c in KS if bics[c] - lo <= tol * r["n"]]


def rule_stable(r: dict, tol: float = 0.01, B: int = 10, **_) -> int:
    """(b) The most stable component count among those within ``tol`` BIC per customer."""
    return max(_within(r, tol), key=lambda c: (round(_stability(r, c, B), 3), -r["full"][c]["bic"]))


def rule_combo(r: dict, tol: float = 0.01, B: int = 10, **_) -> int:
    """(c) Among those within ``tol``, the one whose segment count the refits vote for most."""
    cnt = Counter(b[_argmin(b)]["k"] for b in r["boots"][:B])
    return max(_within(r, tol), key=lambda c: (cnt.get(r["full"][c]["k"], 0), -r["full"][c]["bic"]))


def rule_vote(r: dict, B: int = 10, weight: int = 3, **_) -> int:
    """The refits' votes plus ``weight`` votes for the all-customer answer."""
    cnt = Counter(b[_argmin(b)]["k"] for b in r["boots"][:B])
    cf = rule_bic(r)
    cnt[r["full"][cf]["k"]] += weight
    kbest = max(cnt, key=lambda k: (cnt[k], k == r["full"][cf]["k"]))
    ok = [c for c in KS if r["full"][c]["k"] == kbest]
    return min(ok, key=lambda c: r["full"][c]["bic"]) if ok else cf


def score(paths: list[str]) -> None:
    cases = [r for p in paths for r in pickle.load(open(p, "rb"))]
    variants = [("BIC+merge (product)", rule_bic, {})]
    variants += [(f"(a) mode B={B}", rule_mode, {"B": B}) for B in (5, 10)]
    variants += [(f"bagged BIC B={B}", rule_bagged, {"B": B}) for B in (5, 10)]
    variants += [(f"(b) stable tol={t}", rule_stable, {"tol": t}) for t in (0.005, 0.01, 0.02, 0.05, 1.0)]
    variants += [(f"(c) combo tol={t}", rule_combo, {"tol": t}) for t in (0.01, 0.02, 0.05, 0.1)]
    variants += [(f"vote weight={w}", rule_vote, {"weight": w}) for w in (1, 2, 3)]
    for label, rule, kw in variants:
        ari, right = [], []
        for r in cases:
            c = rule(r, **kw)
            ari.append(r["full"][c]["ari"])
            right.append(r["full"][c]["k"] == r["groups"])
        print(f"{label:28s} ARI {np.mean(ari):.3f}  right k {sum(right)}/{len(right)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3,4")
    ap.add_argument("--generators", default="lognormal,process")
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--B", type=int, default=10)
    ap.add_argument("--out", help="write the cached refits here")
    ap.add_argument("--score", nargs="+", help="score the k rules on these cached files instead")
    ap.add_argument("--frac", type=float, default=0.0, help="subsample this share without replacement (0: bootstrap)")
    args = ap.parse_args()
    if args.score:
        return score(args.score)
    out = []
    with threadpool_limits(limits=1):
        for name in args.generators.split(","):
            for seed in map(int, args.seeds.split(",")):
                for groups in (4, 5, 6):
                    t0 = time.perf_counter()
                    customers, truth = GENERATORS[name](args.n, groups=groups, seed=seed)
                    r = case(customers, truth, args.B, 5000, frac=args.frac)
                    r.update(generator=name, seed=seed, groups=groups, n=len(customers))
                    out.append(r)
                    print(name, seed, groups, f"{time.perf_counter() - t0:.1f}s", flush=True)
                    with open(args.out, "wb") as fh:
                        pickle.dump(out, fh)


if __name__ == "__main__":
    main()
