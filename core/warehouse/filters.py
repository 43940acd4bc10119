"""The sidebar filter and the WHERE clause it becomes (values bound as parameters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class Filters:
    """The shared sidebar filter: a date range, platforms and objectives (empty = all)."""

    start: date | None = None
    end: date | None = None
    platforms: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ()

    def shifted_back(self) -> "Filters":
        """The previous period of equal length (for change-against tiles)."""
        if self.start is None or self.end is None:
            return self
        days = (self.end - self.start).days + 1
        return Filters(self.start - timedelta(days=days), self.start - timedelta(days=1),
                       self.platforms, self.objectives)


def where(filters: Filters | None, date_col: str, *, objectives: bool = True,
          account: str | None = None) -> tuple[str, dict[str, Any]]:
    """The filter as a WHERE clause, within one client's rows when ``account`` is given."""
    f = filters or Filters()
    clauses, params = ["TRUE"], {}
    if account is not None:
        clauses.append("account_id = $account")
        params["account"] = account
    if f.start is not None:
        clauses.append(f"CAST({date_col} AS DATE) >= $start")
        params["start"] = f.start
    if f.end is not None:
        clauses.append(f"CAST({date_col} AS DATE) <= $end")
        params["end"] = f.end
    if f.platforms:
        clauses.append("platform IN (SELECT unnest($platforms))")
        params["platforms"] = [p.lower() for p in f.platforms]
    if objectives and f.objectives:
        clauses.append("objective IN (SELECT unnest($objectives))")
        params["objectives"] = [o.lower() for o in f.objectives]
    return " AND ".join(clauses), params
