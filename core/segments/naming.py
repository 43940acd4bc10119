"""Segment profiles (size, medians, z-scores) and the plain-English names read off them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.segments.features import ENGAGEMENT

NOISE = -1
#: Profiles compare counts and money on a log scale (a mean of raw spend is one whale's);
#: recency, tenure and age stay in days and years, the scale the names' thresholds were set on.
PROFILE_LOG = ("frequency", "monetary", *ENGAGEMENT)


def _transformed_for_z(features: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    t = features[cols].astype(float).copy()
    for c in cols:
        if c in PROFILE_LOG:
            t[c] = np.log1p(t[c])
    return t


def profile_segments(features: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Size, medians and z-scores (segment mean vs overall, on the model's scale) per segment.

    Returns one row per segment with columns ``segment, size, share, median_<f>, z_<f>``
    for every numeric feature with data, plus ``top_channel`` and ``top_channel_share``.
    """
    labels = np.asarray(labels)
    num_cols = [c for c in features.columns if c != "channel" and features[c].notna().any()]
    t = _transformed_for_z(features, num_cols)
    mu, sd = t.mean(), t.std(ddof=0).replace(0, np.nan)
    rows = []
    for seg in sorted(set(labels.tolist())):
        mask = labels == seg
        row: dict[str, Any] = {"segment": int(seg), "size": int(mask.sum()), "share": float(mask.mean())}
        for c in num_cols:
            row[f"median_{c}"] = float(features.loc[mask, c].median())
        for c in num_cols:
            z = (t.loc[mask, c].mean() - mu[c]) / sd[c]
            row[f"z_{c}"] = 0.0 if pd.isna(z) else float(z)
        ch = features.loc[mask, "channel"].dropna() if "channel" in features else pd.Series(dtype=object)
        if len(ch):
            top = ch.value_counts(normalize=True)
            row["top_channel"], row["top_channel_share"] = str(top.index[0]), float(top.iloc[0])
        else:
            row["top_channel"], row["top_channel_share"] = None, np.nan
        rows.append(row)
    return pd.DataFrame(rows)


#: "Lapsed" also needs a typical customer of the segment a quarter without buying: where everyone
#: bought within 100 days, the least recent third is not lapsed, only less recent.
LAPSED_DAYS = 90


def _z(row: pd.Series, name: str) -> float:
    v = row.get(f"z_{name}", 0.0)
    return 0.0 if v is None or pd.isna(v) else float(v)


def _engagement_z(row: pd.Series) -> float:
    zs = [_z(row, e) for e in ENGAGEMENT if f"z_{e}" in row.index]
    return float(np.mean(zs)) if zs else 0.0


def _base_name(row: pd.Series) -> str:
    """The core of a segment's name from its strongest RFM traits."""
    if row.get("segment") == NOISE:
        return "unassigned (outliers)"
    if row.get("median_frequency", 2.0) == 0 and row.get("median_monetary", 1.0) == 0:
        return "engaged prospects (no purchase yet)" if _engagement_z(row) >= 0.3 else "prospects (no purchase yet)"
    if _z(row, "recency_days") >= 0.5 and row.get("median_recency_days", LAPSED_DAYS) >= LAPSED_DAYS:
        return _lapsed_name(row)
    return _active_name(row)


def _lapsed_name(row: pd.Series) -> str:
    value = _z(row, "monetary")
    if value >= 0.5:
        return "lapsed big spenders"
    if row.get("median_frequency", 2.0) <= 1.0:
        return "lapsed one-off buyers"
    return "lapsed customers" if value > -0.5 else "lapsed low spenders"


def _active_name(row: pd.Series) -> str:
    value, freq, rec = _z(row, "monetary"), _z(row, "frequency"), _z(row, "recency_days")
    eng = _engagement_z(row)
    if value >= 0.5:
        return "high-value loyal" if freq >= 0.5 else "big spenders"
    if -_z(row, "tenure_days") >= 0.5 and rec <= 0.0 and freq < 0.5:
        return "new and engaged" if eng >= 0.3 else "new customers"
    if row.get("median_frequency", 2.0) <= 1.0:
        return "one-off bargain hunters" if value <= -0.3 else "one-off buyers"
    if freq >= 0.5:
        return "loyal regulars"
    if eng >= 0.5:
        return "engaged browsers"
    if value <= -0.5:
        return "recent low spenders" if rec <= -0.5 else "low spenders"
    return "steady mid-value"


_TRAITS = {"monetary": ("higher spend", "lower spend"), "frequency": ("more orders", "fewer orders"),
           "recency_days": ("less recent", "more recent"), "tenure_days": ("longer-standing", "newer"),
           "age": ("older", "younger"), "engagement": ("more engaged", "less engaged")}


def _trait_z(row: pd.Series, trait: str) -> float:
    return _engagement_z(row) if trait == "engagement" else _z(row, trait)


def _qualifiers(row: pd.Series) -> list[str]:
    """The segment's traits against everyone, strongest first (for profiles)."""
    cands = [(abs(_trait_z(row, t)), hi if _trait_z(row, t) > 0 else lo) for t, (hi, lo) in _TRAITS.items()
             if abs(_trait_z(row, t)) >= 0.15]
    ch, share = row.get("top_channel"), row.get("top_channel_share")
    if ch and share is not None and not pd.isna(share) and share >= 0.5:
        cands.append((float(share), f"mostly {ch}"))
    return [t for _, t in sorted(cands, key=lambda p: -p[0])]


def _relative_qualifiers(row: pd.Series, siblings: list[pd.Series]) -> list[str]:
    """How a segment differs from the segments that share its name, biggest difference first."""
    cands = []
    for t, (hi, lo) in _TRAITS.items():
        delta = _trait_z(row, t) - float(np.mean([_trait_z(s, t) for s in siblings]))
        if abs(delta) >= 0.05:
            cands.append((abs(delta), hi if delta > 0 else lo))
    ch = row.get("top_channel")
    if ch and (row.get("top_channel_share") or 0) >= 0.4 and all(s.get("top_channel") != ch for s in siblings):
        cands.append((0.1, f"mostly {ch}"))
    return [t for _, t in sorted(cands, key=lambda p: -p[0])]


def name_segments(profiles: pd.DataFrame) -> dict[int, str]:
    """A plain-English, unique name per segment, read off its profile.

    The core name comes from the strongest recency/frequency/value traits
    ("high-value loyal", "lapsed big spenders", "new and engaged", "one-off bargain
    hunters", "prospects (no purchase yet)"...). Segments whose names collide get the trait that sets each apart
    from the others of that name appended ("..., more orders" / "..., fewer orders"),
    until every name is unique.
    """
    rows = {int(r["segment"]): r for _, r in profiles.iterrows()}
    names = {s: _base_name(r) for s, r in rows.items()}
    for _ in range(6):
        groups: dict[str, list[int]] = {}
        for s, n in names.items():
            groups.setdefault(n, []).append(s)
        clashes = [g for g in groups.values() if len(g) > 1]
        if not clashes:
            break
        for group in clashes:
            for s in group:
                sibs = [rows[o] for o in group if o != s]
                extra = [q for q in _relative_qualifiers(rows[s], sibs) if q not in names[s]]
                if extra:
                    names[s] = f"{names[s]}, {extra[0]}"
    counts = pd.Series(names).value_counts()
    seen: dict[str, int] = {}
    for s in sorted(names, key=lambda s: -int(rows[s]["size"])):
        n = names[s]
        if counts[n] > 1:
            seen[n] = seen.get(n, 0) + 1
            names[s] = f"{n} ({seen[n]})" if seen[n] > 1 else n
    return names


def segment_table(profiles: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """Profiles with names, in a readable order (largest segment first)."""
    out = profiles.copy()
    out.insert(1, "name", out["segment"].map(names))
    return out.sort_values("size", ascending=False).reset_index(drop=True)

