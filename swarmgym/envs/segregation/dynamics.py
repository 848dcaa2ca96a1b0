"""Schelling segregation: batch-first numpy dynamics (no PettingZoo, no pygame)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces

from swarmgym.core.compiled import kernel
from swarmgym.core.lattice import moore_counts, resolve_claims
from swarmgym.core.model import State, SwarmModel, Transition
from swarmgym.core.rng import BatchRandom
from swarmgym.core.window import HEADINGS, lattice_neighbour_mean, lattice_windows
from swarmgym.envs.segregation import metrics
from swarmgym.envs.segregation.config import SegregationConfig

STAY, UP, RIGHT, DOWN, LEFT, RELOCATE = range(6)
#: (d_row, d_col) of every action: the four headings for the moves, none for stay and relocate.
MOVE_STEP = np.concatenate([[[0, 0]], HEADINGS, [[0, 0]]])
#: Per action, whether it is a one-cell move (up, right, down, left).
IS_WALK = np.isin(np.arange(6), (UP, RIGHT, DOWN, LEFT))


@dataclass
class SegregationState(State):
    """Arrays of B copies: ``grid`` (B, L, L) uint8 codes (0 empty, g + 1 group g) and ``cell`` (B, N) int64.

    ``cell`` is each agent's flat cell index r * L + c; ``grid`` is its inverse, kept for O(1) look-ups.
    ``moved`` (B, N) bool marks the agents that moved in the last step; ``last_action`` (B, N) int64
    holds that step's actions (0 before the first step), for mean-field agents.
    """

    grid: np.ndarray
    cell: np.ndarray
    moved: np.ndarray
    last_action: np.ndarray


class SegregationModel(SwarmModel):
    """Schelling segregation: agents of G groups on an L×L lattice move until content with their neighbours.

    ## Description
    Schelling's model (1971) as a multi-agent env. Each agent is satisfied when the fraction of its own
    group among its occupied Moore neighbours is at least ``tolerance`` (tau); an agent with no
    neighbours counts as satisfied. The rule-based ``schelling`` agent (relocate to a random vacancy
    when unsatisfied) reproduces Schelling's result: from a random ≈ 0.50 start, tau = 0.3 gives ≈ 0.75
    similar neighbours and tau = 0.5 ≈ 0.87 on a 50×50 torus with 10 % vacancies.

    ## Actions: ``Discrete(6)`` (``Discrete(5)`` with ``relocate=False``)
    0 stay, 1 up, 2 right, 3 down, 4 left (one cell, only into a cell that was empty at the start of the
    step; into a wall or an occupied cell the agent stays), 5 relocate to a uniformly random vacant cell.
    All agents move at once; when several claim one cell a random priority drawn from the env's seeded
    generator picks the winner (never agent order), the others stay. Cells vacated this step are
    free only from the next step.

    ## Observation: ``Box(0, 1, (k, k, C), uint8)``, egocentric, world-aligned (row 0 is up)
    Channels, in order: own group; other groups (one channel, or G - 1 channels ordered g+1, g+2, ...
    modulo G with ``other_channels="per_group"``); empty cell; wall (only when ``torus=False``).
    The agent itself is the centre cell of the own-group channel.

    ## Reward (all agents at once, after the move)
    ``satisfied_reward * satisfied + same_weight * same - other_weight * other
    + interdependence_reward * [other >= 1] - move_cost * [tried a move] - relocate_cost * [tried relocate]``,
    where same / other count Moore neighbours. The last three weights give Sert et al. (2020)'s incentives
    (segregation and interdependence); they are off by default.

    ## Start state and episode end
    Agents placed uniformly at random on distinct cells; groups by agent index (agent_0.. in group 0).
    No termination; truncation after ``max_cycles`` steps (default 200).

    ## Metrics (``infos[agent]``, per step)
    ``segregation`` (mean similar-neighbour fraction), ``unsatisfied`` (fraction), ``dissimilarity``
    (Duncan, over ``block_size`` blocks), ``interface_density`` (unlike / all adjacent occupied pairs),
    ``mean_cluster_size`` (agent-weighted, Moore-connected same-group clusters), ``moved`` (fraction that
    moved this step).

    ## Arguments
    See :class:`swarmgym.envs.segregation.config.SegregationConfig` (size, torus, vacancy,
    group_fractions, tolerance, view_size, other_channels, relocate, reward weights, block_size).

    ## Version History
    * v0: initial release.

    ## References
    T. Schelling, Dynamic models of segregation, J. Math. Sociol. 1 (1971). E. Sert, Y. Bar-Yam, A. Morales,
    Segregation dynamics with reinforcement learning and agent based modeling, Sci. Rep. 10 (2020).
    """

    name = "segregation_v0"
    config_cls = SegregationConfig
    render_fps = 10

    def __init__(self, config: SegregationConfig):
        super().__init__(config)
        self._n_agents = config.n_agents  # a property computed from the config: read every step
        self.groups = np.repeat(np.arange(len(config.group_fractions)), config.group_sizes)
        self.codes = (self.groups + 1).astype(np.uint8)
        n_groups = len(config.group_fractions)
        others = (
            ("other",)
            if config.other_channels == "single"
            else tuple(f"other_{g}" for g in range(1, n_groups))
        )
        self.channels = ("own", *others, "empty") + (() if config.torus else ("wall",))
        k = config.view_size
        self.observation_space = spaces.Box(0, 1, (k, k, len(self.channels)), np.uint8)
        # The C channel bytes of a cell holding code c (0 empty, g + 1 group g) as seen by group g: one
        # lookup per cell turns the code grid into every group's channel pages.
        viewer = np.arange(n_groups)[:, None]
        code = np.arange(n_groups + 1)[None, :]
        own = code == viewer + 1
        if config.other_channels == "single":
            others = [(code != 0) & ~own]
        else:
            others = [code == (viewer + shift) % n_groups + 1 for shift in range(1, n_groups)]
        walls = [] if config.torus else [np.zeros_like(own)]
        table = np.stack(np.broadcast_arrays(own, *others, code == 0, *walls), axis=-1).astype(np.uint8)
        self._channel_table = table  # (G, G + 1, C)
        self.action_space = spaces.Discrete(6 if config.relocate else 5)
        self.state_space = spaces.Box(0, n_groups, (config.size, config.size), np.uint8)
        self._pad_value = np.zeros(len(self.channels), dtype=np.uint8)
        self._pad_value[-1] = 0 if config.torus else 1
        self._build_step_tables()
        # Constants of the config only, read-only: the model holds no state and may be shared.
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    def _build_step_tables(self) -> None:
        """Lookup tables that replace per-step arithmetic.

        ``_target`` (6, L*L) the cell each action leads to from each cell: one cell along the move's
        heading (wrapped on a torus); the cell itself for stay, relocate (whose target is drawn) and
        a move into a wall, which then claims an occupied cell and fails like any blocked move.
        ``_reward`` (9 * 9,) the reward of an agent with ``same`` and ``other`` Moore neighbours (index
        9 * same + other; they sum to at most 8) and ``_cost`` (6,) the cost of each action, so that a
        reward is ``_reward[9 * same + other] - _cost[action]``: the same float64 operations, in the same
        order, as evaluating the reward formula per agent (at most one cost is nonzero, and x - 0.0 is x).
        """
        cfg = self.config
        size = cfg.size
        row, col = np.divmod(np.arange(size * size, dtype=np.int64), size)
        new_row, new_col = row + MOVE_STEP[:, :1], col + MOVE_STEP[:, 1:]
        if cfg.torus:
            new_row %= size
            new_col %= size
        inside = (new_row >= 0) & (new_row < size) & (new_col >= 0) & (new_col < size)
        self._target = np.where(inside, new_row * size + new_col, row * size + col)
        same, other = np.divmod(np.arange(81, dtype=np.int64), 9)
        satisfied = (same + other == 0) | (same >= cfg.tolerance * (same + other) - 1e-12)
        self._reward = (
            cfg.satisfied_reward * satisfied
            + cfg.same_weight * same
            - cfg.other_weight * other
            + cfg.interdependence_reward * (other > 0)
        )
        relocating = np.arange(6) == RELOCATE
        self._cost = cfg.move_cost * IS_WALK + cfg.relocate_cost * relocating

    @property
    def n_agents(self) -> int:
        """N agents per copy."""
        return self._n_agents

    def reset(self, rng: BatchRandom) -> SegregationState:
        """Place the agents on distinct uniformly random cells of every copy."""
        size = self.config.size
        # Contiguous, like the cells the step returns: the kernels then compile for one array layout.
        cell = np.ascontiguousarray(np.argsort(rng.permutation_keys(size * size), axis=1)[:, : self.n_agents])
        grid = np.zeros((rng.batch, size * size), dtype=np.uint8)
        np.put_along_axis(grid, cell, self.codes[None], axis=1)
        return SegregationState(
            t=np.zeros(rng.batch, dtype=np.int64),
            grid=grid.reshape(rng.batch, size, size),
            cell=cell,
            moved=np.zeros(cell.shape, dtype=bool),
            last_action=np.zeros(cell.shape, dtype=np.int64),
        )

    def step(self, state: SegregationState, actions: np.ndarray, rng: BatchRandom) -> Transition:
        """Move all agents at once, resolving claims on the same cell by seeded random priority.

        A few compiled calls whatever N: the claimed cells (moves, and relocation targets from the
        drawn keys), :func:`resolve_claims`, the moves, the lattice's Moore counts, the rewards.
        """
        batch = state.grid.shape[0]
        draws = rng.random((self._n_agents, 2))
        flat_grid = state.grid.reshape(batch, -1)
        actions64 = np.asarray(actions, dtype=np.int64)  # one kernel signature whatever the action dtype
        target, claims = _claims(flat_grid, state.cell, actions64, draws, self._target)
        winners = resolve_claims(claims, target, draws[..., 1], flat_grid.shape[1])
        state.cell = _move(flat_grid, state.cell, winners, target, self.codes)
        state.moved = winners
        state.last_action = actions
        same, occupied = moore_counts(state.grid, self.config.torus)
        rewards = _rewards(
            same,
            occupied,
            state.cell,
            actions64,
            self._reward,
            self._cost,
        )
        return Transition(rewards, np.zeros(actions.shape, dtype=bool))

    def _neighbour_counts(self, state: SegregationState) -> tuple[np.ndarray, np.ndarray]:
        """(B, N) int64 same-group and other-group Moore-neighbour counts of every agent.

        Read at the agents' cells from the lattice's per-cell counts: one vectorised sweep over the
        cells beats reading 8 scattered neighbours per agent, at every N.
        """
        same, occupied = moore_counts(state.grid, self.config.torus)
        return _at_cells(same.reshape(state.batch, -1), occupied.reshape(state.batch, -1), state.cell)

    def observe(self, state: SegregationState) -> np.ndarray:
        """(B, N, k, k, C) uint8 one-hot channels relative to each agent's own group.

        The lattice is expanded into channels once per group's point of view (G pages per copy,
        O(G L^2)), then each agent's window is cut from its group's page.
        """
        cfg = self.config
        batch = state.grid.shape[0]
        n_groups, size, n_channels = self._channel_table.shape[0], cfg.size, self._channel_table.shape[2]
        pages = np.empty((n_groups * batch, size, size, n_channels), dtype=np.uint8)
        page, row, col = np.empty((3, batch, self._n_agents), dtype=np.int64)  # three C-ordered (B, N)
        _view_pages(state.grid, self._channel_table, self.groups, state.cell, pages, page, row, col)
        return lattice_windows(
            pages, row, col, cfg.view_size, cfg.torus, pad_value=self._pad_value, page=page
        )

    def metrics(self, state: SegregationState) -> dict[str, np.ndarray]:
        """Segregation index, unsatisfied fraction, dissimilarity, interface density, cluster size, moved."""
        cfg = self.config
        values = metrics.grid_metrics(
            state.grid, cfg.torus, cfg.tolerance, len(cfg.group_fractions), cfg.block_size
        )
        values["moved"] = state.moved.mean(axis=1)
        return values

    def global_state(self, state: SegregationState) -> np.ndarray:
        """(B, L, L) uint8 code grid: 0 empty, g + 1 for group g."""
        return state.grid.copy()

    def agent_info(self, state: SegregationState) -> dict[str, np.ndarray]:
        """Moore-neighbour counts ``same_neighbours`` / ``other_neighbours`` (B, N) and the mean-field input.

        ``neighbour_mean_action`` (B, N, A) float32: mean one-hot last action of the other agents in the
        k×k view (zeros when the view holds nobody else).
        """
        cfg = self.config
        same, other = self._neighbour_counts(state)
        one_hot = np.eye(self.action_space.n, dtype=np.float64)[state.last_action]
        row, col = np.divmod(state.cell, cfg.size)
        mean_action = lattice_neighbour_mean(
            one_hot, row, col, (cfg.size, cfg.size), cfg.view_size, cfg.torus
        )
        return {"same_neighbours": same, "other_neighbours": other, "neighbour_mean_action": mean_action}

    def render(self, canvas, state: SegregationState, copy: int, metrics_now: dict[str, float]) -> None:
        """Draw the lattice in group colours, unsatisfied agents darker, with the live segregation index."""
        from swarmgym.envs.segregation.render import draw

        draw(
            canvas,
            state.grid[copy],
            self.config.tolerance,
            self.config.torus,
            int(state.t[copy]),
            metrics_now,
        )


@kernel
def _claims(
    grid: np.ndarray, cell: np.ndarray, actions: np.ndarray, draws: np.ndarray, target_table: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(B, N) claimed cell and whether it is claimed: the action's target if it was empty at the start.

    ``grid`` (B, L * L) codes; ``draws[..., 0]`` picks a relocating agent's vacancy among the copy's
    empty cells in increasing order (vacancy ``int(key * n_vacancies)``, listed only in copies where
    someone relocates). A move into a wall targets the agent's own, occupied cell and so claims nothing.
    """
    batch, n_agents = cell.shape
    n_cells = grid.shape[1]
    target = np.empty((batch, n_agents), dtype=np.int64)
    claims = np.zeros((batch, n_agents), dtype=np.bool_)
    vacancies = np.empty(n_cells, dtype=np.int64)
    for b in range(batch):
        n_vacancies = -1  # listed on the first relocation of the copy
        for i in range(n_agents):
            action = actions[b, i]
            if action == RELOCATE:
                if n_vacancies < 0:
                    n_vacancies = 0
                    for c in range(n_cells):
                        if grid[b, c] == 0:
                            vacancies[n_vacancies] = c
                            n_vacancies += 1
                to = vacancies[np.int64(draws[b, i, 0] * n_vacancies)]
            else:
                to = target_table[action, cell[b, i]]
            target[b, i] = to
            claims[b, i] = action != STAY and grid[b, to] == 0
    return target, claims


@kernel
def _move(
    grid: np.ndarray, cell: np.ndarray, winners: np.ndarray, target: np.ndarray, codes: np.ndarray
) -> np.ndarray:
    """Move the winners in ``grid`` (B, L * L, in place) and return the new (B, N) cells.

    All winners of a copy leave their cells before any arrives, in agent order, as the numpy scatter did.
    """
    batch, n_agents = cell.shape
    new_cell = cell.copy()
    for b in range(batch):
        for i in range(n_agents):
            if winners[b, i]:
                grid[b, cell[b, i]] = 0
        for i in range(n_agents):
            if winners[b, i]:
                grid[b, target[b, i]] = codes[i]
                new_cell[b, i] = target[b, i]
    return new_cell


@kernel
def _rewards(
    same: np.ndarray,
    occupied: np.ndarray,
    cell: np.ndarray,
    actions: np.ndarray,
    reward_table: np.ndarray,
    cost_table: np.ndarray,
) -> np.ndarray:
    """(B, N) float32 ``reward_table[9 * same + other] - cost_table[action]`` (float64, then float32).

    ``same`` / ``occupied`` are (B, L, L) per-cell Moore counts, read at the agents' flat cells.
    """
    batch, n_agents = cell.shape
    n_same, n_other = _at_cells(same.reshape(batch, -1), occupied.reshape(batch, -1), cell)
    rewards = np.empty((batch, n_agents), dtype=np.float32)
    for b in range(batch):
        for i in range(n_agents):
            rewards[b, i] = reward_table[9 * n_same[b, i] + n_other[b, i]] - cost_table[actions[b, i]]
    return rewards


@kernel
def _at_cells(same: np.ndarray, occupied: np.ndarray, cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(B, N) int64 same and other Moore-neighbour counts read at the agents' cells from (B, L * L) counts."""
    batch, n_agents = cell.shape
    same_at = np.empty((batch, n_agents), dtype=np.int64)
    other_at = np.empty((batch, n_agents), dtype=np.int64)
    for b in range(batch):
        for i in range(n_agents):
            same_at[b, i] = same[b, cell[b, i]]
            other_at[b, i] = np.int64(occupied[b, cell[b, i]]) - same_at[b, i]
    return same_at, other_at


@kernel
def _view_pages(grid, table, groups, cell, pages, page, row, col):
    """Every group's channel page of every copy (page g B + b), and each agent's page, row and column.

    ``pages[g B + b, r, c]`` is ``table[g, grid[b, r, c]]``, the cell's C channel bytes as group g sees
    it; ``page[b, i] = groups[i] B + b``.
    """
    n_groups, batch, size = table.shape[0], grid.shape[0], grid.shape[1]
    for g in range(n_groups):
        for b in range(batch):
            for r in range(size):
                for c in range(size):
                    code = grid[b, r, c]
                    for channel in range(table.shape[2]):
                        pages[g * batch + b, r, c, channel] = table[g, code, channel]
    for b in range(batch):
        for i in range(cell.shape[1]):
            page[b, i] = groups[i] * batch + b
            row[b, i], col[b, i] = cell[b, i] // size, cell[b, i] % size
