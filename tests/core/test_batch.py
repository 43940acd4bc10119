"""The lake and batch runs (issue 14): every client of a lake gets the single-account command's answer.

Spark tests run Spark in local mode on one session for the whole test run (marked
``spark``: ``-m "not spark"`` leaves them out).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import sample_data
from core.cli import main
from core.warehouse import Warehouse
from core.warehouse import lake as lake_io
from tests.core._monitoring_synth import synthetic_campaigns, to_records

CLIENTS = {"acme": 1, "globex": 2, "007": 3}  # "007" must stay text in every engine
SINCE = "2026-09-15"


def _client_file(tmp: Path, seed: int) -> Path:
    """An advertiser with incidents in its last weeks (tracking stops, CTR collapses, overspend)."""
    frame = synthetic_campaigns(n_campaigns=6, n_days=240, random_state=seed)
    last = frame["date"] >= pd.Timestamp("2026-10-20")
    frame.loc[last & (frame["campaign_id"] == "c01"), ["leads", "conversions", "revenue"]] = 0
    frame.loc[last & (frame["campaign_id"] == "c02"), "clicks"] = 0
    over = (frame["date"] >= pd.Timestamp("2026-10-27")) & (frame["campaign_id"] == "c03")
    frame.loc[over, "spend"] = (frame.loc[over, "daily_budget"] * 2.5).round(2)
    customers = sample_data.generate(seed=seed, days=60, n_line_items=2, n_posts=0, n_comments=0,
                                     n_customers=150).records()["customers"]
    path = tmp / f"client-{seed}.json"
    path.write_text(json.dumps({"campaigns": to_records(frame), "customers": customers}))
    return path


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    """A workspace of three clients exported as a lake; each client's own file beside it."""
    tmp = tmp_path_factory.mktemp("lake")
    files = {account: _client_file(tmp, seed) for account, seed in CLIENTS.items()}
    db = tmp / "ws.duckdb"
    for account, file in files.items():
        assert main(["ingest", str(file), "--db", str(db), "--account", account]) == 0
    assert main(["lake", "export", "--db", str(db), "--out", str(tmp / "lake")]) == 0
    return tmp / "lake", files


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def _alone(capsys, command: list[str], file: Path) -> dict:
    capsys.readouterr()
    assert main([*command, "--data", str(file), "--format", "json"]) == 0
    return _json(capsys)


def _alert_keys(alerts) -> set[tuple]:
    return {(a["campaign_id"], str(a["date"])[:10], a["metric"], a["kind"]) for a in alerts}


def test_lake_export_is_partitioned_by_client_and_reads_back(lake, tmp_path, capsys):
    out, files = lake
    assert lake_io.accounts(out) == sorted(CLIENTS)
    assert sorted(p.name for p in (out / "campaigns").iterdir()) == [f"account_id={a}" for a in sorted(CLIENTS)]
    for account, file in files.items():
        back = Warehouse.from_lake(out, account)
        alone = Warehouse.from_files([file])
        pd.testing.assert_frame_equal(back.campaigns(), alone.campaigns())
        pd.testing.assert_frame_equal(back.customers(), alone.customers())
    # The command reports what it wrote; one client's export holds that client only.
    db = tmp_path / "one.duckdb"
    main(["ingest", str(files["acme"]), "--db", str(db), "--account", "acme"])
    capsys.readouterr()
    assert main(["lake", "export", "--db", str(db), "--out", str(tmp_path / "l"), "--format", "json"]) == 0
    payload = _json(capsys)
    assert payload["tables"]["campaigns"] == 6 * 240 and payload["tables"]["posts"] == 0
    assert lake_io.accounts(tmp_path / "l") == ["acme"]


def test_a_window_read_keeps_only_the_last_days(lake):
    out, _ = lake
    wh = Warehouse.from_lake(out, "acme", tables=("campaigns",), window_days={"campaigns": 30})
    lo, hi = wh.date_range()
    assert (hi - lo).days == 29 and wh.counts()["customers"] == 0


def test_local_batch_monitor_gives_each_client_its_own_alerts(lake, capsys):
    out, files = lake
    capsys.readouterr()
    assert main(["batch", "monitor", "--lake", str(out), "--engine", "local", "--since", SINCE,
                 "--format", "json"]) == 0
    payload = _json(capsys)
    assert payload["engine"] == "local" and "spark" not in payload
    for account, file in files.items():
        mine = [a for a in payload["alerts"] if a["account_id"] == account]
        alone = _alone(capsys, ["monitor", "--since", SINCE], file)["alerts"]
        assert alone and _alert_keys(mine) == _alert_keys(alone)
        assert [a["message"] for a in mine] == [a["message"] for a in sorted(
            alone, key=lambda a: (a["campaign_id"], a["date"]))]
    # The results went back into the lake, partitioned by client.
    written = lake_io.read_table(out, "alerts")
    assert sorted(written["account_id"].unique()) == sorted(CLIENTS) and len(written) == len(payload["alerts"])


def test_local_batch_segment_matches_the_command(lake, capsys):
    out, files = lake
    capsys.readouterr()
    assert main(["batch", "segment", "--lake", str(out), "--k", "3", "--format", "json"]) == 0
    payload = _json(capsys)
    for account, file in files.items():
        alone = _alone(capsys, ["segment", "--k", "3"], file)
        mine = [s for s in payload["segments"] if s["account_id"] == account]
        assert [(s["segment"], s["size"], s["name"]) for s in mine] == [
            (s["segment"], s["size"], s["name"]) for s in alone["segments"]]


def test_local_batch_recommend_spends_each_clients_recent_budget(lake, capsys):
    out, files = lake
    capsys.readouterr()
    assert main(["batch", "recommend", "--lake", str(out), "--objective", "more leads", "--format", "json"]) == 0
    plans = pd.DataFrame(_json(capsys)["plans"])
    for account, file in files.items():
        wh = Warehouse.from_files([file])
        from core.batch.tasks import recent_daily_spend

        budget = recent_daily_spend(wh)
        alone = _alone(capsys, ["recommend", "--objective", "more leads", "--budget", str(budget),
                                "--period", "day"], file)
        mine = plans[plans["account_id"] == account]
        assert mine["daily_budget"].round(2).tolist() == [round(p["daily_budget"], 2) for p in alone["plan"]]
        assert mine["daily_budget"].sum() <= budget + 0.01


def test_batch_on_a_missing_lake_exits_2(tmp_path, capsys):
    assert main(["batch", "monitor", "--lake", str(tmp_path / "nowhere")]) == 2
    assert "lake" in capsys.readouterr().err


@pytest.mark.spark
def test_spark_batch_monitor_gives_each_client_its_own_alerts(lake, spark, capsys):
    import pyspark

    out, files = lake
    capsys.readouterr()
    assert main(["batch", "monitor", "--lake", str(out), "--engine", "spark", "--master", "local[2]",
                 "--since", SINCE, "--format", "json"]) == 0
    payload = _json(capsys)
    assert payload["engine"] == "spark"
    assert payload["spark"]["version"] == pyspark.__version__
    assert payload["spark"]["app_id"] == spark.sparkContext.applicationId
    for account, file in files.items():
        mine = [a for a in payload["alerts"] if a["account_id"] == account]
        alone = _alone(capsys, ["monitor", "--since", SINCE], file)["alerts"]
        assert alone and _alert_keys(mine) == _alert_keys(alone)
        assert np.allclose([a["expected"] for a in mine],
                           [a["expected"] for a in sorted(alone, key=lambda a: (a["campaign_id"], a["date"]))])
    assert sorted(lake_io.read_table(out, "alerts")["account_id"].unique()) == sorted(CLIENTS)


@pytest.mark.spark
def test_spark_batch_segment_matches_local(lake, spark, capsys):
    out, _ = lake
    capsys.readouterr()
    assert main(["batch", "segment", "--lake", str(out), "--engine", "local", "--k", "3", "--format", "json"]) == 0
    local = _json(capsys)["segments"]
    assert main(["batch", "segment", "--lake", str(out), "--engine", "spark", "--master", "local[2]", "--k", "3",
                 "--format", "json"]) == 0
    remote = _json(capsys)["segments"]
    key = ("account_id", "segment", "size", "name")
    assert [tuple(s[k] for k in key) for s in remote] == [tuple(s[k] for k in key) for s in local]
