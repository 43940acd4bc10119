"""The optimiser: greedy marginal-return allocation of a daily budget under constraints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

@dataclass
class Constraints:
    """Limits on an allocation. Amounts are per day; shares are fractions of the budget."""

    budget: float
    item_cap: np.ndarray | None = None          # per candidate, max daily spend
    platform_max: dict[str, float] = field(default_factory=dict)
    platform_min: dict[str, float] = field(default_factory=dict)
    min_item_budget: float = 0.0
    max_items: int | None = None
    groups: np.ndarray | None = None            # per candidate, a group (line items reaching the same people)
    group_max: dict[str, float] = field(default_factory=dict)   # max daily spend of a group


def allocate(gain: Callable[[np.ndarray], np.ndarray], platforms: Sequence[str], cons: Constraints, *,
             steps: int = 400) -> np.ndarray:
    """Greedy marginal-return allocation of ``cons.budget`` over candidates.

    Parameters
    ----------
    gain : callable
        ``gain(X) -> Y``: expected outcome of each candidate (column) at spends ``X`` of shape
        (n_points, n_candidates); it must be concave and increasing in spend. A gain with the
        attribute ``joint = True`` is not separable (each row of ``X`` is one allocation, and one
        candidate's outcome depends on the others' spend, as in a shared audience): every increment
        then goes where it adds most to the row's total. Its optional ``groups`` (a label per
        candidate) says which candidates interact: after an increment only that group's marginal
        returns are evaluated afresh.
    platforms : sequence of str
        The platform of each candidate.
    cons : Constraints
    steps : int
        Number of increments the budget is cut into.

    Returns
    -------
    ndarray
        Daily spend per candidate; sums to at most the budget.

    Examples
    --------
    >>> g = lambda X: saturation(X, np.array([0.1, 0.05]), np.array([50.0, 500.0]))
    >>> x = allocate(g, ["a", "b"], Constraints(budget=100.0))
    >>> bool(abs(x.sum() - 100.0) < 1e-6 and x[0] > 0 and x[1] > 0)
    True
    """
    plats = np.asarray(platforms)
    n = len(plats)
    active = np.ones(n, dtype=bool)
    if n == 0 or cons.budget <= 0:
        return np.zeros(n)
    for _ in range(n + 1):
        x = _greedy(gain, plats, cons, active, steps)
        on = x > 1e-9
        small = on & (x < cons.min_item_budget - 1e-9)
        too_many = cons.max_items is not None and on.sum() > cons.max_items
        if not small.any() and not too_many:
            return x
        if small.any():
            # drop the smallest under-funded item and re-allocate its money
            cand = np.where(small)[0]
            active[cand[np.argmin(x[cand])]] = False
        else:
            keep = np.argsort(-x)[:cons.max_items]
            mask = np.zeros(n, dtype=bool)
            mask[keep] = True
            active &= mask
    return _greedy(gain, plats, cons, active, steps)


def _greedy(gain, plats: np.ndarray, cons: Constraints, active: np.ndarray, steps: int) -> np.ndarray:
    n = len(plats)
    budget = float(cons.budget)
    delta = budget / steps
    cap = np.full(n, np.inf) if cons.item_cap is None else np.asarray(cons.item_cap, dtype=float).copy()
    cap[~active] = 0.0
    joint = getattr(gain, "joint", False)
    if not joint:
        levels = np.arange(steps + 1) * delta
        inc = np.diff(gain(np.repeat(levels[:, None], n, axis=1)), axis=0)  # gain of the j-th increment
    else:
        linked = np.asarray(getattr(gain, "groups", np.zeros(n)))
        marg = _joint_marginals(gain, np.zeros(n), delta, np.arange(n))
    n_inc_cap = np.floor(np.minimum(cap, budget) / delta + 1e-9).astype(int)
    taken = np.zeros(n, dtype=int)
    pmax = {p: cons.platform_max.get(p, np.inf) for p in set(plats)}
    used = {p: 0.0 for p in set(plats)}
    groups = np.asarray(cons.groups) if cons.groups is not None else np.full(n, "")
    gmax = {g: cons.group_max.get(g, np.inf) for g in set(groups)}
    gused = {g: 0.0 for g in set(groups)}
    remaining = steps

    def step(candidates: np.ndarray) -> bool:
        nonlocal remaining
        ok = candidates & (taken < n_inc_cap) & (taken < steps)
        ok &= np.array([used[p] + delta <= pmax[p] + 1e-9 for p in plats])
        ok &= np.array([gused[g] + delta <= gmax[g] + 1e-9 for g in groups])
        if not ok.any() or remaining <= 0:
            return False
        m = marg if joint else inc[np.minimum(taken, steps - 1), np.arange(n)]
        g = np.where(ok, m, -np.inf)
        j = int(np.argmax(g))
        if g[j] <= 0:
            return False
        taken[j] += 1
        if joint:
            cols = np.where(linked == linked[j])[0]
            marg[cols] = _joint_marginals(gain, taken * delta, delta, cols)
        used[plats[j]] += delta
        gused[groups[j]] += delta
        remaining -= 1
        return True

    for p, lo in cons.platform_min.items():          # first meet each platform's minimum
        mask = plats == p
        while used.get(p, 0.0) + 1e-9 < lo and step(mask):
            pass
    while step(np.ones(n, dtype=bool)):
        pass
    return taken * delta



def _joint_marginals(gain, x: np.ndarray, delta: float, cols: np.ndarray) -> np.ndarray:
    """What ``delta`` more on each of ``cols`` adds to the total of a joint gain at allocation ``x``."""
    rows = np.repeat(x[None, :], len(cols) + 1, 0)
    rows[np.arange(1, len(cols) + 1), cols] += delta
    totals = gain(rows).sum(1)
    return totals[1:] - totals[0]
