"""python -m core: the ingest command, exit codes, output formats."""

import json


from core.cli import main, render_table


def test_ingest_json_output(tmp_path, example_file, capsys):
    db = tmp_path / "ws.duckdb"
    assert main(["ingest", str(example_file), "--db", str(db), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["loaded"] == {"campaigns": 3, "posts": 1, "comments": 2, "customers": 1}
    assert out["replaced"] == {"campaigns": 0, "posts": 0, "comments": 0, "customers": 0}
    assert out["skipped"] == []


def test_ingest_bad_file_exits_2_with_one_line(tmp_path, example_file, capsys):
    bad = tmp_path / "bad.json"
    recs = json.loads(example_file.read_text())["campaigns"]
    recs[0]["spend"] = "abc"
    bad.write_text(json.dumps(recs))
    assert main(["ingest", str(bad), "--db", str(tmp_path / "ws.duckdb")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.json" in err and "spend" in err and "Traceback" not in err


def test_ingest_skip_bad_reports_skipped(tmp_path, example_file, capsys):
    bad = tmp_path / "bad.json"
    recs = json.loads(example_file.read_text())["campaigns"]
    recs[0]["spend"] = "abc"
    bad.write_text(json.dumps(recs))
    assert main(["ingest", str(bad), "--skip-bad", "--db", str(tmp_path / "ws.duckdb"), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["loaded"] == {"campaigns": 2}
    assert [(s["file"], s["index"], s["field"]) for s in out["skipped"]] == [("bad.json", 0, "spend")]


def test_bad_arguments_exit_2(capsys):
    assert main(["ingest"]) == 2
    assert main(["nonsense"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_locked_workspace_exits_1_with_a_clear_message(locked_db, example_file, capsys):
    assert main(["ingest", str(example_file), "--db", str(locked_db)]) == 1
    assert "--data" in capsys.readouterr().err


def test_table_rendering_is_readable():
    text = render_table({"loaded": {"campaigns": 3}, "skipped": [{"file": "a.json", "index": 0}]})
    assert "campaigns=3" in text and "a.json" in text


def test_nested_records_render_as_one_cell_each():
    text = render_table({"results": [{"family": "roi", "metrics": {"r2": 0.55123456, "mape": 0.9}},
                                      {"family": "segments", "metrics": {"silhouette": 0.41}}]})
    assert "r2=0.5512, mape=0.9" in text and "silhouette=0.41" in text
    assert "metrics.r2" not in text
