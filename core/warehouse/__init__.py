"""The DuckDB workspace: open, ingest, query with bound parameters, keep state.

All SQL of the workbench lives in this package. Capability modules read contract
tables as DataFrames (``campaigns()``, ``posts()``, ...), ask for the aggregates the
overview needs, and keep their own small state (acknowledged incidents, scores,
experiments) through ``save_state`` / ``load_state`` without writing SQL.

Where things are (one concern per file):

* ``facade.py``: :class:`Warehouse`, the one object callers hold; each method delegates
* ``connection.py``: opening the file (lock errors), a cursor per query, the write lock
* ``ingest.py``: the ingest pipeline (strict and detailed paths, staging, merge by key, log)
* ``sniff.py``: how to read a file: gzip (checked for bombs and cuts), encoding, JSON layout,
  first keys, the literal path DuckDB opens (never a glob pattern)
* ``locate.py``: where a refused file stops being JSON, found incrementally in bounded memory
* ``sql.py``: the contract as SQL: DDL, field rules, casts, the JSON reader call
* ``report.py``: :class:`IngestReport` and the one-line violation message
* ``tables.py``: contract tables read back as DataFrames
* ``filters.py``: :class:`Filters` (the sidebar) and the WHERE clause it becomes
* ``aggregates.py``: the overview's totals, trends and breakdowns
* ``state.py``: the capability state store (save_state / load_state / delete_state)
* ``workspace_export.py``: the workspace written back as a contract workspace object
* ``exports.py``: the ad platforms' exports mapped into the contract (core.connectors' SQL)
* ``clients.py``: the clients (accounts) registry, per-client versions, removing a client
* ``lake.py``: the workspace as Parquet partitioned by client, read back by DuckDB
"""

from __future__ import annotations

from core.warehouse.aggregates import BREAKDOWNS
from core.warehouse.facade import Warehouse
from core.warehouse.filters import Filters
from core.warehouse.report import IngestReport
from core.warehouse.sql import SYSTEM_TABLES

__all__ = ["BREAKDOWNS", "SYSTEM_TABLES", "Filters", "IngestReport", "Warehouse"]
