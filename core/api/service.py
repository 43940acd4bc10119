"""The models behind the API, loaded once and kept warm.

Every route calls the same ``core`` functions as the matching command (the CLI's
``run_<command>`` handlers, or the one function each handler wraps), so an answer over
HTTP is the command's answer. What is slow to build (the sentiment model, a fitted
segment model) is built once per data version and shared by all requests; what is not
thread-safe (a tokenizer, the warehouse's writer) is behind a lock.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable

from core.config import Settings
from core.errors import BadInputError, NotEnoughDataError
from core.warehouse import Warehouse


class WarmCache:
    """Values built once per key, with one lock per key so concurrent callers build it once."""

    def __init__(self, max_items: int = 16) -> None:
        self._items: dict[Any, Any] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._guard = threading.Lock()
        self._max = max_items

    def get(self, key: Any, build: Callable[[], Any]) -> Any:
        with self._guard:
            if key in self._items:
                return self._items[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._items:
                    return self._items[key]
            value = build()
            with self._guard:
                if len(self._items) >= self._max:
                    self._items.pop(next(iter(self._items)))
                self._items[key] = value
            return value


class Service:
    """One workspace (the file, or ``--data`` files in memory) and its warm models.

    ``workspace`` is a warehouse, or a function returning the one to use now: with a
    ``watch`` worker running, the file is the worker's and each request reads its newest
    snapshot (the app's own way in, :func:`core.worker.share.app_workspace`).
    """

    def __init__(self, settings: Settings, workspace: Warehouse | Callable[[], Warehouse]) -> None:
        # The API never posts to the monitor's webhook: a GET must not notify anyone.
        self.settings = dataclasses.replace(settings, webhook_url=None)
        self._workspace = workspace
        self.cache = WarmCache()
        self._score_lock = threading.Lock()
        self._write_lock = threading.Lock()

    def warm(self) -> None:
        """Load what the first requests would otherwise wait for (the sentiment model, spaCy)."""
        self.sentiment(["warm-up"])
        self.seo(text="Warm up.", keyword=None, title=None, meta=None)

    # ---- plumbing

    @property
    def warehouse(self) -> Warehouse:
        return self._workspace() if callable(self._workspace) else self._workspace

    def _run(self, handler: Callable[[argparse.Namespace, Any], dict[str, Any]], **args: Any) -> dict[str, Any]:
        from core.cli import Context, _clean

        ctx = Context(self.settings, argparse.Namespace(data=None, db=None, **args), self.warehouse)
        return _clean(handler(ctx.args, ctx))

    # ---- routes' work

    def sentiment(self, texts: list[str]) -> dict[str, Any]:
        from core.cli import _clean
        from core.sentiment import model_for

        model = self.cache.get(("sentiment",), lambda: model_for(self.settings))
        with self._score_lock:  # a fast tokenizer refuses concurrent use from several threads
            # One text at a time, as `sentiment --text` scores it, so labels match the command's.
            rows = [model.score_texts([t]).iloc[0] for t in texts]
        return _clean({"scores": [{"label": str(r["label"]), "score": float(r["score"]),
                                   "confidence": float(r["confidence"])} for r in rows], "model": model.name})

    def recommend(self, **body: Any) -> dict[str, Any]:
        from core.recommendations import run_recommend

        return self._run(run_recommend, **body)

    def alerts(self, *, since: str | None, account: str | None) -> dict[str, Any]:
        from core.monitoring import run_monitor

        return self._run(run_monitor, since=since, sensitivity="normal", webhook=None, account=account)

    def assign(self, customers: list[dict[str, Any]], *, account: str | None) -> dict[str, Any]:
        from core.cli import _clean
        from core.segments import SegmentModel, assignments_frame

        frame = _validated_customers(customers)
        known = self.warehouse.for_account(account).customers()
        if known.empty:
            raise NotEnoughDataError("The workspace has no customers to learn segments from.", "No customers yet")
        key = ("segments", self.warehouse.data_version, account)
        model = self.cache.get(key, lambda: SegmentModel(k="auto", method="kmeans", random_state=0).fit(known))
        labels = model.predict(frame)
        names = dict(zip(model.segments()["segment"].astype(int), model.segments()["name"]))
        out = assignments_frame(frame, labels, names)
        return _clean({"assignments": out.to_dict(orient="records")})

    def seo(self, *, text: str, keyword: str | None, title: str | None, meta: str | None) -> dict[str, Any]:
        from core.cli import _clean
        from core.seo import score_text

        return _clean(score_text(text, keyword=keyword, title=title, meta=meta).to_dict())

    def generate(self, **body: Any) -> dict[str, Any]:
        from core.content_studio import run_generate

        return self._run(run_generate, **body)

    def ingest(self, filename: str, data: bytes, *, account: str | None) -> dict[str, Any]:
        from core.cli import run_ingest

        from core.worker.inbox import queue, safe_name
        from core.worker.share import worker_inbox

        inbox = worker_inbox(self.warehouse)
        if inbox is not None:
            queued = queue(inbox, filename, data, account=account)
            return {"queued": queued.name, "inbox": str(inbox),
                    "note": "the watch worker owns the workspace: it ingests the file on its next turn"}
        with tempfile.TemporaryDirectory() as tmp, self._write_lock:
            path = Path(tmp) / safe_name(filename)
            path.write_bytes(data)
            return self._run(run_ingest, files=[str(path)], table=None, skip_bad=False, account=account)


def _validated_customers(records: list[dict[str, Any]]):
    """Customer records checked against the contract, as the typed frame the models read."""
    if not records:
        raise BadInputError("Give at least one customer record in 'customers'.")
    scratch = Warehouse.in_memory()
    try:
        scratch.ingest_records("customers", records, name="request body")
        return scratch.customers()
    finally:
        scratch.close()
