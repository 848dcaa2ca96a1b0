"""consensus_v0: Kuramoto synchronisation and opinion consensus as a PettingZoo ParallelEnv.

See ``ConsensusModel`` for the spec.
"""

from swarmgym.core.parallel_env import env_constructors
from swarmgym.envs.consensus import SPEC

__doc__ = SPEC.model.__doc__
parallel_env, raw_env, env = env_constructors(SPEC.model, SPEC.max_cycles)

__all__ = ["parallel_env", "raw_env", "env"]
