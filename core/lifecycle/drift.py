"""Drift maths: population stability index, two-sample tests, seasonal windows, a family's drift.

A feature drifts only when both its PSI passes the threshold and a test rejects equality,
and only where there is something to compare (enough values in both windows).
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd

from core.errors import WorkbenchError
from core.lifecycle.catalog import Family
from core.warehouse import Warehouse


PSI_DRIFT = 0.25  # the usual reading: < 0.1 stable, 0.1-0.25 moderate, > 0.25 shifted
KS_ALPHA = 0.001


def psi(reference: Iterable[float], current: Iterable[float], bins: int = 10) -> float:
    """Population stability index of a numeric feature, on the reference's quantile bins.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(psi(rng.normal(size=5000), rng.normal(size=5000)), 2) < 0.05
    True
    """
    ref = np.asarray(list(reference), dtype=float)
    cur = np.asarray(list(current), dtype=float)
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if len(ref) < 2 or len(cur) < 2:
        return float("nan")
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        return 0.0 if np.allclose(cur, edges[0]) else float("inf")
    edges[0], edges[-1] = -np.inf, np.inf
    return _psi_from_counts(np.histogram(ref, edges)[0], np.histogram(cur, edges)[0])


def psi_categorical(reference: Iterable[Any], current: Iterable[Any]) -> float:
    """Population stability index of a categorical feature."""
    ref = pd.Series(list(reference)).astype(str).value_counts()
    cur = pd.Series(list(current)).astype(str).value_counts()
    cats = ref.index.union(cur.index)
    return _psi_from_counts(ref.reindex(cats, fill_value=0).to_numpy(), cur.reindex(cats, fill_value=0).to_numpy())


def _psi_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray, eps: float = 1e-4) -> float:
    p = np.clip(ref_counts / max(ref_counts.sum(), 1), eps, None)
    q = np.clip(cur_counts / max(cur_counts.sum(), 1), eps, None)
    return float(np.sum((q - p) * np.log(q / p)))


def drift_report(reference: pd.DataFrame, current: pd.DataFrame, columns: Iterable[str] | None = None,
                 *, psi_threshold: float = PSI_DRIFT, ks_alpha: float = KS_ALPHA) -> pd.DataFrame:
    """One row per feature: PSI, and for numbers the Kolmogorov-Smirnov test; ``drifted`` flags.

    A numeric feature drifts when its PSI passes the threshold *and* the KS test
    rejects equality, so a large sample's tiny shift is not called drift (nor a small
    sample's noisy PSI); a categorical one when its PSI passes the threshold and a
    chi-square test of the two windows' counts rejects equality.
    """
    from scipy import stats

    cols = list(columns) if columns is not None else [c for c in reference.columns if c in current.columns]
    rows = []
    for col in cols:
        ref, cur = reference[col].dropna(), current[col].dropna()
        if len(ref) < 5 or len(cur) < 5:
            rows.append({"feature": col, "psi": np.nan, "ks_stat": np.nan, "p_value": np.nan, "drifted": False,
                         "note": "too few values"})
            continue
        if pd.api.types.is_numeric_dtype(ref) and not pd.api.types.is_bool_dtype(ref):
            value = psi(ref, cur)
            ks = stats.ks_2samp(ref.to_numpy(float), cur.to_numpy(float))
            drifted = bool(value > psi_threshold and ks.pvalue < ks_alpha)
            rows.append({"feature": col, "psi": value, "ks_stat": float(ks.statistic), "p_value": float(ks.pvalue),
                         "drifted": drifted, "note": ""})
        else:
            value = psi_categorical(ref, cur)
            counts = pd.crosstab(np.r_[np.zeros(len(ref)), np.ones(len(cur))],
                                 np.r_[ref.astype(str).to_numpy(), cur.astype(str).to_numpy()])
            p_value = float(stats.chi2_contingency(counts.to_numpy())[1]) if counts.shape[1] > 1 else 1.0
            rows.append({"feature": col, "psi": value, "ks_stat": np.nan, "p_value": p_value,
                         "drifted": bool(value > psi_threshold and p_value < ks_alpha), "note": "categorical"})
    return pd.DataFrame(rows, columns=["feature", "psi", "ks_stat", "p_value", "drifted", "note"])


def seasonal_windows(dates: pd.Series, recent_days: int = 28) -> tuple[pd.Series, pd.Series]:
    """Masks for the recent window and its seasonally matched reference.

    The reference is the same calendar window one year earlier when the history
    reaches that far (so December is compared with last December, not with
    November); otherwise the equally long window just before the recent one.
    """
    d = pd.to_datetime(dates)
    end = d.max()
    start = end - pd.Timedelta(days=recent_days - 1)
    recent = (d >= start) & (d <= end)
    year_ago = (d >= start - pd.Timedelta(days=364)) & (d <= end - pd.Timedelta(days=364))
    if year_ago.sum() >= max(5, 0.5 * recent.sum()):
        return recent, year_ago
    before = (d >= start - pd.Timedelta(days=recent_days)) & (d < start)
    return recent, before


def drift_status(wh: Warehouse, family: Family, recent_days: int = 28) -> dict[str, Any]:
    """A family's drift in one line: ``status`` (drift / stable / no data / error), the features and table."""
    try:
        table = family_drift(wh, family, recent_days)
    except WorkbenchError as exc:
        return {"status": "error", "drifted": [], "table": pd.DataFrame(), "note": str(exc)}
    if table.empty or table["psi"].isna().all():
        return {"status": "no data", "drifted": [], "table": table, "note": "too little recent data to compare"}
    drifted = table.loc[table["drifted"], "feature"].tolist()
    return {"status": "drift" if drifted else "stable", "drifted": drifted, "table": table,
            "note": ("drift in " + ", ".join(drifted)) if drifted else "no feature drifted"}


def family_drift(wh: Warehouse, family: Family, recent_days: int = 28) -> pd.DataFrame:
    """Drift of a family's inputs: the recent window against its seasonal reference."""
    frame, date_col = family.features(wh)
    if frame is None or frame.empty or date_col is None or date_col not in frame:
        return drift_report(pd.DataFrame(), pd.DataFrame(), [])
    recent, reference = seasonal_windows(frame[date_col], recent_days)
    cols = [c for c in frame.columns if c != date_col]
    return drift_report(frame[reference], frame[recent], cols)
