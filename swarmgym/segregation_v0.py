"""segregation_v0: Schelling segregation as a PettingZoo ParallelEnv (spec: ``SegregationModel``)."""

from swarmgym.core.parallel_env import env_constructors
from swarmgym.envs.segregation import SPEC

__doc__ = SPEC.model.__doc__
parallel_env, raw_env, env = env_constructors(SPEC.model, SPEC.max_cycles)

__all__ = ["parallel_env", "raw_env", "env"]
