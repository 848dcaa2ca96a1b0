"""Schelling's rule, computed from the agent's own k×k observation of ``segregation_v0``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from swarmgym.envs.segregation.dynamics import RELOCATE, STAY, UP
from swarmgym_agents.base import RuleBasedAgent, SeededPolicy


class SchellingPolicy(SeededPolicy):
    """Unsatisfied agents move; satisfied ones stay (Schelling 1971).

    Satisfaction is read off the centre 3×3 of the observation: same-group fraction of the occupied
    Moore neighbours >= ``tolerance`` (no neighbours: satisfied), exactly the env's rule.

    Args:
        tolerance: Schelling's tau; use the env's own ``tolerance``.
        channels: the env's channel names (``model.channels``), to find own and other groups.
        walk: when False (classic) an unsatisfied agent relocates to a random vacancy (action 5);
            when True it takes a random one-cell step instead (the walking variant).
        seed: seed of the generator for the walking directions.
    """

    def __init__(
        self, tolerance: float, channels: Sequence[str], walk: bool = False, seed: int | None = None
    ):
        super().__init__(seed)
        self.tolerance = tolerance
        self.own = channels.index("own")
        self.others = [i for i, name in enumerate(channels) if name.startswith("other")]
        self.walk = walk

    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """(B, N) actions: stay, or relocate (or a random step) when unsatisfied."""
        centre = observations.shape[2] // 2
        moore = observations[:, :, centre - 1 : centre + 2, centre - 1 : centre + 2].sum(
            axis=(2, 3), dtype=np.int64
        )
        same = moore[..., self.own] - 1  # the agent is the centre of its own-group channel
        occupied = same + moore[..., self.others].sum(axis=-1)
        unhappy = (occupied > 0) & (same < self.tolerance * occupied - 1e-12)
        move = self.rng.integers(UP, UP + 4, size=unhappy.shape) if self.walk else RELOCATE
        return np.where(unhappy, move, STAY)


AGENTS = (
    RuleBasedAgent(
        "schelling",
        "segregation_v0",
        lambda model, seed: SchellingPolicy(model.config.tolerance, model.channels, seed=seed),
        reference=True,
    ),
    RuleBasedAgent(
        "schelling_walk",
        "segregation_v0",
        lambda model, seed: SchellingPolicy(model.config.tolerance, model.channels, walk=True, seed=seed),
    ),
)
