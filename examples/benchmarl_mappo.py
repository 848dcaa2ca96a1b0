"""MAPPO / IPPO / MASAC from BenchMARL on a swarmgym task (``pip install "swarmgym[benchmarl]"``).

    python examples/benchmarl_mappo.py --task SEGREGATION --algorithm mappo --frames 6000
"""

from __future__ import annotations

import argparse

from benchmarl.algorithms import IppoConfig, MappoConfig, MasacConfig
from benchmarl.experiment import Experiment, ExperimentConfig

from swarmgym.integrations.benchmarl import SwarmGymTask, window_cnn_config, window_mlp_config

ALGORITHMS = {"mappo": MappoConfig, "ippo": IppoConfig, "masac": MasacConfig}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="SEGREGATION", choices=[t.name for t in SwarmGymTask])
    parser.add_argument("--algorithm", default="mappo", choices=sorted(ALGORITHMS))
    parser.add_argument("--frames", type=int, default=6_000, help="env steps (each steps all N agents)")
    parser.add_argument("--out", default="runs")
    args = parser.parse_args()

    config = ExperimentConfig.get_from_yaml()  # BenchMARL's defaults, then a small budget
    config.max_n_frames = args.frames
    config.on_policy_collected_frames_per_batch = config.off_policy_collected_frames_per_batch = 1_000
    config.on_policy_n_envs_per_worker = config.off_policy_n_envs_per_worker = 4
    config.on_policy_n_minibatch_iters = 4  # BenchMARL's 45 passes of its 400-frame minibatches (each
    config.on_policy_minibatch_size = 250  # frame: all N agents) take minutes per batch on a CPU
    config.off_policy_n_optimizer_steps = 100
    config.evaluation_interval = 2_000
    config.evaluation_episodes = 2
    config.loggers = ["csv"]  # the default also asks for wandb
    config.render = False
    config.save_folder = args.out
    masac = args.algorithm == "masac"  # critic Q(s, a) reads window and action: the CNN takes both
    experiment = Experiment(
        task=SwarmGymTask[args.task].get_task(),  # the env's learning preset; get_task({...}) for your own
        algorithm_config=ALGORITHMS[args.algorithm].get_from_yaml(),
        model_config=window_cnn_config(),
        critic_model_config=window_cnn_config() if masac else window_mlp_config(),
        seed=0,
        config=config,
    )
    experiment.run()
    print(f"{experiment.total_frames} frames, mean return {experiment.mean_return:.3f}")
    print(f"logs in {experiment.folder_name}")


if __name__ == "__main__":
    main()
