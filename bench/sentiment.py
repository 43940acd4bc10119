"""Sentiment benchmark (not a test): scoring speed and the model card against VADER.

Speed: loads N real customer tweets (``shared/datasets/customer-support-tweets-sample``,
inbound ones; the TweetEval fixture repeated when that set is absent) as a ``comments``
table in an in-memory warehouse, then times ``core.sentiment.score_comments`` end to end
(encoder, VADER features, head, storing scores), after one warm-up batch that loads the
encoder. Target: at least 200 comments/s on the 2-core machine. Also prints the machine's
load average, since the machine is shared.

Quality (``--eval``): the current head and VADER on every labelled set, never trained on:
TweetEval hold-out, Rotten Tomatoes hold-out (binary, by the sign of the polarity), the
airline tweets (3-class; ``--airline-limit`` takes a seeded sample, 0 = all 14,640) and the
2,000 Amazon reviews (stars 1-2 negative, 3 neutral, 4-5 positive). Evaluation-only sets are
read from ../shared/datasets and never copied into the project.

Run: ``.venv/bin/python bench/sentiment.py [--comments 2000] [--eval [--fresh]] [--airline-limit 2000]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pandas as pd  # noqa: E402

from core import sentiment as sent  # noqa: E402
from core.config import Settings  # noqa: E402
from core.warehouse import Warehouse  # noqa: E402

DATASETS = Settings.from_mapping().datasets_dir  # WORKBENCH_DATASETS, default ../shared/datasets


def comment_texts(n: int) -> list[str]:
    path = DATASETS / "customer-support-tweets-sample" / "tweet_complaints.csv"
    if path.exists():
        df = pd.read_csv(path)
        texts = df.loc[df["inbound"].astype(str).str.upper() == "TRUE", "text"].astype(str).tolist()
    else:
        texts = pd.read_json(ROOT / "tests" / "fixtures" / "sentiment" / "tweeteval_holdout_400.jsonl",
                             lines=True)["text"].tolist()
    return [texts[i % len(texts)] for i in range(n)]


def speed(n: int) -> dict:
    texts = comment_texts(n)
    records = [{"comment_id": f"b{i}", "post_id": f"p{i % 50}", "platform": "twitter",
                "created_at": f"2025-03-{1 + i % 28:02d}T12:00:00Z", "text": t} for i, t in enumerate(texts)]
    wh = Warehouse.in_memory()
    wh.ingest_records("comments", records)
    model = sent.load_model()
    sent.get_encoder().encode(texts[:64])  # warm-up: load the encoder, first batch
    load0 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    res = sent.score_comments(wh, model)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    again = sent.score_comments(wh, model)
    cached = time.perf_counter() - t0
    return {"comments": n, "scored": res["scored"], "seconds": round(wall, 2), "comments_per_s": round(n / wall, 1),
            "cpu_seconds": round(cpu, 2), "comments_per_cpu_s": round(n / max(cpu, 1e-9), 1),
            "threads": sent.get_encoder().threads, "bf16": sent.get_encoder().bf16, "rescore_cached_s": round(cached, 3),
            "cached_on_rerun": again["cached"], "loadavg_1m_before": round(load0, 2),
            "loadavg_1m_after": round(os.getloadavg()[0], 2), "cores": os.cpu_count()}


def quality(airline_limit: int, fresh: bool = False) -> dict:
    model = sent.load_model()
    te = sent.load_labelled("tweeteval", DATASETS)
    _, te_hold = sent.split_tweeteval(te)
    rt = sent.load_labelled("rotten_tomatoes", DATASETS)
    _, b = sent.seeded_split(len(rt), sent.RT_TRAIN_FRACTION, random_state=sent.SPLIT_SEED)
    air = sent.load_labelled("airline", DATASETS)
    if airline_limit and airline_limit < len(air):
        a, _ = sent.seeded_split(len(air), airline_limit / len(air), random_state=0)
        air = air.iloc[a]
    sets = [("tweeteval_holdout", te_hold, False), ("rotten_tomatoes_holdout", rt.iloc[b], True),
            ("airline", air, False), ("amazon", sent.load_labelled("amazon", DATASETS), False)]
    out = {}
    cache = None if fresh else ROOT / ".cache" / "sentiment"
    for name, frame, binary in sets:
        t0 = time.perf_counter()
        emb = sent.cached_embeddings(frame["text"].tolist(), cache_dir=cache)
        out[name] = {**sent.evaluate(model, frame["text"], frame["label"], embeddings=emb, binary=binary),
                     "binary": binary, "seconds": round(time.perf_counter() - t0, 1)}
        print(name, json.dumps(out[name]), flush=True)
    return {"model": model.model_id, "sets": out}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--comments", type=int, default=2000)
    ap.add_argument("--eval", action="store_true", help="also evaluate on every labelled set (slow)")
    ap.add_argument("--airline-limit", type=int, default=2000, help="seeded sample of airline tweets; 0 = all")
    ap.add_argument("--fresh", action="store_true",
                    help="encode every set now with the scoring encoder (bf16 where the CPU has it) instead of "
                         "the float32 training-time cache in .cache/sentiment")
    args = ap.parse_args()
    result = {"speed": speed(args.comments)}
    print("speed", json.dumps(result["speed"]), flush=True)
    if args.eval:
        result["quality"] = quality(args.airline_limit, args.fresh)
        rows = []
        for name, e in result["quality"]["sets"].items():
            for who in ("model", "vader"):
                rows.append({"set": name, "who": who, **e[who]})
        print(pd.DataFrame(rows).to_string(index=False))
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "sentiment.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
