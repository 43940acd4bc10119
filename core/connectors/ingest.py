"""One way in for every file: contract files, platform exports and mapped CSVs.

:func:`ingest_paths` is what the CLI's ``ingest``, the Data page's upload (and any
worker) call. It recognises each file by its content (:mod:`core.connectors.detect`),
sends contract files to the warehouse's own ingest and converted exports to
``core.warehouse.exports``, one transaction per file, in an order that lets the files of
one export complete each other (ad sets before insights, performance before conversions).
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable

from core.connectors import csv_exports, google, mapping, meta
from core.connectors.detect import Detected, detect
from core.errors import BadInputError
from core.escape import visible_controls
from core.hashing import file_sha256

DEFAULT_ACCOUNT = "default"
# Files that only describe line items go first, so the metrics files find their attributes;
# Google's conversions query completes the performance rows last.
_PHASE = {"meta_adsets": 0, "google_conversions": 2}
SOURCE = {"meta_insights": "meta", "meta_adsets": "meta", "meta_csv": "meta", "google_performance": "google",
          "google_conversions": "google", "google_csv": "google", "linkedin_csv": "linkedin",
          "microsoft_csv": "microsoft"}


def _report_type():
    from core.warehouse import IngestReport

    return IngestReport


def ingest_paths(wh: Any, paths: Iterable[str | Path], *, account_id: str | None = None, table: str | None = None,
                 skip_bad: bool = False, names: list[str] | None = None,
                 errors: list[tuple[str, Exception]] | None = None,
                 progress: Callable[[int, int, str], None] | None = None) -> Any:
    """Load every file into ``wh`` for one client; returns the merged :class:`IngestReport`.

    Every file is recognised before anything loads, so a platform error object refuses
    the call at once. Each file then loads in its own transaction: a bad one raises
    :class:`BadInputError` naming it (or, with ``skip_bad``, is listed under ``skipped``)
    and leaves the workspace as it was before that file. Given an ``errors`` list, each
    refused file is appended to it as (name, error) and the others still load (the Data
    page shows them all); ``progress(i, n, name)`` is called before each file.
    """
    IngestReport = _report_type()
    # Platform exports always go to one client: the chosen one, else the warehouse view's (the
    # workspace's only client); contract files keep their own account_id unless one was chosen.
    chosen = account_id
    paths = [Path(p) for p in paths]
    labels = _labels(paths, names)
    found: list[tuple[int, Path, str, Detected]] = []
    report = IngestReport()
    for i, (p, n) in enumerate(zip(paths, labels)):
        try:
            found.append((i, p, n, detect(p, n)))
        except BadInputError as exc:
            if errors is not None:
                errors.append((n, exc))
            elif skip_bad:
                report.skipped.append({"file": n, "index": None, "field": None, "reason": str(exc)})
            else:
                raise
    found.sort(key=lambda f: (_PHASE.get(f[3].kind, 1), f[0]))
    # Asked only when an export is there: contract files alone never need one client.
    account = _client_of(wh, chosen) if any(det.is_export for *_, det in found) else chosen
    try:
        for k, (_, p, n, det) in enumerate(found):
            if progress is not None:
                progress(k, len(found), n)
            try:
                report.merge(ingest_one(wh, p, n, det, account_id=account, table=table, skip_bad=skip_bad,
                                        chosen=chosen))
            except BadInputError as exc:
                if errors is not None:
                    errors.append((n, exc))
                elif not skip_bad or getattr(exc, "violations", None) is not None:
                    raise
                else:
                    report.skipped.append({"file": n, "index": None, "field": None, "reason": str(exc)})
    finally:
        # An ad set export's budget is the budget of the last day its account's rows cover once
        # this call's files are in (a snapshot loaded before any insights waits for them).
        if any(SOURCE.get(det.kind) == "meta" for *_, det in found):
            from core.warehouse import exports

            exports.settle_budgets(wh.db, account, "meta")
    return _tidy_warnings(report, {det.kind for *_, det in found})


def _labels(paths: list[Path], names: list[str] | None) -> list[str]:
    """Each file's name for messages, on one line whatever the file is called (a newline cut the CLI's line)."""
    return [visible_controls(n) for n in (list(names) if names is not None else [p.name for p in paths])]


def _client_of(wh: Any, chosen: str | None) -> str:
    """The client platform exports go to: the chosen one, else the view's (AccountError when ambiguous)."""
    return chosen or getattr(wh, "account", None) or DEFAULT_ACCOUNT


def _tidy_warnings(report: Any, kinds: set[str]) -> Any:
    """One copy of each warning; none about a file of this same call that completes the others."""
    seen: list[str] = []
    for w in report.warnings:
        if "google_conversions" in kinds and "no conversions-by-category rows" in w:
            continue
        if "meta_adsets" in kinds and "have no ad set export yet" in w and w in seen:
            continue
        if w not in seen:
            seen.append(w)
    report.warnings = seen
    return report


def ingest_one(wh: Any, path: Path, name: str, det: Detected, *, account_id: str = DEFAULT_ACCOUNT,
               table: str | None = None, skip_bad: bool = False, chosen: str | None = None) -> Any:
    """Load one recognised file (see :func:`ingest_paths`); ``chosen`` is the client the user picked, if any."""
    if det.kind == "contract":
        return _ingest_contract(wh, path, name, table=table, skip_bad=skip_bad, account_id=chosen)
    if table not in (None, "campaigns"):
        raise BadInputError(f"{name}: a {det.kind.replace('_', ' ')} export holds campaigns, not {table}.")
    from core.warehouse.sniff import check_gzip, literal_path

    if det.gzip:
        check_gzip(path, name)  # a gzip bomb or a cut stream stops before DuckDB reads it
    # Hash the file while DuckDB reads it, as the contract ingest does (an export is read on one thread);
    # literal_path: DuckDB would read a name like 'glob[1].json' as a pattern.
    with ThreadPoolExecutor(max_workers=1) as pool, literal_path(path) as read_path:
        digest = pool.submit(file_sha256, path)
        return _load_export(wh, Path(read_path), name, det, digest, account_id=account_id)


def _load_export(wh: Any, path: Path, name: str, det: Detected, digest: "Future[str]", *, account_id: str) -> Any:
    """Map one platform export into the warehouse (``path`` is what DuckDB opens)."""
    from core.warehouse import exports

    IngestReport = _report_type()
    db = wh.db
    src = SOURCE.get(det.kind, "mapped")
    if det.kind == "meta_insights":
        res = exports.load_meta_insights(
            db, path, name, digest, account_id=account_id, layout=det.layout, gzip=det.gzip,
            platforms=meta.platform_rows(), objectives=meta.objective_rows(), lead_action=meta.LEAD_ACTION,
            purchase_actions=meta.PURCHASE_ACTIONS)
    elif det.kind == "meta_adsets":
        items = meta.adset_line_items(_json_pages(path, name, det), name)
        for it in items:
            it["audience_known"] = True
        res = exports.load_line_items(db, name, digest, account_id=account_id, source="meta", items=items)
    elif det.kind == "google_performance":
        res = exports.load_google_performance(
            db, path, name, digest, account_id=account_id, gzip=det.gzip, required=list(google.PERFORMANCE_FIELDS),
            bids=google.bid_rows(), channels=google.channel_rows(), awareness_bidding=list(google.AWARENESS_BIDDING),
            sales_bidding=list(google.SALES_BIDDING))
    elif det.kind == "google_conversions":
        res = exports.load_google_conversions(
            db, path, name, digest, account_id=account_id, gzip=det.gzip, required=list(google.CONVERSION_FIELDS),
            lead_categories=list(google.LEAD_CATEGORIES), purchase_category=google.PURCHASE_CATEGORY)
    else:
        plan = csv_plan(wh, name, det)
        if plan.source == "mapped":
            src = "mapped:" + mapping.shape(det.headers, det.delimiter)
        res = exports.load_csv(db, path, name, digest, account_id=account_id, plan=plan, source=src, gzip=det.gzip)
    out = IngestReport(loaded={"campaigns": res.loaded}, replaced={"campaigns": res.replaced}, files=[name])
    out.warnings.extend(res.warnings)
    out.warnings.extend(_unknowns_note(det.kind))
    return out


def _unknowns_note(kind: str) -> list[str]:
    """What this kind of export cannot say, in words a user reads once per load (never invented)."""
    notes = []
    if SOURCE.get(kind) in ("google", "microsoft", "linkedin") or kind in ("meta_csv", "csv"):
        notes.append(f"{PLATFORM_LABEL.get(SOURCE.get(kind, ''), 'This export')} carries no audience: these line items' "
                     "audience is recorded as unknown.")
    if kind in ("meta_adsets", "google_performance", "meta_csv", "google_csv", "linkedin_csv", "microsoft_csv"):
        notes.append("Budgets: a platform export gives only the current budget, recorded from the export day on; "
                     "earlier days' budgets are unknown (the monitor then judges delivery by recent spend).")
    return notes


PLATFORM_LABEL = {"google": "Google Ads", "microsoft": "Microsoft Advertising", "linkedin": "LinkedIn",
                  "meta": "A Meta CSV export", "mapped": "This CSV"}


def csv_plan(wh: Any, name: str, det: Detected) -> csv_exports.Plan:
    """How to read a CSV: its platform layout, else the mapping kept for its shape, else refuse."""
    layout = csv_exports.BY_NAME.get(det.kind)
    if layout is not None:
        return csv_exports.plan_for(layout, det.headers, det.header_line, det.delimiter, det.encoding)
    kept = mapping.find(wh, det.headers, det.delimiter)
    if kept is None:
        cols = ", ".join(det.headers[:8]) + (", …" if len(det.headers) > 8 else "")
        raise BadInputError(f"{name}: a CSV whose columns ({cols}) are not a known export; map its columns on the "
                            "Data page first. Nothing from this file was loaded.", "Unknown CSV")
    return kept.plan(det.headers)


def needs_mapping(wh: Any, path: str | Path, name: str) -> BadInputError | None:
    """The refusal a load of ``path`` into ``wh`` would give for want of a column mapping, else None.

    That is a CSV of no known layout whose shape has no mapping kept in ``wh``. The Data page
    asks before it queues uploads for the monitor worker, which cannot ask the user for one.
    A file that cannot be read at all is not this question: it is refused where it loads.
    """
    try:
        det = detect(Path(path), name)
        if det.kind == "csv":
            csv_plan(wh, name, det)
    except BadInputError as exc:
        return exc if exc.title == "Unknown CSV" else None
    return None


def _ingest_contract(wh: Any, path: Path, name: str, *, table: str | None, skip_bad: bool,
                     account_id: str | None) -> Any:
    # A chosen client replaces the file's account_id; without one each row keeps its own.
    return wh.ingest(path, name=name, table=table, skip_bad=skip_bad, account=account_id)


def _json_pages(path: Path, name: str, det: Detected) -> list[dict[str, Any]]:
    """An ad set export (one page, an array of pages or NDJSON of pages) as a list of pages."""
    import gzip as gz

    opener = gz.open if det.gzip else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            text = fh.read()
        if det.layout == "ndjson":
            pages = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            doc = json.loads(text)
            pages = doc if isinstance(doc, list) else [doc]
    except ValueError as exc:
        raise BadInputError(f"{name}: truncated or malformed JSON ({exc}). Nothing from this file was loaded.",
                            "Malformed export") from exc
    for page in pages:
        if not isinstance(page, dict):
            raise BadInputError(f"{name}: a Graph API page must be a JSON object.", "Bad export")
        if "error" in page:
            raise BadInputError(f"{name}: the platform returned an error: "
                                f"{str((page['error'] or {}).get('message', page['error']))[:200]}. "
                                "Nothing from this file was loaded.", "Platform error")
    return pages
