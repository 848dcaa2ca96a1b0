"""Agent-steps per second of ``flocking_v0`` on the array path (``swarmgym.make_vec``, random actions).

Two columns: the issue-8 protocol (``with_info=False``: dynamics, neighbour search, observations and
rewards) and the full step (plus every metric and the agent info, which the reference agents read)::

    python benchmarks/bench_flocking.py --n 100 1000 10000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import swarmgym


def agent_steps_per_second(n_agents: int, num_envs: int, steps: int, with_info: bool, seed: int = 0) -> float:
    """Agent-steps/s of ``steps`` batched steps of ``num_envs`` copies (after one warm-up step)."""
    vec = swarmgym.make_vec(
        "flocking_v0", num_envs=num_envs, max_cycles=steps + 2, with_info=with_info, n_agents=n_agents
    )
    rng = np.random.default_rng(seed)
    vec.reset(seed=seed)
    shape = (num_envs, n_agents, 1)
    vec.step(rng.uniform(-np.pi, np.pi, shape).astype(np.float32))
    start = time.perf_counter()
    for _ in range(steps):
        vec.step(rng.uniform(-np.pi, np.pi, shape).astype(np.float32))
    return steps * num_envs * n_agents / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", nargs="+", type=int, default=[100, 1000, 10000])
    parser.add_argument("--agent-steps", type=int, default=2_000_000, help="work per configuration")
    args = parser.parse_args()
    print("| N | copies B | agent-steps/s (obs + rewards) | agent-steps/s (+ metrics, agent info) |")
    print("|---|---|---|---|")
    for n_agents in args.n:
        for num_envs in sorted({1, max(1, 10_000 // n_agents)}):
            steps = max(5, args.agent_steps // (n_agents * num_envs))
            fast = agent_steps_per_second(n_agents, num_envs, steps, with_info=False)
            full = agent_steps_per_second(n_agents, num_envs, steps, with_info=True)
            print(f"| {n_agents} | {num_envs} | {fast:,.0f} | {full:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
