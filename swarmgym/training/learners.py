"""The learners a run can use, and the env config each trains on by default.

A learner class (PPO in :mod:`swarmgym_agents.ppo_sb3`, MF-Q and MF-AC in :mod:`swarmgym_agents.mfq` /
:mod:`swarmgym_agents.mfac`) offers the trainer one interface:

- ``create(env_id, config, seed, num_copies, max_cycles, **hyper)`` and ``load(path, <same>)``;
- ``train(steps, on_steps, log)``: train about ``steps`` agent-steps in whole chunks;
- ``save(path)``, ``steps`` (agent-steps done), ``chunk`` (agent-steps of one rollout or update),
  ``suffix`` (checkpoint file suffix), ``hyper()`` (every hyperparameter, for run.json).

Defaults come from the env's :class:`~swarmgym.core.spec.LearningSpec`, which names presets.
"""

from __future__ import annotations

from typing import Any

from swarmgym.core.spec import LearningSpec
from swarmgym.registry import spec

ALGOS = ("ppo", "mfq", "mfac")


def learner_class(algo: str) -> Any:
    """The learner class of ``algo`` (torch and SB3 are imported only here, when a learner is needed)."""
    if algo == "ppo":
        from swarmgym_agents.ppo_sb3 import PPOLearner

        return PPOLearner
    if algo == "mfq":
        from swarmgym_agents.mfq import MFQLearner

        return MFQLearner
    if algo == "mfac":
        from swarmgym_agents.mfac import MFACLearner

        return MFACLearner
    raise ValueError(f"unknown algorithm {algo!r}; choose from {list(ALGOS)}")


def args_class(algo: str) -> type:
    """The hyperparameter dataclass of ``algo`` (``--hyper`` names are its fields)."""
    if algo == "ppo":
        from swarmgym_agents.ppo_sb3 import PPOArgs

        return PPOArgs
    return learner_class(algo).args_cls


def learning_spec(env_id: str) -> LearningSpec:
    """The learning defaults ``env_id`` declares in its spec."""
    return spec(env_id).learning


def run_config(env_id: str, algo: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The env config a run uses: learning preset, then MF-Q / MF-AC's preset, then ``overrides``.

    Where an env's action is continuous and it has no discrete preset (consensus_v0), MF-Q / MF-AC
    discretise it themselves (:class:`swarmgym_agents.mean_field.ActionTable`); PPO always uses the
    env's own space.
    """
    env_spec = spec(env_id)
    merged = env_spec.preset(env_spec.learning.preset)
    if algo in ("mfq", "mfac"):
        merged.update(env_spec.preset(env_spec.learning.mean_field_preset))
    merged.update(overrides or {})
    return merged
