"""Data page: the mapping step for a CSV the workbench does not know (preview, pick columns, keep the mapping)."""

from pathlib import Path

from core.connectors import ingest_paths
from core.warehouse import Warehouse
from tests.pages.conftest import error_texts, open_page

F = Path(__file__).resolve().parents[1] / "fixtures" / "platforms"


def test_unknown_csv_is_previewed_mapped_kept_and_loaded(db_path, tmp_path):
    at = open_page()
    at.session_state["data.unmapped"] = ("tiktok.csv", (F / "tiktok_unknown.csv").read_bytes())
    at.switch_page("pages/data.py").run()
    assert not at.exception and not error_texts(at)
    assert any("Ad group ID" in df.value.columns for df in at.dataframe)          # the preview
    # Suggested from the header names; the user picks the rest.
    assert at.selectbox(key="data.map.spend").value == "Cost"
    at.selectbox(key="data.map.campaign_id").set_value("Ad group ID")
    at.text_input(key="data.map_const.platform").input("tiktok")
    at.button(key="FormSubmitter:data.mapping_form-Keep this mapping and load the file").click().run()
    assert not at.exception and not error_texts(at)
    wh = Warehouse.open(db_path)
    try:
        assert wh.counts()["campaigns"] == 2
        assert wh.db.df("SELECT sum(spend) AS s FROM campaigns")["s"][0] == 52.5
        # The next file of the same shape needs no mapping.
        nxt = tmp_path / "december.csv"
        nxt.write_text((F / "tiktok_unknown.csv").read_text().replace("2026-11-0", "2026-12-0"))
        ingest_paths(wh, [nxt])
        assert wh.counts()["campaigns"] == 4
    finally:
        wh.close()


def test_while_the_worker_watches_an_unknown_csv_is_mapped_here_then_queued_and_loaded_by_it(loaded_db, tmp_path):
    """The worker cannot ask for a mapping: the page asks, sends it on, and queues the file behind it."""
    from core.connectors import mapping
    from core.worker import inbox as worker_inbox
    from core.worker import share
    from core.worker.service import WatchConfig, Worker

    box = tmp_path / "inbox"
    owner = Warehouse.open(loaded_db)  # the worker's hold on the file
    share.write_heartbeat(loaded_db, state="watching", inbox=str(box),
                          snapshot=str(share.publish_snapshot(owner, loaded_db)))
    try:
        at = open_page("data")
        raw = (F / "tiktok_unknown.csv").read_bytes()
        at.file_uploader(key="data.files").set_value(("tiktok.csv", raw, "text/csv"))
        at.button(key="FormSubmitter:data.upload_form-Load").click().run()
        assert not at.exception
        assert worker_inbox.candidates(box) == []                   # not queued raw, to be rejected there
        assert any("tiktok.csv was not loaded" in e for e in error_texts(at))
        at.selectbox(key="data.map.campaign_id").set_value("Ad group ID")
        at.text_input(key="data.map_const.platform").input("tiktok")
        at.button(key="FormSubmitter:data.mapping_form-Keep this mapping and load the file").click().run()
        assert not at.exception and not error_texts(at)
        assert any("went to its inbox" in i.value for i in at.info)
        (queued,) = worker_inbox.candidates(box)
        assert queued.name.endswith("tiktok.csv") and queued.read_bytes() == raw
        assert owner.counts()["campaigns"] == 3                     # nothing written behind the worker's back
    finally:
        owner.close()
    # The worker's own turn: the mapping request first, then the file, into the client it names.
    cfg = WatchConfig(inbox=box, db=loaded_db, interval_s=0.05, once=True, settle_s=0.0)
    assert Worker(cfg, log=lambda m: None).run() == 0
    wh = Warehouse.open(loaded_db)
    try:
        assert wh.db.df("SELECT count(*) AS n, sum(spend) AS s FROM campaigns WHERE platform = 'tiktok'"
                        ).iloc[0].tolist() == [2, 52.5]
        det_headers = ["Date", "Ad group ID", "Ad group name", "Cost", "Impressions", "Clicks (destination)",
                       "Conversions"]
        assert mapping.find(wh, det_headers, ",") is not None      # kept: the next file loads without asking
    finally:
        wh.close()
