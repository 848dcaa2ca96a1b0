"""The contract between a model's numpy core and the adapters (PettingZoo, batched arrays, SB3).

A model is its dynamics as functions of (state, actions, config, rng) over batch-first arrays. An env
folder subclasses :class:`SwarmModel` and fills in the hooks; it never imports pettingzoo or pygame.
Adapters only ever call these hooks, so every env gets the same dict API, batched API and trainers.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from swarmgym.core.rng import BatchRandom


@dataclasses.dataclass
class State:
    """Base of every model's state: a dataclass of arrays, each with a leading batch axis B.

    ``t`` (B,) int64 counts the steps taken in the current episode of each copy.
    """

    t: np.ndarray

    @property
    def batch(self) -> int:
        """The number of copies B."""
        return int(self.t.shape[0])

    def put(self, copies: np.ndarray, other: State) -> None:
        """Overwrite the given copies with the copies of ``other`` (same order), in place."""
        for field in dataclasses.fields(self):
            getattr(self, field.name)[copies] = getattr(other, field.name)

    def take(self, copies: np.ndarray | slice) -> State:
        """A new state holding only the given copies (arrays copied)."""
        return type(self)(**{f.name: getattr(self, f.name)[copies].copy() for f in dataclasses.fields(self)})


@dataclasses.dataclass
class Transition:
    """What one step returns besides the updated state: (B, N) rewards and terminations."""

    rewards: np.ndarray
    terminated: np.ndarray


class SwarmModel(ABC):
    """One collective-dynamics model over B copies × N agents.

    Subclasses set ``name``, the spaces in ``__init__``, and implement the hooks. Observations are
    (B, N, k, k, C) from :mod:`swarmgym.core.window`; rewards are (B, N) float32 computed for all
    agents at once; metrics are (B,) float64 arrays from the env's pure metric functions.
    """

    name: ClassVar[str]
    config_cls: ClassVar[type]
    render_fps: ClassVar[int] = 15
    observation_space: spaces.Box
    channels: tuple[str, ...]
    """Names of the observation's last-axis channels, in order (documented in the env docstring)."""
    action_space: spaces.Space
    state_space: spaces.Box

    def __init__(self, config: Any):
        self.config = config

    @property
    @abstractmethod
    def n_agents(self) -> int:
        """The fixed number of agents N in every copy."""

    @abstractmethod
    def reset(self, rng: BatchRandom) -> State:
        """A fresh state for ``rng.batch`` copies, copy b drawn from ``rng.generators[b]``."""

    @abstractmethod
    def step(self, state: State, actions: np.ndarray, rng: BatchRandom) -> Transition:
        """Advance every copy by one step in place; ``actions`` are (B, N, ...) and already valid."""

    @abstractmethod
    def observe(self, state: State) -> np.ndarray:
        """(B, N, k, k, C) egocentric observations of every agent."""

    @abstractmethod
    def metrics(self, state: State) -> dict[str, np.ndarray]:
        """Per-step emergence metrics, name -> (B,) float64, under stable keys."""

    @abstractmethod
    def global_state(self, state: State) -> np.ndarray:
        """(B, *state_space.shape) global state for centralised critics (PettingZoo ``state()``)."""

    def agent_info(self, state: State) -> dict[str, np.ndarray]:
        """Privileged per-agent arrays (B, N, ...) for reference agents, e.g. exact neighbour aggregates.

        Not part of the learning observation. Every env provides ``neighbour_mean_action`` (B, N, A)
        float32: the mean one-hot previous action of the other agents in the agent's view, the input of
        mean-field agents (Yang et al. 2018).
        """
        return {}

    def render(self, canvas: Any, state: State, copy: int, metrics: dict[str, float]) -> None:
        """Draw copy ``copy`` of ``state`` on a :class:`swarmgym.core.rendering.Canvas`."""
        raise NotImplementedError(f"{self.name} has no renderer")

    def advance(self, state: State, actions: np.ndarray, rng: BatchRandom) -> Transition:
        """Validate ``actions``, step every copy and count the step: what adapters call."""
        checked = validate_actions(actions, self.action_space, (state.batch, self.n_agents))
        transition = self.step(state, checked, rng)
        state.t += 1
        return transition


def validate_actions(actions: Any, space: spaces.Space, batch_shape: tuple[int, int]) -> np.ndarray:
    """Return ``actions`` as an array of shape batch_shape + space.shape, or raise ``ValueError``.

    Never clips: an action out of the space, of the wrong shape, or NaN is refused with the first
    offending (copy, agent) named. The result is a copy, so a model may keep it in its state.
    """
    if isinstance(space, spaces.Discrete):
        array = np.array(actions)
        if array.shape != batch_shape:
            raise ValueError(f"actions must have shape {batch_shape} for a Discrete space, got {array.shape}")
        if array.dtype.kind not in "iu":
            if array.dtype.kind != "f" or not np.all(array == np.round(array)):
                raise ValueError(f"Discrete actions must be integers, got dtype {array.dtype}")
            array = array.astype(np.int64)
        if array.size and (array.min() < space.start or array.max() >= space.start + space.n):
            b, i = np.argwhere((array < space.start) | (array >= space.start + space.n))[0]
            raise ValueError(
                f"action {array[b, i]!r} of agent_{i} (copy {b}) is outside Discrete({space.n}) "
                f"[{space.start}, {space.start + space.n - 1}]"
            )
        return array
    if isinstance(space, spaces.Box):
        array = np.array(actions, dtype=space.dtype)
        expected = batch_shape + space.shape
        if array.shape != expected:
            if array.shape == batch_shape and space.shape == (1,):
                array = array[..., None]
            else:
                raise ValueError(f"actions must have shape {expected}, got {array.shape}")
        # One pass in the common case: comparisons are False for NaN, and finite bounds exclude inf.
        inside = (array >= space.low) & (array <= space.high)
        if not (np.isfinite(space.low).all() and np.isfinite(space.high).all()):
            inside &= np.isfinite(array)
        if not inside.all():
            b, i = np.argwhere(~inside.reshape(*batch_shape, -1).all(axis=2))[0]
            raise ValueError(
                f"action {array[b, i].tolist()} of agent_{i} (copy {b}) is NaN/inf or outside the Box "
                f"[{space.low.tolist()}, {space.high.tolist()}]"
            )
        return array
    raise TypeError(f"unsupported action space {space!r}")
