"""Configuration of the consensus env (Kuramoto phases or continuous opinions on a lattice)."""

from __future__ import annotations

import math
from dataclasses import dataclass

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

FREQUENCY_LIMIT = 1e6
"""Bound of |mean_frequency| and of frequency_width (rad per unit time): the largest Lorentzian draw
(about 1.6e16 widths) stays finite in the float32 observation and state."""
NOISE_LIMIT = 1e6
"""Bound of phase_noise: with dt >= DT_MIN, phase increments and velocities stay far inside float64."""
DT_MIN = 1e-6
"""Smallest time step: the effective velocity increment / dt (metrics) stays finite when squared."""


@dataclass(frozen=True)
class ConsensusConfig:
    """Every field of ``consensus_v0``; pass any of them as keywords to the env constructors.

    Validation (``docs/reliability.md``): types are exact (bools are ``True`` / ``False``, ``size`` and
    ``view_size`` are ints); ``dt`` is in [1e-6, 1], ``frequency_width`` and ``phase_noise`` in
    [0, 1e6], ``mean_frequency`` in [-1e6, 1e6] (so phases, velocities and the float32 frequency
    channel stay finite); reward weights are in [-1e12, 1e12] and the largest per-step reward,
    ``|agreement_weight| + |team_weight| + action_cost * bound²``, at most 1e12; the memory one copy
    needs (observations N·k²·C·4 bytes twice, the padded (L + k)² window rasters) must stay under the cap
    of :func:`~swarmgym.core.config.memory_limit` (4 GiB by default).
    """

    state_kind: str = "phase"
    """``"phase"``: Kuramoto oscillators, theta in [0, 2*pi); ``"opinion"``: opinions x in [0, 1]."""
    size: int = 32
    """Side L of the L×L lattice, in [2, 4096]."""
    density: float = 1.0
    """Fraction of occupied cells, in (0, 1]; N = round(density * L^2) agents (1.0: every cell)."""
    torus: bool = True
    """Wrap around the edges; False puts walls around the lattice (windows read empty cells beyond them)."""
    view_size: int = 5
    """Side k of the egocentric window, odd, >= 1; also the neighbourhood of local coupling and rewards."""
    coupling: str = "local"
    """Which agents the exact aggregates in ``agent_info`` sum over (the rule-based agents' coupling):
    ``"local"``: the k×k window; ``"global"``: every agent of the copy (all-to-all, mean field)."""
    dt: float = 0.1
    """Time step of the phase dynamics, in [1e-6, 1]: theta advances by omega * dt per step."""
    frequency_distribution: str = "gaussian"
    """Natural frequencies omega: ``"gaussian"`` (std ``frequency_width``) or ``"lorentzian"``
    (half-width ``frequency_width``, the Kuramoto textbook case with K_c = 2 * gamma)."""
    frequency_width: float = 0.1
    """sigma of the Gaussian or gamma of the Lorentzian, in [0, 1e6] (0: identical oscillators)."""
    mean_frequency: float = 0.0
    """Centre omega_0 of the frequency distribution, in [-1e6, 1e6] (0: the co-rotating frame)."""
    quantile_frequencies: bool = False
    """Deterministic frequencies omega_i = F^-1((i + 1/2) / N) for agent_i (no sampling noise); agents still
    sit on random cells. False draws omega_i independently from F."""
    max_correction: float = 1.0
    """Phase action bound: actions are Box(-max_correction, max_correction, (1,)), in (0, pi]. The default
    exceeds dt * K for the reference agent's K = 2, so it is never saturated."""
    phase_noise: float = 0.0
    """Phase diffusion D in [0, 1e6]: each step adds D * sqrt(dt) * N(0, 1) to every phase."""
    max_step: float = 1.0
    """Opinion action bound: actions are Box(-max_step, max_step, (1,)), in (0, 1]."""
    zealot_fraction: float = 0.0
    """Opinion only: share of zealots in [0, 1), agent_0 .. agent_{Z-1}; they ignore their actions."""
    zealot_opinion: float | None = None
    """Opinion only: fixed opinion of every zealot in [0, 1]; None keeps each zealot's random start."""
    move_probability: float = 0.0
    """Random-walk mobility in [0, 1]: each step an agent tries a one-cell move with this probability
    (into a cell empty at the start of the step); needs density < 1. 0 keeps agents static."""
    agreement_weight: float = 1.0
    """Weight of the local agreement reward (mean cos of phase differences, or minus the mean squared
    opinion difference, over the other agents in view)."""
    team_weight: float = 0.0
    """Weight of the team term shared by all agents: the order parameter r (phase) or minus the opinion
    variance (opinion)."""
    action_cost: float = 0.0
    """Cost per squared action, >= 0."""
    cluster_gap: float = 0.01
    """Opinion clusters: sorted opinions are split wherever two consecutive ones differ by more than this,
    in (0, 1)."""
    major_cluster: float = 0.05
    """A cluster is major when it holds more than this fraction of the agents, in [0, 1)."""

    def __post_init__(self) -> None:
        check_choice("state_kind", self.state_kind, ("phase", "opinion"))
        check_int("size", self.size, 2, 4096)
        check_float("density", self.density, 0.0, 1.0, open_low=True)
        check_bool("torus", self.torus)
        check_odd("view_size", self.view_size, 1)
        check_choice("coupling", self.coupling, ("local", "global"))
        check_float("dt", self.dt, DT_MIN, 1.0)
        check_choice("frequency_distribution", self.frequency_distribution, ("gaussian", "lorentzian"))
        check_float("frequency_width", self.frequency_width, 0.0, FREQUENCY_LIMIT)
        check_float("mean_frequency", self.mean_frequency, -FREQUENCY_LIMIT, FREQUENCY_LIMIT)
        check_bool("quantile_frequencies", self.quantile_frequencies)
        check_float("max_correction", self.max_correction, 0.0, math.pi, open_low=True)
        check_float("phase_noise", self.phase_noise, 0.0, NOISE_LIMIT)
        check_float("max_step", self.max_step, 0.0, 1.0, open_low=True)
        check_float("zealot_fraction", self.zealot_fraction, 0.0, 1.0, open_high=True)
        if self.zealot_opinion is not None:
            check_float("zealot_opinion", self.zealot_opinion, 0.0, 1.0)
        if self.state_kind == "phase" and (self.zealot_fraction > 0 or self.zealot_opinion is not None):
            raise ValueError(
                "zealot_fraction / zealot_opinion apply to state_kind='opinion' only "
                "(set state_kind='opinion')"
            )
        check_float("move_probability", self.move_probability, 0.0, 1.0)
        for name in ("agreement_weight", "team_weight"):
            check_float(name, getattr(self, name), -REWARD_LIMIT, REWARD_LIMIT)
        check_float("action_cost", self.action_cost, 0.0, REWARD_LIMIT)
        bound = self.max_correction if self.state_kind == "phase" else self.max_step
        check_reward_scale(
            "consensus",
            [
                ("agreement_weight", self.agreement_weight, 1.0),
                ("team_weight", self.team_weight, 1.0),
                ("action_cost", self.action_cost, bound * bound),
            ],
        )
        check_float("cluster_gap", self.cluster_gap, 0.0, 1.0, open_low=True, open_high=True)
        check_float("major_cluster", self.major_cluster, 0.0, 1.0, open_high=True)
        check_related(
            self,
            self.n_agents >= 1,
            "density",
            ("size",),
            f"density={self.density} on a {self.size}x{self.size} lattice leaves no agent",
        )
        if self.move_probability > 0 and self.n_agents == self.size**2:
            raise ValueError(
                f"move_probability > 0 needs empty cells: density must be < 1, got {self.density}"
            )
        check_memory("consensus", self.memory_terms())

    def memory_terms(self) -> list[tuple[str, float, tuple[str, ...]]]:
        """What one copy allocates at construction, reset and step: ``(what, bytes, driving fields)``."""
        n, k, cells = float(self.n_agents), float(self.view_size), float(self.size * self.size)
        padded = (self.size + k) ** 2
        return [
            ("observations", 2.0 * n * k * k * 4 * 4, ("size", "density", "view_size")),
            ("window rasters", 80.0 * padded, ("size", "view_size")),
            ("lattice and per-agent arrays", 64.0 * cells + 200.0 * n, ("size", "density")),
        ]

    @property
    def memory_bytes(self) -> float:
        """Estimated bytes one copy allocates (what :func:`~swarmgym.core.config.check_memory` caps)."""
        return memory_estimate(self.memory_terms())

    @property
    def n_agents(self) -> int:
        """N, the number of agents."""
        return int(round(self.density * self.size**2))

    @property
    def n_zealots(self) -> int:
        """Z, the number of zealots (agents 0 .. Z-1)."""
        return int(round(self.zealot_fraction * self.n_agents))
