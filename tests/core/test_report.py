"""The one-page plan report: the brief as understood, line items with reasons, range, baseline, curves, assumptions."""

from __future__ import annotations

import pytest

from core.objectives import parse_brief
from core.recommendations import ResponseModel, curve_frame, forecast_range, recommend
from core.recommendations import workshop as ws
from core.report import html_to_pdf, pdf_available, plan_report_html
from tests.core._recommendations_synth import make_history


@pytest.fixture(scope="module")
def made():
    df, _ = make_history(seed=2, n_items=8, days=400)
    model = ResponseModel(n_draws=40).fit(df)
    obj = parse_brief("Acme wants more leads, $3,000 a month, Google and Facebook only")
    plan = recommend(model, obj)
    return model, obj, plan


def test_report_names_the_clients_figures(made):
    model, obj, plan = made
    fr = forecast_range(model, plan)
    html = plan_report_html(plan, client="Acme Dental", curves=curve_frame(model, plan),
                            costs=ws.constraint_costs(model, obj, plan), forecast=fr)
    assert "Campaign plan for Acme Dental" in html and "You spend $3,000 a month" in html
    assert f"{plan.expected['leads'] * 365 / 12:,.0f}" in html                    # leads a month
    assert f"${plan.expected['cpl']:,.2f}" in html
    assert f"{fr['lo']:,.0f} – {fr['hi']:,.0f}" in html and "range for a month" in html
    assert "against today&#x27;s mix at the same budget" in html
    for why in plan.items["why"]:
        assert why.replace("'", "&#x27;") in html
    assert "<svg" in html and "@media print" in html and "Assumptions" in html
    assert "<script" not in html                                                  # self-contained, static


def test_report_escapes_the_brief(made):
    _, obj, plan = made
    plan.objective.text = "<b>bold</b> & more"
    html = plan_report_html(plan)
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html


@pytest.mark.skipif(not pdf_available(), reason="WeasyPrint (Pango) not available here")
def test_report_renders_to_pdf(made):
    _, _, plan = made
    pdf = html_to_pdf(plan_report_html(plan, client="Acme"))
    assert pdf[:5] == b"%PDF-" and len(pdf) > 2000
