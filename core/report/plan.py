"""The one-page plan report: a self-contained HTML page (inline SVG charts, print CSS) a client can keep.

Sections: the brief as understood, the headline forecast as a range against today's mix, the
plan per line item with its reason, what the client's constraints cost, the response curves,
and the assumptions behind the figures.
"""

from __future__ import annotations

import html
import io
from datetime import date
from typing import Any

import pandas as pd

from core.objectives.describe import describe_objective

_UNITS = {"leads": "leads", "conversions": "sales", "revenue": "revenue"}
MONTH = 365 / 12

_CSS = """
@page { size: A4; margin: 9mm 10mm 9mm 10mm; }
* { box-sizing: border-box; }
body { font-family: "Helvetica Neue", Arial, sans-serif; font-size: 9pt; color: #1f2933; margin: 0 auto;
       max-width: 190mm; line-height: 1.35; }
h1 { font-size: 16pt; margin: 0 0 2pt; } h2 { font-size: 10.5pt; margin: 7pt 0 3pt; color: #1d4e89;
     border-bottom: 1px solid #d5dde5; padding-bottom: 2pt; }
.sub { color: #52606d; margin: 0 0 6pt; }
.kpis { display: flex; gap: 6pt; margin: 4pt 0; }
.kpi { flex: 1; border: 1px solid #d5dde5; border-radius: 4pt; padding: 3pt 5pt; }
.kpi b { display: block; font-size: 13pt; } .kpi span { color: #52606d; font-size: 8pt; display: block; }
.kpi i { color: #829ab1; font-size: 7.5pt; font-style: normal; }
ul.understood { columns: 2; column-gap: 14pt; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; }
td.why { font-size: 7.2pt; color: #3e4c59; } th.why { width: 42%; }
th, td { text-align: left; padding: 2pt 4pt; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
td.n, th.n { text-align: right; white-space: nowrap; }
ul { margin: 2pt 0; padding-left: 14pt; } li { margin: 1pt 0; }
.brief { font-style: italic; color: #3e4c59; }
.charts svg { width: 100%; height: auto; }
.note { color: #52606d; font-size: 8pt; }
@media print { body { max-width: none; } .noprint { display: none; } h2 { break-after: avoid; }
               tr { break-inside: avoid; } }
"""


def _e(v: Any) -> str:
    return html.escape(str(v))


def _money(v: float | None, nd: int = 0) -> str:
    return "–" if v is None or pd.isna(v) else f"${v:,.{nd}f}"


def _num(v: float | None, nd: int = 1) -> str:
    return "–" if v is None or pd.isna(v) else f"{v:,.{nd}f}"


def curves_svg(curves: pd.DataFrame, metric: str, *, max_items: int = 6) -> str:
    """Small multiples of the planned line items' response curves (90% band, today ●, plan ★) as inline SVG."""
    if curves is None or curves.empty:
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(dict.fromkeys(curves["key"]))[:max_items]
    n = len(keys)
    cols = min(3, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(7.2, 1.3 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax, key in zip(axes.flat, keys):
        c = curves[curves["key"] == key]
        ax.fill_between(c["spend"], c["lo"], c["hi"], color="#9fb3c8", alpha=0.45, linewidth=0)
        ax.plot(c["spend"], c["expected"], color="#1d4e89", linewidth=1.4)
        for x, marker, colour in ((c["current"].iloc[0], "o", "#52606d"), (c["recommended"].iloc[0], "*", "#d64545")):
            y = float(pd.Series(c["expected"].to_numpy()).iloc[(c["spend"] - x).abs().to_numpy().argmin()])
            ax.plot([x], [y], marker=marker, color=colour, markersize=7 if marker == "*" else 5)
        ax.set_title(str(c["label"].iloc[0])[:48], fontsize=6.5)
        ax.tick_params(labelsize=6)
        ax.set_xlabel("$ a day", fontsize=6)
        ax.set_ylabel(f"{_UNITS.get(metric, metric)} a day", fontsize=6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.find("<svg"):]


def _plan_rows(items: pd.DataFrame) -> str:
    out = []
    for _, r in items.iterrows():
        out.append(
            f"<tr><td>{_e(r['platform'])}</td><td>{_e(r['ad_type'])} · {_e(r['bidding_strategy'])}</td>"
            f"<td>{_e(r['audience'])}</td><td class=n>{_money(r['daily_budget'])}</td>"
            f"<td class=n>{_money(r['daily_budget'] * MONTH)}</td><td class=n>{_num(r['leads'] * MONTH, 0)}</td>"
            f"<td class=n>{_money(r['cpl'], 2)}</td><td class=n>{_money(r['revenue'] * MONTH)}</td>"
            f"<td class=why>{_e(r['why'])}</td></tr>")
    return "".join(out)


def plan_report_html(plan: Any, *, client: str = "", curves: pd.DataFrame | None = None,
                     costs: pd.DataFrame | None = None, forecast: dict[str, Any] | None = None,
                     backtest: dict[str, Any] | None = None, model_note: str = "",
                     generated: date | None = None) -> str:
    """The one-page report of a plan (a :class:`core.recommendations.Plan`) as a standalone HTML page.

    Parameters
    ----------
    plan : Plan
    client : str
        The client's name for the title.
    curves : DataFrame, optional
        :func:`core.recommendations.curve_frame` of the plan (drawn as small multiples).
    costs : DataFrame, optional
        :func:`core.recommendations.workshop.constraint_costs` of the plan.
    forecast : dict, optional
        :func:`core.recommendations.forecast_range` of the plan (a month's outcome as a range).
    backtest : dict, optional
        :func:`core.recommendations.backtest` on the history (how far its forecasts were off).
    """
    obj, e, b, u = plan.objective, plan.expected, plan.baseline, plan.uplift
    goal, unit = obj.goal, _UNITS.get(obj.goal, obj.goal)
    day = (generated or date.today()).isoformat()
    title = f"Campaign plan{' for ' + _e(client) if client else ''}"
    understood = "".join(f"<li>{_e(s)}</li>" for s in describe_objective(obj))
    change = u.get("change")
    vs = (f"{change:+.0%} {unit} against today's mix at the same budget ({_num(b.get(goal, 0.0) * MONTH, 0)} "
          f"{unit} a month)" if change is not None else "")
    if forecast:
        rng = (f"{_num(forecast['lo'], 0)} – {_num(forecast['hi'], 0)}" if goal != "revenue" else
               f"{_money(forecast['lo'])} – {_money(forecast['hi'])}")
        rng_note = f"{forecast['level']:.0%} range for a month"
    else:
        rng, rng_note = "–", ""
    kpis = [
        (f"{_num(e['leads'] * MONTH, 0)}", "leads a month", f"today {_num(b.get('leads', 0) * MONTH, 0)}"),
        (_money(e.get("cpl"), 2), "cost per lead", f"today {_money(b.get('cpl'), 2)}"),
        (f"{_num(e['conversions'] * MONTH, 0)}", "sales a month",
         f"today {_num(b.get('conversions', 0) * MONTH, 0)}"),
        (_money(e["revenue"] * MONTH), "revenue a month", f"today {_money(b.get('revenue', 0) * MONTH)}"),
        (rng, f"{unit}: {rng_note}" if rng_note else unit, "the range, not a promise"),
    ]
    kpi_html = "".join(f"<div class=kpi><b>{_e(v)}</b><span>{_e(t)}</span><i>{_e(w)}</i></div>" for v, t, w in kpis)
    q = getattr(plan, "quality", None) or {}
    if q.get("change") is not None:
        vs += (f". Lead quality: {q['qualification_rate']:.1%} of the leads expected to become sales, against "
               f"{q['baseline_rate']:.1%} today ({q['change']:+.0%}; target +{q['target'][0]:.0%} to "
               f"+{q['target'][1]:.0%})")
    cost_html = ""
    if costs is not None and not costs.empty:
        rows = "".join(f"<tr><td>{_e(r.constraint)}</td><td class=n>{_num(r.cost * MONTH, 0)} {unit} a month</td>"
                       f"<td class=n>{'' if r.cost_share is None or pd.isna(r.cost_share) else f'{r.cost_share:.0%}'}</td></tr>"
                       for r in costs.itertuples())
        cost_html = (f"<h2>What the client's constraints cost</h2><table><tr><th>Constraint</th>"
                     f"<th class=n>{unit} given up</th><th class=n>share</th></tr>{rows}</table>")
    notes = "".join(f"<li>{_e(n)}</li>" for n in plan.notes)
    assumptions = [
        f"Forecasts are for an average day (weekday and season averaged), from response curves learned on the "
        f"client's own history; a month is {MONTH:.1f} days.",
        f"The baseline is {b.get('note', 'today’s mix')}.",
        "Each line item's curve flattens as spend grows; a line item may get at most five times the highest daily "
        "spend it ever had, since beyond that the curve is an extrapolation.",
        f"The range carries the uncertainty of the curves and day-to-day noise; {u.get('interval_basis', '')}.",
    ]
    if backtest:
        assumptions.append(f"On the last {backtest['holdout_days']} days held out, weekly forecasts were off by "
                           f"{backtest['wape']:.0%} on average, and the {backtest['level']:.0%} range held the truth "
                           f"{backtest['coverage']:.0%} of the weeks.")
    if model_note:
        assumptions.append(model_note)
    assumptions_html = "".join(f"<li>{_e(a)}</li>" for a in assumptions)
    svg = curves_svg(curves, goal) if curves is not None else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{_CSS}</style></head><body>
<h1>{title}</h1>
<p class=sub>{_money(obj.daily_budget)} a day ({_money((obj.daily_budget or 0) * MONTH)} a month) · goal: {_e(unit)} · {day}</p>
<h2>The brief, as understood</h2>
<p class=brief>“{_e(obj.text)}”</p>
<ul class=understood>{understood}</ul>
<h2>What the plan should deliver</h2>
<div class=kpis>{kpi_html}</div>
<p>{_e(vs)}. “Today” is {_e(b.get('note', "today's mix"))}.</p>
<h2>The plan, line by line</h2>
<table><tr><th>Platform</th><th>Ad type · bidding</th><th>Audience</th><th class=n>$/day</th><th class=n>$/month</th>
<th class=n>leads/month</th><th class=n>CPL</th><th class=n>revenue/month</th><th class=why>Why</th></tr>{_plan_rows(plan.items)}</table>
{cost_html}
<h2>Response curves</h2>
<div class=charts>{svg}</div>
<p class=note>Expected {_e(unit)} a day against daily spend, with the 90% band; ● today, ★ this plan.</p>
<h2>Assumptions</h2>
<ul class=note>{assumptions_html}</ul>
{'<ul class=note>' + notes + '</ul>' if notes else ''}
</body></html>"""
