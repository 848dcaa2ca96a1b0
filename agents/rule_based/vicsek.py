"""Vicsek's alignment rule for ``flocking_v0``: exact (privileged aggregates) and local (observation only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from swarmgym_agents.base import Policy, RuleBasedAgent


def action_geometry(model: Any) -> dict[str, Any]:
    """``turn_angles`` (None for the Box action) and ``max_turn`` of a ``flocking_v0`` model."""
    discrete = model.config.action_type == "discrete"
    return {"turn_angles": model.turn_angles if discrete else None, "max_turn": model.config.max_turn}


def turn_to_action(turn: np.ndarray, turn_angles: np.ndarray | None, max_turn: float) -> np.ndarray:
    """Map desired turns (B, N) in [-pi, pi] to env actions.

    Box: (B, N, 1) float32 clipped to [-max_turn, max_turn]. Discrete (``turn_angles`` given): the
    index of the nearest allowed turn angle.
    """
    if turn_angles is None:
        return np.clip(turn, -max_turn, max_turn).astype(np.float32)[..., None]
    gap = np.abs(turn[..., None] - turn_angles)
    return np.argmin(gap, axis=-1)


def wrap(angle: np.ndarray) -> np.ndarray:
    """Angles mapped to [-pi, pi] (pi itself kept, a legal Box action)."""
    wrapped = (angle + np.pi) % (2 * np.pi) - np.pi
    return np.where((wrapped == -np.pi) & (angle > 0), np.pi, wrapped)


class VicsekPolicy(Policy):
    """Vicsek et al. (1995): head along the mean unit heading of every agent within r, itself included.

    Reads ``info["agent"]["neighbour_heading_sum"]`` (B, N, 2) and ``heading`` (B, N), the env's exact
    cell-list aggregates: target = atan2(sum sin, sum cos); the action is the turn target - heading
    (the env then adds its noise U[-eta/2, eta/2]). This reproduces the Vicsek model exactly when
    ``max_turn = pi`` and the action is continuous.

    Args:
        turn_angles: the env's discrete turn angles (``model.turn_angles``), or None for the Box action.
        max_turn: the env's ``max_turn``.
    """

    def __init__(self, turn_angles: np.ndarray | None = None, max_turn: float = np.pi):
        self.turn_angles = turn_angles
        self.max_turn = max_turn

    @classmethod
    def for_model(cls, model: Any) -> VicsekPolicy:
        """The policy matching a ``flocking_v0`` model's action space."""
        return cls(**action_geometry(model))

    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """(B, N, 1) turns (Box) or (B, N) turn indices (Discrete)."""
        agent = info["agent"]
        total = agent["neighbour_heading_sum"]
        target = np.arctan2(total[..., 1], total[..., 0])
        return turn_to_action(wrap(target - agent["heading"]), self.turn_angles, self.max_turn)


class VicsekLocalPolicy(Policy):
    """The Vicsek rule computed from the agent's own k×k observation only.

    Sums count × (mean cos, mean sin) of the relative headings over the window cells whose centre lies
    within ``radius`` of the agent, adds the agent itself (relative heading 0: (1, 0)), and turns by the
    angle of that sum. The relative-heading channels make this the same in rotated and world-aligned
    views. It differs from the exact rule only by the cell discretisation of the disc of radius r.

    Args:
        channels: the env's channel names (``model.channels``).
        cell_size: the env's ``cell_size``.
        radius: the interaction radius to emulate (the env's ``radius``).
        turn_angles, max_turn: as for :class:`VicsekPolicy`.
    """

    def __init__(
        self,
        channels: Sequence[str],
        cell_size: float,
        radius: float,
        turn_angles: np.ndarray | None = None,
        max_turn: float = np.pi,
    ):
        self.index = [channels.index(name) for name in ("count", "cos", "sin")]
        self.cell_size = cell_size
        self.radius = radius
        self.turn_angles = turn_angles
        self.max_turn = max_turn

    @classmethod
    def for_model(cls, model: Any) -> VicsekLocalPolicy:
        """The policy matching a ``flocking_v0`` model's channels, cells, radius and action space."""
        cfg = model.config
        return cls(model.channels, cfg.cell_size, cfg.radius, **action_geometry(model))

    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """(B, N, 1) turns (Box) or (B, N) turn indices (Discrete), from the observation alone."""
        k = observations.shape[2]
        centre = (np.arange(k) - k // 2) * self.cell_size
        inside = (centre[:, None] ** 2 + centre[None, :] ** 2) < self.radius**2
        count, cos, sin = (observations[:, :, inside][..., c].astype(np.float64) for c in self.index)
        total_cos = 1.0 + (count * cos).sum(axis=-1)
        total_sin = (count * sin).sum(axis=-1)
        return turn_to_action(np.arctan2(total_sin, total_cos), self.turn_angles, self.max_turn)


AGENTS = (
    RuleBasedAgent(
        "vicsek", "flocking_v0", lambda model, seed: VicsekPolicy.for_model(model), reference=True
    ),
    RuleBasedAgent("vicsek_local", "flocking_v0", lambda model, seed: VicsekLocalPolicy.for_model(model)),
)
