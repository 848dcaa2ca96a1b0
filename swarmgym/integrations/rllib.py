"""RLlib (Ray 2.60) env adapters: the batched env as a gymnasium ``VectorEnv``; a fixed PettingZoo wrapper.

* :class:`SwarmAgentVectorEnv` feeds RLlib from the batched array env: every agent of B copies is one
  sub-env of a gymnasium ``VectorEnv`` (RLlib's ``gym_env_vectorize_mode="vector_entry_point"``), so one
  RLlib module acts for all agents (parameter sharing, as the native PPO) and an env step is one numpy
  call for B × N agents, not a Python loop over per-agent dicts.
* :class:`SwarmParallelPettingZooEnv` is RLlib's PettingZoo wrapper with ``render()`` fixed, for RLlib's
  own ``MultiAgentEnv`` route (one module per agent id, or one shared module mapped to all).

Episodes: swarmgym copies never terminate early and all truncate at ``max_cycles`` together, which the
vector env relies on to give RLlib gymnasium's next-step auto-reset exactly (the final observation on
the last step, the reset observation on the next call).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv

import swarmgym

RewardFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(B, N) rewards and (B,) done flags -> the (B, N) rewards the learner sees (e.g. a social preference's
``swarmgym_agents.preferences.RewardTransform``)."""


class SwarmParallelPettingZooEnv(ParallelPettingZooEnv):
    """RLlib's ``ParallelPettingZooEnv`` whose ``render()`` works.

    RLlib 2.60 calls ``self.par_env.render(self.render_mode)``, but a PettingZoo ``ParallelEnv`` takes
    its render mode at construction and ``render()`` takes no argument: every call raised
    ``TypeError``. Agent ids keep the env's order (RLlib's wrapper builds them from a set).
    """

    def __init__(self, env: Any):
        super().__init__(env)
        self.render_mode = getattr(env, "render_mode", None)
        self.agents = list(env.agents)
        self.possible_agents = list(env.possible_agents)

    def render(self) -> Any:
        """The wrapped env's frame (an RGB array for ``render_mode="rgb_array"``)."""
        return self.par_env.render()


def make_multi_agent_env(env_config: dict[str, Any]) -> SwarmParallelPettingZooEnv:
    """RLlib env creator for the multi-agent route: ``env_config`` holds env_id, config, max_cycles."""
    env = swarmgym.make(
        env_config["env_id"],
        max_cycles=env_config.get("max_cycles"),
        render_mode=env_config.get("render_mode"),
        **env_config.get("config", {}),
    )
    return SwarmParallelPettingZooEnv(env)


class SwarmAgentVectorEnv(gym.vector.VectorEnv):
    """B copies × N agents of a swarmgym env as a gymnasium ``VectorEnv`` of B * N sub-envs.

    Sub-env ``b * N + i`` is agent i of copy b. Auto-reset is gymnasium's ``NEXT_STEP`` mode, the one
    RLlib's ``SingleAgentEnvRunner`` expects: the step that ends an episode returns its last
    observation, and the next ``step`` returns the first observation of the new episode (reward 0, the
    actions ignored) without advancing the env. Per-step infos are empty (the metrics are skipped for
    speed); the final metrics of finished copies and the agents' mean (true) episode return are
    collected for :meth:`pop_finished`.

    Args:
        env_id: a registered swarmgym env id.
        num_copies: B.
        max_cycles: episode length (None: the registry default).
        config: env config overrides.
        reward_transform: optional ``f(rewards (B, N), done (B,)) -> rewards``: what the learner sees
            (a social preference); the episode returns and metrics stay the env's own.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        env_id: str,
        num_copies: int = 1,
        max_cycles: int | None = None,
        config: dict | None = None,
        reward_transform: RewardFunction | None = None,
    ):
        self.vec = swarmgym.make_vec(
            env_id, num_envs=num_copies, max_cycles=max_cycles, with_info=False, **(config or {})
        )
        self.env_id = env_id
        self.num_copies = self.vec.num_envs
        self.num_agents = self.vec.num_agents
        self.num_envs = self.num_copies * self.num_agents
        self.single_observation_space = self.vec.observation_space
        self.single_action_space = self.vec.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.render_mode = None
        self.reward_transform = reward_transform
        self._pending: np.ndarray | None = None
        self._finished: dict[str, list[float]] = {}

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        """Reset every copy (copy b seeded ``seed + b``)."""
        observations, _ = self.vec.reset(seed=seed)
        self._pending = None
        if hasattr(self.reward_transform, "reset"):
            self.reward_transform.reset()
        return self._flat(observations), {}

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
        """Step all copies with the (B * N, ...) actions, or hand out the pending reset observations."""
        zeros = np.zeros(self.num_envs, dtype=bool)
        if self._pending is not None:
            observations, self._pending = self._pending, None
            return observations, np.zeros(self.num_envs, dtype=np.float32), zeros, zeros.copy(), {}
        space = self.single_action_space
        actions = np.asarray(actions).reshape(self.num_copies, self.num_agents, *(space.shape or ()))
        if isinstance(space, gym.spaces.Box):
            actions = actions.astype(space.dtype, copy=False)
        observations, rewards, terminated, truncated, info = self.vec.step(actions)
        done = info["done"]
        if self.reward_transform is not None:
            rewards = self.reward_transform(rewards, done)
        if done.any():
            if not done.all():
                raise RuntimeError(
                    f"{self.env_id}: copies {np.flatnonzero(done).tolist()} ended while others run; "
                    "SwarmAgentVectorEnv needs episodes that end together (swarmgym envs truncate at "
                    "max_cycles and never terminate early)"
                )
            self._pending = self._flat(observations)
            observations = info["final_observation"]
            for name, value in info["final_metrics"].items():
                self._finished.setdefault(name, []).extend(np.asarray(value, dtype=float).tolist())
            self._finished.setdefault("_episode_return", []).append(float(info["episode_return"].mean()))
        return (
            self._flat(observations),
            np.asarray(rewards, dtype=np.float32).reshape(-1),
            terminated.reshape(-1),
            truncated.reshape(-1),
            {},
        )

    def pop_finished(self) -> dict[str, list[float]]:
        """Final metrics (and ``_episode_return``) of the copies finished since the last call."""
        finished, self._finished = self._finished, {}
        return finished

    def _flat(self, array: np.ndarray) -> np.ndarray:
        return array.reshape(self.num_envs, *array.shape[2:])


def make_vector_env(
    env_config: dict[str, Any], reward_transform: RewardFunction | None = None
) -> SwarmAgentVectorEnv:
    """RLlib vector-entry-point creator: ``num_envs`` sub-envs (whole copies of N agents).

    ``env_config`` holds ``env_id``, ``config`` (overrides), ``max_cycles`` and ``num_envs`` (RLlib
    passes ``num_envs_per_env_runner`` there; it must be a multiple of the env's N agents).
    """
    model = swarmgym.make_model(env_config["env_id"], **env_config.get("config", {}))
    num_envs = int(env_config.get("num_envs", model.n_agents))
    if num_envs % model.n_agents:
        raise ValueError(f"num_envs_per_env_runner={num_envs} is not a multiple of N={model.n_agents} agents")
    return SwarmAgentVectorEnv(
        env_config["env_id"],
        num_envs // model.n_agents,
        env_config.get("max_cycles"),
        env_config.get("config"),
        reward_transform,
    )
