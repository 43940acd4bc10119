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
             steps: int = 400, polish: bool = True) -> np.ndarray:
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
    polish : bool
        After the greedy pass, move budget between pairs of candidates while that raises the total
        (:func:`polish`). Greedy increments are optimal only for concave, separable gains; an S-shaped
        curve (flat first dollars) or an audience shared by several line items is neither, and greedy
        then leaves a candidate unfunded whose first dollars look worthless.

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
            return polish_allocation(gain, plats, cons, x, active, cons.budget / steps) if polish else x
        if small.any():
            # drop the under-funded items and re-allocate their money (the polish may fund one again with
            # at least the smallest useful budget); one by one costs a greedy pass per item
            active[small] = False
        else:
            keep = np.argsort(-x)[:cons.max_items]
            mask = np.zeros(n, dtype=bool)
            mask[keep] = True
            active &= mask
    x = _greedy(gain, plats, cons, active, steps)
    return polish_allocation(gain, plats, cons, x, active, cons.budget / steps) if polish else x


def polish_allocation(gain: Callable[[np.ndarray], np.ndarray], plats: np.ndarray, cons: Constraints, x: np.ndarray,
                      active: np.ndarray, delta: float, *, sizes: Sequence[int] = (8, 3, 1),
                      rounds: int = 40, tries: int = 4) -> np.ndarray:
    """Local search after the greedy pass: move ``k * delta`` from one candidate to another while it pays.

    For each move size in ``sizes`` (largest first), every candidate's total change for ``k * delta``
    more and less is evaluated (one batch of ``gain``); the ``tries`` best pairs by the sum of the two
    are then evaluated exactly (a joint gain's pairs interact) and the best improving one is made.
    Every move keeps the budget, the item caps, platform caps and floors, audience caps, the smallest
    useful budget (an item ends at 0 or at least ``min_item_budget``) and the item count.
    """
    x = np.asarray(x, dtype=float).copy()
    n = len(x)
    if n < 2:
        return x
    cap = np.full(n, np.inf) if cons.item_cap is None else np.asarray(cons.item_cap, dtype=float)
    cap = np.where(active, cap, 0.0)
    groups = np.asarray(cons.groups) if cons.groups is not None else np.full(n, "")
    pmax = np.array([cons.platform_max.get(p, np.inf) for p in plats])
    pmin = np.array([cons.platform_min.get(p, 0.0) for p in plats])
    gmax = np.array([cons.group_max.get(g, np.inf) for g in groups])
    same_p = plats[:, None] == plats[None, :]
    same_g = groups[:, None] == groups[None, :]
    min_b, eps = float(cons.min_item_budget), 1e-9 * max(float(cons.budget), 1.0)
    total = lambda rows: gain(rows).sum(1)
    current = float(total(x[None, :])[0])
    for k in sizes:
        step = k * delta
        for _ in range(rounds):
            used_p = np.array([x[plats == p].sum() for p in plats])
            used_g = np.array([x[groups == g].sum() for g in groups])
            up = active & (x + step <= cap + eps) & ((x > eps) | (step >= min_b - eps))
            if cons.max_items is not None and (x > eps).sum() >= cons.max_items:
                up &= x > eps
            down = (x >= step - eps) & ((x - step <= eps) | (x - step >= min_b - eps))
            ui, di = np.where(up)[0], np.where(down)[0]
            if len(ui) == 0 or len(di) == 0:
                break
            rows = np.vstack([x[None, :], x[None, :] + step * np.eye(n)[ui], x[None, :] - step * np.eye(n)[di]])
            y = total(rows)
            gain_up = np.full(n, -np.inf)
            gain_up[ui] = y[1:1 + len(ui)] - y[0]
            loss_down = np.full(n, -np.inf)
            loss_down[di] = y[1 + len(ui):] - y[0]
            score = loss_down[:, None] + gain_up[None, :]          # move from i (row) to j (column)
            np.fill_diagonal(score, -np.inf)
            # a move between platforms (audiences) must leave the donor's floor and respect the taker's cap
            ok = same_p | ((used_p[None, :] + step <= pmax[None, :] + eps) & (used_p[:, None] - step >= pmin[:, None] - eps))
            ok &= same_g | (used_g[None, :] + step <= gmax[None, :] + eps)
            score = np.where(ok, score, -np.inf)
            flat = np.argsort(score, axis=None)[::-1][:tries]
            flat = flat[np.isfinite(score.reshape(-1)[flat]) & (score.reshape(-1)[flat] > 0)]
            if len(flat) == 0:
                break
            moves = np.repeat(x[None, :], len(flat), 0)
            src, dst = np.unravel_index(flat, score.shape)
            moves[np.arange(len(flat)), src] -= step
            moves[np.arange(len(flat)), dst] += step
            exact = total(moves)
            b = int(np.argmax(exact))
            if exact[b] <= current + 1e-12 * max(abs(current), 1.0):
                break
            x, current = moves[b], float(exact[b])
    return np.maximum(x, 0.0)


#: increments an item may take at once: greedy compares each item's best average return over the next 1, 4, 16
#: or 48 increments (its concave envelope), so an S-shaped curve whose first dollars bring little still gets funded
JUMPS = (1, 4, 16, 48)


def _greedy(gain, plats: np.ndarray, cons: Constraints, active: np.ndarray, steps: int) -> np.ndarray:
    n = len(plats)
    budget = float(cons.budget)
    delta = budget / steps
    cap = np.full(n, np.inf) if cons.item_cap is None else np.asarray(cons.item_cap, dtype=float).copy()
    cap[~active] = 0.0
    joint = getattr(gain, "joint", False)
    jumps = np.array(JUMPS)
    if not joint:
        levels = np.arange(steps + 1) * delta
        cum = gain(np.repeat(levels[:, None], n, axis=1))                   # outcome after j increments
    else:
        linked = np.asarray(getattr(gain, "groups", np.zeros(n)))
        marg, best_k = _joint_rates(gain, np.zeros(n), delta, np.arange(n), jumps)
    n_inc_cap = np.floor(np.minimum(cap, budget) / delta + 1e-9).astype(int)
    taken = np.zeros(n, dtype=int)
    pmax = {p: cons.platform_max.get(p, np.inf) for p in set(plats)}
    used = {p: 0.0 for p in set(plats)}
    groups = np.asarray(cons.groups) if cons.groups is not None else np.full(n, "")
    gmax = {g: cons.group_max.get(g, np.inf) for g in set(groups)}
    gused = {g: 0.0 for g in set(groups)}
    remaining = steps

    def separable_rates() -> tuple[np.ndarray, np.ndarray]:
        ends = np.minimum(taken[None, :] + jumps[:, None], steps)              # (jumps, n)
        k = np.maximum(ends - taken[None, :], 1)
        rate = (cum[ends, np.arange(n)] - cum[taken, np.arange(n)]) / k
        pick = rate.argmax(0)
        return rate[pick, np.arange(n)], jumps[pick]

    def step(candidates: np.ndarray) -> bool:
        nonlocal remaining
        ok = candidates & (taken < n_inc_cap) & (taken < steps)
        ok &= np.array([used[p] + delta <= pmax[p] + 1e-9 for p in plats])
        ok &= np.array([gused[g] + delta <= gmax[g] + 1e-9 for g in groups])
        if not ok.any() or remaining <= 0:
            return False
        m, ks = (marg, best_k) if joint else separable_rates()
        g = np.where(ok, m, -np.inf)
        j = int(np.argmax(g))
        if g[j] <= 0:
            return False
        room = min(n_inc_cap[j] - taken[j], steps - taken[j], remaining,
                   np.floor((pmax[plats[j]] - used[plats[j]]) / delta + 1e-9),
                   np.floor((gmax[groups[j]] - gused[groups[j]]) / delta + 1e-9))
        k = int(max(1, min(ks[j], room)))
        taken[j] += k
        if joint:
            cols = np.where(linked == linked[j])[0]
            marg[cols], best_k[cols] = _joint_rates(gain, taken * delta, delta, cols, jumps)
        used[plats[j]] += k * delta
        gused[groups[j]] += k * delta
        remaining -= k
        return True

    for p, lo in cons.platform_min.items():          # first meet each platform's minimum
        mask = plats == p
        while used.get(p, 0.0) + 1e-9 < lo and step(mask):
            pass
    while step(np.ones(n, dtype=bool)):
        pass
    return taken * delta


def _joint_rates(gain, x: np.ndarray, delta: float, cols: np.ndarray, jumps: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per item of ``cols``: the best average return per increment over ``jumps`` increments of ``delta`` more
    (the joint gain's total at allocation ``x``), and how many increments give it."""
    m = len(cols)
    rows = np.repeat(x[None, :], m * len(jumps) + 1, 0)
    for a, k in enumerate(jumps):
        rows[1 + a * m + np.arange(m), cols] += k * delta
    totals = gain(rows).sum(1)
    rate = (totals[1:].reshape(len(jumps), m) - totals[0]) / jumps[:, None]
    pick = rate.argmax(0)
    return rate[pick, np.arange(m)], jumps[pick]
