"""Figures of results for people: score distributions with CIs, the main metric over time, profiles.

matplotlib with the Agg backend (no display); PNGs are written without a timestamp so that a rebuild
from the same results gives the same bytes with the same matplotlib.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from swarmgym.core.io import atomic_path

PNG_METADATA = {"Software": None}
"""No matplotlib version stamp in the PNG: rebuilds differ only when the drawing does."""


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path) as temp:
        fig.savefig(temp, format="png", dpi=100, metadata=PNG_METADATA)
    _pyplot().close(fig)
    return path


def score_distribution(
    task_id: str,
    labels: Sequence[str],
    per_seed: Sequence[Sequence[float]],
    summaries: Sequence[Mapping[str, float]],
    path: str | Path,
) -> Path:
    """Per-seed normalised scores of each agent (dots), with the mean and its 95 % CI (bar), one row each."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 0.55 * len(labels) + 1.4))
    rng = np.random.default_rng(0)  # fixed jitter: the figure is a function of the results only
    for row, (values, summary) in enumerate(zip(per_seed, summaries)):
        y = len(labels) - 1 - row
        values = np.asarray(values, dtype=float)
        ax.scatter(values, y + rng.uniform(-0.18, 0.18, values.size), s=10, alpha=0.45, color="tab:blue")
        ax.errorbar(
            summary["mean"],
            y,
            xerr=[[summary["mean"] - summary["low"]], [summary["high"] - summary["mean"]]],
            fmt="o",
            color="black",
            capsize=4,
        )
    ax.axvline(0.0, color="grey", lw=0.8, ls=":")
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(range(len(labels)), list(reversed(labels)))
    ax.set_xlabel("normalised score (0 = random, 1 = reference); mean and 95 % CI")
    ax.set_title(task_id)
    fig.tight_layout()
    return _save(fig, path)


def metric_series(
    title: str,
    metric: str,
    curves: Sequence[tuple[str, Sequence[float], Sequence[float]]],
    path: str | Path,
    threshold: float | None = None,
) -> Path:
    """The main metric over time, mean over episodes ± one standard deviation, one curve per agent."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    for label, mean, std in curves:
        mean, std = np.asarray(mean, float), np.asarray(std, float)
        steps = np.arange(1, mean.size + 1)
        (line,) = ax.plot(steps, mean, lw=1.4, label=label)
        ax.fill_between(steps, mean - std, mean + std, color=line.get_color(), alpha=0.15, lw=0)
    if threshold is not None:
        ax.axhline(threshold, color="black", lw=0.8, ls="--", label=f"threshold {threshold:g}")
    ax.set_xlabel("step")
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return _save(fig, path)


def performance_profiles(
    title: str, profiles: Mapping[str, Mapping[str, np.ndarray]], path: str | Path
) -> Path:
    """Fraction of runs above each normalised score tau, with 95 % stratified bootstrap bands."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    for label, profile in profiles.items():
        (line,) = ax.plot(profile["tau"], profile["fraction"], lw=1.4, label=label)
        ax.fill_between(
            profile["tau"], profile["low"], profile["high"], color=line.get_color(), alpha=0.15, lw=0
        )
    ax.set_xlabel("normalised score tau")
    ax.set_ylabel("fraction of runs with score > tau")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return _save(fig, path)


def plot_results(results: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """``swarmgym plot``: the main metric over time of one or more results (same task) as a PNG."""
    if not results:
        raise ValueError("nothing to plot")
    task_ids = {r["task"]["id"] for r in results}
    if len(task_ids) > 1:
        raise ValueError(f"plot results of one task at a time, got {sorted(task_ids)}")
    first = results[0]
    from swarmgym.evaluation.results import entry_label

    curves = [(entry_label(r["agent"]), r["series"]["mean"], r["series"]["std"]) for r in results]
    return metric_series(
        f"{first['task']['id']}: {first['series']['metric']}, mean ± std over {len(first['episodes'])} seeds",
        first["series"]["metric"],
        curves,
        path,
        threshold=first["task"].get("threshold"),
    )
