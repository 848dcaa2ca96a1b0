"""Configuration of the Schelling segregation env."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from swarmgym.core.config import (
    REWARD_LIMIT,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_memory,
    check_odd,
    check_related,
    check_reward_scale,
    check_sequence,
    is_default,
    memory_estimate,
)


@dataclass(frozen=True)
class SegregationConfig:
    """Every field of ``segregation_v0``; pass any of them as keywords to the env constructors.

    Validation (``docs/reliability.md``): types are exact (bools are ``True`` / ``False``, sizes are
    ints, ``group_fractions`` is a list or tuple); every reward weight is in [-1e12, 1e12] and the
    largest per-step reward, ``|satisfied_reward| + 8 |same_weight| + 8 |other_weight| +
    |interdependence_reward| + move_cost + relocate_cost``, at most 1e12
    (:data:`~swarmgym.core.config.REWARD_LIMIT`); the memory one copy needs (observations N·k²·C bytes,
    the lattice and its G channel pages) must stay under the cap of
    :func:`~swarmgym.core.config.memory_limit` (4 GiB by default). ``block_size`` left at its default
    follows ``size`` on lattices smaller than 5.
    """

    size: int = 50
    """Side L of the L×L lattice, in [4, 4096]."""
    torus: bool = True
    """Wrap around the edges (Schelling's torus); False puts walls around the lattice."""
    vacancy: float = 0.1
    """Fraction of empty cells, in (0, 1); N = round((1 - vacancy) * L^2) agents."""
    group_fractions: tuple[float, ...] = (0.5, 0.5)
    """Share of agents in each of the G >= 2 groups: a list or tuple of positive reals summing to 1, each
    group getting at least one agent."""
    tolerance: float = 0.3
    """Schelling's threshold tau in [0, 1]: satisfied iff same / occupied neighbours >= tau."""
    view_size: int = 5
    """Side k of the egocentric window, odd, >= 3 (the Moore neighbourhood must be in view); bounded by the
    memory cap."""
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
    """Side of the square blocks of the Duncan dissimilarity index, in [1, L]; the default 5 becomes L when
    L < 5."""

    def __post_init__(self) -> None:
        check_int("size", self.size, 4, 4096)
        check_bool("torus", self.torus)
        check_float("vacancy", self.vacancy, 0.0, 1.0, open_low=True, open_high=True)
        fractions = check_sequence("group_fractions", self.group_fractions, 2)
        for share in fractions:
            check_float("group_fractions[i]", share, 0.0, 1.0, open_low=True)
        if abs(sum(fractions) - 1.0) > 1e-6:
            raise ValueError(f"group_fractions must sum to 1, got {sum(fractions)!r}")
        object.__setattr__(self, "group_fractions", tuple(float(f) for f in fractions))
        check_float("tolerance", self.tolerance, 0.0, 1.0)
        check_odd("view_size", self.view_size, 3)
        check_choice("other_channels", self.other_channels, ("single", "per_group"))
        check_bool("relocate", self.relocate)
        for name in ("satisfied_reward", "same_weight", "other_weight", "interdependence_reward"):
            check_float(name, getattr(self, name), -REWARD_LIMIT, REWARD_LIMIT)
        check_float("move_cost", self.move_cost, 0.0, REWARD_LIMIT)
        check_float("relocate_cost", self.relocate_cost, 0.0, REWARD_LIMIT)
        check_reward_scale(
            "segregation",
            [
                ("satisfied_reward", self.satisfied_reward, 1.0),
                ("same_weight", self.same_weight, 8.0),
                ("other_weight", self.other_weight, 8.0),
                ("interdependence_reward", self.interdependence_reward, 1.0),
                ("move_cost", self.move_cost, 1.0),
                ("relocate_cost", self.relocate_cost, 1.0),
            ],
        )
        if is_default(self, "block_size") and self.block_size > self.size:
            object.__setattr__(self, "block_size", self.size)  # the default adapts to small lattices
        check_int("block_size", self.block_size, 1)
        check_related(
            self,
            self.block_size <= self.size,
            "block_size",
            ("size",),
            f"block_size must be in [1, size={self.size}]",
        )
        check_related(
            self,
            self.n_agents < self.size**2,
            "vacancy",
            ("size",),
            f"at least one cell must stay empty, but vacancy={self.vacancy} on a {self.size}x{self.size} "
            f"lattice leaves {self.n_agents} agents for {self.size**2} cells",
        )
        check_related(
            self,
            bool(self.group_sizes.min() >= 1),
            "group_fractions",
            ("size", "vacancy"),
            f"every group needs >= 1 agent, but {self.n_agents} agents split as "
            f"{self.group_sizes.tolist()[:10]}{'...' if len(fractions) > 10 else ''}",
        )
        check_memory("segregation", self.memory_terms())

    def memory_terms(self) -> list[tuple[str, float, tuple[str, ...]]]:
        """What one copy allocates at construction, reset and step: ``(what, bytes, driving fields)``."""
        n, cells, k = self.n_agents, self.size * self.size, self.view_size
        groups = len(self.group_fractions)
        channels = (2 if self.other_channels == "single" else groups) + (1 if self.torus else 2)
        padded = (self.size + k) ** 2
        actions = 6 if self.relocate else 5
        agents = ("size", "vacancy")
        return [
            ("observations", 1.2 * n * k * k * channels, (*agents, "view_size", "other_channels")),
            ("channel pages", 2.0 * groups * padded * channels, ("size", "view_size", "group_fractions")),
            ("channel table", float(groups * (groups + 1) * channels), ("group_fractions", "other_channels")),
            ("lattice and metrics", 64.0 * cells + 128.0 * n, agents),
            (
                "neighbour mean action",
                24.0 * padded * (actions + 1) + 16.0 * n * actions,
                ("size", "view_size", "relocate"),
            ),
        ]

    @property
    def memory_bytes(self) -> float:
        """Estimated bytes one copy allocates (what :func:`~swarmgym.core.config.check_memory` caps)."""
        return memory_estimate(self.memory_terms())

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
