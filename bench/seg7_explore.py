"""seg7: per base, family and k: 3-fold CV log-likelihood, BIC, merged and unmerged labels (see seg7_lab.py)."""
from __future__ import annotations

import os
import sys
os.environ.setdefault("OMP_NUM_THREADS", "1"); os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import pickle
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import KFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from seg7_lab import CACHE, bases  # noqa: E402

from core.segments import selection  # noqa: E402
from core.segments.shared_shape import ConstrainedMixture  # noqa: E402
from core.segments.common_axes import scatter  # noqa: E402

FLOOR = selection.GMM_VARIANCE_FLOOR


class ShrunkMixture(ConstrainedMixture):
    def __init__(self, n_components=1, *, shrink=0.5, tol=1e-3, reg_covar=1e-6, max_iter=100, n_init=1,
                 init_params="kmeans", random_state=None):
        super().__init__(n_components, tol=tol, reg_covar=reg_covar, max_iter=max_iter, n_init=n_init,
                         init_params=init_params, random_state=random_state)
        self.shrink = shrink

    def _covariances(self, X, resp):
        nk = resp.sum(axis=0) + 10 * np.finfo(float).eps
        W = scatter(X, resp, self.means_)
        tied = W.sum(axis=0) / nk.sum()
        own = W / nk[:, None, None]
        d = X.shape[1]
        return (1 - self.shrink) * tied[None] + self.shrink * own + self.reg_covar * np.eye(d)[None]

    def _n_parameters(self):
        k, d = self.means_.shape
        return int(k * d + k - 1 + d * (d + 1) / 2 * (1 + (k - 1) * self.shrink))


def make(fam, k, seed, n_init):
    if fam.startswith("shrunk"):
        return ShrunkMixture(k, shrink=float(fam[6:]), reg_covar=FLOOR, n_init=n_init, random_state=seed)
    return GaussianMixture(k, covariance_type=fam, reg_covar=FLOOR, n_init=n_init, random_state=seed)


FAMILIES = tuple(os.environ.get("FAMILIES", "tied,full,diag,shrunk0.5").split(","))
KS = range(2, 9)


def one(b):
    out_path = CACHE / "res" / f"{b['name']}_{b['seed']}_{b['groups']}.pkl"
    if out_path.exists():
        return
    X, XL = b["X"], b["XL"]
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    rows = []
    for fam in FAMILIES:
        for k in KS:
            cv = [make(fam, k, 0, 1).fit(X[tr]).score(X[te]) for tr, te in folds]
            gm = make(fam, k, 0, 2).fit(X)
            bic = float(gm.bic(X))
            full = selection.as_full(gm) if isinstance(gm, GaussianMixture) and not isinstance(gm, ConstrainedMixture) else gm
            P = gm.predict_proba(X)
            PL = selection.marginal_proba(full, XL)
            rows.append({"fam": fam, "k": k, "cv": cv, "bic": bic, "n": len(X), "P": P.astype(np.float32),
                         "PL": PL.astype(np.float32), "loglik": float(gm.score(X))})
    out_path.write_bytes(pickle.dumps({**{kk: b[kk] for kk in ("name", "family", "seed", "groups", "truth")},
                                       "rows": rows}))
    print(out_path.name, flush=True)


if __name__ == "__main__":
    (CACHE / "res").mkdir(exist_ok=True)
    seeds = [int(s) for s in sys.argv[1].split(",")] if len(sys.argv) > 1 else [1]
    with Pool(int(os.environ.get("PROCS", "2"))) as pool:
        pool.map(one, list(bases(seeds)), chunksize=1)
