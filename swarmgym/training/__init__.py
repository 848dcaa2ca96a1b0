"""Training: PPO / MF-Q / MF-AC on any env into a run folder, with checkpoints, resume and evaluation.

:func:`train` is the entry point (``swarmgym train`` parses its arguments in :mod:`swarmgym.cli`);
:mod:`~swarmgym.training.learners` names the learners and the configs they train on,
:mod:`~swarmgym.training.runs` the run folder.
"""

from swarmgym.training.learners import ALGOS, learner_class, learning_spec, run_config
from swarmgym.training.runs import agent_config, config_overrides, read_run
from swarmgym.training.trainer import (
    EVAL_SEED_BASE,
    TrainingInterrupted,
    final_evaluation,
    train,
)

__all__ = [
    "ALGOS",
    "EVAL_SEED_BASE",
    "agent_config",
    "config_overrides",
    "final_evaluation",
    "learner_class",
    "learning_spec",
    "read_run",
    "run_config",
    "train",
    "TrainingInterrupted",
]
