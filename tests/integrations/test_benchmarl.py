"""BenchMARL tasks: every env trains MAPPO with a tiny budget; IPPO and MASAC (discrete and continuous).

Skipped where benchmarl is not installed.
"""

import pytest

pytest.importorskip("benchmarl")

import torch  # noqa: E402
from benchmarl.algorithms import IppoConfig, MappoConfig, MasacConfig  # noqa: E402
from benchmarl.experiment import Experiment, ExperimentConfig  # noqa: E402

import swarmgym  # noqa: E402
from swarmgym.integrations.benchmarl import (  # noqa: E402
    ENV_IDS,
    SwarmGymTask,
    default_config,
    window_cnn_config,
    window_mlp_config,
)
from swarmgym.registry import spec  # noqa: E402


def tiny_experiment(folder):
    """20 frames in batches of 10 from 2 envs, one minibatch step, one evaluation episode, CSV logs."""
    c = ExperimentConfig.get_from_yaml()
    c.max_n_frames = 20
    c.on_policy_collected_frames_per_batch = c.off_policy_collected_frames_per_batch = 10
    c.on_policy_n_envs_per_worker = c.off_policy_n_envs_per_worker = 2
    c.on_policy_n_minibatch_iters = 1
    c.on_policy_minibatch_size = 10
    c.off_policy_n_optimizer_steps = 1
    c.off_policy_train_batch_size = 16
    c.off_policy_memory_size = 1000
    c.evaluation, c.evaluation_interval, c.evaluation_episodes, c.render = True, 20, 1, False
    c.loggers, c.save_folder, c.checkpoint_at_end = ["csv"], str(folder), False
    return c


def task(member, **overrides):
    return member.get_task({**spec(ENV_IDS[member.name]).presets["small"], "max_cycles": 5, **overrides})


RUNS = [(member, MappoConfig) for member in SwarmGymTask] + [
    (SwarmGymTask.SEGREGATION, IppoConfig),
    (SwarmGymTask.COMMONS, MasacConfig),  # discrete actions
    (SwarmGymTask.CONSENSUS, MasacConfig),  # continuous actions
]


@pytest.mark.parametrize(("member", "algorithm"), RUNS, ids=[f"{m.name}-{a.__name__}" for m, a in RUNS])
def test_benchmarl_trains_every_task(member, algorithm, tmp_path):
    critic = window_cnn_config() if algorithm is MasacConfig else window_mlp_config()  # Q(s, a): CNN + array
    experiment = Experiment(
        task=task(member), algorithm_config=algorithm.get_from_yaml(), model_config=window_cnn_config(),
        critic_model_config=critic, seed=0, config=tiny_experiment(tmp_path),
    )
    experiment.run()
    assert experiment.total_frames == 20 and experiment.n_iters_performed == 2
    observation = experiment.observation_spec["agent", "observation"]
    assert observation.dtype == torch.float32 and observation.shape[-3:] == swarmgym.make_model(
        ENV_IDS[member.name], **spec(ENV_IDS[member.name]).presets["small"]
    ).observation_space.shape


def test_default_task_is_the_learning_preset_and_spaces_match_the_env():
    for member in SwarmGymTask:
        env_id = ENV_IDS[member.name]
        got = member.get_task()
        assert got.config == default_config(env_id) and got.env_name() == "swarmgym"
        assert got.max_steps(None) == spec(env_id).learning.max_cycles
    assert SwarmGymTask.FLOCKING.get_task().supports_discrete_actions()
    assert SwarmGymTask.FLOCKING.get_task().supports_continuous_actions()
    assert not SwarmGymTask.CONSENSUS.get_task().supports_discrete_actions()
    assert not SwarmGymTask.SEGREGATION.get_task().supports_continuous_actions()


def test_flocking_trains_its_discrete_turn_table(tmp_path):
    config = tiny_experiment(tmp_path)
    config.prefer_continuous_actions = False
    experiment = Experiment(
        task=task(SwarmGymTask.FLOCKING), algorithm_config=MappoConfig.get_from_yaml(),
        model_config=window_mlp_config(), critic_model_config=window_mlp_config(), seed=0, config=config,
    )
    experiment.run()
    n_turns = swarmgym.make_model("flocking_v0", action_type="discrete").action_space.n
    assert experiment.action_spec["agent", "action"].space.n == n_turns


def test_env_metrics_are_logged():
    env = task(SwarmGymTask.SEGREGATION).get_env_fun(1, False, 0, "cpu")()
    batch = env.rollout(3)
    logged = SwarmGymTask.SEGREGATION.associated_class().log_info(batch)
    assert 0.0 <= logged["swarmgym/segregation"] <= 1.0
