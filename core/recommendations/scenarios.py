"""Saved scenarios: several plans for one client kept in the workspace, and compared side by side.

Stored through the warehouse's state API in the table ``recommendations_scenarios`` (one row
per scenario: its figures for listing and comparing, and the whole plan payload as JSON).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from core.errors import BadInputError
from core.recommendations.plan import Plan

SCENARIOS_TABLE = "recommendations_scenarios"
_FIGURES = ("daily_spend", "leads", "conversions", "revenue", "cpl", "cpa", "roas")


def scenario_row(plan: Plan, *, name: str, client: str = "") -> dict[str, Any]:
    """One scenario as a state-table row: id, client, name, the plan's figures and its payload."""
    if not name.strip():
        raise BadInputError("Give the scenario a name (for example 'Base $6k' or 'No Facebook').", "No name")
    per_platform = plan.items.groupby("platform")["daily_budget"].sum().round(2).to_dict()
    obj = plan.objective
    row: dict[str, Any] = {"scenario_id": uuid.uuid4().hex[:12], "client": client.strip(), "name": name.strip(),
                           "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                           "brief": obj.text, "goal": obj.goal, "daily_budget": float(obj.daily_budget or 0.0),
                           "line_items": int(len(plan.items))}
    for k in _FIGURES:
        v = plan.expected.get(k)
        row[k] = None if v is None else float(v)
    row["baseline_goal"] = float(plan.baseline.get(obj.goal) or 0.0)
    row["spend_by_platform"] = json.dumps(per_platform, sort_keys=True)
    row["payload"] = json.dumps(plan.to_payload(), default=str)
    return row


def save_scenario(wh: Any, plan: Plan, *, name: str, client: str = "") -> str:
    """Keep a plan as a named scenario of a client; returns its id."""
    row = scenario_row(plan, name=name, client=client)
    wh.save_state(SCENARIOS_TABLE, pd.DataFrame([row]), keys=["scenario_id"])
    return row["scenario_id"]


def list_scenarios(wh: Any, client: str | None = None) -> pd.DataFrame:
    """The saved scenarios (newest last), of one client when ``client`` is given; no payloads."""
    frame = wh.load_state(SCENARIOS_TABLE, **({} if client is None else {"client": client.strip()}))
    if frame.empty:
        return frame
    return frame.drop(columns=["payload"]).sort_values("saved_at", kind="stable").reset_index(drop=True)


def load_scenario(wh: Any, scenario_id: str) -> dict[str, Any]:
    """A saved scenario's whole plan payload (the CLI contract's shape)."""
    frame = wh.load_state(SCENARIOS_TABLE, scenario_id=scenario_id)
    if frame.empty:
        raise BadInputError(f"No saved scenario {scenario_id}.", "Unknown scenario")
    return json.loads(frame.iloc[0]["payload"])


def delete_scenario(wh: Any, scenario_id: str) -> int:
    return wh.delete_state(SCENARIOS_TABLE, scenario_id=scenario_id)


def compare_scenarios(scenarios: pd.DataFrame) -> pd.DataFrame:
    """Side by side: one column per scenario, rows for leads, CPL, sales, revenue and spend per platform."""
    if scenarios is None or scenarios.empty:
        return pd.DataFrame()
    cols = {}
    for _, s in scenarios.iterrows():
        spend = json.loads(s["spend_by_platform"] or "{}")
        col = {"budget a day ($)": s["daily_budget"], "spend a day ($)": s["daily_spend"],
               "leads a day": s["leads"], "cost per lead ($)": s["cpl"], "sales a day": s["conversions"],
               "cost per sale ($)": s["cpa"], "revenue a day ($)": s["revenue"], "line items": s["line_items"]}
        col.update({f"spend on {p} ($/day)": v for p, v in sorted(spend.items())})
        label = s["name"] if s["name"] not in cols else f"{s['name']} ({s['scenario_id'][:4]})"
        cols[label] = col
    out = pd.DataFrame(cols)
    spend_rows = [r for r in out.index if r.startswith("spend on ")]
    out.loc[spend_rows] = out.loc[spend_rows].fillna(0.0)
    out.index.name = "figure"
    return out.reset_index()


# ------------------------------------------------------------------ the brief being worked on

BRIEFS_TABLE = "recommendations_briefs"


def save_brief(wh: Any, text: str, *, client: str = "") -> None:
    """Keep the brief last read, so it survives a reload of the page (one row, replaced)."""
    wh.save_state(BRIEFS_TABLE, pd.DataFrame([{"brief": text, "client": client.strip(),
                                               "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}]),
                  replace_all=True)


def last_brief(wh: Any) -> tuple[str, str] | None:
    """(brief, client) last read, or None."""
    frame = wh.load_state(BRIEFS_TABLE)
    if frame.empty:
        return None
    row = frame.sort_values("saved_at").iloc[-1]
    return str(row["brief"]), str(row.get("client") or "")
