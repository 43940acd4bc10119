"""The customer lifetime value model: BG/NBD for purchases, Gamma-Gamma for spend, as of a day.

:class:`CLVModel` composes the two fitted models over the summaries of
:mod:`core.clv.data`, predicts per customer (probability alive, expected purchases
and value over a horizon) and saves itself through :mod:`core.registry` (the learned
parameters live in the passport; nothing is pickled).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import registry
from core.clv.bgnbd import BetaGeoModel
from core.clv.data import DAYS_PER_WEEK, SUMMARY_COLUMNS, TableReading, latest_date, read_customers
from core.clv.gamma_gamma import GammaGammaModel
from core.errors import NotEnoughDataError

STEM = "clv"
MODEL_TYPE = "CLVModel"
FORMAT_VERSION = 1
MODEL_NAME = "BG/NBD + Gamma-Gamma (maximum likelihood, scipy)"
MIN_CUSTOMERS = 10


class CLVModel:
    """BG/NBD and Gamma-Gamma fitted on the customers table as of a day.

    Parameters
    ----------
    penalizer : float
        L2 penalty on both models' parameters (0: the literature's plain likelihood).

    Attributes
    ----------
    as_of_ : Timestamp
    summary_ : DataFrame
        The customers modelled (:data:`core.clv.data.SUMMARY_COLUMNS`).
    purchases_ : BetaGeoModel
    spend_ : GammaGammaModel
    spend_basis_ : str
        ``"orders"`` (average order value over all orders, the contract's fields) or
        ``"repeat"`` (repeat orders only: given by a transaction log, or a table whose
        total_spent leaves first orders out, see :class:`core.clv.data.TableReading`).
    reading_ : TableReading
        How the customers table's orders and total_spent were read.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": list("abcdefghijkl"),
    ...     "first_seen": ["2024-01-01"] * 12, "last_purchase": ["2024-12-15", "2024-03-01", "2024-01-01"] * 4,
    ...     "orders": [5, 5, 1] * 4, "total_spent": [100.0, 50.0, 20.0, 90.0, 45.0, 30.0] * 2})
    >>> model = CLVModel().fit(customers, as_of="2024-12-31")
    >>> table = model.predict(horizon_days=365)
    >>> alive = table.set_index("customer_id")["p_alive"]
    >>> bool(alive["a"] > alive["b"])  # same orders, but b has been silent since March
    True
    """

    def __init__(self, *, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(self, customers: pd.DataFrame, *, as_of: str | pd.Timestamp | None = None,
            spend: pd.DataFrame | None = None) -> "CLVModel":
        """Fit on the contract customers table; ``spend`` (customer_id, spend_n, spend_mean) overrides
        the average order value, e.g. with :func:`core.clv.data.repeat_spend` of a transaction log."""
        as_of = pd.Timestamp(as_of) if as_of is not None else latest_date(customers)
        summary, self.reading_ = read_customers(customers, as_of)
        if len(summary) < MIN_CUSTOMERS:
            raise NotEnoughDataError(f"Lifetime value needs at least {MIN_CUSTOMERS} customers with a purchase and "
                                     f"a first day by {as_of:%Y-%m-%d}; there are {len(summary)}.")
        self.spend_basis_ = self.reading_.spend_basis
        if spend is not None:
            summary = summary.drop(columns=["spend_n", "spend_mean"]).merge(
                spend[["customer_id", "spend_n", "spend_mean"]].astype({"customer_id": str}),
                on="customer_id", how="left")
            summary["spend_n"] = summary["spend_n"].fillna(0.0)
            self.spend_basis_ = "repeat"
        self.as_of_ = as_of
        self.summary_ = summary.reset_index(drop=True)
        self.purchases_ = BetaGeoModel(penalizer=self.penalizer).fit(summary["x"], summary["t_x"], summary["T"])
        self.spend_ = GammaGammaModel(penalizer=self.penalizer).fit(*self._spend_fit_rows(summary))
        return self

    def _spend_fit_rows(self, summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Customers with repeat orders (the contract's rule): their number of averaged orders and mean."""
        rows = summary[(summary["x"] > 0) & (summary["spend_n"] > 0) & (summary["spend_mean"] > 0)]
        return rows["spend_n"].to_numpy(), rows["spend_mean"].to_numpy()

    def predict(self, *, horizon_days: float = 365.0, summary: pd.DataFrame | None = None) -> pd.DataFrame:
        """customer_id, p_alive, expected_purchases, expected_spend, expected_value over the horizon."""
        self._check_fitted()
        s = self.summary_ if summary is None else summary
        weeks = float(horizon_days) / DAYS_PER_WEEK
        alive = self.purchases_.p_alive(s["x"], s["t_x"], s["T"])
        n = self.purchases_.expected_purchases(weeks, s["x"], s["t_x"], s["T"])
        per_order = self.spend_.expected_spend(s["spend_n"], s["spend_mean"].fillna(0.0))
        return pd.DataFrame({"customer_id": s["customer_id"].to_numpy(), "p_alive": alive,
                             "expected_purchases": n, "expected_spend": per_order, "expected_value": n * per_order})

    def _check_fitted(self) -> None:
        if not hasattr(self, "purchases_"):
            raise NotEnoughDataError("The lifetime value model has not been fitted yet.")

    # ---- persistence through the one artifact store
    def config(self) -> dict[str, Any]:
        return {"penalizer": float(self.penalizer), "spend_basis": self.spend_basis_}

    def save(self, root: str | Path, *, data_version: int) -> dict[str, Any]:
        """Save the parameters with a passport under ``root/clv/``."""
        self._check_fitted()
        params = {**self.purchases_.params_, **{f"spend_{k}": v for k, v in self.spend_.params_.items()}}
        return registry.save(root, STEM, {"params": np.array([params[k] for k in sorted(params)])},
                             model_type=MODEL_TYPE, version=FORMAT_VERSION, config=self.config(),
                             params=params, data={"data_version": int(data_version),
                                                  "as_of": f"{self.as_of_:%Y-%m-%d}",
                                                  "customers": int(len(self.summary_))})

    @classmethod
    def load(cls, root: str | Path, *, penalizer: float = 0.0, spend_basis: str = "orders",
             artifact_id: str | None = None) -> tuple["CLVModel", dict[str, Any]]:
        """The saved parameters (no summary: call :meth:`predict` with one). Mismatch: ModelMismatchError."""
        _, passport = registry.load(root, STEM, model_type=MODEL_TYPE, version=FORMAT_VERSION,
                                    config={"penalizer": float(penalizer), "spend_basis": spend_basis},
                                    artifact_id=artifact_id)
        model = cls(penalizer=penalizer)
        p = passport["params"]
        model.purchases_ = BetaGeoModel(penalizer=penalizer)
        model.purchases_.params_ = {k: float(p[k]) for k in ("r", "alpha", "a", "b")}
        model.spend_ = GammaGammaModel(penalizer=penalizer)
        model.spend_.params_ = {k: float(p[f"spend_{k}"]) for k in ("p", "q", "gamma")}
        model.spend_basis_ = spend_basis
        model.reading_ = TableReading()
        model.as_of_ = pd.Timestamp(passport["data"]["as_of"])
        model.summary_ = pd.DataFrame(columns=list(SUMMARY_COLUMNS))
        return model, passport
