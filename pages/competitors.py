"""Competitors: what rivals say, offer and charge, and how that changes between crawls."""

import streamlit as st

from core import competitors
from core.charts import competitors as charts
from core.escape import markdown as md
from pages import _shared

st.title("Competitors")
st.caption("A polite crawler: it reads robots.txt, waits between requests, stays on each competitor's site "
           "and never fetches addresses inside this network.")

settings = _shared.settings()
wh = _shared.warehouse()
if settings.allow_private_urls:
    st.caption(":material/warning: Local and private addresses are allowed (WORKBENCH_ALLOW_PRIVATE_URLS).")

with st.form("competitors.add_form", clear_on_submit=True):
    c1, c2 = st.columns([1, 2])
    name = c1.text_input("Competitor", key="competitors.name", placeholder="Acme")
    url = c2.text_input("Start URL", key="competitors.url", placeholder="https://www.example.com/pricing")
    added = st.form_submit_button("Add competitor", key="competitors.add", icon=":material/add:")

with _shared.error_box():
    if added and url.strip():
        competitors.add_site(wh, name, url, allow_private=settings.allow_private_urls)
        st.toast(f"Added {md(name or url)}")

site_list = competitors.sites(wh)
if site_list.empty:
    st.info("No competitors yet. Add a competitor's home or pricing page above, then crawl it.",
            icon=":material/travel_explore:")
    st.stop()

with st.expander(f"{len(site_list)} competitor site(s)", expanded=True):
    st.dataframe(_shared.shown(site_list), hide_index=True, width="stretch")
    if site_list["url"].str.contains(r"\.example/", regex=True).any():
        st.caption("The sample's rivals are local snapshots (data/sample/competitors), crawled when the sample "
                   "loaded: their .example sites do not exist, so Crawl now reaches only the competitors you add.")
    r1, r2 = st.columns([3, 1])
    gone = r1.selectbox("Remove", site_list["competitor"].tolist(), key="competitors.remove_choice",
                        label_visibility="collapsed")
    if r2.button("Remove", key="competitors.remove", icon=":material/delete:"):
        competitors.remove_site(wh, gone)
        st.rerun()

with st.form("competitors.crawl_form"):
    c1, c2, c3 = st.columns(3)
    max_pages = c1.slider("Pages per competitor", 1, 50, 10, key="competitors.max_pages")
    delay = c2.number_input("Seconds between requests", 0.2, 10.0, 1.0, step=0.1, key="competitors.delay")
    with_entities = c3.toggle("Named entities (spaCy)", value=True, key="competitors.entities")
    crawl = st.form_submit_button("Crawl now", key="competitors.crawl", icon=":material/travel_explore:")

with _shared.error_box():
    if crawl:
        with st.status("Crawling competitors...", expanded=True) as status:
            bar = st.progress(0.0, text="Starting")

            def _progress(comp: str, done: int, total: int, page: str) -> None:
                bar.progress(min(done / max(total, 1), 1.0), text=f"{comp}: {done}/{total} {page}")

            fetcher = competitors.fetcher_from_settings(settings, delay_s=float(delay))
            result = competitors.crawl_all(wh, fetcher=fetcher, max_pages=int(max_pages),
                                           with_entities=with_entities, progress=_progress)
            ok = int((result["outcome"] == "ok").sum())
            status.update(label=f"Crawled {ok} page(s); {len(result) - ok} skipped or failed (see Pages)",
                          state="complete", expanded=False)

    stored = competitors.fetches(wh)
    if stored.empty or not (stored["outcome"] == "ok").any():
        st.info("Nothing crawled successfully yet: press **Crawl now**.", icon=":material/info:")
        st.stop()
    view = competitors.compare(stored)

    tabs = st.tabs(["Prices", "Offers & calls to action", "Keywords", "Topics", "Similarity", "Entities",
                    "Changes", "Pages"])
    with tabs[0]:
        st.plotly_chart(charts.prices(view.prices), key="competitors.prices_chart")
        st.dataframe(_shared.shown(view.prices), hide_index=True, width="stretch")
        _shared.download_buttons(view.prices, "competitor-prices", key="competitors.prices")
    with tabs[1]:
        st.dataframe(_shared.shown(view.offers), hide_index=True, width="stretch")
        _shared.download_buttons(view.offers, "competitor-offers", key="competitors.offers")
        st.dataframe(_shared.shown(view.ctas), hide_index=True, width="stretch")
        _shared.download_buttons(view.ctas, "competitor-ctas", key="competitors.ctas")
    with tabs[2]:
        st.caption("Words each competitor uses much more than the others (TF-IDF).")
        st.dataframe(_shared.shown(view.keywords), hide_index=True, width="stretch")
        _shared.download_buttons(view.keywords, "competitor-keywords", key="competitors.keywords")
    with tabs[3]:
        st.plotly_chart(charts.topic_mix(view.topic_weights), key="competitors.topics_chart")
        st.dataframe(_shared.shown(view.topics), hide_index=True, width="stretch")
        _shared.download_buttons(view.topics, "competitor-topics", key="competitors.topics")
        _shared.download_buttons(view.topic_weights, "competitor-topic-mix", key="competitors.topic_mix")
    with tabs[4]:
        left, right = st.columns(2)
        left.plotly_chart(charts.similarity_map(view.map), key="competitors.map")
        right.plotly_chart(charts.similarity_matrix(view.similarity), key="competitors.sim")
        _shared.download_buttons(view.similarity, "competitor-similarity", key="competitors.similarity")
    with tabs[5]:
        st.dataframe(_shared.shown(view.entities), hide_index=True, width="stretch")
        _shared.download_buttons(view.entities, "competitor-entities", key="competitors.entities_dl")
    with tabs[6]:
        if view.changes.empty:
            st.info("No changes yet: the change log compares each competitor's last two crawls.")
        st.dataframe(_shared.shown(view.changes), hide_index=True, width="stretch")
        _shared.download_buttons(view.changes, "competitor-changes", key="competitors.changes")
    with tabs[7]:
        st.dataframe(_shared.shown(view.crawls), hide_index=True, width="stretch")
        attempts = stored[["crawl_id", "competitor", "url", "status", "outcome", "error", "bytes", "fetched_at"]]
        st.dataframe(_shared.shown(attempts), hide_index=True, width="stretch")
        _shared.download_buttons(attempts, "competitor-fetches", key="competitors.fetches")
