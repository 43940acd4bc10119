"""Gamma-Gamma: how much a customer spends per purchase (Fader, Hardie & Lee 2005 note; Colombo & Jiang 1999).

Each transaction's value is Gamma(p, ν) around the customer's own mean p/ν, and ν
varies across customers as Gamma(q, γ). A customer is summarised by ``x`` (number of
transactions averaged) and ``z`` (their mean value); spend is assumed independent of
how often they buy.

Examples
--------
>>> m = GammaGammaModel().fit([1, 2, 3, 1, 4, 2], [10.0, 12.0, 30.0, 8.0, 22.0, 15.0])
>>> bool(m.expected_spend([1], [10.0])[0] > 10.0)  # one small order is pulled up toward the mean
True
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

from core.errors import NotEnoughDataError

PARAMS = ("p", "q", "gamma")


def log_likelihood(params, x, z) -> np.ndarray:
    """Each customer's log-likelihood of their mean value ``z`` over ``x`` transactions.

    f(z | x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q z^(px-1) x^(px) / (γ + x z)^(px+q),
    the density of the mean (x·z is Gamma(px, ν)) mixed over ν ~ Gamma(q, γ).
    """
    x, z = np.asarray(x, dtype=float), np.asarray(z, dtype=float)
    xu, inv = np.unique(x, return_inverse=True)
    return _log_likelihood(params, xu, inv.reshape(x.shape), x, np.log(z), z)


def _log_likelihood(params, xu, inv, x, log_z, z) -> np.ndarray:
    """:func:`log_likelihood` with the gamma functions evaluated once per distinct ``x``."""
    p, q, g = (float(v) for v in params)
    head = gammaln(p * xu + q) - gammaln(p * xu) - gammaln(q) + p * xu * np.log(xu)
    px = p * x
    return head[inv] + q * np.log(g) + (px - 1) * log_z - (px + q) * np.log(g + x * z)


def expected_spend(params, x, z) -> np.ndarray:
    """E[mean value | x, z] = p (γ + x z) / (p x + q - 1): the population mean p γ/(q-1)
    weighted against the customer's own mean by how many transactions back it."""
    p, q, g = (float(v) for v in params)
    x, z = np.asarray(x, dtype=float), np.asarray(z, dtype=float)
    return p * (g + x * z) / (p * x + q - 1)


def population_mean(params) -> float:
    """Mean transaction value of a customer with no history: p γ / (q - 1) (infinite when q <= 1)."""
    p, q, g = (float(v) for v in params)
    return p * g / (q - 1) if q > 1 else float("inf")


class GammaGammaModel:
    """Gamma-Gamma spend model fitted by maximum likelihood on customers with ``x >= 1``."""

    def __init__(self, *, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(self, x, z) -> "GammaGammaModel":
        x, z = np.asarray(x, dtype=float), np.asarray(z, dtype=float)
        keep = (x > 0) & (z > 0) & np.isfinite(z)
        x, z = x[keep], z[keep]
        if len(x) < 3:
            raise NotEnoughDataError("The spend model needs at least three customers with repeat purchases "
                                     "and money spent.")
        scale = float(np.median(z))  # fit γ on a unit scale, then scale back
        xu, inv = np.unique(x, return_inverse=True)
        zs = z / scale
        log_zs = np.log(zs)

        def nll(theta: np.ndarray) -> float:
            params = np.exp(theta)
            ll = _log_likelihood(params, xu, inv, x, log_zs, zs)
            return -float(np.mean(ll)) + self.penalizer * float(np.sum(params ** 2))

        best = None
        for start in (np.zeros(3), np.log([5.0, 3.0, 1.0])):
            res = minimize(nll, start, method="L-BFGS-B", bounds=[(-10, 10)] * 3)
            if best is None or res.fun < best.fun:
                best = res
        p, q, g = np.exp(best.x)
        self.params_ = {"p": float(p), "q": float(q), "gamma": float(g * scale)}
        self.log_likelihood_ = float(np.sum(log_likelihood(self.theta_, x, z)))
        self.converged_ = bool(best.success)
        return self

    @property
    def theta_(self) -> tuple[float, float, float]:
        return tuple(self.params_[k] for k in PARAMS)  # type: ignore[return-value]

    def expected_spend(self, x, z) -> np.ndarray:
        """Expected value of a future transaction; customers without repeat purchases get the population mean."""
        x, z = np.asarray(x, dtype=float), np.asarray(z, dtype=float)
        known = (x > 0) & (z > 0) & np.isfinite(z)
        mean = population_mean(self.theta_)
        out = np.full(x.shape, mean if np.isfinite(mean) else float(np.nanmean(z[known])) if known.any() else 0.0)
        out[known] = expected_spend(self.theta_, x[known], z[known])
        return out
