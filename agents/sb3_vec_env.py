"""SwarmSB3VecEnv: the N agents of B swarmgym copies as one Stable-Baselines3 ``VecEnv`` of N*B sub-envs.

Sub-env ``b * N + i`` is agent ``i`` of copy ``b``; one SB3 policy over all sub-envs is parameter sharing.
Observations, rewards and dones are reshaped views of the batched array env
(:class:`swarmgym.core.vector.SwarmVecEnv`), so there is no per-agent dict and no Python loop over
agents. What SuperSuit's ``pettingzoo_env_to_vec_env_v1`` + ``concat_vec_envs_v1`` route gets wrong
is done right here:

* ``infos[j]["TimeLimit.truncated"]`` is True when agent j's episode ended by the time limit (not by
  termination), so SB3 bootstraps the value of the last state instead of treating it as terminal;
* ``infos[j]["terminal_observation"]`` holds the last observation of a finished episode (the returned
  observation is already the first of the next episode);
* ``infos[j]["episode"] = {"r", "l", "t"}`` (Monitor style) on the step an episode ends, for SB3's logger;
* copy b is seeded ``seed + b`` (independent copies, each equal to a single env seeded ``seed + b``), and
  :meth:`seed` works, so ``PPO(..., seed=s)`` seeds the env;
* with a social ``preference`` (:mod:`swarmgym_agents.preferences`) the rewards the learner sees are
  transformed, while ``infos[j]["episode"]["r"]``, the env and its metrics keep the true, selfish rewards.

A copy's episode ends for all its agents at once (the vector env resets whole copies), so an agent
that terminates early inside a running copy is not reset: SB3 sees its episode end with the copy.
Only the info dicts of finished sub-envs are filled; the others are empty dicts.

The SuperSuit route (``supersuit.pettingzoo_env_to_vec_env_v1(swarmgym.make(...))`` then
``concat_vec_envs_v1(venv, n, num_cpus=0, base_class="stable_baselines3")``) also trains every env
(``tests/training/test_learning.py`` checks it), with these caveats: ``venv.reset(seed=...)`` and
``PPO(seed=...)`` raise ``AttributeError`` (seed with ``stable_baselines3.common.utils.set_random_seed``
instead); its copies are clones that cannot be reseeded one by one; ``TimeLimit.truncated`` is never set,
so time-limit ends (every swarmgym episode) are treated as terminal and value targets are biased; each
step goes through per-agent dicts.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvStepReturn

import swarmgym
from swarmgym_agents.preferences import RewardTransform


class SwarmSB3VecEnv(VecEnv):
    """N agents × B copies of ``env_id`` as an SB3 ``VecEnv`` with ``num_envs = B * N``.

    Args:
        env_id: a registered swarmgym env id.
        num_copies: B, the number of independent env copies.
        seed: base seed of the first reset (copy b gets ``seed + b``); None draws fresh entropy.
        max_cycles: episode length (None: the registry default).
        preference: the social preference the learner trains with (a dict such as
            ``{"kind": "prosocial", "alpha": 1.0}``, see :mod:`swarmgym_agents.preferences`); None: selfish.
        **config: config overrides of the env.

    Attributes:
        last_info: the vector env's info of the last ``reset``/``step`` (metrics (B,), agent arrays).
        finished_metrics: metric name -> list of the final values of episodes finished since the last
            :meth:`pop_finished_metrics` (read by the trainer's TensorBoard logger).
    """

    def __init__(
        self,
        env_id: str,
        num_copies: int = 1,
        seed: int | None = None,
        max_cycles: int | None = None,
        preference: dict[str, Any] | None = None,
        **config: Any,
    ):
        self.env_id = env_id
        self.venv = swarmgym.make_vec(env_id, num_envs=num_copies, max_cycles=max_cycles, **config)
        self.num_copies = self.venv.num_envs
        self.num_agents = self.venv.num_agents
        self.transform = RewardTransform(preference, self.num_copies, self.num_agents)
        self.render_mode = None
        self._base_seed = seed
        self._actions: np.ndarray | None = None
        self._start = time.time()
        self.last_info: dict[str, Any] = {}
        self.finished_metrics: dict[str, list[float]] = {}
        super().__init__(
            self.num_copies * self.num_agents, self.venv.observation_space, self.venv.action_space
        )

    # -- seeding -------------------------------------------------------------------------------------------
    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Seed the next reset: copy b gets ``seed + b``; returns each sub-env's copy seed."""
        if seed is None:
            seed = int(np.random.default_rng().integers(0, 2**31 - 1))
        self._base_seed = int(seed)
        return [self._base_seed + j // self.num_agents for j in range(self.num_envs)]

    # -- stepping ------------------------------------------------------------------------------------------
    def reset(self) -> np.ndarray:
        """Reset every copy (seeded by the last :meth:`seed`, once); (B * N, *obs_shape) observations."""
        observations, info = self.venv.reset(seed=self._base_seed)
        self._base_seed = None  # like SB3's VecEnvs: a seed applies to the next reset only
        self.transform.reset()
        self._reset_seeds()
        self._reset_options()
        self.last_info = info
        return self._flat(observations)

    def step_async(self, actions: np.ndarray) -> None:
        """Store the (B * N, ...) actions of all sub-envs."""
        self._actions = np.asarray(actions)

    def step_wait(self) -> VecEnvStepReturn:
        """Step every copy; finished copies are reset and their sub-envs get terminal infos."""
        space = self.action_space
        shape = (self.num_copies, self.num_agents) + tuple(getattr(space, "shape", ()) or ())
        actions = self._actions.reshape(shape)
        observations, rewards, terminated, truncated, info = self.venv.step(actions)
        self.last_info = info
        copy_done = info["done"]
        rewards = self.transform(rewards, copy_done)  # what the learner trains on; info keeps the true ones
        dones = np.repeat(copy_done, self.num_agents)
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if copy_done.any():
            now = round(time.time() - self._start, 6)
            time_limit = (truncated & ~terminated).reshape(-1)
            final = self._flat(info["final_observation"])
            returns = info["episode_return"].reshape(-1)
            lengths = np.repeat(info["episode_length"], self.num_agents)
            for j in np.flatnonzero(dones).tolist():
                infos[j] = {
                    "terminal_observation": final[j],
                    "TimeLimit.truncated": bool(time_limit[j]),
                    "episode": {"r": float(returns[j]), "l": int(lengths[j]), "t": now},
                }
            for name, value in info["final_metrics"].items():
                self.finished_metrics.setdefault(name, []).extend(value[copy_done].tolist())
        return self._flat(observations), rewards.reshape(-1).astype(np.float32), dones, infos

    def pop_finished_metrics(self) -> dict[str, list[float]]:
        """The final metrics of the episodes finished since the last call, and forget them."""
        finished, self.finished_metrics = self.finished_metrics, {}
        return finished

    def _flat(self, array: np.ndarray) -> np.ndarray:
        return array.reshape(self.num_envs, *array.shape[2:])

    # -- VecEnv plumbing -----------------------------------------------------------------------------------
    def close(self) -> None:
        """Nothing to release."""

    def get_images(self) -> Sequence[np.ndarray | None]:
        """No per-sub-env images (render copies with ``swarmgym.make(..., render_mode=...)``)."""
        return [None] * self.num_envs

    def _indices(self, indices: VecEnvIndices) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        if isinstance(indices, int):
            return [indices]
        return list(indices)

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """An attribute of the (shared) underlying env, once per requested sub-env."""
        target = self if attr_name == "render_mode" else self.venv
        return [getattr(target, attr_name)] * len(self._indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set an attribute of the shared underlying env (all sub-envs share it)."""
        setattr(self.venv, attr_name, value)

    def env_method(
        self, method_name: str, *method_args, indices: VecEnvIndices = None, **method_kwargs
    ) -> list[Any]:
        """Call a method of the shared underlying env once; its result is repeated per sub-env."""
        result = getattr(self.venv, method_name)(*method_args, **method_kwargs)
        return [result] * len(self._indices(indices))

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        """Sub-envs are never gym-wrapped (episode stats come from the adapter itself)."""
        return [False] * len(self._indices(indices))
