"""The ``bandits`` family: each experiment's posterior, next shares and verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.config import Settings
from core.errors import NotEnoughDataError
from core.lifecycle.builtin.common import _window
from core.lifecycle.catalog import Family, TrainResult, register
from core.warehouse import Warehouse


def bandits_features(wh: Warehouse) -> tuple[pd.DataFrame, str | None]:
    """Per arm-day of every experiment: traffic and the click and conversion rates it earned."""
    from core import bandits

    logs = [bandits.experiment_results(wh, e).assign(experiment=e)
            for e in bandits.experiments(wh)["experiment_id"]]
    logs = [df for df in logs if len(df)]
    if not logs:
        return pd.DataFrame(), None
    df = pd.concat(logs, ignore_index=True)
    imps = df["impressions"].astype(float)
    return pd.DataFrame({"date": df["date"], "log_impressions": np.log1p(imps),
                         "ctr": np.where(imps > 0, df["clicks"] / imps.where(imps > 0, 1), np.nan),
                         "experiment": df["experiment"]}), "date"


def bandits_train(wh: Warehouse, settings: Settings) -> TrainResult:
    """Each experiment's posterior, next-period shares and stopping read-out (the bandit state).

    The state is a function of the logged results, so a newer one is never worse
    evidence; the figure that decides is the amount of evidence (trials logged).
    """
    from core import bandits

    exps = bandits.experiments(wh)
    if not len(exps):
        raise NotEnoughDataError("There are no A/B bandit experiments yet: create one on the A/B bandits page.")
    states, trials, decided, best = [], 0.0, 0, []
    dates = []
    for exp in exps.itertuples():
        results = bandits.experiment_results(wh, exp.experiment_id)
        if not len(results):
            continue
        model, decision = bandits.analyse(wh, exp.experiment_id)
        trials += float(np.sum(model.trials_))
        decided += int(decision.stop)
        best.append(float(np.max(decision.prob_best)))
        dates.append(results["date"])
        states.append({"experiment_id": exp.experiment_id, "name": exp.name, "policy": model.policy,
                       "reward": model.reward, "arms": list(model.arms_),
                       "successes": np.round(model.successes_, 4).tolist(),
                       "trials": np.round(model.trials_, 4).tolist(),
                       "next_shares": np.round(model.shares_, 4).tolist(),
                       "prob_best": np.round(decision.prob_best, 4).tolist(),
                       "leader": decision.leader, "stop": bool(decision.stop), "verdict": decision.verdict})
    if not states:
        raise NotEnoughDataError("No experiment has logged results yet: enter a day's results first.")
    return TrainResult(
        metrics={"experiments": float(len(states)), "trials": trials, "decided": float(decided),
                 "mean_max_prob_best": float(np.mean(best))},
        primary="trials", higher_is_better=True,
        params={"experiments": [s["experiment_id"] for s in states]},
        window=_window(pd.concat(dates)), artifact={"experiments": states})


FAMILY = register(Family('bandits', "A/B bandit state: each experiment's posterior, shares and verdict", bandits_train, bandits_features, schedule_days=1))
