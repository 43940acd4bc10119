"""Frames the Sentiment page shows: the model card, sentiment over time, per post, needs a reply.
"""

from __future__ import annotations

from typing import Any, Iterable

import pandas as pd

def model_card(passport: dict[str, Any]) -> pd.DataFrame:
    """The passport's figures as rows: ``set, n, who, accuracy, macro_f1, macro_recall``."""
    rows = []
    metrics = dict(passport.get("metrics") or {})
    # A head retrained from corrections keeps its base head's card: show it after its own figures.
    metrics.update({f"{k} (base head)": v for k, v in (metrics.pop("base_model_card", None) or {}).items()})
    for name, entry in metrics.items():
        if not isinstance(entry, dict):
            continue
        if "model" in entry and "vader" in entry:
            pairs = [("this model", entry["model"]), ("VADER", entry["vader"])]
        elif "before" in entry and "after" in entry:
            pairs = [("before retraining", entry["before"]), ("after retraining", entry["after"])]
        else:
            continue
        for who, m in pairs:
            rows.append({"set": name + (" (binary)" if entry.get("binary") else ""), "n": m.get("n"), "who": who,
                         "accuracy": m.get("accuracy"), "macro_f1": m.get("macro_f1"),
                         "macro_recall": m.get("macro_recall")})
    return pd.DataFrame(rows, columns=["set", "n", "who", "accuracy", "macro_f1", "macro_recall"])


def sentiment_over_time(scored: pd.DataFrame, *, by: str = "platform", freq: str = "W") -> pd.DataFrame:
    """Mean polarity, comment count and share of negatives per period and ``by`` group."""
    cols = ["period", by, "comments", "mean_score", "negative_share", "positive_share"]
    frame = scored.dropna(subset=["score"]) if "score" in scored else scored.iloc[0:0]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    created = pd.to_datetime(frame["created_at"], utc=True).dt.tz_localize(None)
    period = created.dt.to_period(freq).dt.start_time
    g = frame.assign(period=period, neg=frame["sentiment"].eq("negative"), pos=frame["sentiment"].eq("positive"))
    out = g.groupby(["period", by], dropna=False).agg(
        comments=("comment_id", "size"), mean_score=("score", "mean"), negative_share=("neg", "mean"),
        positive_share=("pos", "mean")).reset_index()
    return out[cols].round({"mean_score": 3, "negative_share": 3, "positive_share": 3})


def post_summary(scored: pd.DataFrame, posts: pd.DataFrame | None = None, *, top: int = 20) -> pd.DataFrame:
    """Per post: comments, mean polarity, share negative, and the post's text when known; worst first."""
    cols = ["post_id", "platform", "comments", "mean_score", "negative_share", "post_text"]
    frame = scored.dropna(subset=["score"]) if "score" in scored else scored.iloc[0:0]
    frame = frame[frame["post_id"].notna()] if "post_id" in frame else frame.iloc[0:0]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    out = frame.assign(neg=frame["sentiment"].eq("negative")).groupby("post_id").agg(
        platform=("platform", "first"), comments=("comment_id", "size"), mean_score=("score", "mean"),
        negative_share=("neg", "mean")).reset_index()
    if posts is not None and not posts.empty:
        out = out.merge(posts[["post_id", "text"]].rename(columns={"text": "post_text"}), on="post_id", how="left")
    else:
        out["post_text"] = None
    out = out.sort_values(["mean_score", "comments"], ascending=[True, False]).head(top)
    return out[cols].round({"mean_score": 3, "negative_share": 3}).reset_index(drop=True)


def needs_reply(scored: pd.DataFrame, *, days: int = 14, top: int = 20,
                replied: Iterable[str] = ()) -> pd.DataFrame:
    """The most negative comments of the last ``days`` days of data (relative to the newest comment).

    A comment counts when its final sentiment (correction, human label, else the
    model's) is negative; ``replied`` ids are left out. Most negative first.
    """
    cols = ["comment_id", "created_at", "platform", "post_id", "text", "score", "confidence"]
    frame = scored.dropna(subset=["score"]) if "score" in scored else scored.iloc[0:0]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    created = pd.to_datetime(frame["created_at"], utc=True)
    recent = created >= created.max() - pd.Timedelta(days=days)
    keep = recent & frame["sentiment"].eq("negative") & ~frame["comment_id"].isin(set(replied))
    return frame[keep].sort_values(["score", "created_at"], ascending=[True, False]).head(top)[cols] \
        .reset_index(drop=True)
