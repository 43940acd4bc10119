"""Sweep the k rule (BIC tolerance x merge entropy, and other rules) over cached mixture fits (helper seg4).

Each base's mixtures for 2-8 components are fitted once per covariance family and pickled under
/tmp/seg4cache (lab use only: the product never pickles); the rules are then post-processing.
Run: ``.venv/bin/python bench/seg4_sweep.py --families tied,common-axes --sets tune``
"""
from __future__ import annotations

import argparse
import itertools
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from bench.seg4_lab import CACHE, TUNE7, bases, matrices  # noqa: E402
from core.segments import selection  # noqa: E402


def fits(name, seed, groups, make, family, rs=0):
    path = CACHE / (f"fits-{family}-{name}-{seed}-{groups}.pkl" if rs == 0 else
                    f"fits-{family}-rs{rs}-{name}-{seed}-{groups}.pkl")
    if path.exists():
        return pickle.loads(path.read_bytes())
    X, XL, truth = matrices(name, seed, groups, make)
    selection.COVARIANCE = family
    out = {}
    for k in range(2, 9):
        gm, bic = selection.fit_mixture(X, k, random_state=rs)
        out[k] = (gm, bic, gm.predict_proba(X), selection.marginal_proba(gm, XL))
    path.write_bytes(pickle.dumps(out))
    return out


def demp_merge(P, threshold):
    """Hennig (2010) DEMP: merge the pair whose members are most often labelled as each other, while
    that misclassification probability is at least ``threshold``."""
    groups = [[j] for j in range(P.shape[1])]
    cols = [P[:, j] for j in range(P.shape[1])]
    while len(cols) > 1:
        M = np.column_stack(cols)
        lab = M.argmax(1)
        best, pair = -1.0, (0, 1)
        for i in range(len(cols)):
            for j in range(i + 1, len(cols)):
                wi, wj = cols[i].sum(), cols[j].sum()
                pij = float(cols[i][lab == j].sum() / max(wi, 1e-12))
                pji = float(cols[j][lab == i].sum() / max(wj, 1e-12))
                if max(pij, pji) > best:
                    best, pair = max(pij, pji), (i, j)
        if best < threshold:
            break
        i, j = pair
        cols[i], groups[i] = cols[i] + cols[j], groups[i] + groups[j]
        del cols[j], groups[j]
    out = np.empty(P.shape[1], dtype=int)
    for g, members in enumerate(sorted(groups, key=min)):
        out[members] = g
    return out


def pick(f, tol, merge, n, icl=0.0):
    rows = []
    for k, (gm, bic, P, PL) in f.items():
        cmap = demp_merge(P, -merge) if merge < 0 else selection.merge_components(P, merge)
        if icl < 0:  # a penalty -icl times BIC's
            bic = bic + (-icl - 1) * gm._n_parameters() * np.log(n)
        elif icl:
            Q = P @ np.eye(int(cmap.max()) + 1)[cmap]
            bic = bic + icl * 2 * float(-np.sum(Q * np.log(np.clip(Q, 1e-300, None))))
        rows.append({"k": k, "score": bic, "segments": int(cmap.max()) + 1, "n": n, "cmap": cmap})
    curve = pd.DataFrame(rows)
    comps = selection.pick_components(curve, tol)
    cmap = curve.set_index("k").loc[comps, "cmap"]
    PL = f[comps][3]
    onehot = np.zeros((len(cmap), int(cmap.max()) + 1))
    onehot[np.arange(len(cmap)), cmap] = 1
    return int(cmap.max()) + 1, (PL @ onehot).argmax(1)


def pick_band(f, tol, merges, n):
    """The plateau vote with every near component count voting once per merge threshold."""
    rows = []
    for k, (gm, bic, P, PL) in f.items():
        for m in merges:
            cmap = selection.merge_components(P, m)
            rows.append({"k": k, "m": m, "score": bic, "segments": int(cmap.max()) + 1, "cmap": cmap})
    curve = pd.DataFrame(rows)
    near = curve[(curve["score"] - curve["score"].min()) / n <= tol + 1e-12]
    votes = near["segments"].value_counts()
    seg = min(votes.index[votes == votes.max()])
    pickd = near[near["segments"] == seg].sort_values(["score", "m"]).iloc[0]
    cmap, PL = pickd["cmap"], f[int(pickd["k"])][3]
    onehot = np.zeros((len(cmap), int(cmap.max()) + 1))
    onehot[np.arange(len(cmap)), cmap] = 1
    return int(seg), (PL @ onehot).argmax(1)


def pick_multi(fs, tol, merge, n):
    """The plateau vote pooled over fits from several random starts."""
    rows = []
    for r, f in enumerate(fs):
        for k, (gm, bic, P, PL) in f.items():
            cmap = selection.merge_components(P, merge)
            rows.append({"k": k, "r": r, "score": bic, "segments": int(cmap.max()) + 1, "n": n, "cmap": cmap})
    curve = pd.DataFrame(rows)
    gap = (curve["score"] - curve["score"].min()) / n
    near = curve[gap <= tol + 1e-12]
    votes = near["segments"].value_counts()
    seg = min(votes.index[votes == votes.max()])
    row = near[near["segments"] == seg].sort_values("score").iloc[0]
    cmap, PL = row["cmap"], fs[int(row["r"])][int(row["k"])][3]
    onehot = np.zeros((len(cmap), int(cmap.max()) + 1))
    onehot[np.arange(len(cmap)), cmap] = 1
    return int(seg), (PL @ onehot).argmax(1)


def rule_for(fam, get):
    """(tol, merge, n) -> (segments, labels) for a family name; ``get(family, rs)`` loads cached fits.
    multiN: the vote over N random starts of tied; bandW: a vote over merge thresholds merge +- W;
    modal: components merged by the modes of the mixture, then by entropy; iclW: BIC + W x 2 x the
    merged entropy; penW: BIC's penalty times W; anything else: a covariance family with the plateau rule."""
    if fam.startswith("multi"):
        fs = [get("tied", rs) for rs in range(int(fam[5:]))]
        return lambda tol, merge, n: pick_multi(fs, tol, merge, n)
    if fam.startswith("band"):
        f, w = get("tied"), float(fam[4:])
        return lambda tol, merge, n: pick_band(f, tol, [merge - w, merge, merge + w], n)
    if fam == "modal":
        f = get("tied")
        return lambda tol, merge, n: pick_modal(f, tol, merge, n)
    icl = float(fam[3:]) if fam.startswith("icl") else -float(fam[3:]) if fam.startswith("pen") else 0.0
    f = get("tied" if icl else fam)
    return lambda tol, merge, n: pick(f, tol, merge, n, icl)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--families", default="tied")
    ap.add_argument("--sets", default="tune")
    ap.add_argument("--tols", default="0,0.05,0.1,0.2,0.3")
    ap.add_argument("--merges", default="0.1,0.15,0.2,0.25,0.3,0.4")
    args = ap.parse_args()
    rows = []
    with threadpool_limits(1):
        for s in args.sets.split(","):
            for name, seed, groups, make in bases(s):
                X, XL, truth = matrices(name, seed, groups, make)
                for fam in args.families.split(","):
                    rule = rule_for(fam, lambda family, rs=0: fits(name, seed, groups, make, family, rs))
                    for tol, merge in itertools.product(map(float, args.tols.split(",")),
                                                        map(float, args.merges.split(","))):
                        k, labels = rule(tol, merge, len(X))
                        rows.append({"fam": fam, "tol": tol, "merge": merge, "gen": name, "seed": seed,
                                     "groups": groups, "k": k, "right": k == groups,
                                     "ari": adjusted_rand_score(truth, labels)})
                print(name, seed, groups, flush=True)
    df = pd.DataFrame(rows)
    df["set"] = np.where(df["gen"].isin(TUNE7), "tune7", np.where(df["gen"].isin(
        ["latent_class", "personas", "copula"]), np.where(df["seed"] <= 3, "held4", "heldnew"), "other"))
    df.loc[df["gen"].isin(["behaviour", "mixedcov"]), "set"] = "seg4"
    df.loc[df["seed"].isin([9, 103]), "set"] = "fresh"
    df.to_csv("/tmp/seg4/sweep.csv", index=False)
    pd.set_option("display.width", 250)
    t = df.pivot_table(index=["fam", "tol", "merge"], columns="set", values=["ari", "right"], aggfunc="mean")
    t[("ari", "all")] = df.pivot_table(index=["fam", "tol", "merge"], values="ari", aggfunc="mean")["ari"]
    t[("right", "all")] = df.pivot_table(index=["fam", "tol", "merge"], values="right", aggfunc="mean")["right"]
    print(t.round(3).to_string())



def entropy_path(P):
    """Greedy Baudry merges of P's columns: [(segments, total entropy, cmap)] from K down to 1."""
    groups = [[j] for j in range(P.shape[1])]
    cols = [P[:, j] for j in range(P.shape[1])]
    ent = lambda c: float(-np.sum(c * np.log(np.clip(c, 1e-300, None))))  # noqa: E731

    def cmap_of():
        out = np.empty(P.shape[1], dtype=int)
        for g, members in enumerate(sorted(groups, key=min)):
            out[members] = g
        return out
    path = [(len(cols), sum(ent(c) for c in cols), cmap_of())]
    while len(cols) > 1:
        best, pair = -np.inf, (0, 1)
        for i in range(len(cols)):
            for j in range(i + 1, len(cols)):
                gain = ent(cols[i]) + ent(cols[j]) - ent(cols[i] + cols[j])
                if gain > best:
                    best, pair = gain, (i, j)
        i, j = pair
        cols[i], groups[i] = cols[i] + cols[j], groups[i] + groups[j]
        del cols[j], groups[j]
        path.append((len(cols), sum(ent(c) for c in cols), cmap_of()))
    return path


def elbow(path):
    g = np.array([p[0] for p in path], float)
    e = np.array([p[1] for p in path], float)
    K = int(g.max())
    if K <= 2:
        return K
    best, arg = np.inf, 2
    for c in range(2, K):
        sse = 0.0
        for mask in (g <= c, g >= c):
            A = np.column_stack([g[mask], np.ones(mask.sum())])
            coef, *_ = np.linalg.lstsq(A, e[mask], rcond=None)
            sse += float(((A @ coef - e[mask]) ** 2).sum())
        if sse < best:
            best, arg = sse, c
    return arg


def modal_map(gm, tol=0.05, iters=300):
    """Components -> modes of the mixture density: modal EM (Li, Ray & Lindsay 2007) from each component's
    mean; components whose climbs end at the same point share a segment."""
    means, covs, w = gm.means_, gm.covariances_, gm.weights_
    prec = np.linalg.inv(covs)
    k = len(w)
    logdet = np.array([np.linalg.slogdet(c)[1] for c in covs])
    ends = []
    for start in means:
        x = start.copy()
        for _ in range(iters):
            diff = x - means
            maha = np.einsum("ki,kij,kj->k", diff, prec, diff)
            lp = np.log(w) - 0.5 * logdet - 0.5 * maha
            r = np.exp(lp - lp.max())
            r /= r.sum()
            A = np.einsum("k,kij->ij", r, prec)
            b = np.einsum("k,kij,kj->i", r, prec, means)
            new = np.linalg.solve(A, b)
            if np.linalg.norm(new - x) < 1e-6:
                x = new
                break
            x = new
        ends.append(x)
    ends = np.array(ends)
    out = -np.ones(k, dtype=int)
    g = 0
    for i in range(k):
        if out[i] >= 0:
            continue
        same = np.linalg.norm(ends - ends[i], axis=1) < tol * np.sqrt(means.shape[1])
        out[same & (out < 0)] = g
        g += 1
    return out


def compose_merge(P, cmap, threshold):
    """Entropy merging (threshold > 0) of the segments cmap already forms."""
    if threshold <= 0:
        return cmap
    Q = P @ np.eye(int(cmap.max()) + 1)[cmap]
    second = selection.merge_components(Q, threshold)
    return second[cmap]


def pick_modal(f, tol, merge, n):
    rows = []
    for k, (gm, bic, P, PL) in f.items():
        cmap = compose_merge(P, modal_map(gm), merge)
        rows.append({"k": k, "score": bic, "segments": int(cmap.max()) + 1, "n": n, "cmap": cmap})
    curve = pd.DataFrame(rows)
    comps = selection.pick_components(curve, tol)
    cmap = curve.set_index("k").loc[comps, "cmap"]
    onehot = np.zeros((len(cmap), int(cmap.max()) + 1))
    onehot[np.arange(len(cmap)), cmap] = 1
    return int(cmap.max()) + 1, (f[comps][3] @ onehot).argmax(1)


if __name__ == "__main__":
    main()
