"""The run folder a training run writes, and reading it back (resume, evaluate, render).

``OUT/run.json`` records what was asked (env, algorithm, seed, config, budget, hyperparameters) and how
far it got (``steps_done``); ``checkpoint.zip|.pt`` is the latest checkpoint, ``model.zip|.pt`` the
final model, ``tb/`` the TensorBoard logs, ``eval.json`` the final evaluation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from swarmgym.core.config import parse_overrides
from swarmgym.registry import spec

REQUIRED_KEYS = ("env_id", "algo", "seed", "config", "steps", "num_copies", "max_cycles", "steps_done")


def read_run(path: Path) -> dict[str, Any]:
    """The ``run.json`` at ``path``; ``ValueError`` when it is missing or corrupt."""
    if not path.exists():
        raise ValueError(f"cannot resume: {path} not found (no run was started in {path.parent})")
    try:
        run = json.loads(path.read_text())
        for key in REQUIRED_KEYS:
            run[key]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"cannot resume: {path} is corrupt ({error})") from None
    return run


def config_overrides(items: Sequence[str], preset: str | None, env_id: str) -> dict[str, Any]:
    """Config overrides from a preset name then ``KEY=VALUE`` items (command-line form)."""
    return {**spec(env_id).preset(preset), **parse_overrides(items)}


def agent_config(
    agent: str, env_id: str, items: Sequence[str], preset: str | None
) -> tuple[dict[str, Any], int | None]:
    """The env config (and episode length) to run ``agent`` on.

    The overrides given (preset, then key=value items), or else, for a learned agent ``algo:RUN_DIR``,
    the config and ``max_cycles`` it was trained with.
    """
    config = config_overrides(items, preset, env_id)
    run_file = Path(agent.partition(":")[2]) / "run.json"
    if ":" in agent and not config and run_file.is_file():
        run = read_run(run_file)
        return run["config"], run["max_cycles"]
    return config, None
