"""ROI page: read-out by group, validation vs the baseline, drivers, what-if; small and empty workspaces."""

from core.warehouse import Warehouse
from tests.core._roi_synth import make_campaigns, to_records
from tests.pages.conftest import error_texts, open_page


def _load(db_path, **kw):
    campaigns, _ = make_campaigns(**kw)
    wh = Warehouse.open(db_path)
    wh.ingest_records("campaigns", to_records(campaigns))
    wh.close()
    return campaigns


def test_roi_page_reads_out_validates_and_predicts(db_path):
    _load(db_path, seed=2, n_items=10, days=400)
    at = open_page("roi", timeout=120)
    assert not at.exception and not error_texts(at)
    labels = {m.label for m in at.metric}
    assert {"Spend", "Revenue", "ROI", "ROAS", "CPA", "Predicted ROI", "Expected revenue per month"} <= labels
    verdict = at.success[0].value
    assert "on later months" in verdict.lower() and "each platform's average ROI" in verdict
    scores = next(d.value for d in at.dataframe if "coverage" in d.value.columns).set_index("model")
    assert scores.loc[["ridge", "gbm"], "r2"].max() > scores.loc["platform mean", "r2"]
    assert len(at.get("plotly_chart")) >= 6
    # the what-if reacts to the budget: a much larger budget returns less per dollar
    roi_before = next(m.value for m in at.metric if m.label == "Predicted ROI")
    at.number_input(key="roi.w_budget").set_value(5000.0)
    at.button(key="FormSubmitter:roi.whatif-Predict").click().run()
    assert not at.exception
    roi_after = next(m.value for m in at.metric if m.label == "Predicted ROI")
    assert float(roi_after.rstrip("%")) < float(roi_before.rstrip("%"))
    at.session_state["roi.by"] = "campaign"
    at.run()
    table = next(d.value for d in at.dataframe if "campaign_id" in d.value.columns and "roas" in d.value.columns)
    assert len(table) == 10


def test_small_workspace_gets_the_read_out_and_a_note(loaded_db):
    at = open_page("roi")
    assert not at.exception and not error_texts(at)
    assert any(m.label == "ROI" for m in at.metric)
    assert any("campaign-months" in i.value for i in at.info)


def test_empty_workspace_gets_a_friendly_note(db_path):
    at = open_page("roi")
    assert not at.exception and not error_texts(at)
    assert any("No campaign data" in i.value for i in at.info)


def test_what_if_warns_on_a_combination_never_seen(db_path):
    campaigns = _load(db_path, seed=2, n_items=10, days=400)
    at = open_page("roi", timeout=120)
    assert not at.warning                                   # the default what-if is a combination that ran
    assert "R²" not in at.success[0].value                 # the jargon sits behind "details"
    seen = set(map(tuple, campaigns[["platform", "ad_type"]].drop_duplicates().to_numpy()))
    pair = next((p, a) for p in campaigns["platform"].unique() for a in campaigns["ad_type"].unique()
                if (p, a) not in seen)
    at.selectbox(key="roi.w_platform").set_value(pair[0])
    at.selectbox(key="roi.w_ad_type").set_value(pair[1])
    at.button(key="FormSubmitter:roi.whatif-Predict").click().run()
    assert not at.exception
    assert any("never ran" in w.value for w in at.warning)
    assert next(m.value for m in at.metric if m.label == "Predicted ROI") == "not measured"
