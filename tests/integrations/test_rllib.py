"""RLlib integration: env adapters and the window module without Ray, then PPO on a real local Ray.

One Ray session (a head node with 2 CPUs, started once, shut down at the end of the session): every env
trains 2 iterations with 2 env runners (separate worker processes) with a tiny batch, one run resumes
from its RLlib checkpoint, and the CLI trains and evaluates ``rllib:RUN_DIR``. Skipped where ray is not
installed. The Ray tests share one xdist group, so ``pytest -n 2 --dist loadgroup`` keeps them on one
worker (one Ray session).
"""

import json
import time

import numpy as np
import pytest

pytest.importorskip("ray.rllib")

import ray  # noqa: E402
import torch  # noqa: E402
from ray.rllib.core.columns import Columns  # noqa: E402
from ray.rllib.core.rl_module.rl_module import RLModuleSpec  # noqa: E402
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv  # noqa: E402

import swarmgym  # noqa: E402
from swarmgym.cli import main  # noqa: E402
from swarmgym.integrations.rllib import (  # noqa: E402
    SwarmAgentVectorEnv,
    SwarmParallelPettingZooEnv,
    make_vector_env,
)
from swarmgym.registry import spec  # noqa: E402
from swarmgym.training.rllib import make_training_vector_env, resolve_policy, train_rllib  # noqa: E402
from swarmgym_agents import load_policy  # noqa: E402
from swarmgym_agents.integrations.rllib import WindowPPOModule  # noqa: E402

ENVS = ("flocking_v0", "consensus_v0", "segregation_v0", "commons_v0")
FRAGMENT = 4
HYPER = {"rollout_fragment_length": FRAGMENT, "copies_per_runner": 1, "num_epochs": 1, "n_minibatches": 1,
         "hidden": 8}


def small(env_id):
    return dict(spec(env_id).presets["small"])


def test_vector_env_gives_rllib_next_step_autoreset():
    env = SwarmAgentVectorEnv("segregation_v0", num_copies=2, max_cycles=3, config=small("segregation_v0"))
    n = env.num_agents
    assert env.num_envs == 2 * n
    first, _ = env.reset(seed=5)
    reference = swarmgym.make_vec("segregation_v0", num_envs=2, max_cycles=3, **small("segregation_v0"))
    ref_obs, _ = reference.reset(seed=5)
    np.testing.assert_array_equal(first, ref_obs.reshape(2 * n, *ref_obs.shape[2:]))
    stay = np.zeros(2 * n, dtype=np.int64)
    for _ in range(2):
        _, _, terminated, truncated, _ = env.step(stay)
        reference.step(np.zeros((2, n), dtype=np.int64))
        assert not truncated.any() and not terminated.any()
    last, rewards, _, truncated, _ = env.step(stay)
    _, ref_rewards, _, _, ref_info = reference.step(np.zeros((2, n), dtype=np.int64))
    assert truncated.all()
    np.testing.assert_array_equal(last, ref_info["final_observation"].reshape(last.shape))
    np.testing.assert_allclose(rewards, ref_rewards.reshape(-1))
    fresh, rewards, terminated, truncated, _ = env.step(stay)  # next step: the reset observation, no step
    assert not truncated.any() and not terminated.any() and not rewards.any()
    assert fresh.shape == last.shape
    finished = env.pop_finished()
    assert "segregation" in finished and len(finished["segregation"]) == 2 and "_episode_return" in finished


def test_vector_env_creator_takes_whole_copies():
    env = make_vector_env({"env_id": "commons_v0", "config": small("commons_v0"), "num_envs": 8})
    assert env.num_copies == 2 and env.num_agents == 4
    with pytest.raises(ValueError, match="multiple of N"):
        make_vector_env({"env_id": "commons_v0", "config": small("commons_v0"), "num_envs": 6})


def test_training_env_applies_the_preference_to_the_learner_rewards_only():
    config = {"env_id": "commons_v0", "config": small("commons_v0"), "num_envs": 4, "max_cycles": 3}
    selfish = make_training_vector_env(config)
    prosocial = make_training_vector_env({**config, "preference": {"kind": "prosocial", "alpha": 1.0}})
    selfish.reset(seed=1)
    prosocial.reset(seed=1)
    rng = np.random.default_rng(0)
    for _ in range(3):
        actions = rng.integers(0, selfish.single_action_space.n, selfish.num_envs)
        _, r_self, *_ = selfish.step(actions)
        _, r_pro, *_ = prosocial.step(actions)
        np.testing.assert_allclose(r_pro, np.full_like(r_self, r_self.mean()), rtol=1e-6)
    assert selfish.pop_finished()["_episode_return"] == prosocial.pop_finished()["_episode_return"]


def test_parallel_pettingzoo_wrapper_render_is_fixed():
    upstream = ParallelPettingZooEnv(
        swarmgym.make("segregation_v0", render_mode="rgb_array", **small("segregation_v0"))
    )
    with pytest.raises(TypeError):  # RLlib 2.60's own wrapper: render(self.render_mode)
        upstream.render()
    env = SwarmParallelPettingZooEnv(
        swarmgym.make("segregation_v0", render_mode="rgb_array", **small("segregation_v0"))
    )
    env.reset(seed=0)
    frame = env.render()
    assert isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3
    assert env.agents == env.par_env.possible_agents
    obs, rewards, terminated, truncated, _ = env.step({a: 0 for a in env.agents})
    assert "__all__" in terminated and "__all__" in truncated and len(rewards) == len(env.agents)


@pytest.mark.parametrize("env_id", ENVS)
@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_window_module_reads_every_window_dtype(env_id, kind):
    model = swarmgym.make_model(env_id, **small(env_id))
    module = RLModuleSpec(
        module_class=WindowPPOModule,
        observation_space=model.observation_space,
        action_space=model.action_space,
        model_config={"kind": kind, "hidden": 16},
    ).build()
    obs = torch.as_tensor(np.stack([model.observation_space.sample() for _ in range(5)]))
    out = module.forward_exploration({Columns.OBS: obs})
    width = model.action_space.n if hasattr(model.action_space, "n") else 2 * model.action_space.shape[0]
    assert out[Columns.ACTION_DIST_INPUTS].shape == (5, width)
    assert module.compute_values({Columns.OBS: obs}).shape == (5,)


def test_auto_policy_follows_the_sb3_default():
    from swarmgym_agents.ppo_sb3 import DEFAULT_POLICY

    for env_id in ENVS:
        shape = tuple(swarmgym.make_model(env_id).observation_space.shape)
        expected = DEFAULT_POLICY.get(env_id) or ("cnn" if shape[0] >= 9 else "mlp")
        assert resolve_policy("auto", env_id, shape) == expected
    assert resolve_policy("mlp", "commons_v0", (11, 11, 8)) == "mlp"


# -- a real local Ray -----------------------------------------------------------------------------------
ray_group = pytest.mark.xdist_group("ray")


@pytest.fixture(scope="session")
def local_ray():
    """A head node with 2 CPUs, started once for every Ray test and shut down when the session ends.

    Session-scoped rather than module-scoped: under xdist a worker may interleave other modules' tests
    with these, and a module fixture would then stop and restart Ray between them.
    """
    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    assert ray.cluster_resources()["CPU"] == 2
    yield
    ray.shutdown()
    print(f"\nlocal Ray session: {time.perf_counter() - start:.0f} s")


def check_run(out, env_id, run, iterations, batch):
    assert run["algo"] == "rllib" and run["rllib"]["iterations"] == iterations
    assert run["steps_done"] == iterations * batch
    saved = json.loads((out / "run.json").read_text())
    assert saved["steps_done"] == iterations * batch and saved["provenance"]["versions"]["ray"]
    assert (out / "checkpoint").is_dir() and (out / "model.pt").is_file() and any((out / "tb").iterdir())
    model = swarmgym.make_model(env_id, **small(env_id))
    policy = load_policy(f"rllib:{out}", env_id, model)  # the exported policy: torch only
    obs, info = swarmgym.make_vec(env_id, num_envs=2, **small(env_id)).reset(seed=0)
    actions = policy.act(obs, info)
    assert actions.shape[:2] == (2, model.n_agents)
    assert all(model.action_space.contains(a) for a in actions.reshape(-1, *model.action_space.shape))


@ray_group
@pytest.mark.parametrize("env_id", ENVS)
def test_rllib_trains_every_env_with_two_env_runners(local_ray, env_id, tmp_path):
    """2 iterations with 2 env runners (worker processes) of 1 small copy each."""
    n = swarmgym.make_model(env_id, **small(env_id)).n_agents
    batch = FRAGMENT * n * 2  # fragment × agents × 1 copy × 2 runners
    run = train_rllib(
        env_id, tmp_path, steps=2 * batch, seed=0, config=small(env_id), max_cycles=6, num_env_runners=2,
        hyper=HYPER, eval_seeds=1 if env_id == "commons_v0" else 0, verbose=False,
    )
    check_run(tmp_path, env_id, run, 2, batch)
    assert run["rllib"]["num_env_runners"] == 2
    if env_id == "commons_v0":
        assert f"rllib:{tmp_path}" in run["evaluation"] and (tmp_path / "eval.json").is_file()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    tags = events.Tags()["scalars"]
    main_metric = spec(env_id).learning.main_metric
    for tag in ("charts/episode_return", f"metrics/{main_metric}", "train/policy_loss"):
        assert tag in tags


@ray_group
def test_rllib_resumes_from_its_checkpoint(local_ray, tmp_path):
    """Sampling in the driver (0 runners): no worker processes to start."""
    n = swarmgym.make_model("segregation_v0", **small("segregation_v0")).n_agents
    batch = FRAGMENT * n
    first = train_rllib("segregation_v0", tmp_path, steps=batch, config=small("segregation_v0"), max_cycles=6,
                        num_env_runners=0, hyper=HYPER, eval_seeds=0, verbose=False)
    check_run(tmp_path, "segregation_v0", first, 1, batch)
    with pytest.raises(ValueError, match="already holds a run"):
        train_rllib("segregation_v0", tmp_path, steps=batch, num_env_runners=0, verbose=False)
    resumed = train_rllib(None, tmp_path, steps=2 * batch, resume=True, num_env_runners=0, verbose=False)
    check_run(tmp_path, "segregation_v0", resumed, 2, batch)
    assert [s["steps_at_start"] for s in resumed["sessions"]] == [0, batch]


@ray_group
def test_cli_trains_with_rllib_and_evaluates_the_run(local_ray, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "commons_v0", "--backend", "rllib", "--num-env-runners", "0", "--out", str(out),
            "--preset", "small", "--max-cycles", "6", "--eval-seeds", "0", "--policy", "cnn",
            "--preference", "prosocial:alpha=1", "--steps", str(FRAGMENT * 4),
            "--hyper", *(f"{k}={v}" for k, v in HYPER.items())]
    assert main(argv) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["algo"] == "rllib" and run["hyper_full"]["policy"] == "cnn"
    assert run["preference"] == {"kind": "prosocial", "alpha": 1.0}
    assert main(["train", "--resume", "--out", str(out), "--num-env-runners", "0"]) == 0  # already done
    capsys.readouterr()
    assert main(["evaluate", "commons_v0", "--agent", f"rllib:{out}", "--seeds", "1", "--max-cycles", "4",
                 "--preset", "small", "--json", str(tmp_path / "eval.json")]) == 0
    assert f"rllib:{out}" in json.loads((tmp_path / "eval.json").read_text())


def test_cli_refuses_rllib_options_on_the_native_backend(tmp_path, capsys):
    assert main(["train", "segregation_v0", "--out", str(tmp_path / "x"), "--num-env-runners", "2"]) == 2
    assert "--backend rllib" in capsys.readouterr().err


@pytest.mark.parametrize(
    "hyper, message",
    [
        ({"n_minibatches": 0}, "n_minibatches must be"),
        ({"lr": float("nan")}, "lr must be a finite number"),
        ({"num_epochs": 2.5}, "num_epochs must be an integer"),
        ({"learning_rate": 0.1}, "unknown rllib hyperparameter 'learning_rate'"),
        ({"policy": "rnn"}, "unknown rllib policy 'rnn'"),
    ],
)
def test_bad_rllib_hyperparameters_are_refused_before_any_work(hyper, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        train_rllib("segregation_v0", tmp_path / "run", hyper=hyper, num_env_runners=0)
    assert not (tmp_path / "run").exists()
