"""What the workbench's families share: the hold-out lengths, dates as ISO days, JSON-ready records.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from core.errors import NotEnoughDataError
from core.warehouse import Warehouse

#: Days held out at the end of the history by the recommendations backtest and the monitor replay.
HOLDOUT_DAYS = 91
#: Forecast horizon (days) of the scheduling backtest.
FORECAST_HORIZON = 28


def _day(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return pd.Timestamp(value).date().isoformat()


def _window(dates: pd.Series) -> tuple[str | None, str | None]:
    d = pd.to_datetime(dates).dropna()
    return (_day(d.min()), _day(d.max())) if len(d) else (None, None)


def _campaigns(wh: Warehouse) -> pd.DataFrame:
    frame = wh.campaigns()
    if not len(frame):
        raise NotEnoughDataError("There are no campaign-days yet: load campaign data first.")
    return frame


def _records(frame: pd.DataFrame, digits: int = 6) -> list[dict[str, Any]]:
    """A frame as JSON-ready records, floats rounded (the artifact stays small and readable)."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(digits)
        elif pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    out = out.astype(object).where(out.notna(), None)
    return out.to_dict(orient="records")
