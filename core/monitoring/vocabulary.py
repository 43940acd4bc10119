"""The monitor's vocabulary: incident kinds, severities, alert columns, sensitivity levels, state tables."""

from __future__ import annotations

from dataclasses import dataclass

KINDS: dict[str, str] = {
    "cpl_jump": "Cost per lead jump",
    "cpa_jump": "Cost per conversion jump",
    "ctr_collapse": "Click-through collapse",
    "tracking_stopped": "Tracking stopped",
    "overspend": "Overspend",
    "underdelivery": "Under-delivery",
}
SEVERITIES = ("low", "medium", "high")
ALERT_COLUMNS = ["campaign_id", "date", "metric", "kind", "severity", "observed", "expected", "message"]
ACKS_TABLE = "monitoring_acks"
NOTIFIED_TABLE = "monitoring_notified"


@dataclass(frozen=True)
class Sensitivity:
    """Thresholds of one sensitivity level.

    ``p_open``: tail probability that opens an alert (per test); ``p_keep``: the
    looser one that keeps an open incident alive; ``ratio``: the observed count
    must be at most this share of the expected one to open; ``overspend``: spend
    above this multiple of the daily budget; ``under``: spend below this share of
    the expected spend, for ``under_days`` days in a row.
    """

    p_open: float
    p_keep: float
    ratio: float
    overspend: float
    under: float
    under_days: int
    min_expected: float


SENSITIVITY: dict[str, Sensitivity] = {
    "low": Sensitivity(1e-6, 5e-3, 0.4, 1.5, 0.35, 3, 3.0),
    "normal": Sensitivity(1e-4, 2e-2, 0.5, 1.3, 0.5, 2, 2.0),
    "high": Sensitivity(1e-3, 5e-2, 0.65, 1.2, 0.6, 2, 1.0),
}

# count channels: name -> (observed column, exposure column)
CHANNELS: dict[str, tuple[str, str]] = {
    "leads": ("leads", "spend"),
    "conversions": ("conversions", "spend"),
    "clicks": ("clicks", "impressions"),
}
NUMERIC = ("daily_budget", "spend", "impressions", "clicks", "leads", "conversions")
