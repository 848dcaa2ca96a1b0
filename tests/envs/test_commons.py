"""commons_v0: inequity terms, regrowth rule, logistic map, beam removal, tragedy of the commons."""

import numpy as np
import pytest

import swarmgym
from swarmgym.core.rng import BatchRandom
from swarmgym.envs.commons.config import REGROWTH_PRESETS, CommonsConfig
from swarmgym.envs.commons.dynamics import (
    BACKWARD,
    FIRE,
    FORWARD,
    NOOP,
    STEP_LEFT,
    STEP_RIGHT,
    TURN_RIGHT,
    CommonsModel,
    _inequity,
)
from swarmgym.envs.commons.metrics import disc_counts, logistic_step, regrowth_probability
from swarmgym_agents.registry import load_policy

# One patch (radius 2, 13 cells) centred at (5, 5) of a walled 12x12 grid: the "regular" layout.
HAND = dict(height=12, width=12, n_patches=1, layout="regular", n_agents=2, view_size=5)
CENTRE = (5, 5)


def make(seed=0, batch=1, **overrides):
    model = CommonsModel(CommonsConfig(**{**HAND, **overrides}))
    rng = BatchRandom.from_seeds([seed + b for b in range(batch)])
    return model, model.reset(rng), rng


def flat(row, col, width=12):
    return row * width + col


def place(state, cells, facing):
    state.cell[:] = np.asarray(cells)
    state.facing[:] = np.asarray(facing)


# ---------------------------------------------------- inequity terms of the reward (Perolat et al. 2017)
def test_inequity_terms_match_brute_force():
    e = np.random.default_rng(1).integers(0, 5, (2, 7)).astype(float)  # ties included
    envy, guilt = _inequity(e)
    diff = e[:, None, :] - e[:, :, None]  # [b, i, j] = e_j - e_i
    np.testing.assert_allclose(envy, np.maximum(diff, 0).sum(axis=2))
    np.testing.assert_allclose(guilt, np.maximum(-diff, 0).sum(axis=2))


# ------------------------------------------------------------------------------- regrowth rule
def test_disc_counts_radius_two_excluding_the_cell():
    grid = np.zeros((1, 9, 9), dtype=bool)
    grid[0, 4, 4] = True
    counts = disc_counts(grid, torus=False)[0]
    rows, cols = np.indices((9, 9))
    d2 = (rows - 4) ** 2 + (cols - 4) ** 2
    np.testing.assert_array_equal(counts, ((d2 > 0) & (d2 <= 4)).astype(np.uint8))  # 12 cells, not itself
    full = np.ones((1, 9, 9), dtype=bool)
    assert disc_counts(full, torus=False)[0, 4, 4] == 12
    assert disc_counts(full, torus=False)[0, 0, 0] == 5  # walls: (0,1), (0,2), (1,0), (2,0), (1,1)
    assert disc_counts(full, torus=True)[0, 0, 0] == 12
    corner = np.zeros((1, 9, 9), dtype=bool)
    corner[0, 0, 0] = True
    assert disc_counts(corner, torus=True)[0, 8, 0] == 1 and disc_counts(corner, torus=False)[0, 8, 0] == 0


def test_regrowth_table_index_is_min_l_last():
    table = np.array(REGROWTH_PRESETS["perolat2017"])
    expected = [0, 0.01, 0.01, 0.05, 0.05, 0.1, 0.1, 0.1, 0.1]
    np.testing.assert_allclose(regrowth_probability(np.arange(9), table), expected)
    assert REGROWTH_PRESETS["meltingpot_open"] == (0.0, 0.0025, 0.005, 0.025)


def test_regrowth_on_a_hand_made_patch():
    """Table (0, 1): exactly the empty patch cells within distance 2 of a live apple regrow."""
    model, state, rng = make(regrowth=(0.0, 1.0), beam=False)
    place(state, [[flat(0, 0), flat(11, 11)]], [[0, 0]])
    state.resource[:] = False
    state.resource[0, flat(3, 5)] = True  # the patch's top cell
    model.advance(state, np.full((1, 2), NOOP), rng)
    grown = {divmod(int(c), 12) for c in np.flatnonzero(state.resource[0])}
    patch = {divmod(int(c), 12) for c in state.patch_cells[0, 0]}
    expected = {(r, c) for r, c in patch if (r - 3) ** 2 + (c - 5) ** 2 <= 4}
    assert grown == expected and len(expected) == 5  # (3,5) itself + (4,4), (4,5), (4,6), (5,5)
    # A cell with 0 neighbours never regrows: an empty patch stays empty forever.
    state.resource[:] = False
    for _ in range(20):
        model.advance(state, np.full((1, 2), NOOP), rng)
    assert not state.resource.any()
    assert model.metrics(state)["collapsed"][0] == 1.0


def test_no_regrowth_under_an_agent():
    model, state, rng = make(regrowth=(0.0, 1.0), beam=False)
    place(state, [[flat(4, 5), flat(11, 11)]], [[0, 0]])
    state.resource[:] = False
    state.resource[0, flat(3, 5)] = True
    model.advance(state, np.full((1, 2), NOOP), rng)
    assert not state.resource[0, flat(4, 5)] and state.resource[0, flat(4, 4)]


def test_regrowth_frequencies_follow_the_table():
    """Across 300 copies, an empty cell with L = 1 regrows at 0.2 and one with L >= 2 at 0.6."""
    model, state, rng = make(batch=300, regrowth=(0.0, 0.2, 0.6), beam=False)
    state.cell[:] = [flat(0, 0), flat(11, 11)]
    state.resource[:] = False
    state.resource[:, flat(3, 5)] = True
    state.resource[:, flat(5, 3)] = True
    model.advance(state, np.full((300, 2), NOOP), rng)
    zero = state.resource[:, flat(5, 6)]  # (3,5) at d^2 = 5, (5,3) at d^2 = 9: L = 0
    assert not zero.any()
    single = state.resource[:, flat(4, 6)]  # (3,5) at d^2 = 2, (5,3) at d^2 = 10: L = 1
    double = state.resource[:, flat(4, 4)]  # (3,5) at d^2 = 2, (5,3) at d^2 = 2: L = 2
    assert abs(single.mean() - 0.2) < 0.07 and abs(double.mean() - 0.6) < 0.09


# -------------------------------------------------------------------------------- logistic mode
@pytest.mark.parametrize("rate,capacity", [(0.2, 13.0), (0.5, 40.0)])
def test_logistic_map_collapses_above_msy_and_survives_below(rate, capacity):
    msy = rate * capacity / 4
    stock = np.array([capacity, capacity])
    harvest = np.array([1.1 * msy, 0.9 * msy])
    history = []
    for _ in range(2000):
        stock = logistic_step(stock, harvest, rate, capacity)
        history.append(stock.copy())
    history = np.array(history)
    first_zero = np.argmax(history[:, 0] == 0)
    assert history[first_zero, 0] == 0 and (history[first_zero:, 0] == 0).all()
    equilibrium = capacity / 2 * (1 + np.sqrt(1 - 0.9))  # stable root of r R (1 - R/K) = h
    assert history[-1, 1] == pytest.approx(equilibrium, rel=1e-6)


def test_logistic_env_follows_the_map_and_shows_round_r():
    model, state, rng = make(regrowth="logistic", logistic_rate=0.3, initial_fill=0.5, beam=False, n_agents=3)
    policy = load_policy("greedy", "commons_v0", model, seed=0)
    stocks = []
    for _ in range(60):
        before = state.patch_stock.copy()
        obs = model.observe(state)
        model.advance(state, policy.act(obs, {}), rng)
        harvest = state.harvested.sum()
        np.testing.assert_allclose(state.patch_stock, logistic_step(before, harvest, 0.3, 13.0))
        shown = state.resource[0, state.patch_cells[0, 0]].sum()
        in_patch = (state.patch[0, state.cell[0]] >= 0).sum()
        wanted = min(np.floor(state.patch_stock[0, 0] + 0.5), 13)
        assert wanted - in_patch <= shown <= wanted
        stocks.append(state.patch_stock[0, 0])
    assert stocks[-1] == 0.0 and model.metrics(state)["collapsed"][0] == 1.0  # 3 greedy agents exhaust it


def test_logistic_patch_grows_to_capacity_without_harvest():
    model, state, rng = make(regrowth="logistic", logistic_rate=0.3, initial_fill=0.2, beam=False)
    place(state, [[flat(0, 0), flat(11, 11)]], [[0, 0]])
    for _ in range(200):
        model.advance(state, np.full((1, 2), NOOP), rng)
    assert state.patch_stock[0, 0] == pytest.approx(13.0, rel=1e-3) and state.resource[0].sum() == 13


# ------------------------------------------------------------------------------- moves and beam
def test_moves_are_relative_to_facing():
    model, state, rng = make(beam=False, n_agents=4)
    place(state, [[flat(1, 1), flat(1, 10), flat(10, 1), flat(10, 10)]], [[1, 1, 0, 3]])
    model.advance(state, np.array([[FORWARD, STEP_LEFT, BACKWARD, STEP_RIGHT]]), rng)
    assert [divmod(int(c), 12) for c in state.cell[0]] == [(1, 2), (0, 10), (11, 1), (9, 10)]
    model.advance(state, np.array([[TURN_RIGHT, NOOP, FORWARD, NOOP]]), rng)
    assert state.facing[0].tolist() == [2, 1, 0, 3]
    model.advance(state, np.array([[NOOP, STEP_LEFT, NOOP, NOOP]]), rng)  # into the wall: stays
    assert divmod(int(state.cell[0, 1]), 12) == (0, 10)


def test_same_cell_claims_go_to_one_agent():
    model, state, rng = make(beam=False)
    place(state, [[flat(0, 1), flat(0, 3)]], [[1, 3]])  # facing each other across (0, 2)
    model.advance(state, np.array([[FORWARD, FORWARD]]), rng)
    assert sorted(divmod(int(c), 12) for c in state.cell[0]).count((0, 2)) == 1


def test_beam_removes_after_configured_hits_for_exactly_t_steps():
    model, state, rng = make(hits_to_remove=2, removal_steps=3, beam_cost=0.5, n_agents=3)
    state.resource[:] = False
    place(state, [[flat(1, 1), flat(1, 5), flat(3, 3)]], [[1, 0, 0]])  # 0 faces right at 1 (4 ahead)
    tr = model.advance(state, np.array([[FIRE, NOOP, NOOP]]), rng)
    assert state.hits[0].tolist() == [0, 1, 0] and state.removed_left[0].tolist() == [0, 0, 0]
    assert tr.rewards[0].tolist() == [-0.5, 0.0, 0.0]
    assert state.beam[0, flat(2, 3)] and not state.beam[0, flat(3, 3)]  # width 3: one row either side
    assert not state.beam[0, flat(1, 7)] and state.beam[0, flat(1, 6)]  # length 5
    model.advance(state, np.array([[FIRE, FORWARD, NOOP]]), rng)
    assert state.removed_left[0].tolist() == [0, 3, 0] and state.cell[0, 1] == flat(1, 5)  # did not move
    obs = model.observe(state)
    removed = model.channels.index("self_removed")
    assert (obs[0, 1, ..., removed] == 1).all() and (obs[0, 1, ..., -1] == 3).all()
    assert not obs[0, 1, ..., :removed].any()
    assert model.global_state(state)[0, 1, 5, 2] == 0  # not on the grid
    tombstone = model.channels.index("removed")
    assert obs[0, 2, 0, 4, tombstone] == 1  # agent 2 at (3,3) facing up sees (1,5) two ahead, two right
    left = []
    for _ in range(3):
        assert state.removed_left[0, 1] > 0
        model.advance(state, np.array([[FIRE, FORWARD, NOOP]]), rng)  # ignored, and not hit while out
        left.append(int(state.removed_left[0, 1]))
        assert state.last_action[0, 1] == NOOP
    assert left == [2, 1, 0]
    assert state.removed_steps[0].tolist() == [0, 3, 0]
    assert state.patch[0, state.cell[0, 1]] < 0 and model.global_state(state)[0, ..., 2].sum() == 3
    assert model.metrics(state)["peace"][0] == pytest.approx((3 * 5 - 3) / 5)


def test_observation_is_the_rotated_crop_of_the_state():
    model, state, rng = make(n_agents=6, height=14, width=21, n_patches=2, view_size=7, torus=True)
    policy = load_policy("random", "commons_v0", model, seed=3)
    for _ in range(5):
        model.advance(state, policy.act(model.observe(state), {}), rng)
    obs = model.observe(state)
    res = state.resource[0].reshape(14, 21)
    heading = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]])
    for i in range(6):
        r, c = divmod(int(state.cell[0, i]), 21)
        fwd, right = heading[state.facing[0, i]], heading[(state.facing[0, i] + 1) % 4]
        for a in range(7):
            for b in range(7):
                rr, cc = np.array([r, c]) + (3 - a) * fwd + (b - 3) * right
                assert obs[0, i, a, b, 0] == res[rr % 14, cc % 21]


# ----------------------------------------------------------------------- the tragedy of the commons
def test_greedy_collapses_the_commons_restrained_sustain_it():
    steps = 500
    outcome = {}
    for name in ("greedy", "restrained"):
        vec = swarmgym.make_vec("commons_v0", num_envs=2, max_cycles=steps)
        policy = load_policy(name, "commons_v0", vec.model, seed=0)
        obs, info = vec.reset(seed=0)
        stock = []
        for _ in range(steps):
            obs, _, _, _, info = vec.step(policy.act(obs, info))
            metrics = info["final_metrics"] if info["done"].any() else info["metrics"]
            stock.append(metrics["stock"])
        outcome[name] = (np.array(stock), info["final_metrics"])
    greedy_stock, greedy = outcome["greedy"]
    kept_stock, kept = outcome["restrained"]
    assert (greedy["collapsed"] == 1).all()
    for b in range(2):  # stock 0 from the collapse on, for good
        t = int(greedy["collapse_time"][b])
        assert 0 < t < steps and (greedy_stock[t - 1 :, b] == 0).all()
    assert (kept["collapsed"] == 0).all() and (kept_stock[-1] > 0.3 * 104).all()
    assert (kept["efficiency"] > 2 * greedy["efficiency"]).all()
    assert (kept["sustainability"] > 5 * greedy["sustainability"]).all()
    assert (greedy["peace"] == 10).all() and (kept["peace"] == 10).all()  # nobody fires: P = N


def hand_observation(model, resource=(), others=()):
    obs = np.zeros((1, 1, *model.observation_space.shape), dtype=np.uint8)
    for a, b in resource:
        obs[0, 0, a, b, model.channels.index("resource")] = 1
    for a, b in others:
        obs[0, 0, a, b, model.channels.index("agents")] = 1
    return obs


def test_harvesters_on_hand_observations():
    model = CommonsModel(CommonsConfig(**{**HAND, "view_size": 7}))  # centre (3, 3), row 0 ahead
    greedy = load_policy("greedy", "commons_v0", model, seed=0)
    restrained = load_policy("restrained", "commons_v0", model, seed=0)
    sanctioner = load_policy("sanctioner", "commons_v0", model, seed=0)
    lonely = hand_observation(model, resource=[(2, 3)])  # one apple just ahead, no neighbours
    assert greedy.act(lonely, {})[0, 0] == FORWARD
    assert restrained.act(lonely, {})[0, 0] != FORWARD  # never steps onto a last apple
    cluster = [(2, 3), (1, 3), (1, 2), (1, 4), (0, 3)]  # the apple just ahead has 4 neighbours
    assert restrained.act(hand_observation(model, resource=cluster), {})[0, 0] == FORWARD
    culprit = hand_observation(model, resource=[(0, 2)], others=[(1, 2)])  # next to a last apple, in beam
    assert sanctioner.act(culprit, {})[0, 0] == FIRE
    assert restrained.act(culprit, {})[0, 0] != FIRE


def test_config_errors_name_the_field():
    with pytest.raises(ValueError, match="regrowth"):
        CommonsConfig(regrowth="nope")
    with pytest.raises(ValueError, match="regrowth"):
        CommonsConfig(regrowth=(0.0, 1.5))
    with pytest.raises(ValueError, match="n_patches"):
        CommonsConfig(height=10, width=10, n_patches=3)
    with pytest.raises(ValueError, match="removal_steps"):
        CommonsConfig(removal_steps=300)
    with pytest.raises(ValueError, match="beam_width"):
        CommonsConfig(beam_width=2)
