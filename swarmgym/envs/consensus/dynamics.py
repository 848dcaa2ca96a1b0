"""Kuramoto synchronisation and opinion consensus on a lattice: batch-first numpy dynamics.

No PettingZoo, no pygame. The exact neighbour aggregates used by the rule-based agents come from
:func:`coupling_sums` (phases) and :func:`opinion_coupling_sums` (opinions), pure functions that the
env's ``agent_info`` and the agents' RK4 integrator share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces
from scipy.special import ndtri

from swarmgym.core.lattice import resolve_claims, step_cells
from swarmgym.core.model import State, SwarmModel, Transition
from swarmgym.core.rng import BatchRandom
from swarmgym.core.window import HEADINGS, WindowIndex, box_sums, share, shared
from swarmgym.envs.consensus import metrics
from swarmgym.envs.consensus.config import ConsensusConfig

TWO_PI = 2.0 * np.pi


@dataclass
class ConsensusState(State):
    """Arrays of B copies × N agents.

    ``cell`` (B, N) int64 flat cell index r * L + c of each agent (distinct cells); ``value`` (B, N)
    float64 the internal state, phase theta in [0, 2*pi) or opinion x in [0, 1]; ``frequency`` (B, N)
    float64 natural frequencies omega (zeros for opinions); ``velocity`` (B, N) float64 the effective
    rate of the last step (d theta / dt for phases, starting at omega; the opinion change for opinions);
    ``last_action`` (B, N, 1) float32 the last step's actions (0 before the first step).

    Derived from the above by reset and step (never cached on the model, so one model serves any
    number of envs and threads): ``view_terms`` (B, N, 2) float64 each agent's [cos theta, sin theta]
    (phase) or [x, x^2] (opinion); ``view_sums`` (B, N, 2) float64 their sums over each k×k view, self
    included (one box-sum pass per step, shared by rewards, observations, metrics and agent_info);
    ``view_index`` (B,) object and ``view_index_copy`` (B,) int64 the
    :class:`~swarmgym.core.window.WindowIndex` of ``cell`` (view geometry and agents per view), stored
    with :func:`~swarmgym.core.window.share` and rebuilt by step only when the cells change (hooks
    build a temporary one when an auto-reset's ``put`` / ``take`` mixed copies or cells were edited).
    """

    cell: np.ndarray
    value: np.ndarray
    frequency: np.ndarray
    velocity: np.ndarray
    last_action: np.ndarray
    view_terms: np.ndarray
    view_sums: np.ndarray
    view_index: np.ndarray | None = None
    view_index_copy: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.view_index is None:  # a state built by hand: hooks build the geometry
            self.view_index, self.view_index_copy = share(None, self.batch)


def window_sums(values: np.ndarray, cell: np.ndarray, size: int, k: int, torus: bool) -> np.ndarray:
    """Per-agent sums of (B, N, C) ``values`` over the k×k window centred on each agent, itself included.

    Exact and O(L^2 C) whatever k: the values are scattered on a raster and summed with
    :func:`swarmgym.core.window.box_sums`. Returns (B, N, C) float64.
    """
    batch, n_agents, n_channels = values.shape
    raster = np.zeros((batch, size * size, n_channels))
    copy = np.arange(batch)[:, None]
    raster[copy, cell] = values
    sums = box_sums(raster.reshape(batch, size, size, n_channels), k, torus)
    return sums.reshape(batch, size * size, n_channels)[copy, cell]


def coupling_sums(
    phase: np.ndarray, cell: np.ndarray, size: int, k: int, torus: bool, coupling: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact Kuramoto aggregates over each agent's coupling set, the agent itself included.

    Returns (B, N) float64 arrays ``(sum_j sin(theta_j - theta_i), sum_j cos(theta_j - theta_i), n)``
    where j runs over the agents in i's k×k window (``coupling="local"``) or over all N agents of the
    copy (``"global"``), i included (it adds sin 0 = 0 and cos 0 = 1). Globally,
    ``sin_sum / n = r sin(psi - theta_i)``, the mean-field form of the Kuramoto coupling.
    """
    cos_i, sin_i = np.cos(phase), np.sin(phase)
    if coupling == "global":
        cos_sum = cos_i.sum(axis=1, keepdims=True)
        sin_sum = sin_i.sum(axis=1, keepdims=True)
        count = np.full(phase.shape, float(phase.shape[1]))
    else:
        sums = window_sums(np.stack([cos_i, sin_i, np.ones_like(cos_i)], axis=-1), cell, size, k, torus)
        cos_sum, sin_sum, count = sums[..., 0], sums[..., 1], sums[..., 2]
    return sin_sum * cos_i - cos_sum * sin_i, cos_sum * cos_i + sin_sum * sin_i, count


def opinion_coupling_sums(
    opinion: np.ndarray, cell: np.ndarray, size: int, k: int, torus: bool, coupling: str
) -> tuple[np.ndarray, np.ndarray]:
    """``(sum_j (x_j - x_i), n)`` over each agent's coupling set (k×k window or the whole copy), i included.

    (B, N) float64; DeGroot's step is ``sum / n`` (the equal-weight mean over the set, self included).
    """
    if coupling == "global":
        return opinion.sum(axis=1, keepdims=True) - opinion.shape[1] * opinion, np.full(
            opinion.shape, float(opinion.shape[1])
        )
    sums = window_sums(np.stack([opinion, np.ones_like(opinion)], axis=-1), cell, size, k, torus)
    return sums[..., 0] - sums[..., 1] * opinion, sums[..., 1]


def quantile_frequencies(n_agents: int, distribution: str, width: float, centre: float) -> np.ndarray:
    """(N,) deterministic frequencies omega_i = F^-1((i + 1/2) / N), i = 0 .. N-1, of the given F."""
    u = (np.arange(n_agents) + 0.5) / n_agents
    if distribution == "lorentzian":
        return centre + width * np.tan(np.pi * (u - 0.5))
    return centre + width * ndtri(u)


class ConsensusModel(SwarmModel):
    """Kuramoto phase synchronisation or opinion consensus of agents on an L×L lattice.

    ## Description
    N agents sit on distinct cells of an L×L lattice (a torus by default; every cell is occupied unless
    ``density < 1``; optional random-walk mobility). Each carries an internal state, chosen by
    ``state_kind``:

    * ``"phase"`` (Kuramoto 1975): a phase theta_i in [0, 2*pi) with a natural frequency omega_i drawn
      from a Gaussian (std sigma) or a Lorentzian (half-width gamma), or set to its quantiles
      ``F^-1((i + 1/2) / N)`` (``quantile_frequencies``). Each step
      ``theta_i <- theta_i + omega_i * dt + a_i (+ phase_noise * sqrt(dt) * xi)`` mod 2*pi. The rule-based
      ``kuramoto`` agent plays ``a_i = dt * K / n * sum_j sin(theta_j - theta_i)`` over its coupling set
      (Euler; RK4 optional) and so integrates d theta_i / dt = omega_i + (K / n) sum_j sin(theta_j - theta_i).
      With ``coupling="global"`` and Lorentzian frequencies it reproduces K_c = 2 * gamma and
      r = sqrt(1 - K_c / K) above it.
    * ``"opinion"`` (DeGroot 1974; Hegselmann-Krause 2002; Deffuant et al. 2000): an opinion x_i in
      [0, 1]. Each step ``x_i <- clip(x_i + a_i, 0, 1)``: it is the opinion *domain* that is clipped, not
      the action (actions outside the Box are refused, never clipped). Zealots (agent_0 .. agent_{Z-1},
      ``zealot_fraction``) keep their opinion whatever they play.

    Agents first update their state, then (with ``move_probability`` > 0) try a random one-cell step
    into a cell that was empty at the start of the step; simultaneous claims of one cell are resolved by
    a random priority from the env's seeded generator (never by agent order).

    ## Observation: ``Box((k, k, C), float32)``, egocentric, world-aligned (row 0 is up), relative
    Phase channels: ``occupied`` (1 where an agent sits), ``cos_diff`` and ``sin_diff``
    (cos / sin of theta_j - theta_i of the agent j in the cell, 0 on empty cells), ``frequency``
    (omega_j of the agent in the cell, the own one at the centre; 0 on empty cells). Opinion channels:
    ``occupied``, ``opinion_diff`` (x_j - x_i, 0 on empty cells), ``opinion`` (x_j, the own one at the
    centre, so an agent knows how near the domain edge it is), and ``zealot`` (1 on zealots, only when
    ``zealot_fraction > 0``). Phases enter only as differences, so the task is symmetric under a global
    phase shift. Cells beyond walls read as empty.

    ## Actions: ``Box(-m, m, (1,), float32)``
    Phase: a phase correction added on top of omega_i * dt, m = ``max_correction``. Opinion: the change
    of opinion, m = ``max_step``.

    ## Reward (all agents at once, after the step)
    ``agreement_weight * local + team_weight * team - action_cost * a^2``. Phase: local = mean over the
    other agents in the k×k view of cos(theta_j - theta_i), team = r. Opinion: local = minus the mean of
    (x_j - x_i)^2 over the others in view, team = minus the opinion variance. local = 0 with nobody in view.

    ## Start state and episode end
    Agents on distinct uniformly random cells; phases uniform in [0, 2*pi), opinions uniform in [0, 1)
    (zealots at ``zealot_opinion`` when given). No termination; truncation after ``max_cycles`` steps
    (default 300).

    ## Metrics (``infos[agent]``, per step)
    Phase: ``order_parameter`` (r), ``local_order`` (mean over agents of the order parameter of their
    view, self included), ``frequency_spread`` (std of the effective phase velocities of the last step).
    Opinion: ``disagreement`` (variance), ``n_clusters`` and ``n_major_clusters`` (sorted opinions split at
    gaps > ``cluster_gap``; major: more than ``major_cluster`` of the agents), ``largest_cluster``
    (fraction), ``mean_opinion``. :func:`swarmgym.envs.consensus.metrics.convergence_time` turns a
    series into the first step at which it crosses a threshold and stays (None: not reached).

    ## Privileged agent info (``agent_info``, for reference agents)
    ``neighbour_mean_action`` (B, N, 1): mean last action of the others in view (0 if none);
    ``coupled_count`` (B, N): size n of the coupling set (k×k view, or all N with
    ``coupling="global"``), the agent included. Phase: ``coupled_sin`` / ``coupled_cos``: sums over that set
    of sin / cos(theta_j - theta_i); ``phase``, ``frequency``, ``cell`` (for the RK4 integrator).
    Opinion: ``coupled_diff_sum``: sum over the set of x_j - x_i; ``opinion``, ``zealot``, ``cell``
    (global Hegselmann-Krause and Deffuant work on the whole copy's opinions).

    ## Arguments
    See :class:`swarmgym.envs.consensus.config.ConsensusConfig` (state_kind, size, density, torus,
    view_size, coupling, dt, frequencies, action bounds, noise, zealots, mobility, reward weights,
    cluster thresholds).

    ## Version History
    * v0: initial release.

    ## References
    Y. Kuramoto, Chemical Oscillations, Waves, and Turbulence (1984); S. Strogatz, From Kuramoto to
    Crawford, Physica D 143 (2000); H. Hong, H. Park, M. Choi, Collective synchronization in spatially
    extended systems of coupled oscillators with random frequencies, Phys. Rev. E 72 (2005);
    M. DeGroot, Reaching a consensus, JASA 69 (1974); R. Hegselmann, U. Krause, Opinion dynamics and
    bounded confidence, JASSS 5 (2002); G. Deffuant, D. Neau, F. Amblard, G. Weisbuch, Mixing beliefs
    among interacting agents, Adv. Complex Syst. 3 (2000).
    """

    name = "consensus_v0"
    config_cls = ConsensusConfig
    render_fps = 15

    def __init__(self, config: ConsensusConfig):
        super().__init__(config)
        k, size = config.view_size, config.size
        self.phase = config.state_kind == "phase"
        # Constants of the config only (read-only): the model holds no state, so it may be shared.
        self.zealot = np.arange(config.n_agents) < config.n_zealots
        self.zealot.flags.writeable = False
        if self.phase:
            self.channels = ("occupied", "cos_diff", "sin_diff", "frequency")
            low, high = [0.0, -1.0, -1.0, -np.inf], [1.0, 1.0, 1.0, np.inf]
            bound = config.max_correction
            state_low, state_high = [0.0, 0.0, -np.inf], [1.0, TWO_PI, np.inf]
        else:
            self.channels = ("occupied", "opinion_diff", "opinion") + (
                ("zealot",) if config.n_zealots else ()
            )
            low, high = [0.0, -1.0, 0.0, 0.0][: len(self.channels)], [1.0] * len(self.channels)
            bound = config.max_step
            state_low, state_high = [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]
        shape = (k, k, len(self.channels))
        self._record = np.dtype((np.void, 4 * len(self.channels)))  # one cell's C float32 channels
        self.observation_space = spaces.Box(
            np.broadcast_to(np.float32(low), shape),
            np.broadcast_to(np.float32(high), shape),
            dtype=np.float32,
        )
        self.action_space = spaces.Box(-bound, bound, (1,), np.float32)
        self.state_space = spaces.Box(
            np.broadcast_to(np.float32(state_low), (size, size, 3)),
            np.broadcast_to(np.float32(state_high), (size, size, 3)),
            dtype=np.float32,
        )

    @property
    def n_agents(self) -> int:
        """N agents per copy."""
        return self.config.n_agents

    def reset(self, rng: BatchRandom) -> ConsensusState:
        """Random distinct cells; uniform phases with their frequencies, or uniform opinions."""
        cfg = self.config
        n = self.n_agents
        cell = np.argsort(rng.permutation_keys(cfg.size * cfg.size), axis=1)[:, :n]
        if self.phase:
            value = rng.uniform(0.0, TWO_PI, (n,))
            if cfg.quantile_frequencies:
                omega = quantile_frequencies(
                    n, cfg.frequency_distribution, cfg.frequency_width, cfg.mean_frequency
                )
                frequency = np.broadcast_to(omega, value.shape).copy()
            elif cfg.frequency_distribution == "lorentzian":
                # Inverse-CDF sampling; u in [0, 1) maps to a finite value except u = 0 (probability 2^-53).
                frequency = cfg.mean_frequency + cfg.frequency_width * np.tan(
                    np.pi * (rng.random((n,)) - 0.5)
                )
            else:
                frequency = cfg.mean_frequency + cfg.frequency_width * rng.normal((n,))
            velocity = frequency.copy()
        else:
            value = rng.random((n,))
            if cfg.zealot_opinion is not None:
                value[:, self.zealot] = cfg.zealot_opinion
            frequency = np.zeros_like(value)
            velocity = np.zeros_like(value)
        geometry = self._build_geometry(cell)
        view_terms, view_sums, _, _ = self._view_sums(value, geometry)
        view_index, view_index_copy = share(geometry, rng.batch)
        return ConsensusState(
            t=np.zeros(rng.batch, dtype=np.int64),
            cell=cell,
            value=value,
            frequency=frequency,
            velocity=velocity,
            last_action=np.zeros((rng.batch, n, 1), dtype=np.float32),
            view_terms=view_terms,
            view_sums=view_sums,
            view_index=view_index,
            view_index_copy=view_index_copy,
        )

    def step(self, state: ConsensusState, actions: np.ndarray, rng: BatchRandom) -> Transition:
        """Apply every action at once (phase correction or opinion change), then move, then reward."""
        cfg = self.config
        action = actions[..., 0].astype(np.float64)
        if self.phase:
            increment = state.frequency * cfg.dt + action
            if cfg.phase_noise > 0:
                increment += cfg.phase_noise * np.sqrt(cfg.dt) * rng.normal((self.n_agents,))
            phase = np.mod(state.value + increment, TWO_PI)
            phase[phase >= TWO_PI] = 0.0  # mod of a tiny negative number rounds up to 2*pi
            state.value = phase
            increment /= cfg.dt
            state.velocity = increment
        else:
            # The domain [0, 1] is clipped, not the action (which the core has validated).
            opinion = np.clip(state.value + action, 0.0, 1.0)
            if self.config.n_zealots:
                opinion[:, self.zealot] = state.value[:, self.zealot]
            state.velocity = opinion - state.value
            state.value = opinion
        # The core hands over a validated float32 copy: keep it (a copy when the dtype differs).
        state.last_action = actions.astype(np.float32, copy=False)
        moved = cfg.move_probability > 0 and self._move(state, rng)
        geometry = None if moved else shared(state.view_index, state.view_index_copy)
        if geometry is None or not geometry.matches(state.cell):
            geometry = self._build_geometry(state.cell)
            state.view_index, state.view_index_copy = share(geometry, state.batch)
        state.view_terms, state.view_sums, first, second = self._view_sums(state.value, geometry)
        return Transition(
            self._rewards(state, action, geometry, first, second), np.zeros(action.shape, dtype=bool)
        )

    def _build_geometry(self, cell: np.ndarray) -> WindowIndex:
        """A new :class:`WindowIndex` of the (B, N) cells (view geometry, agents per view)."""
        cfg = self.config
        return WindowIndex(cell, cfg.size, cfg.view_size, cfg.torus)

    def _geometry(self, state: ConsensusState) -> WindowIndex:
        """The :class:`WindowIndex` stored in ``state``, or a temporary one if it no longer fits.

        It does not fit when put / take mixed the copies, or the cells were changed by hand (compared
        as bytes: a few microseconds).
        """
        geometry = shared(state.view_index, state.view_index_copy)
        if geometry is None or not geometry.matches(state.cell):
            return self._build_geometry(state.cell)
        return geometry

    def _view_sums(
        self, value: np.ndarray, geometry: WindowIndex
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per-agent terms [cos, sin] (phase) or [x, x^2] (opinion) and their sums over each k×k view.

        Returns ``(view_terms, view_sums)``, (B, N, 2) float64 each (the view includes the agent), and
        the two terms as contiguous (B, N) float64 columns.
        """
        first, second = (np.cos(value), np.sin(value)) if self.phase else (value, value * value)
        pair = np.empty((*value.shape, 2))
        pair[..., 0] = first
        pair[..., 1] = second
        summed = geometry.box_sums(pair.reshape(-1).view(np.complex128))
        return pair, summed.view(np.float64).reshape(*value.shape, 2), first, second

    def _rewards(
        self,
        state: ConsensusState,
        action: np.ndarray,
        geometry: WindowIndex,
        first: np.ndarray,
        second: np.ndarray,
    ) -> np.ndarray:
        """(B, N) float32 local agreement + team term - action cost (zero-weighted terms are skipped)."""
        cfg = self.config
        x, sums = state.value, state.view_sums
        if self.phase:
            # sum over the others in view of cos(theta_j - theta_i): the agent itself adds cos 0 = 1.
            total = sums[..., 0] * first
            total += sums[..., 1] * second
            total -= 1.0
        else:
            # minus the sum over the view of (x_j - x_i)^2; the agent itself adds 0.
            total = -np.maximum(sums[..., 1] - 2.0 * x * sums[..., 0] + geometry.count * x * x, 0.0)
        reward = total * geometry.inv_others
        if cfg.agreement_weight != 1.0:
            reward *= cfg.agreement_weight
        if cfg.team_weight != 0.0:
            team = np.hypot(first.mean(axis=1), second.mean(axis=1)) if self.phase else -x.var(axis=1)
            reward += cfg.team_weight * team[:, None]
        if cfg.action_cost != 0.0:
            reward -= cfg.action_cost * action**2
        return reward.astype(np.float32)

    def _move(self, state: ConsensusState, rng: BatchRandom) -> bool:
        """Random-walk mobility: a try with probability p, uniform direction, into a cell empty before.

        Returns whether any agent moved.
        """
        cfg = self.config
        size = cfg.size
        batch = state.batch
        draws = rng.random((self.n_agents, 3))
        trying = draws[..., 0] < cfg.move_probability
        step = HEADINGS[np.minimum((draws[..., 1] * 4).astype(np.int64), 3)]
        target, inside = step_cells(state.cell, step, size, cfg.torus)
        occupied = np.zeros((batch, size * size), dtype=bool)
        occupied[np.arange(batch)[:, None], state.cell] = True
        claims = trying & inside & ~np.take_along_axis(occupied, target, axis=1)
        winners = resolve_claims(claims, target, draws[..., 2], size * size)
        state.cell = np.where(winners, target, state.cell)
        return bool(winners.any())

    def observe(self, state: ConsensusState) -> np.ndarray:
        """(B, N, k, k, C) float32 relative windows: one gather of per-cell records, then a rotation."""
        cfg = self.config
        batch, n = state.cell.shape
        k = cfg.view_size
        x = state.value
        n_channels = len(self.channels)
        geometry = self._geometry(state)
        # One record of C float32 per agent, gathered as one fixed-size item per window cell.
        records = np.empty((batch * n, n_channels), dtype=np.float32)
        records[:, 0] = 1.0
        if self.phase:
            cos_i, sin_i = state.view_terms[..., 0].reshape(-1), state.view_terms[..., 1].reshape(-1)
            records[:, 1] = cos_i
            records[:, 2] = sin_i
            records[:, 3] = state.frequency.reshape(-1)
        else:
            x = x.reshape(-1)
            records[:, 1] = x
            records[:, 2] = x
            if n_channels == 4:
                records[:, 3] = np.broadcast_to(self.zealot, state.value.shape).reshape(-1)
        gathered = geometry.windows(records.view(self._record).reshape(-1))
        windows = gathered.view(np.float32).reshape(batch * n, k * k, n_channels)
        if self.phase:
            # In place: (cos_j + i sin_j)(cos_i - i sin_i) = cos(th_j - th_i) + i sin(th_j - th_i).
            rotated = windows[..., 1:3].view(np.complex64)[..., 0]
            # Scaling by 1 - 2^-20 (< 1e-6) bounds the float32 rounding (a few 2^-24) so cos_diff and
            # sin_diff never leave [-1, 1]; a clip of the strided channels costs ten times more.
            own = np.empty(batch * n, dtype=np.complex64)
            own.real = (1.0 - 2.0**-20) * cos_i
            own.imag = (2.0**-20 - 1.0) * sin_i
            np.multiply(rotated, own[:, None], out=rotated)
        else:
            windows[..., 1] -= windows[..., 0] * x.astype(np.float32)[:, None]
        return windows.reshape(batch, n, k, k, n_channels)

    def metrics(self, state: ConsensusState) -> dict[str, np.ndarray]:
        """Phase: order parameter, local order, frequency spread. Opinion: disagreement and clusters."""
        cfg = self.config
        x, sums = state.value, state.view_sums
        if self.phase:
            return {
                "order_parameter": metrics.order_parameter(x),
                "local_order": metrics.local_order(
                    sums[..., 0], sums[..., 1], self._geometry(state).count
                ),
                "frequency_spread": metrics.frequency_spread(state.velocity),
            }
        n_clusters, n_major, largest = metrics.opinion_clusters(x, cfg.cluster_gap, cfg.major_cluster)
        return {
            "disagreement": metrics.disagreement(x),
            "n_clusters": n_clusters,
            "n_major_clusters": n_major,
            "largest_cluster": largest,
            "mean_opinion": x.mean(axis=1),
        }

    def global_state(self, state: ConsensusState) -> np.ndarray:
        """(B, L, L, 3) float32 raster: occupied, phase or opinion, frequency or zealot (0 on empty cells)."""
        cfg = self.config
        batch = state.batch
        raster = np.zeros((batch, cfg.size * cfg.size, 3), dtype=np.float32)
        third = state.frequency if self.phase else np.broadcast_to(self.zealot, state.value.shape)
        raster[np.arange(batch)[:, None], state.cell] = np.stack(
            [np.ones_like(state.value), state.value, third], -1
        )
        return raster.reshape(batch, cfg.size, cfg.size, 3)

    def agent_info(self, state: ConsensusState) -> dict[str, np.ndarray]:
        """Exact coupling aggregates, the raw state the global rules need, and the mean-field input."""
        cfg = self.config
        x, sums = state.value, state.view_sums
        geometry = self._geometry(state)
        action = state.last_action[..., 0].astype(np.float64)
        action_sum = geometry.box_sums(action.reshape(-1)).reshape(x.shape)
        mean_action = ((action_sum - action) * geometry.inv_others)[..., None]
        info = {"neighbour_mean_action": mean_action.astype(np.float32), "cell": state.cell.copy()}
        if self.phase:
            if cfg.coupling == "local":  # the cached view sums are the local coupling sums
                cos_i, sin_i = state.view_terms[..., 0], state.view_terms[..., 1]
                sin_sum = sums[..., 1] * cos_i - sums[..., 0] * sin_i
                cos_sum = sums[..., 0] * cos_i + sums[..., 1] * sin_i
                count = geometry.count.copy()
            else:
                sin_sum, cos_sum, count = coupling_sums(
                    x, state.cell, cfg.size, cfg.view_size, cfg.torus, "global"
                )
            info.update(
                coupled_sin=sin_sum,
                coupled_cos=cos_sum,
                coupled_count=count,
                phase=x.copy(),
                frequency=state.frequency.copy(),
            )
        else:
            if cfg.coupling == "local":
                diff_sum, count = sums[..., 0] - geometry.count * x, geometry.count.copy()
            else:
                diff_sum, count = opinion_coupling_sums(
                    x, state.cell, cfg.size, cfg.view_size, cfg.torus, "global"
                )
            info.update(
                coupled_diff_sum=diff_sum,
                coupled_count=count,
                opinion=x.copy(),
                zealot=np.broadcast_to(self.zealot, x.shape).copy(),
            )
        return info

    def render(self, canvas, state: ConsensusState, copy: int, metrics_now: dict[str, float]) -> None:
        """Draw the lattice coloured by phase (hue wheel) or opinion, with the live order parameter."""
        from swarmgym.envs.consensus.render import draw

        cfg = self.config
        draw(
            canvas,
            state.cell[copy],
            state.value[copy],
            cfg.size,
            cfg.state_kind,
            int(state.t[copy]),
            metrics_now,
        )
