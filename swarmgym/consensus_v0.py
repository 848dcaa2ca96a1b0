"""consensus_v0: Kuramoto synchronisation and opinion consensus as a PettingZoo ParallelEnv.

See ``ConsensusModel`` for the spec.
"""

from swarmgym.core.parallel_env import env_constructors
from swarmgym.envs.consensus.dynamics import ConsensusModel
from swarmgym.registry import ENVS

__doc__ = ConsensusModel.__doc__
parallel_env, raw_env, env = env_constructors(ConsensusModel, ENVS["consensus_v0"].max_cycles)

__all__ = ["parallel_env", "raw_env", "env"]
