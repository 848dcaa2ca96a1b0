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

from swarmgym.core.actions import validate_actions
from swarmgym.core.rng import BatchRandom

__all__ = ["State", "SwarmModel", "Transition", "validate_actions"]


@dataclasses.dataclass
class State:
    """Base of every model's state: a dataclass of numpy arrays, each with a leading batch axis B.

    Every field, including those a subclass adds, is an ``np.ndarray`` whose first axis is the copy
    index b (shape (B, ...)): :meth:`put` and :meth:`take` slice every field on that axis, which is how
    the batched env resets finished copies. Per-copy scalars are (B,) arrays, never Python numbers.
    Example: ``positions: np.ndarray  # (B, N, 2) float64``.

    ``t`` (B,) int64 counts the steps taken in the current episode of each copy: ``reset`` sets it to
    zeros, :meth:`SwarmModel.advance` adds one, and nothing else touches it.
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
    """What one step returns besides the updated state: (B, N) rewards and terminations.

    ``rewards`` (B, N) float32 for every agent. ``terminated`` (B, N) bool: True for an agent that has
    terminated by the end of this step; once True it stays True until the copy is reset (the model
    keeps the flag in its state). All False when the model never terminates agents.
    """

    rewards: np.ndarray
    terminated: np.ndarray


class SwarmModel(ABC):
    """One collective-dynamics model over B copies × N agents: the contract every env folder fills in.

    A model is pure numpy over batch-first arrays; the adapters (``SwarmParallelEnv``, ``SwarmVecEnv``,
    the SB3 VecEnv) call only the hooks below, never a particular model. ``swarmgym.utils.check_env``
    checks every requirement listed here and names the one that fails.

    **Required** (one-line examples from ``segregation_v0``):

    - ``name``: the module id ``<model>_v<version>``; ``swarmgym/<name>.py`` holds the PettingZoo
      constructors and the registry id equals it. ``name = "segregation_v0"``
    - ``config_cls``: a dataclass (frozen, validating in ``__post_init__``) with a
      ``view_size`` field (k, the side of the egocentric window). ``config_cls = SegregationConfig``
    - in ``__init__`` (after ``super().__init__(config)``): ``observation_space`` a Box (k, k, C),
      ``channels`` (C names), ``action_space`` a ``Discrete`` or ``Box`` shared by every agent, and
      ``state_space`` a Box. ``self.observation_space = spaces.Box(0, 1, (k, k, 3), np.uint8)``
    - :attr:`n_agents`, :meth:`reset`, :meth:`step`, :meth:`observe`, :meth:`metrics`,
      :meth:`global_state` (abstract).
    - :meth:`agent_info` with at least ``neighbour_mean_action`` (B, N, A) float32 (the base returns
      ``{}``, which the checker refuses).
    - :meth:`render` (the base raises ``NotImplementedError``; ``render_mode`` needs it).

    **Optional**:

    - ``render_fps`` (default 15): frames per second of ``human`` rendering and saved videos.
      ``render_fps = 10``
    - extra :meth:`agent_info` keys for reference agents. ``{"same_neighbours": same, ...}``
    - per-agent termination through :attr:`Transition.terminated` (no shipped env uses it).
      ``Transition(rewards, terminated=state.energy <= 0)``

    **Invariants** the adapters rely on:

    - every :class:`State` field has the leading batch axis B;
    - :meth:`step` never changes ``state.t`` (:meth:`advance` counts the step);
    - copy b draws only from ``rng.generators[b]``, so copy b of a batch seeded ``seed`` is the single
      env seeded ``seed + b`` and a fixed seed gives the same trajectory every time;
    - observations stay in ``observation_space``, rewards, observations and metrics are finite;
    - metric keys are the same at every step; ``terminated`` is sticky, and the model ignores the
      actions of terminated agents (the dict adapter fills them in, the batched one passes the caller's).
    """

    name: ClassVar[str]
    """The module id ``<model>_v<version>``, also the registry id. ``name = "segregation_v0"``"""
    config_cls: ClassVar[type]
    """Frozen dataclass of the config, with a ``view_size`` field. ``config_cls = SegregationConfig``"""
    render_fps: ClassVar[int] = 15
    """Optional: frames per second of rendering. ``render_fps = 10``"""
    observation_space: spaces.Box
    """Required: (k, k, C) Box, k = ``config.view_size``. ``spaces.Box(0, 1, (5, 5, 3), np.uint8)``"""
    channels: tuple[str, ...]
    """Names of the observation's last-axis channels, in order (documented in the env docstring)."""
    action_space: spaces.Space
    """Required: one ``Discrete`` or ``Box`` shared by every agent. ``spaces.Discrete(6)``"""
    state_space: spaces.Box
    """Required: Box of :meth:`global_state` per copy. ``spaces.Box(0, 2, (L, L), np.uint8)``"""

    def __init__(self, config: Any):
        self.config = config

    @property
    @abstractmethod
    def n_agents(self) -> int:
        """Required: the fixed number of agents N in every copy.

        Example: ``return self._n  # computed from the config in __init__``
        """

    @abstractmethod
    def reset(self, rng: BatchRandom) -> State:
        """Required: a fresh state for ``rng.batch`` copies, copy b drawn from ``rng.generators[b]`` only.

        Every field has the leading axis B = ``rng.batch`` and ``t`` is ``np.zeros(B, np.int64)``.
        Example: ``return MyState(t=np.zeros(rng.batch, np.int64), x=rng.uniform(0, L, (n, 2)))``
        """

    @abstractmethod
    def step(self, state: State, actions: np.ndarray, rng: BatchRandom) -> Transition:
        """Required: advance every copy by one step in place and return (B, N) rewards and terminations.

        ``actions`` are (B, N, ...) and already valid (:meth:`advance` checks them). Must not change
        ``state.t``: :meth:`advance` counts the step, so observations and metrics stay aligned with it.
        Example: ``state.x += actions; return Transition(rewards, np.zeros((B, N), bool))``
        """

    @abstractmethod
    def observe(self, state: State) -> np.ndarray:
        """Required: (B, N, k, k, C) egocentric observations of every agent, in ``observation_space``.

        Example: ``return window.gather(grid, positions)  # swarmgym.core.window``
        """

    @abstractmethod
    def metrics(self, state: State) -> dict[str, np.ndarray]:
        """Required: per-step emergence metrics, name -> (B,) float64, under the same keys at every step.

        Example: ``return {"segregation": similar_fraction(state)}``
        """

    @abstractmethod
    def global_state(self, state: State) -> np.ndarray:
        """Required: (B, *state_space.shape) global state for centralised critics (PettingZoo ``state()``).

        Example: ``return state.grid.copy()``
        """

    def agent_info(self, state: State) -> dict[str, np.ndarray]:
        """Required: privileged per-agent arrays (B, N, ...) for reference agents, not the observation.

        Must hold ``neighbour_mean_action`` (B, N, A) float32: the mean previous action (one-hot for a
        ``Discrete(A)`` space, the action itself for a ``Box`` of A values) of the other agents in the
        agent's view, the input of mean-field agents (Yang et al. 2018). Other keys are optional.
        Example: ``return {"neighbour_mean_action": mean_one_hot.astype(np.float32)}``
        """
        return {}

    def render(self, canvas: Any, state: State, copy: int, metrics: dict[str, float]) -> None:
        """Required: draw copy ``copy`` of ``state`` on a :class:`swarmgym.core.rendering.Canvas`.

        Example: ``canvas.cells(colours[state.grid[copy]]); canvas.caption(f"t={state.t[copy]}")``
        """
        raise NotImplementedError(f"{self.name} has no renderer")

    def advance(self, state: State, actions: np.ndarray, rng: BatchRandom) -> Transition:
        """Validate ``actions``, step every copy and count the step: what adapters call (not a hook)."""
        checked = validate_actions(actions, self.action_space, (state.batch, self.n_agents))
        transition = self.step(state, checked, rng)
        state.t += 1
        return transition

