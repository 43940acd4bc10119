"""A mixed-type latent class model: a finite mixture of products of per-field distributions.

The Gaussian mixture sees customers through a transform that tries to make every field look
Gaussian; a skewed or zero-heavy field that does not comply gets extra components. A latent
class model (as poLCA, flexmix and LatentGOLD fit) instead gives each field, within a segment,
a distribution of its own kind, and treats the fields as independent given the segment:

* counts (orders, the engagement counts): negative binomial (Poisson as its dispersion grows);
  orders start at 1, so ``orders - 1`` is modelled;
* money and days (spend, recency, tenure): log-normal, i.e. a normal on ``log1p``;
* anything else (age): normal.

A blank field drops out of a customer's likelihood (no imputation). Each component costs two
parameters per field, so a small group is cheap to describe. The fit is EM started from
k-means on standardised fields (:data:`N_INIT` starts, best log-likelihood kept); the negative
binomial's dispersion is a few Newton steps on its score per M step (in log space, so it stays
positive). Its state is a few arrays, saved without pickle.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = np.column_stack([np.r_[rng.poisson(2, 300), rng.poisson(30, 300)],
...                      np.r_[rng.lognormal(3, 0.3, 300), rng.lognormal(5, 0.3, 300)]]).astype(float)
>>> lc = LatentClassMixture(2, kinds=("count", "positive"), random_state=0).fit(X)
>>> sorted(np.bincount(lc.predict(X)).tolist())
[300, 300]
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, logsumexp, polygamma, psi
from sklearn.cluster import KMeans

KINDS = ("count", "positive", "normal")
#: k-means starts of EM per fit (the best log-likelihood is kept).
N_INIT = 3
#: Dispersion of the negative binomial is kept in this range (large: Poisson).
SIZE_RANGE = (0.05, 1e4)
#: A normal field's spread never falls below this share of its overall spread (no collapse on ties).
SD_FLOOR = 0.05


def nbinom_logpmf(y: np.ndarray, mean: np.ndarray, size: np.ndarray) -> np.ndarray:
    """log P(y) of a negative binomial with this mean and size (dispersion r; variance mean + mean^2 / r)."""
    return (gammaln(y + size) - gammaln(size) - gammaln(y + 1) + size * np.log(size / (size + mean))
            + y * np.log(mean / (size + mean)))


def normal_logpdf(y: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    z = (y - mean) / sd
    return -0.5 * z * z - np.log(sd) - 0.5 * np.log(2 * np.pi)


def field_values(X: np.ndarray, kinds: tuple[str, ...], offsets: np.ndarray) -> np.ndarray:
    """The raw fields on the scale each kind is modelled on: counts minus their offset, log1p of
    positive fields, normal fields as they are (NaN stays NaN)."""
    Y = np.asarray(X, dtype=float).copy()
    for j, kind in enumerate(kinds):
        if kind == "count":
            Y[:, j] = np.maximum(np.round(Y[:, j]) - offsets[j], 0)
        elif kind == "positive":
            Y[:, j] = np.log1p(np.clip(Y[:, j], 0, None))
    return Y


def _count_groups(Y0: np.ndarray, obs: np.ndarray, kinds: tuple[str, ...]) -> dict:
    """For each count column: its distinct observed values and a sparse (values x rows) indicator."""
    from scipy import sparse

    out = {}
    for j, kind in enumerate(kinds):
        if kind != "count":
            continue
        rows = np.flatnonzero(obs[:, j])
        values, inv = np.unique(Y0[rows, j], return_inverse=True)
        onehot = sparse.csr_matrix((np.ones(len(rows)), (inv, rows)), shape=(len(values), len(Y0)))
        out[j] = (values, onehot)
    return out


def _nb_size_newton(y: np.ndarray, w: np.ndarray, mean: np.ndarray, size: np.ndarray, steps: int = 2) -> np.ndarray:
    """Newton steps on log r for the weighted negative binomial score, one r per component.

    ``y`` is (U,) distinct values with no NaN, ``w`` (U, K) the responsibilities summed per value
    (counts repeat, so the digammas are evaluated once per distinct value), ``mean`` and ``size`` (K,).
    """
    lo, hi = SIZE_RANGE
    wsum = w.sum(axis=0) + 1e-12
    for _ in range(steps):
        r = size
        yr = y[:, None] + r[None, :]
        g = (w * (psi(yr) - psi(r))).sum(axis=0) + wsum * (np.log(r) - np.log(r + mean))
        h = (w * (polygamma(1, yr) - polygamma(1, r))).sum(axis=0) + wsum * (1 / r - 1 / (r + mean))
        # Newton on t = log r where the score falls with r (d g / d t = r h < 0); where it does not
        # (far above the root the log-likelihood is not concave in r), a step of 1 toward the root.
        slope = r * h
        newton = g / np.where(slope < -1e-12, slope, -1.0)
        step = np.clip(np.where(slope < -1e-12, newton, -np.sign(g)), -2.0, 2.0)
        size = np.clip(np.exp(np.log(r) - step), lo, hi)
    return size


class LatentClassMixture:
    """A mixture of independent per-field distributions (see the module doc).

    Parameters
    ----------
    n_components : int
    kinds : tuple of {"count", "positive", "normal"}
        One kind per column of the data.
    n_init : int
        EM starts (k-means on the standardised fields, different seeds).
    max_iter, tol : int, float
        EM iterations and the change in mean log-likelihood per customer that stops them.
    random_state : int

    Attributes
    ----------
    weights_ : ndarray (K,)
    loc_, scale_ : ndarray (K, F)
        Per component and field: the mean and size (count) or mean and sd (positive, normal,
        on the modelled scale).
    offsets_ : ndarray (F,)
        What is subtracted from a count before it is modelled (1 for counts that never go below 1).
    """

    def __init__(self, n_components: int, *, kinds: tuple[str, ...], n_init: int = N_INIT, max_iter: int = 150,
                 tol: float = 1e-4, random_state: int = 0) -> None:
        self.n_components = n_components
        self.kinds = tuple(kinds)
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # ---- fitting
    def fit(self, X: np.ndarray) -> "LatentClassMixture":
        X = np.asarray(X, dtype=float)
        if X.shape[1] != len(self.kinds) or any(k not in KINDS for k in self.kinds):
            raise ValueError(f"kinds must name one of {KINDS} per column")
        self.offsets_ = np.array([float(max(0.0, np.floor(np.nanmin(X[:, j]))) if kind == "count" else 0.0)
                                  for j, kind in enumerate(self.kinds)])
        self.offsets_ = np.minimum(self.offsets_, 1.0)  # only "never below one" counts (orders) shift
        Y = field_values(X, self.kinds, self.offsets_)
        obs = ~np.isnan(Y)
        Y0 = np.where(obs, Y, 0.0)
        spread = np.nanstd(Y, axis=0)
        self._sd_floor = np.where(spread > 0, spread, 1.0) * SD_FLOOR
        self._groups = _count_groups(Y0, obs, self.kinds)
        best = None
        for start in range(self.n_init):
            resp = self._initial_resp(Y, obs, self.random_state + start)
            state = self._em(Y0, obs, resp)
            if best is None or state[0] > best[0]:
                best = state
        self.loglik_, self.weights_, self.loc_, self.scale_, self.n_iter_ = best
        self.n_features_in_, self.n_fit_ = X.shape[1], len(X)
        del self._groups
        return self

    def _initial_resp(self, Y: np.ndarray, obs: np.ndarray, seed: int) -> np.ndarray:
        mu, sd = np.nanmean(Y, axis=0), np.nanstd(Y, axis=0)
        Z = np.where(obs, (Y - mu) / np.where(sd > 0, sd, 1.0), 0.0)
        k = self.n_components
        labels = KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(Z) if k > 1 else np.zeros(len(Z), int)
        resp = np.full((len(Z), k), 0.1 / max(k - 1, 1))
        resp[np.arange(len(Z)), labels] = 0.9 if k > 1 else 1.0
        return resp

    def _em(self, Y0: np.ndarray, obs: np.ndarray, resp: np.ndarray):
        k, f = self.n_components, Y0.shape[1]
        loc, scale = np.zeros((k, f)), np.ones((k, f))
        scale[:, [j for j, kind in enumerate(self.kinds) if kind == "count"]] = 5.0
        previous, ll, it = -np.inf, -np.inf, 0
        for it in range(1, self.max_iter + 1):
            weights, loc, scale = self._m_step(Y0, obs, resp, scale)
            logp = self._log_joint(Y0, obs, weights, loc, scale, self._groups)
            total = logsumexp(logp, axis=1)
            resp = np.exp(logp - total[:, None])
            ll = float(total.sum())
            if abs(ll - previous) / len(Y0) < self.tol:
                break
            previous = ll
        return ll, weights, loc, scale, it

    def _m_step(self, Y0: np.ndarray, obs: np.ndarray, resp: np.ndarray, size: np.ndarray):
        n, f = Y0.shape
        nk = resp.sum(axis=0) + 1e-10
        weights = nk / nk.sum()
        loc, scale = np.empty((self.n_components, f)), np.empty((self.n_components, f))
        for j, kind in enumerate(self.kinds):
            if kind == "count":
                values, onehot = self._groups[j]
                wu = onehot @ resp  # responsibilities summed per distinct value: (U, K)
                mean = np.maximum((wu * values[:, None]).sum(axis=0) / (wu.sum(axis=0) + 1e-10), 1e-3)
                loc[:, j] = mean
                scale[:, j] = _nb_size_newton(values, wu, mean, size[:, j].copy())
                continue
            o = obs[:, j]
            w, y = resp[o], Y0[o, j]
            wj = w.sum(axis=0) + 1e-10
            mean = (w * y[:, None]).sum(axis=0) / wj
            var = (w * (y[:, None] - mean[None, :]) ** 2).sum(axis=0) / wj
            loc[:, j], scale[:, j] = mean, np.maximum(np.sqrt(var), self._sd_floor[j])
        return weights, loc, scale

    def _log_fields(self, Y0: np.ndarray, obs: np.ndarray, loc: np.ndarray, scale: np.ndarray,
                    groups: dict | None = None) -> np.ndarray:
        """Sum over observed fields of each field's log density: (n, K). Counts are evaluated once
        per distinct value and looked up (``groups``: :func:`_count_groups`)."""
        groups = _count_groups(Y0, obs, self.kinds) if groups is None else groups
        out = np.zeros((len(Y0), self.n_components))
        for j, kind in enumerate(self.kinds):
            if kind == "count":
                values, onehot = groups[j]
                lp_u = nbinom_logpmf(values[:, None], loc[None, :, j], scale[None, :, j])
                out += onehot.T @ lp_u  # zero rows where the field is blank
                continue
            lp = normal_logpdf(Y0[:, j, None], loc[None, :, j], scale[None, :, j])
            out += np.where(obs[:, j, None], lp, 0.0)
        return out

    def _log_joint(self, Y0, obs, weights, loc, scale, groups: dict | None = None) -> np.ndarray:
        return np.log(np.maximum(weights, 1e-300))[None, :] + self._log_fields(Y0, obs, loc, scale, groups)

    # ---- using the fit
    def _prepared(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Y = field_values(np.asarray(X, dtype=float), self.kinds, self.offsets_)
        obs = ~np.isnan(Y)
        return np.where(obs, Y, 0.0), obs

    def log_joint(self, X: np.ndarray) -> np.ndarray:
        """log(weight x likelihood of the observed fields) per customer and component."""
        Y0, obs = self._prepared(X)
        return self._log_joint(Y0, obs, self.weights_, self.loc_, self.scale_)

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        return logsumexp(self.log_joint(X), axis=1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        logp = self.log_joint(X)
        return np.exp(logp - logsumexp(logp, axis=1)[:, None])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.log_joint(X).argmax(axis=1)

    def n_parameters(self) -> int:
        return self.n_components * 2 * len(self.kinds) + self.n_components - 1

    def bic(self, X: np.ndarray) -> float:
        return float(-2 * self.score_samples(X).sum() + self.n_parameters() * np.log(len(X)))

    def icl(self, X: np.ndarray) -> float:
        """BIC plus twice the classification entropy (Biernacki, Celeux & Govaert 2000)."""
        p = self.predict_proba(X)
        return self.bic(X) - 2 * float((p * np.log(np.clip(p, 1e-300, None))).sum())

    # ---- state as arrays
    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"lca_weights": self.weights_, "lca_loc": self.loc_, "lca_scale": self.scale_,
                "lca_offsets": self.offsets_}

    @classmethod
    def from_arrays(cls, kinds: tuple[str, ...], arrays: dict[str, np.ndarray]) -> "LatentClassMixture":
        m = cls(len(arrays["lca_weights"]), kinds=kinds)
        m.weights_, m.loc_ = np.asarray(arrays["lca_weights"], float), np.asarray(arrays["lca_loc"], float)
        m.scale_, m.offsets_ = np.asarray(arrays["lca_scale"], float), np.asarray(arrays["lca_offsets"], float)
        m.n_features_in_ = len(kinds)
        return m


# ---- from customer features to the model, and the number of components
#: The kind of each customer feature (core.segments.features.NUMERIC_FEATURES).
FEATURE_KINDS = {"frequency": "count", "sessions_90d": "count", "email_opens_90d": "count",
                 "email_clicks_90d": "count", "social_engagements_90d": "count", "monetary": "positive",
                 "recency_days": "positive", "tenure_days": "positive", "age": "normal"}
#: "bic" or "icl": the criterion that picks the number of components.
CRITERION = "bic"


def feature_kinds(features, columns: list[str]) -> tuple[str, ...]:
    """Each column's kind; a "count" column that holds fractions (a bank balance read as orders) is "positive"."""
    kinds = []
    for c in columns:
        kind = FEATURE_KINDS.get(c, "normal")
        if kind == "count":
            s = features[c].dropna().to_numpy(dtype=float)
            if len(s) and (np.any(np.mod(s, 1) != 0) or s.min() < 0):
                kind = "positive"
        kinds.append(kind)
    return tuple(kinds)


#: Fields re-expressed so that, within a segment, they depend less on each other (the model
#: assumes they do not): "spend_per_order" models total spend / orders instead of total spend,
#: "active_days" models tenure - recency (first to last purchase) instead of tenure.
DERIVED: tuple[str, ...] = ()


def model_matrix(features, columns: list[str]) -> np.ndarray:
    """The raw feature columns the latent class model reads (blanks NaN), :data:`DERIVED` applied."""
    f = features.reindex(columns=columns).astype(float)
    if "spend_per_order" in DERIVED and {"monetary", "frequency"} <= set(columns):
        f["monetary"] = f["monetary"] / f["frequency"].where(f["frequency"] > 0)
    if "active_days" in DERIVED and {"tenure_days", "recency_days"} <= set(columns):
        f["tenure_days"] = (f["tenure_days"] - f["recency_days"]).clip(lower=0)
    return f.to_numpy(dtype=float)


def criterion_curve(X: np.ndarray, kinds: tuple[str, ...], ks, *, random_state: int = 0) -> list[dict]:
    """BIC and ICL of a latent class model for each k (lower is better); ``score`` is :data:`CRITERION`."""
    rows = []
    for k in ks:
        m = LatentClassMixture(k, kinds=kinds, random_state=random_state).fit(X)
        bic, icl = m.bic(X), m.icl(X)
        rows.append({"k": int(k), "score": bic if CRITERION == "bic" else icl, "metric": CRITERION,
                     "bic": bic, "icl": icl})
    return rows
#: Merge overlapping components after the criterion's pick (core.segments.selection.merge_components).
MERGE = True
