"""commons_v0: common-pool resource appropriation as a PettingZoo ParallelEnv (spec: ``CommonsModel``)."""

from swarmgym.core.parallel_env import env_constructors
from swarmgym.envs.commons.dynamics import CommonsModel
from swarmgym.registry import ENVS

__doc__ = CommonsModel.__doc__
parallel_env, raw_env, env = env_constructors(CommonsModel, ENVS["commons_v0"].max_cycles)

__all__ = ["parallel_env", "raw_env", "env"]
