"""Segmentation benchmark (not a test): speed on 100,000 customers, and quality on bases made differently.

``--speed`` (default): generate N contract-shaped customers (``core.segments.synthetic_customers``),
load them into an in-memory warehouse, then time ``SegmentModel(k="auto").fit`` (features,
transform, k by BIC, the final fit, bootstrap stability, profiles, names), the
``python -m core segment`` payload and an incremental update with 1% new customers.
Target: fit + payload well under 10 s for 100,000.

``--quality``: the adjusted Rand index against the known groups and whether the number of
groups was right, on the seven generators of ``tests/core/_segments_synth.py`` with 4, 5 and
6 groups, split into the generators the method was tuned on and those it never saw
(held-out seeds >= 100), for the mixture, k-means with the same k and the old
silhouette-chosen k-means; then the chosen k, stability and names on the real sets in
``../shared/datasets`` when they are there.

Run: ``.venv/bin/python bench/segments.py [--speed] [--customers 100000] [--method gmm] [--repeat 3]``
or ``.venv/bin/python bench/segments.py --quality [--n 3000] [--seeds 101,102] [--generators latent,unequal]
[--methods gmm] [--no-real]``
or ``.venv/bin/python bench/segments.py --choices``; (transforms, dequantising and k rules on the tuning bases);
``--mixture t`` measures the Student-t mixture instead of the default Gaussian one;
``--covariance full --k-tolerance 0`` the rule before issue 15's second pass (full covariances, lowest BIC);
``--methods gmm,lca`` compares the latent class model (``SegmentModel(method="lca")``), and
``--generators hurdle`` is its own held-out base (``tests/core/_segments_synth_hurdle.py``)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from core.segments import (SegmentModel, customer_features, customers_from_cdnow, customers_from_personality,  # noqa: E402
                           read_cdnow, result_payload, synthetic_customers)
from core.segments.features import ENGAGEMENT, FeatureTransform, usable_features  # noqa: E402
from core.segments.selection import silhouette_curve  # noqa: E402
from core.warehouse import Warehouse  # noqa: E402
from tests.core._segments_synth import GENERATORS, TUNED_ON  # noqa: E402
from tests.core._segments_synth_hurdle import hurdle_base  # noqa: E402
from tests.core._segments_synth_seg4 import GENERATORS as SEG4_GENERATORS  # noqa: E402

#: hurdle: the latent class work's own held-out base (tests/core/_segments_synth_hurdle.py);
#: behaviour, mixedcov: helper seg4's (tests/core/_segments_synth_seg4.py).
GENERATORS = {**GENERATORS, "hurdle": hurdle_base, **SEG4_GENERATORS}

DATASETS = ROOT.parent / "shared" / "datasets"


def speed(args: argparse.Namespace) -> None:
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
        json.dumps(result_payload(model, customers, model.labels_), default=str)
        payloads.append(time.perf_counter() - t0)
    new, _ = synthetic_customers(max(1, args.customers // 100), random_state=12)
    t0 = time.perf_counter()
    model.partial_fit(new)
    model.predict(new)
    inc = time.perf_counter() - t0
    total = [f + p for f, p in zip(fits, payloads)]
    print(f"threads={args.threads or 'default'} method={args.method} customers={args.customers:,} k={model.k_} "
          f"ARI={adjusted_rand_score(truth, model.labels_):.3f} silhouette={model.silhouette_:.3f} "
          f"stability={model.stability_:.3f}")
    print(f"fit          median {statistics.median(fits):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in fits)})")
    print(f"payload      median {statistics.median(payloads):.2f} s")
    print(f"fit+payload  median {statistics.median(total):.2f} s  target < 10 s: "
          f"{'PASS' if statistics.median(total) < 10 else 'FAIL'}")
    print(f"partial_fit + predict of {len(new):,} new customers: {inc:.3f} s")
    print(model.segments()[["segment", "name", "size", "median_recency_days", "median_frequency",
                             "median_monetary"]].to_string(index=False))


def silhouette_kmeans(customers: pd.DataFrame) -> tuple[int, np.ndarray]:
    """The old default, for comparison: k-means with k by silhouette on the same features."""
    f = customer_features(customers)
    cols = usable_features(f)
    X = FeatureTransform().fit(f[cols]).transform(f[cols])
    curve = silhouette_curve(X, range(2, 9))
    k = int(curve.loc[curve["score"].idxmax(), "k"])
    return k, KMeans(n_clusters=k, n_init=3, random_state=0).fit_predict(X)


def quality(args: argparse.Namespace) -> None:
    rows = []
    seeds = [int(s) for s in args.seeds.split(",")]
    names = args.generators.split(",") if args.generators else list(GENERATORS)
    methods = tuple(args.methods.split(","))
    for name in names:
        make = GENERATORS[name]
        for seed in seeds:
            for groups in (4, 5, 6):
                customers, truth = make(args.n, groups=groups, seed=seed)
                if args.rfm_only:  # a shop that tracks purchases only: no engagement counts
                    customers = customers.drop(columns=[c for c in ENGAGEMENT if c in customers])
                for method in methods:
                    t0 = time.perf_counter()
                    if method == "kmeans-silhouette":
                        k, labels, stab = *silhouette_kmeans(customers), float("nan")
                    else:
                        m = SegmentModel(method=method, random_state=0).fit(customers)
                        k, labels, stab = m.k_, m.labels_, m.stability_
                    rows.append({"generator": name, "tuned": name in TUNED_ON, "seed": seed, "groups": groups,
                                 "method": method, "k": k, "right_k": k == groups,
                                 "ari": adjusted_rand_score(truth, labels), "stability": stab,
                                 "seconds": time.perf_counter() - t0})
                r = rows[-len(methods)]
                print(f"{name:10s} seed={seed} groups={groups}: gmm k={r['k']} ARI={r['ari']:.3f} "
                      f"stability={r['stability']:.2f}", flush=True)
    df = pd.DataFrame(rows)
    summary = df.groupby(["method", "tuned", "generator"]).agg(ari=("ari", "mean"), right_k=("right_k", "mean"),
                                                                 stability=("stability", "mean"))
    print("\nper generator (mean over seeds and 4/5/6 groups):")
    print(summary.round(3).to_string())
    print("\nheld-out generators vs tuned ones:")
    print(df.groupby(["method", "tuned"]).agg(ari=("ari", "mean"), right_k=("right_k", "mean"),
                                              cases=("ari", "size")).round(3).to_string())
    if args.out:
        df.to_csv(args.out, index=False)
    if not args.no_real:
        real_sets()


def _variant_matrix(customers: pd.DataFrame, transform: str, jitter: bool) -> np.ndarray:
    """The features under an alternative transform (for --choices), missing values at the median."""
    from sklearn.preprocessing import PowerTransformer, QuantileTransformer, StandardScaler

    from core.segments.features import LOG_FEATURES, row_jitter

    f = customer_features(customers)
    cols = usable_features(f)
    X = f[cols].astype(float)
    X = X.fillna(X.median())
    if jitter:
        whole = [c for c in cols if np.all(np.mod(X[c], 1) == 0)]
        X[whole] = X[whole].to_numpy() + row_jitter(X.index, whole)
    if transform == "rank":
        return QuantileTransformer(output_distribution="normal", n_quantiles=500, random_state=0).fit_transform(X)
    logged = X.apply(lambda s: np.log1p(s.clip(lower=0)) if s.name in LOG_FEATURES else s)
    if transform == "log":
        return StandardScaler().fit_transform(logged)
    return PowerTransformer().fit_transform(logged)


def choices(args: argparse.Namespace) -> None:
    """Transforms x dequantising x how k is picked, on the generators tuned on (seeds 1-2)."""
    from core.segments import selection

    rows = []
    for name in TUNED_ON:
        for seed in (1, 2):
            for groups in (4, 5, 6):
                customers, truth = GENERATORS[name](args.n, groups=groups, seed=seed)
                for transform in ("log", "rank", "yeo-johnson"):
                    for jitter in (False, True):
                        X = _variant_matrix(customers, transform, jitter)
                        curve = selection.bic_curve(X, range(2, 9))
                        comps = selection.best_k(curve)
                        for rule in ("bic", "bic+merge"):
                            gm, cmap = selection.mixture_segments(X, comps, merge=rule == "bic+merge")
                            labels = selection.mixture_labels(gm, cmap, X)
                            rows.append({"transform": transform, "jitter": jitter, "rule": rule, "groups": groups,
                                         "k": int(cmap.max()) + 1, "ari": adjusted_rand_score(truth, labels)})
                sil = silhouette_curve(_variant_matrix(customers, "yeo-johnson", True), range(2, 9))
                rows.append({"transform": "yeo-johnson", "jitter": True, "rule": "k-means silhouette",
                             "groups": groups, "k": int(sil.loc[sil["score"].idxmax(), "k"]), "ari": np.nan})
                print(f"{name} seed={seed} groups={groups} done", flush=True)
    df = pd.DataFrame(rows).assign(right_k=lambda d: d["k"] == d["groups"])
    print(df.groupby(["rule", "transform", "jitter"]).agg(ari=("ari", "mean"), right_k=("right_k", "mean"),
                                                         cases=("k", "size")).round(3).to_string())


def real_sets() -> None:
    sets = {}
    cp = DATASETS / "customer-personality-marketing-campaign" / "marketing_campaign.csv"
    if cp.exists():
        sets["customer-personality"] = customers_from_personality(pd.read_csv(cp, sep=";"))
    cd = DATASETS / "cdnow-transactions" / "CDNOW_master.txt"
    if cd.exists():
        sets["cdnow"] = customers_from_cdnow(read_cdnow(cd))
    bank = DATASETS / "bank-marketing-uci" / "bank.csv"
    if bank.exists():
        sets["bank-marketing"] = customers_from_bank(pd.read_csv(bank, sep=";"))
    for name, customers in sets.items():
        t0 = time.perf_counter()
        m = SegmentModel(random_state=0).fit(customers)
        table = m.segments()
        print(f"\n{name}: {len(customers):,} customers, k={m.k_}, stability={m.stability_:.3f}, "
              f"silhouette={m.silhouette_:.3f}, {time.perf_counter() - t0:.1f} s")
        print(table[["segment", "name", "size"]].to_string(index=False))


def customers_from_bank(frame: pd.DataFrame) -> pd.DataFrame:
    """UCI bank marketing as customers: balance as money, contacts as engagement (no purchase dates)."""
    n = len(frame)
    return pd.DataFrame({"customer_id": [f"b{i}" for i in range(n)], "age": frame["age"],
                         "orders": 1 + frame["previous"].astype(int),
                         "total_spent": frame["balance"].clip(lower=0).astype(float),
                         "sessions_90d": frame["campaign"].astype(int),
                         "email_opens_90d": (frame["duration"] // 60).astype(int),
                         "channel": frame["contact"]})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--choices", action="store_true", help="compare transforms and k rules on the tuning bases")
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--method", default="gmm", choices=("gmm", "kmeans", "dbscan", "lca"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="SegmentModel(n_threads=...); 0 = library default")
    ap.add_argument("--n", type=int, default=3000, help="customers per generated base (--quality)")
    ap.add_argument("--seeds", default="101,102", help="generator seeds (--quality); tuning used 1 and 2")
    ap.add_argument("--out", help="write the per-case quality table here (CSV)")
    ap.add_argument("--generators", help="comma-separated subset of the generators (--quality; default all)")
    ap.add_argument("--methods", default="gmm,kmeans,kmeans-silhouette", help="methods compared (--quality)")
    ap.add_argument("--no-real", action="store_true", help="skip the real data sets (--quality)")
    ap.add_argument("--rfm-only", action="store_true", help="drop the engagement counts from the bases (--quality)")
    ap.add_argument("--mixture", default="gaussian", choices=("gaussian", "t"),
                    help="components of the mixture (gaussian: the default; t: the Student-t mixture)")
    ap.add_argument("--covariance", default=None,
                    choices=("tied", "full", "diag", "spherical", "shared-shape", "common-axes"),
                    help="components' covariance (default: the product's, selection.COVARIANCE)")
    ap.add_argument("--k-tolerance", type=float, default=None,
                    help="BIC per customer within which component counts vote on k (0: lowest BIC, the old rule)")
    args = ap.parse_args()
    from core.segments import selection
    selection.MIXTURE = args.mixture
    if args.covariance:
        selection.COVARIANCE = args.covariance
    if args.k_tolerance is not None:
        selection.K_TOLERANCE = args.k_tolerance
    with threadpool_limits(limits=1):
        if args.choices:
            choices(args)
        if args.quality:
            quality(args)
        if args.speed or not (args.quality or args.choices):
            speed(args)


if __name__ == "__main__":
    main()
