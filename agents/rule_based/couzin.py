"""Couzin et al. (2002) zone rules for ``flocking_v0``: repulsion first, else orientation and attraction."""

from __future__ import annotations

from typing import Any

import numpy as np

from swarmgym_agents.base import Policy, RuleBasedAgent
from swarmgym_agents.rule_based.vicsek import action_geometry, turn_to_action, wrap


class CouzinPolicy(Policy):
    """Repel, align, attract (Couzin, Krause, James, Ruxton, Franks 2002), with blind angle and turn limit.

    Reads the env's zone aggregates in ``info["agent"]`` (already restricted to the agent's field of
    view: the env's ``blind_angle``). With anyone in the repulsion zone, the desired direction is
    away from them, -sum of unit vectors towards them (absolute priority). Otherwise, orientation
    d_o = own heading + sum of the orientation-zone neighbours' headings and attraction d_a = sum of
    unit vectors towards the attraction-zone neighbours; both non-empty → the mean of their unit
    vectors, one → that one, none → keep going. The turn towards the desired direction is limited to
    ``max_turn_rate`` per step; the env adds its noise.

    Args:
        max_turn_rate: largest turn per step in radians (Couzin's theta * tau).
        turn_angles, max_turn: the env's discrete turn angles (or None for the Box action) and max_turn.
    """

    def __init__(
        self, max_turn_rate: float = 0.2, turn_angles: np.ndarray | None = None, max_turn: float = np.pi
    ):
        self.max_turn_rate = max_turn_rate
        self.turn_angles = turn_angles
        self.max_turn = max_turn

    @classmethod
    def for_model(cls, model: Any, max_turn_rate: float = 0.2) -> CouzinPolicy:
        """The policy matching a ``flocking_v0`` model's action space."""
        return cls(max_turn_rate, **action_geometry(model))

    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """(B, N, 1) turns (Box) or (B, N) turn indices (Discrete)."""
        agent = info["agent"]
        heading = agent["heading"]
        own = np.stack([np.cos(heading), np.sin(heading)], axis=-1)
        orient = own + agent["orientation_sum"]
        attract = agent["attraction_sum"]
        has_o = (agent["orientation_count"] > 0)[..., None]
        has_a = (agent["attraction_count"] > 0)[..., None]
        combined = 0.5 * (_unit(orient) + _unit(attract))
        desired = np.where(has_o & has_a, combined, np.where(has_o, orient, np.where(has_a, attract, own)))
        desired = np.where((agent["repulsion_count"] > 0)[..., None], -agent["repulsion_sum"], desired)
        target = np.arctan2(desired[..., 1], desired[..., 0])
        degenerate = np.hypot(desired[..., 0], desired[..., 1]) < 1e-12
        turn = np.where(degenerate, 0.0, wrap(target - heading))
        turn = np.clip(turn, -self.max_turn_rate, self.max_turn_rate)
        return turn_to_action(turn, self.turn_angles, self.max_turn)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norm = np.hypot(vectors[..., 0], vectors[..., 1])[..., None]
    return np.divide(vectors, norm, out=np.zeros(vectors.shape), where=norm > 0)


AGENTS = (RuleBasedAgent("couzin", "flocking_v0", lambda model, seed: CouzinPolicy.for_model(model)),)
