"""The workspace data contract (DATA.md, version 2) as code.

Each table is a list of :class:`Field` specs plus its natural key and row-level
checks. The warehouse turns these specs into one vectorised DuckDB pass that both
casts every column and collects every violation (record, field, reason), so a file
of a million records is validated without a Python loop over records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from core.config import DEFAULT_ACCOUNT as DEFAULT_ACCOUNT  # re-exported: the contract names the default client
from core.errors import AccountError

Kind = Literal["account", "string", "platform", "enum", "count", "amount", "date", "datetime", "int", "audience"]

OBJECTIVES = ("leads", "sales", "traffic", "awareness")
GENDERS = ("all", "female", "male")
MEDIA_TYPES = ("text", "image", "video", "link", "carousel")
LABELS = ("positive", "neutral", "negative")
METRICS = ("spend", "impressions", "clicks", "leads", "conversions", "revenue")

# The client a row belongs to (DATA.md version 2): files without it load as this one.
ACCOUNT_FIELD = "account_id"
ACCOUNT_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"
_ACCOUNT_RE = re.compile(f"^{ACCOUNT_PATTERN}$")


def check_account_id(value: str) -> str:
    """A client id as typed by a user: letters, digits, ``_ . -``, up to 64 characters.

    >>> check_account_id(" acme ")
    'acme'
    """
    text = str(value).strip()
    if not _ACCOUNT_RE.match(text):
        raise AccountError(f"Not a client id: {value!r} (letters, digits, '_', '.', '-'; up to 64 characters).")
    return text


# Plausible ranges (docs/data-format.md): a value outside them is a broken export, not
# data, and would move every "last N days" window or swamp a model. Dates and date-times
# from 2000-01-01 to one year after today (UTC); counts and amounts below a cap far above
# any real campaign-day, even in currencies of small units.
DATE_MIN = "2000-01-01"
# A CRM's customers can be far older than any ad platform (CDNOW's history starts in 1997):
# their dates only have to be after this.
CUSTOMER_DATE_MIN = "1900-01-01"
DATE_MAX_AHEAD = "1 year"
COUNT_MAX = 100_000_000_000      # 1e11 impressions, clicks, leads ... in one record
AMOUNT_MAX = 10_000_000_000      # 1e10 of the record's currency (spend, revenue, budget)


@dataclass(frozen=True)
class Field:
    """One field of a contract table.

    ``kind`` decides the cast and the checks: ``count`` is a whole number >= 0,
    ``amount`` a finite number >= 0, ``int`` a whole number within ``bounds``,
    ``enum`` one of ``choices`` (compared lower-case), ``platform`` a non-empty
    string stored lower-case.
    """

    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    bounds: tuple[int, int] | None = None
    nullable: bool = False
    date_min: str | None = None  # the earliest plausible date, when not DATE_MIN


@dataclass(frozen=True)
class Rule:
    """A check across fields of one record; ``sql`` is true when the record is bad.

    Field names in ``sql`` are written as ``{name}`` placeholders, so the check can be
    applied to any relation that holds the record's parsed values.
    """

    field: str
    sql: str
    reason: str


@dataclass(frozen=True)
class Table:
    name: str
    fields: tuple[Field, ...]
    keys: tuple[str, ...]
    rules: tuple[Rule, ...] = ()
    # The keys of a record that identify this table when a file does not say.
    signature: tuple[str, ...] = ()

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def get(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


AUDIENCE_FIELDS = ("age_min", "age_max", "gender", "interests", "location")

CAMPAIGNS = Table(
    name="campaigns",
    fields=(
        Field(ACCOUNT_FIELD, "account"),
        Field("date", "date", required=True),
        Field("platform", "platform", required=True),
        Field("campaign_id", "string", required=True),
        Field("campaign_name", "string"),
        Field("objective", "enum", required=True, choices=OBJECTIVES),
        Field("ad_type", "string", required=True),
        Field("bidding_strategy", "string", required=True),
        Field("audience", "audience", required=True),
        Field("daily_budget", "amount", required=True),
        Field("spend", "amount", required=True),
        Field("impressions", "count", required=True),
        Field("clicks", "count", required=True),
        Field("leads", "amount", required=True),      # fractions from data-driven attribution are kept
        Field("conversions", "amount", required=True),
        Field("revenue", "amount", required=True),
        Field("currency", "string"),
    ),
    keys=(ACCOUNT_FIELD, "campaign_id", "date"),
    rules=(Rule("clicks", "{clicks} > {impressions}", "clicks above impressions"),),
    signature=("campaign_id", "date"),
)

POSTS = Table(
    name="posts",
    fields=(
        Field(ACCOUNT_FIELD, "account"),
        Field("post_id", "string", required=True),
        Field("platform", "platform", required=True),
        Field("published_at", "datetime", required=True),
        Field("text", "string"),
        Field("media_type", "enum", choices=MEDIA_TYPES),
        Field("impressions", "count", required=True),
        Field("likes", "count", required=True),
        Field("comments", "count", required=True),
        Field("shares", "count", required=True),
        Field("clicks", "count", required=True),
    ),
    keys=(ACCOUNT_FIELD, "post_id"),
    signature=("post_id", "published_at"),
)

COMMENTS = Table(
    name="comments",
    fields=(
        Field(ACCOUNT_FIELD, "account"),
        Field("comment_id", "string", required=True),
        Field("post_id", "string"),
        Field("platform", "platform", required=True),
        Field("created_at", "datetime", required=True),
        Field("text", "string", required=True),
        Field("label", "enum", choices=LABELS),
    ),
    keys=(ACCOUNT_FIELD, "comment_id"),
    signature=("comment_id",),
)

CUSTOMERS = Table(
    name="customers",
    fields=(
        Field(ACCOUNT_FIELD, "account"),
        Field("customer_id", "string", required=True),
        Field("age", "int", bounds=(0, 120)),
        Field("gender", "string"),
        Field("location", "string"),
        Field("first_seen", "date", date_min=CUSTOMER_DATE_MIN),
        Field("last_purchase", "date", nullable=True, date_min=CUSTOMER_DATE_MIN),
        Field("orders", "count", required=True),
        Field("total_spent", "amount", required=True),
        Field("sessions_90d", "count"),
        Field("email_opens_90d", "count"),
        Field("email_clicks_90d", "count"),
        Field("social_engagements_90d", "count"),
        Field("channel", "string"),
    ),
    keys=(ACCOUNT_FIELD, "customer_id"),
    signature=("customer_id",),
)

TABLES: dict[str, Table] = {t.name: t for t in (CAMPAIGNS, POSTS, COMMENTS, CUSTOMERS)}
TABLE_NAMES = tuple(TABLES)

# A record's keys decide its table when the caller does not name it; the most
# specific signature is tried first (a comment also carries a post_id).
_GUESS_ORDER = ("comments", "campaigns", "posts", "customers")


def guess_table(record_keys: set[str] | list[str]) -> str | None:
    """Name the contract table a record with these keys belongs to, or None."""
    keys = set(record_keys)
    for name in _GUESS_ORDER:
        if set(TABLES[name].signature) <= keys:
            return name
    return None


def audience_label(age_min: int, age_max: int, gender: str, location: str, interests) -> str:
    """A short, stable, human-readable name for one audience (used as a grouping key)."""
    if any(v is None or str(v) in ("nan", "<NA>", "NaT") for v in (age_min, age_max)):
        # Unknown targeting (an export that does not carry it): one honest label, never invented ages.
        return "unknown audience" + (f" {location}" if isinstance(location, str) and location else "")
    sex = {"female": "women", "male": "men"}.get(str(gender), "all")
    tags = ", ".join(sorted(str(i) for i in (interests if interests is not None else [])))
    label = f"{sex} {int(age_min)}-{int(age_max)} {location}"
    return f"{label} [{tags}]" if tags else label


# What a model assumes for a line item whose export carries no audience (Google campaigns,
# CSV downloads): no demographic restriction known, location unknown. The line item's label
# stays "unknown audience" (audience_label), so pages and plans say it was not given.
UNKNOWN_AUDIENCE_FILL = {"age_min": 18, "age_max": 65, "gender": "all", "location": "unknown"}


def fill_unknown_audience(frame):
    """A copy of a campaigns frame whose unknown audience fields hold the modelling defaults.

    Models need numbers and categories in every row; the warehouse keeps the unknowns as
    NULL. Call it after the audience label is made, so the label still says "unknown".
    """
    out = frame.copy()
    for col, value in UNKNOWN_AUDIENCE_FILL.items():
        if col in out:
            out[col] = out[col].where(out[col].notna(), value)
    if "interests" in out:
        out["interests"] = out["interests"].map(lambda v: v if v is not None and not isinstance(v, float) else [])
    return out


def campaign_records(frame) -> list[dict]:
    """Contract campaign records (audience nested) from a frame with the audience flattened.

    The inverse of ``Warehouse.campaigns()``'s flattening: date, platform, ...,
    age_min, age_max, gender, interests, location, daily_budget, ... columns.
    """
    out = []
    for r in frame.itertuples(index=False):
        out.append({"date": r.date.date().isoformat(), "platform": r.platform, "campaign_id": r.campaign_id,
                    "campaign_name": r.campaign_name, "objective": r.objective, "ad_type": r.ad_type,
                    "bidding_strategy": r.bidding_strategy,
                    "audience": {"age_min": int(r.age_min), "age_max": int(r.age_max), "gender": r.gender,
                                 "interests": list(r.interests), "location": r.location},
                    "daily_budget": float(r.daily_budget), "spend": float(r.spend),
                    "impressions": int(r.impressions), "clicks": int(r.clicks), "leads": int(r.leads),
                    "conversions": int(r.conversions), "revenue": float(r.revenue),
                    "currency": getattr(r, "currency", None) or "USD"})
    return out
