"""Learning baselines: PPO / MF-Q / MF-AC training, resuming, loading, refusals, the SuperSuit route."""

import json

import numpy as np
import pytest
import torch

import swarmgym
from swarmgym.registry import ENVS
from swarmgym.training import train
from swarmgym_agents.base import Policy
from swarmgym_agents.registry import load_policy

torch.set_num_threads(1)
SMALL = {"size": 6, "vacancy": 0.3}  # 25 agents
TINY_HYPER = {
    "ppo": {"n_steps": 4, "n_epochs": 1},
    "mfq": {"learning_starts": 50, "batch_size": 32, "buffer_size": 2000},
    "mfac": {"n_steps": 4, "n_epochs": 1},
}


def tiny(algo, **changes):
    """``train`` keywords of a tiny quiet run on SMALL, with ``changes``."""
    kwargs = dict(config=SMALL, num_copies=2, max_cycles=10, hyper=TINY_HYPER[algo], progress=False)
    return {**kwargs, "verbose": False, **changes}


# -- train -> checkpoint -> resume -> evaluate -----------------------------------------------------
@pytest.mark.parametrize("algo", ["ppo", "mfq", "mfac"])
def test_train_interrupted_resumes_to_the_same_steps_and_loads_by_name(algo, tmp_path, monkeypatch):
    import swarmgym.training.trainer as training

    out = tmp_path / algo
    kwargs = tiny(algo, steps=600, seed=1, checkpoint_every=200, eval_seeds=2)
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
        train("segregation_v0", algo, tmp_path / name, **tiny(algo, steps=300, seed=3, eval_seeds=0))
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
    kwargs = tiny("mfq", steps=100, num_copies=1, max_cycles=5, eval_seeds=0)
    train("segregation_v0", "mfq", tmp_path / "r", **kwargs)
    other = swarmgym.make_model("segregation_v0", **SMALL, view_size=7)
    with pytest.raises(ValueError, match="trained on observations"):
        load_policy(f"mfq:{tmp_path / 'r'}", "segregation_v0", other)
    with pytest.raises(ValueError, match="not an mfac checkpoint"):
        load_policy(f"mfac:{tmp_path / 'r' / 'model.pt'}", "segregation_v0", other)


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
