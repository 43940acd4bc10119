"""From the contract ``customers`` table (or a transaction log) to the summaries the CLV models read.

A customer's purchase history becomes ``x`` = repeat purchases (``orders - 1``),
``t_x`` = weeks from the first to the last purchase and ``T`` = weeks from the first
purchase to the as-of day; spend becomes ``spend_n`` transactions averaging
``spend_mean``. ``first_seen`` stands for the first purchase (the contract has no
separate field for it).

Transaction logs (customer_id, date, amount) serve the holdout check: the same
summary as of a cut-off day, plus what each customer bought after it. Purchases on
the same day count as one order, as in the CDNOW literature.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import BadInputError, NotEnoughDataError

DAYS_PER_WEEK = 7.0
SUMMARY_COLUMNS = ("customer_id", "x", "t_x", "T", "spend_n", "spend_mean")


def _dates(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    return pd.to_datetime(frame[col], errors="coerce").astype("datetime64[us]")


def latest_date(customers: pd.DataFrame) -> pd.Timestamp | None:
    """The latest first_seen or last_purchase in the table (the default as-of day)."""
    latest = pd.concat([_dates(customers, "last_purchase"), _dates(customers, "first_seen")]).max()
    return None if pd.isna(latest) else pd.Timestamp(latest).normalize()


def summarise_customers(customers: pd.DataFrame, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per customer who has bought and was seen by ``as_of``: ``SUMMARY_COLUMNS``.

    Customers with no order, no known first day, or first seen after ``as_of`` are
    left out (the models describe customers after their first purchase). A last
    purchase after ``as_of`` is read as ``as_of``; one before the first day as the first day.
    """
    for col in ("customer_id", "orders", "total_spent"):
        if col not in customers.columns:
            raise BadInputError(f"customers need a '{col}' column.", "Missing customer field")
    as_of = pd.Timestamp(as_of) if as_of is not None else latest_date(customers)
    if as_of is None:
        raise NotEnoughDataError("The customers have no first_seen or last_purchase dates, so there is no "
                                 "purchase history to model.")
    first = _dates(customers, "first_seen")
    last = _dates(customers, "last_purchase")
    orders = pd.to_numeric(customers["orders"], errors="coerce")
    spent = pd.to_numeric(customers["total_spent"], errors="coerce")
    first = first.where(first.notna(), last.where(orders == 1))  # a one-order customer's first day is their last
    keep = (orders >= 1) & first.notna() & (first <= as_of)
    c_first, c_last, c_orders, c_spent = first[keep], last[keep], orders[keep].astype(int), spent[keep]
    c_last = c_last.where(c_last.notna(), c_first).clip(upper=as_of)
    c_last = c_last.where(c_last >= c_first, c_first)
    x = (c_orders - 1).to_numpy(dtype=float)
    t_x = ((c_last - c_first).dt.days / DAYS_PER_WEEK).to_numpy(dtype=float)
    T = ((as_of - c_first).dt.days / DAYS_PER_WEEK).to_numpy(dtype=float)
    t_x = np.where(x > 0, t_x, 0.0)
    mean = (c_spent / c_orders).to_numpy(dtype=float)
    return pd.DataFrame({"customer_id": customers.loc[keep, "customer_id"].astype(str).to_numpy(),
                         "x": x, "t_x": t_x, "T": T, "spend_n": c_orders.to_numpy(dtype=float),
                         "spend_mean": mean})


# ------------------------------------------------------------------ transaction logs


def read_transactions(source: str | Path | bytes) -> pd.DataFrame:
    """A transaction log as ``customer_id, date, amount``.

    Reads CSV (comma or whitespace separated, optionally gzipped; a path or the file's
    bytes) with columns named customer_id / date / amount (``dollar_value``, ``value``,
    ``revenue`` and ``total`` are accepted for the amount), or CDNOW's headerless sample layout.
    """
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInputError("The transaction log is not UTF-8 text.", "Not a transaction log") from None
    head = text.split("\n", 1)[0]
    sep = "," if "," in head else r"\s+"
    if any(ch.isalpha() for ch in head):
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str)
    else:  # CDNOW_sample.txt: master id, sample id, date, CDs, dollars
        frame = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str)
        frame = frame.set_axis(["master_id", "customer_id", "date", "number_of_cds", "dollar_value"][:frame.shape[1]],
                               axis=1)
    return normalise_transactions(frame)


def normalise_transactions(frame: pd.DataFrame) -> pd.DataFrame:
    """``customer_id`` (str), ``date`` (day), ``amount`` (float) from a loosely named log."""
    cols = {c.lower().strip(): c for c in frame.columns}
    amount = next((cols[c] for c in ("amount", "dollar_value", "value", "revenue", "total") if c in cols), None)
    missing = [n for n, c in (("customer_id", cols.get("customer_id")), ("date", cols.get("date")),
                              ("amount", amount)) if c is None]
    if missing:
        raise BadInputError(f"A transaction log needs the columns customer_id, date and amount; missing "
                            f"{', '.join(missing)}.", "Not a transaction log")
    raw_date = frame[cols["date"]].astype(str).str.strip()
    day = pd.to_datetime(raw_date, format="%Y%m%d", errors="coerce")
    day = day.where(day.notna(), pd.to_datetime(raw_date.where(day.isna()), errors="coerce", format="mixed"))
    out = pd.DataFrame({"customer_id": frame[cols["customer_id"]].astype(str).str.strip(),
                        "date": day.dt.normalize().astype("datetime64[us]"),
                        "amount": pd.to_numeric(frame[amount], errors="coerce").fillna(0.0)})
    bad = out["date"].isna()
    if bad.any():
        raise BadInputError(f"{int(bad.sum())} transactions have no readable date (first at row "
                            f"{int(np.flatnonzero(bad.to_numpy())[0])}).", "Bad transaction dates")
    return out


def daily_orders(transactions: pd.DataFrame) -> pd.DataFrame:
    """Same-day purchases merged into one order: customer_id, date, amount."""
    return transactions.groupby(["customer_id", "date"], as_index=False, sort=True)["amount"].sum()


def customers_from_transactions(transactions: pd.DataFrame, as_of: str | pd.Timestamp | None = None
                                ) -> pd.DataFrame:
    """The contract ``customers`` table (customer_id, first_seen, last_purchase, orders, total_spent)
    of the purchases made on or before ``as_of`` (default: all)."""
    orders = daily_orders(transactions)
    if as_of is not None:
        orders = orders[orders["date"] <= pd.Timestamp(as_of)]
    g = orders.groupby("customer_id", sort=False)
    out = pd.DataFrame({"first_seen": g["date"].min().dt.strftime("%Y-%m-%d"),
                        "last_purchase": g["date"].max().dt.strftime("%Y-%m-%d"),
                        "orders": g.size().astype(int), "total_spent": g["amount"].sum().round(2)})
    return out.reset_index()


def repeat_spend(transactions: pd.DataFrame, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """customer_id, spend_n (repeat orders), spend_mean (their mean value), as Fader & Hardie's
    Gamma-Gamma note measures spend: the first order is left out (it differs from later ones)."""
    orders = daily_orders(transactions)
    if as_of is not None:
        orders = orders[orders["date"] <= pd.Timestamp(as_of)]
    first = orders.groupby("customer_id")["date"].transform("min")
    rep = orders[orders["date"] > first]
    g = rep.groupby("customer_id")["amount"]
    return pd.DataFrame({"spend_n": g.size().astype(float), "spend_mean": g.mean()}).reset_index()


def holdout_counts(transactions: pd.DataFrame, calibration_end: str | pd.Timestamp,
                   holdout_end: str | pd.Timestamp | None = None) -> pd.Series:
    """Orders each customer placed after ``calibration_end`` (to ``holdout_end``), by customer_id."""
    orders = daily_orders(transactions)
    after = orders["date"] > pd.Timestamp(calibration_end)
    if holdout_end is not None:
        after &= orders["date"] <= pd.Timestamp(holdout_end)
    return orders[after].groupby("customer_id").size()
