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

Within a real segment fields are not independent (spend grows with orders, tenure with
recency, sessions with e-mail opens), and a product model answers with more components. What
helped, measured on the seven generators of ``tests/core/_segments_synth.py`` (seeds 1-2, 4/5/6
groups, 42 bases; ``SegmentModel(method="lca")``, scripted like ``bench/segments.py --quality``):

* modelling spend per order and days active (tenure - recency) instead of total spend and
  tenure (:data:`DERIVED`): ARI 0.599 -> 0.659, right k 2% -> 17%;
* merging overlapping components harder (:data:`MERGE_ENTROPY` 0.1; 0.05, 0.15, 0.2 tried):
  ARI 0.771, right k 57%;
* the plateau rule for k (:data:`K_RULE`, as the Gaussian path): 0.767 and 60% (seeds 3-4,
  not tuned on: 0.766 and 52%, against 0.765 and 40% with the lowest BIC);
* tried and left off: ICL instead of BIC (k = 2 everywhere, ARI 0.34); counts sharing a gamma
  frailty (:data:`FRAILTY_COUNTS`, ARI 0.600, right k 0%); money, days and age as one
  full-covariance block (:data:`BLOCK_CONTINUOUS`, no better on two bases, slower).

It loses to the Gaussian default (tied covariances and the plateau rule): on the same seven
generators, seeds 1-4, the Gaussian reaches ARI 0.804 and right k 76%; on bases neither was
tuned on (``hurdle``, ``tests/core/_segments_synth_hurdle.py``, and ``skewed``, ``shop_log``,
``factor``, seeds 101-102) the Gaussian 0.507 and 42%, this model 0.413 and 13% (0.412 and 17% with the
lowest BIC). It overcounts
where fields are correlated within a group (lognormal, process). So ``method="lca"`` is an
option, not the default. 100,000 customers: fit + payload 4.9 s on a shared 2-core machine (``bench/segments.py --speed
--method lca``).

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
from scipy.linalg import solve_triangular
from scipy.special import gammaln, logsumexp, polygamma, psi
from sklearn.cluster import KMeans

from core.segments.selection import merge_components

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
    """A mixture of independent per-field distributions (see the module doc), optionally with one
    block of fields modelled jointly.

    Parameters
    ----------
    n_components : int
    kinds : tuple of {"count", "positive", "normal"}
        One kind per column of the data.
    frailty : tuple of int
        Count columns that share one gamma frailty per customer (a negative multinomial: given
        the segment and the customer's activity level, each count is Poisson), so that a busy
        customer's sessions, e-mails and orders rising together are not read as more segments.
        The frailty's size is per component (``frailty_size_``). Empty: counts independent.
    block : tuple of int
        Columns (positive or normal kinds) modelled together as one full-covariance Gaussian on
        their modelled scale, so that fields that move together within a segment (spend and
        tenure, say) are not read as evidence for more segments. Empty: every field independent.
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
        on the modelled scale); for block columns, the block's means and standard deviations.
    block_mean_, block_cov_ : ndarray (K, B), (K, B, B)
        The block's Gaussian per component (B = len(block); empty arrays without a block).
    offsets_ : ndarray (F,)
        What is subtracted from a count before it is modelled (1 for counts that never go below 1).
    """

    def __init__(self, n_components: int, *, kinds: tuple[str, ...], block: tuple[int, ...] = (),
                 frailty: tuple[int, ...] = (), n_init: int = N_INIT, max_iter: int = 150, tol: float = 1e-4,
                 random_state: int = 0) -> None:
        self.n_components = n_components
        self.kinds = tuple(kinds)
        self.block = tuple(block)
        self.frailty = tuple(frailty)
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # ---- fitting
    def fit(self, X: np.ndarray) -> "LatentClassMixture":
        X = np.asarray(X, dtype=float)
        if X.shape[1] != len(self.kinds) or any(k not in KINDS for k in self.kinds):
            raise ValueError(f"kinds must name one of {KINDS} per column")
        if any(self.kinds[j] == "count" for j in self.block):
            raise ValueError("block columns must be positive or normal kinds")
        if any(self.kinds[j] != "count" for j in self.frailty):
            raise ValueError("frailty columns must be counts")
        self.offsets_ = np.array([float(max(0.0, np.floor(np.nanmin(X[:, j]))) if kind == "count" else 0.0)
                                  for j, kind in enumerate(self.kinds)])
        self.offsets_ = np.minimum(self.offsets_, 1.0)  # only "never below one" counts (orders) shift
        Y = field_values(X, self.kinds, self.offsets_)
        obs = ~np.isnan(Y)
        Y0 = np.where(obs, Y, 0.0)
        spread = np.nanstd(Y, axis=0)
        self._sd_floor = np.where(spread > 0, spread, 1.0) * SD_FLOOR
        self.block_ = np.array(self.block, dtype=int)
        self._groups = _count_groups(Y0, obs, self.kinds)
        best = None
        for start in range(self.n_init):
            resp = self._initial_resp(Y, obs, self.random_state + start)
            state = self._em(Y0, obs, resp)
            if best is None or state[0] > best[0]:
                best = state
        self.loglik_, p, self.n_iter_ = best
        self.weights_, self.loc_, self.scale_ = p["weights"], p["loc"], p["scale"]
        self.block_mean_, self.block_cov_ = p["bmean"], p["bcov"]
        self.frailty_size_ = p["fsize"]
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
        scale = np.ones((k, f))
        scale[:, [j for j, kind in enumerate(self.kinds) if kind == "count"]] = 5.0
        p = {"scale": scale, "bmean": None, "bcov": None, "fsize": None, "loc": None}
        previous, ll, it = -np.inf, -np.inf, 0
        for it in range(1, self.max_iter + 1):
            p = self._m_step(Y0, obs, resp, p)
            logp = self._log_joint(Y0, obs, p, self._groups)
            total = logsumexp(logp, axis=1)
            resp = np.exp(logp - total[:, None])
            ll = float(total.sum())
            if abs(ll - previous) / len(Y0) < self.tol:
                break
            previous = ll
        return ll, p, it

    def _m_step(self, Y0: np.ndarray, obs: np.ndarray, resp: np.ndarray, prev: dict) -> dict:
        n, f = Y0.shape
        nk = resp.sum(axis=0) + 1e-10
        weights = nk / nk.sum()
        loc, scale = np.empty((self.n_components, f)), np.empty((self.n_components, f))
        in_block = set(self.block)
        shared = set(self.frailty)
        for j, kind in enumerate(self.kinds):
            if j in shared:
                continue
            if kind == "count":
                values, onehot = self._groups[j]
                wu = onehot @ resp  # responsibilities summed per distinct value: (U, K)
                mean = np.maximum((wu * values[:, None]).sum(axis=0) / (wu.sum(axis=0) + 1e-10), 1e-3)
                loc[:, j] = mean
                scale[:, j] = _nb_size_newton(values, wu, mean, prev["scale"][:, j].copy())
                continue
            o = obs[:, j]
            w, y = resp[o], Y0[o, j]
            wj = w.sum(axis=0) + 1e-10
            mean = (w * y[:, None]).sum(axis=0) / wj
            var = (w * (y[:, None] - mean[None, :]) ** 2).sum(axis=0) / wj
            loc[:, j], scale[:, j] = mean, np.maximum(np.sqrt(var), self._sd_floor[j])
        bmean, bcov = np.empty((self.n_components, 0)), np.empty((self.n_components, 0, 0))
        if in_block:
            bmean, bcov = self._block_m_step(Y0, obs, resp, nk, loc, scale, prev)
            loc[:, self.block_] = bmean
            scale[:, self.block_] = np.sqrt(np.diagonal(bcov, axis1=1, axis2=2))
        fsize = np.empty(0)
        if shared:
            fsize = self._frailty_m_step(Y0, obs, resp, loc, prev)
            loc[:, list(self.frailty)], scale[:, list(self.frailty)] = self._fmean, fsize[:, None]
        return {"weights": weights, "loc": loc, "scale": scale, "bmean": bmean, "bcov": bcov, "fsize": fsize}

    def _frailty_m_step(self, Y0, obs, resp, loc, prev) -> np.ndarray:
        """The negative multinomial's M step: means given each customer's expected frailty, then the
        gamma size from the frailty's expected log (the gamma-Poisson EM)."""
        f = list(self.frailty)
        Xc, Oc = Y0[:, f], obs[:, f].astype(float)
        if prev["fsize"] is None:  # first step: frailty 1 for everyone
            w_obs = resp.T @ Oc
            self._fmean = np.maximum((resp.T @ Xc) / (w_obs + 1e-10), 1e-3)
            return np.full(self.n_components, 5.0)
        r, mu = prev["fsize"], prev["loc"][:, f]
        S = Xc.sum(axis=1)[:, None]
        M = Oc @ mu.T  # (n, K): the expected total of the counts each customer has
        e_lam = (r[None, :] + S) / (r[None, :] + M)
        e_log = psi(r[None, :] + S) - np.log(r[None, :] + M)
        self._fmean = np.maximum((resp.T @ Xc) / ((resp * e_lam).T @ Oc + 1e-10), 1e-3)
        W = resp.sum(axis=0) + 1e-10
        c = -1.0 - (resp * (e_log - e_lam)).sum(axis=0) / W  # solve log r - psi(r) = c (> 0)
        c = np.maximum(c, 1e-8)
        size = (3 - c + np.sqrt((c - 3) ** 2 + 24 * c)) / (12 * c)  # Minka's start for a gamma shape
        for _ in range(3):
            g = np.log(size) - psi(size) - c
            h = 1 / size - polygamma(1, size)
            size = np.clip(size - g / h, SIZE_RANGE[0], SIZE_RANGE[1])
        return size

    def _block_m_step(self, Y0, obs, resp, nk, loc, scale, prev):
        """EM for a Gaussian with blanks (Little & Rubin 2002, ch. 11): a blank takes its conditional
        mean given the fields the customer has, and the conditional covariance is added back."""
        b = self.block_
        Yb, Ob = Y0[:, b], obs[:, b]
        K, B = self.n_components, len(b)
        if prev["bmean"] is None:  # first step: blanks at the per-field means of the start
            mu0 = loc[:, b]
            cov0 = np.array([np.diag(scale[c, b] ** 2) for c in range(K)])
        else:
            mu0, cov0 = prev["bmean"], prev["bcov"]
        s1 = np.zeros((K, B))
        s2 = np.zeros((K, B, B))
        for mask, rows in _patterns(Ob):
            m, o = ~mask, mask
            y = Yb[np.ix_(rows, np.flatnonzero(o))]
            r = resp[rows]
            for c in range(K):
                filled = np.empty((len(rows), B))
                filled[:, o] = y
                extra = np.zeros((B, B))
                if m.any():
                    if o.any():
                        coef = np.linalg.solve(cov0[c][np.ix_(o, o)], cov0[c][np.ix_(o, m)])  # (O, M)
                        filled[:, m] = mu0[c, m] + (y - mu0[c, o]) @ coef
                        extra[np.ix_(m, m)] = cov0[c][np.ix_(m, m)] - cov0[c][np.ix_(m, o)] @ coef
                    else:
                        filled[:, m] = mu0[c, m]
                        extra[np.ix_(m, m)] = cov0[c][np.ix_(m, m)]
                w = r[:, c]
                s1[c] += w @ filled
                s2[c] += (filled * w[:, None]).T @ filled + w.sum() * extra
        mean = s1 / nk[:, None]
        cov = s2 / nk[:, None, None] - mean[:, :, None] * mean[:, None, :]
        cov += np.diag(self._sd_floor[b] ** 2)[None]
        return mean, cov

    def _log_fields(self, Y0: np.ndarray, obs: np.ndarray, p: dict, groups: dict | None = None) -> np.ndarray:
        """Sum over observed fields of each field's log density: (n, K). Counts are evaluated once
        per distinct value and looked up (``groups``: :func:`_count_groups`); the block's fields by
        the Gaussian marginal of the ones each customer has."""
        loc, scale = p["loc"], p["scale"]
        groups = _count_groups(Y0, obs, self.kinds) if groups is None else groups
        out = np.zeros((len(Y0), self.n_components))
        in_block = set(self.block) | set(self.frailty)
        for j, kind in enumerate(self.kinds):
            if j in in_block:
                continue
            if kind == "count":
                values, onehot = groups[j]
                lp_u = nbinom_logpmf(values[:, None], loc[None, :, j], scale[None, :, j])
                out += onehot.T @ lp_u  # zero rows where the field is blank
                continue
            lp = normal_logpdf(Y0[:, j, None], loc[None, :, j], scale[None, :, j])
            out += np.where(obs[:, j, None], lp, 0.0)
        if self.frailty:
            f = list(self.frailty)
            Xc, Oc = Y0[:, f], obs[:, f]
            r = p["fsize"][None, :]
            mu = loc[:, f]
            S = Xc.sum(axis=1)[:, None]
            M = Oc.astype(float) @ mu.T
            out += (gammaln(r + S) - gammaln(r) - (gammaln(Xc + 1) * Oc).sum(axis=1)[:, None]
                    + Xc @ np.log(mu).T + r * np.log(r) - (r + S) * np.log(r + M))
        if self.block:
            b = np.array(self.block, dtype=int)
            Yb, Ob = Y0[:, b], obs[:, b]
            for mask, rows in _patterns(Ob):
                if not mask.any():
                    continue
                o = np.flatnonzero(mask)
                y = Yb[np.ix_(rows, o)]
                for c in range(self.n_components):
                    chol = np.linalg.cholesky(p["bcov"][c][np.ix_(o, o)])
                    z = solve_triangular(chol, (y - p["bmean"][c, o]).T, lower=True)
                    out[rows, c] += (-0.5 * (z ** 2).sum(axis=0) - np.log(np.diag(chol)).sum()
                                     - 0.5 * len(o) * np.log(2 * np.pi))
        return out

    def _log_joint(self, Y0, obs, p: dict, groups: dict | None = None) -> np.ndarray:
        return np.log(np.maximum(p["weights"], 1e-300))[None, :] + self._log_fields(Y0, obs, p, groups)

    def _params(self) -> dict:
        return {"weights": self.weights_, "loc": self.loc_, "scale": self.scale_, "bmean": self.block_mean_,
                "bcov": self.block_cov_, "fsize": self.frailty_size_}

    # ---- using the fit
    def _prepared(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Y = field_values(np.asarray(X, dtype=float), self.kinds, self.offsets_)
        obs = ~np.isnan(Y)
        return np.where(obs, Y, 0.0), obs

    def log_joint(self, X: np.ndarray) -> np.ndarray:
        """log(weight x likelihood of the observed fields) per customer and component."""
        Y0, obs = self._prepared(X)
        return self._log_joint(Y0, obs, self._params())

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        return logsumexp(self.log_joint(X), axis=1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        logp = self.log_joint(X)
        return np.exp(logp - logsumexp(logp, axis=1)[:, None])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.log_joint(X).argmax(axis=1)

    def n_parameters(self) -> int:
        b, c = len(self.block), len(self.frailty)
        per = 2 * (len(self.kinds) - b - c) + b + b * (b + 1) // 2 + (c + 1 if c else 0)
        return self.n_components * per + self.n_components - 1

    def bic(self, X: np.ndarray) -> float:
        return float(-2 * self.score_samples(X).sum() + self.n_parameters() * np.log(len(X)))

    def icl(self, X: np.ndarray) -> float:
        """BIC plus twice the classification entropy (Biernacki, Celeux & Govaert 2000)."""
        p = self.predict_proba(X)
        return self.bic(X) - 2 * float((p * np.log(np.clip(p, 1e-300, None))).sum())

    # ---- state as arrays
    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"lca_weights": self.weights_, "lca_loc": self.loc_, "lca_scale": self.scale_,
                "lca_offsets": self.offsets_, "lca_block": np.array(self.block, dtype=int),
                "lca_block_mean": self.block_mean_, "lca_block_cov": self.block_cov_,
                "lca_frailty": np.array(self.frailty, dtype=int), "lca_frailty_size": self.frailty_size_}

    @classmethod
    def from_arrays(cls, kinds: tuple[str, ...], arrays: dict[str, np.ndarray]) -> "LatentClassMixture":
        block = tuple(int(j) for j in arrays["lca_block"])
        frailty = tuple(int(j) for j in arrays.get("lca_frailty", []))
        m = cls(len(arrays["lca_weights"]), kinds=kinds, block=block, frailty=frailty)
        m.frailty_size_ = np.asarray(arrays.get("lca_frailty_size", np.empty(0)), float)
        m.weights_, m.loc_ = np.asarray(arrays["lca_weights"], float), np.asarray(arrays["lca_loc"], float)
        m.scale_, m.offsets_ = np.asarray(arrays["lca_scale"], float), np.asarray(arrays["lca_offsets"], float)
        m.block_mean_ = np.asarray(arrays["lca_block_mean"], float)
        m.block_cov_ = np.asarray(arrays["lca_block_cov"], float)
        m.block_, m.n_features_in_ = np.array(block, dtype=int), len(kinds)
        return m


def _patterns(observed: np.ndarray):
    """(mask of observed columns, row indices) for each distinct pattern of blanks."""
    keys = observed @ (1 << np.arange(observed.shape[1]))
    for key in np.unique(keys):
        rows = np.flatnonzero(keys == key)
        yield observed[rows[0]], rows


# ---- from customer features to the model, and the number of components
#: The kind of each customer feature (core.segments.features.NUMERIC_FEATURES).
FEATURE_KINDS = {"frequency": "count", "sessions_90d": "count", "email_opens_90d": "count",
                 "email_clicks_90d": "count", "social_engagements_90d": "count", "monetary": "positive",
                 "recency_days": "positive", "tenure_days": "positive", "age": "normal"}
#: "bic" or "icl": the criterion that picks the number of components.
CRITERION = "bic"
#: Number of components: "lowest" criterion, or "plateau" (core.segments.selection.pick_components:
#: the segment count most component counts near the lowest BIC merge into).
K_RULE = "plateau"


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
DERIVED: tuple[str, ...] = ("spend_per_order", "active_days")


def model_matrix(features, columns: list[str]) -> np.ndarray:
    """The raw feature columns the latent class model reads (blanks NaN), :data:`DERIVED` applied."""
    f = features.reindex(columns=columns).astype(float)
    if "spend_per_order" in DERIVED and {"monetary", "frequency"} <= set(columns):
        f["monetary"] = f["monetary"] / f["frequency"].where(f["frequency"] > 0)
    if "active_days" in DERIVED and {"tenure_days", "recency_days"} <= set(columns):
        f["tenure_days"] = (f["tenure_days"] - f["recency_days"]).clip(lower=0)
    return f.to_numpy(dtype=float)


#: Model the money, days and age fields jointly (one Gaussian block) instead of independently.
BLOCK_CONTINUOUS = False


def default_block(kinds: tuple[str, ...]) -> tuple[int, ...]:
    """The columns of the one correlated block (:data:`BLOCK_CONTINUOUS`): every non-count field."""
    block = tuple(j for j, kind in enumerate(kinds) if kind != "count")
    return block if BLOCK_CONTINUOUS and len(block) > 1 else ()


#: Let the count fields share a gamma frailty per customer (a negative multinomial) instead of
#: being independent.
FRAILTY_COUNTS = False


def default_frailty(kinds: tuple[str, ...]) -> tuple[int, ...]:
    """The count columns that share a frailty (:data:`FRAILTY_COUNTS`): every count field."""
    counts = tuple(j for j, kind in enumerate(kinds) if kind == "count")
    return counts if FRAILTY_COUNTS and len(counts) > 1 else ()


def criterion_curve(X: np.ndarray, kinds: tuple[str, ...], ks, *, random_state: int = 0) -> list[dict]:
    """BIC and ICL of a latent class model for each k (lower is better); ``score`` is :data:`CRITERION`."""
    rows = []
    for k in ks:
        m = LatentClassMixture(k, kinds=kinds, block=default_block(kinds), frailty=default_frailty(kinds),
                               random_state=random_state).fit(X)
        bic, icl = m.bic(X), m.icl(X)
        merged = merge_components(m.predict_proba(X), MERGE_ENTROPY) if MERGE and k > 1 else np.arange(k)
        rows.append({"k": int(k), "score": bic if CRITERION == "bic" else icl, "metric": CRITERION,
                     "bic": bic, "icl": icl, "segments": int(merged.max()) + 1, "n": len(X)})
    return rows
#: Merge overlapping components after the criterion's pick (core.segments.selection.merge_components),
#: while a merger removes at least MERGE_ENTROPY of classification entropy per customer.
MERGE = True
MERGE_ENTROPY = 0.1
