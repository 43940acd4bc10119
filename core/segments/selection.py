"""Choosing the number of segments, and how stable the chosen segments are.

The number comes in two steps. Gaussian mixtures with one covariance shared by all
components (:data:`COVARIANCE`, "tied"; mclust's EEE) are fitted on the transformed
features for each component count; real groups are rarely symmetric, so a mixture tends
to spend two components on one skewed group. Components that overlap so much that
telling them apart is close to a coin toss are then merged (Baudry, Raftery, Celeux, Lo
& Gottardo 2010, "Combining mixture components for clustering": the pair whose merger
removes the most classification entropy per customer, while that is at least
:data:`MERGE_ENTROPY`). The count of segments is the one that most of the component
counts within :data:`K_TOLERANCE` BIC per customer of the best merge down to
(:func:`pick_components`): one component count's BIC is noisy, a plateau of counts that
all merge to the same segments is not. A full covariance per component (``"full"``,
45 numbers each on 9 fields, the default before) fits skewed groups with extra
components that the merge then fails to undo, and BIC spends too few on small groups;
``bench/segments_fam.py`` has the comparison. ``MIXTURE = "t"`` switches to the
Student-t mixture of :mod:`core.segments.tmixture` (full covariances). Stability is
reported beside it: the adjusted Rand index between segmentations refitted on bootstrap
resamples, each labelling the same customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture

from core.segments.common_axes import CommonAxesMixture
from core.segments.shared_shape import SharedShapeMixture
from core.segments.tmixture import StudentMixture, t_log_density

SAMPLE_FOR_SELECTION = 4000
SAMPLE_FOR_SILHOUETTE = 2000
SAMPLE_FOR_STABILITY = 3000
#: Variance floor of mixture components on standardised features: without it a component can
#: shrink onto a handful of identical customers and BIC rewards the fake precision. The jitter on
#: whole numbers already removes such spikes, and a high floor blurs tight groups so that BIC
#: undercounts them: on the tuning bases 0.015 beat 0.05 (ARI 0.787 vs 0.747, right k 54% vs 42%;
#: 0.002, 0.01 and 0.02 tried, ICL and 5 restarts too: no better). With tied components 0.005 and
#: 0.05 (ARI 0.793 / 0.773, right k 69% / 64%) and 6 restarts (0.785, 67%) were no better either.
GMM_VARIANCE_FLOOR = 0.015
GMM_RESTARTS = 3
#: Covariance of the Gaussian mixture's components: "tied" (one shared by all, the default), or
#: "full", "diag", "spherical" (scikit-learn's names), or "shared-shape" (one shape, a size per
#: component: :mod:`core.segments.shared_shape`). On 105 tuning bases (seven generators, seeds
#: 1-5, 4-6 groups), tied with the plateau rule gave ARI 0.784 and the right number of groups in
#: 68% of them; full with the lowest BIC (the rule before) 0.758 and 35%. On seeds 1-2, with
#: the plateau rule, shared-shape gave 0.781 and 52%, full 0.724 and 38% (``bench/segments_fam.py``).
#: "common-axes" (shared axes, a spread per component along them: mclust VVE,
#: :mod:`core.segments.common_axes`) lost too: on the seven tuning generators (seeds 1-2) 0.789 / 48%
#: against tied's 0.804 / 79%, on the session-4 held-out bases (seeds 1-3) 0.704 / 56% against 0.702 /
#: 48%, and on factor, skewed, shop_log and hurdle (seeds 101-102) 0.433 / 29% against 0.507 / 42%
#: (``bench/seg4_sweep.py --families tied,common-axes``). It fits different spreads better but
#: overcounts: each group still takes extra components the merge keeps apart.
#: Choosing the family per base by held-out likelihood does not help either. The 3-fold CV
#: log-likelihood of tied, full, diagonal and half-shrunk-to-tied covariances (k 2-8) picks full
#: on 62 of 63 bases (0.25-0.35 nats per customer above tied) and k 7 or 8 of 2-8 (tied: all 63
#: bases, full: 54), yet full clusters worse: with the family so chosen and the plateau rule, ARI 0.63 / 0.49 / 0.59 against
#: tied's 0.76 / 0.63 / 0.63 on seed 1 and 0.64 / 0.53 / 0.61 against 0.70 / 0.71 / 0.65 on seed 2
#: (session-4 held-out, session-5 held-out, tuning generators; ``bench/seg7_rules.py``). The
#: likelihood rewards describing each group's odd shape, not telling the groups apart. Trained on
#: the true groups, LDA (a tied Gaussian) tells them apart as well as QDA or boosted trees
#: (``bench/seg7_ceiling.py``): tied is the right boundary; what is lost is finding the groups.
COVARIANCE = "tied"
#: Component counts whose BIC is within this much per customer of the lowest vote on the number
#: of segments (0: lowest BIC only, right k 57% on the 105 tuning bases; 0.02-0.3 tried, 0.2 best: 68%).
K_TOLERANCE = 0.2
#: "gaussian" (default) or "t". The Student-t mixture raised held-out ARI (heavy_tail, latent,
#: unequal: 0.836 -> 0.871) but lowered how often the number of groups was right (61% -> 44%),
#: the criterion the outside check is strictest on; it fits 2.4x slower.
MIXTURE = "gaussian"
#: Merge two components while telling them apart costs at least this much entropy per customer
#: they hold (log 2 = 0.69 when they coincide). Tuned on two of the five generators (0.1-0.3 tried);
#: with tied components, 0.15-0.3 tried on seven generators: 0.2 best there. On 111 bases (those seven,
#: seeds 1-2; session 4's held-out latent_class / personas / copula, seeds 1-3 and 7-8; factor, skewed,
#: shop_log, hurdle, seeds 101-102), 0.2 sat at the low edge of a plateau: right k 59% at 0.20, 61-63%
#: at 0.21-0.25, ARI 0.70-0.71 throughout. At 0.21 no set loses (tuning 79% -> 81%, held-out 48% ->
#: 56%, its new seeds 50% -> 61%, the four others 42% -> 42%) and customer-personality keeps its 3
#: stable segments (0.22-0.23 split it into 5 fragile ones, stability 0.36; 0.25 gives 3 again):
#: ``bench/seg4_sweep.py --sets tune,other,heldnew --tols 0.2 --merges 0.2,0.21``. On 39 bases run once
#: afterwards (``--sets fresh,seg4``) it changed 3 and cost 2 right counts (hurdle, seed 103): 0.20 got
#: 44% right, 0.21 38%, ARI 0.601 vs 0.599. The gain is small and not sure.
MERGE_ENTROPY = 0.21
#: At or above this bootstrap agreement the page calls the segments stable.
STABLE_ARI = 0.8


def sample_index(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """All rows when there are few, else a sorted random ``size`` of them."""
    return np.arange(n) if n <= size else np.sort(rng.choice(n, size=size, replace=False))


def gaussian_mixture(k: int, *, random_state: int = 0, restarts: int | None = None,
                     covariance: str | None = None) -> GaussianMixture:
    """A Gaussian mixture of :data:`COVARIANCE` components (or ``covariance``), floored variance, a few restarts."""
    if (covariance or COVARIANCE) == "shared-shape":
        return SharedShapeMixture(k, n_init=restarts or GMM_RESTARTS, reg_covar=GMM_VARIANCE_FLOOR,
                                  random_state=random_state)
    if (covariance or COVARIANCE) == "common-axes":
        return CommonAxesMixture(k, n_init=restarts or GMM_RESTARTS, reg_covar=GMM_VARIANCE_FLOOR,
                                 random_state=random_state)
    return GaussianMixture(n_components=k, covariance_type=covariance or COVARIANCE,
                           n_init=restarts or GMM_RESTARTS, reg_covar=GMM_VARIANCE_FLOOR,
                           random_state=random_state)


def as_full(gm: GaussianMixture) -> GaussianMixture:
    """The same fitted mixture written with one full covariance matrix per component.

    Labelling with blanks (:func:`marginal_proba`), the t density and the saved state all
    read per-component matrices; a tied, diagonal or spherical fit is one of those with
    structure, so rewriting it changes no probability.
    """
    if gm.covariance_type == "full":
        return gm
    k, d = gm.means_.shape
    cov = gm.covariances_
    if gm.covariance_type == "tied":
        cov = np.repeat(cov[None], k, axis=0)
    elif gm.covariance_type == "diag":
        cov = np.stack([np.diag(v) for v in cov])
    else:
        cov = np.stack([np.eye(d) * v for v in cov])
    out = GaussianMixture(n_components=k, covariance_type="full", reg_covar=gm.reg_covar)
    out.weights_, out.means_, out.covariances_ = gm.weights_, gm.means_, cov
    out.precisions_cholesky_ = np.stack([np.linalg.cholesky(np.linalg.inv(c)) for c in cov])
    out.precisions_ = np.stack([p @ p.T for p in out.precisions_cholesky_])
    out.converged_, out.n_iter_, out.lower_bound_ = gm.converged_, gm.n_iter_, gm.lower_bound_
    out.n_features_in_ = d
    return out


def mixture(k: int, *, random_state: int = 0, restarts: int | None = None) -> StudentMixture | GaussianMixture:
    """The one mixture the segments use (:data:`MIXTURE`), unfitted."""
    if MIXTURE == "gaussian":
        return gaussian_mixture(k, random_state=random_state, restarts=restarts)
    return StudentMixture(k, reg_covar=GMM_VARIANCE_FLOOR, n_init=restarts or GMM_RESTARTS, random_state=random_state)


def fit_mixture(X: np.ndarray, k: int, *, random_state: int = 0,
                restarts: int | None = None) -> tuple[StudentMixture | GaussianMixture, float]:
    """The mixture fitted on X, in full-matrix form (:func:`as_full`), and its BIC on X."""
    gm = mixture(k, random_state=random_state, restarts=restarts).fit(X)
    bic = float(gm.bic(X))  # before as_full: the BIC counts the parameters actually fitted
    return (as_full(gm) if isinstance(gm, GaussianMixture) else gm), bic


def bic_curve(X: np.ndarray, ks: range, *, random_state: int = 0) -> pd.DataFrame:
    """BIC of the mixture (:data:`MIXTURE`) for each k, on a sample of ``X`` (lower is better), and
    ``segments``: how many segments those k components merge into (:func:`merge_components`)."""
    Xs = X[sample_index(len(X), SAMPLE_FOR_SELECTION, np.random.default_rng(random_state))]
    rows = []
    for k in ks:
        gm, bic = fit_mixture(Xs, k, random_state=random_state)
        segments = int(merge_components(gm.predict_proba(Xs)).max()) + 1 if k > 1 else 1
        rows.append({"k": k, "score": bic, "metric": "bic", "segments": segments, "n": len(Xs)})
    return pd.DataFrame(rows)


def pick_components(curve: pd.DataFrame, tolerance: float | None = None) -> int:
    """The component count to fit, from a :func:`bic_curve`: among the counts within ``tolerance``
    BIC per customer of the lowest, the number of segments most of them merge into (a tie: the
    fewer segments), and of the counts that give it, the one with the lowest BIC."""
    tolerance = K_TOLERANCE if tolerance is None else tolerance
    gap = (curve["score"] - curve["score"].min()) / curve["n"]
    near = curve[gap <= tolerance + 1e-12]
    votes = near["segments"].value_counts()
    segments = min(votes.index[votes == votes.max()])
    chosen = near[near["segments"] == segments]
    return int(chosen.loc[chosen["score"].idxmin(), "k"])


def _entropy(p: np.ndarray) -> float:
    return float(-np.sum(p * np.log(np.clip(p, 1e-300, None))))


def merge_components(proba: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Which segment each mixture component belongs to, after merging the ones that overlap.

    ``proba`` is customers x components (posterior probabilities). Returns an int array
    component -> segment (0..g-1, numbered in component order).
    """
    threshold = MERGE_ENTROPY if threshold is None else threshold
    groups = [[j] for j in range(proba.shape[1])]
    cols = [proba[:, j] for j in range(proba.shape[1])]
    while len(cols) > 1:
        best, pair = -1.0, (0, 1)
        for i in range(len(cols)):
            for j in range(i + 1, len(cols)):
                both = cols[i] + cols[j]
                gain = (_entropy(cols[i]) + _entropy(cols[j]) - _entropy(both)) / max(float(both.sum()), 1e-12)
                if gain > best:
                    best, pair = gain, (i, j)
        if best < threshold:
            break
        i, j = pair
        cols[i], groups[i] = cols[i] + cols[j], groups[i] + groups[j]
        del cols[j], groups[j]
    out = np.empty(proba.shape[1], dtype=int)
    for g, members in enumerate(sorted(groups, key=min)):
        out[members] = g
    return out


def mixture_segments(X: np.ndarray, components: int, *, merge: bool, random_state: int = 0,
                     restarts: int | None = None) -> tuple[GaussianMixture, np.ndarray]:
    """A mixture of ``components`` fitted on X and its component -> segment map (identity unless ``merge``)."""
    gm, _ = fit_mixture(X, components, random_state=random_state, restarts=restarts)
    cmap = merge_components(gm.predict_proba(X)) if merge and components > 1 else np.arange(components)
    return gm, cmap


def mixture_labels(gm: GaussianMixture, cmap: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Each customer's segment: the one whose merged components hold most of their probability
    (NaN fields marginalised out, :func:`marginal_proba`)."""
    proba = marginal_proba(gm, X)
    onehot = np.zeros((len(cmap), int(cmap.max()) + 1))
    onehot[np.arange(len(cmap)), cmap] = 1.0
    return (proba @ onehot).argmax(axis=1)


def best_k(curve: pd.DataFrame) -> int:
    """The k a selection curve points at (lowest BIC, highest silhouette)."""
    pick = curve["score"].idxmin() if str(curve["metric"].iloc[0]) == "bic" else curve["score"].idxmax()
    return int(curve.loc[pick, "k"])


def silhouette_curve(X: np.ndarray, ks: range, *, random_state: int = 0) -> pd.DataFrame:
    """Silhouette (and inertia) of k-means for each k, on a sample of ``X`` (higher is better)."""
    Xs = X[sample_index(len(X), SAMPLE_FOR_SELECTION, np.random.default_rng(random_state))]
    rows = []
    for k in ks:
        km = KMeans(n_clusters=k, n_init=2, random_state=random_state).fit(Xs)
        sil = silhouette_score(Xs, km.labels_, sample_size=min(SAMPLE_FOR_SILHOUETTE, len(Xs)),
                               random_state=random_state)
        rows.append({"k": k, "score": float(sil), "metric": "silhouette", "inertia": float(km.inertia_)})
    return pd.DataFrame(rows)


def bootstrap_stability(X: np.ndarray, fit_predict, *, reference: np.ndarray, repeats: int = 3,
                        random_state: int = 0) -> float:
    """Mean adjusted Rand index between the segments ``reference`` and those of refits on bootstrap resamples.

    ``fit_predict(X_train, X_eval, seed) -> labels of X_eval``; every refit labels the
    same customers (a sample of ``X``), so the index compares like with like.
    """
    rng = np.random.default_rng(random_state)
    idx = sample_index(len(X), SAMPLE_FOR_STABILITY, rng)
    X_eval, ref = X[idx], np.asarray(reference)[idx]
    scores = []
    for r in range(repeats):
        boot = rng.choice(len(X), size=min(len(X), SAMPLE_FOR_STABILITY), replace=True)
        scores.append(adjusted_rand_score(ref, fit_predict(X[boot], X_eval, random_state + 1 + r)))
    return float(np.mean(scores))


def stability_label(ari: float) -> str:
    """"stable" / "fragile" in words a marketer can act on."""
    if ari != ari:
        return "unknown"
    return "stable" if ari >= STABLE_ARI else "fragile"


def silhouette(X: np.ndarray, labels: np.ndarray, *, noise: int = -1, random_state: int = 0) -> float:
    """Silhouette of a segmentation on a sample (noise excluded); NaN with fewer than two segments."""
    mask = labels != noise
    if len(set(labels[mask].tolist())) < 2:
        return float("nan")
    rng = np.random.default_rng(random_state)
    idx = np.flatnonzero(mask)
    if len(idx) > SAMPLE_FOR_SILHOUETTE:  # pairwise distances: 2,000 customers cost 1/4 of 4,000
        idx = np.sort(rng.choice(idx, SAMPLE_FOR_SILHOUETTE, replace=False))
    return float(silhouette_score(X[idx], labels[idx]))


def marginal_proba(gm: GaussianMixture, X: np.ndarray) -> np.ndarray:
    """Posterior component probabilities where NaN marks a missing field.

    A customer with blanks is judged on the fields they have: the likelihood of each
    component is its Gaussian marginal over the observed fields (exact for a Gaussian
    mixture), rather than a made-up median that pulls them toward the middle. Rows are
    grouped by which fields are missing, so the cost is one small Gaussian per pattern.
    """
    X = np.asarray(X, dtype=float)
    miss = np.isnan(X)
    if not miss.any():
        return gm.predict_proba(X)
    out = np.empty((len(X), gm.n_components))
    patterns, inverse = np.unique(miss, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    log_w = np.log(np.clip(gm.weights_, 1e-300, None))
    dof = getattr(gm, "dof_", np.full(gm.n_components, np.inf))  # a Gaussian mixture: infinite
    for p, pattern in enumerate(patterns):
        rows = np.flatnonzero(inverse == p)
        obs = ~pattern
        if not obs.any():
            out[rows] = gm.weights_
            continue
        Xo = X[np.ix_(rows, obs)]
        logp = np.empty((len(rows), gm.n_components))
        for c in range(gm.n_components):  # a t's marginal is a t with the same degrees of freedom
            logp[:, c] = log_w[c] + t_log_density(Xo, gm.means_[c, obs], gm.covariances_[c][np.ix_(obs, obs)],
                                                  float(dof[c]))[0]
        logp -= logp.max(axis=1, keepdims=True)
        e = np.exp(logp)
        out[rows] = e / e.sum(axis=1, keepdims=True)
    return out


def complete_rows(X: np.ndarray) -> np.ndarray:
    """Rows without a missing field (all rows when too few are complete to fit on)."""
    ok = ~np.isnan(X).any(axis=1)
    return X[ok] if ok.sum() >= max(50, len(X) // 3) else np.where(np.isnan(X), 0.0, X)
