"""Helper seg7's lab (issue 15): model choice per base by held-out likelihood.

``cache``: for every base of the tuning generators (tests/core/_segments_synth*.py,
bench/heldout_segments.py) and the held-out family (bench/heldout_segments2.py), the
transformed feature matrix exactly as :class:`SegmentModel` builds it, the labelling matrix
(blanks kept) and the truth, pickled under /tmp/seg7 so that selection rules can be compared
without rebuilding features. ``run``: a rule on every cached base, ARI and right k per set.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
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
        if b["seed"] in seeds and (families is None or b["family"] in families):
            yield b


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["cache"])
    p.add_argument("--seeds", default="1")
    a = p.parse_args()
    cache([int(s) for s in a.seeds.split(",")])
