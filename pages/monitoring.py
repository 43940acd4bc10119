"""Monitoring: open incidents first with their proposed action, apply it as a plan revision,
observed vs expected per campaign, acknowledge/mute, replay; live while the worker watches."""

from datetime import timedelta

import streamlit as st

from core import monitoring
from core.charts import monitoring as charts
from core.monitoring import actions, revisions
from core.warehouse import Filters
from core.worker import share
from pages import _shared

st.title("Monitoring")
st.caption("Every campaign-day is checked against what the campaign's own past predicts at the spend made; "
           "an alert needs strong evidence, so each one deserves a look.")

if _shared.empty_note("campaign data"):
    st.stop()


# The fitted monitor, in the shared store: one fit per data version, platform, objective and sensitivity.
def _fit(version: int, sensitivity: str, platforms: tuple[str, ...], objectives: tuple[str, ...],
         country: str) -> monitoring.Monitor:
    def fit():
        frame = _shared.table("campaigns", Filters(platforms=platforms, objectives=objectives))
        return monitoring.Monitor(sensitivity=sensitivity, country=country).fit(
            frame, _shared.warehouse().shared_budgets())
    return _shared.fitted("monitoring", (sensitivity, platforms, objectives, country), fit, version=version)


# The response curves behind the proposed actions, in the shared store like the monitor.
def _curves(version: int, country: str):
    return _shared.fitted("monitoring.curves", (country,),
                          lambda: actions.fit_curves(_shared.table("campaigns"), country=country), version=version)


watch_note = share.watching_note(_shared.settings().db_path)
f = _shared.filters()
with st.form("monitoring.settings"):
    c1, c2 = st.columns(2)
    sensitivity = c1.select_slider("Sensitivity", options=list(monitoring.SENSITIVITY), value="normal",
                                   key="monitoring.sensitivity",
                                   help="low: only the clearest problems; high: more alerts, some noise")
    days = c2.number_input("Check the last N days", 1, 120, 7, key="monitoring.days")
    st.form_submit_button("Check", icon=":material/search:")

def _apply_form(wh, view) -> None:
    """Apply an incident's proposed action: a plan revision (who, when, budgets before and after)."""
    able = view[view["action"].astype(bool)]
    if not len(able):
        return
    with st.form("monitoring.apply"):
        st.markdown("**Apply a proposed action** (recorded as a plan revision; nothing is sent to the platforms)")
        labels = {r.incident_id: f"{r.campaign_name or r.campaign_id} · {monitoring.KINDS[r.kind]} · {r.effect}"
                  for r in able.itertuples()}
        chosen = st.selectbox("Incident", list(labels), format_func=labels.get, key="monitoring.apply_id")
        who = st.text_input("Who", key="monitoring.apply_who", placeholder="your name")
        if st.form_submit_button("Apply this action", icon=":material/playlist_add_check:"):
            row = able.set_index("incident_id").loc[chosen]
            rev = revisions.apply_action(wh, {"incident_id": chosen, **row.to_dict()}, row.to_dict(), who=who)
            st.success(f"Plan revision {rev['revision_id']}: {rev['action']} ({rev['effect']})")


def _revisions(wh) -> None:
    """Plan revisions: listed, undoable, exported in Meta's and Google's bulk-upload columns."""
    revs = revisions.revisions(wh)
    if not len(revs):
        return
    st.subheader("Plan revisions")
    st.dataframe(revs[["at", "who", "status", "kind", "action", "effect"]], hide_index=True, width="stretch",
                 key="monitoring.revisions")
    budgets = revisions.current_budgets(revs)
    if len(budgets):
        st.dataframe(budgets, hide_index=True, key="monitoring.revised_budgets")
        c1, c2, c3 = st.columns(3)
        c1.download_button("Meta bulk upload (CSV)", revisions.bulk_csv(budgets, "meta"), "meta-bulk-upload.csv",
                           "text/csv", key="monitoring.dl_meta")
        c2.download_button("Google Ads Editor (CSV)", revisions.bulk_csv(budgets, "google"),
                           "google-ads-editor.csv", "text/csv", key="monitoring.dl_google")
        c3.download_button("All changes (CSV)", revisions.changes(revs).to_csv(index=False), "plan-changes.csv",
                           "text/csv", key="monitoring.dl_changes")
    applied = revs[revs["status"] == "applied"]
    if len(applied):
        with st.form("monitoring.undo"):
            rid = st.selectbox("Revision", applied["revision_id"].tolist(), key="monitoring.undo_id",
                               format_func=lambda r: f"{r}: {applied.set_index('revision_id').at[r, 'action'][:80]}")
            if st.form_submit_button("Undo", icon=":material/undo:"):
                revisions.undo(wh, rid)
                st.rerun()


def _filter_incidents(incidents):
    """The incidents the user asked to see (platform, kind, severity, acknowledged or not), open first."""
    st.subheader("Incidents")
    c1, c2, c3, c4 = st.columns(4)
    plat = c1.multiselect("Platform", sorted(incidents["platform"].dropna().unique()) if len(incidents) else [],
                          key="monitoring.platform", placeholder="All")
    kind = c2.multiselect("Kind", list(monitoring.KINDS), key="monitoring.kind", placeholder="All",
                          format_func=lambda k: monitoring.KINDS[k])
    sev = c3.multiselect("Severity", list(monitoring.SEVERITIES), key="monitoring.severity", placeholder="All")
    show_all = c4.toggle("Show acknowledged and muted", key="monitoring.show_all")
    view = incidents
    if len(view):
        if plat:
            view = view[view["platform"].isin(plat)]
        if kind:
            view = view[view["kind"].isin(kind)]
        if sev:
            view = view[view["severity"].isin(sev)]
        if not show_all:
            view = view[view["status"].isin(["open", "closed"])]
        order = {"open": 0, "closed": 1, "acknowledged": 2, "muted": 3}
        view = view.assign(_o=view["status"].map(order)).sort_values("_o", kind="stable").drop(columns="_o")
    return view


def _chart_and_replay(mon, view) -> None:
    """Observed vs expected for one campaign (the first incident's), and last quarter's replay."""
    st.subheader("Observed vs expected")
    frame_ids = mon.grid_.campaigns
    names = dict(zip(frame_ids["campaign_id"], frame_ids.get("campaign_name", frame_ids["campaign_id"])))
    first = view["campaign_id"].iloc[0] if len(view) else frame_ids["campaign_id"].iloc[0]
    ids = list(names)
    c1, c2, c3 = st.columns([2, 1, 1])
    cid = c1.selectbox("Campaign", ids, index=ids.index(first), key="monitoring.campaign",
                       format_func=lambda c: f"{names.get(c) or c} ({c})")
    metrics = ["leads", "conversions", "clicks", "spend"]
    first_metric = view["metric"].iloc[0] if len(view) and view["metric"].iloc[0] in metrics else "leads"
    metric = c2.selectbox("Metric", metrics, index=metrics.index(first_metric), key="monitoring.metric")
    span = c3.number_input("Days shown", 14, 730, 90, key="monitoring.span")
    series = mon.series(cid, metric)
    series = series[series["date"] > mon.last_date_ - timedelta(days=int(span))]
    st.plotly_chart(charts.expected_band(series, metric), key="monitoring.band")

    with st.expander("What would have alerted last quarter", icon=":material/history:"):
        st.caption("A replay over the last 91 days: each day judged only on the days before it, "
                   "exactly as a nightly run would have.")
        start = mon.last_date_ - timedelta(days=90)
        r_alerts, r_inc = mon.predict(start), mon.incidents(start)
        if not len(r_inc):
            st.info("Nothing would have alerted in the last quarter.")
        else:
            counts = r_inc.groupby(["kind", "severity"]).size().rename("incidents").reset_index()
            st.dataframe(counts, hide_index=True, key="monitoring.replay_counts")
            st.plotly_chart(charts.incidents_timeline(r_inc), key="monitoring.replay_chart")
            st.dataframe(r_alerts[monitoring.ALERT_COLUMNS], hide_index=True, width="stretch",
                         key="monitoring.replay_alerts")
            _shared.download_buttons(r_alerts[monitoring.ALERT_COLUMNS], "monitoring-replay",
                                     key="monitoring.dl_replay")


@st.fragment(run_every=5 if watch_note else None)
def _live() -> None:
    """Everything below the settings; reruns every few seconds while the worker watches."""
    # A fragment rerun skips app.py: choose the workspace again, or it would keep reading the snapshot
    # of the last full run and never see the worker's new incidents.
    _shared.begin_run()
    wh = _shared.warehouse()
    note = share.watching_note(_shared.settings().db_path)
    if note:
        st.info(note, icon=":material/sensors:")
    with _shared.error_box():
        with st.spinner("Checking every campaign-day against its own history..."):
            mon = _fit(_shared.data_version(), sensitivity, f.platforms, f.objectives, _shared.settings().country)
        since = mon.last_date_ - timedelta(days=int(days) - 1)
        incidents = monitoring.apply_acks(mon.incidents(since), monitoring.load_acks(wh))
        alerts = mon.predict(since)

        n_open = int((incidents["status"] == "open").sum()) if len(incidents) else 0
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Open incidents", n_open)
        m2.metric("Alerts", len(alerts))
        m3.metric("Campaigns alerting", alerts["campaign_id"].nunique() if len(alerts) else 0)
        m4.metric("Checked through", f"{mon.last_date_:%b %d, %Y}")
        stale = monitoring.stale_note(mon.last_date_)
        if stale:
            st.warning(stale[0].upper() + stale[1:], icon=":material/history_toggle_off:")

        view = _filter_incidents(incidents)
        sit = None
        if len(view):
            sit = actions.situation(_shared.table("campaigns"),
                                    model=_curves(_shared.data_version(), _shared.settings().country))
            view = actions.propose(view, sit)
        if not len(view):
            st.success("No incidents in this period. Every campaign is within what its history predicts.",
                       icon=":material/check_circle:")
        else:
            cols = ["status", "severity", "kind", "campaign_name", "platform", "problem_since", "start", "end",
                    "message", "action", "effect"]
            st.dataframe(view[cols], hide_index=True, width="stretch", key="monitoring.incidents",
                         column_config={"action": "proposed action", "effect": "expected effect"})
            _shared.download_buttons(view.drop(columns="changes"), "monitoring-incidents",
                                     key="monitoring.dl_incidents")

            with st.form("monitoring.ack"):
                st.markdown("**Acknowledge or mute an incident** (kept in the workspace)")
                labels = {r.incident_id: f"{r.campaign_name or r.campaign_id} · {monitoring.KINDS[r.kind]} · {r.start}"
                          for r in view.itertuples()}
                chosen = st.selectbox("Incident", list(labels), format_func=labels.get, key="monitoring.ack_id")
                action = st.radio("Action", ["acknowledge", "mute 7 days", "mute", "reopen"], horizontal=True,
                                  key="monitoring.ack_action")
                note = st.text_input("Note", key="monitoring.ack_note")
                if st.form_submit_button("Apply"):
                    inc = view.set_index("incident_id").loc[chosen]
                    inc = {"incident_id": chosen, "campaign_id": inc["campaign_id"], "kind": inc["kind"]}
                    if action == "reopen":
                        monitoring.unacknowledge(wh, chosen)
                    else:
                        until = mon.last_date_ + timedelta(days=7) if action == "mute 7 days" else None
                        monitoring.acknowledge(wh, inc, status="acknowledged" if action == "acknowledge" else "muted",
                                               note=note, until=until)
                    st.rerun()
            _apply_form(wh, view)

        _revisions(wh)

        _chart_and_replay(mon, view)


_live()
