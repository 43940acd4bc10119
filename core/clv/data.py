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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class TableReading:
    """How a customers table counts orders and money, told from the table itself.

    The contract (DATA.md) reads ``orders`` as every order and ``total_spent`` as their
    sum, but tables built from a purchase-model summary (``lifetimes``: frequency =
    repeat purchases, monetary_value = mean *repeat* order, 0 for one-time buyers) carry
    the same fields with other meanings. Each reading leaves a signature:

    * ``orders``: ``"purchases"`` (the contract) or ``"repeat_purchases"`` (customers
      whose only purchase day is their first have ``orders == 0``, not 1);
    * ``total_spent``: ``"all_orders"`` (the contract; one-time buyers spent their first
      order), or, when one-time buyers have spent nothing, the repeat orders only:
      ``"repeat_sum"`` (their sum) or ``"repeat_mean_x_purchases"`` (their mean times all
      purchases, so that total / purchases is the mean repeat order). The last two are
      told apart by the arithmetic of whole cents (see :func:`_mean_times_purchases`);
    * ``same_day_customers``: customers with several orders all on their first day, so
      ``orders`` counts order lines rather than purchase days; the purchase model counts
      days (as the literature does), so they count as one-time buyers.
    """

    orders: str = "purchases"
    total_spent: str = "all_orders"
    same_day_customers: int = 0

    @property
    def spend_basis(self) -> str:
        """``"orders"`` (mean over all orders) or ``"repeat"`` (repeat orders only, as Fader & Hardie)."""
        return "orders" if self.total_spent == "all_orders" else "repeat"

    def notes(self) -> list[str]:
        out = []
        if self.orders == "repeat_purchases":
            out.append("orders counts repeat purchases (customers who bought on one day only have 0), "
                       "so each customer's purchases are orders + 1.")
        if self.total_spent == "repeat_sum":
            out.append("total_spent holds repeat orders only (one-time buyers have 0): the spend model "
                       "reads total_spent / (purchases - 1), the mean repeat order.")
        elif self.total_spent == "repeat_mean_x_purchases":
            out.append("total_spent is the mean repeat order times all purchases (one-time buyers have 0): "
                       "the spend model reads total_spent / purchases over purchases - 1 repeat orders.")
        if self.same_day_customers:
            out.append(f"{self.same_day_customers} customers have several orders all on their first day: "
                       "orders seems to count order lines, not purchase days; those customers count as "
                       "one purchase, others may still be over-counted.")
        return out

    def as_dict(self) -> dict[str, object]:
        return {"orders": self.orders, "total_spent": self.total_spent,
                "same_day_customers": int(self.same_day_customers), "notes": self.notes()}


#: Customers a signature needs before it changes how a table is read (a stray record is not a pattern).
MIN_SIGNATURE = 5
#: Share of repeat buyers whose totals must fit "mean repeat order x purchases" in whole cents.
CENTS_FIT = 0.95


def _counts_repeat_purchases(orders: pd.Series, first: pd.Series, last: pd.Series) -> bool:
    """Customers whose last purchase is their first day have ``orders == 0`` (repeat purchases), not 1."""
    one_day = first.notna() & last.notna() & (first == last)
    zero, one = int((one_day & (orders == 0)).sum()), int((one_day & (orders == 1)).sum())
    return zero >= MIN_SIGNATURE and zero > one


def _repeat_only_spend(x: np.ndarray, spent: np.ndarray) -> bool:
    """One-time buyers spent nothing while repeat buyers did: total_spent leaves the first order out."""
    once, again = x == 0, x > 0
    if once.sum() < MIN_SIGNATURE or again.sum() < MIN_SIGNATURE:
        return False
    return bool((spent[once] <= 0).mean() >= 0.9 and (spent[again] > 0).mean() >= 0.5)


def _mean_times_purchases(x: np.ndarray, spent: np.ndarray) -> bool:
    """Is ``total_spent`` the mean repeat order times all purchases, rather than the repeat orders' sum?

    Neither likelihood nor the spend model's independence of frequency tells them apart
    on real data (at CDNOW spend rises with frequency, which mimics the other reading),
    but money does: a sum of whole-cent orders is whole cents, and ``(x+1)/x`` times it
    lies within half a cent of ``total_spent`` for every customer only in the second
    reading (for one repeat order, only an even number of cents fits; half of real sums).
    """
    keep = (x > 0) & (spent > 0)
    if keep.sum() < MIN_SIGNATURE:
        return True  # too little to tell: the contract's total_spent / orders
    xs, cents = x[keep], spent[keep] * 100.0
    repeat_sum = np.round(cents * xs / (xs + 1))
    fits = np.abs(repeat_sum * (xs + 1) / xs - cents) <= 0.5 + 1e-6
    return bool(fits.mean() >= CENTS_FIT)


def _spend_fields(n: np.ndarray, total: np.ndarray) -> tuple[str, np.ndarray, np.ndarray]:
    """The total_spent reading, and per customer the orders averaged and their mean value.

    ``n`` is purchases as the table counts them (its spend fields were built on the same count).
    """
    repeats = n - 1
    if not _repeat_only_spend(repeats, total):
        return "all_orders", n, total / n
    basis = "repeat_mean_x_purchases" if _mean_times_purchases(repeats, total) else "repeat_sum"
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(repeats > 0, total / (n if basis == "repeat_mean_x_purchases" else repeats), 0.0)
    return basis, repeats, mean


def read_customers(customers: pd.DataFrame, as_of: str | pd.Timestamp | None = None
                   ) -> tuple[pd.DataFrame, TableReading]:
    """:func:`summarise_customers` and the :class:`TableReading` it used."""
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
    repeat_count = _counts_repeat_purchases(orders, first, last)
    purchases = orders + last.notna().astype(int) if repeat_count else orders
    first = first.where(first.notna(), last.where(purchases == 1))  # a one-order customer's first day is their last
    keep = (purchases >= 1) & first.notna() & (first <= as_of)
    c_first, c_last, c_n, c_spent = first[keep], last[keep], purchases[keep].astype(int), spent[keep]
    n = c_n.to_numpy(dtype=float)
    one_day = (c_last == c_first).to_numpy() & (n > 1)  # several orders, one day: order lines, not days
    c_last = c_last.where(c_last.notna(), c_first).clip(upper=as_of)
    c_last = c_last.where(c_last >= c_first, c_first)
    x = np.where(one_day, 0.0, n - 1)
    t_x = ((c_last - c_first).dt.days / DAYS_PER_WEEK).to_numpy(dtype=float)
    T = ((as_of - c_first).dt.days / DAYS_PER_WEEK).to_numpy(dtype=float)
    t_x = np.where(x > 0, t_x, 0.0)
    basis, spend_n, mean = _spend_fields(n, c_spent.to_numpy(dtype=float))
    reading = TableReading("repeat_purchases" if repeat_count else "purchases", basis, int(one_day.sum()))
    summary = pd.DataFrame({"customer_id": customers.loc[keep, "customer_id"].astype(str).to_numpy(),
                            "x": x, "t_x": t_x, "T": T, "spend_n": spend_n, "spend_mean": mean})
    return summary, reading


def summarise_customers(customers: pd.DataFrame, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per customer who has bought and was seen by ``as_of``: ``SUMMARY_COLUMNS``.

    Customers with no order, no known first day, or first seen after ``as_of`` are
    left out (the models describe customers after their first purchase). A last
    purchase after ``as_of`` is read as ``as_of``; one before the first day as the first day.
    How ``orders`` and ``total_spent`` are read is told from the table (:class:`TableReading`).
    """
    return read_customers(customers, as_of)[0]


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
