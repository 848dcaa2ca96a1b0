"""segregation_v0: Schelling segregation as a PettingZoo ParallelEnv (spec: ``SegregationModel``)."""

from swarmgym.core.parallel_env import env_constructors
from swarmgym.envs.segregation.dynamics import SegregationModel
from swarmgym.registry import ENVS

__doc__ = SegregationModel.__doc__
parallel_env, raw_env, env = env_constructors(SegregationModel, ENVS["segregation_v0"].max_cycles)

__all__ = ["parallel_env", "raw_env", "env"]
