"""consensus_v0: Kuramoto and bounded-confidence faithfulness, hand-computed metrics, observation crops."""

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

import swarmgym
from swarmgym.core.rng import BatchRandom
from swarmgym.envs.consensus import metrics
from swarmgym.envs.consensus.dynamics import coupling_sums, quantile_frequencies
from swarmgym.registry import ENVS
from swarmgym_agents.registry import load_policy
from swarmgym_agents.rule_based.kuramoto import KuramotoPolicy
from swarmgym_agents.rule_based.opinion import (
    DeffuantPolicy,
    DeGrootPolicy,
    HegselmannKrausePolicy,
    confidence_mean_shift,
)


def run(model, policy, steps, seeds, observe=False):
    """Roll the model with the policy; return the per-step metrics (after each step) and the final state."""
    rng = BatchRandom.from_seeds(seeds)
    state = model.reset(rng)
    history = []
    for _ in range(steps):
        obs = model.observe(state) if observe else None
        model.advance(state, policy.act(obs, {"agent": model.agent_info(state)}), rng)
        history.append(model.metrics(state))
    return history, state


# ---------------------------------------------------------------- Kuramoto, mean field


@pytest.mark.parametrize(("integrator", "tolerance"), [("rk4", 0.01), ("euler", 0.03)])
def test_kuramoto_global_lorentzian_reproduces_kc_and_r_above(integrator, tolerance):
    """gamma = 0.5 (K_c = 1): r = sqrt(1 - K_c / K) above, r = O(N^-1/2) below; N = 4096, quantile omegas."""
    model = swarmgym.make_model("consensus_v0", **ENVS["consensus_v0"].presets["kuramoto_theory"])
    couplings = np.array([0.5, 1.5, 2.0, 3.0])
    policy = KuramotoPolicy.for_model(model, couplings[:, None], integrator)  # one K per copy
    history, _ = run(model, policy, 400, range(len(couplings)))
    r = np.mean([h["order_parameter"] for h in history[200:]], axis=0)
    assert r[0] < 0.1  # below K_c
    theory = np.sqrt(1.0 - 1.0 / couplings[1:])  # 0.577, 0.707, 0.816
    np.testing.assert_allclose(r[1:], theory, atol=tolerance)


def test_kuramoto_action_is_the_mean_field_coupling_and_never_clipped():
    model = swarmgym.make_model("consensus_v0", size=8, coupling="global")
    state = model.reset(BatchRandom.from_seeds([3]))
    info = model.agent_info(state)
    theta = state.value[0]
    z = np.exp(1j * theta).mean()
    expected = model.config.dt * 2.0 * np.abs(z) * np.sin(np.angle(z) - theta)  # dt K r sin(psi - theta_i)
    action = KuramotoPolicy.for_model(model).act(None, {"agent": info})
    np.testing.assert_allclose(action[0, :, 0], expected, atol=1e-6)
    assert np.abs(action).max() <= model.config.dt * 2.0 < model.config.max_correction


def test_local_coupling_sums_match_brute_force():
    model = swarmgym.make_model("consensus_v0", size=7, density=0.6, view_size=3, torus=False)
    state = model.reset(BatchRandom.from_seeds([0, 1]))
    info = model.agent_info(state)
    for b in range(2):
        rows, cols = np.divmod(state.cell[b], 7)
        for i in range(model.n_agents):
            near = (np.abs(rows - rows[i]) <= 1) & (np.abs(cols - cols[i]) <= 1)
            diff = state.value[b, near] - state.value[b, i]
            assert info["coupled_count"][b, i] == near.sum()
            assert info["coupled_sin"][b, i] == pytest.approx(np.sin(diff).sum(), abs=1e-12)
            assert info["coupled_cos"][b, i] == pytest.approx(np.cos(diff).sum(), abs=1e-12)
    sin_sum, cos_sum, count = coupling_sums(state.value, state.cell, 7, 3, False, "local")
    np.testing.assert_allclose(sin_sum, info["coupled_sin"], atol=1e-12)


def test_quantile_frequencies_are_the_inverse_cdf():
    omega = quantile_frequencies(4, "lorentzian", 0.5, 0.0)
    np.testing.assert_allclose(omega, 0.5 * np.tan(np.pi * (np.array([0.125, 0.375, 0.625, 0.875]) - 0.5)))
    gauss = quantile_frequencies(2, "gaussian", 2.0, 1.0)
    np.testing.assert_allclose(gauss, 1.0 + 2.0 * np.array([-0.6744897501960817, 0.6744897501960817]))


def test_phase_step_is_omega_dt_plus_action_mod_2pi():
    model = swarmgym.make_model("consensus_v0", size=4, dt=0.5, frequency_width=1.0)
    rng = BatchRandom.from_seeds([0])
    state = model.reset(rng)
    before, omega = state.value.copy(), state.frequency.copy()
    action = np.full((1, 16, 1), 0.25, dtype=np.float32)
    model.advance(state, action, rng)
    np.testing.assert_allclose(state.value, np.mod(before + 0.5 * omega + 0.25, 2 * np.pi), atol=1e-12)
    np.testing.assert_allclose(state.velocity, omega + 0.5, atol=1e-12)


# ---------------------------------------------------------------- opinions


def opinion_model(**overrides):
    config = {
        "state_kind": "opinion",
        "size": 32,
        "density": 1000 / 1024,
        "view_size": 1,
        "coupling": "global",
    }
    return swarmgym.make_model("consensus_v0", **{**config, **overrides})


def test_hegselmann_krause_global_consensus_at_025_split_at_02():
    """Complete graph, uniform start, N = 1000: one cluster at eps = 0.25, >= 2 at eps = 0.2."""
    model = opinion_model()
    wide, _ = run(model, HegselmannKrausePolicy(0.25, "global"), 40, range(4))
    narrow, _ = run(model, HegselmannKrausePolicy(0.2, "global"), 40, range(4))
    assert (wide[-1]["n_clusters"] == 1).all() and (wide[-1]["disagreement"] < 1e-12).all()
    assert (narrow[-1]["n_major_clusters"] >= 2).all()
    # HK converges in finitely many steps: the last steps change nothing.
    assert narrow[-1]["disagreement"] == pytest.approx(narrow[-2]["disagreement"], abs=1e-12)


def test_confidence_mean_shift_matches_brute_force():
    x = np.random.default_rng(5).random((3, 50))
    shift = confidence_mean_shift(x, 0.1)
    close = np.abs(x[:, None, :] - x[:, :, None]) <= 0.1
    expected = (close * x[:, None, :]).sum(axis=2) / close.sum(axis=2) - x
    np.testing.assert_allclose(shift, expected, atol=1e-12)


def test_hegselmann_krause_local_reads_its_observation():
    model = opinion_model(coupling="local", view_size=3, size=6, density=0.75, torus=False)
    state = model.reset(BatchRandom.from_seeds([2]))
    action = HegselmannKrausePolicy(0.3, "local").act(
        model.observe(state), {"agent": model.agent_info(state)}
    )
    rows, cols = np.divmod(state.cell[0], 6)
    x = state.value[0]
    for i in range(model.n_agents):
        near = (np.abs(rows - rows[i]) <= 1) & (np.abs(cols - cols[i]) <= 1) & (np.abs(x - x[i]) <= 0.3)
        assert action[0, i, 0] == pytest.approx(x[near].mean() - x[i], abs=1e-6)


@pytest.mark.parametrize(("epsilon", "expected"), [(0.3, 1), (0.15, 3)])
def test_deffuant_major_clusters_follow_one_over_two_epsilon(epsilon, expected):
    """Major clusters (> 5 % of agents) after 300 random-matching steps: about floor(1 / (2 eps))."""
    assert expected == int(1 / (2 * epsilon))
    history, _ = run(opinion_model(), DeffuantPolicy(epsilon, 0.5, "global", seed=1), 300, range(3))
    assert (np.abs(history[-1]["n_major_clusters"] - expected) <= 1).all()
    assert np.median(history[-1]["n_major_clusters"]) == expected


def test_deffuant_global_pairs_move_symmetrically():
    """One random perfect matching: both partners move by mu times their gap, so the mean is conserved."""
    x = np.random.default_rng(0).random((2, 10))
    action = DeffuantPolicy(1.1, 0.5, "global", seed=0).act(None, {"agent": {"opinion": x}})[..., 0]
    np.testing.assert_allclose(action.sum(axis=1), 0.0, atol=1e-6)
    after = x + action
    # mu = 1/2 and eps > 1: every pair meets in the middle, so opinions come in equal pairs.
    for row in after:
        values, counts = np.unique(np.round(row, 5), return_counts=True)
        assert (counts == 2).all()


def test_degroot_converges_to_consensus_on_the_lattice():
    model = opinion_model(coupling="local", view_size=5, density=1.0)
    history, state = run(model, DeGrootPolicy(), 300, [0])
    assert history[0]["disagreement"][0] > 1e-3
    assert history[-1]["disagreement"][0] < 1e-10
    # On a regular torus W is doubly stochastic: the consensus is the initial mean.
    start = model.reset(BatchRandom.from_seeds([0])).value.mean()
    assert state.value.mean() == pytest.approx(start, abs=1e-6)


def test_opinion_domain_is_clipped_and_zealots_hold():
    model = opinion_model(zealot_fraction=0.1, zealot_opinion=0.0, max_step=0.5)
    rng = BatchRandom.from_seeds([0])
    state = model.reset(rng)
    assert model.channels == ("occupied", "opinion_diff", "opinion", "zealot")
    assert (state.value[0, :100] == 0.0).all()
    model.advance(state, np.full((1, 1000, 1), 0.5, dtype=np.float32), rng)
    assert (state.value[0, :100] == 0.0).all()  # zealots ignore actions
    assert state.value.max() == 1.0  # the domain is clipped, the action was valid
    with pytest.raises(ValueError, match="agent_0"):
        model.advance(state, np.full((1, 1000, 1), 0.6, dtype=np.float32), rng)  # outside the Box: refused


# ---------------------------------------------------------------- metrics, hand-computed


def test_order_parameter_and_local_order_by_hand():
    np.testing.assert_allclose(metrics.order_parameter(np.array([[0.0, np.pi / 2]])), [np.sqrt(0.5)])
    np.testing.assert_allclose(metrics.order_parameter(np.array([[0.0, np.pi]])), [0.0], atol=1e-15)
    np.testing.assert_allclose(metrics.order_parameter(np.array([[1.0, 1.0, 1.0]])), [1.0])
    # Two agents: one whose view holds both (cos sum 1, sin sum 1, n 2), one alone (1, 0, 1).
    cos_sum, sin_sum, count = np.array([[1.0, 1.0]]), np.array([[1.0, 0.0]]), np.array([[2.0, 1.0]])
    np.testing.assert_allclose(metrics.local_order(cos_sum, sin_sum, count), [(np.sqrt(2) / 2 + 1) / 2])


def test_disagreement_and_clusters_by_hand():
    x = np.array([[0.0, 0.001, 0.5, 0.505, 0.51, 1.0]])
    np.testing.assert_allclose(metrics.disagreement(np.array([[0.0, 1.0]])), [0.25])
    n, major, largest = metrics.opinion_clusters(x, gap=0.01, major=0.2)
    assert n[0] == 3 and major[0] == 2 and largest[0] == pytest.approx(0.5)  # {0, .001} {.5, .505, .51} {1}
    n, major, _ = metrics.opinion_clusters(x, gap=0.004, major=0.0)
    assert n[0] == 5 and major[0] == 5  # .5, .505 and .51 are 0.005 apart: all split


def test_convergence_time():
    assert metrics.convergence_time([0.1, 0.6, 0.4, 0.7, 0.9], 0.5) == 3
    assert metrics.convergence_time([0.9, 0.95], 0.5) == 0
    assert metrics.convergence_time([0.1, 0.6, 0.4], 0.5) is None
    assert metrics.convergence_time([], 0.5) is None
    assert metrics.convergence_time([1.0, 0.2, 0.05, 0.01], 0.1, above=False) == 2


def test_frequency_spread_of_locked_oscillators_vanishes():
    model = swarmgym.make_model(
        "consensus_v0", size=16, coupling="global", frequency_width=0.05, quantile_frequencies=True, dt=0.1
    )
    history, _ = run(model, KuramotoPolicy.for_model(model, 2.0), 400, [0])
    assert history[0]["frequency_spread"][0] > 0.01
    assert history[-1]["frequency_spread"][0] < 1e-4
    assert history[-1]["order_parameter"][0] > 0.99


# ---------------------------------------------------------------- observations and rewards


def test_phase_observation_is_a_relative_crop_of_the_state():
    model = swarmgym.make_model("consensus_v0", size=6, density=0.5, view_size=3)
    state = model.reset(BatchRandom.from_seeds([4]))
    obs = model.observe(state)
    raster = model.global_state(state)[0]
    assert obs.shape == (1, 18, 3, 3, 4) and obs.dtype == np.float32
    for i in range(18):
        r, c = divmod(int(state.cell[0, i]), 6)
        crop = raster[np.ix_((np.arange(r - 1, r + 2)) % 6, (np.arange(c - 1, c + 2)) % 6)]
        np.testing.assert_array_equal(obs[0, i, ..., 0], crop[..., 0])
        diff = crop[..., 1].astype(np.float64) - state.value[0, i]
        np.testing.assert_allclose(obs[0, i, ..., 1], np.cos(diff) * crop[..., 0], atol=2e-6)
        np.testing.assert_allclose(obs[0, i, ..., 2], np.sin(diff) * crop[..., 0], atol=2e-6)
        np.testing.assert_allclose(obs[0, i, ..., 3], crop[..., 2])
        assert obs[0, i, 1, 1, 1] == pytest.approx(1.0, abs=2e-6)


def test_observation_is_invariant_under_a_global_phase_shift():
    model = swarmgym.make_model("consensus_v0", size=8, view_size=5)
    state = model.reset(BatchRandom.from_seeds([0]))
    obs = model.observe(state)
    state.value = np.mod(state.value + 1.234, 2 * np.pi)
    np.testing.assert_allclose(model.observe(state), obs, atol=3e-6)


def test_rewards_by_hand():
    """Two adjacent agents on a 3x3 walled lattice: mean cos of the phase difference, team r, action cost."""
    model = swarmgym.make_model(
        "consensus_v0",
        size=3,
        density=2 / 9,
        view_size=3,
        torus=False,
        team_weight=0.5,
        action_cost=2.0,
        dt=1.0,
    )
    rng = BatchRandom.from_seeds([0])
    state = model.reset(rng)
    state.cell[:] = [[0, 1]]  # adjacent cells
    state.value[:] = [[0.0, 0.0]]
    state.frequency[:] = [[0.0, 0.0]]
    transition = model.advance(state, np.array([[[0.0], [0.5]]], dtype=np.float32), rng)
    r = abs(np.exp(1j * 0.0) + np.exp(1j * 0.5)) / 2
    expected = np.cos(0.5) + 0.5 * r - 2.0 * np.array([0.0, 0.25])
    np.testing.assert_allclose(transition.rewards[0], expected, rtol=1e-6)
    info = model.agent_info(state)
    np.testing.assert_allclose(info["neighbour_mean_action"][0, :, 0], [0.5, 0.0])


def test_opinion_reward_is_minus_mean_squared_difference():
    model = swarmgym.make_model(
        "consensus_v0", state_kind="opinion", size=3, density=3 / 9, view_size=3, torus=False
    )
    rng = BatchRandom.from_seeds([0])
    state = model.reset(rng)
    state.cell[:] = [[0, 1, 8]]  # 0 and 1 adjacent, 8 alone in the far corner
    state.value[:] = [[0.2, 0.6, 0.9]]
    transition = model.advance(state, np.zeros((1, 3, 1), dtype=np.float32), rng)
    np.testing.assert_allclose(transition.rewards[0], [-0.16, -0.16, 0.0], atol=1e-7)


def test_mobility_keeps_cells_distinct_and_moves_agents():
    model = swarmgym.make_model("consensus_v0", size=10, density=0.5, move_probability=1.0, view_size=3)
    rng = BatchRandom.from_seeds([0, 1])
    state = model.reset(rng)
    start = state.cell.copy()
    for _ in range(5):
        model.advance(state, np.zeros((2, 50, 1), dtype=np.float32), rng)
        assert all(len(np.unique(row)) == 50 for row in state.cell)
    assert (state.cell != start).mean() > 0.5


def test_opinion_kind_passes_the_pettingzoo_parallel_api():
    env = swarmgym.make(
        "consensus_v0", state_kind="opinion", size=6, density=0.75, view_size=3, zealot_fraction=0.2
    )
    parallel_api_test(env, num_cycles=30)


def test_config_errors_name_the_field():
    with pytest.raises(ValueError, match="state_kind"):
        swarmgym.make("consensus_v0", state_kind="spin")
    with pytest.raises(ValueError, match="move_probability"):
        swarmgym.make("consensus_v0", move_probability=0.5)  # full lattice: nowhere to go
    with pytest.raises(ValueError, match="zealot"):
        swarmgym.make("consensus_v0", zealot_fraction=0.1)  # zealots are opinion-only


def test_registry_agents_load_for_their_state_kind():
    phase = swarmgym.make_model("consensus_v0")
    opinion = swarmgym.make_model("consensus_v0", state_kind="opinion")
    assert isinstance(load_policy("kuramoto", "consensus_v0", phase), KuramotoPolicy)
    for name in ("hegselmann_krause", "deffuant", "degroot"):
        load_policy(name, "consensus_v0", opinion, seed=0)
    with pytest.raises(ValueError, match="opinion"):
        load_policy("degroot", "consensus_v0", phase)
