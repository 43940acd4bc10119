"""Pure maths of response curves: saturating shapes, season factors, and the pooling helpers (no state)."""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

FAMILIES = ("exponential", "hill", "s_hill")
#: every curve family a model may mix, by code: 0 saturates fast, 1 slowly (Hill of shape 1), 2 never (logarithmic),
#: 3 S-shaped (Hill of shape 2: a threshold before returns, then a plateau)
FAMILY_CODES = {"exponential": 0, "hill": 1, "log": 2, "s_hill": 3}


def basis(spend: np.ndarray | float, b: np.ndarray | float, family: np.ndarray | int = 0) -> np.ndarray:
    """Shape of a saturating curve: ``1 - exp(-x/b)`` (family 0), ``x / (x + b)`` (family 1, a Hill curve
    of shape 1), ``log(1 + x/b)`` (family 2, concave but never flat) or ``x^2 / (x^2 + b^2)`` (family 3, an
    S-shaped Hill curve of shape 2). Families 0-2 have slope ``1/b`` at zero, so ``r * b * basis`` has
    slope ``r`` there; family 3 starts flat and has its steepest slope near ``0.58 b``, and ``r * b`` is
    its plateau as for families 0 and 1.

    >>> float(basis(100.0, 100.0, 1))
    0.5
    """
    u = np.asarray(spend, dtype=float) / np.asarray(b, dtype=float)
    f = np.asarray(family)
    if f.ndim == 0:
        return _SHAPES[int(f)](u)
    if f.ndim > 1 and f.size == f.shape[-1]:
        f = f.reshape(-1)                       # a grid given as (1, G): the same families on every row
    if f.ndim == 1 and u.ndim >= 1 and u.shape[-1] == len(f):
        # the usual call: a grid of (family, b) pairs on the last axis, each family one block of columns
        out = np.empty(u.shape)
        for code, block in _blocks(f):
            out[..., block] = _SHAPES[code](u[..., block])
        return out
    codes = np.unique(f)
    u, f = np.broadcast_arrays(u, f)
    out = np.empty(u.shape)
    for code in codes:   # each shape computed only where it is asked for
        where = f == code
        out[where] = _SHAPES[int(code)](u[where])
    return out


_BLOCKS: dict[bytes, list] = {}


def _blocks(f: np.ndarray) -> list[tuple[int, slice | np.ndarray]]:
    """(family, columns) of a family grid, remembered: the optimiser reads the same grid thousands of times."""
    key = f.tobytes() + str(f.dtype).encode()
    if key not in _BLOCKS:
        if len(_BLOCKS) > 64:
            _BLOCKS.clear()
        out = []
        for code in np.unique(f):
            cols = np.flatnonzero(f == code)
            out.append((int(code), slice(cols[0], cols[-1] + 1) if cols[-1] - cols[0] + 1 == len(cols) else cols))
        _BLOCKS[key] = out
    return _BLOCKS[key]


_SHAPES = {0: lambda u: -np.expm1(-u), 1: lambda u: u / (1.0 + u), 2: np.log1p,
           3: lambda u: u * u / (1.0 + u * u)}


def saturation(spend: np.ndarray | float, r: np.ndarray | float, b: np.ndarray | float,
               family: np.ndarray | int = 0) -> np.ndarray:
    """Expected daily outcome at ``spend``: ``r * b * basis(spend, b, family)``
    (exponential: ``r * b * (1 - exp(-spend / b))``).

    >>> float(saturation(0.0, 0.1, 100.0)), round(float(saturation(1e9, 0.1, 100.0)), 6)
    (0.0, 10.0)
    """
    return np.asarray(r) * np.asarray(b) * basis(spend, b, family)


def marginal(spend: np.ndarray | float, r: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """Derivative of :func:`saturation` in spend: ``r * exp(-spend / b)``."""
    return np.asarray(r) * np.exp(-np.asarray(spend, dtype=float) / np.asarray(b))


def mixture_curve(spend: np.ndarray | float, weights: np.ndarray, b_grid: np.ndarray,
                  families: np.ndarray | int = 0) -> np.ndarray:
    """A mixture of saturating curves ``sum_g w_g basis(spend, b_g, family_g)`` (posterior mean curve)."""
    x = np.asarray(spend, dtype=float)
    return (basis(x[..., None], b_grid, families) * weights).sum(-1)


def season_factors(dates: pd.Series, weekday: np.ndarray, month: np.ndarray, holiday: float = 1.0,
                   holiday_dates: Iterable = ()) -> np.ndarray:
    """Multiplicative season factor of each date (weekday x month x public holiday)."""
    d = pd.DatetimeIndex(dates)
    out = weekday[d.dayofweek] * month[d.month - 1]
    if holiday != 1.0 and holiday_dates is not None and len(holiday_dates):
        out = out * np.where(d.normalize().isin(pd.DatetimeIndex(list(holiday_dates))), holiday, 1.0)
    return out


def public_holidays(country: str | None, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Public holidays of ``country`` between two dates (empty when unknown or None)."""
    if not country:
        return pd.DatetimeIndex([])
    try:
        import holidays

        days = holidays.country_holidays(country, years=range(start.year, end.year + 2))
    except (ImportError, NotImplementedError, KeyError):
        return pd.DatetimeIndex([])
    return pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in days))


def _season(y, mu0, dow, mon, isx, w, weekday, month, hol, iterations: int = 3):
    """Multiplicative weekday x month x holiday factors of the total, shrunk toward 1, mean 1."""
    shrink = max(float(np.sum(w * y)) / max(len(np.unique(mon)), 1) * 0.02, 1e-9)
    for _ in range(iterations):
        num = np.bincount(dow, weights=w * y, minlength=7)
        den = np.bincount(dow, weights=w * mu0 * month[mon] * hol[isx], minlength=7)
        weekday = (num + shrink) / (den + shrink)
        weekday /= np.average(weekday[dow], weights=w)
        num = np.bincount(mon, weights=w * y, minlength=12)
        den = np.bincount(mon, weights=w * mu0 * weekday[dow] * hol[isx], minlength=12)
        month = (num + shrink * 4) / (den + shrink * 4)
        month /= np.average(month[mon], weights=w)
        num = np.bincount(isx, weights=w * y, minlength=2)
        den = np.bincount(isx, weights=w * mu0 * weekday[dow] * month[mon], minlength=2)
        hol = np.array([1.0, (num[1] + shrink * 0.2) / (den[1] + shrink * 0.2) / max(num[0] / max(den[0], 1e-12),
                                                                                      1e-12)])
    return weekday, month, hol


def _normalise(ll: np.ndarray) -> np.ndarray:
    flat = ll.reshape(ll.shape[0], -1)
    flat = flat - flat.max(1, keepdims=True)
    p = np.exp(flat)
    p /= p.sum(1, keepdims=True)
    return p.reshape(ll.shape)


def _moments(p: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = (p * grid).sum(1)
    v = (p * (grid[None, :] - m[:, None]) ** 2).sum(1)
    return m, np.maximum(v, 1e-6)


def _pooled(X: np.ndarray, theta: np.ndarray, var: np.ndarray, ridge: float, iterations: int = 5):
    """Precision-weighted ridge fit of per-item estimates; returns coef, prediction, between-item sd."""
    tau2 = max(float(np.var(theta)), 0.05)
    pen = np.full(X.shape[1], ridge)
    pen[0] = 1e-6
    for _ in range(iterations):
        wts = 1.0 / (var + tau2)
        XtW = X.T * wts
        inv = np.linalg.inv(XtW @ X + np.diag(pen))
        coef = inv @ (XtW @ theta)
        pred = X @ coef
        # leave-one-out residuals (ridge hat matrix), so a rich design does not hide the spread
        lev = np.clip(np.einsum("ij,jk,ik->i", X, inv, X) * wts, 0.0, 0.95)
        resid2 = ((theta - pred) / (1.0 - lev)) ** 2
        tau2 = max(float(np.sum(wts * (resid2 - var)) / np.sum(wts)), 0.01)
    tau = float(np.sqrt(tau2))
    return coef, pred, max(tau, 0.1)

