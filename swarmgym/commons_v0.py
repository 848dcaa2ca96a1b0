"""commons_v0: common-pool resource appropriation as a PettingZoo ParallelEnv (spec: ``CommonsModel``)."""

from swarmgym.core.parallel_env import env_constructors
from swarmgym.envs.commons import SPEC

__doc__ = SPEC.model.__doc__
parallel_env, raw_env, env = env_constructors(SPEC.model, SPEC.max_cycles)

__all__ = ["parallel_env", "raw_env", "env"]
