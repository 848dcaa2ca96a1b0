"""The batched env's episode bookkeeping: auto-reset, terminal observations, returns, fast path."""

import numpy as np
import pytest

import swarmgym


def test_auto_reset_keeps_terminal_observation_and_episode_stats():
    vec = swarmgym.make_vec("segregation_v0", num_envs=2, max_cycles=3, size=8, vacancy=0.25)
    obs, _ = vec.reset(seed=0)
    actions = np.zeros((2, vec.num_agents), dtype=np.int64)
    total = np.zeros((2, vec.num_agents))
    for _ in range(3):
        obs, rewards, terminated, truncated, info = vec.step(actions)
        total += rewards
    assert truncated.all() and not terminated.any() and info["done"].all()
    np.testing.assert_allclose(info["episode_return"], total)
    assert info["episode_length"].tolist() == [3, 3]
    # Staying still never changes the lattice: the terminal observation is the old episode's.
    fresh = swarmgym.make_vec("segregation_v0", num_envs=2, max_cycles=3, size=8, vacancy=0.25)
    first, _ = fresh.reset(seed=0)
    np.testing.assert_array_equal(info["final_observation"], first)
    assert not np.array_equal(obs, first)  # the returned observation starts the next episode
    assert vec.core_state.t.tolist() == [0, 0]


def test_fast_path_skips_per_step_info_but_reports_final_metrics():
    vec = swarmgym.make_vec("segregation_v0", num_envs=3, max_cycles=2, with_info=False, size=8, vacancy=0.25)
    vec.reset(seed=1)
    _, _, _, _, info = vec.step(np.zeros((3, vec.num_agents), dtype=np.int64))
    assert info["metrics"] == {} and info["agent"] == {}
    _, _, _, _, info = vec.step(np.zeros((3, vec.num_agents), dtype=np.int64))
    assert info["final_metrics"]["segregation"].shape == (3,)


def test_bad_batch_arguments_and_actions():
    with pytest.raises(ValueError, match="num_envs"):
        swarmgym.make_vec("segregation_v0", num_envs=0)
    vec = swarmgym.make_vec("segregation_v0", num_envs=2, size=8, vacancy=0.25)
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        vec.step(np.zeros((3, vec.num_agents), dtype=np.int64))
    with pytest.raises(ValueError, match="agent_5"):
        bad = np.zeros((2, vec.num_agents), dtype=np.int64)
        bad[1, 5] = 9
        vec.step(bad)
