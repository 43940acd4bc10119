"""Clients (issue 12): two clients in one workspace never see each other's rows, state or models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import bandits, monitoring, registry, sample_data
from core.config import Settings, account_models_dir
from core.errors import AccountError
from core.warehouse import Filters, Warehouse


def _workspace_file(tmp_path: Path, seed: int, name: str, account: str | None = None) -> Path:
    ws = sample_data.generate(seed=seed, days=90, n_line_items=5, n_posts=40, n_comments=30, n_customers=40)
    records = ws.records()
    if account is not None:
        for table in records.values():
            for rec in table:
                rec["account_id"] = account
    path = tmp_path / name
    path.write_text(json.dumps(records))
    return path


@pytest.fixture
def two_clients(tmp_path) -> Warehouse:
    """One workspace, clients 'acme' and 'globex', generated from different seeds (same ids)."""
    wh = Warehouse.in_memory()
    wh.ingest(_workspace_file(tmp_path, 1, "acme.json"), account="acme")
    wh.ingest(_workspace_file(tmp_path, 2, "globex.json"), account="globex")
    yield wh
    wh.close()


def test_same_keys_in_two_clients_are_two_rows(two_clients, tmp_path):
    a, g = two_clients.for_account("acme"), two_clients.for_account("globex")
    assert two_clients.accounts() == ["acme", "globex"]
    ca, cg = a.campaigns(), g.campaigns()
    # The generator reuses campaign ids: the account is part of the key, nothing was replaced.
    assert set(ca["campaign_id"]) & set(cg["campaign_id"])
    alone = Warehouse.from_files([_workspace_file(tmp_path, 2, "g.json")])
    assert len(cg) == g.counts()["campaigns"] == alone.counts()["campaigns"]
    assert a.totals()["spend"] != pytest.approx(g.totals()["spend"])
    assert a.totals()["spend"] == pytest.approx(ca["spend"].sum())


@pytest.mark.parametrize("read", ["campaigns", "posts", "comments", "customers", "export", "trend", "breakdown",
                                  "history", "distinct"])
def test_every_read_sees_only_its_client(two_clients, tmp_path, read):
    alone = Warehouse.from_files([_workspace_file(tmp_path, 1, "alone.json")])
    view = two_clients.for_account("acme")

    def get(w):
        return {"campaigns": lambda: w.campaigns(), "posts": lambda: w.posts(), "comments": lambda: w.comments(),
                "customers": lambda: w.customers(), "export": lambda: pd.DataFrame(w.export_workspace()["campaigns"]),
                "trend": lambda: w.trend(Filters()), "breakdown": lambda: w.breakdown(Filters(), "campaign"),
                "history": lambda: w.ingest_history()[["table_name", "rows_loaded"]],
                "distinct": lambda: pd.DataFrame({"v": w.distinct("campaign_id")})}[read]()

    got, want = get(view), get(alone)
    if read == "export":
        assert set(got["account_id"]) == {"acme"}
        got, want = got.drop(columns="account_id"), want.drop(columns="account_id")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)


def test_unscoped_reads_name_the_clients(two_clients):
    with pytest.raises(AccountError, match="acme, globex"):
        two_clients.campaigns()
    assert not two_clients.is_empty()


def test_one_client_workspace_needs_no_choice(tmp_path):
    wh = Warehouse.from_files([_workspace_file(tmp_path, 1, "a.json", account="solo")])
    assert wh.accounts() == ["solo"] and wh.account == "solo"
    assert len(wh.campaigns()) == wh.for_account("solo").counts()["campaigns"]


def test_file_clients_kept_unless_one_is_chosen(tmp_path):
    multi = tmp_path / "multi.json"
    a = json.loads(_workspace_file(tmp_path, 1, "x.json", account="a").read_text())
    b = json.loads(_workspace_file(tmp_path, 2, "y.json", account="b").read_text())
    multi.write_text(json.dumps({k: a[k] + b[k] for k in a}))
    wh = Warehouse.from_files([multi])
    assert wh.accounts() == ["a", "b"]
    assert wh.for_account("a").counts() == Warehouse.from_files([tmp_path / "x.json"]).counts()
    chosen = Warehouse.in_memory()
    chosen.ingest(tmp_path / "x.json", account="c")
    assert chosen.accounts() == ["c"]
    # Re-importing is idempotent within the client.
    again = chosen.ingest(tmp_path / "x.json", account="c")
    assert sum(again.loaded.values()) == 0 and chosen.for_account("c").counts()["campaigns"] == len(a["campaigns"])


def test_bad_client_ids_are_refused(tmp_path):
    wh = Warehouse.in_memory()
    with pytest.raises(AccountError):
        wh.for_account("no spaces please")
    recs = json.loads(_workspace_file(tmp_path, 1, "a.json").read_text())["campaigns"][:3]
    recs[1]["account_id"] = "bad id!"
    report = wh.ingest_records("campaigns", recs, skip_bad=True)
    assert [(s["index"], s["field"]) for s in report.skipped] == [(1, "account_id")]


def test_state_belongs_to_one_client(two_clients):
    a, g = two_clients.for_account("acme"), two_clients.for_account("globex")
    frame = pd.DataFrame({"k": ["x", "y"], "v": [1, 2]})
    a.save_state("toy_state", frame, keys=["k"])
    g.save_state("toy_state", frame.assign(v=[10, 20]), keys=["k"])
    assert a.load_state("toy_state").sort_values("k")["v"].tolist() == [1, 2]
    assert "account_id" not in a.load_state("toy_state").columns
    g.save_state("toy_state", pd.DataFrame({"k": ["z"], "v": [3]}), replace_all=True)
    assert a.load_state("toy_state")["k"].tolist() == ["x", "y"] and g.load_state("toy_state")["k"].tolist() == ["z"]
    assert a.delete_state("toy_state", k="z") == 0 and g.delete_state("toy_state", k="z") == 1


def test_capability_state_is_per_client(two_clients):
    a, g = two_clients.for_account("acme"), two_clients.for_account("globex")
    monitoring.acknowledge(a, {"incident_id": "i1", "campaign_id": "c1", "kind": "cpl_jump"})
    assert len(monitoring.load_acks(a)) == 1 and len(monitoring.load_acks(g)) == 0
    eid = bandits.create_experiment(g, "Headline test", [{"arm": "A"}, {"arm": "B"}])
    assert eid in set(bandits.experiments(g)["experiment_id"]) and len(bandits.experiments(a)) == 0
    assert monitoring.unacknowledge(g, "i1") == 0 and monitoring.unacknowledge(a, "i1") == 1


def test_versions_are_per_client_and_never_shared(two_clients, tmp_path):
    a, g = two_clients.for_account("acme"), two_clients.for_account("globex")
    va, vg = a.data_version, g.data_version
    assert va != vg and va > 0 and vg > 0
    g.ingest(_workspace_file(tmp_path, 3, "more.json"))
    assert a.data_version == va and g.data_version > vg
    sa = a.state_version
    g.save_state("toy_state", pd.DataFrame({"k": [1]}))
    assert a.state_version == sa and g.state_version not in (sa, 0)


def test_clients_registry(two_clients):
    new = two_clients.add_client("initech", "Initech Ltd")
    view = two_clients.for_account(new)
    assert view.is_empty() and view.campaigns().empty and view.date_range() == (None, None)
    with pytest.raises(AccountError):
        two_clients.add_client("initech")
    two_clients.rename_client("acme", "ACME Corp")
    clients = two_clients.clients().set_index("account_id")
    assert clients.loc["acme", "name"] == "ACME Corp" and clients.loc["initech", "campaign_days"] == 0
    acme = two_clients.for_account("acme")
    acme.save_state("toy_state", pd.DataFrame({"k": [1]}))
    removed = two_clients.delete_client("acme")
    assert removed["campaigns"] > 0 and removed["toy_state"] == 1
    assert two_clients.accounts() == ["globex", "initech"]
    assert acme.is_empty() and acme.load_state("toy_state").empty and acme.ingest_history().empty
    assert not two_clients.for_account("globex").is_empty()


def test_scoped_reset_empties_one_client(two_clients):
    two_clients.for_account("acme").reset()
    assert two_clients.for_account("acme").is_empty() and not two_clients.for_account("globex").is_empty()


def test_old_workspace_migrates_to_the_default_client(tmp_path, example_file):
    db = tmp_path / "old.duckdb"
    wh = Warehouse.open(db)
    wh.ingest(example_file)
    wh.save_state("toy_state", pd.DataFrame({"k": [1]}))
    with wh.db.cursor() as cur:  # make it look like a workspace from before clients
        for t in ("campaigns", "posts", "comments", "customers", "toy_state"):
            cur.execute(f"ALTER TABLE {t} DROP COLUMN account_id")
        cur.execute("DROP TABLE clients")
    wh.close()
    wh = Warehouse.open(db)
    assert wh.accounts() == ["default"] and wh.counts()["campaigns"] == 3
    assert wh.load_state("toy_state")["k"].tolist() == [1]
    wh.close()


def test_models_are_saved_per_client(tmp_path):
    base = Settings(models_dir=tmp_path / "models")
    acme, globex = base.for_account("acme"), base.for_account("globex")
    assert base.for_account("default").models_dir == tmp_path / "models"
    assert acme.models_dir == account_models_dir(tmp_path / "models", "acme") != globex.models_dir
    assert acme.models_base == tmp_path / "models"
    p = registry.save(acme.models_dir, "demo", {"w": np.ones(2)}, model_type="demo", version=1, config={})
    assert p["account"] == "acme"
    # Any folder under a client's models folder is that client's (lifecycle artifacts live in one).
    assert registry.save(acme.models_dir / "lifecycle", "demo", {"w": np.ones(1)}, model_type="demo", version=1,
                         config={})["account"] == "acme"
    assert registry.current_id(globex.models_dir, "demo") is None
    # A model copied into another client's folder is refused by its passport.
    import shutil

    shutil.copytree(acme.models_dir / "demo", globex.models_dir / "demo")
    with pytest.raises(registry.ModelMismatchError, match="acme"):
        registry.load(globex.models_dir, "demo", model_type="demo", version=1)


# ------------------------------------------------------------------ the command line


@pytest.fixture
def two_client_db(tmp_path) -> tuple[Path, Path, Path]:
    from core.cli import main

    db = tmp_path / "ws.duckdb"
    acme, globex = _workspace_file(tmp_path, 1, "acme.json"), _workspace_file(tmp_path, 2, "globex.json")
    assert main(["ingest", str(acme), "--db", str(db), "--account", "acme"]) == 0
    assert main(["ingest", str(globex), "--db", str(db), "--account", "globex"]) == 0
    return db, acme, globex


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_a_command_on_several_clients_needs_one(two_client_db, capsys):
    from core.cli import main

    db, _, _ = two_client_db
    capsys.readouterr()
    assert main(["monitor", "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert "acme" in err and "globex" in err and "--account" in err and len(err.splitlines()) == 1
    assert main(["segment", "--db", str(db), "--account", "initech"]) == 2
    assert "acme, globex" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["monitor", "--since", "2025-01-20"], ["segment", "--k", "3"], ["forecast", "--metric", "leads", "--horizon", "7"],
                                     ["best-times", "--top", "3"]])
def test_each_client_gets_its_own_answer(two_client_db, capsys, command):
    from core.cli import main

    db, acme, globex = two_client_db
    for account, file in (("acme", acme), ("globex", globex)):
        capsys.readouterr()
        assert main([*command, "--db", str(db), "--account", account, "--format", "json"]) == 0
        scoped = _json(capsys)
        assert main([*command, "--data", str(file), "--format", "json"]) == 0
        alone = _json(capsys)
        scoped.pop("model", None), alone.pop("model", None)
        assert scoped == alone


def test_data_files_of_several_clients(tmp_path, capsys):
    from core.cli import main

    a = json.loads(_workspace_file(tmp_path, 1, "x.json", account="a").read_text())
    b = json.loads(_workspace_file(tmp_path, 2, "y.json", account="b").read_text())
    multi = tmp_path / "multi.json"
    multi.write_text(json.dumps({k: a[k] + b[k] for k in a}))
    capsys.readouterr()
    assert main(["segment", "--data", str(multi), "--format", "json"]) == 2
    assert main(["segment", "--data", str(multi), "--account", "b", "--format", "json", "--k", "3"]) == 0
    scoped = _json(capsys)
    assert main(["segment", "--data", str(tmp_path / "y.json"), "--format", "json", "--k", "3"]) == 0
    assert scoped == _json(capsys)
