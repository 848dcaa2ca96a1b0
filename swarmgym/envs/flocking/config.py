"""Configuration of the Vicsek/Couzin flocking env."""

from __future__ import annotations

import math
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
    memory_estimate,
)

LENGTH_LIMIT = 1e9
"""Upper bound of every length (box side, radii, cell side, speed) in world units: positions, offsets and
their squares stay finite in float32 state and float64 arithmetic."""
PAIR_BYTES = 320
"""Bytes held per unordered neighbour pair within the search radius (pair lists, offsets, per-pair cos /
sin, the ordered mirror and the observation's binning columns), for the memory estimate."""


@dataclass(frozen=True)
class FlockingConfig:
    """Every field of ``flocking_v0``; pass any of them as keywords to the env constructors.

    Validation (``docs/reliability.md``): types are exact (bools are ``True`` / ``False``, ``n_agents``,
    ``view_size``, ``n_turns`` are ints); every length (box side, ``speed``, ``radius``, ``cell_size``,
    zones, ``min_distance``) is at most 1e9 (:data:`LENGTH_LIMIT`); reward weights are in [-1e12, 1e12]
    and the largest per-step reward, ``|alignment_weight| + isolation_penalty + (N - 1)
    collision_penalty + |team_weight|``, at most 1e12; the memory one copy needs (observations
    N·k²·C·4 bytes, the neighbour cell list of about (2L / R)² cells for the search radius R, the
    expected neighbour pairs within R at the spawn density, the ``view_binning="grid"`` raster of
    (L / cell_size)² cells, the discrete turn table) must stay under the cap of
    :func:`~swarmgym.core.config.memory_limit` (4 GiB by default).
    """

    n_agents: int = 300
    """Number of agents N, in [2, 1_000_000] (about 10^6 at density 4 needs a memory cap above 4 GiB)."""
    density: float = 4.0
    """Vicsek's rho = N / L²; sets the box side L = sqrt(N / density) unless ``box_size`` is given. > 0."""
    box_size: float | None = None
    """Side L of the square box; overrides ``density`` when given. In (2 * speed, 1e9]; bounded by the memory
    cap (the cell list grows as (L / R)²)."""
    torus: bool = True
    """Periodic box (Vicsek); False puts reflecting walls around it."""
    speed: float = 0.03
    """Distance v0 every agent moves per step, > 0 and < L / 2 (so the default needs L > 0.06)."""
    radius: float = 1.0
    """Vicsek interaction radius r (exact aggregates, rewards, cluster metric), > 0."""
    noise: float = 2.0
    """Vicsek noise eta in [0, 2 pi]: full width of the uniform angular noise U[-eta/2, eta/2] per step."""
    view_size: int = 5
    """Side k of the egocentric k×k observation window, odd >= 1."""
    cell_size: float = 0.4
    """Side of one observation cell in world units (k = 5, 0.4 covers the r = 1 disc). > 0."""
    rotate_view: bool = True
    """Rotate each window to the agent's heading (row 0 ahead); False keeps it world-aligned (+y up)."""
    view_binning: str = "exact"
    """``"exact"``: each neighbour is binned by its own offset from the agent (cells centred on the agent).
    ``"grid"``: the fast approximation: all agents are binned once per step into a world-aligned grid of
    cells (side L / ceil(L / cell_size) on a torus, ``cell_size`` with walls) and each window is the k×k
    block of that grid around the agent's own cell; needs ``rotate_view=False``."""
    action_type: str = "continuous"
    """``"continuous"``: Box turn in [-max_turn, max_turn]; ``"discrete"``: one of ``n_turns`` turn angles."""
    max_turn: float = math.pi
    """Largest turn per step in radians, in (0, pi]; pi lets an agent take any heading (Vicsek needs it)."""
    n_turns: int = 7
    """Number of evenly spaced turn angles in [-max_turn, max_turn] of the discrete action, odd >= 3."""
    zone_repulsion: float = 0.1
    """Couzin repulsion radius r_r (agent_info zone aggregates), > 0."""
    zone_orientation: float = 0.5
    """Couzin orientation radius r_o >= r_r."""
    zone_attraction: float = 1.0
    """Couzin attraction radius r_a >= r_o (searching beyond ``radius`` costs time)."""
    blind_angle: float = math.pi / 2
    """Couzin blind angle behind each agent, in [0, 2 pi): the zone aggregates do not see neighbours there."""
    spawn_extent: float = 1.0
    """Agents start uniformly in the centred square of side spawn_extent * L, in (0, 1]."""
    alignment_weight: float = 1.0
    """Reward per unit of mean cos(theta_j - theta_i) over the other agents within ``radius``."""
    isolation_penalty: float = 1.0
    """Cohesion term: penalty for having no other agent within ``radius``, >= 0."""
    collision_penalty: float = 1.0
    """Penalty per other agent closer than ``min_distance``, >= 0."""
    team_weight: float = 0.0
    """Shared team term: every agent receives team_weight * global polarisation."""
    min_distance: float = 0.05
    """Collision distance, in (0, radius]."""

    def __post_init__(self) -> None:
        check_int("n_agents", self.n_agents, 2, 1_000_000)
        check_float("density", self.density, 0.0, open_low=True)
        if self.box_size is not None:
            check_float("box_size", self.box_size, 0.0, LENGTH_LIMIT, open_low=True)
        check_related(
            self,
            self.box <= LENGTH_LIMIT,
            "density",
            ("n_agents",),
            f"the box side L = sqrt(n_agents / density) = {self.box:.3g} must be <= {LENGTH_LIMIT:g}",
        )
        check_bool("torus", self.torus)
        check_float("speed", self.speed, 0.0, LENGTH_LIMIT, open_low=True)
        check_related(
            self,
            self.speed < self.box / 2,
            "speed",
            ("box_size",) if self.box_size is not None else ("density", "n_agents"),
            f"speed must be < L / 2 = {self.box / 2:.6g} for the box side L = {self.box:.6g}",
        )
        check_float("radius", self.radius, 0.0, LENGTH_LIMIT, open_low=True)
        check_float("noise", self.noise, 0.0, 2 * math.pi)
        check_odd("view_size", self.view_size, 1)
        check_float("cell_size", self.cell_size, 0.0, LENGTH_LIMIT, open_low=True)
        check_bool("rotate_view", self.rotate_view)
        check_choice("view_binning", self.view_binning, ("exact", "grid"))
        if self.view_binning == "grid" and self.rotate_view:
            raise ValueError("view_binning='grid' bins in world-aligned cells: it needs rotate_view=False")
        check_choice("action_type", self.action_type, ("continuous", "discrete"))
        check_float("max_turn", self.max_turn, 0.0, math.pi, open_low=True)
        check_odd("n_turns", self.n_turns, 3)
        check_int("n_turns", self.n_turns, 3, 2**31 - 1)
        check_float("zone_repulsion", self.zone_repulsion, 0.0, LENGTH_LIMIT, open_low=True)
        check_float("zone_orientation", self.zone_orientation, 0.0, LENGTH_LIMIT, open_low=True)
        check_related(
            self,
            self.zone_orientation >= self.zone_repulsion,
            "zone_orientation",
            ("zone_repulsion",),
            f"the Couzin zones must nest, zone_orientation >= zone_repulsion = {self.zone_repulsion}",
        )
        check_float("zone_attraction", self.zone_attraction, 0.0, LENGTH_LIMIT, open_low=True)
        check_related(
            self,
            self.zone_attraction >= self.zone_orientation,
            "zone_attraction",
            ("zone_orientation", "zone_repulsion"),
            f"the Couzin zones must nest, zone_attraction >= zone_orientation = {self.zone_orientation}",
        )
        check_float("blind_angle", self.blind_angle, 0.0, 2 * math.pi, open_high=True)
        check_float("spawn_extent", self.spawn_extent, 0.0, 1.0, open_low=True)
        check_float("alignment_weight", self.alignment_weight, -REWARD_LIMIT, REWARD_LIMIT)
        check_float("isolation_penalty", self.isolation_penalty, 0.0, REWARD_LIMIT)
        check_float("collision_penalty", self.collision_penalty, 0.0, REWARD_LIMIT)
        check_float("team_weight", self.team_weight, -REWARD_LIMIT, REWARD_LIMIT)
        check_reward_scale(
            "flocking",
            [
                ("alignment_weight", self.alignment_weight, 1.0),
                ("isolation_penalty", self.isolation_penalty, 1.0),
                ("collision_penalty", self.collision_penalty, self.n_agents - 1.0),
                ("team_weight", self.team_weight, 1.0),
            ],
        )
        check_float("min_distance", self.min_distance, 0.0, LENGTH_LIMIT, open_low=True)
        check_related(
            self,
            self.min_distance <= self.radius,
            "min_distance",
            ("radius",),
            f"the collision distance must be in (0, radius = {self.radius}]",
        )
        check_memory("flocking", self.memory_terms())

    def memory_terms(self) -> list[tuple[str, float, tuple[str, ...]]]:
        """What one copy allocates at construction, reset and step: ``(what, bytes, driving fields)``."""
        n, k = float(self.n_agents), float(self.view_size)
        box, reach = self.box, self.search_radius
        channels = 3 if self.torus else 4
        side = ("box_size",) if self.box_size is not None else ("density", "n_agents")
        search = ("radius", "zone_attraction") + (
            ("view_size", "cell_size") if self.view_binning == "exact" else ()
        )
        terms = [
            (
                "observations and their binning buffers",
                n * k * k * channels * 4.0 * (2 if self.view_binning == "grid" else 4 if self.torus else 5),
                ("n_agents", "view_size"),
            ),
            ("per-agent arrays", 600.0 * n, ("n_agents",)),
        ]
        # Neighbour cell list: (box / (R / 2) + 4) x (box / (R / 2) + 2) cells, 3 int64 per cell.
        cells = box / (reach / 2.0) + 4.0
        terms.append(("neighbour cell list", 24.0 * cells * cells, (*side, *search)))
        # Pairs within R at the spawn density (all pairs when R spans the spawn square).
        spawn_area = (self.spawn_extent * box) ** 2
        per_agent = n - 1.0 if spawn_area <= 0 else min(n - 1.0, n * math.pi * reach * reach / spawn_area)
        terms.append(
            (
                "neighbour pairs",
                PAIR_BYTES * n * per_agent / 2.0,
                ("n_agents", *side, *search, "spawn_extent"),
            )
        )
        if self.view_binning == "grid":
            grid = box / self.cell_size + 1.0
            padded = grid + k
            terms.append(
                (
                    "world grid",
                    grid * grid * (24.0 + 4.0 * channels) + padded * padded * 4.0 * channels,
                    (*side, "cell_size", "view_size"),
                )
            )
        if self.action_type == "discrete":
            terms.append(
                (
                    "turn table and one-hot actions",
                    8.0 * self.n_turns + 28.0 * n * self.n_turns,
                    ("n_turns", "n_agents"),
                )
            )
        return terms

    @property
    def memory_bytes(self) -> float:
        """Estimated bytes one copy allocates (what :func:`~swarmgym.core.config.check_memory` caps)."""
        return memory_estimate(self.memory_terms())

    @property
    def box(self) -> float:
        """Side L of the box: ``box_size`` or sqrt(N / density)."""
        return float(self.box_size) if self.box_size is not None else math.sqrt(self.n_agents / self.density)

    @property
    def view_radius(self) -> float:
        """Distance from an agent to the farthest point of its window (its corner): k * cell_size / sqrt 2."""
        return self.view_size * self.cell_size / math.sqrt(2.0)

    @property
    def search_radius(self) -> float:
        """One neighbour search covers everything: view (when binned exactly), Vicsek radius, Couzin zones."""
        view = self.view_radius if self.view_binning == "exact" else 0.0
        return max(view, self.radius, self.zone_attraction)

    @property
    def grid_cells(self) -> int:
        """Cells per side of the world grid of ``view_binning="grid"``: ceil(L / cell_size)."""
        return max(1, math.ceil(self.box / self.cell_size - 1e-9))

    @property
    def grid_side(self) -> float:
        """Side of one world-grid cell: L / grid_cells on a torus (the grid tiles it), else cell_size."""
        return self.box / self.grid_cells if self.torus else self.cell_size

    @property
    def turn_angles(self) -> np.ndarray:
        """(n_turns,) the discrete action's turn angles, evenly spaced in [-max_turn, max_turn]."""
        return np.linspace(-self.max_turn, self.max_turn, self.n_turns)
