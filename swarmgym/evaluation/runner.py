"""Run an agent on many seeds at once: seeds as copies of one batched env, seed groups across processes.

Seeds are split into fixed groups of consecutive seeds (the task's ``group_size``); a group is one
``make_vec`` env whose copy b is seeded ``group[0] + b`` and one policy seeded ``group[0]``. The groups
never depend on the number of worker processes, so a result is the same for any ``--workers``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Episodes:
    """Per-episode outcomes of a batch of episodes (one per seed), in seed order."""

    seeds: list[int]
    final: dict[str, np.ndarray]
    """metric -> (E,) value at the episode's last step."""
    steady: dict[str, np.ndarray]
    """metric -> (E,) mean over the last third of the episode."""
    returns: np.ndarray
    """(E,) episode return, mean over agents."""
    series: dict[str, np.ndarray]
    """metric -> (T, E) per-step values of the tracked metrics (step 1..T, after each action)."""

    @staticmethod
    def concat(parts: Sequence[Episodes]) -> Episodes:
        """Join groups (in the given order)."""
        first = parts[0]
        return Episodes(
            seeds=[s for p in parts for s in p.seeds],
            final={k: np.concatenate([p.final[k] for p in parts]) for k in first.final},
            steady={k: np.concatenate([p.steady[k] for p in parts]) for k in first.steady},
            returns=np.concatenate([p.returns for p in parts]),
            series={k: np.concatenate([p.series[k] for p in parts], axis=1) for k in first.series},
        )


def seed_groups(seeds: Sequence[int], group_size: int) -> list[list[int]]:
    """Consecutive runs of ``seeds`` cut into chunks of at most ``group_size`` (each one batched env)."""
    groups: list[list[int]] = []
    for seed in (int(s) for s in seeds):
        if groups and seed == groups[-1][-1] + 1 and len(groups[-1]) < group_size:
            groups[-1].append(seed)
        else:
            groups.append([seed])
    return groups


def run_group(
    env_id: str,
    config: Mapping[str, Any],
    max_cycles: int,
    agent: str,
    seeds: Sequence[int],
    tracked: Sequence[str],
    on_step: Callable[[int], None] | None = None,
) -> Episodes:
    """One episode per seed of the consecutive ``seeds``, all copies in lockstep (no loop over agents)."""
    import swarmgym
    from swarmgym_agents.registry import load_policy

    seeds = [int(s) for s in seeds]
    if seeds != list(range(seeds[0], seeds[0] + len(seeds))):
        raise ValueError(f"a seed group must be consecutive, got {seeds}")
    batch = len(seeds)
    venv = swarmgym.make_vec(env_id, num_envs=batch, max_cycles=max_cycles, **dict(config))
    policy = load_policy(agent, env_id, venv.model, seed=seeds[0])
    if "torch" in sys.modules:  # a learned policy: one thread per process (workers share the cores)
        sys.modules["torch"].set_num_threads(1)
    policy.reset(seeds[0])
    observations, info = venv.reset(seed=seeds[0])
    rows: list[dict[str, np.ndarray]] = []
    ended = np.zeros(batch, dtype=bool)
    lengths = np.zeros(batch, dtype=np.int64)
    returns = np.zeros(batch)
    while not ended.all():
        observations, _, _, _, info = venv.step(policy.act(observations, info))
        done = info["done"] & ~ended
        metrics = {name: np.array(value, dtype=np.float64) for name, value in info["metrics"].items()}
        if done.any():  # finished copies were reset: their last metrics are the final ones
            for name in metrics:
                metrics[name][done] = info["final_metrics"][name][done]
            returns[done] = info["episode_return"][done].mean(axis=1)
        rows.append(metrics)
        lengths[~ended] += 1
        ended |= done
        if on_step is not None:
            on_step(1)
    names = list(rows[0])
    missing = [name for name in tracked if name not in names]
    if missing:
        raise ValueError(f"{env_id} reports no metric {missing}; it reports {names}")
    steps = np.arange(len(rows))[:, None]
    start = lengths - np.maximum(lengths // 3, 1)
    last_third = (steps >= start[None]) & (steps < lengths[None])  # (T, B)
    series = {name: np.stack([row[name] for row in rows]) for name in names}  # (T, B)
    column = np.arange(batch)
    return Episodes(
        seeds=seeds,
        final={name: s[lengths - 1, column] for name, s in series.items()},
        steady={
            name: np.where(last_third, s, 0.0).sum(axis=0) / last_third.sum(axis=0)
            for name, s in series.items()
        },
        returns=returns,
        series={name: series[name] for name in tracked},
    )


def _worker_init() -> None:
    """Keep each worker on one thread: the processes already share the cores."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def _context() -> multiprocessing.context.BaseContext:
    """Fork where safe (POSIX, torch not loaded here): no re-import per worker; else spawn."""
    if "fork" in multiprocessing.get_all_start_methods() and "torch" not in sys.modules:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def run_episodes(
    env_id: str,
    config: Mapping[str, Any],
    max_cycles: int,
    agent: str,
    seeds: Sequence[int],
    tracked: Sequence[str],
    group_size: int = 10,
    workers: int = 1,
    progress: bool = False,
    description: str = "",
) -> Episodes:
    """One episode per seed; ``workers`` > 1 runs the seed groups in that many processes."""
    from tqdm import tqdm

    groups = seed_groups(seeds, group_size)
    if not groups:
        raise ValueError("no seeds to evaluate")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    args = [(env_id, dict(config), int(max_cycles), agent, group, tuple(tracked)) for group in groups]
    bar = tqdm(
        total=len(groups) * max_cycles, disable=not progress, desc=description, unit="step", leave=False
    )
    try:
        if workers == 1 or len(groups) == 1:
            parts = [run_group(*a, on_step=bar.update) for a in args]
            return Episodes.concat(parts)
        results: dict[int, Episodes] = {}
        context = _context()
        with ProcessPoolExecutor(
            min(workers, len(groups)), mp_context=context, initializer=_worker_init
        ) as pool:
            futures = {pool.submit(run_group, *a): i for i, a in enumerate(args)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update(max_cycles)
        return Episodes.concat([results[i] for i in range(len(groups))])
    finally:
        bar.close()
