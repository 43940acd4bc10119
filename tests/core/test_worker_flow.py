"""The Prefect flow (optional dependency): same tasks as the worker, in Prefect's test harness."""

from __future__ import annotations

import pandas as pd
import pytest

from core.warehouse import Warehouse
from core.worker import ledger
from core.worker.replay import day_files
from tests.core._monitoring_synth import synthetic_campaigns, to_records

prefect = pytest.importorskip("prefect", reason="Prefect is optional: pip install -r requirements-prefect.txt")


def test_the_flow_ingests_checks_and_remembers(tmp_path):
    from prefect.testing.utilities import prefect_test_harness

    from core.worker.flow import build_flow

    frame = synthetic_campaigns(6, 120, random_state=4)
    cid = frame.groupby("campaign_id")["leads"].mean().idxmax()
    cut = (frame["campaign_id"] == cid) & (frame["date"] > frame["date"].max() - pd.Timedelta(days=4))
    frame.loc[cut, ["leads", "conversions"]] = 0
    day_files(to_records(frame), tmp_path / "inbox", days=3)
    flow = build_flow()
    with prefect_test_harness():
        out = flow(str(tmp_path / "inbox"), str(tmp_path / "ws.duckdb"), retrain_curves=True)
        again = flow(str(tmp_path / "inbox"), str(tmp_path / "ws.duckdb"))
    assert out["processed"] == 4 and out["alerts"] > 0 and out["retrained"] is True
    assert again["files"] == [] and again["alerts"] == 0  # each file once, each alert once
    wh = Warehouse.open(tmp_path / "ws.duckdb")
    assert ledger.checked_through(wh) == frame["date"].max()
    wh.close()
