"""Lead quality: the share of leads that become sales, per line item and for a plan against its baseline."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from core.recommendations.model import ResponseModel


def qualification_rates(model: ResponseModel, keys: Sequence[str] | None = None, *,
                        strength: float = 30.0) -> np.ndarray:
    """Each line item's share of leads that become sales, shrunk toward its platform's rate.

    A beta-binomial posterior mean: ``(sales + s * platform rate) / (leads + s)`` with ``s = strength``
    leads of prior weight, so a line item with few leads keeps its platform's rate.
    """
    items = model.items_
    plat = items.groupby("platform")[["leads", "conversions"]].sum()
    overall = float(items["conversions"].sum() / max(items["leads"].sum(), 1.0))
    p_rate = ((plat["conversions"] + strength * overall) / (plat["leads"] + strength)).to_dict()
    prior = items["platform"].map(p_rate).to_numpy(float)
    q = (items["conversions"].to_numpy(float) + strength * prior) / (items["leads"].to_numpy(float) + strength)
    return q if keys is None else q[model._rows(keys)]


QUALITY_TARGET = (0.08, 0.12)     # the proof of concept's aim: 8-12% more of the leads go on to buy
#: how far below today's qualification rate a plan for lead volume may go (it weighs leads by quality to stay above)
QUALITY_FLOOR = 0.0
#: the most a plan gives up of what it was made for (leads, or sales for a quality brief) to reach its quality aim
QUALITY_GIVE = 0.05


def lead_values(q: np.ndarray, base_rate: float, weight: float) -> np.ndarray:
    """What one lead of each line item is worth when a plan weighs quality: ``1 + weight * (q / base - 1)``.

    ``weight`` 0 counts every lead alike (lead volume), 1 counts each lead by its chance of a sale
    (sales, up to a constant), above 1 favours the better leads more than sales alone would.

    >>> lead_values(np.array([0.1, 0.3]), 0.2, 1.0).round(2).tolist()
    [0.5, 1.5]
    """
    return np.maximum(1.0 + weight * (np.asarray(q, float) / max(base_rate, 1e-12) - 1.0), 0.0)


def lead_quality(model: ResponseModel, keys: Sequence[str], x: np.ndarray, base_keys: Sequence[str],
                 xb: np.ndarray) -> dict[str, Any]:
    """The plan's qualification rate (sales per lead) against the baseline's, and the +8-12% target."""
    if "leads" not in model.fits_:
        return {}
    q, qb = qualification_rates(model, keys), qualification_rates(model, base_keys)
    leads, leads_b = model.predict(x, "leads", keys=keys), model.predict(xb, "leads", keys=base_keys)
    rate = float((leads * q).sum() / max(leads.sum(), 1e-12))
    base = float((leads_b * qb).sum() / max(leads_b.sum(), 1e-12))
    change = rate / base - 1.0 if base > 0 else None
    return {"qualification_rate": round(rate, 4), "baseline_rate": round(base, 4),
            "change": None if change is None else round(change, 4), "target": list(QUALITY_TARGET),
            "meets_target": None if change is None else bool(change >= QUALITY_TARGET[0])}
