"""A task's scores from episodes: the main score, its normalised form and the time to emergence."""

from __future__ import annotations

import numpy as np

from swarmgym.evaluation.runner import Episodes
from swarmgym.evaluation.tasks import Task


def main_scores(task: Task, episodes: Episodes) -> np.ndarray:
    """(E,) the main score of every episode: the main metric reduced as the task says."""
    table = episodes.steady if task.reduction == "steady" else episodes.final
    return np.asarray(table[task.main_score], dtype=np.float64)


def normalise(scores: np.ndarray, random: float, reference: float) -> np.ndarray:
    """(score - random) / (reference - random): 0 is the random agent, 1 the task's reference agent."""
    if reference == random:
        raise ValueError(f"cannot normalise: the reference and random agents both score {reference}")
    return (np.asarray(scores, dtype=np.float64) - random) / (reference - random)


def time_to_emergence(series: np.ndarray, threshold: float) -> np.ndarray:
    """(E,) first step t (1-based) after which ``series[t-1:]`` stays >= threshold; -1 if never (censored).

    ``series`` is (T, E): the metric after steps 1..T. An episode whose last value is below the threshold
    has not emerged and is censored at the horizon; it is counted separately, never averaged in.
    """
    values = np.asarray(series, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"series must be (T, E), got shape {values.shape}")
    failing = values < threshold
    length = values.shape[0]
    # Index of the last failing step per episode (-1 when none fails), then the step after it.
    last_fail = np.where(failing.any(axis=0), length - 1 - np.argmax(failing[::-1], axis=0), -1)
    emerged = last_fail + 2  # 1-based step following the last failure
    return np.where(failing[-1], -1, emerged).astype(np.int64)
