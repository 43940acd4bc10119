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
