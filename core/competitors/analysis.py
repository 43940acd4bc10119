"""Analysis of the stored pages: prices, offers, keywords, topics, similarity map, change log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.competitors.storage import crawls, latest
from core.errors import NotEnoughDataError

def price_table(pages: pd.DataFrame) -> pd.DataFrame:
    """competitor, url, plan, amount, currency, period, unit, text for every price found."""
    rows = []
    for _, p in pages.iterrows():
        for price in json.loads(p["prices"] or "[]"):
            rows.append({"competitor": p["competitor"], "url": p["url"], **price})
    cols = ["competitor", "url", "plan", "amount", "currency", "period", "unit", "text"]
    return pd.DataFrame(rows, columns=cols)[cols]


def offers_table(pages: pd.DataFrame) -> pd.DataFrame:
    rows = [{"competitor": p["competitor"], "url": p["url"], "offer": o}
            for _, p in pages.iterrows() for o in json.loads(p["offers"] or "[]")]
    return pd.DataFrame(rows, columns=["competitor", "url", "offer"])


def ctas_table(pages: pd.DataFrame) -> pd.DataFrame:
    rows = [{"competitor": p["competitor"], "url": p["url"], "cta": c}
            for _, p in pages.iterrows() for c in json.loads(p["ctas"] or "[]")]
    return pd.DataFrame(rows, columns=["competitor", "url", "cta"])


def entities_table(pages: pd.DataFrame) -> pd.DataFrame:
    rows = [{"competitor": p["competitor"], **e} for _, p in pages.iterrows()
            for e in json.loads(p["entities"] or "[]")]
    df = pd.DataFrame(rows, columns=["competitor", "text", "label", "count"])
    if df.empty:
        return df
    return df.groupby(["competitor", "label", "text"], as_index=False)["count"].sum().sort_values(
        ["competitor", "count"], ascending=[True, False]).reset_index(drop=True)


def competitor_documents(pages: pd.DataFrame) -> dict[str, str]:
    """One text per competitor: titles, descriptions and main text of its pages."""
    docs: dict[str, list[str]] = {}
    for _, p in pages.iterrows():
        docs.setdefault(p["competitor"], []).append("\n".join([p["title"] or "", p["description"] or "",
                                                               p["text"] or ""]))
    return {c: "\n".join(t) for c, t in docs.items()}


def _vectorizer(n_docs: int):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2), min_df=1,
                           max_df=1.0 if n_docs < 3 else 0.95, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9+-]{2,}\b")


def distinctive_keywords(docs: dict[str, str], *, top: int = 15) -> pd.DataFrame:
    """Each competitor's words that weigh most in its text and least in the others' (TF-IDF)."""
    names = [n for n, t in docs.items() if t.strip()]
    if not names:
        return pd.DataFrame(columns=["competitor", "rank", "keyword", "weight"])
    vec = _vectorizer(len(names))
    try:
        X = vec.fit_transform([docs[n] for n in names])
    except ValueError:  # only stop words
        return pd.DataFrame(columns=["competitor", "rank", "keyword", "weight"])
    terms = np.asarray(vec.get_feature_names_out())
    rows = []
    for i, n in enumerate(names):
        row = X[i].toarray().ravel()
        if len(names) > 1:
            # Against the others: subtract how much the others use the term on average.
            others = np.asarray(X[[j for j in range(len(names)) if j != i]].mean(axis=0)).ravel()
            row = row - others
        order = np.argsort(-row)[:top]
        rows += [{"competitor": n, "rank": r + 1, "keyword": terms[j], "weight": round(float(row[j]), 4)}
                 for r, j in enumerate(order) if row[j] > 0]
    return pd.DataFrame(rows, columns=["competitor", "rank", "keyword", "weight"])


def topics(pages: pd.DataFrame, *, n_topics: int = 5, top_words: int = 8,
           random_state: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """NMF topics over the TF-IDF of every page.

    Returns ``(topics, weights)``: the top words of each topic, and how much each
    competitor's pages lean on each topic (rows sum to 1).
    """
    from sklearn.decomposition import NMF

    texts = ["\n".join([p["title"] or "", p["text"] or ""]) for _, p in pages.iterrows()]
    empty = (pd.DataFrame(columns=["topic", "words"]), pd.DataFrame(columns=["competitor"]))
    if len(texts) < 2:
        return empty
    vec = _vectorizer(len(texts))
    try:
        X = vec.fit_transform(texts)
    except ValueError:
        return empty
    k = max(1, min(n_topics, X.shape[0], X.shape[1]))
    nmf = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=400)
    W = nmf.fit_transform(X)
    terms = np.asarray(vec.get_feature_names_out())
    topic_rows = [{"topic": t + 1, "words": ", ".join(terms[np.argsort(-nmf.components_[t])[:top_words]])}
                  for t in range(k)]
    w = pd.DataFrame(W, columns=[f"topic {t + 1}" for t in range(k)])
    w["competitor"] = pages["competitor"].to_numpy()
    agg = w.groupby("competitor").sum()
    agg = agg.div(agg.sum(axis=1).replace(0, 1), axis=0).round(3).reset_index()
    return pd.DataFrame(topic_rows), agg


def similarity(docs: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cosine similarity of the competitors' TF-IDF vectors and a 2-D map of them.

    The map is classical multidimensional scaling of ``1 - similarity``: close
    points say similar things.
    """
    from sklearn.metrics.pairwise import cosine_similarity

    names = [n for n, t in docs.items() if t.strip()]
    if not names:
        return pd.DataFrame(), pd.DataFrame(columns=["competitor", "x", "y"])
    X = _vectorizer(len(names)).fit_transform([docs[n] for n in names])
    S = np.clip(cosine_similarity(X), 0, 1)
    sim = pd.DataFrame(S.round(4), index=names, columns=names)
    return sim, pd.DataFrame({"competitor": names, **dict(zip(("x", "y"), classical_mds(1 - S).T))})


def classical_mds(D: np.ndarray, dims: int = 2) -> np.ndarray:
    """Torgerson's classical MDS: points whose distances approximate ``D``."""
    D = np.asarray(D, dtype=float)
    n = len(D)
    if n == 1:
        return np.zeros((1, dims))
    J = np.eye(n) - np.ones((n, n)) / n
    B = -0.5 * J @ (D ** 2) @ J
    vals, vecs = np.linalg.eigh(B)
    order = np.argsort(vals)[::-1][:dims]
    coords = vecs[:, order] * np.sqrt(np.clip(vals[order], 0, None))
    if coords.shape[1] < dims:
        coords = np.column_stack([coords, np.zeros((n, dims - coords.shape[1]))])
    return coords


def change_log(all_fetches: pd.DataFrame) -> pd.DataFrame:
    """What changed between each competitor's last two crawls.

    Rows: competitor, url, change (``price moved``, ``new price``, ``price removed``,
    ``new offer``, ``offer removed``, ``new page``, ``page gone``, ``page changed``),
    before, after.
    """
    cols = ["competitor", "url", "change", "before", "after", "previous_crawl", "current_crawl"]
    ok = all_fetches[all_fetches["outcome"] == "ok"] if not all_fetches.empty else all_fetches
    rows: list[dict[str, Any]] = []
    for comp, f in (ok.groupby("competitor") if not ok.empty else []):
        ids = sorted(f["crawl_id"].unique())
        if len(ids) < 2:
            continue
        prev, cur = f[f["crawl_id"] == ids[-2]].set_index("url"), f[f["crawl_id"] == ids[-1]].set_index("url")
        base = {"competitor": comp, "previous_crawl": ids[-2], "current_crawl": ids[-1]}
        for url in sorted(set(cur.index) - set(prev.index)):
            rows.append({**base, "url": url, "change": "new page", "before": "", "after": cur.loc[url, "title"]})
        for url in sorted(set(prev.index) - set(cur.index)):
            rows.append({**base, "url": url, "change": "page gone", "before": prev.loc[url, "title"], "after": ""})
        for url in sorted(set(prev.index) & set(cur.index)):
            a, b = prev.loc[url], cur.loc[url]
            if a["content_hash"] == b["content_hash"]:
                continue
            rows.extend({**base, "url": url, **r} for r in _price_changes(json.loads(a["prices"] or "[]"),
                                                                         json.loads(b["prices"] or "[]")))
            oa, ob = json.loads(a["offers"] or "[]"), json.loads(b["offers"] or "[]")
            rows += [{**base, "url": url, "change": "new offer", "before": "", "after": o} for o in ob if o not in oa]
            rows += [{**base, "url": url, "change": "offer removed", "before": o, "after": ""}
                     for o in oa if o not in ob]
            if a["text"] != b["text"]:
                rows.append({**base, "url": url, "change": "page changed", "before": f"{len(a['text'])} chars",
                             "after": f"{len(b['text'])} chars"})
    return pd.DataFrame(rows, columns=cols)


def _price_key(p: dict[str, Any]) -> tuple:
    return (p.get("plan") or "", p.get("currency"), p.get("period"), p.get("unit"))


def _fmt(p: dict[str, Any]) -> str:
    per = f"/{p['period']}" if p.get("period") else ""
    unit = f" per {p['unit']}" if p.get("unit") else ""
    plan = f"{p['plan']}: " if p.get("plan") else ""
    return f"{plan}{p['currency']} {p['amount']:g}{per}{unit}"


def _price_changes(before: list[dict], after: list[dict]) -> list[dict[str, str]]:
    b = {_price_key(p): p for p in before}
    a = {_price_key(p): p for p in after}
    out = []
    for k in sorted(set(a) | set(b), key=str):
        if k in a and k in b:
            if a[k]["amount"] != b[k]["amount"]:
                pct = (a[k]["amount"] - b[k]["amount"]) / b[k]["amount"] * 100 if b[k]["amount"] else float("nan")
                out.append({"change": "price moved", "before": _fmt(b[k]),
                            "after": _fmt(a[k]) + (f" ({pct:+.0f}%)" if pct == pct else "")})
        elif k in a:
            out.append({"change": "new price", "before": "", "after": _fmt(a[k])})
        else:
            out.append({"change": "price removed", "before": _fmt(b[k]), "after": ""})
    return out


@dataclass
class Comparison:
    """Every comparison view of the latest crawl, ready to show and download."""

    pages: pd.DataFrame
    prices: pd.DataFrame
    offers: pd.DataFrame
    ctas: pd.DataFrame
    entities: pd.DataFrame
    keywords: pd.DataFrame
    topics: pd.DataFrame
    topic_weights: pd.DataFrame
    similarity: pd.DataFrame
    map: pd.DataFrame
    changes: pd.DataFrame
    crawls: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {k: v for k, v in asdict_shallow(self).items() if isinstance(v, pd.DataFrame)}


def asdict_shallow(obj: Any) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in obj.__dataclass_fields__}


def compare(all_fetches: pd.DataFrame, *, n_topics: int = 5) -> Comparison:
    """All comparison views from the stored fetches."""
    pages = latest(all_fetches)
    if pages.empty:
        raise NotEnoughDataError("No competitor page has been fetched successfully yet: crawl first.")
    docs = competitor_documents(pages)
    t, tw = topics(pages, n_topics=n_topics)
    sim, xy = similarity(docs)
    page_view = pages[["competitor", "url", "status", "title", "description", "bytes", "fetched_at"]].copy()
    return Comparison(pages=page_view, prices=price_table(pages), offers=offers_table(pages),
                      ctas=ctas_table(pages), entities=entities_table(pages), keywords=distinctive_keywords(docs),
                      topics=t, topic_weights=tw, similarity=sim.reset_index(names="competitor") if len(sim) else sim,
                      map=xy, changes=change_log(all_fetches), crawls=crawls(all_fetches))
