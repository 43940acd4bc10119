"""The shared store of fitted models: one fit per key under concurrency, bounded, failures not stored."""

from __future__ import annotations

import threading
import time

import pytest

from pages._shared import FitStore, _frozen


def test_ten_concurrent_callers_of_one_key_fit_once():
    store = FitStore(max_entries=4)
    calls, results = [], []
    gate = threading.Barrier(10)

    def fit():
        calls.append(threading.get_ident())
        time.sleep(0.2)  # long enough that every other caller arrives while it runs
        return object()

    def caller():
        gate.wait()
        results.append(store.get_or_fit(("curves", 1, "ws", ()), fit))

    threads = [threading.Thread(target=caller) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and store.fits == 1
    assert len(results) == 10 and all(r is results[0] for r in results)


@pytest.mark.timed
def test_different_keys_fit_in_parallel_and_the_oldest_is_dropped():
    store = FitStore(max_entries=2)
    started = []

    def slow(name):
        def fit():
            started.append((name, time.perf_counter()))
            time.sleep(0.2)
            return name
        return fit

    t0 = time.perf_counter()
    threads = [threading.Thread(target=store.get_or_fit, args=(k, slow(k))) for k in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.perf_counter() - t0 < 0.39  # not one after the other
    store.get_or_fit("a", slow("a"))        # a is used again, so b is the least recent
    store.get_or_fit("c", slow("c"))
    assert "a" in store and "c" in store and "b" not in store and len(store) == 2


def test_a_failed_fit_stores_nothing_and_the_next_caller_retries():
    store = FitStore()
    with pytest.raises(ValueError):
        store.get_or_fit("k", lambda: (_ for _ in ()).throw(ValueError("boom")))
    assert "k" not in store
    assert store.get_or_fit("k", lambda: 42) == 42 and store.fits == 1


def test_waiting_callers_are_told_once():
    store = FitStore()
    told = []
    release = threading.Event()
    first = threading.Thread(target=store.get_or_fit, args=("k", lambda: release.wait(2) or 1))
    first.start()
    time.sleep(0.05)
    second = threading.Thread(target=store.get_or_fit, args=("k", lambda: 2), kwargs={"on_wait": lambda: told.append(1)})
    second.start()
    time.sleep(0.05)
    release.set()
    first.join()
    second.join()
    assert told == [1] and store.get_or_fit("k", lambda: 3) == 1


def test_parameters_become_a_stable_key():
    assert _frozen({"b": [1, 2], "a": {"x": 1}}) == _frozen({"a": {"x": 1}, "b": (1, 2)})
    assert hash(_frozen({"p": {"y", "x"}})) == hash(_frozen({"p": {"x", "y"}}))


def test_warm_start_fits_the_keys_the_pages_ask_for(tmp_path, example_file):
    from core.config import Settings
    from core.warehouse import Warehouse
    from pages._shared import FORECAST_DEFAULTS, ROI_DEFAULTS, warm_fits

    wh = Warehouse.in_memory()
    wh.ingest(example_file)
    cfg = Settings.from_mapping({"WORKBENCH_ROOT": str(tmp_path)})
    fits = dict(warm_fits(wh, cfg))
    v, who = wh.data_version, f"{cfg.db_path}::{cfg.account}"
    assert ("monitoring", v, who, ("normal", (), (), "US")) in fits
    assert ("recommendations.curves", v, who, ()) in fits
    assert ("roi", v, who, ROI_DEFAULTS) in fits
    assert ("scheduling.forecast", v, who, (*FORECAST_DEFAULTS, "US")) in fits
    best = fits.get(("scheduling.best_times", v, who, None))
    assert best is None or type(best()).__name__ == "BestTimes"


def test_two_clients_never_share_a_fitted_model_key(tmp_path):
    """Each client's data_version counts on its own: the client must be part of the key."""
    from core.config import Settings
    from pages._shared import _owner

    base = Settings.from_mapping({"WORKBENCH_ROOT": str(tmp_path)})
    assert _owner(base.for_account("acme")) != _owner(base.for_account("globex"))
    assert _owner(base.for_account("acme")) == _owner(base.for_account("acme"))


def test_shown_tables_read_a_dash_for_missing_text_not_none():
    import pandas as pd

    from pages._shared import shown

    frame = pd.DataFrame({"plan": ["Basic", None], "period": [None, "month"], "amount": [79.0, None]})
    out = shown(frame)
    assert out["plan"].tolist() == ["Basic", "–"] and out["period"].tolist() == ["–", "month"]
    assert pd.isna(out["amount"][1]) and pd.isna(frame["plan"][1])  # numbers untouched, the original kept


def test_page_tests_fit_on_demand_and_start_no_warm_up(db_path, example_file):
    """AppTest's runtime is a MagicMock(spec=Runtime), which passes isinstance(…, Runtime): the warm start
    took it for a real server and fitted every heavy model in a background thread of every page test."""
    from core.warehouse import Warehouse
    from pages import _shared
    from tests.pages.conftest import open_page

    wh = Warehouse.open(db_path)
    wh.ingest(example_file)
    wh.close()
    at = open_page("overview")
    assert not at.exception, at.exception
    assert not any(key[0] == "warm_up" for key in _shared._jobs())
    assert not _shared._warm_started()
