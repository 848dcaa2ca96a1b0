"""flocking_v0: metrics, observation, dynamics, and the Vicsek / Couzin reference agents."""

import math

import numpy as np
import pytest

import swarmgym
import swarmgym.registry
from swarmgym.core.rng import BatchRandom
from swarmgym.core.spatial import neighbour_pairs
from swarmgym.envs.flocking import metrics
from swarmgym.envs.flocking.dynamics import FlockingState
from swarmgym_agents.registry import load_policy
from swarmgym_agents.rule_based.couzin import CouzinPolicy
from swarmgym_agents.rule_based.vicsek import VicsekLocalPolicy, VicsekPolicy


def state_of(position, heading, action_dim=1):
    position = np.asarray(position, dtype=np.float64)
    heading = np.asarray(heading, dtype=np.float64)
    return FlockingState(
        t=np.zeros(position.shape[0], dtype=np.int64),
        position=position,
        heading=heading,
        last_action=np.zeros((*heading.shape, action_dim), dtype=np.float32),
    )


# -- metrics -------------------------------------------------------------------------------------------


def test_polarisation_of_aligned_and_opposed_agents():
    heading = np.array([[0.3] * 5, [0.0, np.pi, 0.0, np.pi, 0.0]])
    np.testing.assert_allclose(metrics.polarisation(heading), [1.0, 0.2])


@pytest.mark.parametrize("torus", [True, False])
def test_milling_of_a_rotating_ring_is_one_and_of_a_parallel_group_zero(torus):
    angle = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    box = 20.0
    ring = np.stack([1.0 + 3 * np.cos(angle), 2.0 + 3 * np.sin(angle)], -1) % box  # straddles the edge
    if not torus:
        ring = np.stack([10 + 3 * np.cos(angle), 10 + 3 * np.sin(angle)], -1)
    heading = np.stack([angle + np.pi / 2, np.full(24, 0.7)])
    positions = np.stack([ring, ring])
    m = metrics.milling(positions, heading, box, torus)
    np.testing.assert_allclose(m[0], 1.0, atol=1e-9)
    assert m[1] < 1e-9
    assert metrics.polarisation(heading[:1])[0] < 1e-9


def test_largest_cluster_clusters_and_collisions_of_a_known_configuration():
    # A chain of 3 (spacing 0.9 < r = 1, ends 1.8 apart), a close pair (0.02 apart), 1 loner: N = 6.
    pos = np.array([[[1.0, 1.0], [1.9, 1.0], [2.8, 1.0], [6.0, 6.0], [6.02, 6.0], [1.0, 8.0]]])
    pairs = neighbour_pairs(pos, 10.0, True, 1.0)
    largest, n_clusters = metrics.cluster_stats(pairs, 1, 6)
    assert largest[0] == pytest.approx(3 / 6)
    assert n_clusters[0] == 3
    assert metrics.collision_rate(pairs, 0.05, 1, 6)[0] == pytest.approx(2 / 6)
    model = swarmgym.make_model("flocking_v0", n_agents=6, box_size=10.0)
    values = model.metrics(state_of(pos, np.zeros((1, 6))))
    assert values["largest_cluster"][0] == pytest.approx(0.5)
    loner = 3.0  # (1, 8) to (1, 1) through the wrap at y = 10
    expected_nn = (0.9 * 3 + 0.02 * 2 + loner) / 6
    assert values["nearest_neighbour_distance"][0] == pytest.approx(expected_nn)
    assert values["polarisation"][0] == pytest.approx(1.0)


# -- observation ---------------------------------------------------------------------------------------


def slow_observation(model, state):
    cfg = model.config
    k, rad, cs, box = cfg.view_size, cfg.view_size // 2, cfg.cell_size, model.box
    batch, n = state.heading.shape
    out = np.zeros((batch, n, k, k, len(model.channels)))
    for b in range(batch):
        for i in range(n):
            h = state.heading[b, i]
            for j in range(n):
                if j == i:
                    continue
                d = state.position[b, j] - state.position[b, i]
                if cfg.torus:
                    d = d - box * np.round(d / box)
                if cfg.rotate_view:
                    ahead, right = d[0] * np.cos(h) + d[1] * np.sin(h), d[0] * np.sin(h) - d[1] * np.cos(h)
                else:
                    ahead, right = d[1], d[0]
                row, col = rad - math.floor(ahead / cs + 0.5), rad + math.floor(right / cs + 0.5)
                if 0 <= row < k and 0 <= col < k:
                    rel = state.heading[b, j] - h
                    out[b, i, row, col, :3] += [1.0, np.cos(rel), np.sin(rel)]
            count = out[b, i, :, :, 0]
            for c in (1, 2):
                out[b, i, :, :, c] = np.where(count > 0, out[b, i, :, :, c] / np.maximum(count, 1), 0.0)
            if not cfg.torus:
                for row in range(k):
                    for col in range(k):
                        a, r = (rad - row) * cs, (col - rad) * cs
                        if cfg.rotate_view:
                            dx, dy = a * np.cos(h) + r * np.sin(h), a * np.sin(h) - r * np.cos(h)
                        else:
                            dx, dy = r, a
                        x, y = state.position[b, i] + [dx, dy]
                        out[b, i, row, col, 3] = float(x < 0 or x > box or y < 0 or y > box)
    return out


@pytest.mark.parametrize("torus", [True, False])
@pytest.mark.parametrize("rotate", [True, False])
def test_observation_matches_slow_reference(torus, rotate):
    model = swarmgym.make_model(
        "flocking_v0", n_agents=40, density=3.0, torus=torus, rotate_view=rotate, view_size=7, cell_size=0.3
    )
    state = model.reset(BatchRandom.from_seeds([1, 2]))
    obs = model.observe(state)
    assert obs.shape == (2, 40, 7, 7, 3 if torus else 4) and obs.dtype == np.float32
    np.testing.assert_allclose(obs, slow_observation(model, state), atol=1e-5)
    assert model.channels == ("count", "cos", "sin") + (() if torus else ("wall",))


def test_rotated_view_puts_a_neighbour_ahead_in_row_zero_side():
    model = swarmgym.make_model("flocking_v0", n_agents=3, box_size=10.0, view_size=5, cell_size=0.4)
    # Agent 0 at (5, 5) heading +y; agent 1 0.8 ahead of it heading -x (relative +pi/2: to its left);
    # agent 2 0.4 to its right.
    state = state_of([[[5.0, 5.0], [5.0, 5.8], [5.4, 5.0]]], [[np.pi / 2, np.pi, np.pi / 2]])
    obs = model.observe(state)[0, 0]
    assert obs[0, 2, 0] == 1 and obs[2, 3, 0] == 1 and obs[..., 0].sum() == 2
    np.testing.assert_allclose(obs[0, 2, 1:], [0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(obs[2, 3, 1:], [1.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("field", ["position", "heading"])
def test_observation_follows_a_state_changed_in_place(field):
    model = swarmgym.make_model("flocking_v0", n_agents=30, density=3.0)
    state = model.reset(BatchRandom.from_seeds([0]))
    before = model.observe(state)  # from the neighbour search stored by reset
    getattr(state, field)[0, 0] += 0.5
    fresh = model.observe(state_of(state.position.copy(), state.heading.copy()))
    assert not np.array_equal(fresh, before)
    np.testing.assert_array_equal(model.observe(state), fresh)


# -- dynamics and rewards ------------------------------------------------------------------------------


def test_step_turns_then_moves_without_noise_and_wraps():
    model = swarmgym.make_model("flocking_v0", n_agents=2, box_size=5.0, noise=0.0, speed=0.1)
    state = state_of([[[4.95, 1.0], [2.0, 2.0]]], [[0.0, 1.0]])
    rng = BatchRandom.from_seeds([0])
    model.advance(state, np.array([[[0.0], [np.pi]]], dtype=np.float32), rng)
    np.testing.assert_allclose(state.position[0, 0], [0.05, 1.0], atol=1e-12)  # wrapped
    new = 1.0 + np.float32(np.pi) - 2 * np.pi
    np.testing.assert_allclose(state.heading[0], [0.0, new], atol=1e-7)
    np.testing.assert_allclose(state.position[0, 1], [2.0 + 0.1 * np.cos(new), 2.0 + 0.1 * np.sin(new)])


def test_walls_reflect_position_and_heading():
    model = swarmgym.make_model("flocking_v0", n_agents=2, box_size=5.0, noise=0.0, speed=0.1, torus=False)
    state = state_of([[[4.95, 1.0], [2.0, 0.02]]], [[0.0, -np.pi / 2]])
    model.advance(state, np.zeros((1, 2, 1), dtype=np.float32), BatchRandom.from_seeds([0]))
    np.testing.assert_allclose(state.position[0], [[4.95, 1.0], [2.0, 0.08]], atol=1e-12)
    np.testing.assert_allclose(np.abs(state.heading[0]), [np.pi, np.pi / 2], atol=1e-12)


def test_noise_is_uniform_with_full_width_eta():
    model = swarmgym.make_model("flocking_v0", n_agents=2000, noise=1.0, speed=0.01)
    state = model.reset(BatchRandom.from_seeds([0]))
    before = state.heading.copy()
    model.advance(state, np.zeros((1, 2000, 1), dtype=np.float32), BatchRandom.from_seeds([1]))
    xi = (state.heading - before + np.pi) % (2 * np.pi) - np.pi
    assert np.abs(xi).max() <= 0.5 and np.abs(xi).max() > 0.49
    assert abs(np.var(xi) - 1.0 / 12) < 0.006


def test_discrete_actions_turn_by_evenly_spaced_angles():
    model = swarmgym.make_model(
        "flocking_v0", n_agents=2, action_type="discrete", n_turns=5, max_turn=1.0, noise=0.0
    )
    np.testing.assert_allclose(model.turn_angles, [-1.0, -0.5, 0.0, 0.5, 1.0])
    state = state_of([[[1.0, 1.0], [3.0, 3.0]]], [[0.0, 0.0]], action_dim=5)
    model.advance(state, np.array([[0, 3]]), BatchRandom.from_seeds([0]))
    np.testing.assert_allclose(state.heading[0], [-1.0, 0.5])
    np.testing.assert_array_equal(state.last_action[0], np.eye(5)[[0, 3]])


def test_rewards_alignment_isolation_and_collisions():
    model = swarmgym.make_model(
        "flocking_v0", n_agents=4, box_size=10.0, noise=0.0, speed=0.01, min_distance=0.05, team_weight=0.5
    )
    # 0 and 1 aligned 0.5 apart; 2 and 3 collide (0.02 apart) with headings pi/2 apart, far from 0, 1.
    state = state_of([[[1.0, 1.0], [1.5, 1.0], [6.0, 6.0], [6.0, 6.02]]], [[0.0, 0.0, 0.0, np.pi / 2]])
    # Straight ahead: the agents move by 0.01 in their heading; distances stay as described.
    rewards = model.advance(state, np.zeros((1, 4, 1), dtype=np.float32), BatchRandom.from_seeds([0])).rewards
    phi = metrics.polarisation(state.heading)[0]
    np.testing.assert_allclose(
        rewards[0], [1 + 0.5 * phi, 1 + 0.5 * phi, 0 - 1 + 0.5 * phi, -1 + 0.5 * phi], atol=1e-6
    )
    lonely = swarmgym.make_model("flocking_v0", n_agents=2, box_size=10.0, noise=0.0)
    alone = state_of([[[1.0, 1.0], [5.0, 5.0]]], [[0.0, 0.0]])
    rewards = lonely.advance(
        alone, np.zeros((1, 2, 1), dtype=np.float32), BatchRandom.from_seeds([0])
    ).rewards
    np.testing.assert_allclose(rewards, [[-1.0, -1.0]])


def test_agent_info_aggregates_match_brute_force():
    model = swarmgym.make_model(
        "flocking_v0", n_agents=30, density=2.0, zone_repulsion=0.3, zone_orientation=0.8, zone_attraction=1.5
    )
    rng = BatchRandom.from_seeds([4, 5])
    state = model.reset(rng)
    model.advance(state, rng.uniform(-1, 1, (30, 1)).astype(np.float32), rng)
    info = model.agent_info(state)
    box, blind = model.box, model.config.blind_angle
    for b in range(2):
        for i in range(30):
            d = state.position[b] - state.position[b, i]
            d -= box * np.round(d / box)
            dist = np.hypot(d[:, 0], d[:, 1])
            near = dist < 1.0
            h = state.heading[b]
            assert info["neighbour_count"][b, i] == near.sum()
            np.testing.assert_allclose(
                info["neighbour_heading_sum"][b, i], [np.cos(h[near]).sum(), np.sin(h[near]).sum()]
            )
            others = near & (np.arange(30) != i)
            mean = state.last_action[b, others, 0].mean() if others.any() else 0.0
            np.testing.assert_allclose(info["neighbour_mean_action"][b, i, 0], mean, rtol=1e-5, atol=1e-6)
            unit = d / np.where(dist > 0, dist, 1)[:, None]
            seen = (unit @ [np.cos(h[i]), np.sin(h[i])]) >= -np.cos(blind / 2)
            seen &= np.arange(30) != i
            rep, ori, att = (
                seen & (dist < 0.3),
                seen & (dist >= 0.3) & (dist < 0.8),
                seen & (dist >= 0.8) & (dist < 1.5),
            )
            assert (
                info["repulsion_count"][b, i],
                info["orientation_count"][b, i],
                info["attraction_count"][b, i],
            ) == (rep.sum(), ori.sum(), att.sum())
            np.testing.assert_allclose(info["repulsion_sum"][b, i], unit[rep].sum(0), atol=1e-12)
            np.testing.assert_allclose(info["attraction_sum"][b, i], unit[att].sum(0), atol=1e-12)
            np.testing.assert_allclose(
                info["orientation_sum"][b, i], [np.cos(h[ori]).sum(), np.sin(h[ori]).sum()], atol=1e-12
            )


def test_config_errors_name_the_field():
    for field, value in (("noise", 7.0), ("max_turn", 4.0), ("n_turns", 4), ("zone_orientation", 0.01)):
        with pytest.raises(ValueError, match=field):
            swarmgym.make_model("flocking_v0", **{field: value})


def test_render_draws_heading_coloured_triangles():
    env = swarmgym.make("flocking_v0", render_mode="rgb_array", n_agents=50, torus=False)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (668, 640, 3)
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 20  # many hues, not one colour
    env.close()


# -- reference agents ----------------------------------------------------------------------------------


def late_polarisation(policy_name, steps, window, copies=4, **config):
    model = swarmgym.make_model("flocking_v0", **config)
    policy = load_policy(policy_name, "flocking_v0", model)
    rng = BatchRandom.from_seeds(range(copies))
    state = model.reset(rng)
    phi, mill = [], []
    for t in range(steps):
        obs = model.observe(state) if policy_name == "vicsek_local" else None
        model.advance(state, policy.act(obs, {"agent": model.agent_info(state)}), rng)
        if t >= steps - window:
            phi.append(metrics.polarisation(state.heading).mean())
            mill.append(metrics.milling(state.position, state.heading, model.box, model.config.torus).mean())
    return float(np.mean(phi)), float(np.mean(mill))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("eta", "steps", "low", "high"), [(0.5, 400, 0.97, 1.0), (2.0, 600, 0.74, 0.83), (4.0, 300, 0.15, 0.32)]
)
def test_vicsek_agent_reproduces_the_published_curve(eta, steps, low, high):
    """Density 4, N = 300 (L = 8.66); converged by ~400 steps, averaged over a late window.

    docs/models.md#vicsek-checked-numbers
    """
    phi, _ = late_polarisation("vicsek", steps, steps // 2, n_agents=300, noise=eta)
    assert low < phi < high


def test_vicsek_at_full_noise_is_random():
    phi, _ = late_polarisation("vicsek", 100, 100, copies=4, n_agents=300, noise=2 * np.pi)
    assert abs(phi - math.sqrt(math.pi / (4 * 300))) < 0.2 * math.sqrt(math.pi / (4 * 300))


def local_vs_exact_gap(view_size, cell_size):
    model = swarmgym.make_model("flocking_v0", n_agents=300, view_size=view_size, cell_size=cell_size)
    state = model.reset(BatchRandom.from_seeds([0, 1]))
    info = {"agent": model.agent_info(state)}
    exact = VicsekPolicy.for_model(model).act(None, info)[..., 0]
    local = VicsekLocalPolicy.for_model(model).act(model.observe(state), info)[..., 0]
    return np.abs((local - exact + np.pi) % (2 * np.pi) - np.pi)


def test_vicsek_local_approaches_the_exact_rule_as_cells_shrink():
    """Only the cells cut by the circle of radius r differ; finer cells leave fewer agents misplaced."""
    assert np.median(local_vs_exact_gap(5, 0.4)) < 0.3  # the default view, on a random (disordered) start
    fine = local_vs_exact_gap(41, 0.05)
    assert np.median(fine) < 1e-5 and np.mean(fine < 1e-5) > 0.6


def test_vicsek_policy_discrete_picks_the_nearest_turn():
    model = swarmgym.make_model("flocking_v0", n_agents=2, action_type="discrete", n_turns=3, max_turn=1.0)
    info = {
        "agent": {
            "heading": np.array([[0.0, 0.0]]),
            "neighbour_heading_sum": np.array([[[1.0, 0.2], [0.0, -1.0]]]),
        }
    }
    np.testing.assert_array_equal(VicsekPolicy.for_model(model).act(None, info), [[1, 0]])


PRESETS = swarmgym.registry.ENVS["flocking_v0"].presets


@pytest.mark.slow
def test_couzin_narrow_orientation_zone_mills():
    phi, mill = late_polarisation("couzin", 600, 200, copies=3, **PRESETS["couzin_mill"])
    assert mill > 0.4 and phi < 0.4


@pytest.mark.slow
def test_couzin_wide_orientation_zone_moves_in_parallel():
    phi, mill = late_polarisation("couzin", 500, 200, copies=3, **PRESETS["couzin_parallel"])
    assert phi > 0.7 and mill < 0.3


def test_couzin_repulsion_has_priority_and_turns_are_limited():
    policy = CouzinPolicy(max_turn_rate=0.1)
    zeros, empty = np.zeros((1, 1, 2)), np.zeros((1, 1), dtype=np.int64)
    info = {
        "heading": np.zeros((1, 1)),
        "repulsion_count": np.ones((1, 1), dtype=np.int64),
        "repulsion_sum": np.array([[[0.0, 1.0]]]),  # a neighbour straight to the left: turn right
        "orientation_count": empty + 3,
        "orientation_sum": np.array([[[0.0, 3.0]]]),
        "attraction_count": empty,
        "attraction_sum": zeros,
    }
    assert policy.act(None, {"agent": info})[0, 0, 0] == pytest.approx(-0.1)
    info["repulsion_count"] = empty
    assert policy.act(None, {"agent": info})[0, 0, 0] == pytest.approx(0.1)


@pytest.mark.parametrize("torus", [True, False])
def test_grid_binning_equals_exact_binning_when_agents_sit_on_cell_centres(torus):
    """view_binning="grid" only moves cell boundaries: with every agent on a cell centre it is exact."""
    cell, cells, n = 0.5, 12, 40
    config = dict(
        n_agents=n, box_size=cell * cells, cell_size=cell, view_size=5, rotate_view=False, torus=torus
    )
    exact = swarmgym.make_model("flocking_v0", **config)
    grid = swarmgym.make_model("flocking_v0", view_binning="grid", **config)
    state = exact.reset(BatchRandom.from_seeds([0, 1]))
    rng = np.random.default_rng(0)
    picks = np.stack([rng.choice(cells * cells, n, replace=False) for _ in range(2)])
    row, col = np.divmod(picks, cells)
    state.position = np.stack([(col + 0.5) * cell, (row + 0.5) * cell], axis=-1)
    state.position[0, :4] = state.position[0, 4]  # a few agents sharing one cell
    np.testing.assert_allclose(grid.observe(state), exact.observe(state), atol=1e-5)


def test_grid_binning_needs_a_world_aligned_view():
    with pytest.raises(ValueError, match="view_binning"):
        swarmgym.make_model("flocking_v0", view_binning="grid")
    with pytest.raises(ValueError, match="view_binning"):
        swarmgym.make_model("flocking_v0", view_binning="nearest", rotate_view=False)
