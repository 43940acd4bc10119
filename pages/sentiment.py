"""Sentiment: what customers say about us, scored offline, with corrections and retraining."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import sentiment as sent
from core.charts import sentiment as charts
from core.escape import markdown as md
from core.warehouse import Filters
from pages import _shared

st.title("Sentiment")
st.caption("Comments scored by all-MiniLM-L6-v2 with a head trained by the project; runs offline.")


# The head is kept in the shared store by its artifact id (a retrain loads the new one); the scored
# frame by data and state versions (a correction changes the state).
def _model(models_dir: str, artifact_id: str | None) -> sent.SentimentModel:
    return _shared.fitted("sentiment.model", (models_dir, artifact_id),
                          lambda: sent.load_model(models_dir, artifact_id=artifact_id), version=0)


def _scored(version: int, state: int, filters: Filters) -> pd.DataFrame:
    return _shared.frame("sentiment.scored", (state, filters),
                         lambda: sent.scored_comments(_shared.warehouse(), filters), version=version)


def _score_new(wh, model: sent.SentimentModel) -> None:
    """Score what the head has not seen, once per data version and head, whichever session comes first."""
    def score():
        pending = sent.pending_count(wh, model)
        if not pending:
            return {"scored": 0}
        bar = st.progress(0.0, text=f"Scoring {pending:,} new comments…")
        done = sent.score_comments(wh, model, progress=lambda d, t: bar.progress(
            d / max(t, 1), text=f"Scoring comments: {d:,}/{t:,}"))
        bar.empty()
        return done
    _shared.fitted("sentiment.scoring", model.model_id, score, waiting="Another session is scoring the comments…")


def _drafts(reply: pd.DataFrame, version: int) -> pd.DataFrame:
    """Drafted answers for the comments needing a reply (the AI service when configured, else templates)."""
    ids = tuple(reply["comment_id"])
    return _shared.frame("sentiment.drafts", (ids, _shared.settings().llm_enabled),
                         lambda: sent.draft_replies(reply, _shared.settings()), version=version)


@st.fragment(run_every=1.0)
def _retrain_status() -> None:
    """The background retrain's progress; when it ends, its outcome and a rerun onto the new head."""
    job = _shared.job("sentiment.retrain")
    if job is None:
        return
    if not job.done:
        st.progress(job.fraction, text=f"Retraining the head in the background… {job.message}")
        return
    _shared.forget_job("sentiment.retrain")
    if job.error is not None:
        raise job.error
    promotion = (job.result.passport.get("extra") or {}).get("promotion") or {}
    st.session_state["sentiment.retrain_note"] = (f"{job.result.model_id}: {promotion.get('reason', 'saved')}",
                                                  bool(promotion.get("promoted", True)))
    st.rerun()


with _shared.error_box():
    if _shared.empty_note("comments"):
        st.stop()
    settings, wh = _shared.settings(), _shared.warehouse()
    model = _model(str(settings.models_dir), sent.current_model_id(settings.models_dir))
    _score_new(wh, model)
    f = _shared.filters()
    scored = _scored(wh.data_version, wh.state_version, Filters(f.start, f.end, f.platforms))
    if scored.empty:
        st.info("No comments in the sidebar's date range; showing every comment instead.")
        scored = _scored(wh.data_version, wh.state_version, Filters(platforms=f.platforms))

    neg = scored["sentiment"].eq("negative").mean()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Comments", f"{len(scored):,}")
    c2.metric("Mean sentiment", f"{scored['score'].mean():+.2f}")
    c3.metric("Negative", f"{neg:.0%}")
    c4.metric("Model", model.model_id.split("-")[1] if "-" in model.model_id else model.model_id,
              help=model.name)

    t_trend, t_reply, t_words, t_fix, t_card = st.tabs(
        ["Over time", "Needs a reply", "Driving words", "Correct & retrain", "Model card"])

    with t_trend:
        a, b = st.columns(2)
        by = a.segmented_control("Split by", ["platform", "post_id"], default="platform", key="sentiment.by")
        freq = b.segmented_control("Period", ["D", "W", "M"], default="W", key="sentiment.freq",
                                   format_func={"D": "day", "W": "week", "M": "month"}.get)
        trend = sent.sentiment_over_time(scored, by=by or "platform", freq=freq or "W")
        st.plotly_chart(charts.over_time(trend, by=by or "platform"), key="sentiment.chart.trend")
        st.plotly_chart(charts.label_mix(scored, freq=freq or "W"), key="sentiment.chart.mix")
        summary = sent.post_summary(scored, _shared.table("posts"))
        st.subheader("Posts, most negative first")
        st.plotly_chart(charts.posts(summary), key="sentiment.chart.posts")
        st.dataframe(summary, hide_index=True)
        _shared.download_buttons(summary, "sentiment_posts", key="sentiment.dl.posts")
        st.subheader("Every scored comment")
        st.dataframe(scored, hide_index=True)
        _shared.download_buttons(scored, "sentiment_comments", key="sentiment.dl.scored")

    with t_reply:
        days = st.slider("Look back (days)", 1, 90, 14, key="sentiment.days")
        reply = sent.needs_reply(scored, days=days)
        if reply.empty:
            st.success("No negative comments in that window.")
        drafts = _drafts(reply, wh.data_version)
        reply = reply.merge(drafts, on="comment_id", how="left")
        st.dataframe(reply, hide_index=True)
        _shared.download_buttons(reply, "sentiment_needs_reply", key="sentiment.dl.reply")
        if len(reply):
            st.caption("A drafted answer for each: edit it, then copy it with the icon at the top right of the box "
                       f"below it. Drafts: {reply['source'].iloc[0]}. Nothing is posted from here.")
        for r in reply.head(10).itertuples():
            with st.expander(f"{r.comment_id} · {r.platform} · {str(r.text)[:80]}"):
                st.markdown(f"> {md(str(r.text))}")
                edited = st.text_area("Draft reply", r.draft, key=f"sentiment.reply.{r.comment_id}", height=110)
                st.code(edited, language=None, wrap_lines=True)

    with t_words:
        words = sent.driver_words(scored["text"].tolist(), scored["sentiment"].tolist())
        st.plotly_chart(charts.drivers(words), key="sentiment.chart.words")
        st.caption("Log-odds of each word in one class against the others, with an informative prior "
                   "(z-scores): words seen only a few times do not top the list.")
        _shared.download_buttons(words, "sentiment_words", key="sentiment.dl.words")

    with t_fix:
        with st.form("sentiment.correct_form"):
            options = scored.sort_values("score")["comment_id"].tolist()
            texts = dict(zip(scored["comment_id"], scored["text"].astype(str)))
            cid = st.selectbox("Comment", options, key="sentiment.comment",
                               format_func=lambda c: f"{c}: {texts.get(c, '')[:90]}")
            label = st.radio("Correct label", list(sent.LABELS), horizontal=True, key="sentiment.label")
            if st.form_submit_button("Save correction", key="sentiment.save"):
                sent.correct_label(wh, cid, label, model_id=model.model_id)
                st.toast(f"Saved: {md(cid)} is {label}")
                st.rerun()
        note = st.session_state.get("sentiment.retrain_note")
        if note:
            (st.success if note[1] else st.warning)(f"Retrained {note[0]}.")
        corrections = wh.load_state(sent.CORRECTIONS_TABLE)
        st.dataframe(corrections, hide_index=True)
        if not corrections.empty:
            _shared.download_buttons(corrections, "sentiment_corrections", key="sentiment.dl.corrections")
        with st.form("sentiment.retrain_form"):
            strength = st.number_input("Prior strength (higher keeps the head closer to the current one)",
                                       0.1, 1000.0, sent.PRIOR_STRENGTH, key="sentiment.strength")
            if st.form_submit_button("Retrain with corrections", type="primary", key="sentiment.retrain"):
                # In the background: the page stays usable, the progress below follows the job.
                _shared.start_job("sentiment.retrain", (), lambda progress: sent.retrain_with_corrections(
                    wh, settings.models_dir, base=model, strength=strength,
                    progress=lambda d, t: progress(d / max(t, 1), f"Encoding the labelled comments: {d:,}/{t:,}")))
        _retrain_status()

    with t_card:
        card = sent.model_card(model.passport)
        st.plotly_chart(charts.model_card(card), key="sentiment.chart.card")
        st.dataframe(card, hide_index=True)
        data = model.passport.get("data") or {}
        st.caption(f"Model {model.model_id}, created {model.passport.get('created_at', '?')}; trained on "
                   f"{data.get('rows', '?')} rows. Binary sets are scored by the sign of each model's polarity.")
        _shared.download_buttons(card, "sentiment_model_card", key="sentiment.dl.card")
        _shared.download_json(model.passport, "sentiment_passport", key="sentiment.dl.passport",
                              label="Passport (JSON)")
