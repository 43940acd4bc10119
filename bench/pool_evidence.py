"""Audience-pool evidence against the truth (not a test): each candidate pool's log-likelihood gain over its
items' own curves (``ResponseModel.pool_gain_``), labelled by how the generator made its items.

``same``: the candidate's items draw on one true pool; ``splitN``: on N true pools (bench/heldout.py makes
Facebook and Instagram separate pools); ``none``: the sample generator, whose items never share
saturation. ``POOL_PRIOR`` was chosen from these gains: a pool weighs ``1 / (1 + exp(-(gain + prior)))``.

Run: ``.venv/bin/python bench/pool_evidence.py [--generator heldout|heldout2|sample] [--seeds ...]``
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from core.recommendations import ResponseModel  # noqa: E402
from core.recommendations.model import POOL_PRIOR  # noqa: E402


def gains(generator: str, seed: int) -> list[dict]:
    if generator == "sample":
        import recommend

        campaigns, _ = recommend.sample(seed)
        true_pool = None
    else:
        campaigns, truth = importlib.import_module(generator).make(seed)
        true_pool = dict(zip(truth.keys, truth.pool))
    model = ResponseModel(random_state=0).fit(campaigns)
    rows = []
    for g, gain in model.pool_gain_.items():
        plat, audience = g.split("|", 1)
        members = [k for k, p in zip(model.keys_, model._network(model.items_["platform"]))
                   if k.split("|")[3] == audience and plat in (k.split("|")[0], p)]
        n_true = len({true_pool[k] for k in members}) if true_pool else 0
        rows.append({"generator": generator, "seed": seed, "pool": g, "items": len(members), "gain": round(gain, 2),
                     "truth": "none" if true_pool is None else "same" if n_true == 1 else f"split{n_true}",
                     "weight": round(1 / (1 + np.exp(-(gain + POOL_PRIOR))), 2)})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generator", choices=("heldout", "heldout2", "sample"), default="heldout2")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    args = ap.parse_args(argv)
    df = pd.DataFrame([r for s in args.seeds for r in gains(args.generator, s)])
    print(df.to_string(index=False))
    print(df.groupby("truth")["gain"].describe().round(2).to_string())
    print(df.groupby("truth")["weight"].mean().round(2).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
