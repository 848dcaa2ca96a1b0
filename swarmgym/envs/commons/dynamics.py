"""Commons harvest (common-pool resource appropriation): batch-first numpy dynamics, no pettingzoo/pygame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces

from swarmgym.core.lattice import resolve_claims
from swarmgym.core.model import State, SwarmModel, Transition
from swarmgym.core.rng import BatchRandom
from swarmgym.core.window import HEADINGS, box_sums, lattice_windows
from swarmgym.envs.commons import metrics
from swarmgym.envs.commons.config import CommonsConfig

NOOP, FORWARD, BACKWARD, STEP_LEFT, STEP_RIGHT, TURN_LEFT, TURN_RIGHT, FIRE = range(8)
#: Observation channels, in order; the first six are bits of one per-cell code.
CHANNELS = (
    "resource",
    "agents",
    "wall",
    "beam",
    "removed",
    "resource_cell",
    "self_removed",
    "self_time_left",
)
RESOURCE_BIT, AGENTS_BIT, WALL_BIT, BEAM_BIT, REMOVED_BIT, RESOURCE_CELL_BIT = range(6)
SELF_REMOVED, SELF_TIME_LEFT = 6, 7
#: Code (0..255) -> its 8 channel bytes as one little-endian uint64 (bits 0..5 -> bytes 0..5).
_EXPAND = (
    (np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1, bitorder="little") * (np.arange(8) < 6))
    .astype(np.uint8)
    .view("<u8")
    .ravel()
)
#: The code bit an agent sets on its cell, indexed by whether it is in play (removed, in play).
_PRESENCE = np.array([1 << REMOVED_BIT, 1 << AGENTS_BIT], dtype=np.uint8)
#: Clears the "agents" byte of an expanded cell.
_NOT_AGENT = np.uint64(~(0xFF << (8 * AGENTS_BIT)) & 0xFFFFFFFFFFFFFFFF)
#: Per action, the heading of a move relative to the facing (in quarter turns clockwise).
MOVE_TURN = np.array([0, 0, 2, 3, 1, 0, 0, 0], dtype=np.int64)
#: Per action, whether it is a move (forward, backward, step left or right).
IS_MOVE = np.isin(np.arange(8), (FORWARD, BACKWARD, STEP_LEFT, STEP_RIGHT))


@dataclass
class CommonsState(State):
    """Arrays of B copies (H×W grid flattened to H*W cells, P patches of M cells, N agents).

    Layout and resource: ``patch_cells`` (B, P, M) int64 flat cells of each patch; ``patch`` (B, H*W)
    int64 patch id of each cell (-1 outside the patches); ``resource`` (B, H*W) bool live resources;
    ``patch_stock`` (B, P) float64 logistic stock R (zeros in table mode).
    Agents: ``cell`` (B, N) int64 flat cell (for a removed agent, the cell it was removed from);
    ``facing`` (B, N) int64 heading index (0 up, 1 right, 2 down, 3 left); ``removed_left`` (B, N)
    int64 steps left out of play (0 = in play); ``hits`` (B, N) int64 beam hits since last (re)appearing.
    Last step: ``beam`` (B, H*W) bool cells swept by a beam; ``harvested`` / ``fired`` (B, N) bool;
    ``hits_taken`` (B, N) int64; ``last_action`` (B, N) int64 (NOOP for agents out of play).
    Episode accumulators (for U, E, S, P): ``apples`` (B, N) int64 resources collected;
    ``reward_time`` (B, N) int64 sum of the steps t (from 1) at which one was collected;
    ``reward_steps`` (B, N) int64 number of such steps; ``removed_steps`` (B, N) int64 steps spent out of
    play; ``returns`` (B, N) float64 extrinsic rewards; ``smoothed`` (B, N) float64 the inequity-aversion
    traces e_i; ``collapse_t`` (B,) int64 step of collapse (-1: not collapsed).
    """

    patch_cells: np.ndarray
    patch: np.ndarray
    resource: np.ndarray
    patch_stock: np.ndarray
    cell: np.ndarray
    facing: np.ndarray
    removed_left: np.ndarray
    hits: np.ndarray
    beam: np.ndarray
    harvested: np.ndarray
    fired: np.ndarray
    hits_taken: np.ndarray
    last_action: np.ndarray
    apples: np.ndarray
    reward_time: np.ndarray
    reward_steps: np.ndarray
    removed_steps: np.ndarray
    returns: np.ndarray
    smoothed: np.ndarray
    collapse_t: np.ndarray


class CommonsModel(SwarmModel):
    """Commons harvest: agents appropriate a regrowing resource and may sanction each other with a beam.

    ## Description
    A common-pool resource game (Perolat et al. 2017; Melting Pot's commons harvest). Resource cells
    ("apples") lie in P patches, each the L2 disc of radius ``patch_radius`` (13 cells at radius 2),
    placed in distinct blocks of the grid (``layout="random"``: random blocks and offsets drawn at each
    reset; ``"regular"``: a fixed, evenly spread layout). Regrowth is local and density dependent: an
    empty resource cell with no agent on it regrows with probability ``table[min(L, len - 1)]``, L the
    number of live resources in the radius-2 L2 disc around it, the cell itself excluded (12 cells).
    With table[0] = 0 a patch harvested to its last apple never comes back (the tragedy of the
    commons). Presets: ``meltingpot_open`` (0, .0025, .005, .025), ``meltingpot_closed`` (0, .001,
    .005, .025), ``harvest`` (0, .005, .02, .05), ``perolat2017`` (0 / .01 / .05 / .1 for L = 0 / 1-2 /
    3-4 / > 4), or a custom tuple. Only cells of the layout ever hold a resource.

    ``regrowth="logistic"`` replaces the cell rule by a per-patch stock R_p (discrete logistic map):
    R <- max(R + r R (1 - R/K) - h, 0) with h the apples harvested from the patch this step; the patch
    then shows min(round(R), M) apples (round half up): missing ones appear on random free cells of the
    patch (no apple, no agent), surplus ones vanish at random. A constant harvest above r K / 4 collapses
    a patch to R = 0 (absorbing), one below it does not.

    ## Actions: ``Discrete(8)`` (``Discrete(7)`` with ``beam=False``)
    0 no-op, 1 forward, 2 backward, 3 step left, 4 step right (one cell, relative to the facing, which a
    move does not change), 5 turn left, 6 turn right (90 degrees), 7 fire the beam. A move succeeds only
    into a cell inside the walls that no agent occupied at the start of the step; several claims on one
    cell are resolved by a random priority drawn from the env's seeded generator (never agent order).
    Stepping on a resource collects it.

    Beam: it sweeps ``beam_length`` cells ahead of the firer and ``beam_width`` cells across (walls stop
    it: cells beyond the walls are never swept), from the positions at the start of the step; it passes
    through agents. Every beam covering an agent in play is one hit; ``hits_to_remove`` hits (cumulative
    since the agent last appeared) remove it. A removed agent does not move in that step, leaves the
    grid, keeps its slot in the agent dict, has its actions ignored (no-op) for the next
    ``removal_steps`` T steps and reappears at the end of the T-th one, on a random free cell outside the
    patches (facing kept, hits reset). Removed agents are neither hit nor fire.

    ## Observation: ``Box(0, high, (k, k, 8), uint8)``, egocentric, rotated to the facing (row 0 ahead)
    Channels, in order: ``resource`` (live resource); ``agents`` (other agents in play; the centre
    is cleared); ``wall`` (cells beyond the walls; all zeros on a torus, kept so the channels never
    change); ``beam`` (cells swept by a beam this step); ``removed`` (the cells from which agents
    currently out of play were removed: they are not on the grid); ``resource_cell`` (cells of the
    layout where resources can grow, like Melting Pot's grass); ``self_removed`` (constant plane: 1 while
    this agent is out of play); ``self_time_left`` (constant plane: its steps left out of play, 0..T).
    An agent out of play sees zeros in the six spatial channels. High: 1, except T for the last channel.

    ## Reward (all agents at once)
    ``apple_reward * collected - beam_cost * fired - hit_penalty * hits``; with ``inequity_alpha`` or
    ``inequity_beta`` > 0 the inequity-averse utility of Hughes et al. (2018) is paid instead:
    u_i = r_i - alpha/(N-1) Σ_j max(e_j - e_i, 0) - beta/(N-1) Σ_j max(e_i - e_j, 0), with smoothed
    rewards e_i <- inequity_decay * e_i + r_i (off by default).

    ## Start state and episode end
    Every patch holds round(initial_fill * M) apples on random cells (logistic: R = initial_fill * K);
    agents on distinct random cells outside the patches, random facings. No termination; truncation
    after ``max_cycles`` steps (default 1000, as Perolat et al.).

    ## Metrics (``infos[agent]``, per step, running over the episode so far)
    Perolat's ``efficiency`` U = Σ_i R^i / T, ``equality`` E = 1 - Gini(R), ``sustainability`` S =
    (1/N) Σ_i mean{t : i collected at t} (0 for agents who never did), ``peace`` P = (N T - Σ removed
    agent-steps) / T, with R^i the resources i collected (costs excluded) and T the steps so far; the
    normalised forms ``efficiency_per_agent`` (U/N), ``sustainability_fraction`` (S/T), ``peace_fraction``
    (P/N); ``stock``, ``stock_fraction``, ``collapsed``, ``collapse_time`` (-1 until collapse),
    ``harvest``, ``beams``, ``removed_fraction`` (see :mod:`swarmgym.envs.commons.metrics`).

    ## Arguments
    See :class:`swarmgym.envs.commons.config.CommonsConfig` (height, width, torus, n_agents, layout,
    n_patches, patch_radius, regrowth, logistic_rate, logistic_capacity, initial_fill, view_size,
    apple_reward, beam, beam_length, beam_width, beam_cost, hit_penalty, hits_to_remove,
    removal_steps, inequity_alpha, inequity_beta, inequity_decay).

    ## Version History
    * v0: initial release.

    ## References
    J. Perolat, J. Z. Leibo, V. Zambaldi, C. Beattie, K. Tuyls, T. Graepel, A multi-agent reinforcement
    learning model of common-pool resource appropriation, NeurIPS 2017. E. Hughes et al., Inequity aversion
    improves cooperation in intertemporal social dilemmas, NeurIPS 2018. J. P. Agapiou et al., Melting Pot
    2.0 (2022), commons_harvest substrates.
    """

    name = "commons_v0"
    config_cls = CommonsConfig
    render_fps = 15

    def __init__(self, config: CommonsConfig):
        super().__init__(config)
        self.channels = CHANNELS
        k = config.view_size
        high = np.ones((k, k, len(self.channels)), dtype=np.uint8)
        high[..., -1] = config.removal_steps
        self.observation_space = spaces.Box(np.zeros_like(high), high, dtype=np.uint8)
        self.action_space = spaces.Discrete(8 if config.beam else 7)
        self.state_space = spaces.Box(0, 1, (config.height, config.width, 4), np.uint8)
        self.table = config.regrowth_table
        self.n_cells = config.height * config.width
        ahead = np.repeat(np.arange(1, config.beam_length + 1), config.beam_width)
        across = np.tile(np.arange(config.beam_width) - config.beam_width // 2, config.beam_length)
        self._beam_offsets = np.stack([ahead, across], axis=1)
        self._table_max = float(self.table.max())
        self._can_collapse = config.logistic or self.table[0] == 0
        #: Total capacity of the patches (apples), the denominator of ``stock_fraction``.
        self._capacity = config.n_patches * (config.capacity if config.logistic else config.patch_cells)
        #: Cells surely free of patches and agents: the respawn threshold's denominator.
        self._min_free = max(self.n_cells - config.n_patches * config.patch_cells - config.n_agents, 1)
        #: The whole window of an agent out of play with t steps left: (self_removed 1, self_time_left t).
        self._removed_planes = (np.uint64(1) << np.uint64(8 * SELF_REMOVED)) | (
            np.arange(config.removal_steps + 1, dtype=np.uint64) << np.uint64(8 * SELF_TIME_LEFT)
        )
        self._build_step_tables()
        # The model holds only these constants of the config, read-only, and no state: one model may be
        # shared by many envs and threads (everything a step needs is in CommonsState).
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    @property
    def n_agents(self) -> int:
        """N agents per copy."""
        return self.config.n_agents

    # ------------------------------------------------------------------ reset
    def _layout(self, rng: BatchRandom) -> np.ndarray:
        """(B, P, M) flat cells of every patch: one disc per chosen block, inside the block's margin."""
        cfg = self.config
        n_rows, n_cols = cfg.blocks
        block_h, block_w = cfg.height // n_rows, cfg.width // n_cols
        side = 2 * cfg.patch_radius + 1
        if cfg.layout == "random":
            blocks = np.argsort(rng.random((n_rows * n_cols,)), axis=1)[:, : cfg.n_patches]
            top = rng.integers(1, block_h - side, (cfg.n_patches,))
            left = rng.integers(1, block_w - side, (cfg.n_patches,))
        else:
            spread = np.round(np.linspace(0, n_rows * n_cols - 1, cfg.n_patches)).astype(np.int64)
            blocks = np.broadcast_to(spread, (rng.batch, cfg.n_patches))
            top = np.full(blocks.shape, (block_h - side) // 2)
            left = np.full(blocks.shape, (block_w - side) // 2)
        block_row, block_col = np.divmod(blocks, n_cols)
        centre_r = block_row * block_h + top + cfg.patch_radius
        centre_c = block_col * block_w + left + cfg.patch_radius
        disc = cfg.disc_offsets
        return (centre_r[..., None] + disc[:, 0]) * cfg.width + centre_c[..., None] + disc[:, 1]

    def reset(self, rng: BatchRandom) -> CommonsState:
        """Lay out the patches, fill them to ``initial_fill`` and place the agents outside them."""
        cfg = self.config
        batch, n, hw = rng.batch, self.n_agents, self.n_cells
        patch_cells = self._layout(rng)
        n_patches, m = patch_cells.shape[1:]
        copy = np.arange(batch)[:, None, None]
        patch = np.full((batch, hw), -1, dtype=np.int64)
        patch[copy, patch_cells] = np.arange(n_patches)[None, :, None]

        if cfg.logistic:
            patch_stock = np.full((batch, n_patches), cfg.initial_fill * cfg.capacity)
            shown = np.minimum(np.floor(patch_stock + 0.5), m)
        else:
            patch_stock = np.zeros((batch, n_patches))
            shown = np.full((batch, n_patches), np.floor(cfg.initial_fill * m + 0.5))
        rank = np.argsort(np.argsort(rng.random((n_patches, m)), axis=2), axis=2)
        resource = np.zeros((batch, hw), dtype=bool)
        resource[copy, patch_cells] = rank < shown[..., None]

        keys = rng.random((hw,))
        keys[patch >= 0] = 2.0
        cell = np.argsort(keys, axis=1)[:, :n]
        facing = rng.integers(0, 4, (n,))
        zeros_i = np.zeros((batch, n), dtype=np.int64)
        return CommonsState(
            t=np.zeros(batch, dtype=np.int64),
            patch_cells=patch_cells,
            patch=patch,
            resource=resource,
            patch_stock=patch_stock,
            cell=cell,
            facing=facing,
            removed_left=zeros_i.copy(),
            hits=zeros_i.copy(),
            beam=np.zeros((batch, hw), dtype=bool),
            harvested=np.zeros((batch, n), dtype=bool),
            fired=np.zeros((batch, n), dtype=bool),
            hits_taken=zeros_i.copy(),
            last_action=zeros_i.copy(),
            apples=zeros_i.copy(),
            reward_time=zeros_i.copy(),
            reward_steps=zeros_i.copy(),
            removed_steps=zeros_i.copy(),
            returns=np.zeros((batch, n)),
            smoothed=np.zeros((batch, n)),
            collapse_t=np.full(batch, -1, dtype=np.int64),
        )

    # ------------------------------------------------------------------- step
    def _build_step_tables(self) -> None:
        """Per-cell lookup tables that replace divisions and heading arithmetic in the step.

        ``_row`` / ``_col`` (H*W,) coordinates of every flat cell; ``_delta`` / ``_fix`` (4,) and
        ``_edge`` (H*W,) uint8 for one-cell moves (see below); ``_pad_cell``, ``_unpad``, ``_beam_delta``
        and ``_disc_delta`` for the beam's and the regrowth disc's cells (see below).
        """
        cfg = self.config
        height, width = cfg.height, cfg.width
        self._row, self._col = np.divmod(np.arange(height * width, dtype=np.int64), width)
        forward = HEADINGS
        right = HEADINGS[[1, 2, 3, 0]]
        # A move along heading h goes to cell + _delta[h], plus _fix[h] (torus) where bit h of
        # _edge[cell] says it crosses the border (walls: no move). Small tables stay in cache.
        self._delta = forward[:, 0] * width + forward[:, 1]
        row, col = self._row + forward[:, :1], self._col + forward[:, 1:]
        crossing = (row < 0) | (row >= height) | (col < 0) | (col >= width)
        self._edge = (crossing << np.arange(4)[:, None]).sum(axis=0).astype(np.uint8)
        self._fix = -forward[:, 0] * height * width - forward[:, 1] * width
        # Beam and regrowth-disc cells: a (H + 2R) x (W + 2R) padded grid with R the longest reach;
        # _pad_cell maps a cell to its padded index, _unpad a padded index back to the cell (wrapped on
        # a torus; -1 beyond the walls), and _beam_delta (4, L*W) / _disc_delta (12,) are the offsets
        # in the padded grid, so a cell's beam or disc is one add and two lookups.
        ahead, across = self._beam_offsets[:, 0], self._beam_offsets[:, 1]
        beam_dr = ahead * forward[:, :1] + across * right[:, :1]
        beam_dc = ahead * forward[:, 1:] + across * right[:, 1:]
        disc_dr = np.array([dr for dr, _ in metrics.DISC2], dtype=np.int64)
        disc_dc = np.array([dc for _, dc in metrics.DISC2], dtype=np.int64)
        reach = max(cfg.beam_length, cfg.beam_width // 2, 2)
        padded_w = width + 2 * reach
        self._pad_cell = (self._row + reach) * padded_w + self._col + reach
        pad_row, pad_col = np.divmod(np.arange((height + 2 * reach) * padded_w, dtype=np.int64), padded_w)
        self._unpad = self._wrap(pad_row - reach, pad_col - reach)
        self._beam_delta = beam_dr * padded_w + beam_dc
        self._disc_delta = disc_dr * padded_w + disc_dc
        #: Per action: the change of facing (turns only).
        self._turn = np.zeros(8, dtype=np.int64)
        self._turn[TURN_RIGHT], self._turn[TURN_LEFT] = 1, -1

    def _wrap(self, row: np.ndarray, col: np.ndarray) -> np.ndarray:
        """Flat cells of (row, col), wrapped on a torus; -1 where beyond the walls."""
        cfg = self.config
        if cfg.torus:
            return (row % cfg.height) * cfg.width + col % cfg.width
        inside = (row >= 0) & (row < cfg.height) & (col >= 0) & (col < cfg.width)
        return np.where(inside, row * cfg.width + col, -1)

    def step(self, state: CommonsState, actions: np.ndarray, rng: BatchRandom) -> Transition:
        """Turn, fire, remove, move, harvest, respawn, regrow, and pay every agent at once."""
        cfg = self.config
        batch, n, hw = state.batch, self.n_agents, self.n_cells
        # One draw per copy: the N move priorities, then one number per patch cell (same stream as two).
        draws = rng.random((n + state.patch_cells[0].size,))
        priority = draws[:, :n]
        cell_draws = draws[:, n:].reshape(state.patch_cells.shape)
        base = np.arange(batch)[:, None] * hw
        t_now = state.t + 1

        in_play = state.removed_left == 0
        acts = actions * in_play  # NOOP (0) for agents out of play
        facing = state.facing
        here = base + state.cell

        # Beams, from the positions and facings at the start of the step (Perolat's time-out beam).
        fired = acts == FIRE  # never with beam=False: action 7 is then outside the action space
        shooters = np.flatnonzero(fired)
        if len(shooters):
            origin = self._pad_cell[state.cell.reshape(-1)[shooters]]
            swept = self._unpad[origin[:, None] + self._beam_delta[facing.reshape(-1)[shooters]]]
            flat = ((shooters // n)[:, None] * hw + swept)[swept >= 0]
            sweeps = np.bincount(flat, minlength=batch * hw)
            beam = (sweeps > 0).reshape(batch, hw)
            hits_taken = sweeps[here] * in_play
        else:
            beam = np.zeros((batch, hw), dtype=bool)
            hits_taken = np.zeros((batch, n), dtype=np.int64)
        hits = state.hits + hits_taken
        removed_now = in_play & (hits >= cfg.hits_to_remove)
        hits[removed_now] = 0
        playing = in_play & ~removed_now

        # Turns (a turn is its own action, so moves below use the facing of the start of the step).
        new_facing = (facing + self._turn[acts]) & 3

        # Moves into cells free at the start of the step; conflicts by seeded random priority.
        # Occupied cells of the batch, plus one spare cell that absorbs the writes of the other agents.
        spare = batch * hw
        occupied = np.zeros(spare + 1, dtype=bool)
        occupied[np.where(in_play, here, spare)] = True
        moving = playing & IS_MOVE[acts]
        heading = (facing + MOVE_TURN[acts]) & 3
        crossing = (self._edge[state.cell] >> heading) & 1
        target = here + self._delta[heading]
        if cfg.torus:
            target += crossing * self._fix[heading]
            claims = moving.copy()
        else:
            claims = moving & (crossing == 0)
            target[~claims] = 0
        claims &= ~occupied[target]
        target -= base
        winners = resolve_claims(claims, target, priority, self.n_cells)
        cell = np.where(winners, target, state.cell)

        # Harvest: an agent in play standing on a resource collects it.
        resource = state.resource.copy()
        flat_resource = resource.reshape(-1)
        now = base + cell
        got = playing & flat_resource[now]
        flat_resource[now[got]] = False

        # Removal clocks: out-of-play agents count down and reappear at 0; newly removed start at T.
        was_out = ~in_play
        removed_left = state.removed_left - was_out
        back = was_out & (removed_left == 0)
        removed_left[removed_now] = cfg.removal_steps
        occupied[:] = False
        occupied[np.where(playing, now, spare)] = True
        occupied = occupied[:spare].reshape(batch, hw)
        if back.any():
            cell = self._respawn(cell, back, occupied, resource, state.patch, rng)
            occupied.reshape(-1)[(base + cell)[back]] = True

        # Regrowth on the resource cells of the layout, never under an agent.
        patch_stock = state.patch_stock
        if cfg.logistic:
            harvest = self._patch_harvest(state.patch, cell, got)
            patch_stock = metrics.logistic_step(patch_stock, harvest, cfg.logistic_rate, cfg.capacity)
            self._show_stock(resource, occupied, state.patch_cells, patch_stock, cell_draws)
        else:
            self._regrow(resource, occupied, state.patch_cells, cell_draws)

        # Rewards, all agents at once.
        extrinsic = cfg.apple_reward * got - cfg.beam_cost * fired
        if cfg.hit_penalty:
            extrinsic -= cfg.hit_penalty * hits_taken
        smoothed = cfg.inequity_decay * state.smoothed + extrinsic
        rewards = extrinsic
        if cfg.inequity_alpha > 0 or cfg.inequity_beta > 0:
            envy, guilt = _inequity(smoothed)
            scale = 1.0 / max(n - 1, 1)
            rewards = extrinsic - cfg.inequity_alpha * scale * envy - cfg.inequity_beta * scale * guilt

        state.resource = resource
        state.patch_stock = patch_stock
        state.cell = cell
        state.facing = new_facing
        state.removed_left = removed_left
        state.hits = hits
        state.beam = beam
        state.harvested = got
        state.fired = fired
        state.hits_taken = hits_taken
        state.last_action = acts
        state.apples = state.apples + got
        state.reward_time = state.reward_time + got * t_now[:, None]
        state.reward_steps = state.reward_steps + got
        state.removed_steps = state.removed_steps + was_out
        state.returns = state.returns + extrinsic
        state.smoothed = smoothed
        if self._can_collapse and (state.collapse_t < 0).any():
            gone = metrics.collapsed(resource, patch_stock, cfg.logistic, self.table)
            state.collapse_t = np.where((state.collapse_t < 0) & gone, t_now, state.collapse_t)
        return Transition(rewards.astype(np.float32), np.zeros((batch, n), dtype=bool))

    def _respawn(self, cell, back, occupied, resource, patch, rng: BatchRandom) -> np.ndarray:
        """Put the agents flagged ``back`` on distinct random free cells outside the patches.

        Every copy with a returning agent draws one uniform key per cell; the free cells with the
        lowest keys, in increasing key order, go to its returning agents in agent order. Only the keys
        below a threshold (enough free cells expected with a wide margin, as at least H W - P M - N
        cells are free) are looked at; a copy with too few free cells below it ranks all of them.
        """
        hw = self.n_cells
        copies = np.flatnonzero(back.any(axis=1))
        keys = rng.subset(copies).random((hw,))
        wanted = back[copies].sum(axis=1)
        threshold = (wanted + 4.0 * np.sqrt(wanted) + 16.0) / self._min_free
        taken = (occupied.reshape(-1), resource.reshape(-1), patch.reshape(-1))
        for _ in range(2):
            row, col = _nonzero(keys < threshold[:, None])
            where = copies[row] * hw + col
            free = ~(taken[0][where] | taken[1][where] | (taken[2][where] >= 0))
            row, col = row[free], col[free]
            short = np.bincount(row, minlength=len(copies)) < wanted
            if not short.any():
                break
            threshold[short] = 2.0
        order = np.lexsort((keys[row, col], row))
        row, col = row[order], col[order]
        # The j-th returning agent of a copy (agent order) takes its j-th lowest free key.
        which, agent = _nonzero(back[copies])
        rank = np.arange(len(which)) - np.searchsorted(which, which)
        cell = cell.copy()
        cell[copies[which], agent] = col[np.searchsorted(row, which) + rank]
        return cell

    def _regrow(self, resource, occupied, patch_cells, draws) -> None:
        """Table mode: each free resource cell regrows with probability table[min(L, last)] (in place).

        A cell whose draw is not below the largest table entry cannot regrow whatever L, so the
        neighbour counts are taken only at the others.
        """
        batch = resource.shape[0]
        cells = patch_cells.reshape(batch, -1)
        copy, slot = _nonzero(draws.reshape(batch, -1) < self._table_max)
        if not len(copy):
            return
        where = cells[copy, slot]
        flat = copy * self.n_cells + where
        free = ~resource.reshape(-1)[flat] & ~occupied.reshape(-1)[flat]
        copy, where, flat, slot = copy[free], where[free], flat[free], slot[free]
        around = self._unpad[self._pad_cell[where][:, None] + self._disc_delta]
        live = resource.reshape(-1)[copy[:, None] * self.n_cells + around] & (around >= 0)
        chance = metrics.regrowth_probability(live.sum(axis=1), self.table)
        grow = draws.reshape(batch, -1)[copy, slot] < chance
        resource.reshape(-1)[flat[grow]] = True

    def _patch_harvest(self, patch, cell, got) -> np.ndarray:
        """(B, P) resources collected from each patch this step."""
        batch = patch.shape[0]
        n_patches = self.config.n_patches
        pid = np.take_along_axis(patch, cell, axis=1)
        index = (np.arange(batch)[:, None] * n_patches + pid)[got]
        return np.bincount(index, minlength=batch * n_patches).reshape(batch, n_patches).astype(np.float64)

    def _show_stock(self, resource, occupied, patch_cells, patch_stock, draws) -> None:
        """Logistic mode: make each patch show min(round(R), M) apples, adding/removing at random cells."""
        batch, _, m = patch_cells.shape
        here = np.take_along_axis(resource, patch_cells.reshape(batch, -1), axis=1).reshape(patch_cells.shape)
        busy = np.take_along_axis(occupied, patch_cells.reshape(batch, -1), axis=1).reshape(patch_cells.shape)
        wanted = np.minimum(np.floor(patch_stock + 0.5), m).astype(np.int64)
        change = wanted - here.sum(axis=2)
        addable = ~here & ~busy
        # Rank the candidate cells of each patch by their random key: the first |change| switch.
        candidates = np.where(change[..., None] > 0, addable, here)
        keys = np.where(candidates, draws, 2.0)
        rank = np.argsort(np.argsort(keys, axis=2), axis=2)
        switch = candidates & (rank < np.abs(change)[..., None])
        flat = (np.arange(batch)[:, None, None] * self.n_cells + patch_cells)[switch]
        resource.reshape(-1)[flat] = change[..., None].repeat(m, axis=2)[switch] > 0

    # ---------------------------------------------------------------- observe
    def observe(self, state: CommonsState) -> np.ndarray:
        """(B, N, k, k, 8) uint8 egocentric windows rotated to each agent's facing.

        The six spatial channels are the bits of one uint8 code per cell; the shared window operator
        cuts the rotated windows of the codes and expands each cell through a 256-entry table into its
        8 channel bytes (one uint64) as it copies it. Agents out of play see only their constant
        planes (``self_removed`` 1, ``self_time_left`` t); for agents in play both planes are 0.
        """
        cfg = self.config
        batch, hw, rad = state.batch, self.n_cells, cfg.view_size // 2
        in_play = state.removed_left == 0
        codes = state.beam.view(np.uint8) << BEAM_BIT
        codes |= state.resource.view(np.uint8)
        codes |= self._patch_bits(state)
        # An agent in play may stand where another was removed from: ufunc.at ORs both bits in.
        where = np.arange(batch)[:, None] * hw + state.cell
        np.bitwise_or.at(codes.reshape(-1), where, _PRESENCE[in_play.view(np.uint8)])
        row, col = np.divmod(state.cell, cfg.width)
        # Agents out of play read the constant window of their removal time (cut by the same kernel).
        removed = (np.where(in_play, -1, state.removed_left), self._removed_planes)
        out = lattice_windows(
            codes.reshape(batch, cfg.height, cfg.width),
            row,
            col,
            cfg.view_size,
            cfg.torus,
            pad_value=1 << WALL_BIT,
            facing=state.facing,
            constant=removed,
            lookup=_EXPAND,
        )
        out[:, :, rad, rad] &= _NOT_AGENT  # the agent is not one of the "other agents"
        return out.view(np.uint8).reshape(*out.shape, len(CHANNELS))

    def _patch_bits(self, state: CommonsState) -> np.ndarray:
        """(B, H*W) uint8 with the resource-cell bit set on the layout's resource cells."""
        return (state.patch >= 0).view(np.uint8) << RESOURCE_CELL_BIT

    def metrics(self, state: CommonsState) -> dict[str, np.ndarray]:
        """Running U, E, S, P (raw and normalised), stock, collapse, harvest, beams, removed fraction."""
        return metrics.step_metrics(state, self.config.logistic, self.table, self._capacity)

    def global_state(self, state: CommonsState) -> np.ndarray:
        """(B, H, W, 4) uint8 planes: resource, resource cell of the layout, agent in play, beam."""
        cfg = self.config
        batch, hw = state.batch, self.n_cells
        planes = np.zeros((batch, hw, 4), dtype=np.uint8)
        planes[..., 0] = state.resource
        planes[..., 1] = state.patch >= 0
        in_play = state.removed_left == 0
        planes.reshape(-1, 4)[(np.arange(batch)[:, None] * hw + state.cell)[in_play], 2] = 1
        planes[..., 3] = state.beam
        return planes.reshape(batch, cfg.height, cfg.width, 4)

    def agent_info(self, state: CommonsState) -> dict[str, np.ndarray]:
        """``neighbour_mean_action`` (B, N, A) float32, ``removed_left`` (B, N) and ``apples`` (B, N).

        The mean one-hot last action is taken over the other agents in play inside the agent's k×k view
        (zeros when there are none, and for agents out of play).
        """
        cfg = self.config
        batch, hw = state.batch, self.n_cells
        n_actions = int(self.action_space.n)
        in_play = state.removed_left == 0
        flat_cells = (np.arange(batch)[:, None] * hw + state.cell)[in_play]
        raster = np.zeros((batch * hw, n_actions + 1))
        raster[flat_cells, state.last_action[in_play]] = 1.0
        raster[flat_cells, n_actions] = 1.0
        sums = box_sums(raster.reshape(batch, cfg.height, cfg.width, n_actions + 1), cfg.view_size, cfg.torus)
        mine = sums.reshape(batch * hw, -1)[(np.arange(batch)[:, None] * hw + state.cell)]
        own = np.eye(n_actions + 1)[state.last_action] + np.eye(n_actions + 1)[n_actions]
        others = mine - own * in_play[..., None]
        count = others[..., n_actions:]
        acted = others[..., :n_actions]
        mean = np.divide(acted, count, out=np.zeros(acted.shape), where=count > 0)
        mean[~in_play] = 0.0
        return {
            "neighbour_mean_action": mean.astype(np.float32),
            "removed_left": state.removed_left.copy(),
            "apples": state.apples.copy(),
        }

    def render(self, canvas, state: CommonsState, copy: int, metrics_now: dict[str, float]) -> None:
        """Draw resources, agents with their facing, beams and removed agents, with step and stock."""
        from swarmgym.envs.commons.render import draw

        draw(canvas, state, copy, self.config, metrics_now)


def _nonzero(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 2-D mask, via the (much faster) flat indices."""
    return np.divmod(np.flatnonzero(mask), mask.shape[1])


def _inequity(smoothed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(B, N) Σ_j max(e_j - e_i, 0) and Σ_j max(e_i - e_j, 0), in O(N log N) via sorting."""
    order = np.argsort(smoothed, axis=1)
    ranked = np.take_along_axis(smoothed, order, axis=1)
    n = ranked.shape[1]
    position = np.arange(n)
    through = np.cumsum(ranked, axis=1)
    total = through[:, -1:]
    envy_sorted = (total - through) - (n - 1 - position) * ranked
    guilt_sorted = position * ranked - (through - ranked)
    envy = np.empty_like(smoothed)
    guilt = np.empty_like(smoothed)
    np.put_along_axis(envy, order, envy_sorted, axis=1)
    np.put_along_axis(guilt, order, guilt_sorted, axis=1)
    return envy, guilt
