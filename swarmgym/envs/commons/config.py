"""Configuration of the common-pool resource env (commons harvest)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from swarmgym.core.config import check_choice, check_float, check_int, check_odd

#: Named regrowth tables: probability that an empty resource cell regrows this step, indexed by
#: min(L, len - 1), L = live resources in the L2 disc of radius 2 around the cell (cell excluded).
REGROWTH_PRESETS: dict[str, tuple[float, ...]] = {
    # Melting Pot commons_harvest__open (Agapiou et al. 2022).
    "meltingpot_open": (0.0, 0.0025, 0.005, 0.025),
    # Melting Pot commons_harvest__closed / partnership.
    "meltingpot_closed": (0.0, 0.001, 0.005, 0.025),
    # Sequential social dilemma Harvest game (Hughes et al. 2018; counted over the disc, not its 3x3 bug).
    "harvest": (0.0, 0.005, 0.02, 0.05),
    # Perolat et al. 2017 as recalled: 0 / 0.01 / 0.05 / 0.1 for L = 0 / 1-2 / 3-4 / > 4.
    "perolat2017": (0.0, 0.01, 0.01, 0.05, 0.05, 0.1),
}
LOGISTIC = "logistic"


@dataclass(frozen=True)
class CommonsConfig:
    """Every field of ``commons_v0``; pass any of them as keywords to the env constructors."""

    height: int = 24
    """Rows H of the H×W grid, in [5, 4096]."""
    width: int = 32
    """Columns W of the grid, in [5, 4096]."""
    torus: bool = False
    """Wrap around the edges; False (default) puts walls around the grid."""
    n_agents: int = 10
    """Number of agents N, >= 1; at most the number of non-resource cells."""
    layout: str = "random"
    """``"random"``: patches in randomly chosen blocks with random offsets, drawn at every reset from the
    env's seeded generator; ``"regular"``: a fixed layout, patches centred in evenly spread blocks."""
    n_patches: int = 8
    """Number of resource patches P, >= 1 (the grid must hold P blocks of side 2 * patch_radius + 3)."""
    patch_radius: int = 2
    """Each patch is the L2 disc of this radius around its centre, in [0, 16] (radius 2: 13 cells)."""
    regrowth: str | tuple[float, ...] = "meltingpot_open"
    """A preset of :data:`REGROWTH_PRESETS`, a custom tuple of probabilities in [0, 1] indexed by
    min(L, len - 1), or ``"logistic"`` for the per-patch logistic stock."""
    logistic_rate: float = 0.1
    """Logistic mode: growth rate r of R <- R + r R (1 - R/K) - harvest, in (0, 2)."""
    logistic_capacity: float = 0.0
    """Logistic mode: capacity K of each patch in apples, in (0, cells per patch]; 0 means all its cells."""
    initial_fill: float = 1.0
    """Share of each patch's capacity holding apples at the start, in [0, 1] (table mode: that many cells
    chosen at random; logistic mode: R = initial_fill * K)."""
    view_size: int = 11
    """Side k of the egocentric window, odd, >= 3."""
    apple_reward: float = 1.0
    """Reward for collecting one resource."""
    beam: bool = True
    """Offer action 7, firing the sanction (time-out) beam."""
    beam_length: int = 5
    """Cells the beam reaches ahead of the firer (Harvest: 5), >= 1 and < min(H, W)."""
    beam_width: int = 3
    """Width of the beam in cells, odd (Harvest: 3), <= min(H, W)."""
    beam_cost: float = 1.0
    """Cost of firing the beam (Harvest: 1), >= 0."""
    hit_penalty: float = 0.0
    """Reward lost per beam hit taken, >= 0 (Harvest uses 50; off by default: removal is the sanction)."""
    hits_to_remove: int = 2
    """Beam hits (cumulative since the agent last (re)appeared) that remove it, >= 1."""
    removal_steps: int = 25
    """Steps T a removed agent stays out of play, in [1, 255]."""
    inequity_alpha: float = 0.0
    """Inequity aversion (Hughes et al. 2018): disadvantageous weight alpha >= 0 (commonly 5); 0 = off."""
    inequity_beta: float = 0.0
    """Inequity aversion: advantageous weight beta >= 0 (commonly 0.05); 0 = off."""
    inequity_decay: float = 0.9405
    """Inequity aversion: smoothing gamma * lambda of the compared rewards e_i, in [0, 1) (0.99 * 0.95)."""

    def __post_init__(self) -> None:
        check_int("height", self.height, 5, 4096)
        check_int("width", self.width, 5, 4096)
        check_choice("torus", self.torus, (True, False))
        check_int("n_agents", self.n_agents, 1)
        check_choice("layout", self.layout, ("random", "regular"))
        check_int("patch_radius", self.patch_radius, 0, 16)
        check_int("n_patches", self.n_patches, 1)
        if self.n_patches > self.blocks[0] * self.blocks[1]:
            raise ValueError(
                f"n_patches must be in [1, {self.blocks[0] * self.blocks[1]}] on a "
                f"{self.height}x{self.width} "
                f"grid with patch_radius={self.patch_radius} (blocks of side {self.block_side}), "
                f"got {self.n_patches}"
            )
        if isinstance(self.regrowth, str):
            check_choice("regrowth", self.regrowth, (*REGROWTH_PRESETS, LOGISTIC))
        else:
            table = tuple(self.regrowth)
            if len(table) < 1:
                raise ValueError("regrowth must be a preset name or a non-empty tuple of probabilities")
            for p in table:
                check_float("regrowth[L]", p, 0.0, 1.0)
            object.__setattr__(self, "regrowth", tuple(float(p) for p in table))
        check_float("logistic_rate", self.logistic_rate, 0.0, 2.0, open_low=True, open_high=True)
        check_float("logistic_capacity", self.logistic_capacity, 0.0, float(self.patch_cells))
        check_float("initial_fill", self.initial_fill, 0.0, 1.0)
        check_odd("view_size", self.view_size, 3)
        check_float("apple_reward", self.apple_reward)
        check_choice("beam", self.beam, (True, False))
        check_int("beam_length", self.beam_length, 1, min(self.height, self.width) - 1)
        check_odd("beam_width", self.beam_width)
        check_int("beam_width", self.beam_width, 1, min(self.height, self.width))
        check_float("beam_cost", self.beam_cost, 0.0)
        check_float("hit_penalty", self.hit_penalty, 0.0)
        check_int("hits_to_remove", self.hits_to_remove, 1)
        check_int("removal_steps", self.removal_steps, 1, 255)
        check_float("inequity_alpha", self.inequity_alpha, 0.0)
        check_float("inequity_beta", self.inequity_beta, 0.0)
        check_float("inequity_decay", self.inequity_decay, 0.0, 1.0, open_high=True)
        free = self.height * self.width - self.n_patches * self.patch_cells
        if self.n_agents > free:
            raise ValueError(
                f"n_agents must be in [1, {free}] (the cells outside the patches), got {self.n_agents}"
            )

    @property
    def block_side(self) -> int:
        """Minimum side of the square block that holds one patch with a free margin."""
        return 2 * self.patch_radius + 3

    @property
    def blocks(self) -> tuple[int, int]:
        """(rows, columns) of patch blocks the grid is divided into."""
        return self.height // self.block_side, self.width // self.block_side

    @property
    def disc_offsets(self) -> np.ndarray:
        """(M, 2) (d_row, d_col) offsets of one patch: the L2 disc of radius ``patch_radius``."""
        rad = self.patch_radius
        d = np.arange(-rad, rad + 1)
        dr, dc = np.meshgrid(d, d, indexing="ij")
        inside = dr**2 + dc**2 <= rad**2
        return np.stack([dr[inside], dc[inside]], axis=1)

    @property
    def patch_cells(self) -> int:
        """M, the number of cells of one patch."""
        return int(len(self.disc_offsets))

    @property
    def logistic(self) -> bool:
        """Whether regrowth follows the per-patch logistic stock."""
        return self.regrowth == LOGISTIC

    @property
    def regrowth_table(self) -> np.ndarray:
        """(len,) float64 regrowth probabilities indexed by min(L, len - 1) (table mode)."""
        if self.logistic:
            return np.zeros(1)
        table = REGROWTH_PRESETS[self.regrowth] if isinstance(self.regrowth, str) else self.regrowth
        return np.asarray(table, dtype=np.float64)

    @property
    def capacity(self) -> float:
        """K, the logistic capacity of each patch in apples."""
        return float(self.logistic_capacity) if self.logistic_capacity > 0 else float(self.patch_cells)
