"""Configuration of the common-pool resource env (commons harvest)."""

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
    """Every field of ``commons_v0``; pass any of them as keywords to the env constructors.

    Validation (``docs/reliability.md``): types are exact (bools are ``True`` / ``False``, sizes are
    ints, a custom ``regrowth`` is a list or tuple); reward weights are in [0, 1e12] (``apple_reward`` in
    [-1e12, 1e12]) and the largest per-step reward, ``R (1 + 2 (inequity_alpha + inequity_beta) /
    (1 - inequity_decay))`` with ``R = |apple_reward| + beam_cost + (N - 1) hit_penalty``, at most 1e12;
    the memory one copy needs (observations N·k²·8 bytes, the rotated padded grid pages of
    (max(H, W) + k)² cells, the grid and the regrowth table) must stay under the cap of
    :func:`~swarmgym.core.config.memory_limit` (4 GiB by default). Defaults adapt on small grids:
    ``patch_radius``, ``n_patches`` and ``beam_length`` left at their defaults shrink to what fits (a
    5×5 grid gets one patch of radius 1 and a beam of length 4); every grid valid before keeps them.
    """

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
    """Number of resource patches P, >= 1 (the grid must hold P blocks of side 2 * patch_radius + 3); the
    default 8 becomes the number of blocks that fit when fewer do."""
    patch_radius: int = 2
    """Each patch is the L2 disc of this radius around its centre, in [0, 16] (radius 2: 13 cells); the
    default 2 becomes (min(H, W) - 3) // 2 on grids narrower than 7."""
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
    """Cells the beam reaches ahead of the firer (Harvest: 5), >= 1 and < min(H, W); the default 5 becomes
    min(H, W) - 1 on grids narrower than 6."""
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
        check_bool("torus", self.torus)
        check_int("n_agents", self.n_agents, 1, self.height * self.width)
        check_choice("layout", self.layout, ("random", "regular"))
        short = min(self.height, self.width)
        # Defaults that do not fit a small grid adapt (every grid they fitted keeps them).
        if is_default(self, "patch_radius") and self.block_side > short:
            object.__setattr__(self, "patch_radius", (short - 3) // 2)
        check_int("patch_radius", self.patch_radius, 0, 16)
        blocks = self.blocks[0] * self.blocks[1]
        check_related(
            self,
            blocks >= 1,
            "patch_radius",
            ("height", "width"),
            f"a patch of radius {self.patch_radius} needs a block of side {self.block_side}, more than the "
            f"{self.height}x{self.width} grid holds (patch_radius <= {(short - 3) // 2} fits)",
        )
        if is_default(self, "n_patches") and self.n_patches > blocks:
            object.__setattr__(self, "n_patches", blocks)
        check_int("n_patches", self.n_patches, 1)
        check_related(
            self,
            self.n_patches <= blocks,
            "n_patches",
            ("height", "width", "patch_radius"),
            f"n_patches must be in [1, {blocks}] on a {self.height}x{self.width} grid with "
            f"patch_radius={self.patch_radius} (blocks of side {self.block_side})",
        )
        if isinstance(self.regrowth, str):
            check_choice("regrowth", self.regrowth, (*REGROWTH_PRESETS, LOGISTIC))
        else:
            table = check_sequence("regrowth", self.regrowth, 1)
            for p in table:
                check_float("regrowth[L]", p, 0.0, 1.0)
            object.__setattr__(self, "regrowth", tuple(float(p) for p in table))
        check_float("logistic_rate", self.logistic_rate, 0.0, 2.0, open_low=True, open_high=True)
        check_float("logistic_capacity", self.logistic_capacity, 0.0, float(self.patch_cells))
        check_float("initial_fill", self.initial_fill, 0.0, 1.0)
        check_odd("view_size", self.view_size, 3)
        check_float("apple_reward", self.apple_reward, -REWARD_LIMIT, REWARD_LIMIT)
        check_bool("beam", self.beam)
        if is_default(self, "beam_length") and self.beam_length > short - 1:
            object.__setattr__(self, "beam_length", short - 1)
        check_int("beam_length", self.beam_length, 1)
        check_related(
            self,
            self.beam_length <= short - 1,
            "beam_length",
            ("height", "width"),
            f"beam_length must be in [1, {short - 1}] (less than min(height, width))",
        )
        check_odd("beam_width", self.beam_width)
        check_related(
            self,
            self.beam_width <= short,
            "beam_width",
            ("height", "width"),
            f"beam_width must be in [1, {short}] (at most min(height, width))",
        )
        check_float("beam_cost", self.beam_cost, 0.0, REWARD_LIMIT)
        check_float("hit_penalty", self.hit_penalty, 0.0, REWARD_LIMIT)
        check_int("hits_to_remove", self.hits_to_remove, 1, 2**31 - 1)
        check_int("removal_steps", self.removal_steps, 1, 255)
        check_float("inequity_alpha", self.inequity_alpha, 0.0, REWARD_LIMIT)
        check_float("inequity_beta", self.inequity_beta, 0.0, REWARD_LIMIT)
        check_float("inequity_decay", self.inequity_decay, 0.0, 1.0, open_high=True)
        # Smoothed rewards reach R / (1 - decay); the inequity terms pay up to twice that per weight.
        extrinsic = abs(self.apple_reward) + self.beam_cost + (self.n_agents - 1) * self.hit_penalty
        averse = self.inequity_alpha + self.inequity_beta
        scale = 1.0 + 2.0 * averse / (1.0 - self.inequity_decay) if averse > 0 else 1.0
        terms = [("apple_reward", self.apple_reward, scale), ("beam_cost", self.beam_cost, scale)]
        terms.append(("hit_penalty", self.hit_penalty, (self.n_agents - 1) * scale))
        if averse > 0 and extrinsic > 0:
            terms += [
                ("inequity_alpha", self.inequity_alpha, 2.0 * extrinsic / (1.0 - self.inequity_decay)),
                ("inequity_beta", self.inequity_beta, 2.0 * extrinsic / (1.0 - self.inequity_decay)),
            ]
        check_reward_scale("commons", terms, ("inequity_decay",) if averse > 0 else ())
        free = self.height * self.width - self.n_patches * self.patch_cells
        check_related(
            self,
            self.n_agents <= free,
            "n_agents",
            ("height", "width", "n_patches", "patch_radius"),
            f"n_agents must be in [1, {free}] (the cells outside the patches)",
        )
        check_memory("commons", self.memory_terms())

    def memory_terms(self) -> list[tuple[str, float, tuple[str, ...]]]:
        """What one copy allocates at construction, reset and step: ``(what, bytes, driving fields)``."""
        n, k = float(self.n_agents), float(self.view_size)
        side = max(self.height, self.width) + k
        table = 0 if isinstance(self.regrowth, str) else len(self.regrowth)
        return [
            ("observations", 2.0 * n * k * k * 8, ("n_agents", "view_size")),
            ("rotated grid pages", 5.0 * side * side * 8, ("height", "width", "view_size")),
            ("grid and per-agent arrays", 200.0 * self.height * self.width + 400.0 * n, ("height", "width")),
            ("regrowth table", 16.0 * table, ("regrowth",)),
        ]

    @property
    def memory_bytes(self) -> float:
        """Estimated bytes one copy allocates (what :func:`~swarmgym.core.config.check_memory` caps)."""
        return memory_estimate(self.memory_terms())

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
