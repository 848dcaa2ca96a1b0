import numpy as np
import pytest

from swarmgym_agents.preferences import (
    Preference,
    RewardTransform,
    inequity_aversion,
    inequity_sums,
    prosocial,
)


def test_prosocial_hand_computed():
    rewards = np.array([[1.0, 0.0, 0.0, 3.0]])  # mean 1
    assert np.allclose(prosocial(rewards, 0.0), rewards)
    assert np.allclose(prosocial(rewards, 1.0), [[1.0, 1.0, 1.0, 1.0]])
    # (1 - 0.5) r + 0.5 * 1
    assert np.allclose(prosocial(rewards, 0.5), [[1.0, 0.5, 0.5, 2.0]])


def test_inequity_sums_hand_computed_with_ties():
    traces = np.array([[2.0, 0.0, 2.0, 5.0]])
    envy, guilt = inequity_sums(traces)
    # agent 0 (2): envies 5 by 3; ahead of 0 by 2.  agent 1 (0): envies 2+2+5.  agent 3 (5): ahead 3+5+3.
    assert np.allclose(envy, [[3.0, 9.0, 3.0, 0.0]])
    assert np.allclose(guilt, [[2.0, 0.0, 2.0, 11.0]])


def test_inequity_sums_match_pairwise_definition():
    rng = np.random.default_rng(0)
    traces = rng.normal(size=(5, 7)).round(1)  # rounding makes ties
    diff = traces[:, None, :] - traces[:, :, None]  # [b, i, j] = e_j - e_i
    envy, guilt = inequity_sums(traces)
    assert np.allclose(envy, np.maximum(diff, 0).sum(axis=2))
    assert np.allclose(guilt, np.maximum(-diff, 0).sum(axis=2))


def test_inequity_transform_two_steps_by_hand():
    """Three agents, alpha 5, beta 0.05, decay 0.5: e(1) = r(1); e(2) = 0.5 e(1) + r(2)."""
    transform = RewardTransform({"kind": "inequity", "alpha": 5.0, "beta": 0.05, "decay": 0.5}, 1, 3)
    r1 = np.array([[1.0, 0.0, 0.0]])
    out1 = transform(r1, np.array([False]))
    # agent 0: guilt (1 + 1) -> 1 - 0.05/2 * 2 = 0.95; agents 1, 2: envy 1 -> 0 - 5/2 * 1 = -2.5
    assert np.allclose(out1, [[0.95, -2.5, -2.5]])
    r2 = np.array([[0.0, 1.0, 0.0]])
    out2 = transform(r2, np.array([False]))
    # e = [0.5, 1, 0]: agent 0 envy 0.5, guilt 0.5 -> -2.5/2 * ... computed below
    e = np.array([0.5, 1.0, 0.0])
    expect = [
        0.0 - 2.5 * 0.5 - 0.025 * 0.5,
        1.0 - 0.025 * (0.5 + 1.0),
        0.0 - 2.5 * (0.5 + 1.0),
    ]
    assert np.allclose(transform.traces, e)
    assert np.allclose(out2, [expect])


def test_traces_restart_after_episode_end_per_copy():
    transform = RewardTransform({"kind": "inequity", "alpha": 1.0, "beta": 0.0, "decay": 0.9}, 2, 2)
    transform(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([True, False]))
    assert np.allclose(transform.traces, [[0.0, 0.0], [1.0, 0.0]])
    transform.reset()
    assert not transform.traces.any()


def test_selfish_is_identity_and_record_is_the_identity():
    rewards = np.array([[1.0, -1.0]], dtype=np.float32)
    assert RewardTransform(None, 1, 2)(rewards) is rewards
    assert Preference.parse(None).record() is None
    assert Preference.parse("prosocial:alpha=0.5").record() == {"kind": "prosocial", "alpha": 0.5}
    assert Preference.parse({"kind": "inequity", "alpha": 5}).record() == {
        "kind": "inequity",
        "alpha": 5.0,
        "beta": 0.0,
        "decay": 0.9405,
    }
    assert np.allclose(inequity_aversion(rewards, rewards, 0.0, 0.0), rewards)


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "altruist"},
        {"kind": "prosocial", "alpha": 1.5},
        {"kind": "inequity", "alpha": -1},
        {"kind": "inequity", "decay": 1.0},
        {"kind": "prosocial", "gamma": 1.0},
        "inequity:alpha",
    ],
)
def test_bad_preferences_are_refused(bad):
    with pytest.raises(ValueError):
        Preference.parse(bad)


def test_learners_train_on_transformed_rewards_while_env_keeps_true_ones():
    from swarmgym_agents.mean_field import MeanFieldEnv
    from swarmgym_agents.sb3_vec_env import SwarmSB3VecEnv

    small = {"height": 10, "width": 14, "n_patches": 2, "n_agents": 4, "view_size": 5}
    pref = {"kind": "prosocial", "alpha": 1.0}
    venv = SwarmSB3VecEnv("commons_v0", num_copies=2, seed=0, max_cycles=5, preference=pref, **small)
    mf = MeanFieldEnv("commons_v0", 2, 5, preference=pref, **small)
    venv.reset()
    mf.reset(0)
    rng = np.random.default_rng(0)
    for _ in range(6):
        actions = rng.integers(1, 5, size=8)
        _, learned, _, infos = venv.step(actions)
        out = mf.step(actions)
        true = out["true_reward"].reshape(2, 4)
        assert np.allclose(out["reward"].reshape(2, 4), true.mean(1, keepdims=True))
        assert np.allclose(learned, out["reward"])  # same seeds, same actions, same transformation
        if infos[0]:  # episode end: SB3's episode return is the true, selfish one
            assert np.isclose(infos[0]["episode"]["r"], venv.last_info["episode_return"][0, 0])
            assert np.allclose(mf.last_info["episode_return"], venv.last_info["episode_return"])
