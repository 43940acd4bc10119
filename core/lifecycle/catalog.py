"""The registry of model families: what a family is and what its training returns.

A leaf module: it imports no family, so families import it and nothing imports back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from core.config import Settings
from core.warehouse import Warehouse


@dataclass
class TrainResult:
    """What a family's training returns: figures, the inputs it saw, and a small artifact.

    ``baseline`` holds the current champion's figures measured on the same held-out data
    in the same run, when the family can measure them; champion/challenger then compares
    like with like instead of with figures the champion scored on other data.
    """

    metrics: dict[str, float]
    primary: str
    higher_is_better: bool
    params: dict[str, Any] = field(default_factory=dict)
    window: tuple[str | None, str | None] = (None, None)
    features: pd.DataFrame | None = None
    date_column: str | None = None
    artifact: dict[str, Any] | None = None
    baseline: dict[str, float] | None = None
    #: Called once when the challenger is promoted: puts the new model where the pages read it
    #: (the sentiment head becomes the registry's current head, for instance).
    on_promote: Callable[[], Any] | None = None


@dataclass(frozen=True)
class Family:
    """One model family: how to train it and how often it must be refreshed."""

    name: str
    description: str
    train: Callable[[Warehouse, Settings], TrainResult]
    features: Callable[[Warehouse], tuple[pd.DataFrame, str | None]]
    schedule_days: int = 7


FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    FAMILIES[family.name] = family
    return family
