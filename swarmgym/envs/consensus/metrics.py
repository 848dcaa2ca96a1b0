"""Consensus metrics: pure functions of phases (B, N) or opinions (B, N) and of metric histories.

Definitions (docs/models.md#consensus-metrics):

- order parameter r = |(1/N) sum_j exp(i theta_j)| in [0, 1] (Kuramoto);
- local order: the mean over agents of r_i = |mean exp(i theta_j)| over the agents in i's k×k view,
  i itself included (on 2-D lattices with random frequencies there is no global phase order, so this
  and the frequency spread are the meaningful coordination measures there);
- frequency spread: the standard deviation over agents of the effective phase velocity of the last
  step (0 when every oscillator is frequency-locked);
- disagreement: the variance of the opinions (population variance, ddof = 0);
- opinion clusters: sort the opinions and split wherever two consecutive ones differ by more than
  ``gap``; a cluster is *major* when it holds more than ``major`` of the agents;
- convergence time: the first step from which a metric series is past a threshold and stays there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def order_parameter(phase: np.ndarray) -> np.ndarray:
    """(B,) Kuramoto order parameter r = |mean_j exp(i theta_j)| of (B, N) phases."""
    return np.hypot(np.cos(phase).mean(axis=1), np.sin(phase).mean(axis=1))


def local_order(cos_sum: np.ndarray, sin_sum: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(B,) mean over agents of |sum exp(i theta_j)| / n over each view, from (B, N) view sums incl. self."""
    return (np.hypot(cos_sum, sin_sum) / np.maximum(count, 1)).mean(axis=1)


def frequency_spread(velocity: np.ndarray) -> np.ndarray:
    """(B,) standard deviation over agents of the (B, N) effective phase velocities."""
    return velocity.std(axis=1)


def disagreement(opinion: np.ndarray) -> np.ndarray:
    """(B,) variance of the (B, N) opinions (ddof = 0)."""
    return opinion.var(axis=1)


def opinion_clusters(
    opinion: np.ndarray, gap: float, major: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gap clusters of (B, N) opinions: (number of clusters, number of major clusters, largest fraction).

    Sorted opinions are split between consecutive values more than ``gap`` apart. A cluster is major
    when its size exceeds ``major * N``. All three outputs are (B,) float64.
    """
    batch, n_agents = opinion.shape
    ordered = np.sort(opinion, axis=1)
    label = np.zeros((batch, n_agents), dtype=np.int64)
    np.cumsum(np.diff(ordered, axis=1) > gap, axis=1, out=label[:, 1:])
    sizes = np.bincount((np.arange(batch)[:, None] * n_agents + label).ravel(), minlength=batch * n_agents)
    sizes = sizes.reshape(batch, n_agents)
    n_clusters = label[:, -1] + 1.0
    n_major = (sizes > major * n_agents).sum(axis=1).astype(np.float64)
    return n_clusters, n_major, sizes.max(axis=1) / n_agents


def convergence_time(
    series: Sequence[float] | np.ndarray, threshold: float, above: bool = True
) -> int | None:
    """First step t from which ``series[t:]`` stays at or past ``threshold``, or None ("not reached").

    ``above=True`` asks for ``series >= threshold`` (order parameters), ``above=False`` for
    ``series <= threshold`` (disagreement). The series is indexed by step (index 0: the start state);
    a series whose last value is not past the threshold has not converged, and an empty one neither.
    """
    values = np.asarray(series, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"series must be one-dimensional, got shape {values.shape}")
    past = values >= threshold if above else values <= threshold
    if values.size == 0 or not past[-1]:
        return None
    failing = np.flatnonzero(~past)
    return 0 if failing.size == 0 else int(failing[-1]) + 1
