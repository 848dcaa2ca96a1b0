"""Vicsek/Couzin flocking: batch-first numpy dynamics (no PettingZoo, no pygame)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from gymnasium import spaces

from swarmgym.core.compiled import fma32, kernel
from swarmgym.core.model import State, SwarmModel, Transition
from swarmgym.core.rng import BatchRandom
from swarmgym.core.spatial import Pairs, nearest_neighbour_distance, unique_pairs
from swarmgym.core.window import share, shared
from swarmgym.envs.flocking import metrics
from swarmgym.envs.flocking.config import FlockingConfig


@dataclass
class FlockingState(State):
    """Arrays of B copies: ``position`` (B, N, 2) float64 (x, y) and ``heading`` (B, N) float64 in [-pi, pi).

    ``last_action`` (B, N, A) float32 is the previous step's action as the mean-field agents read it:
    the turn (A = 1) for the Box action, the one-hot turn index (A = n_turns) for the Discrete one;
    zeros before the first step.

    Derived by reset and step (never cached on the model, so one model serves any number of envs and
    threads): ``neighbourhood`` (B,) object and ``neighbourhood_copy`` (B,) int64, the
    :class:`Neighbourhood` of these positions and headings (one neighbour search shared by rewards,
    observations, metrics and agent info; its pair lists have no fixed size per copy), stored with
    :func:`swarmgym.core.window.share`. When an auto-reset's ``put`` / ``take`` mixed the copies, or
    positions or headings were changed by hand, the hooks search again (without storing). A state built
    by hand may leave both out (the hooks then search).
    """

    position: np.ndarray
    heading: np.ndarray
    last_action: np.ndarray
    neighbourhood: np.ndarray | None = None
    neighbourhood_copy: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.neighbourhood is None:
            self.neighbourhood, self.neighbourhood_copy = share(None, self.batch)


def wrap_angle(angle: np.ndarray) -> np.ndarray:
    """Angles mapped to [-pi, pi)."""
    return (angle + np.pi) % (2 * np.pi) - np.pi


class Neighbourhood:
    """What one state's positions and headings determine, computed once and shared by every hook.

    One cell-list search (:func:`swarmgym.core.spatial.unique_pairs`) finds each unordered pair within
    ``config.search_radius`` (view, r and Couzin zones) once: ``unique`` (owner i, neighbour j, offset
    x_j - x_i); one pass over it (:func:`_within_r`) gives ``count`` (B*N,), the number of other agents
    within r, ``alignment_sum``, the sum of their cos(theta_j - theta_i), and ``collisions``, the
    number of other agents closer than ``min_distance``. The ordered lists ``everyone`` / ``within_r``
    and the heading sums ``cos_sum`` / ``sin_sum`` (agent info and metrics) are built on first use
    only; ``cos``, ``sin`` (B*N,) are each agent's own heading unit vector. Built from (B, N, 2)
    positions and (B, N) headings; ``batch`` is B.
    """

    def __init__(self, position: np.ndarray, heading: np.ndarray, box: float, cfg: FlockingConfig):
        self.position = position.copy()
        self.heading = heading.copy()
        self.batch = heading.shape[0]
        self.config = cfg
        flat = self.heading.ravel()
        self.size = size = flat.shape[0]
        self.cos, self.sin = np.cos(flat), np.sin(flat)
        search = cfg.search_radius
        self.unique = pairs = unique_pairs(self.position, box, cfg.torus, search * (1 + 1e-9))
        radius = cfg.radius if cfg.radius < search else np.inf
        self.count, self.alignment_sum, self.collisions = _within_r(
            pairs.owner, pairs.neighbour, pairs.distance, self.cos, self.sin, radius, cfg.min_distance, size
        )
        # Shared by every hook reading this state (and by the copies ``take`` makes): read-only.
        for array in (*vars(self).values(), *vars(pairs).values()):
            if isinstance(array, np.ndarray):
                array.flags.writeable = False

    @cached_property
    def everyone(self) -> Pairs:
        """Ordered pairs (both directions) within ``config.search_radius``."""
        return self.unique.mirrored()

    @cached_property
    def within_r(self) -> Pairs:
        """Ordered pairs closer than r."""
        cfg = self.config
        return self.everyone.within(cfg.radius) if cfg.radius < cfg.search_radius else self.everyone

    @cached_property
    def cos_sum(self) -> np.ndarray:
        """(B*N,) sum of cos(theta_j) over the other agents within r."""
        pairs = self.within_r
        return np.bincount(pairs.owner, self.cos[pairs.neighbour], minlength=self.size)

    @cached_property
    def sin_sum(self) -> np.ndarray:
        """(B*N,) sum of sin(theta_j) over the other agents within r."""
        pairs = self.within_r
        return np.bincount(pairs.owner, self.sin[pairs.neighbour], minlength=self.size)

    def matches(self, state: FlockingState) -> bool:
        """Whether ``state`` still has exactly these positions and headings."""
        return (
            self.position.shape == state.position.shape
            and self.heading.shape == state.heading.shape
            and _equal(self.position, state.position)
            and _equal(self.heading, state.heading)
        )


class FlockingModel(SwarmModel):
    """Vicsek/Couzin flocking: self-propelled agents in a continuous box turn to align with their neighbours.

    ## Description
    N agents move at constant speed v0 (``speed``) in an L×L box, periodic by default (``torus``) or
    walled (agents reflect off the walls: the normal velocity component flips). Each step, in
    Vicsek's order: every agent turns by its action, the env adds angular noise
    xi ~ U[-eta/2, eta/2] (eta = ``noise``, the full width, Vicsek's convention), then every agent
    moves by v0 along its new heading. With the rule-based ``vicsek`` agent (turn to the mean heading
    of all agents within r including itself) this is exactly the Vicsek model (1995): at density 4 the
    polarisation falls from ≈ 0.99 at eta = 0.5 to ≈ 0.23 at eta = 4 (N = 300). With the ``couzin``
    agent and the registry presets ``couzin_mill`` / ``couzin_parallel`` (Couzin et al. 2002's units,
    r_r = 1) a narrow orientation zone gives a mill and a wide one a parallel group.

    ## Actions
    ``action_type="continuous"``: ``Box(-max_turn, max_turn, (1,), float32)``, the turn in radians
    (the bounds are legal actions; max_turn = pi reaches every heading). ``action_type="discrete"``:
    ``Discrete(n_turns)``, action a turns by ``linspace(-max_turn, max_turn, n_turns)[a]`` (n_turns is
    odd, so the middle action goes straight).

    ## Observation: ``Box((k, k, C), float32)``, egocentric
    A k×k grid (k = ``view_size``) of square cells of side ``cell_size`` centred on the agent; with
    ``rotate_view`` it is turned to the agent's heading (row 0 ahead, column 0 left), otherwise
    world-aligned (row 0 is +y, column 0 is -x). Channels, in order:

    * ``count``: number of other agents in the cell (the agent itself is not counted), in [0, N - 1];
    * ``cos``: mean cos(theta_j - theta_i) of the relative headings of the agents in the cell (0 if empty);
    * ``sin``: mean sin(theta_j - theta_i) likewise (positive: the neighbour heads to the agent's left);
    * ``wall`` (only when ``torus=False``): 1 where the cell's centre lies outside the box.

    Cells hold everyone whose minimum-image offset falls in them, so the observation alone carries the
    local alignment rule (the ``vicsek_local`` agent acts on it only).

    ``view_binning="grid"`` (with ``rotate_view=False``) is the fast approximation for large swarms and
    views: every agent is binned once into a world-aligned grid (cells of side L / ceil(L / cell_size)
    on a torus) and the window is the k×k block of grid cells around the agent's own cell, so cells
    are not centred on the agent (offsets are exact to within one cell). The channels are the same;
    headings stay relative to the agent's own.

    ## Reward (all agents at once, after the move)
    ``alignment_weight * mean_{j within r} cos(theta_j - theta_i)`` (0 with no neighbour)
    ``- isolation_penalty * [no other agent within r]``
    ``- collision_penalty * #{j : |x_j - x_i| < min_distance}``
    ``+ team_weight * phi`` (the copy's global polarisation, a shared team term; off by default).

    ## Start state and episode end
    Positions uniform in the centred square of side ``spawn_extent * L``, headings uniform in [-pi, pi).
    No termination; truncation after ``max_cycles`` steps (default 500).

    ## Metrics (``infos[agent]``, per step)
    ``polarisation`` phi = |mean e^{i theta}|; ``milling`` |mean r̂_ic × v̂_i| (centroid by circular
    mean on a torus); ``largest_cluster`` (fraction of agents in the largest connected component of the
    graph of pairs closer than r); ``n_clusters``; ``nearest_neighbour_distance`` (mean over agents);
    ``collision_rate`` (fraction of agents with someone closer than ``min_distance``).

    ## Privileged agent info (``model.agent_info``; not part of the observation)
    Exact aggregates over the agents within r found by the cell-list search of
    :mod:`swarmgym.core.spatial`: ``neighbour_count`` (B, N) including the agent itself,
    ``neighbour_heading_sum`` (B, N, 2) sum of (cos, sin) of their headings including itself,
    ``heading`` (B, N); Couzin zone aggregates over the neighbours outside the blind angle:
    ``repulsion_count`` / ``repulsion_sum`` (sum of unit vectors towards neighbours closer than r_r),
    ``orientation_count`` / ``orientation_sum`` (sum of heading unit vectors of neighbours in
    [r_r, r_o)), ``attraction_count`` / ``attraction_sum`` (unit vectors towards neighbours in
    [r_o, r_a)), counts (B, N) int64 and sums (B, N, 2) in world coordinates, the agent itself excluded;
    ``neighbour_mean_action`` (B, N, A) float32: mean ``last_action`` of the other agents within r.

    ## Arguments
    See :class:`swarmgym.envs.flocking.config.FlockingConfig` (n_agents, density or box_size, torus,
    speed, radius, noise, view_size, cell_size, rotate_view, action_type, max_turn, n_turns, Couzin zones
    and blind angle, spawn_extent, reward weights, min_distance).

    ## Version History
    * v0: initial release.

    ## References
    T. Vicsek, A. Czirók, E. Ben-Jacob, I. Cohen, O. Shochet, Novel type of phase transition in a system
    of self-driven particles, Phys. Rev. Lett. 75 (1995) 1226. I. D. Couzin, J. Krause, R. James,
    G. D. Ruxton, N. R. Franks, Collective memory and spatial sorting in animal groups, J. Theor. Biol.
    218 (2002) 1.
    """

    name = "flocking_v0"
    config_cls = FlockingConfig
    render_fps = 20

    def __init__(self, config: FlockingConfig):
        super().__init__(config)
        # Only constants of the config live here (read-only): the model holds no state.
        cfg = config
        self.box = cfg.box
        self.grid_cells, self.grid_side = cfg.grid_cells, cfg.grid_side  # per step otherwise
        self.channels = ("count", "cos", "sin") + (() if cfg.torus else ("wall",))
        k, n_channels = cfg.view_size, len(self.channels)
        low = np.zeros((k, k, n_channels), dtype=np.float32)
        high = np.ones((k, k, n_channels), dtype=np.float32)
        low[..., 1:3] = -1.0
        high[..., 0] = cfg.n_agents - 1
        self.observation_space = spaces.Box(low, high, dtype=np.float32)
        if cfg.action_type == "continuous":
            self.action_space = spaces.Box(-cfg.max_turn, cfg.max_turn, (1,), np.float32)
            self.action_dim = 1
        else:
            self.action_space = spaces.Discrete(cfg.n_turns)
            self.action_dim = cfg.n_turns
        self.turn_angles = np.array(cfg.turn_angles)
        self.turn_angles.flags.writeable = False
        n = cfg.n_agents
        self.state_space = spaces.Box(
            np.tile(np.array([0.0, 0.0, -np.pi], dtype=np.float32), (n, 1)),
            np.tile(np.array([self.box, self.box, np.pi], dtype=np.float32), (n, 1)),
            dtype=np.float32,
        )

    @property
    def n_agents(self) -> int:
        """N agents per copy."""
        return self.config.n_agents

    # -- state transitions -------------------------------------------------------------------------

    def reset(self, rng: BatchRandom) -> FlockingState:
        """Uniform positions in the spawn square and uniform headings, copy b from its own generator."""
        cfg = self.config
        n = self.n_agents
        draws = rng.random((3 * n,))
        side = cfg.spawn_extent * self.box
        position = (self.box - side) / 2 + side * draws[:, : 2 * n].reshape(rng.batch, n, 2)
        heading = wrap_angle(2 * np.pi * draws[:, 2 * n :] - np.pi)
        neighbourhood, neighbourhood_copy = share(Neighbourhood(position, heading, self.box, cfg), rng.batch)
        return FlockingState(
            t=np.zeros(rng.batch, dtype=np.int64),
            position=position,
            heading=heading,
            last_action=np.zeros((rng.batch, n, self.action_dim), dtype=np.float32),
            neighbourhood=neighbourhood,
            neighbourhood_copy=neighbourhood_copy,
        )

    def step(self, state: FlockingState, actions: np.ndarray, rng: BatchRandom) -> Transition:
        """Turn by the action, add noise U[-eta/2, eta/2], then move by v0 along the new heading."""
        cfg = self.config
        noise = rng.uniform(-cfg.noise / 2, cfg.noise / 2, (self.n_agents,))
        if cfg.action_type == "continuous":
            turn = actions[..., 0].astype(np.float64)
            state.last_action = actions.astype(np.float32).reshape(state.heading.shape + (1,))
        else:
            turn = self.turn_angles[actions]
            state.last_action = np.eye(self.action_dim, dtype=np.float32)[actions]
        heading = state.heading + turn + noise
        position = np.empty(state.position.shape)
        cos, sin = np.cos(heading), np.sin(heading)
        _move(state.position, heading, cos, sin, cfg.speed, self.box, cfg.torus, position)
        state.position, state.heading = position, heading
        local = Neighbourhood(state.position, state.heading, self.box, cfg)
        state.neighbourhood, state.neighbourhood_copy = share(local, state.batch)
        return Transition(self._rewards(state, local), np.zeros(state.heading.shape, dtype=bool))

    def _rewards(self, state: FlockingState, local: Neighbourhood) -> np.ndarray:
        """(B, N) float32 alignment + cohesion - collisions + team term, after the move."""
        cfg = self.config
        batch, n = state.heading.shape
        team = cfg.team_weight * metrics.polarisation(state.heading) if cfg.team_weight else np.empty(0)
        rewards = np.empty((batch, n), dtype=np.float32)
        _rewards(
            local.count,
            local.alignment_sum,
            local.collisions,
            cfg.alignment_weight,
            cfg.isolation_penalty,
            cfg.collision_penalty,
            team,
            rewards,
        )
        return rewards

    # -- neighbour search (shared by rewards, observations, metrics and agent info) -----------------

    def local(self, state: FlockingState) -> Neighbourhood:
        """The :class:`Neighbourhood` that reset or step stored in ``state``.

        step (rewards), observe, metrics and agent_info of one state all read one neighbour search. A
        new one is searched (and not stored) when ``put`` / ``take`` mixed the copies or the positions
        or headings no longer equal those it was built from (e.g. changed by hand).
        """
        local = shared(state.neighbourhood, state.neighbourhood_copy)
        if local is None or not local.matches(state):
            local = Neighbourhood(state.position, state.heading, self.box, self.config)
        return local

    def pairs(self, state: FlockingState) -> Pairs:
        """All neighbour pairs within ``config.search_radius`` (see :meth:`local`)."""
        return self.local(state).everyone

    # -- observation, metrics, global state, agent info ---------------------------------------------

    def observe(self, state: FlockingState) -> np.ndarray:
        """(B, N, k, k, C) float32: per-cell neighbour count, mean relative heading cos / sin, walls."""
        cfg = self.config
        if cfg.view_binning == "grid":
            return self._observe_grid(state)
        batch, n = state.heading.shape
        k = cfg.view_size
        local = self.local(state)
        pairs = local.unique
        cut = cfg.view_radius * (1 + 1e-9)
        size, n_pairs = local.size, len(pairs)
        # Scratch allocated by numpy (its allocator reuses freed memory: no fresh pages to fault in).
        order, owned = np.empty(size, dtype=np.int64), np.empty((size, 2), dtype=np.int64)
        first = np.empty(size + 1, dtype=np.int64)
        if size >= 2**31:  # int32 records (one (B*N, k, k) float32 channel alone would be 8 GiB+ here)
            raise ValueError(f"the exact view supports fewer than 2**31 agents in all copies, got {size}")
        mine, theirs = np.empty((n_pairs, 2), dtype=np.int32), np.empty((n_pairs, 2), dtype=np.int32)
        _bin_pairs(
            pairs.owner,
            pairs.neighbour,
            pairs.offset[:, 0],
            pairs.offset[:, 1],
            pairs.distance,
            local.cos,
            local.sin,
            cut if cut < cfg.search_radius else np.inf,
            cfg.cell_size,
            cfg.rotate_view,
            k,
            order,
            owned,
            first,
            mine,
            theirs,
        )
        obs = np.empty((batch * n, k, k, len(self.channels)), dtype=np.float32)
        position = local.position.reshape(-1, 2)
        _observe_exact(
            order, owned, first, mine, theirs, local.cos, local.sin, position, cfg.cell_size, cfg.rotate_view,
            self.box, obs,
        )
        return obs.reshape(batch, n, k, k, -1)

    def _observe_grid(self, state: FlockingState) -> np.ndarray:
        """``view_binning="grid"``: one binning of all agents per copy, then every agent's k×k block.

        Means are taken per world cell before the crop (O(cells), not O(N k²)); only the agent's own
        centre cell is corrected (itself removed), and every window is turned into headings relative
        to the agent's own, all in one compiled pass (:func:`_observe_grid`).
        """
        cfg = self.config
        batch, n = state.heading.shape
        local = self.local(state)
        obs = np.empty((batch * n, cfg.view_size, cfg.view_size, len(self.channels)), dtype=np.float32)
        position = local.position.reshape(-1, 2)
        _observe_grid(position, local.cos, local.sin, n, self.grid_cells, self.grid_side, cfg.torus, obs)
        return obs.reshape(batch, n, cfg.view_size, cfg.view_size, -1)

    def metrics(self, state: FlockingState) -> dict[str, np.ndarray]:
        """Polarisation, milling, largest cluster, cluster count, nearest-neighbour distance, collisions."""
        cfg = self.config
        batch, n = state.heading.shape
        local = self.local(state)
        everyone, within_r = local.everyone, local.within_r
        largest, n_clusters = metrics.cluster_stats(within_r, batch, n)
        nearest = nearest_neighbour_distance(state.position, self.box, cfg.torus, everyone, cfg.search_radius)
        return {
            "polarisation": metrics.polarisation(state.heading),
            "milling": metrics.milling(state.position, state.heading, self.box, cfg.torus),
            "largest_cluster": largest,
            "n_clusters": n_clusters,
            "nearest_neighbour_distance": nearest.mean(axis=1),
            "collision_rate": metrics.collision_rate(within_r, cfg.min_distance, batch, n),
        }

    def global_state(self, state: FlockingState) -> np.ndarray:
        """(B, N, 3) float32 rows (x, y, heading)."""
        return np.concatenate([state.position, state.heading[..., None]], axis=-1).astype(np.float32)

    def agent_info(self, state: FlockingState) -> dict[str, np.ndarray]:
        """Exact aggregates within r (Vicsek), Couzin zone aggregates, and the neighbour mean action."""
        cfg = self.config
        batch, n = state.heading.shape
        size = batch * n
        local = self.local(state)
        everyone, within_r = local.everyone, local.within_r
        count, cos_sum, sin_sum = local.count, local.cos_sum, local.sin_sum
        info = {
            "heading": state.heading.copy(),
            "neighbour_count": (count + 1).reshape(batch, n),
            "neighbour_heading_sum": np.stack([cos_sum + local.cos, sin_sum + local.sin], -1).reshape(
                batch, n, 2
            ),
        }

        last = state.last_action.reshape(size, -1)
        mean_action = np.stack(
            [
                np.bincount(within_r.owner, last[within_r.neighbour, a], minlength=size)
                for a in range(last.shape[1])
            ],
            axis=-1,
        )
        mean_action = np.divide(
            mean_action, count[:, None], out=np.zeros(mean_action.shape), where=count[:, None] > 0
        )
        info["neighbour_mean_action"] = mean_action.reshape(batch, n, -1).astype(np.float32)

        # Couzin zones: neighbours behind the agent, inside the blind angle, are not seen.
        zone = everyone.within(cfg.zone_attraction)
        direction = np.divide(
            zone.offset,
            zone.distance[:, None],
            out=np.zeros(zone.offset.shape),
            where=zone.distance[:, None] > 0,
        )
        ahead = direction[:, 0] * local.cos[zone.owner] + direction[:, 1] * local.sin[zone.owner]
        seen = (zone.distance == 0) | (ahead >= -math.cos(cfg.blind_angle / 2) - 1e-12)
        their_heading = np.stack([local.cos[zone.neighbour], local.sin[zone.neighbour]], axis=1)
        bands = (
            ("repulsion", seen & (zone.distance < cfg.zone_repulsion), direction),
            (
                "orientation",
                seen & (zone.distance >= cfg.zone_repulsion) & (zone.distance < cfg.zone_orientation),
                their_heading,
            ),
            ("attraction", seen & (zone.distance >= cfg.zone_orientation), direction),
        )
        for name, mask, vectors in bands:
            owner = zone.owner[mask]
            info[f"{name}_count"] = np.bincount(owner, minlength=size).reshape(batch, n)
            info[f"{name}_sum"] = np.stack(
                [np.bincount(owner, vectors[mask, c], minlength=size) for c in (0, 1)], -1
            ).reshape(batch, n, 2)
        return info

    def render(self, canvas, state: FlockingState, copy: int, metrics_now: dict[str, float]) -> None:
        """Draw copy ``copy``: triangles coloured by heading; step and polarisation in the caption."""
        from swarmgym.envs.flocking.render import draw

        draw(
            canvas,
            state.position[copy],
            state.heading[copy],
            self.box,
            self.config.torus,
            int(state.t[copy]),
            metrics_now,
        )


# -- compiled kernels (bit-identical to the numpy code they replaced: same float operations, in the same
# order; sums accumulate pair by pair in the order of the pair list, as np.bincount / np.add.at did) --


@kernel
def _equal(a, b):
    """np.array_equal of two arrays of one shape, compiled (two numpy calls cost microseconds at small N)."""
    a, b = a.ravel(), b.ravel()
    for x in range(a.shape[0]):
        if a[x] != b[x]:
            return False
    return True


@kernel
def _move(position, heading, cos, sin, speed, box, torus, out):
    """Move every agent by ``speed`` along its heading into ``out``, then wrap its heading into [-pi, pi).

    On a torus positions are taken modulo L (a tiny negative x % L rounds to L, which becomes 0). In
    a walled box an agent beyond a wall is reflected back (clipped to [0, L] if that overshoots) and
    its heading mirrored: pi - theta across a side wall, -theta across the bottom or top, both at a
    corner. ``heading`` (B, N) is updated in place.
    """
    two_pi = 2 * np.pi
    for b in range(heading.shape[0]):
        for a in range(heading.shape[1]):
            x = position[b, a, 0] + speed * cos[b, a]
            y = position[b, a, 1] + speed * sin[b, a]
            theta = heading[b, a]
            if torus:
                x, y = x % box, y % box
                x = 0.0 if x >= box else x
                y = 0.0 if y >= box else y
            else:
                if x < 0.0 or x > box:
                    theta = np.pi - theta
                if y < 0.0 or y > box:
                    theta = -theta
                x = -x if x < 0.0 else (2 * box - x if x > box else x)
                y = -y if y < 0.0 else (2 * box - y if y > box else y)
                x, y = min(max(x, 0.0), box), min(max(y, 0.0), box)
            out[b, a, 0], out[b, a, 1] = x, y
            heading[b, a] = (theta + np.pi) % two_pi - np.pi  # wrap_angle


@kernel
def _within_r(owner, neighbour, distance, cos, sin, radius, min_distance, size):
    """Per agent: others within ``radius`` (count), sum of their cos(theta_j - theta_i), collisions.

    Each unordered pair counts at both ends. The cos sums are accumulated separately over the pairs
    an agent owns and over those it is the neighbour of, each in pair order, then added.
    """
    count = np.zeros(size, dtype=np.int64)
    collisions = np.zeros(size, dtype=np.int64)
    owned = np.zeros(size)
    seen = np.zeros(size)
    for p in range(owner.shape[0]):
        i, j, d = owner[p], neighbour[p], distance[p]
        if d < min_distance:
            collisions[i] += 1
            collisions[j] += 1
        if d < radius:
            rel_cos = cos[j] * cos[i] + sin[j] * sin[i]
            count[i] += 1
            count[j] += 1
            owned[i] += rel_cos
            seen[j] += rel_cos
    return count, owned + seen, collisions


@kernel
def _rewards(
    count, alignment_sum, collisions, alignment_weight, isolation_penalty, collision_penalty, team, out
):
    """``out`` (B, N) float32: the reward of every agent (``team`` (B,) is added unless empty)."""
    n = out.shape[1]
    for a in range(count.shape[0]):
        alignment = alignment_sum[a] / count[a] if count[a] > 0 else 0.0
        reward = alignment_weight * alignment - isolation_penalty * (1.0 if count[a] == 0 else 0.0)
        reward -= collision_penalty * collisions[a]
        if team.shape[0]:
            reward = reward + team[a // n]
        out[a // n, a % n] = reward


@kernel
def _bin_pairs(
    owner, neighbour, dx, dy, distance, cos, sin, cut, cell_size, rotate, k, order, owned, first, mine, theirs
):
    """Each unique pair's cell in both ends' k×k windows, grouped by viewer, for :func:`_observe_exact`.

    A pair is seen by its owner i at (dx, dy) = x_j - x_i with relative heading (C, S) =
    (cos, sin)(theta_j - theta_i) and by its neighbour j at -(dx, dy) with (C, -S); turned into the
    viewer's frame when ``rotate`` (ahead, right), it falls in cell (k//2 - u) * k + (k//2 + w) with
    u = floor(ahead / cell_size + 1/2), w = floor(right / cell_size + 1/2) (:func:`_cell_of`), or in
    one of 4 spare cells k * k + (p mod 4) when outside the window or not closer than ``cut`` (no
    branch, and no chain of additions into one spare cell).

    A record is (the other end, the cell), int32 (8 bytes: the one scattered write per pair stays
    cheap); (C, S) are recomputed by :func:`_observe_exact` from the two ends' cos and sin (cos and
    sin of N agents stay in cache, the records would not), the very same products. The search lists
    the pairs owner by owner, so the pairs an agent owns are one run: the r-th agent ``order[r]``
    (owners as they first appear, then the other agents) owns the pairs ``owned[r, 0] : owned[r, 1]``,
    whose records are ``mine[p]``. Its records as a neighbour are ``theirs[first[r] : first[r + 1]]``,
    in pair order (a counting sort by its rank), written here so that :func:`_observe_exact` reads
    both lists front to back.
    """
    size = order.shape[0]
    rank = np.full(size, -1, dtype=np.int64)
    n_seen = np.zeros(size, dtype=np.int64)
    owned[:] = 0
    visited = 0
    for p in range(owner.shape[0]):
        a = owner[p]
        if rank[a] < 0:
            rank[a] = visited
            order[visited] = a
            owned[visited, 0] = p
            visited += 1
        owned[rank[a], 1] = p + 1
        n_seen[neighbour[p]] += 1
    for a in range(size):
        if rank[a] < 0:
            rank[a] = visited
            order[visited] = a
            visited += 1
    first[0] = 0
    for r in range(size):
        first[r + 1] = first[r] + n_seen[order[r]]
    cursor = n_seen  # reused: agent a's next slot in ``theirs``
    for r in range(size):
        cursor[order[r]] = first[r]
    rad = k // 2
    spare = k * k
    scale = 1.0 / cell_size
    for p in range(owner.shape[0]):
        i, j = owner[p], neighbour[p]
        cos_i, sin_i, cos_j, sin_j = cos[i], sin[i], cos[j], sin[j]
        near = distance[p] < cut
        if rotate:
            right, ahead = dx[p] * sin_i - dy[p] * cos_i, dx[p] * cos_i + dy[p] * sin_i
        else:
            right, ahead = dx[p], dy[p]
        u, w = _cell_of(ahead, right, cell_size, scale)
        inside = (abs(u) <= rad) & (abs(w) <= rad) & near
        cell = (rad - u) * k + (rad + w)
        mine[p, 0] = j
        mine[p, 1] = cell if inside else spare + (p & 3)
        if rotate:
            right, ahead = dy[p] * cos_j - dx[p] * sin_j, -(dx[p] * cos_j + dy[p] * sin_j)
        else:
            right, ahead = -dx[p], -dy[p]
        u, w = _cell_of(ahead, right, cell_size, scale)
        inside = (abs(u) <= rad) & (abs(w) <= rad) & near
        cell = (rad - u) * k + (rad + w)
        e = cursor[j]
        cursor[j] = e + 1
        theirs[e, 0] = i
        theirs[e, 1] = cell if inside else spare + (p & 3)


@kernel
def _observe_exact(order, owned, first, mine, theirs, cos, sin, position, cell_size, rotate, box, out):
    """The exact view: every agent's pairs, binned by :func:`_bin_pairs`, summed into its window ``out``.

    Per cell: the count, then the mean cos and sin of the relative headings (float64 sums over the
    pairs the agent owns, then over those it is the neighbour of, in pair order, times
    1 / max(count, 1)), as float32. A fourth channel of ``out`` (walls) is 1 where the cell's centre
    lies outside the box [0, box]².
    """
    k = out.shape[1]
    rad = k // 2
    walls = out.shape[3] > 3
    cells = np.zeros((k * k + 4, 3))  # and the spare cells
    for r in range(order.shape[0]):
        a = order[r]
        cells[:] = 0.0
        cos_a, sin_a = cos[a], sin[a]
        for p in range(owned[r, 0], owned[r, 1]):
            j, c = mine[p, 0], mine[p, 1]
            cells[c, 0] += 1.0
            cells[c, 1] += cos[j] * cos_a + sin[j] * sin_a
            cells[c, 2] += sin[j] * cos_a - cos[j] * sin_a
        for e in range(first[r], first[r + 1]):
            i, c = theirs[e, 0], theirs[e, 1]
            cells[c, 0] += 1.0
            cells[c, 1] += cos_a * cos[i] + sin_a * sin[i]
            cells[c, 2] -= sin_a * cos[i] - cos_a * sin[i]
        for row in range(k):
            for col in range(k):
                c = row * k + col
                n = cells[c, 0]
                inverse = 1.0 / max(n, 1.0)  # no branch: which cells are empty is data, hard to predict
                out[a, row, col, 0] = n
                out[a, row, col, 1] = cells[c, 1] * inverse
                out[a, row, col, 2] = cells[c, 2] * inverse
                if walls:
                    ahead, right = (rad - row) * cell_size, (col - rad) * cell_size
                    if rotate:
                        x = position[a, 0] + (ahead * cos_a + right * sin_a)
                        y = position[a, 1] + (ahead * sin_a - right * cos_a)
                    else:
                        x, y = position[a, 0] + right, position[a, 1] + ahead
                    out[a, row, col, 3] = 1.0 if (x < 0 or x > box or y < 0 or y > box) else 0.0


@kernel
def _cell_of(ahead, right, cell_size, scale):
    """(floor(ahead / cell_size + 1/2), floor(right / cell_size + 1/2)), mostly without dividing.

    With ``scale`` = 1 / cell_size, t = x * scale + 1/2 is within 2^-49 (|t| + 1) of the divided
    value (a few roundings of relative size 2^-53), so both floor alike unless t lies closer than
    that to an integer: then (rarely) divide.
    """
    t_u = ahead * scale + 0.5
    t_w = right * scale + 0.5
    u, w = np.floor(t_u), np.floor(t_w)
    margin_u = min(t_u - u, u + 1.0 - t_u) - 2.0**-47 * (abs(t_u) + 1.0)
    margin_w = min(t_w - w, w + 1.0 - t_w) - 2.0**-47 * (abs(t_w) + 1.0)
    if min(margin_u, margin_w) <= 0.0:
        u = np.floor(ahead / cell_size + 0.5)
        w = np.floor(right / cell_size + 0.5)
    return u, w


@kernel
def _observe_grid(position, cos, sin, n_agents, cells, side, torus, out):
    """``view_binning="grid"``: every agent binned into its copy's world grid, then its k×k block of cells.

    Cell (row, col) of copy b holds the agents with col = min(floor(x / side), cells - 1) and row =
    cells - 1 - min(floor(y / side), cells - 1) (+y is up): their count and mean (cos, sin) (float64
    sums in agent order, as np.bincount, times 1 / max(count, 1), as float32). The grid is padded by
    k // 2 cells (wrapped on a torus; beyond walls empty, with the wall channel 1), so an agent's
    window is k runs of k cells; its centre cell holds the others of its cell only (itself removed).
    Each mean (c, s) is then turned into the agent's frame as the complex64 product
    (c + i s)(cos + i (-sin)) scaled by 1 - 2^-20 (the float32 rounding then stays inside [-1, 1]),
    rounded as numpy's complex64 multiply rounds it (:func:`fma32`).
    """
    size = cos.shape[0]
    batch = size // n_agents
    k = out.shape[1]
    rad = k // 2
    walls = out.shape[3] > 3
    own_cell = np.empty(size, dtype=np.int64)
    count = np.zeros(batch * cells * cells)
    cos_sum = np.zeros(batch * cells * cells)
    sin_sum = np.zeros(batch * cells * cells)
    for a in range(size):
        col = min(np.int64(position[a, 0] / side), cells - 1)
        row = cells - 1 - min(np.int64(position[a, 1] / side), cells - 1)
        c = ((a // n_agents) * cells + row) * cells + col
        own_cell[a] = c
        count[c] += 1.0
        cos_sum[c] += cos[a]
        sin_sum[c] += sin[a]
    wide = cells + 2 * rad
    padded = np.zeros((batch, wide, wide, 4), dtype=np.float32)
    for b in range(batch):
        for r in range(wide):
            for q in range(wide):
                row, col = r - rad, q - rad
                if torus:
                    row, col = row % cells, col % cells
                elif not (0 <= row < cells and 0 <= col < cells):
                    padded[b, r, q, 3] = 1.0
                    continue
                c = (b * cells + row) * cells + col
                inverse = 1.0 / max(count[c], 1.0)  # empty cells have zero sums
                padded[b, r, q, 0] = count[c]
                padded[b, r, q, 1] = cos_sum[c] * inverse
                padded[b, r, q, 2] = sin_sum[c] * inverse
    for a in range(size):
        c = own_cell[a]
        b, row, col = a // n_agents, (c // cells) % cells, c % cells
        own_re = np.float32((1.0 - 2.0**-20) * cos[a])
        own_im = np.float32((2.0**-20 - 1.0) * sin[a])
        for i in range(k):
            source, target = padded[b, row + i, col:], out[a, i]  # k cells of the window's row i
            for j in range(k):
                target[j, 0] = source[j, 0]
                mean_cos, mean_sin = source[j, 1], source[j, 2]
                target[j, 1] = fma32(mean_cos, own_re, -(mean_sin * own_im))
                target[j, 2] = fma32(mean_cos, own_im, mean_sin * own_re)
            if walls:
                for j in range(k):
                    target[j, 3] = source[j, 3]
        # The agent is not its own neighbour: its centre cell holds the others of its world cell only.
        others = count[c] - 1.0
        inverse = 1.0 / max(others, 1.0)
        out[a, rad, rad, 0] = others
        mean_cos = np.float32((cos_sum[c] - cos[a]) * inverse)
        mean_sin = np.float32((sin_sum[c] - sin[a]) * inverse)
        out[a, rad, rad, 1] = fma32(mean_cos, own_re, -(mean_sin * own_im))
        out[a, rad, rad, 2] = fma32(mean_cos, own_im, mean_sin * own_re)
