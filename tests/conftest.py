"""Shared fixtures: real warehouses built in tmp_path, the app pointed at them."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from core.config import Settings
from core.warehouse import Warehouse

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: longer tests (model training, big data)")
    config.addinivalue_line("markers", "e2e: drives the real app in headless Chromium")
    config.addinivalue_line("markers", "spark: runs Spark in local mode (needs Java; -m 'not spark' skips)")
    config.addinivalue_line("markers", "timed: asserts a wall-clock or memory bound; `make test` runs these alone, "
                                       "after the parallel run, so that no other worker shares the CPU")


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test` runs ``-n 2 --dist loadgroup``) every Spark test goes to one worker,
    so that the run starts one JVM (the session-scoped ``spark`` fixture), not one per worker."""
    for item in items:
        if item.get_closest_marker("spark") is not None:
            item.add_marker(pytest.mark.xdist_group("spark"))


def pytest_sessionfinish(session, exitstatus):
    session.config._workbench_exitstatus = int(exitstatus)


def pytest_unconfigure(config):
    """Let background work (the app's warm-up fits, deferred warehouse closes) end before the
    interpreter tears down: a daemon thread still inside DuckDB at that moment aborts the process
    ("terminate called without an active exception", exit 134) after every test has passed."""
    import sys
    import threading
    import time

    def ours() -> list[threading.Thread]:
        # the product names its background threads "workbench-…"; test servers' threads never end
        return [t for t in threading.enumerate() if t.name.startswith("workbench-") and t.is_alive()]

    deadline = time.monotonic() + 60
    for t in ours():
        t.join(max(0.0, deadline - time.monotonic()))
    left = [t.name for t in ours()]
    if left:
        # Still busy after a minute: leave with the tests' own status rather than risk the abort.
        print(f"\nconftest: {len(left)} background thread(s) still running at exit: {', '.join(left[:5])}",
              file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(getattr(config, "_workbench_exitstatus", 0))


@pytest.fixture
def example_file() -> Path:
    """The contract's small example workspace."""
    return FIXTURES / "example-workspace.json"


@pytest.fixture
def shared_datasets() -> Path:
    """The data sets folder (``Settings.datasets_dir``: WORKBENCH_DATASETS, default ../shared/datasets);
    tests that need it skip without it."""
    path = Settings.from_mapping().datasets_dir
    if not path.exists():
        pytest.skip("shared/datasets is not beside this checkout")
    return path


@pytest.fixture
def wh() -> Warehouse:
    """An empty in-memory warehouse."""
    w = Warehouse.in_memory()
    yield w
    w.close()


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> Path:
    """A workspace file in tmp_path that the app and core both use (WORKBENCH_DB)."""
    path = tmp_path / "workspace.duckdb"
    monkeypatch.setenv("WORKBENCH_DB", str(path))
    monkeypatch.setenv("WORKBENCH_MODELS", str(tmp_path / "models"))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    return path


@pytest.fixture
def settings(db_path) -> Settings:
    return Settings.from_mapping(os.environ)


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Streamlit caches outlive AppTest runs within one pytest process."""
    yield
    try:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()
    except Exception:
        pass


def _hold_workspace(path: str, ready, release) -> None:
    wh = Warehouse.open(path)
    ready.set()
    release.wait(30)
    wh.close()


@pytest.fixture
def locked_db(tmp_path) -> Path:
    """A workspace file held open read-write by another process (as the running app holds it)."""
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    db = tmp_path / "held.duckdb"
    proc = ctx.Process(target=_hold_workspace, args=(str(db), ready, release))
    proc.start()
    try:
        assert ready.wait(60), "the holding process did not open the workspace"
        yield db
    finally:
        release.set()
        proc.join(30)


@pytest.fixture(scope="module")
def openai_server():
    """A local OpenAI-compatible server (tests/fake_openai.py), one per test module."""
    from tests.fake_openai import FakeOpenAI

    fake = FakeOpenAI()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the whole test run (starting the JVM is the slow part)."""
    import shutil

    if shutil.which("java") is None:
        # `make test` has just installed Java (its `java` target), so there a missing one is a
        # failure, not a skip: a green `make test` then proves the Spark tests ran.
        if os.environ.get("WORKBENCH_REQUIRE_SYSTEM_TOOLS") == "1":
            pytest.fail("Java is missing although `make test` should have installed openjdk-17-jre-headless")
        pytest.skip("Java is not installed (make test installs openjdk-17-jre-headless)")
    from core.batch.spark import session

    s, _ = session("local[2]", "workbench-tests")
    yield s
    s.stop()
