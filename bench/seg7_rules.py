"""seg7: compare selection rules on the results of seg7_explore.py (no fitting here)."""
from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core.segments import selection  # noqa: E402

import os
RES = Path(os.environ.get("RES", "/tmp/seg7/res"))


def load(seeds):
    for p in sorted(RES.glob("*.pkl")):
        r = pickle.loads(p.read_bytes())
        if r["seed"] in seeds:
            yield r


def labels(row, merge, thr=None):
    if not merge:
        return row["PL"].argmax(1), row["k"]
    cmap = selection.merge_components(row["P"].astype(float), thr)
    onehot = np.zeros((row["k"], cmap.max() + 1)); onehot[np.arange(row["k"]), cmap] = 1
    return (row["PL"] @ onehot).argmax(1), int(cmap.max()) + 1


def bic_vote(rows, tol=None, thr=None):
    curve = pd.DataFrame([{"k": r["k"], "score": r["bic"], "n": r["n"],
                           "segments": int(selection.merge_components(r["P"].astype(float), thr).max()) + 1} for r in rows])
    k = selection.pick_components(curve, tol)
    return next(r for r in rows if r["k"] == k)


def cv_mean(r):
    return float(np.mean(r["cv"]))


def cv_best_family(res, fams):
    fams = [f for f in fams if fam_rows(res, f)]
    return max(fams, key=lambda f: max(cv_mean(r) for r in res["rows"] if r["fam"] == f))


def one_se(rows, mult=1.0):
    m = np.array([cv_mean(r) for r in rows])
    se = np.array([np.std(r["cv"], ddof=1) / np.sqrt(len(r["cv"])) for r in rows])
    b = m.argmax()
    ok = np.flatnonzero(m >= m[b] - mult * se[b])
    return rows[ok.min()]


def cv_vote(rows, tol):
    curve = pd.DataFrame([{"k": r["k"], "score": -cv_mean(r), "n": 1,
                           "segments": int(selection.merge_components(r["P"].astype(float)).max()) + 1} for r in rows])
    k = selection.pick_components(curve, tol)
    return next(r for r in rows if r["k"] == k)


def rules():
    R = {}
    R["base tied bic-vote"] = lambda res: (bic_vote(fam_rows(res, "tied")), True)
    for f in ("full", "diag", "shrunk0.5"):
        R[f"{f} bic-vote"] = (lambda f: lambda res: (bic_vote(fam_rows(res, f)), True))(f)
    fams_all = ("tied", "full", "diag", "shrunk0.5")
    R["cvfam(all) bic-vote"] = lambda res: (bic_vote(fam_rows(res, cv_best_family(res, fams_all))), True)
    R["cvfam(tied+full) bic-vote"] = lambda res: (bic_vote(fam_rows(res, cv_best_family(res, ("tied", "full")))), True)
    R["cvfam(tied+full) cv-vote0.05"] = lambda res: (cv_vote(fam_rows(res, cv_best_family(res, ("tied", "full"))), 0.05), True)
    R["cvfam(tied+shrunk) bic-vote"] = lambda res: (bic_vote(fam_rows(res, cv_best_family(res, ("tied", "shrunk0.5")))), True)
    R["cvfam(all) 1se merge"] = lambda res: (one_se(fam_rows(res, cv_best_family(res, fams_all))), True)
    R["cvfam(all) 1se nomerge"] = lambda res: (one_se(fam_rows(res, cv_best_family(res, fams_all))), False)
    R["tied 1se nomerge"] = lambda res: (one_se(fam_rows(res, "tied")), False)
    R["tied 1se merge"] = lambda res: (one_se(fam_rows(res, "tied")), True)
    for tol in (0.01, 0.02, 0.05):
        R[f"cvfam(all) cv-vote{tol}"] = (lambda tol: lambda res: (cv_vote(fam_rows(res, cv_best_family(res, fams_all)), tol), True))(tol)
        R[f"tied cv-vote{tol}"] = (lambda tol: lambda res: (cv_vote(fam_rows(res, "tied"), tol), True))(tol)
    for tol in (0.1, 0.2, 0.3):
        for thr in (0.18, 0.21, 0.25, 0.3):
            R[f"tied vote tol{tol} thr{thr}"] = (lambda tol, thr: lambda res: (bic_vote(fam_rows(res, "tied"), tol, thr), True, thr))(tol, thr)
    for f in ("tied", "full", "diag", "shrunk0.5"):
        R[f"{f} true-k nomerge"] = (lambda f: lambda res: (next(r for r in fam_rows(res, f) if r["k"] == res["groups"]), False))(f)
    return R


def fam_rows(res, f):
    return [r for r in res["rows"] if r["fam"] == f]


def main(seeds, only=None):
    only = only or os.environ.get("ONLY", "").split(",") if os.environ.get("ONLY") else only
    out = []
    R = rules()
    for res in load(seeds):
        truth, g = res["truth"], res["groups"]
        rec = {"name": res["name"], "set": res["family"], "seed": res["seed"], "groups": g,
               "cvfam": cv_best_family(res, sorted({r["fam"] for r in res["rows"]}))}
        for name, rule in R.items():
            if only and name not in only:
                continue
            row, merge, *thr = rule(res)
            lab, k = labels(row, merge, *thr)
            k = len(np.unique(lab))
            out.append({**rec, "rule": name, "k": k, "right": k == g, "ari": adjusted_rand_score(truth, lab)})
        best = max(adjusted_rand_score(truth, labels(r, m)[0]) for r in res["rows"] for m in (False, True))
        out.append({**rec, "rule": "oracle", "k": 0, "right": True, "ari": best})
    df = pd.DataFrame(out)
    t = df.groupby(["rule", "set"])[["ari", "right"]].mean().unstack("set").round(3)
    print(t.to_string())

    return df


if __name__ == "__main__":
    seeds = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "1").split(",")]
    df = main(seeds)
    df.to_csv(os.environ.get("OUT", "/tmp/seg7/rules.csv"), index=False)
