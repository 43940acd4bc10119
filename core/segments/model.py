"""The segmentation estimator: features, the number of segments, the clustering, profiles and names.

:class:`SegmentModel` composes :mod:`core.segments.features` (what a customer looks like
to the model), :mod:`core.segments.selection` (how many segments, how stable) and
:mod:`core.segments.naming` (what to call them). Its learned state is arrays and JSON,
so :mod:`core.segments.store` saves it through :mod:`core.registry` without pickle.

Examples
--------
>>> from core.segments.data import synthetic_customers
>>> customers = synthetic_customers(600, random_state=1)[0]
>>> model = SegmentModel(k="auto", random_state=0).fit(customers)
>>> model.k_
4
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import HDBSCAN, KMeans
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

from core.errors import BadInputError, NotEnoughDataError
from core.segments import latent_class, selection
from core.segments.features import FeatureTransform, customer_features, noise_features, usable_features
from core.segments.naming import NOISE, name_segments, profile_segments, segment_table
from core.segments.tmixture import StudentMixture

METHODS = ("gmm", "kmeans", "dbscan", "lca")
DEFAULT_METHOD = "gmm"
MIN_CUSTOMERS = 10
SAMPLE_FOR_FIT = 20000


class OnlineKMeans:
    """k-means centres that keep learning: each new customer moves its nearest centre by 1/count
    (the running mean of the customers it holds), so segments follow the base between full refits."""

    def __init__(self, centres: np.ndarray, counts: np.ndarray) -> None:
        self.cluster_centers_ = np.asarray(centres, dtype=float)
        self.counts_ = np.asarray(counts, dtype=float)

    @classmethod
    def fit(cls, X: np.ndarray, k: int, *, random_state: int = 0) -> "OnlineKMeans":
        km = KMeans(n_clusters=k, n_init=3, random_state=random_state).fit(X)
        return cls(km.cluster_centers_, np.bincount(km.labels_, minlength=k))

    def predict(self, X: np.ndarray) -> np.ndarray:
        d = ((X[:, None, :] - self.cluster_centers_[None, :, :]) ** 2).sum(axis=2)
        return d.argmin(axis=1)

    def partial_fit(self, X: np.ndarray) -> "OnlineKMeans":
        for j, x in zip(self.predict(X), X):
            self.counts_[j] += 1
            self.cluster_centers_[j] += (x - self.cluster_centers_[j]) / self.counts_[j]
        return self


class SegmentModel(ClusterMixin, BaseEstimator):
    """Customer segmentation with a Gaussian mixture (Student-t on request), k-means or HDBSCAN.

    Parameters
    ----------
    k : int or "auto"
        Number of segments; ``"auto"`` fits mixtures of 2-8 components
        (:data:`core.segments.selection.COVARIANCE`, :data:`~core.segments.selection.MIXTURE`) on the
        transformed features, merges the components that overlap, and takes the segment count that
        the component counts near the lowest BIC agree on (:func:`core.segments.selection.pick_components`;
        for the mixture and for k-means). HDBSCAN finds its own number.
    method : {"gmm", "kmeans", "dbscan", "lca"}
        The mixture (default) allows segments of different shapes and spreads, which
        customer groups have; k-means assumes round ones of one size; "lca" is the latent
        class model of :mod:`core.segments.latent_class` (each field its own kind of
        distribution within a segment, k by its own BIC).
    k_range : tuple of int
        The smallest and largest k tried when ``k="auto"``.
    stability_repeats : int
        Bootstrap refits behind :attr:`stability_` (0: not measured).
    n_threads : int or None
        OpenMP/BLAS threads for the fits (None: the libraries' default, all cores).
    random_state : int

    Attributes
    ----------
    k_ : int
        Number of segments found (noise excluded).
    labels_ : ndarray
        Segment of each training customer (``-1``: HDBSCAN noise).
    noise_columns_ : list of str
        Fields left out of the model as noise (:func:`~core.segments.features.noise_features`);
        they still show in the profiles.
    curve_ : DataFrame
        The selection curve (k, score, metric), empty when k was given.
    profiles_ : DataFrame
        :func:`~core.segments.naming.profile_segments` of the training data.
    names_ : dict
        Segment -> plain-English name.
    silhouette_ : float
        Silhouette of the segmentation (on a sample, noise excluded).
    stability_ : float
        Adjusted Rand index between these segments and refits on bootstrap resamples.
    """

    def __init__(self, *, k: int | str = "auto", method: str = DEFAULT_METHOD, k_range: tuple[int, int] = (2, 8),
                 stability_repeats: int = 3, n_threads: int | None = 1, random_state: int = 0) -> None:
        self.k = k
        self.method = method
        self.k_range = k_range
        self.stability_repeats = stability_repeats
        self.n_threads = n_threads
        self.random_state = random_state

    def _threads(self):
        """Cap OpenMP/BLAS threads: these fits are small, and on a busy shared server
        extra threads spin and make them several times slower (measured in bench/segments.py)."""
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=self.n_threads)

    def _check_params(self, n: int) -> None:
        if self.method not in METHODS:
            raise BadInputError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}.")
        if n < MIN_CUSTOMERS:
            raise NotEnoughDataError(f"Segmenting needs at least {MIN_CUSTOMERS} customers; the data has {n}.")
        if self.k == "auto":
            return
        try:
            k = int(self.k)
        except (TypeError, ValueError):
            raise BadInputError(f"k must be a whole number or 'auto', not {self.k!r}.") from None
        if k < 1:
            raise BadInputError(f"k must be at least 1, not {k}.")
        if k > n:
            raise BadInputError(f"k={k} is more than the {n} customers in the data.")

    def params(self) -> dict[str, Any]:
        return {"k": self.k, "method": self.method, "k_range": list(self.k_range), "random_state": self.random_state}

    # ---- fitting
    def fit(self, customers: pd.DataFrame, y: Any = None) -> "SegmentModel":
        """Build features, choose k if asked, cluster, profile and name the segments."""
        with self._threads():
            return self._fit(customers)

    def _fit(self, customers: pd.DataFrame) -> "SegmentModel":
        n = len(customers)
        self._check_params(n)
        feats = customer_features(customers)
        self.as_of_ = _latest(customers)
        self.columns_ = usable_features(feats)
        if not self.columns_:
            raise NotEnoughDataError("Every customer looks the same (no feature varies): nothing to segment.")
        self.transform_ = FeatureTransform().fit(feats[self.columns_])
        X = self.transform_.transform(feats[self.columns_])
        self.noise_columns_ = noise_features(X, self.columns_, random_state=self.random_state)
        if self.noise_columns_:  # fields that tell no group apart only make the model spend components on them
            keep = [j for j, c in enumerate(self.columns_) if c not in self.noise_columns_]
            self.columns_ = [self.columns_[j] for j in keep]
            self.transform_ = self.transform_.select(self.columns_)
            X = X[:, keep]
        if self.method == "lca":
            self.kinds_ = latent_class.feature_kinds(feats, self.columns_)
            return self._fit_lca(feats, X, n)
        k = self._choose_k(X, n)
        # The mixture labels each customer on the fields they have (blanks marginalised out).
        X_label = self.transform_.transform(feats[self.columns_], impute=False) if self.method == "gmm" else X
        raw = self._cluster(X, k, X_label)
        self._set_order(raw)
        self.labels_ = self._map(raw)
        self.k_ = int(len(set(self.labels_.tolist()) - {NOISE}))
        self.n_features_in_ = len(self.columns_)
        self.silhouette_ = selection.silhouette(X, self.labels_, random_state=self.random_state)
        self.stability_ = self._stability(X, raw, k)
        self.profiles_ = profile_segments(feats, self.labels_)
        self.names_ = name_segments(self.profiles_)
        self.n_seen_, self.n_updates_ = n, 0
        return self

    def _fit_lca(self, feats: pd.DataFrame, X: np.ndarray, n: int) -> "SegmentModel":
        """The latent class path: it reads the raw fields (``X``, the transformed ones, only
        serves the silhouette and the map)."""
        R = latent_class.model_matrix(feats, self.columns_)
        rs = self.random_state
        Rs = R[selection.sample_index(len(R), SAMPLE_FOR_FIT, np.random.default_rng(rs))]
        self.curve_ = pd.DataFrame(columns=["k", "score", "metric"])
        self.merged_ = False
        if self.k == "auto":
            lo, hi = self.k_range
            ks = range(max(2, lo), max(2, min(hi, n // 5)) + 1)
            Rsel = Rs[selection.sample_index(len(Rs), selection.SAMPLE_FOR_SELECTION, np.random.default_rng(rs))]
            curve = latent_class.criterion_curve(Rsel, self.kinds_, ks, random_state=rs)
            full = pd.DataFrame(curve)
            self.curve_ = full[["k", "score", "metric"]]
            k = selection.best_k(self.curve_) if latent_class.K_RULE == "lowest" else selection.pick_components(full)
            self.merged_ = latent_class.MERGE
        else:
            k = int(self.k)
        self.model_ = latent_class.LatentClassMixture(
            k, kinds=self.kinds_, block=latent_class.default_block(self.kinds_),
            frailty=latent_class.default_frailty(self.kinds_), random_state=rs).fit(Rs)
        self.component_map_ = (selection.merge_components(self.model_.predict_proba(Rs), latent_class.MERGE_ENTROPY)
                               if self.merged_ and k > 1 else np.arange(k))
        raw = self._raw_predict(R)
        self._set_order(raw)
        self.labels_ = self._map(raw)
        self.k_ = int(len(set(self.labels_.tolist()) - {NOISE}))
        self.n_features_in_ = len(self.columns_)
        self.silhouette_ = selection.silhouette(X, self.labels_, random_state=rs)
        self.stability_ = self._stability(R, raw, k)
        self.profiles_ = profile_segments(feats, self.labels_)
        self.names_ = name_segments(self.profiles_)
        self.n_seen_, self.n_updates_ = n, 0
        return self

    def _choose_k(self, X: np.ndarray, n: int) -> int:
        """The number of mixture components (gmm) or of centres (kmeans); 0 for HDBSCAN."""
        self.curve_ = pd.DataFrame(columns=["k", "score", "metric"])
        self.merged_ = False
        if self.k != "auto":
            return int(self.k)
        if self.method == "dbscan":
            return 0
        lo, hi = self.k_range
        ks = range(max(2, lo), max(2, min(hi, n // 5)) + 1)
        self.curve_ = selection.bic_curve(X, ks, random_state=self.random_state)
        components = selection.pick_components(self.curve_)
        self.merged_ = True
        if self.method == "kmeans":  # as many centres as the merged mixture has segments
            Xs = X[selection.sample_index(len(X), selection.SAMPLE_FOR_SELECTION,
                                          np.random.default_rng(self.random_state))]
            _, cmap = selection.mixture_segments(Xs, components, merge=True, random_state=self.random_state)
            return int(cmap.max()) + 1
        return components

    def _cluster(self, X: np.ndarray, k: int, X_label: np.ndarray | None = None) -> np.ndarray:
        """Fit the method's model on X (a sample of it for the mixture) and label ``X_label`` (default X)."""
        rs = self.random_state
        if self.method == "gmm":
            idx = selection.sample_index(len(X), SAMPLE_FOR_FIT, np.random.default_rng(rs))
            self.model_, self.component_map_ = selection.mixture_segments(
                X[idx], k, merge=self.merged_, random_state=rs)
        elif self.method == "kmeans":
            self.model_ = OnlineKMeans.fit(X, k, random_state=rs)
        else:
            return self._fit_hdbscan(X)
        return self._raw_predict(X if X_label is None else X_label)

    def _raw_predict(self, X: np.ndarray) -> np.ndarray:
        if self.method == "lca":
            return _merged_argmax(self.model_.predict_proba(X), self.component_map_)
        if self.method == "gmm":
            return selection.mixture_labels(self.model_, self.component_map_, X)
        if self.method == "kmeans":
            return self.model_.predict(X)
        return self._hdbscan_assign(X)

    def _stability(self, X: np.ndarray, raw: np.ndarray, k: int) -> float:
        if self.stability_repeats <= 0 or self.k_ < 2:
            return float("nan")
        k = k or self.k_

        def refit(X_train: np.ndarray, X_eval: np.ndarray, seed: int) -> np.ndarray:
            if self.method == "lca":
                lc = latent_class.LatentClassMixture(k, kinds=self.kinds_, block=self.model_.block,
                                                     frailty=self.model_.frailty, n_init=1,
                                                     random_state=seed).fit(X_train)
                cmap = (selection.merge_components(lc.predict_proba(X_train), latent_class.MERGE_ENTROPY)
                        if self.merged_ and k > 1
                        else np.arange(k))
                return _merged_argmax(lc.predict_proba(X_eval), cmap)
            if self.method == "gmm":
                gm, cmap = selection.mixture_segments(X_train, k, merge=self.merged_, random_state=seed, restarts=1)
                return selection.mixture_labels(gm, cmap, X_eval)
            if self.method == "kmeans":
                return KMeans(n_clusters=k, n_init=1, random_state=seed).fit(X_train).predict(X_eval)
            return self._hdbscan_refit(X_train, X_eval)

        return selection.bootstrap_stability(X, refit, reference=raw, repeats=self.stability_repeats,
                                             random_state=self.random_state)

    # ---- HDBSCAN: cluster a sample, everyone else joins their nearest clustered neighbour
    def _hdbscan_labels(self, Xs: np.ndarray) -> np.ndarray:
        min_size = max(5, len(Xs) // 40)
        return HDBSCAN(min_cluster_size=min_size, min_samples=min(10, min_size), copy=True).fit_predict(Xs)

    def _fit_hdbscan(self, X: np.ndarray) -> np.ndarray:
        Xs = X[selection.sample_index(len(X), selection.SAMPLE_FOR_SELECTION, np.random.default_rng(self.random_state))]
        labels = self._hdbscan_labels(Xs)
        if (labels >= 0).sum() == 0:
            raise NotEnoughDataError("HDBSCAN found no dense groups in these customers; try the mixture.")
        core = labels >= 0
        self._set_neighbours(Xs[core], labels[core])
        d, _ = self.nn_.kneighbors(Xs[core], n_neighbors=min(2, int(core.sum())))
        # Farther than almost every clustered point is from its neighbour: noise.
        self.noise_radius_ = float(np.quantile(d[:, -1], 0.99)) * 1.5 + 1e-9
        return self._hdbscan_assign(X)

    def _hdbscan_refit(self, X_train: np.ndarray, X_eval: np.ndarray) -> np.ndarray:
        labels = self._hdbscan_labels(X_train)
        core = labels >= 0
        if not core.any():
            return np.full(len(X_eval), NOISE)
        _, j = NearestNeighbors(n_neighbors=1).fit(X_train[core]).kneighbors(X_eval)
        return labels[core][j[:, 0]]

    def _set_neighbours(self, points: np.ndarray, labels: np.ndarray) -> None:
        self.core_points_, self.nn_labels_ = points, labels
        self.nn_ = NearestNeighbors(n_neighbors=1).fit(points)

    def _hdbscan_assign(self, X: np.ndarray) -> np.ndarray:
        d, j = self.nn_.kneighbors(X, n_neighbors=1)
        out = self.nn_labels_[j[:, 0]].copy()
        out[d[:, 0] > self.noise_radius_] = NOISE
        return out

    # ---- numbering: segments by size, largest first (noise stays -1)
    def _set_order(self, raw: np.ndarray) -> None:
        vals, counts = np.unique(raw[raw != NOISE], return_counts=True)
        order = vals[np.argsort(-counts, kind="stable")]
        self.order_ = {int(v): i for i, v in enumerate(order)}

    def _map(self, raw: np.ndarray) -> np.ndarray:
        return np.array([self.order_.get(int(r), NOISE) for r in raw], dtype=int)

    # ---- using the model
    def transform(self, customers: pd.DataFrame, *, impute: bool = True) -> np.ndarray:
        """The customers in the model's feature space (``impute=False``: blanks stay NaN)."""
        check_is_fitted(self, "transform_")
        feats = customer_features(customers, as_of=self.as_of_)
        return self.transform_.transform(feats.reindex(columns=self.columns_), impute=impute)

    def _predict_X(self, X: np.ndarray) -> np.ndarray:
        return self._map(self._raw_predict(X))

    def _model_input(self, customers: pd.DataFrame) -> np.ndarray:
        """What the method's model reads: raw fields (lca), or the transformed ones (blanks kept for gmm)."""
        if self.method == "lca":
            feats = customer_features(customers, as_of=self.as_of_)
            missing = [c for c in self.columns_ if c not in feats]
            if missing:
                raise BadInputError(f"customers lack the fields the segments were built on: {', '.join(missing)}.")
            return latent_class.model_matrix(feats, self.columns_)
        return self.transform(customers, impute=self.method != "gmm")

    def predict(self, customers: pd.DataFrame) -> np.ndarray:
        """Assign customers to the existing segments (no refit)."""
        check_is_fitted(self, "transform_")
        with self._threads():
            return self._predict_X(self._model_input(customers))

    def partial_fit(self, customers: pd.DataFrame) -> "SegmentModel":
        """Learn from newly arrived customers without reclustering everything.

        k-means moves each centre toward the new customers it receives (a running mean);
        the mixture and HDBSCAN keep their segments and only assign. Segment numbers and
        names stay stable.
        """
        check_is_fitted(self, "transform_")
        if len(customers) == 0:
            return self
        if self.method == "kmeans":
            self.model_.partial_fit(self.transform(customers))
        self.n_seen_ += len(customers)
        self.n_updates_ += 1
        return self

    def segments(self) -> pd.DataFrame:
        """The named segment table of the training data."""
        check_is_fitted(self, "profiles_")
        return segment_table(self.profiles_, self.names_)

    def projection(self, customers: pd.DataFrame, labels: np.ndarray | None = None, *,
                   max_points: int = 5000) -> pd.DataFrame:
        """A 2-D PCA map of customers (a sample of at most ``max_points``), with their segment."""
        check_is_fitted(self, "transform_")
        X = self.transform(customers)
        labels = (self._predict_X(X if self.method != "lca" else self._model_input(customers)) if labels is None
                  else np.asarray(labels))
        idx = selection.sample_index(len(X), max_points, np.random.default_rng(self.random_state))
        dims = min(2, X.shape[1])
        pcs = PCA(n_components=dims, random_state=self.random_state).fit_transform(X[idx])
        if dims < 2:
            pcs = np.column_stack([pcs, np.zeros(len(pcs))])
        seg = labels[idx]
        return pd.DataFrame({"customer_id": customers["customer_id"].astype(str).to_numpy()[idx],
                             "pc1": pcs[:, 0], "pc2": pcs[:, 1], "segment": seg,
                             "name": [self.names_.get(int(s), "unassigned (outliers)") for s in seg]})

    # ---- state as arrays and JSON (core.segments.store saves it through core.registry)
    def to_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        check_is_fitted(self, "transform_")
        arrays = dict(self.transform_.to_arrays())
        arrays["order"] = np.array(sorted(self.order_, key=self.order_.get), dtype=int)
        if self.method == "gmm":
            arrays.update(gmm_weights=self.model_.weights_, gmm_means=self.model_.means_,
                          gmm_covariances=self.model_.covariances_,
                          gmm_precisions_cholesky=self.model_.precisions_cholesky_, gmm_map=self.component_map_,
                          gmm_dof=getattr(self.model_, "dof_", np.full(len(self.model_.weights_), np.inf)))
        elif self.method == "lca":
            arrays.update(self.model_.to_arrays(), lca_map=self.component_map_)
        elif self.method == "kmeans":
            arrays.update(km_centres=self.model_.cluster_centers_, km_counts=self.model_.counts_)
        else:
            arrays.update(nn_points=self.core_points_, nn_labels=self.nn_labels_)
        names = {str(k): v for k, v in self.names_.items()}
        meta = {"columns": self.columns_, "noise_columns": getattr(self, "noise_columns_", []),
                "as_of": None if self.as_of_ is None else str(self.as_of_), "k": self.k_,
                "names": names, "silhouette": self.silhouette_, "stability": self.stability_,
                "noise_radius": getattr(self, "noise_radius_", None), "kinds": list(getattr(self, "kinds_", [])),
                "n_seen": self.n_seen_,
                "n_updates": self.n_updates_, "curve": self.curve_.to_dict(orient="records"),
                "profiles": self.profiles_.to_dict(orient="records")}
        return arrays, meta

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> "SegmentModel":
        model = cls(k=params["k"], method=params["method"], k_range=tuple(params["k_range"]),
                    random_state=params["random_state"])
        model.columns_ = list(meta["columns"])
        model.noise_columns_ = list(meta.get("noise_columns") or [])
        model.transform_ = FeatureTransform.from_arrays(model.columns_, arrays)
        model.as_of_ = pd.Timestamp(meta["as_of"]) if meta.get("as_of") else None
        model.order_ = {int(v): i for i, v in enumerate(arrays["order"].tolist())}
        model._restore_clusters(arrays, meta)
        model.k_, model.n_features_in_ = int(meta["k"]), len(model.columns_)
        model.names_ = {int(k): v for k, v in meta["names"].items()}
        model.silhouette_, model.stability_ = _num(meta.get("silhouette")), _num(meta.get("stability"))
        model.n_seen_, model.n_updates_ = int(meta["n_seen"]), int(meta["n_updates"])
        curve = pd.DataFrame(meta.get("curve") or [])
        model.curve_ = curve if len(curve) else pd.DataFrame(columns=["k", "score", "metric"])
        model.profiles_ = pd.DataFrame(meta["profiles"])
        return model

    def _restore_clusters(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        if self.method == "gmm":
            # A model saved before the t mixture has no degrees of freedom: it stays the Gaussian it was.
            dof = arrays["gmm_dof"] if "gmm_dof" in arrays else np.full(len(arrays["gmm_weights"]), np.inf)
            gm = StudentMixture(n_components=len(arrays["gmm_weights"]))
            gm.weights_, gm.means_, gm.covariances_ = arrays["gmm_weights"], arrays["gmm_means"], arrays["gmm_covariances"]
            gm.precisions_cholesky_, gm.dof_ = arrays["gmm_precisions_cholesky"], np.asarray(dof, dtype=float)
            gm.converged_, gm.n_features_in_ = True, gm.means_.shape[1]
            self.model_, self.component_map_ = gm, arrays["gmm_map"].astype(int)
        elif self.method == "lca":
            self.kinds_ = tuple(meta["kinds"])
            self.model_ = latent_class.LatentClassMixture.from_arrays(self.kinds_, arrays)
            self.component_map_ = arrays["lca_map"].astype(int)
        elif self.method == "kmeans":
            self.model_ = OnlineKMeans(arrays["km_centres"], arrays["km_counts"])
        else:
            self._set_neighbours(arrays["nn_points"], arrays["nn_labels"])
            self.noise_radius_ = float(meta["noise_radius"])


def _merged_argmax(proba: np.ndarray, cmap: np.ndarray) -> np.ndarray:
    """The segment holding most of each customer's probability once components are merged (cmap)."""
    onehot = np.zeros((len(cmap), int(cmap.max()) + 1))
    onehot[np.arange(len(cmap)), cmap] = 1.0
    return (proba @ onehot).argmax(axis=1)


def _num(v: Any) -> float:
    return float("nan") if v is None else float(v)


def _latest(customers: pd.DataFrame) -> pd.Timestamp | None:
    dates = [pd.to_datetime(customers[c], errors="coerce") for c in ("last_purchase", "first_seen") if c in customers]
    latest = pd.concat(dates).max() if dates else pd.NaT
    return latest if pd.notna(latest) else None
