"""Page tests: the real app, routed through st.navigation, on a workspace in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]


def open_page(stem: str | None = None, timeout: float = 60) -> AppTest:
    """Run app.py, then switch to ``pages/<stem>.py`` through the router."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    if stem is not None:
        at.switch_page(f"pages/{stem}.py")
        at.run()
    return at


@pytest.fixture
def loaded_db(db_path, example_file) -> Path:
    """The workspace file holding the contract example."""
    wh = Warehouse.open(db_path)
    wh.ingest(example_file)
    wh.close()
    return db_path


def error_texts(at: AppTest) -> list[str]:
    return [e.value for e in at.error]
