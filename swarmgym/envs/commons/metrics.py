"""Commons metrics: pure functions of the resource grid and the per-episode accumulators of the State.

The social outcomes U, E, S, P come from :mod:`swarmgym.metrics.social` (Perolat et al. 2017, raw
forms and normalised forms, see there), fed with the accumulators the dynamics keep: R^i = resources
collected by agent i (the appropriation; the beam cost, hit penalty and any inequity-aversion term
are excluded, so the metrics measure harvesting only), the steps t = 1..T at which i collected one
(``reward_time`` sums them, ``reward_steps`` counts them) and the steps i spent removed
(``removed_steps``). T is the number of steps taken so far, so every value is the running one.
"""

from __future__ import annotations

import numpy as np

from swarmgym.metrics.social import social_outcomes

#: The L2 disc of radius 2 without its centre: the 12 (d_row, d_col) offsets over which regrowth counts L.
DISC2 = tuple((dr, dc) for dr in range(-2, 3) for dc in range(-2, 3) if 0 < dr * dr + dc * dc <= 4)


def disc_counts(resource: np.ndarray, torus: bool) -> np.ndarray:
    """uint8 live resources in the radius-2 L2 disc around every cell of the last two axes, cell excluded.

    Works on a (B, H, W) world grid (wrapped on a torus, zeros beyond walls) or on any stack of
    windows, e.g. (B, N, k, k) views with ``torus=False`` (nothing counted beyond the view). A fixed
    5×5 disc kernel applied as 12 vectorised shifted sums of the once-padded array.
    """
    height, width = resource.shape[-2:]
    grid = resource.astype(np.uint8)
    pad = [(0, 0)] * (grid.ndim - 2) + [(2, 2), (2, 2)]
    padded = np.pad(grid, pad, mode="wrap") if torus else np.pad(grid, pad)
    counts = np.zeros(grid.shape, dtype=np.uint8)
    for dr, dc in DISC2:
        counts += padded[..., 2 + dr : 2 + dr + height, 2 + dc : 2 + dc + width]
    return counts


def regrowth_probability(counts: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Per-cell regrowth probability ``table[min(L, len(table) - 1)]`` for neighbour counts L."""
    return table[np.minimum(counts, len(table) - 1)]


def logistic_step(stock: np.ndarray, harvest: np.ndarray, rate: float, capacity: float) -> np.ndarray:
    """One step of the discrete logistic map with harvest: R <- max(R + r R (1 - R/K) - h, 0).

    Same fixed points as dR/dt = r R (1 - R/K) - h: a constant harvest h survives iff h <= r K / 4 (the
    maximum sustainable yield, at R = K/2), stable for 0 < r < 2 (docs/models.md#commons-logistic-regrowth).
    """
    return np.maximum(stock + rate * stock * (1.0 - stock / capacity) - harvest, 0.0)


def stock(resource: np.ndarray, patch_stock: np.ndarray, logistic: bool) -> np.ndarray:
    """(B,) resource stock: live resources on the grid, or the summed logistic stock Σ_p R_p."""
    if logistic:
        return patch_stock.sum(axis=1)
    return resource.reshape(resource.shape[0], -1).sum(axis=1).astype(np.float64)


def collapsed(resource: np.ndarray, patch_stock: np.ndarray, logistic: bool, table: np.ndarray) -> np.ndarray:
    """(B,) bool: the stock is 0 and nothing can regrow any more.

    Table mode: no live resource and table[0] = 0; logistic mode: every patch at R = 0, a fixed point.
    """
    if logistic:
        return (patch_stock <= 0).all(axis=1)
    empty = ~resource.reshape(resource.shape[0], -1).any(axis=1)
    return empty & (table[0] == 0)


def step_metrics(state, logistic: bool, table: np.ndarray, capacity: float) -> dict[str, np.ndarray]:
    """Every per-step metric of a commons State, name -> (B,) float64.

    Keys: the social outcomes of :func:`swarmgym.metrics.social.social_outcomes` (running values);
    ``stock`` (live resources, or Σ R in logistic mode), ``stock_fraction`` (stock / total capacity),
    ``collapsed`` (1.0 once the stock is 0 and cannot regrow), ``collapse_time`` (the step at which it
    collapsed, -1 if it has not), ``harvest`` (resources collected this step), ``beams`` (beams fired
    this step), ``removed_fraction`` (agents currently removed).
    """
    values = social_outcomes(
        state.apples, state.reward_time, state.reward_steps, state.removed_steps, state.t
    )
    now = stock(state.resource, state.patch_stock, logistic)
    values["stock"] = now
    values["stock_fraction"] = now / capacity
    values["collapsed"] = (state.collapse_t >= 0).astype(np.float64)
    values["collapse_time"] = state.collapse_t.astype(np.float64)
    values["harvest"] = state.harvested.sum(axis=1).astype(np.float64)
    values["beams"] = state.fired.sum(axis=1).astype(np.float64)
    values["removed_fraction"] = (state.removed_left > 0).mean(axis=1)
    return values


def above_median(recent_harvest: np.ndarray) -> np.ndarray:
    """(B, N) bool: agents whose recent harvest is strictly above their copy's median (over-harvesters)."""
    recent = np.asarray(recent_harvest, dtype=np.float64)
    return recent > np.median(recent, axis=1, keepdims=True)


def targeted_hits(hits_taken: np.ndarray, recent_harvest: np.ndarray) -> np.ndarray:
    """(B,) beam hits of one step that landed on agents harvesting above the median over the last window.

    ``hits_taken`` is the State's (B, N) count of beams covering each agent this step; ``recent_harvest``
    (B, N) the resources each agent collected over the window *before* this step (the beam fires at the
    start of the step). Which beam hit whom is not in the State, so sanctioning is measured per hit: a
    beam covering two over-harvesters counts twice, one covering nobody counts as a miss.
    """
    return (np.asarray(hits_taken) * above_median(recent_harvest)).sum(axis=1)
