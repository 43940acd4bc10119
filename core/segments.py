"""Customer segments: RFM and engagement features, clustering, profiles and plain-English names.

Pure functions first (features, profiles, names, projections), the
:class:`SegmentModel` estimator on top, then the workspace glue (incremental
updates, history, the ``python -m core segment`` handler).

Features come from the contract ``customers`` table: recency (days since the last
purchase, relative to the latest date in the data), frequency (``orders``),
monetary value (``total_spent``), the four engagement counts, tenure, age and the
first-touch channel. Money and counts are ``log1p``-transformed, everything is
standardised and the channel is one-hot encoded, in one scikit-learn pipeline.
Recency, frequency and money drive the segments; the other features are
down-weighted so that they refine rather than dominate them.

Examples
--------
>>> customers = synthetic_customers(600, random_state=1)[0]
>>> model = SegmentModel(k="auto", random_state=0).fit(customers)
>>> model.k_
4
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import HDBSCAN, KMeans, MiniBatchKMeans
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from core.errors import BadInputError, NotEnoughDataError

METHODS = ("kmeans", "gmm", "dbscan")
FORMAT_VERSION = 1

LOG_FEATURES = ("frequency", "monetary", "sessions_90d", "email_opens_90d", "email_clicks_90d",
                "social_engagements_90d")
LINEAR_FEATURES = ("recency_days", "tenure_days", "age")
CATEGORICAL_FEATURES = ("channel",)
ENGAGEMENT = ("sessions_90d", "email_opens_90d", "email_clicks_90d", "social_engagements_90d")

#: How much each feature counts in the distance: RFM drives, the rest refines.
WEIGHTS: dict[str, float] = {
    "recency_days": 1.0, "frequency": 1.0, "monetary": 1.0,
    "sessions_90d": 0.5, "email_opens_90d": 0.5, "email_clicks_90d": 0.5, "social_engagements_90d": 0.5,
    "tenure_days": 0.5, "age": 0.5, "channel": 0.5,
}

NOISE = -1
MIN_CUSTOMERS = 10
SAMPLE_FOR_SELECTION = 4000
SAMPLE_FOR_SILHOUETTE = 2000
#: Variance floor of mixture components (features are standardised): without it, discrete
#: features (order counts, one-hot channel) give degenerate components that BIC rewards.
GMM_VARIANCE_FLOOR = 0.05


# ------------------------------------------------------------------ features


def customer_features(customers: pd.DataFrame, *, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row of model features per customer, indexed by ``customer_id``.

    Parameters
    ----------
    customers : DataFrame
        Contract ``customers`` records (``customer_id``, ``orders`` and ``total_spent`` required).
    as_of : Timestamp, optional
        The day recency and tenure are measured from; default the latest
        ``last_purchase``/``first_seen`` in the data.

    Returns
    -------
    DataFrame
        Columns ``recency_days, frequency, monetary, <engagement counts>, tenure_days, age, channel``.
        Missing optional fields are NaN (the pipeline imputes or drops them).
    """
    for col in ("customer_id", "orders", "total_spent"):
        if col not in customers.columns:
            raise BadInputError(f"customers need a '{col}' column.", "Missing customer field")
    c = customers
    n = len(c)

    def num(col: str) -> pd.Series:
        if col not in c.columns:
            return pd.Series(np.nan, index=c.index, dtype=float)
        return pd.to_numeric(c[col], errors="coerce").astype(float)

    def day(col: str) -> pd.Series:
        if col not in c.columns:
            return pd.Series(pd.NaT, index=c.index, dtype="datetime64[us]")
        return pd.to_datetime(c[col], errors="coerce")

    last, first = day("last_purchase"), day("first_seen")
    if as_of is None:
        latest = pd.concat([last, first]).max()
        as_of = latest if pd.notna(latest) else pd.Timestamp.now().normalize()
    as_of = pd.Timestamp(as_of)
    recency = (as_of - last).dt.days.astype(float)
    tenure = (as_of - first).dt.days.astype(float)
    # Never bought (no last purchase): as lapsed as their tenure, else as the most lapsed.
    never = recency.isna()
    if never.any():
        worst = float(np.nanmax(recency.to_numpy())) if recency.notna().any() else np.nan
        recency = recency.where(~never, tenure.where(tenure.notna(), worst))
    channel = (c["channel"].astype("str").str.strip().str.lower() if "channel" in c.columns
               else pd.Series(np.nan, index=c.index, dtype="str"))
    channel = channel.where(~channel.isin(["", "nan", "none", "<na>"]), np.nan)
    out = pd.DataFrame({
        "recency_days": recency.clip(lower=0).to_numpy(),
        "frequency": num("orders").clip(lower=0).to_numpy(),
        "monetary": num("total_spent").clip(lower=0).to_numpy(),
        **{e: num(e).clip(lower=0).to_numpy() for e in ENGAGEMENT},
        "tenure_days": tenure.clip(lower=0).to_numpy(),
        "age": num("age").to_numpy(),
        "channel": channel.to_numpy(dtype=object),
    }, index=pd.Index(c["customer_id"].astype(str).to_numpy(), name="customer_id"))
    assert len(out) == n
    return out


def _scale(X: np.ndarray, *, w: np.ndarray) -> np.ndarray:
    return np.asarray(X, dtype=float) * w


def usable_features(features: pd.DataFrame) -> list[str]:
    """Feature columns with information: not all missing and not constant."""
    keep = []
    for col in features.columns:
        s = features[col].dropna()
        if len(s) and s.nunique() > 1:
            keep.append(col)
    return keep


def build_pipeline(columns: list[str]) -> ColumnTransformer:
    """log1p for money and counts, scaling, one-hot for the channel, then feature weights."""
    log_cols = [c for c in LOG_FEATURES if c in columns]
    lin_cols = [c for c in LINEAR_FEATURES if c in columns]
    cat_cols = [c for c in CATEGORICAL_FEATURES if c in columns]
    parts = []
    if log_cols:
        parts.append(("log", Pipeline([
            ("impute", SimpleImputer(strategy="median")),
            ("log1p", FunctionTransformer(np.log1p, feature_names_out="one-to-one")),
            ("scale", StandardScaler()),
            ("weight", FunctionTransformer(partial(_scale, w=np.array([WEIGHTS[c] for c in log_cols])),
                                           feature_names_out="one-to-one")),
        ]), log_cols))
    if lin_cols:
        parts.append(("linear", Pipeline([
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
            ("weight", FunctionTransformer(partial(_scale, w=np.array([WEIGHTS[c] for c in lin_cols])),
                                           feature_names_out="one-to-one")),
        ]), lin_cols))
    if cat_cols:
        parts.append(("channel", Pipeline([
            ("impute", SimpleImputer(strategy="constant", fill_value="unknown")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False, min_frequency=0.01)),
            ("weight", FunctionTransformer(partial(_scale, w=WEIGHTS["channel"]), feature_names_out="one-to-one")),
        ]), cat_cols))
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)


# ------------------------------------------------------------------ choosing k


def _sample_index(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    return np.arange(n) if n <= size else np.sort(rng.choice(n, size=size, replace=False))


def silhouette_curve(X: np.ndarray, ks: range, *, random_state: int = 0) -> pd.DataFrame:
    """Silhouette (and inertia) of k-means for each k, on a sample of ``X``."""
    rng = np.random.default_rng(random_state)
    Xs = X[_sample_index(len(X), SAMPLE_FOR_SELECTION, rng)]
    rows = []
    for k in ks:
        km = KMeans(n_clusters=k, n_init=2, random_state=random_state).fit(Xs)
        sil = silhouette_score(Xs, km.labels_, sample_size=min(SAMPLE_FOR_SILHOUETTE, len(Xs)),
                               random_state=random_state)
        rows.append({"k": k, "score": float(sil), "metric": "silhouette", "inertia": float(km.inertia_)})
    return pd.DataFrame(rows)


def bic_curve(X: np.ndarray, ks: range, *, random_state: int = 0) -> pd.DataFrame:
    """BIC of a full-covariance Gaussian mixture for each k, on a sample of ``X`` (lower is better)."""
    rng = np.random.default_rng(random_state)
    Xs = X[_sample_index(len(X), SAMPLE_FOR_SELECTION, rng)]
    rows = []
    for k in ks:
        gm = GaussianMixture(n_components=k, covariance_type="full", n_init=1, reg_covar=GMM_VARIANCE_FLOOR,
                             random_state=random_state).fit(Xs)
        rows.append({"k": k, "score": float(gm.bic(Xs)), "metric": "bic"})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ profiles and names


def _transformed_for_z(features: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    t = features[cols].astype(float).copy()
    for c in cols:
        if c in LOG_FEATURES:
            t[c] = np.log1p(t[c])
    return t


def profile_segments(features: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Size, medians and z-scores (segment mean vs overall, on the model's scale) per segment.

    Returns one row per segment with columns ``segment, size, share, median_<f>, z_<f>``
    for every numeric feature with data, plus ``top_channel`` and ``top_channel_share``.
    """
    labels = np.asarray(labels)
    num_cols = [c for c in features.columns if c != "channel" and features[c].notna().any()]
    t = _transformed_for_z(features, num_cols)
    mu, sd = t.mean(), t.std(ddof=0).replace(0, np.nan)
    rows = []
    for seg in sorted(set(labels.tolist())):
        mask = labels == seg
        row: dict[str, Any] = {"segment": int(seg), "size": int(mask.sum()), "share": float(mask.mean())}
        for c in num_cols:
            row[f"median_{c}"] = float(features.loc[mask, c].median())
        for c in num_cols:
            z = (t.loc[mask, c].mean() - mu[c]) / sd[c]
            row[f"z_{c}"] = 0.0 if pd.isna(z) else float(z)
        ch = features.loc[mask, "channel"].dropna() if "channel" in features else pd.Series(dtype=object)
        if len(ch):
            top = ch.value_counts(normalize=True)
            row["top_channel"], row["top_channel_share"] = str(top.index[0]), float(top.iloc[0])
        else:
            row["top_channel"], row["top_channel_share"] = None, np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _z(row: pd.Series, name: str) -> float:
    v = row.get(f"z_{name}", 0.0)
    return 0.0 if v is None or pd.isna(v) else float(v)


def _engagement_z(row: pd.Series) -> float:
    zs = [_z(row, e) for e in ENGAGEMENT if f"z_{e}" in row.index]
    return float(np.mean(zs)) if zs else 0.0


def _base_name(row: pd.Series) -> str:
    """The core of a segment's name from its strongest RFM traits."""
    if row.get("segment") == NOISE:
        return "unassigned (outliers)"
    value, freq, rec = _z(row, "monetary"), _z(row, "frequency"), _z(row, "recency_days")
    new, eng = -_z(row, "tenure_days"), _engagement_z(row)
    one_off = row.get("median_frequency", 2.0) <= 1.0
    if row.get("median_frequency", 2.0) == 0 and row.get("median_monetary", 1.0) == 0:
        return "engaged prospects (no purchase yet)" if eng >= 0.3 else "prospects (no purchase yet)"
    if rec >= 0.5:
        if value >= 0.5:
            return "lapsed big spenders"
        if one_off:
            return "lapsed one-off buyers"
        return "lapsed customers" if value > -0.5 else "lapsed low spenders"
    if value >= 0.5 and freq >= 0.5:
        return "high-value loyal"
    if value >= 0.5:
        return "big spenders"
    if new >= 0.5 and rec <= 0.0 and freq < 0.5:
        return "new and engaged" if eng >= 0.3 else "new customers"
    if one_off:
        return "one-off bargain hunters" if value <= -0.3 else "one-off buyers"
    if freq >= 0.5:
        return "loyal regulars"
    if eng >= 0.5:
        return "engaged browsers"
    if value <= -0.5:
        return "recent low spenders" if rec <= -0.5 else "low spenders"
    return "steady mid-value"


_TRAITS = {"monetary": ("higher spend", "lower spend"), "frequency": ("more orders", "fewer orders"),
           "recency_days": ("less recent", "more recent"), "tenure_days": ("longer-standing", "newer"),
           "age": ("older", "younger"), "engagement": ("more engaged", "less engaged")}


def _trait_z(row: pd.Series, trait: str) -> float:
    return _engagement_z(row) if trait == "engagement" else _z(row, trait)


def _qualifiers(row: pd.Series) -> list[str]:
    """The segment's traits against everyone, strongest first (for profiles)."""
    cands = [(abs(_trait_z(row, t)), hi if _trait_z(row, t) > 0 else lo) for t, (hi, lo) in _TRAITS.items()
             if abs(_trait_z(row, t)) >= 0.15]
    ch, share = row.get("top_channel"), row.get("top_channel_share")
    if ch and share is not None and not pd.isna(share) and share >= 0.5:
        cands.append((float(share), f"mostly {ch}"))
    return [t for _, t in sorted(cands, key=lambda p: -p[0])]


def _relative_qualifiers(row: pd.Series, siblings: list[pd.Series]) -> list[str]:
    """How a segment differs from the segments that share its name, biggest difference first."""
    cands = []
    for t, (hi, lo) in _TRAITS.items():
        delta = _trait_z(row, t) - float(np.mean([_trait_z(s, t) for s in siblings]))
        if abs(delta) >= 0.05:
            cands.append((abs(delta), hi if delta > 0 else lo))
    ch = row.get("top_channel")
    if ch and (row.get("top_channel_share") or 0) >= 0.4 and all(s.get("top_channel") != ch for s in siblings):
        cands.append((0.1, f"mostly {ch}"))
    return [t for _, t in sorted(cands, key=lambda p: -p[0])]


def name_segments(profiles: pd.DataFrame) -> dict[int, str]:
    """A plain-English, unique name per segment, read off its profile.

    The core name comes from the strongest recency/frequency/value traits
    ("high-value loyal", "lapsed big spenders", "new and engaged", "one-off bargain
    hunters", "prospects (no purchase yet)"...). Segments whose names collide get the trait that sets each apart
    from the others of that name appended ("..., more orders" / "..., fewer orders"),
    until every name is unique.
    """
    rows = {int(r["segment"]): r for _, r in profiles.iterrows()}
    names = {s: _base_name(r) for s, r in rows.items()}
    for _ in range(6):
        groups: dict[str, list[int]] = {}
        for s, n in names.items():
            groups.setdefault(n, []).append(s)
        clashes = [g for g in groups.values() if len(g) > 1]
        if not clashes:
            break
        for group in clashes:
            for s in group:
                sibs = [rows[o] for o in group if o != s]
                extra = [q for q in _relative_qualifiers(rows[s], sibs) if q not in names[s]]
                if extra:
                    names[s] = f"{names[s]}, {extra[0]}"
    counts = pd.Series(names).value_counts()
    seen: dict[str, int] = {}
    for s in sorted(names, key=lambda s: -int(rows[s]["size"])):
        n = names[s]
        if counts[n] > 1:
            seen[n] = seen.get(n, 0) + 1
            names[s] = f"{n} ({seen[n]})" if seen[n] > 1 else n
    return names


def segment_table(profiles: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """Profiles with names, in a readable order (largest segment first)."""
    out = profiles.copy()
    out.insert(1, "name", out["segment"].map(names))
    return out.sort_values("size", ascending=False).reset_index(drop=True)


# ------------------------------------------------------------------ the estimator


class SegmentModel(ClusterMixin, BaseEstimator):
    """Customer segmentation with k-means, a Gaussian mixture or HDBSCAN.

    Parameters
    ----------
    k : int or "auto"
        Number of segments; ``"auto"`` picks it by silhouette (k-means) or BIC
        (Gaussian mixture). HDBSCAN finds its own number.
    method : {"kmeans", "gmm", "dbscan"}
    k_range : tuple of int
        The smallest and largest k tried when ``k="auto"``.
    n_threads : int or None
        OpenMP/BLAS threads for the fits (None: the libraries' default, all cores).
    random_state : int

    Attributes
    ----------
    k_ : int
        Number of segments found (noise excluded).
    labels_ : ndarray
        Segment of each training customer (``-1``: HDBSCAN noise).
    curve_ : DataFrame
        The selection curve (k, score, metric), empty when k was given.
    profiles_ : DataFrame
        :func:`profile_segments` of the training data.
    names_ : dict
        Segment -> plain-English name.
    silhouette_ : float
        Silhouette of the segmentation (on a sample, noise excluded).

    Examples
    --------
    >>> customers, truth = synthetic_customers(800, random_state=3)
    >>> model = SegmentModel(method="kmeans", random_state=0).fit(customers)
    >>> len(set(model.predict(customers))) == model.k_
    True
    """

    def __init__(self, *, k: int | str = "auto", method: str = "kmeans", k_range: tuple[int, int] = (2, 8),
                 n_threads: int | None = 1, random_state: int = 0) -> None:
        self.k = k
        self.method = method
        self.k_range = k_range
        self.n_threads = n_threads
        self.random_state = random_state

    def _threads(self):
        """Cap OpenMP/BLAS threads: these fits are small, and on a busy shared server
        extra threads spin and make them several times slower (measured in bench/segments.py)."""
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=self.n_threads)

    # ---- helpers
    def _check_params(self, n: int) -> None:
        if self.method not in METHODS:
            raise BadInputError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}.")
        if self.k != "auto":
            try:
                k = int(self.k)
            except (TypeError, ValueError):
                raise BadInputError(f"k must be a whole number or 'auto', not {self.k!r}.") from None
            if k < 1:
                raise BadInputError(f"k must be at least 1, not {k}.")
            if k > n:
                raise BadInputError(f"k={k} is more than the {n} customers in the data.")

    def transform(self, customers: pd.DataFrame) -> np.ndarray:
        """The customers in the model's feature space (weighted, scaled)."""
        check_is_fitted(self, "pipeline_")
        feats = customer_features(customers, as_of=self.as_of_)
        return self.pipeline_.transform(feats[self.columns_])

    def fit(self, customers: pd.DataFrame, y: Any = None) -> "SegmentModel":
        """Build features, choose k if asked, cluster, profile and name the segments."""
        with self._threads():
            return self._fit(customers)

    def _fit(self, customers: pd.DataFrame) -> "SegmentModel":
        n = len(customers)
        self._check_params(n)
        if n < MIN_CUSTOMERS:
            raise NotEnoughDataError(f"Segmenting needs at least {MIN_CUSTOMERS} customers; the data has {n}.")
        feats = customer_features(customers)
        latest = pd.concat([pd.to_datetime(customers.get("last_purchase", pd.Series(dtype="datetime64[us]"))),
                            pd.to_datetime(customers.get("first_seen", pd.Series(dtype="datetime64[us]")))]).max()
        self.as_of_ = latest if pd.notna(latest) else None
        self.columns_ = usable_features(feats)
        if not self.columns_:
            raise NotEnoughDataError("Every customer looks the same (no feature varies): nothing to segment.")
        self.pipeline_ = build_pipeline(self.columns_).fit(feats[self.columns_])
        X = self.pipeline_.transform(feats[self.columns_])
        lo, hi = self.k_range
        ks = range(max(2, lo), max(2, min(hi, n // 5)) + 1)
        self.curve_ = pd.DataFrame(columns=["k", "score", "metric"])
        rs = self.random_state
        if self.method == "kmeans":
            if self.k == "auto":
                self.curve_ = silhouette_curve(X, ks, random_state=rs)
                k = int(self.curve_.loc[self.curve_["score"].idxmax(), "k"])
            else:
                k = int(self.k)
            km = KMeans(n_clusters=k, n_init=3, random_state=rs).fit(X)
            # The live model learns incrementally: MiniBatchKMeans seeded with the converged
            # centres; one pass over the data sets its per-centre counts.
            self.model_ = MiniBatchKMeans(n_clusters=k, init=km.cluster_centers_, n_init=1,
                                          batch_size=4096, random_state=rs)
            self.model_.partial_fit(X)
            raw = self.model_.predict(X)
        elif self.method == "gmm":
            if self.k == "auto":
                self.curve_ = bic_curve(X, ks, random_state=rs)
                k = int(self.curve_.loc[self.curve_["score"].idxmin(), "k"])
            else:
                k = int(self.k)
            rng = np.random.default_rng(rs)
            idx = _sample_index(len(X), 20000, rng)
            self.model_ = GaussianMixture(n_components=k, covariance_type="full", n_init=2, reg_covar=GMM_VARIANCE_FLOOR,
                                          random_state=rs).fit(X[idx])
            raw = self.model_.predict(X)
        else:
            raw = self._fit_hdbscan(X)
        self._set_order(raw)
        self.labels_ = self._map(raw)
        self.k_ = int(len(set(self.labels_.tolist()) - {NOISE}))
        self.n_features_in_ = len(self.columns_)
        self.silhouette_ = _silhouette(X, self.labels_, rs)
        self.profiles_ = profile_segments(feats, self.labels_)
        self.names_ = name_segments(self.profiles_)
        self.n_seen_ = n
        self.n_updates_ = 0
        return self

    def _fit_hdbscan(self, X: np.ndarray) -> np.ndarray:
        """HDBSCAN on a sample; the rest join the cluster of their nearest clustered neighbour."""
        rng = np.random.default_rng(self.random_state)
        idx = _sample_index(len(X), SAMPLE_FOR_SELECTION, rng)
        Xs = X[idx]
        min_size = max(5, len(Xs) // 40)
        labels = HDBSCAN(min_cluster_size=min_size, min_samples=min(10, min_size), copy=True).fit_predict(Xs)
        if (labels >= 0).sum() == 0:
            raise NotEnoughDataError("HDBSCAN found no dense groups in these customers; try k-means.")
        core = labels >= 0
        self.nn_ = NearestNeighbors(n_neighbors=1).fit(Xs[core])
        self.nn_labels_ = labels[core]
        d, _ = self.nn_.kneighbors(Xs[core], n_neighbors=min(2, int(core.sum())))
        # Farther than almost every clustered point is from its neighbour: noise.
        self.noise_radius_ = float(np.quantile(d[:, -1], 0.99)) * 1.5 + 1e-9
        return self._hdbscan_assign(X)

    def _hdbscan_assign(self, X: np.ndarray) -> np.ndarray:
        d, j = self.nn_.kneighbors(X, n_neighbors=1)
        out = self.nn_labels_[j[:, 0]].copy()
        out[d[:, 0] > self.noise_radius_] = NOISE
        return out

    def _set_order(self, raw: np.ndarray) -> None:
        """Renumber segments by size, largest first (noise stays -1)."""
        vals, counts = np.unique(raw[raw != NOISE], return_counts=True)
        order = vals[np.argsort(-counts, kind="stable")]
        self.order_ = {int(v): i for i, v in enumerate(order)}

    def _map(self, raw: np.ndarray) -> np.ndarray:
        return np.array([self.order_.get(int(r), NOISE) for r in raw], dtype=int)

    def _predict_X(self, X: np.ndarray) -> np.ndarray:
        if self.method == "dbscan":
            return self._map(self._hdbscan_assign(X))
        return self._map(self.model_.predict(X))

    def predict(self, customers: pd.DataFrame) -> np.ndarray:
        """Assign customers to the existing segments (no refit)."""
        check_is_fitted(self, "model_" if self.method != "dbscan" else "nn_")
        with self._threads():
            return self._predict_X(self.transform(customers))

    def partial_fit(self, customers: pd.DataFrame) -> "SegmentModel":
        """Learn from newly arrived customers without reclustering everything.

        k-means moves its centres with ``MiniBatchKMeans.partial_fit`` (each centre
        weighted by the customers it already holds); the mixture and HDBSCAN keep
        their clusters and only assign. Segment numbers and names stay stable.
        """
        check_is_fitted(self, "pipeline_")
        if len(customers) == 0:
            return self
        if self.method == "kmeans":
            with self._threads():
                self.model_.partial_fit(self.transform(customers))
        self.n_seen_ += len(customers)
        self.n_updates_ += 1
        return self

    def projection(self, customers: pd.DataFrame, labels: np.ndarray | None = None, *,
                   max_points: int = 5000) -> pd.DataFrame:
        """A 2-D PCA map of customers (a sample of at most ``max_points``), with their segment."""
        check_is_fitted(self, "pipeline_")
        X = self.transform(customers)
        labels = self._predict_X(X) if labels is None else np.asarray(labels)
        rng = np.random.default_rng(self.random_state)
        idx = _sample_index(len(X), max_points, rng)
        dims = min(2, X.shape[1])
        pcs = PCA(n_components=dims, random_state=self.random_state).fit_transform(X[idx])
        if dims < 2:
            pcs = np.column_stack([pcs, np.zeros(len(pcs))])
        ids = customers["customer_id"].astype(str).to_numpy()[idx]
        seg = labels[idx]
        return pd.DataFrame({"customer_id": ids, "pc1": pcs[:, 0], "pc2": pcs[:, 1], "segment": seg,
                             "name": [self.names_.get(int(s), "unassigned (outliers)") for s in seg]})

    def segments(self) -> pd.DataFrame:
        """The named segment table of the training data."""
        check_is_fitted(self, "profiles_")
        return segment_table(self.profiles_, self.names_)

    def params(self) -> dict[str, Any]:
        return {"k": self.k, "method": self.method, "k_range": list(self.k_range),
                "random_state": self.random_state}


def _silhouette(X: np.ndarray, labels: np.ndarray, random_state: int) -> float:
    mask = labels != NOISE
    if len(set(labels[mask].tolist())) < 2:
        return float("nan")
    rng = np.random.default_rng(random_state)
    idx = np.flatnonzero(mask)
    if len(idx) > SAMPLE_FOR_SILHOUETTE * 2:
        idx = np.sort(rng.choice(idx, SAMPLE_FOR_SILHOUETTE * 2, replace=False))
    return float(silhouette_score(X[idx], labels[idx]))


# ------------------------------------------------------------------ results and exports


def assignments_frame(customers: pd.DataFrame, labels: np.ndarray, names: dict[int, str]) -> pd.DataFrame:
    """customer_id, segment, name for every customer."""
    labels = np.asarray(labels, dtype=int)
    return pd.DataFrame({"customer_id": customers["customer_id"].astype(str).to_numpy(), "segment": labels,
                         "name": [names.get(int(s), "unassigned (outliers)") for s in labels]})


def audience(customers: pd.DataFrame, assignments: pd.DataFrame, segment: int) -> pd.DataFrame:
    """The customers of one segment, with their contract fields: an audience to upload or mail."""
    members = assignments.loc[assignments["segment"] == int(segment), ["customer_id", "segment", "name"]]
    out = members.merge(customers.assign(customer_id=customers["customer_id"].astype(str)), on="customer_id",
                        how="left")
    return out.rename(columns={"name": "segment_name"})


def result_payload(model: SegmentModel, customers: pd.DataFrame, labels: np.ndarray) -> dict[str, Any]:
    """The ``python -m core segment`` JSON shape (CLI.md)."""
    table = model.segments()
    segs = []
    for _, r in table.iterrows():
        medians = {k.removeprefix("median_"): r[k] for k in table.columns if k.startswith("median_")}
        zs = {k.removeprefix("z_"): round(float(r[k]), 3) for k in table.columns if k.startswith("z_")}
        segs.append({"segment": int(r["segment"]), "size": int(r["size"]), "name": r["name"],
                     "profile": {"share": round(float(r["share"]), 4), "medians": medians, "z": zs,
                                 "top_channel": r.get("top_channel"),
                                 "distinctive": _qualifiers(r)[:3]}})
    assignments = [{"customer_id": c, "segment": int(s)}
                   for c, s in zip(customers["customer_id"].astype(str).tolist(), np.asarray(labels).tolist())]
    return {"k": int(model.k_), "method": model.method, "assignments": assignments, "segments": segs,
            "quality": {"silhouette": None if np.isnan(model.silhouette_) else round(model.silhouette_, 4)},
            "curve": model.curve_[["k", "score", "metric"]].to_dict(orient="records")}


def run_segment(args: Any, ctx: Any) -> dict[str, Any]:
    """``python -m core segment --data PATH [--k N|auto] [--method kmeans|gmm|dbscan]``."""
    k: int | str = str(getattr(args, "k", "auto") or "auto").strip().lower()
    if k != "auto":
        try:
            k = int(k)
        except ValueError:
            raise BadInputError(f"--k must be a whole number or 'auto', not {args.k!r}.") from None
    customers = ctx.warehouse().customers()
    if customers.empty:
        raise NotEnoughDataError("There are no customers in the data: give --data a file with customers.")
    model = SegmentModel(k=k, method=args.method, random_state=0).fit(customers)
    return result_payload(model, customers, model.labels_)


# ------------------------------------------------------------------ persistence and incremental runs


def save_model(model: SegmentModel, directory: Path, *, data_version: int) -> dict[str, Any]:
    """Write the model and its passport (meta.json) under ``directory``."""
    import joblib
    import sklearn

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    meta = {"model": "SegmentModel", "format": FORMAT_VERSION, "sklearn": sklearn.__version__,
            "params": model.params(), "data_version": int(data_version), "k": int(model.k_),
            "id": uuid.uuid4().hex[:12], "saved_at": datetime.now(timezone.utc).isoformat()}
    joblib.dump(model, directory / "model.joblib")
    (directory / "meta.json").write_text(json.dumps(meta, indent=1))
    return meta


def load_model(directory: Path) -> tuple[SegmentModel, dict[str, Any]] | None:
    """The saved model, or None when there is none or its passport does not match this version."""
    import joblib
    import sklearn

    directory = Path(directory)
    try:
        meta = json.loads((directory / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    if meta.get("model") != "SegmentModel" or meta.get("format") != FORMAT_VERSION \
            or meta.get("sklearn") != sklearn.__version__:
        return None
    try:
        return joblib.load(directory / "model.joblib"), meta
    except Exception:  # a corrupt or foreign file: refit rather than fail
        return None


@dataclass
class SegmentRun:
    """What one refresh did."""

    model: SegmentModel
    assignments: pd.DataFrame
    kind: str  # "full" | "incremental" | "unchanged"
    new_customers: int = 0
    run_id: str = ""
    notes: list[str] = field(default_factory=list)


def refresh_segments(wh: Any, model_dir: Path, *, k: int | str = "auto", method: str = "kmeans",
                     full: bool = False, random_state: int = 0) -> SegmentRun:
    """Keep the workspace's segments current.

    The first run (or ``full=True``, or changed settings) clusters everyone. Later
    runs assign only customers that arrived since, update the model with
    :meth:`SegmentModel.partial_fit`, and record segment sizes in
    ``segments_history`` so the page can show how they move across ingests.
    """
    customers = wh.customers()
    if customers.empty:
        raise NotEnoughDataError("There are no customers in the workspace yet.")
    customers = customers.assign(customer_id=customers["customer_id"].astype(str))
    loaded = None if full else load_model(model_dir)
    stored = wh.load_state("segments_assignments")
    if loaded is not None:
        model, meta = loaded
        same = model.params() == SegmentModel(k=k, method=method, random_state=random_state).params()
        if not same or stored.empty:
            loaded = None
    run_id = uuid.uuid4().hex[:12]
    now = datetime.now(timezone.utc)
    if loaded is None:
        model = SegmentModel(k=k, method=method, random_state=random_state).fit(customers)
        assign = assignments_frame(customers, model.labels_, model.names_)
        kind, n_new = "full", len(customers)
        wh.save_state("segments_assignments", assign.assign(run_id=run_id, assigned_at=now), replace_all=True)
    else:
        model, _ = loaded
        known = set(stored["customer_id"].astype(str))
        fresh = customers[~customers["customer_id"].isin(known)]
        n_new = len(fresh)
        if n_new == 0:
            current = stored[stored["customer_id"].isin(set(customers["customer_id"]))]
            return SegmentRun(model, current[["customer_id", "segment", "name"]].reset_index(drop=True),
                              "unchanged", 0, str(stored["run_id"].iloc[-1]))
        model.partial_fit(fresh)
        new_assign = assignments_frame(fresh, model.predict(fresh), model.names_)
        wh.save_state("segments_assignments", new_assign.assign(run_id=run_id, assigned_at=now),
                      keys=["customer_id"])
        kind = "incremental"
        assign = wh.load_state("segments_assignments")[["customer_id", "segment", "name"]]
    save_model(model, model_dir, data_version=wh.data_version)
    sizes = assign.groupby(["segment", "name"], as_index=False).size()
    wh.save_state("segments_history", sizes.assign(run_id=run_id, at=now, kind=kind, method=model.method,
                                                   new_customers=n_new, total=len(assign)),
                  keys=["run_id", "segment"])
    notes = []
    if kind == "incremental" and model.method != "kmeans":
        notes.append("Only k-means learns incrementally; new customers were assigned to the existing segments.")
    return SegmentRun(model, assign.reset_index(drop=True), kind, n_new, run_id, notes)


def current_view(customers: pd.DataFrame, run: SegmentRun, *,
                 max_points: int = 5000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The named segment table and the 2-D map of the current assignments.

    After incremental updates the assignments differ from the training labels, so the
    profiles are recomputed here; the names stay those the model gave its segments.
    """
    ids = customers["customer_id"].astype(str)
    current = run.assignments.assign(customer_id=run.assignments["customer_id"].astype(str))
    seg = ids.map(current.set_index("customer_id")["segment"])
    if seg.isna().any():  # not yet assigned (should not happen after a refresh): ask the model
        missing = seg.isna().to_numpy()
        seg[missing] = run.model.predict(customers[missing])
    labels = seg.astype(int).to_numpy()
    table = segment_table(profile_segments(customer_features(customers), labels), run.model.names_)
    return table, run.model.projection(customers, labels, max_points=max_points)


def size_history(wh: Any) -> pd.DataFrame:
    """Segment sizes per run (oldest first): run_id, at, kind, segment, name, size."""
    hist = wh.load_state("segments_history")
    if hist.empty:
        return hist
    return hist.sort_values(["at", "segment"]).reset_index(drop=True)


# ------------------------------------------------------------------ real and synthetic data in contract shape


def synthetic_customers(n: int, *, groups: int = 4, random_state: int = 0,
                        as_of: str = "2025-06-30") -> tuple[pd.DataFrame, np.ndarray]:
    """Contract-shaped customers drawn from ``groups`` well-separated RFM groups, with the truth.

    The groups differ in recency, orders and spend (the engagement counts follow
    the group loosely, age and channel are noise). Used by tests and the benchmark.
    """
    rng = np.random.default_rng(random_state)
    # (recency days, orders, spend per order, engagement level)
    centres = [(10, 20, 120.0, 30), (300, 2, 40.0, 1), (20, 1, 15.0, 12), (200, 8, 400.0, 4),
               (60, 5, 60.0, 60), (400, 12, 30.0, 2)][:groups]
    truth = rng.integers(0, groups, size=n)
    rec_c, ord_c, aov_c, eng_c = (np.array([c[i] for c in centres], dtype=float) for i in range(4))
    recency = np.clip(rec_c[truth] * np.exp(rng.normal(0, 0.15, n)), 0, None).round()
    orders = np.maximum(1, np.round(ord_c[truth] * np.exp(rng.normal(0, 0.15, n))))
    spend = np.round(orders * aov_c[truth] * np.exp(rng.normal(0, 0.15, n)), 2)
    eng = eng_c[truth]
    end = pd.Timestamp(as_of)
    last = end - pd.to_timedelta(recency, unit="D")
    first = last - pd.to_timedelta(rng.integers(30, 900, n), unit="D")
    frame = pd.DataFrame({
        "customer_id": [f"c{random_state}-{i:07d}" for i in range(n)],
        "age": rng.integers(18, 80, n),
        "gender": rng.choice(["female", "male"], n),
        "location": rng.choice(["US", "GB", "DE"], n),
        "first_seen": first.strftime("%Y-%m-%d"),
        "last_purchase": last.strftime("%Y-%m-%d"),
        "orders": orders.astype(int),
        "total_spent": spend,
        "sessions_90d": rng.poisson(eng * 1.0),
        "email_opens_90d": rng.poisson(eng * 0.6),
        "email_clicks_90d": rng.poisson(eng * 0.2),
        "social_engagements_90d": rng.poisson(eng * 0.3),
        "channel": rng.choice(["google", "facebook", "email", "organic"], n),
    })
    return frame, truth


def customers_from_personality(frame: pd.DataFrame) -> pd.DataFrame:
    """The Kaggle "Customer Personality Analysis" table in the contract ``customers`` shape.

    ``orders`` = web + catalogue + store purchases; ``total_spent`` = the six
    ``Mnt*`` columns; ``last_purchase`` = the latest enrolment date minus
    ``Recency`` days; ``sessions_90d`` = 3 x monthly web visits; ``email_clicks_90d``
    = campaign offers accepted; ``channel`` = where most purchases happened.
    """
    f = frame.rename(columns=lambda c: str(c).strip().lstrip("\ufeff"))
    enrolled = pd.to_datetime(f["Dt_Customer"], errors="coerce", dayfirst=False)
    ref = enrolled.max()
    age = ref.year - pd.to_numeric(f["Year_Birth"], errors="coerce")
    mnt = [c for c in f.columns if c.startswith("Mnt")]
    buys = {"web": "NumWebPurchases", "catalog": "NumCatalogPurchases", "store": "NumStorePurchases"}
    per_channel = f[list(buys.values())].apply(pd.to_numeric, errors="coerce").fillna(0)
    accepted = [c for c in f.columns if c.startswith("AcceptedCmp")] + ["Response"]
    last = ref - pd.to_timedelta(pd.to_numeric(f["Recency"], errors="coerce"), unit="D")
    channel = per_channel.idxmax(axis=1).map({v: k for k, v in buys.items()})
    return pd.DataFrame({
        "customer_id": f["ID"].astype(str),
        "age": age.where((age >= 16) & (age <= 100)).astype("Int64"),
        "first_seen": enrolled.dt.strftime("%Y-%m-%d"),
        "last_purchase": last.dt.strftime("%Y-%m-%d"),
        "orders": per_channel.sum(axis=1).astype(int),
        "total_spent": f[mnt].apply(pd.to_numeric, errors="coerce").fillna(0).sum(axis=1).astype(float),
        "sessions_90d": (pd.to_numeric(f["NumWebVisitsMonth"], errors="coerce").fillna(0) * 3).astype(int),
        "email_clicks_90d": f[accepted].apply(pd.to_numeric, errors="coerce").fillna(0).sum(axis=1).astype(int),
        "channel": channel.where(per_channel.sum(axis=1) > 0),
    })


def customers_from_cdnow(transactions: pd.DataFrame) -> pd.DataFrame:
    """CDNOW purchase records (customer_id, date YYYYMMDD, number_of_cds, dollar_value) per customer.

    ``orders`` counts distinct purchase days; ``total_spent`` sums the dollars.
    """
    t = transactions.copy()
    t["day"] = pd.to_datetime(t["date"].astype(str), format="%Y%m%d")
    g = t.groupby(t["customer_id"].astype(str).str.zfill(5))
    out = pd.DataFrame({
        "first_seen": g["day"].min().dt.strftime("%Y-%m-%d"),
        "last_purchase": g["day"].max().dt.strftime("%Y-%m-%d"),
        "orders": g["day"].nunique().astype(int),
        "total_spent": g["dollar_value"].sum().round(2),
    })
    return out.reset_index(names="customer_id")


def read_cdnow(path: Path) -> pd.DataFrame:
    """The whitespace-separated CDNOW_master.txt."""
    return pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
