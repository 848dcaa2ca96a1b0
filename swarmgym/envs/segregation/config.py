"""Configuration of the Schelling segregation env."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from swarmgym.core.config import check_choice, check_float, check_int, check_odd


@dataclass(frozen=True)
class SegregationConfig:
    """Every field of ``segregation_v0``; pass any of them as keywords to the env constructors."""

    size: int = 50
    """Side L of the L×L lattice, in [4, 4096]."""
    torus: bool = True
    """Wrap around the edges (Schelling's torus); False puts walls around the lattice."""
    vacancy: float = 0.1
    """Fraction of empty cells, in (0, 1); N = round((1 - vacancy) * L^2) agents."""
    group_fractions: tuple[float, ...] = (0.5, 0.5)
    """Share of agents in each of the G >= 2 groups; positive, summing to 1."""
    tolerance: float = 0.3
    """Schelling's threshold tau in [0, 1]: satisfied iff same / occupied neighbours >= tau."""
    view_size: int = 5
    """Side k of the egocentric window, odd, >= 3 (the Moore neighbourhood must be in view)."""
    other_channels: str = "single"
    """``"single"``: one channel for every other group; ``"per_group"``: one per other group."""
    relocate: bool = True
    """Offer action 5, a jump to a uniformly random vacant cell (the classic Schelling move)."""
    satisfied_reward: float = 1.0
    """Reward for being satisfied after the step."""
    move_cost: float = 0.01
    """Cost of trying a one-cell move (charged even when blocked), >= 0."""
    relocate_cost: float = 0.05
    """Cost of trying a relocation, >= 0."""
    same_weight: float = 0.0
    """Sert et al. 2020 segregation term: reward per same-group Moore neighbour."""
    other_weight: float = 0.0
    """Sert et al. 2020 segregation term: penalty per other-group Moore neighbour."""
    interdependence_reward: float = 0.0
    """Sert et al. 2020 interdependence term: reward for having at least one other-group neighbour."""
    block_size: int = 5
    """Side of the square blocks of the Duncan dissimilarity index, in [1, L]."""

    def __post_init__(self) -> None:
        check_int("size", self.size, 4, 4096)
        check_choice("torus", self.torus, (True, False))
        check_float("vacancy", self.vacancy, 0.0, 1.0, open_low=True, open_high=True)
        fractions = tuple(self.group_fractions)
        if len(fractions) < 2:
            raise ValueError(f"group_fractions must name at least 2 groups, got {fractions!r}")
        for share in fractions:
            check_float("group_fractions[i]", share, 0.0, 1.0, open_low=True)
        if abs(sum(fractions) - 1.0) > 1e-6:
            raise ValueError(f"group_fractions must sum to 1, got {sum(fractions)!r}")
        object.__setattr__(self, "group_fractions", tuple(float(f) for f in fractions))
        check_float("tolerance", self.tolerance, 0.0, 1.0)
        check_odd("view_size", self.view_size, 3)
        check_choice("other_channels", self.other_channels, ("single", "per_group"))
        check_choice("relocate", self.relocate, (True, False))
        for name in ("satisfied_reward", "same_weight", "other_weight", "interdependence_reward"):
            check_float(name, getattr(self, name))
        check_float("move_cost", self.move_cost, 0.0)
        check_float("relocate_cost", self.relocate_cost, 0.0)
        check_int("block_size", self.block_size, 1, self.size)
        if not self.group_sizes.min() >= 1 or self.n_agents >= self.size**2:
            raise ValueError(
                f"vacancy={self.vacancy} on a {self.size}x{self.size} lattice leaves {self.n_agents} agents: "
                f"every group needs >= 1 agent and at least one cell must stay empty"
            )

    @property
    def n_agents(self) -> int:
        """N, the number of agents."""
        return int(round((1.0 - self.vacancy) * self.size**2))

    @property
    def group_sizes(self) -> np.ndarray:
        """(G,) agents per group, by largest remainder so they sum to N."""
        exact = np.asarray(self.group_fractions) * self.n_agents
        sizes = np.floor(exact).astype(np.int64)
        order = np.argsort(-(exact - sizes), kind="stable")
        sizes[order[: self.n_agents - sizes.sum()]] += 1
        return sizes
