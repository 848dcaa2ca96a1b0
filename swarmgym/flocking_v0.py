"""flocking_v0: Vicsek/Couzin flocking as a PettingZoo ParallelEnv (see ``FlockingModel`` for the spec)."""

from swarmgym.core.parallel_env import env_constructors
from swarmgym.envs.flocking.dynamics import FlockingModel
from swarmgym.registry import ENVS

__doc__ = FlockingModel.__doc__
parallel_env, raw_env, env = env_constructors(FlockingModel, ENVS["flocking_v0"].max_cycles)

__all__ = ["parallel_env", "raw_env", "env"]
