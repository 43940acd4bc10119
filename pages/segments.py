"""Segments: which groups of customers exist, what sets each apart, what they are worth, how to reach them."""

import streamlit as st

from core import clv, segments
from core.charts import clv as clv_charts
from core.charts import segments as charts
from core.errors import NotEnoughDataError
from pages import _shared

st.title("Segments")
st.caption("Customers grouped by recency, frequency, spend, engagement, tenure and age. New customers join "
           "the existing segments on each ingest; a full re-segmentation starts over.")

if _shared.empty_note("customers"):
    st.stop()

customers = _shared.table("customers")
if len(customers) < segments.MIN_CUSTOMERS:
    st.info(f"Segments need at least {segments.MIN_CUSTOMERS} customers; the workspace has {len(customers)}. "
            "Load a larger customer export on the **Data** page.", icon=":material/groups:")
    st.stop()

wh = _shared.warehouse()
with st.form("segments.form"):
    c1, c2, c3 = st.columns(3)
    method = c1.selectbox("Method", segments.METHODS, key="segments.method",
                          format_func={"kmeans": "k-means", "gmm": "Gaussian mixture model", "dbscan": "HDBSCAN",
                                       "lca": "Latent class model"}.get)
    auto = c2.toggle("Choose k automatically", value=True, key="segments.auto",
                     help="Gaussian mixtures of 2-8 components, overlapping ones merged: the number of segments "
                          "most of the best-fitting (BIC) mixtures agree on. HDBSCAN finds its own.")
    k_hand = c3.number_input("k (when set by hand)", min_value=2, max_value=12, value=4, key="segments.k")
    st.form_submit_button("Apply", key="segments.apply")
full = st.button("Full re-segmentation", key="segments.full", icon=":material/refresh:",
                 help="Recluster every customer from scratch (otherwise only new customers are assigned).")

k = "auto" if auto else int(k_hand)
with _shared.error_box():
    with st.status("Segmenting customers...", expanded=False) as status:
        run = segments.refresh_segments(wh, _shared.settings().models_dir, k=k, method=method, full=full)
        table, points = segments.current_view(customers, run)
        status.update(label={"full": "Segmented every customer", "unchanged": "Segments are up to date",
                             "incremental": f"Assigned {run.new_customers:,} new customers to the segments"}
                      [run.kind], state="complete")
    for note in run.notes:
        st.info(note)

    model = run.model
    stable = segments.stability_label(model.stability_)
    m1, m2, m3, m4, m5 = st.columns(5)
    m1.metric("Segments", model.k_)
    m2.metric("Customers", f"{len(customers):,}")
    m3.metric("Stability", "n/a" if stable == "unknown" else f"{model.stability_:.2f} ({stable})",
              help="Agreement (adjusted Rand index) between these segments and refits on resampled customers: "
                   "0.8 or more is stable; below that, treat the boundaries as soft.")
    m4.metric("Silhouette", "n/a" if model.silhouette_ != model.silhouette_ else f"{model.silhouette_:.2f}",
              help="From -1 to 1: how well separated the segments are.")
    m5.metric("Updates since last full run", model.n_updates_)
    if stable == "fragile":
        st.warning("These segments are fragile: refits on resampled customers draw the lines differently. "
                   "Read them as tendencies, and prefer fewer segments for targeting.", icon=":material/warning:")

    st.subheader("Segments")
    show = ["segment", "name", "size", "share"] + [c for c in table.columns if c.startswith("median_")] + \
        ["top_channel"]
    st.dataframe(table[show], hide_index=True, width="stretch", column_config={
        "share": st.column_config.ProgressColumn("share", format="percent", min_value=0, max_value=1),
        "median_monetary": st.column_config.NumberColumn("median spend", format="dollar")})
    _shared.download_buttons(table, "segments", key="segments.table")

    st.plotly_chart(charts.profile_heatmap(table), key="segments.profiles")
    left, right = st.columns(2)
    left.plotly_chart(charts.projection(points), key="segments.map")
    if len(model.curve_):
        right.plotly_chart(charts.selection_curve(model.curve_, model.k_), key="segments.curve")
        _shared.download_buttons(model.curve_, "segments-k-curve", key="segments.curve_dl")

    st.subheader("What each segment is worth")
    try:
        value = clv.value_view(customers, run.assignments, _shared.customer_values())
    except NotEnoughDataError as exc:
        value = None
        st.info(f"No value estimates: {exc.message}", icon=":material/payments:")
    if value is not None:
        st.caption("Expected purchases and value over the next 12 months from each customer's own history "
                   "(BG/NBD for how often they buy and whether they are still around, Gamma-Gamma for spend).")
        st.plotly_chart(clv_charts.segment_value(value["segments"]), key="segments.value_chart")
        st.dataframe(value["segments"], hide_index=True, width="stretch", column_config={
            "share_alive": st.column_config.ProgressColumn("share active", format="percent", min_value=0,
                                                           max_value=1),
            "value_per_customer": st.column_config.NumberColumn("12-month value per customer", format="dollar")})
        _shared.download_buttons(value["segments"], "segment-value", key="segments.value")
        st.markdown("**Top customers at risk of lapsing** (bought more than once, now probably gone)")
        st.dataframe(value["at_risk"], hide_index=True, width="stretch")
        _shared.download_buttons(value["at_risk"], "customers-at-risk", key="segments.at_risk")

    st.subheader("Sizes across ingests")
    history = segments.size_history(wh)
    st.plotly_chart(charts.size_history(history), key="segments.history")
    _shared.download_buttons(history, "segments-history", key="segments.history_dl")

    st.subheader("Export an audience")
    choice = st.selectbox("Segment", table["segment"].tolist(), key="segments.audience",
                          format_func=dict(zip(table["segment"], table["name"])).get)
    members = segments.audience(customers, run.assignments, choice)
    if value is not None:
        members = clv.audience_with_value(members, value["values"])
    st.caption(f"{len(members):,} customers in this audience, most valuable first.")
    _shared.download_buttons(members, f"audience-segment-{choice}", key="segments.audience_dl")

    with st.expander("Check the value model on your order history"):
        st.caption("Upload an order log (CSV: customer_id, date, amount). The model learns from the first half "
                   "and predicts the second; the charts show how close it came.")
        log = st.file_uploader("Order log", type=["csv", "txt", "gz"], key="segments.orders")
        if log is not None:
            check = clv.holdout_check(clv.read_transactions(log.getvalue()))
            st.write(check.summary())
            c1, c2 = st.columns(2)
            c1.plotly_chart(clv_charts.tracking(check.tracking), key="segments.tracking")
            c2.plotly_chart(clv_charts.conditional_expectation(check.by_group), key="segments.cond")
            _shared.download_buttons(check.by_group, "holdout-by-group", key="segments.holdout_dl")
