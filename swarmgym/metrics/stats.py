"""Statistics for reporting results over seeds (models.md section F; Agarwal et al. 2021).

Pure functions of numbers; every resampling draws from a seeded ``numpy.random.Generator`` so a
reported interval is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from scipy.stats import trim_mean


def interquartile_mean(values: Sequence[float] | np.ndarray) -> float:
    """Interquartile mean: the mean of the middle 50 % (``scipy.stats.trim_mean(x, 0.25)``)."""
    array = np.asarray(values, dtype=np.float64).ravel()
    if array.size == 0:
        raise ValueError("interquartile_mean needs at least one value")
    return float(trim_mean(array, 0.25))


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    statistic: Callable[[np.ndarray], float] = np.mean,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``statistic`` over ``values`` (resampled with replacement).

    One value gives the degenerate interval (x, x). Resamples come from ``default_rng(seed)``.
    """
    array = np.asarray(values, dtype=np.float64).ravel()
    if array.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if array.size == 1:
        return float(array[0]), float(array[0])
    rng = np.random.default_rng(seed)
    samples = array[rng.integers(0, array.size, size=(n_resamples, array.size))]
    if statistic is np.mean:
        stats = samples.mean(axis=1)
    else:
        stats = np.array([statistic(sample) for sample in samples])
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(stats, [tail, 1.0 - tail])
    return float(low), float(high)


def mean_ci(
    values: Sequence[float] | np.ndarray, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> dict[str, float]:
    """``{"mean", "low", "high", "iqm", "n"}``: the mean with its bootstrap CI, and the interquartile mean."""
    array = np.asarray(values, dtype=np.float64).ravel()
    low, high = bootstrap_ci(array, np.mean, confidence, n_resamples, seed)
    return {
        "mean": float(array.mean()),
        "low": low,
        "high": high,
        "iqm": interquartile_mean(array),
        "n": int(array.size),
    }


def stratified_bootstrap_ci(
    groups: Mapping[str, Sequence[float]],
    statistic: Callable[[np.ndarray], float] = interquartile_mean,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """CI of ``statistic`` over all values pooled, resampling seeds within each group (task) separately."""
    arrays = [np.asarray(v, dtype=np.float64).ravel() for v in groups.values()]
    if not arrays or any(a.size == 0 for a in arrays):
        raise ValueError("stratified_bootstrap_ci needs at least one value in every group")
    rng = np.random.default_rng(seed)
    stats = np.empty(n_resamples)
    for r in range(n_resamples):
        stats[r] = statistic(np.concatenate([a[rng.integers(0, a.size, a.size)] for a in arrays]))
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(stats, [tail, 1.0 - tail])
    return float(low), float(high)


def format_ci(summary: Mapping[str, float], digits: int = 3) -> str:
    """``"0.751 [0.742, 0.760]"`` from a :func:`mean_ci` summary."""
    return f"{summary['mean']:.{digits}f} [{summary['low']:.{digits}f}, {summary['high']:.{digits}f}]"
