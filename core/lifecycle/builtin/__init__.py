"""The workbench's model families, one module per family, registered in :mod:`core.lifecycle.catalog`.

Each family says how to train its model on the warehouse and evaluate it honestly
(a backtest, a replay on injected incidents, an out-of-time cross-validation, a
hold-out), which figure decides champion/challenger, what small JSON artifact
describes the fitted model, and which inputs over time are watched for drift.
Importing this package registers ``recommendations``, ``monitoring``, ``scheduling``,
``sentiment``, ``segments``, ``roi`` and ``bandits``.
"""

from __future__ import annotations

from core.lifecycle import catalog
from core.lifecycle.builtin import (  # noqa: F401  (each module registers its family on import)
    bandits, monitoring, recommendations, roi, scheduling, segments, sentiment,
)
from core.lifecycle.catalog import Family


ORDER = ("recommendations", "monitoring", "scheduling", "sentiment", "segments", "roi", "bandits")


def families() -> dict[str, Family]:
    """Every registered model family of the workbench, in the order the Models page lists them."""
    known = dict(catalog.FAMILIES)
    return {**{n: known.pop(n) for n in ORDER if n in known}, **known}
