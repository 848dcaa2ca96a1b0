"""Learning baselines: the SB3 VecEnv adapter, PPO / MF-Q / MF-AC training, loading, evaluation."""

import json

import numpy as np
import pytest
import torch
from gymnasium import spaces

import swarmgym
from swarmgym.evaluation.evaluate import evaluate
from swarmgym.metrics.stats import bootstrap_ci, interquartile_mean, mean_ci, stratified_bootstrap_ci
from swarmgym.registry import ENVS
from swarmgym.training import train
from swarmgym_agents.base import Policy
from swarmgym_agents.mean_field import ActionTable
from swarmgym_agents.registry import load_policy
from swarmgym_agents.sb3_vec_env import SwarmSB3VecEnv

torch.set_num_threads(1)
SMALL = {"size": 6, "vacancy": 0.3}  # 25 agents
TINY_HYPER = {
    "ppo": {"n_steps": 4, "n_epochs": 1},
    "mfq": {"learning_starts": 50, "batch_size": 32, "buffer_size": 2000},
    "mfac": {"n_steps": 4, "n_epochs": 1},
}


# -- the SB3 VecEnv --------------------------------------------------------------------------------
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


# -- train -> checkpoint -> resume -> evaluate -----------------------------------------------------
@pytest.mark.parametrize("algo", ["ppo", "mfq", "mfac"])
def test_train_interrupted_resumes_to_the_same_steps_and_loads_by_name(algo, tmp_path, monkeypatch):
    import swarmgym.training.trainer as training

    out = tmp_path / algo
    kwargs = dict(
        steps=600,
        seed=1,
        config=SMALL,
        checkpoint_every=200,
        num_copies=2,
        max_cycles=10,
        hyper=TINY_HYPER[algo],
        eval_seeds=2,
        progress=False,
        verbose=False,
    )
    real_write = training.write_json

    def killed_after_first_checkpoint(path, data):
        real_write(path, data)
        if data.get("steps_done", 0) > 0:
            raise KeyboardInterrupt

    monkeypatch.setattr(training, "write_json", killed_after_first_checkpoint)
    with pytest.raises(KeyboardInterrupt):
        train("segregation_v0", algo, out, **kwargs)
    monkeypatch.setattr(training, "write_json", real_write)
    suffix = ".zip" if algo == "ppo" else ".pt"
    midway = json.loads((out / "run.json").read_text())
    assert 0 < midway["steps_done"] < 600 and (out / f"checkpoint{suffix}").exists()
    assert not (out / f"model{suffix}").exists()
    with pytest.raises(ValueError, match="already holds a run"):
        train("segregation_v0", algo, out, **kwargs)
    run = train("segregation_v0", algo, out, resume=True, progress=False, verbose=False)
    assert run["steps_done"] >= 600 and run["steps"] == 600
    extended = train("segregation_v0", algo, out, steps=900, resume=True, progress=False, verbose=False)
    assert extended["steps_done"] >= 900 and extended["steps"] == 900
    assert (out / f"model{suffix}").exists() and list((out / "tb").iterdir())
    summary = run["evaluation"][f"{algo}:{out}"]["summary"]["steady"]["segregation"]
    assert 0.0 <= summary["low"] <= summary["mean"] <= summary["high"] <= 1.0
    policy = load_policy(f"{algo}:{out}", "segregation_v0", swarmgym.make_model("segregation_v0", **SMALL))
    assert isinstance(policy, Policy)
    venv = swarmgym.make_vec("segregation_v0", num_envs=3, **SMALL)
    obs, info = venv.reset(seed=0)
    actions = policy.act(obs, info)
    assert actions.shape == (3, venv.num_agents) and ((actions >= 0) & (actions < 6)).all()


@pytest.mark.parametrize("algo", ["ppo", "mfq", "mfac"])
def test_training_is_deterministic_given_the_seed(algo, tmp_path):
    def weights(name):
        kwargs = dict(
            steps=300,
            seed=3,
            config=SMALL,
            num_copies=2,
            max_cycles=10,
            hyper=TINY_HYPER[algo],
            eval_seeds=0,
            progress=False,
            verbose=False,
        )
        train("segregation_v0", algo, tmp_path / name, **kwargs)
        if algo == "ppo":
            from stable_baselines3 import PPO

            return PPO.load(tmp_path / name / "model.zip", device="cpu").policy.state_dict()
        checkpoint = torch.load(tmp_path / name / "model.pt", weights_only=True)
        return checkpoint["q" if algo == "mfq" else "actor"]

    first, second = weights("a"), weights("b")
    assert all(torch.equal(first[key], second[key]) for key in first)


# -- bad inputs ------------------------------------------------------------------------------------
def test_bad_inputs_get_clear_errors(tmp_path):
    model = swarmgym.make_model("segregation_v0", **SMALL)
    with pytest.raises(ValueError, match="unknown algorithm"):
        train("segregation_v0", "dqn", tmp_path / "a", steps=10)
    with pytest.raises(ValueError, match="unknown env id"):
        train("nope_v0", "ppo", tmp_path / "b", steps=10)
    with pytest.raises(TypeError, match="colour"):
        train("segregation_v0", "mfq", tmp_path / "c", steps=10, config={"colour": 1})
    with pytest.raises(ValueError, match="learned-agent prefix"):
        load_policy("dqn:runs/x", "segregation_v0", model)
    with pytest.raises(ValueError, match="not found"):
        load_policy("mfq:" + str(tmp_path / "missing.pt"), "segregation_v0", model)
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="corrupt"):
        load_policy("mfac:" + str(tmp_path / "bad.pt"), "segregation_v0", model)
    with pytest.raises(ValueError, match="corrupt"):
        load_policy("ppo:" + str(tmp_path / "bad.zip"), "segregation_v0", model)
    with pytest.raises(ValueError, match="cannot resume"):
        train("segregation_v0", "ppo", tmp_path / "never", resume=True)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "run.json").write_text("{")
    with pytest.raises(ValueError, match="corrupt"):
        train("segregation_v0", "ppo", tmp_path / "broken", resume=True)


def test_a_checkpoint_refuses_an_env_of_another_shape(tmp_path):
    train(
        "segregation_v0",
        "mfq",
        tmp_path / "r",
        steps=100,
        config=SMALL,
        num_copies=1,
        max_cycles=5,
        hyper=TINY_HYPER["mfq"],
        eval_seeds=0,
        progress=False,
        verbose=False,
    )
    other = swarmgym.make_model("segregation_v0", **SMALL, view_size=7)
    with pytest.raises(ValueError, match="trained on observations"):
        load_policy(f"mfq:{tmp_path / 'r'}", "segregation_v0", other)
    with pytest.raises(ValueError, match="not an mfac checkpoint"):
        load_policy(f"mfac:{tmp_path / 'r' / 'model.pt'}", "segregation_v0", other)


# -- discretisation, statistics, evaluation --------------------------------------------------------
def test_action_table_discretises_a_box_evenly():
    table = ActionTable(spaces.Box(-1.0, 1.0, (1,), np.float32), bins=5)
    assert table.n == 5
    np.testing.assert_allclose(table(np.array([[0, 2, 4]])), [[[-1.0], [0.0], [1.0]]])
    assert ActionTable(spaces.Discrete(3, start=1))(np.array([0, 2])).tolist() == [1, 3]


def test_statistics_by_hand():
    assert interquartile_mean([1, 2, 3, 4, 5, 6, 7, 8]) == pytest.approx(4.5)  # mean of 3..6
    assert bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0)
    assert bootstrap_ci([4.0]) == (4.0, 4.0)
    values = np.arange(10.0)
    low, high = bootstrap_ci(values, seed=1)
    assert low < 4.5 < high and (low, high) == bootstrap_ci(values, seed=1)
    assert 2.0 < low and high < 7.0  # the CI of a mean of 10 values is much narrower than their range
    summary = mean_ci(values)
    assert summary["mean"] == 4.5 and summary["n"] == 10
    low, high = stratified_bootstrap_ci({"a": [1.0, 1.0], "b": [3.0, 3.0]}, np.mean)
    assert low == high == 2.0


def test_evaluate_steady_state_and_per_seed_copies():
    batched = evaluate("schelling", "segregation_v0", [3, 4], SMALL, max_cycles=6)
    separate = evaluate("schelling", "segregation_v0", [3, 9], SMALL, max_cycles=6)
    assert batched["per_seed"]["steady"]["segregation"][0] == separate["per_seed"]["steady"]["segregation"][0]
    from swarmgym_agents.base import rollout_parallel

    env = swarmgym.make("segregation_v0", max_cycles=6, **SMALL)
    history = rollout_parallel(env, load_policy("schelling", "segregation_v0", env.model), seed=3)
    steady = np.mean([h["segregation"] for h in history[-2:]])  # last third of 6 steps
    assert batched["per_seed"]["steady"]["segregation"][0] == pytest.approx(steady)
    assert batched["per_seed"]["final"]["segregation"][0] == pytest.approx(history[-1]["segregation"])


# -- SuperSuit route -------------------------------------------------------------------------------
@pytest.mark.parametrize("env_id", sorted(ENVS))
def test_supersuit_route_trains_ppo(env_id):
    import supersuit as ss
    from stable_baselines3 import PPO
    from stable_baselines3.common.utils import set_random_seed

    env = swarmgym.make(env_id, max_cycles=4, **ENVS[env_id].presets.get("small", {}))
    venv = ss.concat_vec_envs_v1(
        ss.pettingzoo_env_to_vec_env_v1(env), 1, num_cpus=0, base_class="stable_baselines3"
    )
    with pytest.raises(AttributeError, match="seed"):  # caveat: SuperSuit's vec env cannot be seeded
        venv.reset(seed=0)
    set_random_seed(0)
    model = PPO("MlpPolicy", venv, n_steps=8, batch_size=8 * venv.num_envs, n_epochs=1, device="cpu")
    model.learn(8 * venv.num_envs)
    assert model.num_timesteps == 8 * venv.num_envs
    # caveat documented in agents/sb3_vec_env.py: SuperSuit leaves TimeLimit.truncated unset at a time limit
    venv.reset()
    for _ in range(4):
        _, _, dones, infos = venv.step(np.stack([venv.action_space.sample() for _ in range(venv.num_envs)]))
    assert dones.all() and not any(info.get("TimeLimit.truncated", False) for info in infos)


@pytest.mark.parametrize(
    ("field", "value"),
    [("steps", 0), ("num_copies", 0), ("max_cycles", 0), ("checkpoint_every", 0), ("eval_seeds", -1)],
)
def test_train_refuses_bad_counts_instead_of_defaulting(field, value, tmp_path):
    with pytest.raises(ValueError, match=field):
        train("segregation_v0", "mfq", tmp_path / "run", progress=False, verbose=False, **{field: value})
    assert not (tmp_path / "run").exists()
