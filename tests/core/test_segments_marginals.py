"""Segments: per-field marginals (normal scores for few-valued counts), issue 15."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from core.segments import SegmentModel
from core.segments.features import FeatureTransform, normal_score_knots, rank_columns


def _frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    zero = rng.random(n) < 0.3
    return pd.DataFrame({"email_opens_90d": np.where(zero, 0, rng.poisson(6, n)).astype(float),  # 0..~15
                         "monetary": rng.lognormal(4, 1, n)},
                        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"))


def _dip(z: np.ndarray) -> float:
    """How deep the deepest valley of a 30-bin histogram is, as a share of the peak (0: none)."""
    h = np.histogram(z, bins=30)[0].astype(float)
    return max(min(h[:i].max(), h[i + 1:].max()) - h[i] for i in range(1, len(h) - 1)) / h.max()


def test_rank_columns_takes_few_valued_counts_only():
    f = _frame()
    assert rank_columns(f, "few").tolist() == [True, False]
    assert rank_columns(f, "none").tolist() == [False, False]
    assert rank_columns(f, "all").tolist() == [True, True]
    assert rank_columns(f.assign(email_opens_90d=np.nan), "few").tolist() == [False, False]  # all blank
    assert rank_columns(f.assign(email_opens_90d=f["email_opens_90d"] + 0.5), "few").tolist() == [False, False]


def test_normal_score_knots_map_quantiles_to_normal_quantiles():
    x = np.random.default_rng(1).exponential(1, (5000, 1))
    kx, kz = normal_score_knots(x, knots=64)
    assert kx.shape == kz.shape == (1, 64)
    assert np.all(np.diff(kx[0]) >= 0) and np.all(np.diff(kz[0]) > 0)
    z = np.interp(x[:, 0], kx[0], kz[0])
    assert abs(np.median(z)) < 0.05 and abs(stats.skew(z)) < 0.1  # the exponential's skew (2) is gone


def test_a_zero_inflated_count_becomes_one_smooth_normal_column_without_a_gap():
    f = _frame()
    t = FeatureTransform().fit(f)
    assert t.rank_.tolist() == [True, False]
    z = t.transform(f)[:, 0]
    # log + Yeo-Johnson leaves the zeros a block apart from the rest (opens of 1-2 are rare), a
    # valley a mixture takes for two groups; normal scores leave one smooth hump.
    assert _dip(z) < 0.15
    assert abs(stats.skew(z)) < 0.1 and abs(stats.kurtosis(z)) < 0.3
    zeros = f["email_opens_90d"].to_numpy() == 0
    assert z[zeros].max() < z[~zeros].min()  # ranks kept: every zero below every opener
    # ties spread by the fixed jitter (only the few beyond the outermost knots share a value)
    assert len(np.unique(np.round(z[zeros], 9))) > 0.99 * zeros.sum()
    np.testing.assert_array_equal(t.transform(f.iloc[::-1])[::-1], t.transform(f))  # same customer, same place


def test_log_and_yeo_johnson_left_the_gap(monkeypatch):
    import core.segments.features as features

    monkeypatch.setattr(features, "RANK_RULE", "none")
    f = _frame()
    z = FeatureTransform().fit(f).transform(f)[:, 0]
    assert _dip(z) > 0.8


def test_normal_scores_survive_the_saved_state_and_narrowing():
    f = _frame()
    t = FeatureTransform().fit(f)
    back = FeatureTransform.from_arrays(t.columns_, t.to_arrays())
    np.testing.assert_array_equal(back.transform(f), t.transform(f))
    np.testing.assert_array_equal(t.select(["email_opens_90d"]).transform(f), t.transform(f)[:, :1])


def test_segments_on_zero_inflated_counts_predict_their_own_labels():
    from tests.core._segments_synth import skewed_base

    customers, _ = skewed_base(600, groups=4, seed=5)
    m = SegmentModel(random_state=0, stability_repeats=0).fit(customers)
    assert m.transform_.rank_.any()
    assert (m.predict(customers) == m.labels_).mean() > 0.97
    arrays, meta = m.to_state()
    again = SegmentModel.from_state(m.params(), arrays, meta)
    np.testing.assert_array_equal(again.predict(customers), m.predict(customers))
