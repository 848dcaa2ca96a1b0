"""segregation_v0: Schelling's published behaviour, movement rules, rewards and metrics by hand."""

import numpy as np
import pytest

import swarmgym
from swarmgym.core.rng import BatchRandom
from swarmgym.envs.segregation import metrics
from swarmgym.envs.segregation.dynamics import DOWN, RELOCATE, RIGHT, STAY, UP, SegregationState
from swarmgym_agents import load_policy


def run_schelling(steps, seed=0, batch=4, agent="schelling", **config):
    vec = swarmgym.make_vec("segregation_v0", num_envs=batch, max_cycles=10_000, **config)
    policy = load_policy(agent, "segregation_v0", vec.model, seed=seed)
    obs, info = vec.reset(seed=seed)
    start = info["metrics"]
    for _ in range(steps):
        obs, _, _, _, info = vec.step(policy.act(obs, info))
    return start, info["metrics"]


@pytest.mark.parametrize(("tolerance", "low", "high"), [(0.3, 0.72, 0.78), (0.5, 0.84, 0.90)])
def test_schelling_reproduces_published_similarity(tolerance, low, high):
    """50×50 torus, 10 % vacancies: ≈ 0.50 at start, ≈ 0.75 at tau 0.3, ≈ 0.87 at tau 0.5.

    docs/models.md#schelling-checked-numbers
    """
    start, end = run_schelling(120, tolerance=tolerance)
    np.testing.assert_allclose(start["segregation"], 0.5, atol=0.02)
    assert np.all((end["segregation"] > low) & (end["segregation"] < high)), end["segregation"]
    assert np.all(end["unsatisfied"] < 0.01)


def test_zero_tolerance_leaves_the_mix_random():
    start, end = run_schelling(30, tolerance=0.0)
    assert np.all(end["moved"] == 0)
    np.testing.assert_allclose(end["segregation"], start["segregation"])


def test_high_tolerance_with_few_vacancies_stays_mixed_and_unsettled():
    start, end = run_schelling(120, tolerance=0.8, vacancy=0.05)
    assert np.all(end["segregation"] < 0.62)
    assert np.all(end["unsatisfied"] > 0.5)
    assert np.all(end["moved"] > 0.02)


def test_walking_variant_improves_satisfaction():
    start, end = run_schelling(150, tolerance=0.3, agent="schelling_walk", relocate=False)
    assert np.all(end["segregation"] > start["segregation"] + 0.01)
    assert np.all(end["unsatisfied"] < start["unsatisfied"])


def make_state(model, placements):
    """A one-copy state from {agent: (row, col)}; agents not named are packed into the last rows."""
    size = model.config.size
    cell = np.array([r * size + c for r, c in placements])
    grid = np.zeros(size * size, dtype=np.uint8)
    grid[cell] = model.codes
    return SegregationState(
        t=np.zeros(1, dtype=np.int64),
        grid=grid.reshape(1, size, size),
        cell=cell[None],
        moved=np.zeros((1, len(cell)), dtype=bool),
        last_action=np.zeros((1, len(cell)), dtype=np.int64),
    )


def tiny_model(**config):
    # 6×6 lattice with 4 agents (2 per group): vacancy chosen so N = 4.
    return swarmgym.make_model("segregation_v0", size=6, vacancy=32 / 36, **config)


def test_claims_on_one_cell_are_won_by_random_priority_not_order():
    model = tiny_model(torus=False)
    wins = np.zeros(2)
    for seed in range(40):
        # agent_0 at (2, 1) moves right, agent_2 at (2, 3) moves left: both claim (2, 2).
        state = make_state(model, [(2, 1), (5, 5), (2, 3), (0, 5)])
        model.advance(state, np.array([[RIGHT, STAY, 4, STAY]]), BatchRandom.from_seeds([seed]))
        moved = state.moved[0]
        assert moved[0] + moved[2] == 1
        wins += moved[[0, 2]]
        assert (state.grid[0] != 0).sum() == 4
    assert wins.min() >= 10


def test_walls_block_and_moves_need_an_empty_cell():
    model = tiny_model(torus=False, move_cost=0.1, satisfied_reward=0.0)
    state = make_state(model, [(0, 0), (0, 1), (3, 3), (5, 5)])
    transition = model.advance(state, np.array([[UP, 4, DOWN, RIGHT]]), BatchRandom.from_seeds([0]))
    assert state.moved[0].tolist() == [False, False, True, False]  # wall, occupied, free, wall
    np.testing.assert_allclose(transition.rewards[0], [-0.1] * 4)
    assert state.cell[0, 2] == 4 * 6 + 3


def test_moves_wrap_on_a_torus():
    model = tiny_model(torus=True)
    state = make_state(model, [(0, 0), (2, 2), (3, 3), (4, 4)])
    model.advance(state, np.array([[UP, STAY, STAY, STAY]]), BatchRandom.from_seeds([0]))
    assert state.cell[0, 0] == 5 * 6 + 0


def test_relocation_lands_on_a_vacancy_and_keeps_the_grid_consistent():
    model = swarmgym.make_model("segregation_v0", size=12)
    rng = BatchRandom.from_seeds([3, 4])
    state = model.reset(rng)
    for _ in range(20):
        before = state.grid.reshape(2, -1).copy()
        actions = np.random.default_rng(0).choice([STAY, RELOCATE, UP], size=(2, model.n_agents))
        model.advance(state, actions, rng)
        movers = state.moved & (actions == RELOCATE)
        assert np.all(np.take_along_axis(before, state.cell, 1)[movers] == 0)
        flat = state.grid.reshape(2, -1)
        np.testing.assert_array_equal(
            np.take_along_axis(flat, state.cell, 1), np.broadcast_to(model.codes, (2, model.n_agents))
        )
        assert np.all((flat != 0).sum(axis=1) == model.n_agents)


def test_rewards_by_hand():
    model = tiny_model(
        torus=False,
        tolerance=0.5,
        satisfied_reward=1.0,
        same_weight=0.25,
        other_weight=0.5,
        interdependence_reward=2.0,
        move_cost=0.0,
    )
    # agent_0 (group 0) at (0, 0) neighbours agent_1 (group 0) at (0, 1) and agent_2 (group 1) at (1, 1).
    state = make_state(model, [(0, 0), (0, 1), (1, 1), (5, 5)])
    transition = model.advance(state, np.zeros((1, 4), dtype=np.int64), BatchRandom.from_seeds([0]))
    # agent_0: same 1, other 1 -> satisfied (0.5 >= 0.5): 1 + 0.25 - 0.5 + 2 = 2.75
    # agent_2: same 0, other 2 -> unsatisfied: 0 + 0 - 1.0 + 2 = 1.0; agent_3 alone: satisfied, 1.0
    np.testing.assert_allclose(transition.rewards[0], [2.75, 2.75, 1.0, 1.0])


def stripes(torus=True):
    grid = np.array([[1, 1, 2, 2]] * 4, dtype=np.uint8)[None]
    return grid


def test_metrics_on_stripes_by_hand():
    grid = stripes()
    same, occupied = metrics.moore_counts(grid, torus=True)
    # Every cell: 3 like and 3 unlike horizontally/diagonally across, 2 like vertically -> 5/8 similar.
    np.testing.assert_allclose(metrics.similarity(same, occupied, grid), [5 / 8])
    np.testing.assert_allclose(metrics.interface_density(grid, torus=True), [3 / 8])
    np.testing.assert_allclose(metrics.dissimilarity(grid, 2, block_size=2), [1.0])
    np.testing.assert_allclose(metrics.cluster_sizes(grid, torus=True), [2 * 8**2])


def test_checkerboard_is_fully_mixed():
    grid = (np.indices((4, 4)).sum(axis=0) % 2 + 1).astype(np.uint8)[None]
    np.testing.assert_allclose(metrics.dissimilarity(grid, 2, block_size=2), [0.0])
    np.testing.assert_allclose(metrics.interface_density(grid, torus=True), [0.5])


def test_clusters_join_across_the_seam_only_on_a_torus():
    grid = np.zeros((1, 4, 4), dtype=np.uint8)
    grid[0, :, 0] = 1
    grid[0, :, 3] = 1
    assert metrics.cluster_sizes(grid, torus=True)[0] == 8**2
    assert metrics.cluster_sizes(grid, torus=False)[0] == 2 * 4**2


def test_observation_is_a_crop_of_the_state():
    model = swarmgym.make_model(
        "segregation_v0",
        size=9,
        torus=False,
        view_size=5,
        group_fractions=(0.3, 0.3, 0.4),
        other_channels="per_group",
    )
    state = model.reset(BatchRandom.from_seeds([1]))
    obs = model.observe(state)[0]
    assert model.channels == ("own", "other_1", "other_2", "empty", "wall")
    grid = np.pad(state.grid[0].astype(int), 2, constant_values=-1)
    for i in range(0, model.n_agents, 7):
        r, c = divmod(state.cell[0, i], 9)
        crop = grid[r : r + 5, c : c + 5]
        own = model.codes[i]
        np.testing.assert_array_equal(obs[i, ..., 0], crop == own)
        np.testing.assert_array_equal(obs[i, ..., 1], crop == (own % 3) + 1)
        np.testing.assert_array_equal(obs[i, ..., 2], crop == ((own + 1) % 3) + 1)
        np.testing.assert_array_equal(obs[i, ..., 3], crop == 0)
        np.testing.assert_array_equal(obs[i, ..., 4], crop == -1)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("vacancy", 0.0),
        ("vacancy", 1.0),
        ("tolerance", 1.5),
        ("size", 2),
        ("group_fractions", (1.0,)),
        ("group_fractions", (0.5, 0.6)),
        ("other_channels", "many"),
        ("move_cost", -1.0),
        ("block_size", 0),
    ],
)
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=field.split("[")[0]):
        swarmgym.make_model("segregation_v0", **{field: value})


def slow_moore(grid, r, c, torus):
    """Same-code and occupied Moore neighbours of cell (r, c) of one (H, W) grid, one neighbour at a time."""
    height, width = grid.shape
    same = occupied = 0
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            rr, cc = r + dr, c + dc
            if (dr, dc) == (0, 0) or not (torus or (0 <= rr < height and 0 <= cc < width)):
                continue
            code = grid[rr % height, cc % width]
            occupied += code != 0
            same += code != 0 and code == grid[r, c]
    return same, occupied


@pytest.mark.parametrize("torus", [True, False])
@pytest.mark.parametrize("groups", [(0.5, 0.5), (0.2, 0.3, 0.5)])
def test_neighbour_counts_and_moore_counts_match_a_slow_reference(torus, groups):
    """The per-agent counts of the step (rewards, agent_info) and the per-cell counts of the metrics."""
    vec = swarmgym.make_vec(
        "segregation_v0", num_envs=2, max_cycles=100, size=5, torus=torus, group_fractions=groups
    )
    vec.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(20):
        _, _, _, _, info = vec.step(rng.integers(0, vec.action_space.n, (2, vec.num_agents)))
        state = vec.core_state
        cell_same, cell_occupied = metrics.moore_counts(state.grid, torus)
        for b in range(2):
            for r in range(5):
                for c in range(5):
                    expected = slow_moore(state.grid[b], r, c, torus)
                    assert (cell_same[b, r, c], cell_occupied[b, r, c]) == expected
            for i, cell in enumerate(state.cell[b]):
                same, occupied = slow_moore(state.grid[b], *divmod(int(cell), 5), torus)
                assert info["agent"]["same_neighbours"][b, i] == same
                assert info["agent"]["other_neighbours"][b, i] == occupied - same


@pytest.mark.parametrize("torus", [True, False])
@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (3, 7), (6, 4)])
def test_moore_counts_on_small_and_non_square_lattices(torus, shape):
    """A torus smaller than 3×3 counts a wrapped cell as often as the 3×3 block covers it."""
    grid = np.random.default_rng(sum(shape)).integers(0, 4, (2, *shape)).astype(np.uint8)
    same, occupied = metrics.moore_counts(grid, torus)
    for b in range(2):
        for r in range(shape[0]):
            for c in range(shape[1]):
                assert (same[b, r, c], occupied[b, r, c]) == slow_moore(grid[b], r, c, torus)
