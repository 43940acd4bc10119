"""Importers: real public ad exports mapped into the workspace data contract.

The workbench ships only its own generated sample (``data/sample``). These importers
turn two real public data sets into contract ``campaigns`` records, so the Data page
can offer "load a real public example" when the user uploads the CSV or when the data
sets folder holds it (``Settings.datasets_dir``: ``WORKBENCH_DATASETS``, default
``../shared/datasets``). Neither data set states a licence, so neither is shipped; the
tests use a few rows copied into ``tests/fixtures/importers``.

* :func:`import_fb_ad_conversion`: the Kaggle "Sales Conversion Optimization" file
  ``KAG_conversion_data.csv`` (1,143 Facebook ads, no dates).
* :func:`import_control_test`: the Kaggle A/B test of a control and a test campaign
  (``control_group.csv`` and ``test_group.csv``, ``;``-separated, 30 days each).
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO, TextIO, Union

import numpy as np
import pandas as pd

from core.errors import BadInputError

CsvSource = Union[str, Path, bytes, BinaryIO, TextIO]

FB_COLUMNS = ("ad_id", "xyz_campaign_id", "fb_campaign_id", "age", "gender", "interest", "Impressions", "Clicks",
              "Spent", "Total_Conversion", "Approved_Conversion")
CT_COLUMNS = ("Campaign Name", "Date", "Spend [USD]", "Impressions", "Reach", "Website Clicks", "Searches",
              "View Content", "Add to Cart", "Purchase")
FB_VALUE_PER_APPROVED = 100.0      # assumed USD per approved conversion (the file has no revenue)
CT_VALUE_PER_PURCHASE = 50.0       # assumed USD per purchase (the files have no revenue)


def _name(source: CsvSource) -> str:
    return str(source) if isinstance(source, (str, Path)) else getattr(source, "name", "uploaded file")


def _read_csv(source: CsvSource, sep: str) -> pd.DataFrame:
    """Read a CSV from a path, bytes or a file object; a UTF-8 BOM is dropped."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        frame = pd.read_csv(source, sep=sep, encoding="utf-8-sig", dtype=str, keep_default_na=False,
                            skipinitialspace=True)
    except FileNotFoundError as exc:
        raise BadInputError(f"{_name(source)}: no such file.", "File not found") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{_name(source)}: not a readable CSV file ({exc}).", "Unreadable CSV") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BadInputError(f"{name}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}.",
                            "Not the expected export")


def _numbers(frame: pd.DataFrame, columns: tuple[str, ...], name: str, *, line_offset: int = 2) -> pd.DataFrame:
    """Parse numeric columns; any unparseable value names its file, line and column."""
    out = pd.DataFrame(index=frame.index)
    for col in columns:
        raw = frame[col].astype(str).str.strip()
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna() | (num < 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise BadInputError(f"{name}: line {i + line_offset}, column {col!r}: {raw.iloc[i]!r} is not a "
                                "non-negative number.", "Bad value")
        out[col] = num.astype(float)
    return out


# ---------------------------------------------------------------------- Facebook ad conversions


def import_fb_ad_conversion(source: CsvSource, start: date = date(2026, 10, 1), *, granularity: str = "targeting",
                            value_per_approved: float = FB_VALUE_PER_APPROVED, location: str = "unknown",
                            ad_type: str = "unknown", bidding_strategy: str = "unknown") -> list[dict[str, Any]]:
    """Map ``KAG_conversion_data.csv`` (one row per Facebook ad) to contract campaign records.

    The file has no dates and no budgets, so the mapping assumes:

    * ``granularity="targeting"`` (default): one line item per campaign x age band x
      gender x interest (454 in the full file). Its ads, in ``ad_id`` order (ids grow
      with creation), become consecutive days from ``start``: the first ad is day
      ``start``, the second ``start + 1`` ... Dates are an ordering, not real time.
      ``granularity="ad"``: one line item per ad, all on ``start``.
    * platform ``facebook``, objective ``leads``; ``ad_type``, ``bidding_strategy``
      and the audience's ``location`` are not in the file (default ``"unknown"``).
    * audience: age band ``30-34`` -> 30..34, gender ``M``/``F`` -> male/female,
      interests ``["interest <code>"]`` (Facebook's anonymised interest code).
    * ``daily_budget`` = ``spend`` = ``Spent``; ``Impressions``, ``Clicks`` as they are;
      ``Total_Conversion`` (enquiries) -> ``leads``; ``Approved_Conversion``
      (purchases) -> ``conversions``; ``revenue`` = conversions x ``value_per_approved``
      (an assumption, default 100 USD: the file has no revenue).

    Parameters
    ----------
    source : path, bytes or file object
        The CSV as published (comma-separated, UTF-8 with BOM).
    start : date
        The first date to assign.

    Returns
    -------
    list of dict
        Contract ``campaigns`` records, ordered by date and campaign id.

    Raises
    ------
    BadInputError
        When the file is not this export (missing columns, bad numbers, an unknown
        age band or gender).
    """
    if granularity not in ("targeting", "ad"):
        raise BadInputError(f"granularity must be 'targeting' or 'ad', not {granularity!r}.")
    name = _name(source)
    raw = _read_csv(source, ",")
    _require(raw, FB_COLUMNS, name)
    if raw.empty:
        return []
    num = _numbers(raw, ("Impressions", "Clicks", "Spent", "Total_Conversion", "Approved_Conversion"), name)
    ages = raw["age"].str.extract(r"^\s*(\d+)\s*-\s*(\d+)\s*$")
    gender = raw["gender"].str.strip().str.upper().map({"M": "male", "F": "female"})
    for col, bad in (("age", ages[0].isna()), ("gender", gender.isna())):
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise BadInputError(f"{name}: line {i + 2}, column {col!r}: {raw[col].iloc[i]!r} is not understood.",
                                "Bad value")
    frame = pd.DataFrame({
        "ad_id": pd.to_numeric(raw["ad_id"], errors="coerce"), "xyz": raw["xyz_campaign_id"].str.strip(),
        "age_min": ages[0].astype(int), "age_max": ages[1].astype(int), "gender": gender,
        "interest": raw["interest"].str.strip(), "age": raw["age"].str.strip(),
    }).join(num)
    frame["_line"] = np.arange(len(frame))
    frame = frame.sort_values(["ad_id", "_line"], kind="stable")
    sex = frame["gender"].str[0].str.upper()
    if granularity == "targeting":
        frame["campaign_id"] = ("kag-" + frame["xyz"] + "-" + frame["age"] + "-" + sex + "-i" + frame["interest"])
        frame["day"] = frame.groupby("campaign_id").cumcount()
    else:
        frame["campaign_id"] = "kag-ad-" + raw.loc[frame.index, "ad_id"].str.strip()
        frame["day"] = 0
    frame["date"] = [(start + timedelta(days=int(d))).isoformat() for d in frame["day"]]
    frame["campaign_name"] = ("Campaign " + frame["xyz"] + " | " + frame["age"] + " " + frame["gender"]
                              + " | interest " + frame["interest"])
    frame = frame.sort_values(["date", "campaign_id"], kind="stable")
    conversions = frame["Approved_Conversion"].round().astype(np.int64)
    records = []
    for r, conv in zip(frame.itertuples(index=False), conversions):
        records.append({
            "date": r.date, "platform": "facebook", "campaign_id": r.campaign_id, "campaign_name": r.campaign_name,
            "objective": "leads", "ad_type": ad_type, "bidding_strategy": bidding_strategy,
            "audience": {"age_min": int(r.age_min), "age_max": int(r.age_max), "gender": r.gender,
                         "interests": [f"interest {r.interest}"], "location": location},
            "daily_budget": round(float(r.Spent), 2), "spend": round(float(r.Spent), 2),
            "impressions": int(round(r.Impressions)), "clicks": int(round(r.Clicks)),
            "leads": int(round(r.Total_Conversion)), "conversions": int(conv),
            "revenue": round(float(conv) * float(value_per_approved), 2), "currency": "USD",
        })
    return records


# ---------------------------------------------------------------------- control / test campaigns


_CT_NAMES = {"Spend [USD]": "spend", "Impressions": "impressions", "Reach": "reach", "Website Clicks": "clicks",
             "Searches": "searches", "View Content": "view_content", "Add to Cart": "add_to_cart",
             "Purchase": "purchase"}


def _ct_frame(source: CsvSource, problems: list[dict[str, Any]] | None, on_short_row: str) -> pd.DataFrame:
    name = _name(source)
    raw = _read_csv(source, ";")
    # The Kaggle original heads its columns '# of Impressions' etc.; this copy does not.
    raw.columns = [c.removeprefix("# of ").strip() for c in raw.columns]
    raw = raw.rename(columns={"Clicks": "Website Clicks", "Purchases": "Purchase"})
    _require(raw, CT_COLUMNS, name)
    metrics = CT_COLUMNS[2:]
    short = (raw[list(metrics)].apply(lambda s: s.astype(str).str.strip() == "")).any(axis=1)
    if short.any():
        lines = (np.flatnonzero(short.to_numpy()) + 2).tolist()
        if on_short_row == "raise":
            raise BadInputError(f"{name}: line {lines[0]} has empty fields (a short row).", "Short row")
        for ln in lines:
            if problems is not None:
                problems.append({"file": name, "line": ln, "reason": "short row: empty metric fields, skipped"})
        raw = raw[~short.to_numpy()]
    num = _numbers(raw, metrics, name)
    dates = pd.to_datetime(raw["Date"].str.strip(), format="%d.%m.%Y", errors="coerce")
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise BadInputError(f"{name}: row {i + 1}, column 'Date': {raw['Date'].iloc[i]!r} is not a D.MM.YYYY date.",
                            "Bad value")
    out = num.rename(columns=_CT_NAMES).assign(campaign=raw["Campaign Name"].str.strip(),
                                               date=dates.dt.strftime("%Y-%m-%d"))
    bad = out["clicks"] > out["impressions"]
    if bad.any():
        for i in np.flatnonzero(bad.to_numpy()):
            if problems is not None:
                problems.append({"file": name, "line": None, "reason":
                                 f"{out['date'].iloc[i]}: website clicks above impressions, skipped"})
        out = out[~bad.to_numpy()]
    return out


def import_control_test(control_csv: CsvSource, test_csv: CsvSource, *, platform: str = "facebook",
                        value_per_purchase: float = CT_VALUE_PER_PURCHASE, on_short_row: str = "skip",
                        problems: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Map the A/B test's ``control_group.csv`` and ``test_group.csv`` to campaign records.

    Each file is ``;``-separated with dates as ``D.MM.YYYY``; one line item per campaign
    (``Control Campaign`` -> ``control-campaign``). Mapping: ``Spend [USD]`` -> spend and
    daily_budget, ``Impressions``, ``Website Clicks`` -> clicks, ``Add to Cart`` ->
    leads, ``Purchase`` -> conversions, revenue = purchases x ``value_per_purchase``
    (an assumption, default 50 USD). Objective ``sales``. The Kaggle description says
    the test campaign tried "average bidding" against the control's "maximum bidding"
    (recalled, not checked offline), which become the bidding strategies; the platform
    is an assumption (``facebook``), the audience is not in the files (all ages, US).

    A short row (the control file's 5.08.2019 has a spend and nothing else) is skipped
    and described in ``problems`` when given; ``on_short_row="raise"`` refuses it.

    Returns
    -------
    list of dict
        Contract ``campaigns`` records, ordered by date and campaign id.
    """
    if on_short_row not in ("skip", "raise"):
        raise BadInputError(f"on_short_row must be 'skip' or 'raise', not {on_short_row!r}.")
    frames = [_ct_frame(src, problems, on_short_row) for src in (control_csv, test_csv)]
    frame = pd.concat(frames, ignore_index=True)
    frame["campaign_id"] = frame["campaign"].str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")
    dup = frame.duplicated(["campaign_id", "date"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise BadInputError(f"{frame['campaign'].iloc[i]} has two rows for {frame['date'].iloc[i]}.", "Duplicate day")
    frame = frame.sort_values(["date", "campaign_id"], kind="stable")
    records = []
    for r in frame.itertuples(index=False):
        cid = r.campaign_id
        bidding = "average_bidding" if cid.startswith("test") else ("maximum_bidding" if cid.startswith("control")
                                                                     else "unknown")
        purchases = int(round(r.purchase))
        spend = round(float(r.spend), 2)
        records.append({
            "date": r.date, "platform": platform, "campaign_id": cid, "campaign_name": r.campaign,
            "objective": "sales", "ad_type": "unknown", "bidding_strategy": bidding,
            "audience": {"age_min": 18, "age_max": 65, "gender": "all", "interests": [], "location": "US"},
            "daily_budget": spend, "spend": spend, "impressions": int(round(r.impressions)),
            "clicks": int(round(r.clicks)), "leads": int(round(r.add_to_cart)),
            "conversions": purchases, "revenue": round(purchases * float(value_per_purchase), 2), "currency": "USD",
        })
    return records


# ---------------------------------------------------------------------- examples for the Data page

EXAMPLES = {
    "fb-ad-conversion": "1,143 Facebook ads (Kaggle 'Sales Conversion Optimization'), dates assigned",
    "ab-control-test": "A/B test: control vs test campaign, 30 days each (Kaggle)",
}


def available_examples(datasets: str | Path | None) -> list[str]:
    """The example names of :data:`EXAMPLES` whose files are present in ``datasets`` (``Settings.datasets_dir``)."""
    if datasets is None:
        return []
    d = Path(datasets)
    out = []
    if (d / "fb-ad-conversion-kag" / "KAG_conversion_data.csv").is_file():
        out.append("fb-ad-conversion")
    if all((d / "ab-campaign-control-test" / f).is_file() for f in ("control_group.csv", "test_group.csv")):
        out.append("ab-control-test")
    return out


def load_example(name: str, datasets: str | Path) -> dict[str, list[dict[str, Any]]]:
    """A workspace object (``{"campaigns": [...]}``) of one public example from ``datasets``."""
    d = Path(datasets)
    if name == "fb-ad-conversion":
        return {"campaigns": import_fb_ad_conversion(d / "fb-ad-conversion-kag" / "KAG_conversion_data.csv")}
    if name == "ab-control-test":
        base = d / "ab-campaign-control-test"
        return {"campaigns": import_control_test(base / "control_group.csv", base / "test_group.csv")}
    raise BadInputError(f"Unknown example {name!r}; choose one of {', '.join(EXAMPLES)}.")
