"""Customer features for segmenting, and the transform that makes them fit for a Gaussian mixture.

Features come from the contract ``customers`` table: recency (days since the last
purchase, relative to the latest date in the data), frequency (``orders``), monetary
value (``total_spent``), the four engagement counts, tenure, age and the first-touch
channel. The channel describes a segment but does not place customers (a one-hot
column gives a mixture degenerate, zero-width directions).

:class:`FeatureTransform` turns the numeric features into a matrix where groups look
like Gaussian clouds: a missing field takes the column's median; whole numbers get a
fixed per-customer jitter in [0, 1) so that a count of 1 is not a spike a mixture
component can collapse onto; counts, money and days are ``log1p``-ed, then every column
is Yeo-Johnson transformed and standardised. These steps won on the tuning bases
(``bench/segments.py --choices``: log, rank and Yeo-Johnson, with and without the jitter).
A count with few distinct values (:data:`RANK_FEW`: e-mail clicks, a zero-inflated social
count) takes normal scores instead: its jittered values are ranked and mapped through the
normal quantile, because log + Yeo-Johnson leaves such a field a staircase with a valley
between the zeros and the rest, which the mixture reads as two groups
(``bench/segments_marginals.py`` compares the rules). Its state is a few arrays (no pickle).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.feature_selection import mutual_info_regression

from core.errors import BadInputError

ENGAGEMENT = ("sessions_90d", "email_opens_90d", "email_clicks_90d", "social_engagements_90d")
#: Counts, money and days: log1p before Yeo-Johnson (their tails span orders of magnitude).
LOG_FEATURES = ("frequency", "monetary", *ENGAGEMENT, "recency_days", "tenure_days")
NUMERIC_FEATURES = ("recency_days", "frequency", "monetary", *ENGAGEMENT, "tenure_days", "age")
CATEGORICAL_FEATURES = ("channel",)
FIT_SAMPLE = 20000
#: Which columns take normal scores (the rank of each customer, ties broken by the jitter, mapped
#: through the normal quantile) instead of log + Yeo-Johnson: "none", "all", "ties" (the most
#: common value holds at least :data:`RANK_TIES` of the customers), "few" (whole numbers with at
#: most :data:`RANK_FEW` distinct values). Tuned on 13 generators x 3 seeds x 4-6 groups: "few" beat
#: "none" (ARI 0.723 vs 0.713, right k 68% vs 62%; session 4's held-out bases 0.733 / 70% vs 0.701 /
#: 56%); "all" and "ties" lost. On bases not tuned on it is no clear win: seed 101 of ten generators
#: 0.691 / 50% vs 0.695 / 50%, seg3's own two 0.425 / 39% vs 0.484 / 33% (bench/segments_marginals.py).
RANK_RULE = "few"
RANK_TIES = 0.15
RANK_FEW = 20
#: Knots of the normal-scores map (sample quantiles -> normal quantiles), interpolated linearly.
RANK_KNOTS = 512


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
    # Never bought (no orders and no last purchase): as lapsed as their tenure, else as the most
    # lapsed. A buyer whose last purchase date is blank is a missing field, left for the model.
    orders = num("orders")
    never = recency.isna() & ~(orders > 0)
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




def usable_features(features: pd.DataFrame) -> list[str]:
    """Numeric feature columns with information: not all missing and not constant."""
    keep = []
    for col in NUMERIC_FEATURES:
        s = features[col].dropna() if col in features else pd.Series(dtype=float)
        if len(s) and s.nunique() > 1:
            keep.append(col)
    return keep


#: A field that depends on no other (largest mutual information with any one below this, in nats)
#: and is flat (excess kurtosis below :data:`FLAT_KURTOSIS`; a uniform's is -1.2) is noise a
#: mixture can only cover with extra components side by side along it: an age drawn uniformly,
#: whatever the group. Customers' groups show in several fields at once, so a field that tells
#: groups apart is tied to the others; on the tuning bases such ages measured 0.01-0.04 nats and
#: -1.1, fields that mark groups 0.07-1.8 nats (or were not flat). Leaving that age out: latent
#: bases right k 50% -> 100% (seeds 1-2), the others unchanged.
NOISE_MI = 0.05
FLAT_KURTOSIS = -0.9
#: ... and even: its 20-bin histogram (1st to 99th percentile) varies less than this (coefficient of
#: variation of the counts; a uniform's is about 0.1 on 2,000 customers), so that a field whose
#: peaks are groups (a dip between them) is never taken for noise, even if no other field shows them.
EVEN_HISTOGRAM = 0.25
SAMPLE_FOR_NOISE = 2000


def _even(x: np.ndarray) -> bool:
    lo, hi = np.quantile(x, [0.01, 0.99])
    counts, _ = np.histogram(x[(x >= lo) & (x <= hi)], bins=20, range=(lo, hi))
    return bool(hi > lo and counts.std() / max(counts.mean(), 1e-12) < EVEN_HISTOGRAM)


def noise_features(X: np.ndarray, columns: list[str], *, random_state: int = 0) -> list[str]:
    """The columns of the transformed matrix ``X`` that are flat, even and tied to no other column
    (:data:`NOISE_MI`, :data:`FLAT_KURTOSIS`, :data:`EVEN_HISTOGRAM`); never more than leaves two columns."""
    if X.shape[1] < 3:
        return []
    rng = np.random.default_rng(random_state)
    Xs = X[rng.permutation(len(X))[:SAMPLE_FOR_NOISE]] if len(X) > SAMPLE_FOR_NOISE else X
    flat = [j for j in range(X.shape[1]) if stats.kurtosis(Xs[:, j]) < FLAT_KURTOSIS and _even(Xs[:, j])]
    noise = []
    for j in flat:  # mutual information only for the rare flat column: it costs ~50 ms each
        mi = mutual_info_regression(np.delete(Xs, j, axis=1), Xs[:, j], n_neighbors=3, random_state=random_state)
        if mi.max() < NOISE_MI:
            noise.append(columns[j])
    return noise[: max(0, X.shape[1] - 2)]


def row_jitter(ids: pd.Index, columns: list[str]) -> np.ndarray:
    """A fixed number in [0, 1) per customer and column (rows x columns): the same customer gets the
    same jitter in every fit and every later assignment, so dequantising never makes results random."""
    base = pd.util.hash_pandas_object(pd.Series(np.asarray(ids, dtype=str)), index=False).to_numpy()
    salts = np.array([int(pd.util.hash_array(np.array([c], dtype=object))[0]) for c in columns], dtype=np.uint64)
    with np.errstate(over="ignore"):  # splitmix64: wrap-around multiplication is the point
        z = base[:, None] ^ salts[None, :]
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def rank_columns(raw: pd.DataFrame, rule: str | None = None) -> np.ndarray:
    """Which columns of the raw features take normal scores under ``rule`` (:data:`RANK_RULE`)."""
    rule = RANK_RULE if rule is None else rule
    out = []
    for col in raw.columns:
        s = raw[col].dropna()
        if rule == "all":
            out.append(True)
        elif rule == "ties":
            out.append(bool(len(s)) and float(s.value_counts(normalize=True).iloc[0]) >= RANK_TIES)
        elif rule == "few":  # whole numbers only: their jitter is what breaks the ties between equal counts
            out.append(0 < s.nunique() <= RANK_FEW and bool(np.all(np.mod(s, 1) == 0)))
        else:
            out.append(False)
    return np.array(out, dtype=bool)


def normal_score_knots(z: np.ndarray, knots: int = RANK_KNOTS) -> tuple[np.ndarray, np.ndarray]:
    """Per column, ``knots`` sample quantiles of ``z`` and the normal quantiles at the same ranks
    (columns x knots each): interpolating between them gives every customer their normal score."""
    n = len(z)
    q = (np.arange(knots) + 0.5) / knots
    xs = np.quantile(z, q, axis=0).T if n else np.zeros((z.shape[1], knots))
    zs = np.broadcast_to(stats.norm.ppf(q), xs.shape).copy()
    return np.maximum.accumulate(xs, axis=1), zs


class FeatureTransform:
    """Impute, dequantise, log, Yeo-Johnson and standardise each numeric feature (see the module doc).

    Examples
    --------
    >>> f = pd.DataFrame({"frequency": [1, 2, 3, 40.0], "age": [20, None, 40, 60]},
    ...                  index=pd.Index(list("abcd"), name="customer_id"))
    >>> X = FeatureTransform().fit(f).transform(f)
    >>> X.shape, bool(abs(X.mean()) < 1e-9)
    ((4, 2), True)
    """

    def fit(self, features: pd.DataFrame) -> "FeatureTransform":
        self.columns_ = [c for c in features.columns if c in NUMERIC_FEATURES]
        raw = features[self.columns_].astype(float)
        self.medians_ = raw.median().fillna(0.0).to_numpy()
        self.integer_ = np.array([bool(np.all(np.mod(raw[c].dropna(), 1) == 0)) for c in self.columns_])
        # Yeo-Johnson's exponent from a sample: 20,000 rows pin it down, 100,000 only cost time.
        sample = features.iloc[np.sort(np.random.default_rng(0).permutation(len(features))[:FIT_SAMPLE])]
        z = self._pre(sample)
        self.lambdas_ = np.array([stats.yeojohnson(z[:, j])[1] if np.ptp(z[:, j]) > 0 else 1.0
                                  for j in range(z.shape[1])])
        self.rank_ = rank_columns(raw.iloc[np.sort(np.random.default_rng(0).permutation(len(raw))[:FIT_SAMPLE])])
        self.knots_x_, self.knots_z_ = normal_score_knots(z)
        y = self._yj(z)
        self.means_, self.scales_ = y.mean(axis=0), y.std(axis=0)
        self.scales_[self.scales_ == 0] = 1.0
        return self

    def _pre(self, features: pd.DataFrame, impute: bool = True) -> np.ndarray:
        raw = features[self.columns_].astype(float).to_numpy(copy=True)
        missing = np.isnan(raw)
        if impute:
            raw[missing] = np.broadcast_to(self.medians_, raw.shape)[missing]
        jitter = row_jitter(features.index, self.columns_)
        for j, col in enumerate(self.columns_):
            if self.integer_[j]:
                raw[:, j] += jitter[:, j]
            if col in LOG_FEATURES:
                raw[:, j] = np.log1p(np.clip(raw[:, j], 0, None))
        return raw

    def _yj(self, z: np.ndarray) -> np.ndarray:
        if not z.shape[1]:
            return z
        rank = getattr(self, "rank_", np.zeros(z.shape[1], dtype=bool))
        return np.column_stack([np.interp(z[:, j], self.knots_x_[j], self.knots_z_[j]) if rank[j]
                                else stats.yeojohnson(z[:, j], lmbda=float(lam)) for j, lam in enumerate(self.lambdas_)])

    def transform(self, features: pd.DataFrame, *, impute: bool = True) -> np.ndarray:
        """The features as model input; with ``impute=False`` a missing field stays NaN (the
        mixture then judges that customer on the fields they have)."""
        missing = [c for c in self.columns_ if c not in features]
        if missing:
            raise BadInputError(f"customers lack the fields the segments were built on: {', '.join(missing)}.")
        return (self._yj(self._pre(features, impute)) - self.means_) / self.scales_

    def select(self, columns: list[str]) -> "FeatureTransform":
        """This transform on ``columns`` only: every step is per column (the jitter is salted by the
        column's name), so it equals a refit on those columns without a second pass over the data."""
        keep = [self.columns_.index(c) for c in columns]
        t = FeatureTransform()
        t.columns_ = list(columns)
        t.medians_, t.integer_, t.lambdas_ = self.medians_[keep], self.integer_[keep], self.lambdas_[keep]
        t.means_, t.scales_ = self.means_[keep], self.scales_[keep]
        t.rank_, t.knots_x_, t.knots_z_ = self.rank_[keep], self.knots_x_[keep], self.knots_z_[keep]
        return t

    # ---- state as arrays, for core.registry
    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"ft_medians": self.medians_, "ft_integer": self.integer_, "ft_lambdas": self.lambdas_,
                "ft_means": self.means_, "ft_scales": self.scales_, "ft_rank": self.rank_,
                "ft_knots_x": self.knots_x_, "ft_knots_z": self.knots_z_}

    @classmethod
    def from_arrays(cls, columns: list[str], arrays: dict[str, Any]) -> "FeatureTransform":
        t = cls()
        t.columns_ = list(columns)
        t.medians_, t.integer_ = arrays["ft_medians"], arrays["ft_integer"].astype(bool)
        t.lambdas_, t.means_, t.scales_ = arrays["ft_lambdas"], arrays["ft_means"], arrays["ft_scales"]
        t.rank_ = arrays["ft_rank"].astype(bool)
        t.knots_x_, t.knots_z_ = arrays["ft_knots_x"], arrays["ft_knots_z"]
        return t
