"""SwarmVecEnv: B copies × N agents stepped as arrays, with auto-reset per copy.

Arrays in, arrays out: observations (B, N, k, k, C), rewards (B, N), terminations and truncations
(B, N). A copy whose episode ends is reset inside the same ``step`` call; the observation returned
for it is the first of the new episode, and the last one of the old episode is kept in
``info["final_observation"]`` (rows valid where ``info["done"]``), with ``info["final_metrics"]``,
``info["final_agent"]`` (agent arrays of the last state, e.g. the mean-field input) and
``info["episode_return"]`` / ``info["episode_length"]`` likewise. Copy b is seeded ``seed + b``,
so it reproduces a single env seeded ``seed + b`` exactly.

Per-agent termination (a model may terminate single agents; no shipped env does): ``terminated`` is
the model's (B, N) flag as is, sticky until the copy resets, and a copy resets only once every agent
in it is terminated or truncated. Until then the arrays keep their fixed N: terminated agents still
take a row of ``actions`` (any valid value; the model ignores it) and get observations and rewards,
which consumers mask with ``terminated``. ``episode_length`` counts the copy's steps, not an agent's.

With ``with_info=False`` the per-step ``info["metrics"]`` and ``info["agent"]`` are left empty (the
fast path for throughput); ``final_metrics`` are still given for the copies that finish.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from swarmgym.core.compiled import kernel
from swarmgym.core.model import State, SwarmModel
from swarmgym.core.parallel_env import check_count, check_flag
from swarmgym.core.rng import BatchRandom, check_seed


class SwarmVecEnv:
    """A batched array env of ``num_envs`` independent copies of one model."""

    def __init__(self, model: SwarmModel, num_envs: int, max_cycles: int, with_info: bool = True):
        self.model = model
        self.num_envs = check_count("num_envs", num_envs)
        self.num_agents = model.n_agents
        self.max_cycles = check_count("max_cycles", max_cycles)
        self.with_info = check_flag("with_info", with_info)
        self.observation_space = model.observation_space
        self.action_space = model.action_space
        self.core_state: State | None = None
        """The model's batch-first state of all B copies (``None`` before ``reset``), as in
        :attr:`SwarmParallelEnv.core_state`; not PettingZoo's ``state()`` (the global array)."""
        self._rng: BatchRandom | None = None
        self._returns = np.zeros((self.num_envs, self.num_agents))

    def reset(self, seed: int | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Reset every copy; copy b is seeded ``seed + b`` (fresh entropy when ``seed`` is None).

        ``seed`` is a non-negative integer with ``seed + num_envs - 1 < 2**63`` (else ``ValueError``);
        ``seed + b`` is computed in Python ints, so a numpy integer seed never wraps.
        """
        seed = check_seed(seed, self.num_envs)
        if seed is not None or self._rng is None:
            seeds = [None] * self.num_envs if seed is None else [seed + b for b in range(self.num_envs)]
            self._rng = BatchRandom.from_seeds(seeds)
        self.core_state = self.model.reset(self._rng)
        self._returns[:] = 0.0
        return self.model.observe(self.core_state), self._info()

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step all copies with (B, N, ...) actions; finished copies are reset in place.

        ``actions`` is an array (or nested lists) of shape (B, N, *action_space.shape): anything else
        is a ``TypeError``, a wrong shape or an invalid action a ``ValueError`` naming the copy and agent.
        """
        if self.core_state is None:
            raise RuntimeError("step() called before reset(); call reset() first")
        transition = self.model.advance(self.core_state, actions, self._rng)
        observations = self.model.observe(self.core_state)
        terminated = transition.terminated
        truncated = np.empty(terminated.shape, dtype=bool)
        done = np.empty(self.num_envs, dtype=bool)
        any_done = _close_step(
            self.core_state.t, self.max_cycles, transition.rewards, terminated, self._returns, truncated, done
        )
        info = self._info()
        info["done"] = done
        if any_done:
            copies = np.flatnonzero(done)
            info["final_observation"] = observations.copy()
            final = info["metrics"] if self.with_info else self.model.metrics(self.core_state)
            info["final_metrics"] = {name: value.copy() for name, value in final.items()}
            info["final_agent"] = {name: value.copy() for name, value in info["agent"].items()}
            info["episode_return"] = self._returns.copy()
            info["episode_length"] = self.core_state.t.copy()
            self.core_state.put(copies, self.model.reset(self._rng.subset(copies)))
            self._returns[copies] = 0.0
            restarted = self.core_state.take(copies)
            observations[copies] = self.model.observe(restarted)
            for group, fresh in (("metrics", self.model.metrics), ("agent", self.model.agent_info)):
                for name, value in (fresh(restarted) if self.with_info else {}).items():
                    info[group][name] = info[group][name].copy()
                    info[group][name][copies] = value
        return observations, transition.rewards, terminated, truncated, info

    def _info(self) -> dict[str, Any]:
        if not self.with_info:
            return {"metrics": {}, "agent": {}}
        state = self.core_state
        return {"metrics": self.model.metrics(state), "agent": self.model.agent_info(state)}


@kernel
def _close_step(t, max_cycles, rewards, terminated, returns, truncated, done):
    """A step's bookkeeping in one pass; returns whether any copy is done.

    returns += rewards; truncated where t >= max_cycles; a copy is done when each of its agents is
    terminated or truncated.
    """
    any_done = False
    for b in range(t.shape[0]):
        ended = t[b] >= max_cycles
        finished = True
        for i in range(rewards.shape[1]):
            returns[b, i] += rewards[b, i]
            truncated[b, i] = ended
            finished = finished and (ended or terminated[b, i])
        done[b] = finished
        any_done = any_done or finished
    return any_done
