"""Segmentation benchmark (not a test): segment N customers end to end, target < 10 s for 100,000.

Generates N contract-shaped customers (``core.segments.synthetic_customers``, four
RFM groups with noise in age and channel), loads them into an in-memory warehouse,
then times, in this one process:

* ``fit``: features, pipeline, automatic k by silhouette (k = 2..8 on a sample), the final
  k-means over everyone, profiles and names (``SegmentModel(k="auto").fit``);
* ``payload``: the ``python -m core segment`` JSON (assignments for every customer);
* ``partial_fit``: an incremental update with 1% new customers;

and prints the times, k, the adjusted Rand index against the known groups and the
segment table. ``--method gmm|dbscan`` times the other methods.

Run: ``.venv/bin/python bench/segments.py [--customers 100000] [--method kmeans] [--repeat 3] [--threads 1]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.metrics import adjusted_rand_score  # noqa: E402

from core.segments import SegmentModel, result_payload, synthetic_customers  # noqa: E402
from core.warehouse import Warehouse  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--method", default="kmeans", choices=("kmeans", "gmm", "dbscan"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="SegmentModel(n_threads=...); 0 = library default")
    args = ap.parse_args()

    frame, truth = synthetic_customers(args.customers, random_state=11)
    wh = Warehouse.in_memory()
    t0 = time.perf_counter()
    wh.ingest_records("customers", frame.to_dict(orient="records"))
    print(f"ingest {args.customers:,} customers: {time.perf_counter() - t0:.2f} s (not counted)")
    customers = wh.customers()
    order = customers["customer_id"].map({c: i for i, c in enumerate(frame["customer_id"])}).to_numpy()
    truth = truth[order]

    fits, payloads = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        model = SegmentModel(k="auto", method=args.method, n_threads=args.threads or None,
                             random_state=0).fit(customers)
        fits.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        payload = result_payload(model, customers, model.labels_)
        json.dumps(payload, default=str)
        payloads.append(time.perf_counter() - t0)
    new, _ = synthetic_customers(max(1, args.customers // 100), random_state=12)
    t0 = time.perf_counter()
    model.partial_fit(new)
    model.predict(new)
    inc = time.perf_counter() - t0

    total = [f + p for f, p in zip(fits, payloads)]
    print(f"threads={args.threads or 'default'} method={args.method} customers={args.customers:,} k={model.k_} "
          f"ARI={adjusted_rand_score(truth, model.labels_):.3f} silhouette={model.silhouette_:.3f}")
    print(f"fit          median {statistics.median(fits):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in fits)})")
    print(f"payload      median {statistics.median(payloads):.2f} s")
    print(f"fit+payload  median {statistics.median(total):.2f} s  target < 10 s: "
          f"{'PASS' if statistics.median(total) < 10 else 'FAIL'}")
    print(f"partial_fit + predict of {len(new):,} new customers: {inc:.3f} s")
    print(model.segments()[["segment", "name", "size", "median_recency_days", "median_frequency",
                             "median_monetary"]].to_string(index=False))


if __name__ == "__main__":
    main()
