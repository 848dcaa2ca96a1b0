"""Measure the normalisers: the random and reference agents' mean main score on each task's seeds.

They are data, not constants: ``swarmgym tasks --measure-normalisers`` regenerates ``normalisers.json``
and ``tests/evaluation`` re-measures cheap tasks and compares.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from swarmgym.core.io import write_json
from swarmgym.evaluation.runner import run_episodes
from swarmgym.evaluation.scores import main_scores
from swarmgym.evaluation.tasks import NORMALISERS_FILE, TASKS, Task, load_normalisers, task_hash


def measure(task: Task, workers: int = 1, progress: bool = False) -> dict[str, Any]:
    """``{"random", "reference", "reference_agent", "task_hash", "n_seeds"}`` over all the task's seeds."""
    entry: dict[str, Any] = {
        "reference_agent": task.reference,
        "task_hash": task_hash(task),
        "n_seeds": task.n_seeds,
    }
    for role, agent in (("random", "random"), ("reference", task.reference)):
        episodes = run_episodes(
            task.env_id,
            task.config,
            task.max_cycles,
            agent,
            task.seeds,
            [task.main_score],
            group_size=task.group_size,
            workers=workers,
            progress=progress,
            description=f"{task.id} [{agent}]",
        )
        entry[role] = float(main_scores(task, episodes).mean())
    return entry


def regenerate(
    task_ids: Iterable[str] | None = None,
    workers: int = 1,
    progress: bool = False,
    path: Path = NORMALISERS_FILE,
) -> dict[str, dict[str, Any]]:
    """Re-measure ``task_ids`` (default: all) and rewrite the file, keeping the other tasks' entries."""
    stored = load_normalisers(path)
    for task_id in task_ids or list(TASKS):
        stored[task_id] = measure(TASKS[task_id], workers=workers, progress=progress)
    stored = {task_id: stored[task_id] for task_id in sorted(stored) if task_id in TASKS}
    write_json(path, stored)
    return stored
