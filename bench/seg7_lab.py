"""Helper seg7's lab (issue 15): can the model be chosen per base, by evidence from that base?

``cache``: for every base of the tuning generators (tests/core/_segments_synth*.py: 15
generators) and of the two seen held-out files (bench/heldout_segments.py = "heldout1",
bench/heldout_segments2.py = "heldout2", held out of all of seg7's choices and reported
apart), 3,000 customers, 4/5/6 groups: the transformed feature matrix exactly as
:class:`SegmentModel` builds it, the labelling matrix (blanks kept) and the truth, pickled
under /tmp/seg7 so that rules can be compared without rebuilding features.

Steps (each on this 2-core machine, load 5-13 from other sessions)::

    .venv/bin/python bench/seg7_lab.py cache --seeds 1,2          # 26 s a seed
    .venv/bin/python bench/seg7_explore.py 1                      # ~9 min: 4 families x k 2-8, CV + fits
    FAMILIES=tied,full .venv/bin/python bench/seg7_explore.py 2   # ~7 min
    .venv/bin/python bench/seg7_rules.py 1                        # the rules, offline
    .venv/bin/python bench/seg7_path.py 1; RES=/tmp/seg7/res_path .venv/bin/python bench/seg7_rules.py 1
    OMP_NUM_THREADS=1 .venv/bin/python bench/seg7_ceiling.py 1    # supervised ceiling
    OMP_NUM_THREADS=1 .venv/bin/python bench/seg7_misc.py restarts|icl|vote|consensus|refine

Findings (ARI heldout1 / heldout2 / tuning; right k in brackets):

* Default (tied, BIC plateau vote, entropy merge; n_init 2 in the lab): seed 1 0.758 / 0.628 /
  0.631 (78% / 33% / 47%); seed 2 0.704 / 0.707 / 0.646 (56% / 33% / 53%).
* Covariance family by 3-fold CV log-likelihood (tied, full, diag, tied-shrunk 0.5): full wins
  on 62 of 63 bases by 0.25-0.35 nats per customer, and CV likelihood still rises at k 8 in
  every family. With that family and the plateau vote: seed 1 0.627 / 0.485 / 0.589 (tied+full
  choice) or 0.627 / 0.461 / 0.638 (all four); seed 2 0.636 / 0.527 / 0.609. Worse everywhere.
* k by CV within tied: 1-SE rule 0.739 / 0.628 / 0.627 (seed 2: 0.696 / 0.708 / 0.647), a
  plateau vote on CV (0.05 nats) 0.745 / 0.662 / 0.627 (seed 2: 0.684 / 0.713 / 0.646): noise.
* At the true k, unmerged: tied 0.763 / 0.675 / 0.645, full 0.635 / 0.537 / 0.615, shrunk 0.740
  / 0.620 / 0.661, diag 0.481 / 0.545 / 0.523. The best of all 28 choices, picked with the truth:
  0.806 / 0.747 / 0.729. A classifier trained on the truth (LDA = QDA = trees): 0.834 / 0.790 /
  0.792 (seg7_ceiling.py).
* Tied path fits (seg7_path.py: k-means starts plus starts from the k+1 fit less one component
  and the k-1 fit with one split): higher likelihood at every k, ARI 0.748 / 0.688 / 0.635 but
  right k 67% / 33% / 29%: the better fits make BIC ask for more components than the merge undoes.
* ICL, vote variants, consensus of partitions, LDA refinement: seg7_misc.py; none better.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CACHE = Path("/tmp/seg7")


def generators() -> dict[str, tuple[str, object]]:
    import heldout_segments
    import heldout_segments2

    from tests.core._segments_synth import GENERATORS
    from tests.core._segments_synth_hurdle import hurdle_base
    from tests.core._segments_synth_seg3 import GENERATORS as G3
    from tests.core._segments_synth_seg4 import GENERATORS as G4

    out = {name: ("tune", f) for name, f in {**GENERATORS, "hurdle": hurdle_base, **G3, **G4}.items()}
    out.update({name: ("heldout1", f) for name, f in heldout_segments.GENERATORS.items()})
    out.update({name: ("heldout2", f) for name, f in heldout_segments2.GENERATORS.items()})
    return out


def matrices(customers):
    """X (imputed) and X_label (blanks as NaN), as SegmentModel._fit builds them."""
    from core.segments.features import FeatureTransform, customer_features, noise_features, usable_features

    feats = customer_features(customers)
    cols = usable_features(feats)
    tr = FeatureTransform().fit(feats[cols])
    X = tr.transform(feats[cols])
    noise = noise_features(X, cols, random_state=0)
    keep = [j for j, c in enumerate(cols) if c not in noise]
    cols = [cols[j] for j in keep]
    tr = tr.select(cols)
    return X[:, keep], tr.transform(feats[cols], impute=False), cols


def cache(seeds: list[int]) -> None:
    from threadpoolctl import threadpool_limits

    CACHE.mkdir(exist_ok=True)
    with threadpool_limits(1):
        for name, (family, make) in generators().items():
            for seed in seeds:
                for g in (4, 5, 6):
                    path = CACHE / f"{name}_{seed}_{g}.pkl"
                    if path.exists():
                        continue
                    c, truth = make(3000, groups=g, seed=seed)
                    X, XL, cols = matrices(c)
                    path.write_bytes(pickle.dumps({"name": name, "family": family, "seed": seed, "groups": g,
                                                   "X": X, "XL": XL, "cols": cols, "truth": np.asarray(truth)}))
                    print(path.name, X.shape, flush=True)


def bases(seeds: list[int], families: set[str] | None = None):
    for path in sorted(CACHE.glob("*.pkl")):
        b = pickle.loads(path.read_bytes())
        if not isinstance(b, dict) or "X" not in b:  # another experiment's file beside the cache
            continue
        if b["seed"] in seeds and (families is None or b["family"] in families):
            yield b


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["cache"])
    p.add_argument("--seeds", default="1")
    a = p.parse_args()
    cache([int(s) for s in a.seeds.split(",")])
