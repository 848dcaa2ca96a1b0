"""RLlib sampling throughput with 1 and 2 env runners on a local Ray (the README's scaling figures).

Each env runner is a Ray worker process stepping ``--copies`` copies of the env (every agent a sub-env
of the batched ``SwarmAgentVectorEnv``) with the policy. Reports agent-steps/s while sampling (RLlib's
``env_runner_sampling_timer``) and for whole training iterations (sampling + PPO update), after one
warm-up iteration. On a machine with C cores the gain from more runners is bounded by C (the driver's
learner shares them).

    python benchmarks/bench_rllib.py --env segregation_v0 --runners 1 2 --iterations 5
"""

from __future__ import annotations

import argparse
import json
import time

import ray

import swarmgym
from swarmgym.registry import spec
from swarmgym.training.rllib import RLlibPPOArgs, ppo_config


def measure(env_id: str, runners: int, copies: int, iterations: int, fragment: int) -> dict:
    env_spec = spec(env_id)
    config = env_spec.preset(env_spec.learning.preset)
    n = swarmgym.make_model(env_id, **config).n_agents
    args = RLlibPPOArgs(
        rollout_fragment_length=fragment, copies_per_runner=copies, num_epochs=1, n_minibatches=4
    )
    algo = ppo_config(env_id, config, env_spec.learning.max_cycles, copies, runners, 0, args).build_algo()
    try:
        algo.train()  # warm-up: worker start, first forward passes
        sampled = sampling = wall = 0.0
        for _ in range(iterations):
            start = time.perf_counter()
            result = algo.train()
            wall += time.perf_counter() - start
            sampled += result["env_runners"]["num_env_steps_sampled"]
            sampling += result["timers"]["env_runner_sampling_timer"]
    finally:
        algo.stop()
    return {
        "env_id": env_id, "runners": runners, "copies_per_runner": copies, "agents": n,
        "agent_steps_per_s_sampling": round(sampled / sampling),
        "env_steps_per_s_sampling": round(sampled / sampling / n),
        "agent_steps_per_s_training": round(sampled / wall),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="segregation_v0")
    parser.add_argument("--runners", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--copies", type=int, default=4, help="env copies per runner")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--fragment", type=int, default=64, help="env steps per agent per sample")
    parser.add_argument("--num-cpus", type=int, default=2)
    args = parser.parse_args()
    ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=False)
    rows = [measure(args.env, r, args.copies, args.iterations, args.fragment) for r in args.runners]
    ray.shutdown()
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
