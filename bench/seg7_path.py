"""seg7: tied mixtures for k = 2..8 fitted as one path (each k also seeded from its neighbours' fits)."""
from __future__ import annotations

import os
import sys
os.environ.setdefault("OMP_NUM_THREADS", "1"); os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import pickle
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from sklearn.mixture import GaussianMixture

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from seg7_lab import CACHE, bases  # noqa: E402

from core.segments import selection  # noqa: E402

FLOOR = selection.GMM_VARIANCE_FLOOR
KS = range(2, 9)


def seeded(X, means, weights, prec, seed):
    gm = GaussianMixture(len(means), covariance_type="tied", reg_covar=FLOOR, means_init=means,
                         weights_init=weights / weights.sum(), precisions_init=prec, random_state=seed)
    return gm.fit(X)


def path(X, ks, seed=0, n_init=3, passes=2):
    fits = {k: GaussianMixture(k, covariance_type="tied", reg_covar=FLOOR, n_init=n_init, random_state=seed).fit(X)
            for k in ks}
    ll = {k: fits[k].score(X) for k in ks}
    ks = list(ks)
    for _ in range(passes):
        changed = False
        for k in reversed(ks[:-1]):  # drop one component of the k+1 fit
            big = fits[k + 1]
            for j in range(k + 1):
                keep = np.arange(k + 1) != j
                gm = seeded(X, big.means_[keep], big.weights_[keep], big.precisions_, seed)
                s = gm.score(X)
                if s > ll[k] + 1e-6:
                    fits[k], ll[k], changed = gm, s, True
        for k in ks[1:]:  # split one component of the k-1 fit along the shared covariance's main axis
            small = fits[k - 1]
            w, v = np.linalg.eigh(small.covariances_)
            step = np.sqrt(w[-1]) * v[:, -1] * 0.8
            for j in range(k - 1):
                means = np.vstack([np.delete(small.means_, j, 0), small.means_[j] + step, small.means_[j] - step])
                weights = np.concatenate([np.delete(small.weights_, j), [small.weights_[j] / 2] * 2])
                gm = seeded(X, means, weights, small.precisions_, seed)
                s = gm.score(X)
                if s > ll[k] + 1e-6:
                    fits[k], ll[k], changed = gm, s, True
        if not changed:
            break
    return fits


def one(b):
    out_path = CACHE / "res_path" / f"{b['name']}_{b['seed']}_{b['groups']}.pkl"
    if out_path.exists():
        return
    X, XL = b["X"], b["XL"]
    rows = []
    for k, gm in path(X, KS).items():
        rows.append({"fam": "tied", "k": k, "cv": [0.0, 0.0], "bic": float(gm.bic(X)), "n": len(X),
                     "P": gm.predict_proba(X).astype(np.float32),
                     "PL": selection.marginal_proba(selection.as_full(gm), XL).astype(np.float32),
                     "loglik": float(gm.score(X))})
    out_path.write_bytes(pickle.dumps({**{kk: b[kk] for kk in ("name", "family", "seed", "groups", "truth")},
                                       "rows": rows}))
    print(out_path.name, flush=True)


if __name__ == "__main__":
    (CACHE / "res_path").mkdir(exist_ok=True)
    seeds = [int(s) for s in sys.argv[1].split(",")] if len(sys.argv) > 1 else [1]
    import time
    t = time.time()
    with Pool(int(os.environ.get("PROCS", "2"))) as pool:
        pool.map(one, list(bases(seeds)), chunksize=1)
    print("seconds", time.time() - t)
