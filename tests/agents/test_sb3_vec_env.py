"""The SB3 VecEnv adapter: copy b equals a single env seeded seed + b, time limits, PPO's seed."""

import numpy as np

import swarmgym
from swarmgym_agents.sb3_vec_env import SwarmSB3VecEnv

SMALL = {"size": 6, "vacancy": 0.3}  # 25 agents


def test_sb3_vec_env_matches_single_envs_and_marks_time_limits():
    venv = SwarmSB3VecEnv("segregation_v0", num_copies=2, max_cycles=3, **SMALL)
    n = venv.num_agents
    assert venv.num_envs == 2 * n
    venv.seed(5)
    obs = venv.reset()
    singles = [swarmgym.make("segregation_v0", max_cycles=3, **SMALL) for _ in range(2)]
    for b, env in enumerate(singles):  # copy b == a single env seeded 5 + b
        first, _ = env.reset(seed=5 + b)
        np.testing.assert_array_equal(
            obs[b * n : (b + 1) * n], np.stack([first[a] for a in env.possible_agents])
        )
    rng = np.random.default_rng(0)
    returns = np.zeros(2 * n)
    for t in range(3):
        actions = rng.integers(0, 6, 2 * n)
        obs, rewards, dones, infos = venv.step(actions)
        for b, env in enumerate(singles):
            out = env.step(dict(zip(env.possible_agents, actions[b * n : (b + 1) * n])))
            single_obs = np.stack([out[0][a] for a in env.possible_agents])
            single_rew = np.array([out[1][a] for a in env.possible_agents])
            np.testing.assert_allclose(rewards[b * n : (b + 1) * n], single_rew)
            returns[b * n : (b + 1) * n] += single_rew
            if t < 2:
                np.testing.assert_array_equal(obs[b * n : (b + 1) * n], single_obs)
            else:
                terminal = np.stack([infos[j]["terminal_observation"] for j in range(b * n, (b + 1) * n)])
                np.testing.assert_array_equal(terminal, single_obs)
        if t < 2:
            assert not dones.any() and all(info == {} for info in infos)
    assert dones.all()
    assert all(info["TimeLimit.truncated"] for info in infos)
    np.testing.assert_allclose([info["episode"]["r"] for info in infos], returns, rtol=1e-6)
    assert {info["episode"]["l"] for info in infos} == {3}
    # the returned observation is already the first of the next episode (auto-reset), not the terminal one
    assert not np.array_equal(obs, np.stack([info["terminal_observation"] for info in infos]))
    assert set(venv.pop_finished_metrics()) >= {"segregation", "unsatisfied"}


def test_ppo_seed_argument_seeds_the_copies():
    from stable_baselines3 import PPO

    venv = SwarmSB3VecEnv("segregation_v0", num_copies=2, max_cycles=4, **SMALL)
    assert venv.seed(7)[: venv.num_agents + 1] == [7] * venv.num_agents + [8]
    model = PPO("MlpPolicy", venv, n_steps=4, batch_size=50, n_epochs=1, seed=11, device="cpu")
    model.learn(200)  # PPO(seed=...) calls venv.seed(11); SuperSuit's route crashes here
    assert model.num_timesteps >= 200
    reference = swarmgym.make_vec("segregation_v0", num_envs=2, max_cycles=4, **SMALL).reset(seed=11)[0]
    venv.seed(11)
    np.testing.assert_array_equal(venv.reset(), reference.reshape(venv.num_envs, *reference.shape[2:]))
