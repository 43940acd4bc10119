"""Segments: which groups of customers exist, what sets each apart, and how to reach them."""

import streamlit as st

from core import segments
from core.charts import segments as charts
from pages import _shared

st.title("Segments")
st.caption("Customers grouped by recency, frequency, spend, engagement, age and channel. New customers join "
           "the existing segments on each ingest; a full re-segmentation starts over.")

if _shared.empty_note("customers"):
    st.stop()

customers = _shared.table("customers")
if len(customers) < segments.MIN_CUSTOMERS:
    st.info(f"Segments need at least {segments.MIN_CUSTOMERS} customers; the workspace has {len(customers)}. "
            "Load a larger customer export on the **Data** page.", icon=":material/groups:")
    st.stop()

wh = _shared.warehouse()
model_dir = _shared.settings().models_dir / "segments"

with st.form("segments.form"):
    c1, c2, c3 = st.columns(3)
    method = c1.selectbox("Method", segments.METHODS, key="segments.method",
                          format_func={"kmeans": "k-means", "gmm": "Gaussian mixture", "dbscan": "HDBSCAN"}.get)
    auto = c2.toggle("Choose k automatically", value=True, key="segments.auto",
                     help="k-means: best silhouette; mixture: lowest BIC. HDBSCAN finds its own number.")
    k_hand = c3.number_input("k (when set by hand)", min_value=2, max_value=12, value=4, key="segments.k")
    st.form_submit_button("Apply", key="segments.apply")
full = st.button("Full re-segmentation", key="segments.full", icon=":material/refresh:",
                 help="Recluster every customer from scratch (otherwise only new customers are assigned).")

k = "auto" if auto else int(k_hand)
with _shared.error_box():
    with st.status("Segmenting customers...", expanded=False) as status:
        run = segments.refresh_segments(wh, model_dir, k=k, method=method, full=full)
        table, points = segments.current_view(customers, run)
        status.update(label={"full": "Segmented every customer", "unchanged": "Segments are up to date",
                             "incremental": f"Assigned {run.new_customers:,} new customers to the segments"}
                      [run.kind], state="complete")
    for note in run.notes:
        st.info(note)

    model = run.model
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Segments", model.k_)
    m2.metric("Customers", f"{len(customers):,}")
    m3.metric("Silhouette", "n/a" if model.silhouette_ != model.silhouette_ else f"{model.silhouette_:.2f}",
              help="From -1 to 1: how well separated the segments are.")
    m4.metric("Updates since last full run", model.n_updates_)

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

    st.subheader("Sizes across ingests")
    history = segments.size_history(wh)
    st.plotly_chart(charts.size_history(history), key="segments.history")
    _shared.download_buttons(history, "segments-history", key="segments.history_dl")

    st.subheader("Export an audience")
    choice = st.selectbox("Segment", table["segment"].tolist(), key="segments.audience",
                          format_func=dict(zip(table["segment"], table["name"])).get)
    members = segments.audience(customers, run.assignments, choice)
    st.caption(f"{len(members):,} customers in this audience.")
    st.download_button("Audience CSV", members.to_csv(index=False).encode(), f"audience-segment-{choice}.csv",
                       "text/csv", key="segments.audience_csv", icon=":material/download:")
