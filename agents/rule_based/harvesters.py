"""Rule-based harvesters of ``commons_v0``, acting only on their own rotated k×k observation.

- ``greedy``: walks to the nearest resource it sees (Manhattan distance in its view) and takes it.
- ``restrained``: takes only resources that keep at least ``min_neighbours`` live resources in their
  radius-2 disc (counted in its own view, so an unseen neighbour never counts: a conservative rule),
  and never steps on the others; this leaves every patch enough seed stock to regrow.
- ``sanctioner``: restrained, and fires the beam at agents it sees next to a "last" resource (one with
  at most ``sanction_neighbours`` live neighbours), i.e. agents about to destroy a patch; it turns
  towards such agents when they are in view but outside its beam.

Without a target every harvester explores: forward when the cell ahead is free, otherwise a random
free step or a turn. Moves follow the env's relative action set (forward, backward, step left/right).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from swarmgym.envs.commons.dynamics import (
    BACKWARD,
    FIRE,
    FORWARD,
    STEP_LEFT,
    STEP_RIGHT,
    TURN_LEFT,
    TURN_RIGHT,
)
from swarmgym.envs.commons.metrics import disc_counts
from swarmgym_agents.base import RuleBasedAgent, SeededPolicy

MODES = ("greedy", "restrained", "sanctioner")
#: The four moves in the order used below, with the window cell (d_row, d_col) each one enters.
MOVES = np.array([FORWARD, BACKWARD, STEP_LEFT, STEP_RIGHT])
MOVE_CELLS = ((-1, 0), (1, 0), (0, -1), (0, 1))


class HarvesterPolicy(SeededPolicy):
    """Greedy, restrained or sanctioning harvester for ``commons_v0``.

    Args:
        channels: the env's observation channel names (``model.channels``).
        mode: ``"greedy"``, ``"restrained"`` or ``"sanctioner"``.
        min_neighbours: restrained/sanctioner: take a resource only if >= this many live resources stay
            in its radius-2 disc (in view).
        sanction_neighbours: sanctioner: a resource with at most this many live neighbours is a "last" one.
        beam_length, beam_width: the env's beam geometry (the sanctioner fires only when a target is in it).
        can_fire: whether the env offers the beam action.
        explore_forward: probability of walking forward (when free) while exploring.
        seed: seed of the generator for tie-breaking and exploration.
    """

    def __init__(
        self,
        channels: Sequence[str],
        mode: str = "greedy",
        min_neighbours: int = 3,
        sanction_neighbours: int = 1,
        beam_length: int = 5,
        beam_width: int = 3,
        can_fire: bool = True,
        explore_forward: float = 0.75,
        seed: int | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        super().__init__(seed)
        self.mode = mode
        self.channels = tuple(channels)
        self.resource = self.channels.index("resource")
        self.agents = self.channels.index("agents")
        self.wall = self.channels.index("wall") if "wall" in self.channels else None
        self.min_neighbours = min_neighbours
        self.sanction_neighbours = sanction_neighbours
        self.beam_length = beam_length
        self.beam_width = beam_width
        self.can_fire = can_fire
        self.explore_forward = explore_forward

    @classmethod
    def for_model(cls, model: Any, mode: str, seed: int | None = None) -> HarvesterPolicy:
        """A harvester configured from a ``CommonsModel`` (channels and beam geometry)."""
        cfg = model.config
        return cls(
            model.channels,
            mode,
            beam_length=cfg.beam_length,
            beam_width=cfg.beam_width,
            can_fire=cfg.beam,
            seed=seed,
        )

    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """(B, N) actions from (B, N, k, k, C) observations."""
        batch, n, k = observations.shape[:3]
        rad = k // 2
        resource = observations[..., self.resource] > 0
        blocked = observations[..., self.agents] > 0
        if self.wall is not None:
            blocked |= observations[..., self.wall] > 0
        if self.mode == "greedy":
            wanted = resource
        else:
            counts = disc_counts(resource, torus=False)  # within the view only
            wanted = resource & (counts >= self.min_neighbours)
            blocked |= resource & ~wanted

        # Nearest wanted resource, ties broken at random.
        ahead = (rad - np.arange(k))[:, None] * np.ones(k, dtype=np.int64)
        right = np.ones(k, dtype=np.int64)[:, None] * (np.arange(k) - rad)
        distance = np.abs(ahead) + np.abs(right) + 0.5 * self.rng.random((batch, n, k, k))
        score = np.where(wanted, distance, np.inf).reshape(batch, n, -1)
        best = score.argmin(axis=2)
        has_target = np.isfinite(np.take_along_axis(score, best[..., None], axis=2)[..., 0])
        target_ahead = ahead.ravel()[best]
        target_right = right.ravel()[best]

        free = np.stack([~blocked[:, :, rad + dr, rad + dc] for dr, dc in MOVE_CELLS], axis=-1)
        useful = np.stack([target_ahead > 0, target_ahead < 0, target_right < 0, target_right > 0], axis=-1)
        keys = self.rng.random((batch, n, 4))
        toward = np.where(free & useful & has_target[..., None], keys, -1.0)
        any_free = np.where(free, keys, -1.0)
        forward_free = free[..., 0] & (self.rng.random((batch, n)) < self.explore_forward)
        turn = np.where(self.rng.random((batch, n)) < 0.5, TURN_LEFT, TURN_RIGHT)

        step_or_turn = np.where(any_free.max(-1) >= 0, MOVES[any_free.argmax(-1)], turn)
        explore = np.where(forward_free, FORWARD, step_or_turn)
        chase = np.where(toward.max(-1) >= 0, MOVES[toward.argmax(-1)], explore)
        actions = np.where(has_target, chase, explore)

        if self.mode == "sanctioner" and self.can_fire:
            actions = self._sanction(resource, observations[..., self.agents] > 0, actions, rad)
        return actions.astype(np.int64)

    def _sanction(self, resource: np.ndarray, others: np.ndarray, actions: np.ndarray, rad: int):
        """Fire at agents next to a last resource inside the beam; turn towards those outside it."""
        k = resource.shape[2]
        last = resource & (disc_counts(resource, torus=False) <= self.sanction_neighbours)
        padded = np.pad(last, [(0, 0), (0, 0), (1, 1), (1, 1)])
        near_last = np.zeros(last.shape, dtype=bool)
        for dr, dc in MOVE_CELLS:
            near_last |= padded[:, :, 1 + dr : 1 + dr + k, 1 + dc : 1 + dc + k]
        culprits = others & near_last
        zone = np.zeros((k, k), dtype=bool)
        half = self.beam_width // 2
        zone[max(rad - self.beam_length, 0) : rad, max(rad - half, 0) : rad + half + 1] = True
        in_beam = (culprits & zone).any(axis=(2, 3))
        seen = culprits.any(axis=(2, 3))
        # Turn towards the side holding most culprits (behind counts as right).
        left_side = culprits[:, :, :, :rad].sum(axis=(2, 3))
        right_side = culprits[:, :, :, rad + 1 :].sum(axis=(2, 3))
        right_side += culprits[:, :, rad + 1 :, rad].sum(axis=2)
        turn = np.where(left_side > right_side, TURN_LEFT, TURN_RIGHT)
        ahead_only = culprits[:, :, :rad, rad].any(axis=2) & (left_side + right_side == 0)
        actions = np.where(seen & ~in_beam & ~ahead_only, turn, actions)
        return np.where(in_beam, FIRE, actions)


def greedy(model: Any, seed: int | None = None) -> HarvesterPolicy:
    """The greedy harvester for ``model``."""
    return HarvesterPolicy.for_model(model, "greedy", seed)


def restrained(model: Any, seed: int | None = None) -> HarvesterPolicy:
    """The restrained harvester for ``model`` (the env's reference agent)."""
    return HarvesterPolicy.for_model(model, "restrained", seed)


def sanctioner(model: Any, seed: int | None = None) -> HarvesterPolicy:
    """The restrained harvester that sanctions agents taking the last resources."""
    return HarvesterPolicy.for_model(model, "sanctioner", seed)


AGENTS = (
    RuleBasedAgent("greedy", "commons_v0", greedy),
    RuleBasedAgent("restrained", "commons_v0", restrained, reference=True),
    RuleBasedAgent("sanctioner", "commons_v0", sanctioner),
)
