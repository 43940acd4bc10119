"""Every registered page launches on the sample workspace without an exception or error box."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.warehouse import Warehouse
from tests.pages.conftest import ROOT, error_texts, open_page

SAMPLE = ROOT / "data" / "sample" / "workspace.json.gz"


def registered_pages() -> list[str]:
    import ast

    tree = ast.parse((ROOT / "app.py").read_text())
    node = next(n.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "SECTIONS")
    stems = [stem for items in ast.literal_eval(node).values() for stem, _, _ in items]
    return [s for s in stems if (ROOT / "pages" / f"{s}.py").exists()]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    if not SAMPLE.exists():
        pytest.skip("the sample workspace has not been generated")
    path = tmp_path_factory.mktemp("sample") / "workspace.duckdb"
    wh = Warehouse.open(path)
    wh.ingest(SAMPLE)
    wh.close()
    return path


@pytest.mark.parametrize("stem", registered_pages())
def test_page_launches_on_the_sample(stem, sample_db, tmp_path, monkeypatch):
    db = tmp_path / "workspace.duckdb"
    shutil.copy(sample_db, db)
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    monkeypatch.setenv("WORKBENCH_MODELS", str(tmp_path / "models"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    at = open_page(stem, timeout=180)
    assert not at.exception, at.exception
    assert not error_texts(at)
