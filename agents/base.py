"""The Policy interface: batch-aware ``act(observations, info) -> actions`` on arrays.

Observations are (B, N, k, k, C); ``info["agent"]`` holds the env's privileged per-agent arrays
(B, N, ...) that reference agents may use (exact neighbour aggregates), ``info["metrics"]`` the (B,)
metrics. Random, rule-based and learned agents all implement it, so they are interchangeable in the
batched env, the PettingZoo dict env (:func:`rollout_parallel`), evaluation and the CLI.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces


class Policy(ABC):
    """Maps a batch of observations to a batch of actions, (B, N, ...) -> (B, N, ...)."""

    @abstractmethod
    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """Actions for every agent of every copy."""

    def reset(self, seed: int | None = None) -> None:
        """Reseed any randomness the policy uses (default: none)."""
        return None


Factory = Callable[[Any, "int | None"], Policy]
"""Builds a policy for a model (its config, spaces and channels) and a seed: ``(model, seed) -> Policy``."""


@dataclass(frozen=True)
class RuleBasedAgent:
    """A rule-based agent as its module declares it (``AGENTS = (...)``); the registry collects them.

    Envs never know who plays them: the agent names the env it plays, and whether it is that env's
    reference agent (the classic model's own rule: demo, normalised scores). Exactly one per env is.
    """

    name: str
    """The name users pass (``--agent NAME``), unique within its env."""
    env_id: str
    """The env it plays, e.g. ``"flocking_v0"``."""
    factory: Factory
    """``(model, seed) -> Policy``."""
    reference: bool = False
    """True for the env's reference agent."""


class SeededPolicy(Policy):
    """A policy that draws from its own ``numpy`` generator, restarted from ``seed`` by :meth:`reset`."""

    def __init__(self, seed: int | None = None):
        self.rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> None:
        """Restart the generator from ``seed``."""
        self.rng = np.random.default_rng(seed)


class RandomPolicy(SeededPolicy):
    """Uniformly random actions from the action space, drawn from its own seeded generator."""

    def __init__(self, action_space: spaces.Space, seed: int | None = None):
        super().__init__(seed)
        self.action_space = action_space

    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """(B, N) integers for a Discrete space, (B, N, *shape) floats for a Box."""
        batch_shape = observations.shape[:2]
        space = self.action_space
        if isinstance(space, spaces.Discrete):
            return self.rng.integers(space.start, space.start + space.n, size=batch_shape)
        if isinstance(space, spaces.Box):
            return self.rng.uniform(space.low, space.high, size=(*batch_shape, *space.shape)).astype(
                space.dtype
            )
        raise TypeError(f"RandomPolicy does not support {space!r}")


def rollout_parallel(
    env: Any,
    policy: Policy,
    seed: int | None = None,
    on_step: Callable[[dict[str, float]], None] | None = None,
) -> list[dict[str, float]]:
    """Run one episode of a swarmgym PettingZoo ``ParallelEnv`` with ``policy``; return the metrics per step.

    Observations are stacked from the dicts into (1, N, ...) arrays; privileged per-agent arrays come
    from ``env.agent_info()``. ``on_step`` is called with each step's metrics (for progress or frames).
    """
    observations, infos = env.reset(seed=seed)
    first = env.agents[0]
    history = [infos[first]]
    while env.agents:
        # The policy sees every agent (a fixed N); only live agents act (terminated ones have left).
        live = list(env.agents)
        blank = np.zeros_like(observations[live[0]])
        stacked = np.stack([observations.get(agent, blank) for agent in env.possible_agents])
        info = {"agent": {k: v[None] for k, v in env.agent_info().items()}, "metrics": {}}
        actions = dict(zip(env.possible_agents, policy.act(stacked[None], info)[0]))
        observations, _, _, _, infos = env.step({agent: actions[agent] for agent in live})
        history.append(next(iter(infos.values()), history[-1]))
        if on_step is not None:
            on_step(history[-1])
    return history
