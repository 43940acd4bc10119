"""Synthetic posts with a KNOWN engagement pattern, and small campaign series, for scheduling tests.

The true engagement rate of a slot is ``base * hour_curve(hour, weekday) * day_factor(weekday) * media``;
each post's own rate scatters around it (Beta with concentration ``kappa``: real posts are overdispersed)
and engagements are binomial on its impressions. The posting habit is realistic: mostly weekday
office hours, fewer evenings and weekends, almost nothing at night.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

DAY_FACTOR = np.array([0.95, 1.0, 1.05, 1.0, 0.9, 1.1, 1.15])
MEDIA = {"image": 1.0, "video": 1.3, "link": 0.6}


def true_rate(platform: str, weekday: int, hour: int, media_type: str = "image") -> float:
    """The generator's true engagement rate of a slot (per impression)."""
    base = {"facebook": 0.030, "instagram": 0.050}.get(platform, 0.04)
    evening = 19 + (1 if weekday >= 5 else 0)  # weekend evenings peak an hour later
    curve = (0.45 + 0.55 * np.exp(-0.5 * ((hour - 12.5) / 1.6) ** 2)
             + 0.9 * np.exp(-0.5 * ((hour - evening) / 1.8) ** 2))
    return float(base * curve * DAY_FACTOR[weekday] * MEDIA.get(media_type, 1.0))


def true_table(platform: str, media_type: str = "image") -> pd.DataFrame:
    rows = [(d, h, true_rate(platform, d, h, media_type)) for d in range(7) for h in range(24)]
    return pd.DataFrame(rows, columns=["weekday", "hour", "rate"])


def habit_weights() -> np.ndarray:
    """Probability of posting in each hour-of-week slot (weekday-major, 168)."""
    hours = np.arange(24)
    day = np.where((hours >= 8) & (hours <= 18), 1.0, np.where((hours >= 19) & (hours <= 22), 0.35, 0.03))
    w = np.concatenate([day * (1.0 if d < 5 else 0.5) for d in range(7)])
    return w / w.sum()


def synthetic_posts(n: int = 700, platform: str = "facebook", *, kappa: float = 150.0, offset_minutes: int = -300,
                    random_state: int = 0, start: str = "2025-01-06") -> pd.DataFrame:
    """Posts in contract shape (published_at ISO with offset) following the known pattern."""
    rng = np.random.default_rng(random_state)
    slots = rng.choice(168, size=n, p=habit_weights())
    weeks = rng.integers(0, 52, size=n)
    minutes = rng.integers(0, 60, size=n)
    media = rng.choice(list(MEDIA), size=n, p=[0.6, 0.25, 0.15])
    impressions = np.maximum(rng.lognormal(np.log(1500), 0.6, size=n).astype(int), 50)
    tz = timezone(timedelta(minutes=offset_minutes))
    first = datetime.fromisoformat(start)  # a Monday
    rows = []
    for i in range(n):
        d, h = divmod(int(slots[i]), 24)
        mu = true_rate(platform, d, h, media[i])
        p = rng.beta(mu * kappa, (1 - mu) * kappa)
        eng = rng.binomial(impressions[i], p)
        parts = rng.multinomial(eng, [0.7, 0.1, 0.05, 0.15])
        local = first + timedelta(weeks=int(weeks[i]), days=d, hours=h, minutes=int(minutes[i]))
        rows.append({"post_id": f"{platform[:2]}{random_state}-{i}", "platform": platform,
                     "published_at": local.replace(tzinfo=tz).isoformat(), "text": f"post {i}",
                     "media_type": str(media[i]), "impressions": int(impressions[i]),
                     "likes": int(parts[0]), "comments": int(parts[1]), "shares": int(parts[2]),
                     "clicks": int(parts[3])})
    return pd.DataFrame(rows)


def posts_frame(records: pd.DataFrame) -> pd.DataFrame:
    """What ``Warehouse.posts()`` returns for these records (without a warehouse)."""
    out = records.copy()
    ts = out["published_at"].map(datetime.fromisoformat)
    out["utc_offset_minutes"] = [int(t.utcoffset().total_seconds() // 60) for t in ts]
    out["local_time"] = pd.to_datetime([t.replace(tzinfo=None) for t in ts])
    out["published_at"] = pd.to_datetime(out["published_at"], utc=True)
    return out


def synthetic_campaigns(days: int = 400, *, random_state: int = 0, start: str = "2024-06-01") -> pd.DataFrame:
    """Two campaigns with a weekly pattern and a slow trend, in contract shape (flat audience fields)."""
    rng = np.random.default_rng(random_state)
    dates = pd.date_range(start, periods=days, freq="D")
    rows = []
    for cid, scale in (("c1", 20.0), ("c2", 8.0)):
        week = np.array([1.2, 1.25, 1.2, 1.1, 1.0, 0.6, 0.55])[dates.weekday]
        trend = 1 + 0.3 * np.arange(days) / days
        year = 1 + 0.15 * np.sin(2 * np.pi * dates.dayofyear / 365.25)
        lam = scale * week * trend * year
        leads = rng.poisson(lam)
        spend = np.round(lam * 12 * rng.uniform(0.9, 1.1, days), 2)
        clicks = rng.poisson(lam * 15)
        for d, l, s, c in zip(dates, leads, spend, clicks):
            rows.append({"date": d.date().isoformat(), "platform": "google", "campaign_id": cid,
                         "campaign_name": f"Campaign {cid}", "objective": "leads", "ad_type": "search",
                         "bidding_strategy": "manual_cpc",
                         "audience": {"age_min": 25, "age_max": 54, "gender": "all", "interests": [],
                                      "location": "US"},
                         "daily_budget": float(s * 1.2 + 1), "spend": float(s), "impressions": int(c * 30 + 10),
                         "clicks": int(c), "leads": int(l), "conversions": int(l // 4),
                         "revenue": float(l // 4) * 90.0})
    return pd.DataFrame(rows)
