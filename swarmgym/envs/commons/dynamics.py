"""Commons harvest (common-pool resource appropriation): batch-first dynamics, no pettingzoo/pygame.

The step is one compiled kernel (:func:`_step_copies`) over copies and agents; draws stay in numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces

from swarmgym.core.compiled import kernel
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
#: Clears the "agents" byte of an expanded cell.
_NOT_AGENT = np.uint64(~(0xFF << (8 * AGENTS_BIT)) & 0xFFFFFFFFFFFFFFFF)
# The step kernel's tables are tuples, compile-time constants (a global array is reference-counted,
# an atomic operation, at every use inside the kernel's loops).
#: Per action, the heading of a move relative to the facing (in quarter turns clockwise).
MOVE_TURN = (0, 0, 2, 3, 1, 0, 0, 0)
#: Per action, whether it is a move (forward, backward, step left or right).
IS_MOVE = tuple(action in (FORWARD, BACKWARD, STEP_LEFT, STEP_RIGHT) for action in range(8))
#: Per heading (0 up, 1 right, 2 down, 3 left), the row and column step of one cell ahead.
_AHEAD_ROW, _AHEAD_COL = tuple(int(d) for d in HEADINGS[:, 0]), tuple(int(d) for d in HEADINGS[:, 1])
#: The (d_row, d_col) offsets of the regrowth disc (radius 2, centre excluded).
_DISC_ROW, _DISC_COL = tuple(dr for dr, _ in metrics.DISC2), tuple(dc for _, dc in metrics.DISC2)


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
        self._can_collapse = bool(config.logistic or self.table[0] == 0)
        #: Logistic capacity K of one patch (a property of the config that builds the disc: read it once).
        self._patch_capacity = config.capacity
        #: Total capacity of the patches (apples), the denominator of ``stock_fraction``.
        self._capacity = config.n_patches * (config.capacity if config.logistic else config.patch_cells)
        #: Cells surely free of patches and agents: the respawn threshold's denominator.
        self._min_free = max(self.n_cells - config.n_patches * config.patch_cells - config.n_agents, 1)
        #: The whole window of an agent out of play with t steps left: (self_removed 1, self_time_left t).
        self._removed_planes = (np.uint64(1) << np.uint64(8 * SELF_REMOVED)) | (
            np.arange(config.removal_steps + 1, dtype=np.uint64) << np.uint64(8 * SELF_TIME_LEFT)
        )
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
    def step(self, state: CommonsState, actions: np.ndarray, rng: BatchRandom) -> Transition:
        """Turn, fire, remove, move, harvest, respawn, regrow, and pay every agent at once.

        The random numbers are drawn here, in numpy, and one compiled kernel (:func:`_step_copies`)
        does the rest copy by copy; only the inequity terms (a sort per copy) stay in numpy.
        """
        cfg = self.config
        batch, n, hw = state.batch, self.n_agents, self.n_cells
        # One draw per copy: the N move priorities, then one number per patch cell (same stream as two).
        draws = rng.random((n + state.patch_cells[0].size,))
        # Agents out of play for one last step reappear at its end: each copy with one draws one key per
        # cell, after the draws above (the kernel reads the key rows in copy order).
        returning = np.logical_or.reduce(state.removed_left == 1, axis=1).nonzero()[0]
        keys = rng.subset(returning).random((hw,)) if len(returning) else np.empty((0, hw))

        resource = state.resource.copy()
        patch_stock = state.patch_stock.copy()
        cell = state.cell.copy()
        facing = state.facing.copy()
        removed_left = state.removed_left.copy()
        hits = state.hits.copy()
        apples = state.apples.copy()
        reward_time = state.reward_time.copy()
        reward_steps = state.reward_steps.copy()
        removed_steps = state.removed_steps.copy()
        returns = state.returns.copy()
        smoothed = state.smoothed.copy()
        collapse_t = state.collapse_t.copy()
        actions = actions.astype(np.int64, copy=False)  # one compiled signature whatever the caller's dtype
        acts = np.empty_like(actions)
        beam = np.zeros((batch, hw), dtype=bool)
        got = np.empty((batch, n), dtype=bool)
        fired = np.empty((batch, n), dtype=bool)
        hits_taken = np.empty((batch, n), dtype=np.int64)
        extrinsic = np.empty((batch, n))
        rewards = np.empty((batch, n), dtype=np.float32)
        _step_copies(
            actions, draws, keys, state.t, state.patch, state.patch_cells,
            resource, patch_stock, cell, facing, removed_left, hits,
            apples, reward_time, reward_steps, removed_steps, returns, smoothed, collapse_t,
            acts, beam, got, fired, hits_taken, extrinsic, rewards,
            cfg.height, cfg.width, cfg.torus, cfg.beam_length, cfg.beam_width, cfg.hits_to_remove,
            cfg.removal_steps, self.table, cfg.logistic, cfg.logistic_rate, self._patch_capacity,
            self._can_collapse, self._min_free, cfg.apple_reward, cfg.beam_cost, cfg.hit_penalty,
            cfg.inequity_decay,
        )  # fmt: skip
        if cfg.inequity_alpha > 0 or cfg.inequity_beta > 0:
            envy, guilt = _inequity(smoothed)
            scale = 1.0 / max(n - 1, 1)
            averse = extrinsic - cfg.inequity_alpha * scale * envy - cfg.inequity_beta * scale * guilt
            rewards = averse.astype(np.float32)

        state.resource = resource
        state.patch_stock = patch_stock
        state.cell = cell
        state.facing = facing
        state.removed_left = removed_left
        state.hits = hits
        state.beam = beam
        state.harvested = got
        state.fired = fired
        state.hits_taken = hits_taken
        state.last_action = acts
        state.apples = apples
        state.reward_time = reward_time
        state.reward_steps = reward_steps
        state.removed_steps = removed_steps
        state.returns = returns
        state.smoothed = smoothed
        state.collapse_t = collapse_t
        return Transition(rewards, np.zeros((batch, n), dtype=bool))

    # ---------------------------------------------------------------- observe
    def observe(self, state: CommonsState) -> np.ndarray:
        """(B, N, k, k, 8) uint8 egocentric windows rotated to each agent's facing.

        The six spatial channels are the bits of one uint8 code per cell; the shared window operator
        cuts the rotated windows of the codes and expands each cell through a 256-entry table into its
        8 channel bytes (one uint64) as it copies it. Agents out of play see only their constant
        planes (``self_removed`` 1, ``self_time_left`` t); for agents in play both planes are 0.
        """
        cfg = self.config
        batch, n, rad = state.batch, self.n_agents, cfg.view_size // 2
        codes = np.empty((batch, self.n_cells), dtype=np.uint8)
        row, col, which = (np.empty((batch, n), dtype=np.int64) for _ in range(3))
        _cell_codes(state.resource, state.beam, state.patch, state.cell, state.removed_left, cfg.width,
                    codes, row, col, which)  # fmt: skip
        # Agents out of play (which = their steps left) read the constant window of their removal time.
        removed = (which, self._removed_planes)
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


@kernel
def _step_copies(
    actions, draws, keys, t, patch, patch_cells,
    resource, patch_stock, cell, facing, removed_left, hits,
    apples, reward_time, reward_steps, removed_steps, returns, smoothed, collapse_t,
    acts, beam, got, fired, hits_taken, extrinsic, rewards,
    height, width, torus, beam_length, beam_width, hits_to_remove,
    removal_steps, table, logistic, rate, capacity, can_collapse,
    min_free, apple_reward, beam_cost, hit_penalty, decay,
):  # fmt: skip
    """One step of every copy (see :meth:`CommonsModel.step` and the class docstring), in place.

    The arrays from ``resource`` to ``collapse_t`` are updated, those from ``acts`` to ``rewards`` written.

    ``draws`` (B, N + P M): the move priorities, then one number per patch cell; ``keys`` (C, H W): the
    respawn keys of the C copies with a returning agent, in copy order. Per copy, in order: actions
    (no-op out of play), beams from the start-of-step positions, hits and removals, turns, move claims
    into cells free at the start (highest priority wins, ties all win), harvest, removal clocks,
    respawn, regrowth (table or logistic), collapse, rewards and accumulators. Float operations are
    those of the numpy code this replaced, in the same order (bit-identical rewards and stocks).
    """
    batch, n = cell.shape
    hw = height * width
    n_patches, m = patch_cells.shape[1], patch_cells.shape[2]
    last = len(table) - 1
    table_max = table.max()
    # Per cell of the copy being stepped: i + 1 for agent i in play there at the start of the step (a
    # chain links agents sharing a cell), -(i + 1) on a free cell whose best claim so far is agent i's,
    # then 1 on cells taken at the end of the step. Cleared after every copy (only agents' cells are set).
    mark = np.zeros(hw, dtype=np.int32)
    chain = np.empty(n, dtype=np.int64)
    target = np.empty(n, dtype=np.int64)
    won = np.empty(n, dtype=np.bool_)
    in_play = np.empty(n, dtype=np.bool_)
    playing = np.empty(n, dtype=np.bool_)
    back = np.empty(n, dtype=np.bool_)
    grow = np.empty(n_patches * m, dtype=np.int64)
    harvest = np.empty(n_patches)
    slots = np.empty(m, dtype=np.int64)
    slot_keys = np.empty(m)
    key_row = 0
    half = beam_width // 2
    for b in range(batch):
        t_now = t[b] + 1
        # Actions (no-op out of play), shooters, and who stands where at the start of the step.
        for i in range(n):
            in_play[i] = removed_left[b, i] == 0
            action = actions[b, i] if in_play[i] else 0
            acts[b, i] = action
            fired[b, i] = action == FIRE  # never with beam=False: action 7 is then outside the space
            hits_taken[b, i] = 0
            if in_play[i]:
                here = cell[b, i]
                chain[i] = mark[here] - 1
                mark[here] = i + 1
        # Beams from the positions and facings at the start of the step; each covering is one hit.
        for i in range(n):
            if not fired[b, i]:
                continue
            row0, col0 = cell[b, i] // width, cell[b, i] % width
            ahead_r, ahead_c = _AHEAD_ROW[facing[b, i]], _AHEAD_COL[facing[b, i]]
            right_r, right_c = _AHEAD_ROW[(facing[b, i] + 1) & 3], _AHEAD_COL[(facing[b, i] + 1) & 3]
            for ahead in range(1, beam_length + 1):
                for across in range(-half, beam_width - half):
                    row = row0 + ahead * ahead_r + across * right_r
                    col = col0 + ahead * ahead_c + across * right_c
                    if torus:
                        row, col = row % height, col % width
                    elif row < 0 or row >= height or col < 0 or col >= width:
                        continue  # beyond the walls
                    swept = row * width + col
                    beam[b, swept] = True
                    j = mark[swept] - 1
                    while j >= 0:
                        hits_taken[b, j] += 1
                        j = chain[j]
        # Hits and removals, turns, and move claims into cells free at the start of the step.
        for i in range(n):
            target[i] = -1
            playing[i] = False
            back[i] = removed_left[b, i] == 1
            if in_play[i]:
                total = hits[b, i] + hits_taken[b, i]
                playing[i] = total < hits_to_remove
                hits[b, i] = total if playing[i] else 0
            action = acts[b, i]
            heading = facing[b, i]
            if action == TURN_RIGHT:
                facing[b, i] = (heading + 1) & 3
            elif action == TURN_LEFT:
                facing[b, i] = (heading + 3) & 3
            if not playing[i] or not IS_MOVE[action]:
                continue
            heading = (heading + MOVE_TURN[action]) & 3
            row = cell[b, i] // width + _AHEAD_ROW[heading]
            col = cell[b, i] % width + _AHEAD_COL[heading]
            if torus:
                row, col = row % height, col % width
            elif row < 0 or row >= height or col < 0 or col >= width:
                continue  # into the wall
            goal = row * width + col
            holder = mark[goal]
            if holder > 0:
                continue  # occupied at the start of the step
            target[i] = goal
            if holder == 0 or draws[b, i] > draws[b, -holder - 1]:
                mark[goal] = -(i + 1)
        # The claims with the highest priority on their cell win; then the start-of-step marks go.
        for i in range(n):
            won[i] = target[i] >= 0 and draws[b, i] == draws[b, -mark[target[i]] - 1]
        for i in range(n):
            if target[i] >= 0:
                mark[target[i]] = 0
            if in_play[i]:
                mark[cell[b, i]] = 0
        # Moves, harvest (an agent in play standing on a resource collects it), removal clocks.
        if logistic:
            harvest[:] = 0.0
        for i in range(n):
            if won[i]:
                cell[b, i] = target[i]
            collected = False
            if playing[i]:
                here = cell[b, i]
                mark[here] = 1
                collected = resource[b, here]
                if collected:
                    resource[b, here] = False
                    if logistic:
                        harvest[patch[b, here]] += 1.0
            got[b, i] = collected
            if not in_play[i]:
                removed_left[b, i] -= 1
                removed_steps[b, i] += 1
            elif not playing[i]:
                removed_left[b, i] = removal_steps
            apples[b, i] += collected
            reward_time[b, i] += collected * t_now
            reward_steps[b, i] += collected
            # Rewards, as the numpy expression apple_reward * got - beam_cost * fired (- penalty * hits).
            reward = apple_reward * (1.0 if collected else 0.0) - beam_cost * (1.0 if fired[b, i] else 0.0)
            if hit_penalty != 0.0:
                reward -= hit_penalty * np.float64(hits_taken[b, i])
            extrinsic[b, i] = reward
            smoothed[b, i] = decay * smoothed[b, i] + reward
            returns[b, i] = returns[b, i] + reward
            rewards[b, i] = np.float32(reward)
        # Respawn: the agents whose time out of play ends now reappear on free cells outside the patches.
        wanted = 0
        for i in range(n):
            wanted += back[i]
        if wanted:
            _respawn(keys[key_row], mark, resource[b], patch[b], cell[b], back, wanted, min_free)
            key_row += 1
        # Regrowth on the resource cells of the layout, never under an agent.
        if logistic:
            for p in range(n_patches):
                # The logistic map of metrics.logistic_step, the same operations in the same order.
                stock = patch_stock[b, p]
                stock = stock + rate * stock * (1.0 - stock / capacity) - harvest[p]
                if stock < 0.0:  # np.maximum(stock, 0.0)
                    stock = 0.0
                patch_stock[b, p] = stock
                _show_stock(resource[b], mark, patch_cells[b, p], draws[b, n + p * m : n + (p + 1) * m],
                            stock, slots, slot_keys)  # fmt: skip
        else:
            n_grow = 0
            for s in range(n_patches * m):
                draw = draws[b, n + s]
                if draw >= table_max:
                    continue  # cannot regrow whatever L
                here = patch_cells[b, s // m, s % m]
                if resource[b, here] or mark[here] != 0:
                    continue
                row0, col0 = here // width, here % width
                live = 0
                for d in range(len(_DISC_ROW)):
                    row, col = row0 + _DISC_ROW[d], col0 + _DISC_COL[d]
                    if torus:
                        row, col = row % height, col % width
                    elif row < 0 or row >= height or col < 0 or col >= width:
                        continue
                    live += resource[b, row * width + col]
                if draw < table[min(live, last)]:
                    grow[n_grow] = here
                    n_grow += 1
            for g in range(n_grow):  # after counting: the counts see the resources before regrowth
                resource[b, grow[g]] = True
        # Collapse: no resource left and none can regrow (table[0] = 0), or every logistic stock at 0.
        if can_collapse and collapse_t[b] < 0:
            gone = True
            if logistic:
                for p in range(n_patches):
                    gone = gone and patch_stock[b, p] <= 0
            else:
                for c in range(hw):
                    if resource[b, c]:
                        gone = False
                        break
            if gone:
                collapse_t[b] = t_now
        for i in range(n):
            mark[cell[b, i]] = 0


@kernel
def _respawn(keys, taken, resource, patch, cell, back, wanted, min_free) -> None:
    """One copy: put the ``wanted`` agents flagged ``back`` on free cells outside the patches, in place.

    A cell is free with no resource and no agent (``taken`` 0). The j-th returning agent in agent order
    takes the free cell with the j-th lowest key (ties: lower cell first). Only keys below a threshold
    are looked at, with a wide margin (at least H W - P M - N cells are free); all if too few are free.
    """
    threshold = (wanted + 4.0 * np.sqrt(wanted) + 16.0) / min_free
    free = np.empty(min(len(keys), int(2.0 * threshold * len(keys)) + 64), dtype=np.int64)
    count = _free_cells(keys, threshold, taken, resource, patch, free)
    if count < wanted:
        threshold = 2.0
        count = _free_cells(keys, threshold, taken, resource, patch, free)
    if count > len(free):
        free = np.empty(count, dtype=np.int64)
        _free_cells(keys, threshold, taken, resource, patch, free)
    free = free[:count]
    order = np.argsort(keys[free], kind="mergesort")
    j = 0
    for i in range(len(back)):
        if back[i]:
            cell[i] = free[order[j]]
            taken[cell[i]] = 1
            j += 1


@kernel
def _free_cells(keys, threshold, taken, resource, patch, out) -> int:
    """How many free cells outside the patches have a key below ``threshold``; the first go to ``out``."""
    count = 0
    for c in range(len(keys)):
        if keys[c] < threshold and taken[c] == 0 and not resource[c] and patch[c] < 0:
            if count < len(out):
                out[count] = c
            count += 1
    return count


@kernel
def _show_stock(resource, mark, cells, draws, stock, slots, slot_keys) -> None:
    """Logistic mode, one patch: show min(round(R), M) apples (round half up), in place.

    Missing apples appear on the free cells (no apple, no agent: ``mark`` 0) with the lowest ``draws``,
    surplus ones vanish from the apple cells with the lowest ``draws``.
    """
    m = len(cells)
    wanted = min(np.floor(stock + 0.5), m)
    change = int(wanted)
    for k in range(m):
        change -= resource[cells[k]]
    if change == 0:
        return
    count = 0
    for k in range(m):
        here = resource[cells[k]]
        if (here and change < 0) or (change > 0 and not here and mark[cells[k]] == 0):
            slots[count] = k
            slot_keys[count] = draws[k]
            count += 1
    order = np.argsort(slot_keys[:count], kind="mergesort")
    for j in range(min(abs(change), count)):
        resource[cells[slots[order[j]]]] = change > 0


@kernel
def _cell_codes(resource, beam, patch, cell, removed_left, width, codes, row, col, which):
    """Every cell's observation code, and each agent's row, column and constant-window index.

    A code holds the resource, beam and resource-cell bits, then each agent's presence bit ORed in (an
    agent in play may stand where another was removed from). The window index is -1 for an agent in
    play, else its steps left out of play.
    """
    for b in range(codes.shape[0]):
        for c in range(codes.shape[1]):
            codes[b, c] = (
                np.uint8(resource[b, c])
                | (np.uint8(beam[b, c]) << BEAM_BIT)
                | (np.uint8(patch[b, c] >= 0) << RESOURCE_CELL_BIT)
            )
        for a in range(cell.shape[1]):
            here = cell[b, a]
            out = removed_left[b, a] > 0
            codes[b, here] |= np.uint8(1 << REMOVED_BIT) if out else np.uint8(1 << AGENTS_BIT)
            row[b, a], col[b, a] = here // width, here % width
            which[b, a] = removed_left[b, a] if out else -1
