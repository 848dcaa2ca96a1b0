"""Statistics for reporting results over seeds (docs/models.md#scoring-emergence; Agarwal et al. 2021).

Pure functions of numbers; every resampling draws from a seeded ``numpy.random.Generator`` so a
reported interval is reproducible. The aggregate tools follow ``rliable`` (Agarwal et al. 2021):
interquartile mean, stratified bootstrap CIs (runs resampled within each task), probability of
improvement and performance profiles. They are written here rather than imported: rliable 1.2.0
installs beside this project's pins but does not import (its ``arch`` dependency breaks on pandas 3),
and ``tests/metrics/test_stats.py`` checks them against hand-computed cases.
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
    elif statistic is interquartile_mean:
        stats = trim_mean(samples, 0.25, axis=1)
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
    samples = np.concatenate([a[rng.integers(0, a.size, (n_resamples, a.size))] for a in arrays], axis=1)
    if statistic is interquartile_mean:
        stats = trim_mean(samples, 0.25, axis=1)
    elif statistic is np.mean:
        stats = samples.mean(axis=1)
    else:
        stats = np.array([statistic(sample) for sample in samples])
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(stats, [tail, 1.0 - tail])
    return float(low), float(high)


def iqm_ci(
    values: Sequence[float] | np.ndarray, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> dict[str, float]:
    """:func:`mean_ci` plus the bootstrap CI of the interquartile mean (``iqm_low``, ``iqm_high``)."""
    summary = mean_ci(values, confidence, n_resamples, seed)
    low, high = bootstrap_ci(values, interquartile_mean, confidence, n_resamples, seed)
    summary.update(iqm_low=low, iqm_high=high)
    return summary


def probability_of_improvement(x: Mapping[str, Sequence[float]], y: Mapping[str, Sequence[float]]) -> float:
    """P(X > Y) averaged over tasks: per task the Mann-Whitney statistic P(x > y) + ½ P(x = y).

    ``x`` and ``y`` map the same task ids to each algorithm's per-run scores on that task.
    """
    if set(x) != set(y) or not x:
        raise ValueError(
            f"probability_of_improvement needs the same tasks for both, got {sorted(x)} and {sorted(y)}"
        )
    return float(
        np.mean([_mann_whitney(np.asarray(x[t], float)[None], np.asarray(y[t], float)[None])[0] for t in x])
    )


def _mann_whitney(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(R,) P(x > y) + ½ P(x = y) over all pairs, for (R, n) and (R, m) resamples."""
    greater = (x[:, :, None] > y[:, None, :]).mean(axis=(1, 2))
    equal = (x[:, :, None] == y[:, None, :]).mean(axis=(1, 2))
    return greater + 0.5 * equal


def probability_of_improvement_ci(
    x: Mapping[str, Sequence[float]],
    y: Mapping[str, Sequence[float]],
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> dict[str, float]:
    """``{"p", "low", "high"}``: :func:`probability_of_improvement` with a stratified bootstrap CI.

    Each resample draws the runs of x and of y with replacement within every task (Agarwal et al. 2021).
    """
    point = probability_of_improvement(x, y)
    rng = np.random.default_rng(seed)
    per_task = []
    for task in x:
        xs, ys = np.asarray(x[task], float), np.asarray(y[task], float)
        xr = xs[rng.integers(0, xs.size, (n_resamples, xs.size))]
        yr = ys[rng.integers(0, ys.size, (n_resamples, ys.size))]
        per_task.append(_mann_whitney(xr, yr))
    stats = np.mean(per_task, axis=0)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(stats, [tail, 1.0 - tail])
    return {"p": point, "low": float(low), "high": float(high)}


def performance_profile(
    scores: Mapping[str, Sequence[float]],
    taus: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Score distribution: for each tau the fraction of runs scoring above tau, averaged over tasks.

    Returns ``{"tau", "fraction", "low", "high"}`` arrays (the band from a stratified bootstrap), as
    rliable's run-score distributions (Agarwal et al. 2021, fig. 4).
    """
    taus = np.asarray(taus, dtype=np.float64)
    arrays = [np.asarray(v, dtype=np.float64).ravel() for v in scores.values()]
    if not arrays or any(a.size == 0 for a in arrays):
        raise ValueError("performance_profile needs at least one value in every task")
    point = np.mean([(a[:, None] > taus[None]).mean(axis=0) for a in arrays], axis=0)
    rng = np.random.default_rng(seed)
    boot = np.zeros((n_resamples, taus.size))
    for a in arrays:
        sample = a[rng.integers(0, a.size, (n_resamples, a.size))]
        boot += (sample[:, :, None] > taus[None, None]).mean(axis=1)
    boot /= len(arrays)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(boot, [tail, 1.0 - tail], axis=0)
    return {"tau": taus, "fraction": point, "low": low, "high": high}


def format_ci(summary: Mapping[str, float], digits: int = 3) -> str:
    """``"0.751 [0.742, 0.760]"`` from a :func:`mean_ci` summary."""
    return f"{summary['mean']:.{digits}f} [{summary['low']:.{digits}f}, {summary['high']:.{digits}f}]"
