"""The PettingZoo adapter's own behaviour beyond pettingzoo.test: infos, metrics, episode end."""

import numpy as np
import pytest

import swarmgym


def test_infos_share_one_metrics_dict_and_fast_path_leaves_them_empty():
    env = swarmgym.make("segregation_v0", size=8, vacancy=0.25)
    _, infos = env.reset(seed=0)
    assert infos["agent_0"] is infos["agent_1"] and infos["agent_0"] == env.metrics()
    fast = swarmgym.make("segregation_v0", size=8, vacancy=0.25, with_info=False)
    _, infos = fast.reset(seed=0)
    actions = dict.fromkeys(fast.agents, 0)
    _, _, _, _, infos = fast.step(actions)
    assert infos == {agent: {} for agent in fast.possible_agents}
    assert infos["agent_0"] is infos["agent_1"]
    assert fast.metrics()["segregation"] == pytest.approx(env.metrics()["segregation"])


def test_episode_ends_by_truncation_and_stepping_after_it_is_refused():
    env = swarmgym.make("segregation_v0", size=8, vacancy=0.25, max_cycles=2)
    env.reset(seed=0)
    actions = dict.fromkeys(env.possible_agents, 0)
    *_, truncations, _ = env.step(actions)
    assert not any(truncations.values()) and env.agents
    *_, truncations, _ = env.step(actions)
    assert all(truncations.values()) and env.agents == []
    with pytest.raises(RuntimeError, match="reset"):
        env.step(actions)


def test_reset_without_seed_continues_the_stream():
    env = swarmgym.make("segregation_v0", size=8, vacancy=0.25)
    first = env.reset(seed=3)[0]["agent_0"]
    second = env.reset()[0]["agent_0"]
    again = swarmgym.make("segregation_v0", size=8, vacancy=0.25)
    again.reset(seed=3)
    np.testing.assert_array_equal(again.reset()[0]["agent_0"], second)
    assert np.array_equal(env.reset(seed=3)[0]["agent_0"], first)
