"""How old the newest data is, said plainly ("data ends Oct 31, 31 days ago")."""

from __future__ import annotations

from datetime import date

import pandas as pd


def stale_note(last_day: date | pd.Timestamp | str | None, *, today: date | None = None,
               min_days: int = 7) -> str | None:
    """A warning when the newest campaign day is at least ``min_days`` old, else None.

    >>> stale_note("2026-10-31", today=date(2026, 12, 1))
    'data ends Oct 31, 31 days ago: load newer exports to check recent days'
    >>> stale_note("2026-11-29", today=date(2026, 12, 1)) is None
    True
    """
    if last_day is None or (isinstance(last_day, float) and pd.isna(last_day)):
        return None
    last = pd.Timestamp(last_day).date()
    age = ((today or date.today()) - last).days
    if age < min_days:
        return None
    when = f"{last:%b} {last.day}" + (f", {last.year}" if last.year != (today or date.today()).year else "")
    return f"data ends {when}, {age} days ago: load newer exports to check recent days"
