"""flocking_v0: Vicsek/Couzin flocking as a PettingZoo ParallelEnv (see ``FlockingModel`` for the spec)."""

from swarmgym.core.parallel_env import env_constructors
from swarmgym.envs.flocking import SPEC

__doc__ = SPEC.model.__doc__
parallel_env, raw_env, env = env_constructors(SPEC.model, SPEC.max_cycles)

__all__ = ["parallel_env", "raw_env", "env"]
