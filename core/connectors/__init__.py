"""The ad platforms' own exports, recognised by their content and mapped into the contract.

One concern per file: ``detect`` (what a file is), ``meta`` and ``google`` (the API
exports' mapping rules), ``csv_exports`` (the hand-downloaded CSV layouts), ``mapping``
(column mappings for CSVs the product does not know), ``regions`` (region names to ISO
3166-2) and ``ingest`` (:func:`ingest_paths`, the one way in for every caller). The SQL
that applies the rules lives in ``core.warehouse.exports``.
"""

from __future__ import annotations

from core.connectors.detect import Detected, detect
from core.connectors.ingest import DEFAULT_ACCOUNT, ingest_paths

__all__ = ["DEFAULT_ACCOUNT", "Detected", "detect", "ingest_paths"]
