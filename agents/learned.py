"""Learned agents by name: ``ppo:PATH``, ``mfq:PATH``, ``mfac:PATH``, ``rllib:PATH``.

PATH is a run folder written by ``swarmgym train`` (its ``model.zip`` / ``model.pt``, or the latest
checkpoint while training runs) or a model file. An RLlib run's ``model.pt`` is the exported policy
(:mod:`swarmgym_agents.integrations.window_net`): it loads with torch alone, Ray is not needed. The
loaded policy must fit the env it acts in: same observation shape and action space, else a
``ValueError`` names both.
"""

from __future__ import annotations

from pathlib import Path

from swarmgym.core.model import SwarmModel
from swarmgym_agents.base import Policy

LEARNED = ("ppo", "mfq", "mfac", "rllib")


def _model_file(path: Path, suffix: str) -> Path:
    if path.is_dir():
        for name in (f"model{suffix}", f"checkpoint{suffix}"):
            if (path / name).is_file():
                return path / name
        raise ValueError(f"no model{suffix} or checkpoint{suffix} in {path}")
    if not path.is_file():
        raise ValueError(f"checkpoint not found: {path}")
    return path


def load_learned(name: str, model: SwarmModel, seed: int | None = None) -> Policy:
    """The learned policy ``ALGO:PATH`` for ``model``; ``ValueError`` for an unknown ALGO or a bad file."""
    algo, _, path_text = name.partition(":")
    if algo not in LEARNED:
        raise ValueError(
            f"unknown learned-agent prefix {algo!r} in {name!r}; use one of {[a + ':PATH' for a in LEARNED]}"
        )
    if not path_text:
        raise ValueError(f"{name!r} names no path; use {algo}:PATH")
    if algo == "ppo":
        from swarmgym_agents.ppo_sb3 import PPOPolicy

        file = _model_file(Path(path_text), ".zip")
        try:
            policy = PPOPolicy(file)
        except Exception as error:  # SB3 raises many types for a damaged zip
            raise ValueError(f"corrupt ppo checkpoint {file}: {error}") from None
        obs_shape, action_space = tuple(policy.observation_space.shape), policy.action_space
    elif algo == "rllib":
        from swarmgym_agents.integrations.window_net import WindowNetPolicy

        file = _model_file(Path(path_text), ".pt")
        try:
            policy = WindowNetPolicy(file, seed=seed)
        except Exception as error:  # torch raises many types for a damaged file
            raise ValueError(f"corrupt rllib policy file {file}: {error}") from None
        obs_shape, action_space = tuple(policy.observation_space.shape), policy.action_space
    else:
        from swarmgym_agents.mean_field import MeanFieldPolicy, load_checkpoint

        checkpoint = load_checkpoint(_model_file(Path(path_text), ".pt"), algo)
        policy = MeanFieldPolicy(checkpoint, seed=seed)
        obs_shape, action_space = tuple(policy.net.obs_shape), policy.action_space
    if obs_shape != tuple(model.observation_space.shape) or action_space != model.action_space:
        raise ValueError(
            f"{name} was trained on observations {obs_shape} and actions {action_space}, but this env has "
            f"{tuple(model.observation_space.shape)} and {model.action_space}: evaluate it with the config "
            f"it was trained on (see run.json)"
        )
    return policy
