"""Agent-steps/s of consensus_v0 on the batched array path (make_vec, random actions).

Observations, rewards, metrics and agent_info are all computed every step (as SwarmVecEnv does);
reset is excluded. Usage: python examples/consensus_speed.py [--steps 30] [--kind phase]
"""

import argparse
import time

import numpy as np

import swarmgym


def measure(size: int, view_size: int, num_envs: int, kind: str, steps: int) -> tuple[int, float]:
    env = swarmgym.make_vec(
        "consensus_v0", num_envs=num_envs, max_cycles=10**9, size=size, view_size=view_size, state_kind=kind
    )
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    high = env.action_space.high
    actions = rng.uniform(-high, high, size=(4, num_envs, env.num_agents, 1)).astype(np.float32)
    env.step(actions[0])  # warm-up
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for t in range(steps):
            env.step(actions[t % 4])
        times.append(time.perf_counter() - start)
    return env.num_agents, num_envs * env.num_agents * steps / float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--kind", default="phase", choices=("phase", "opinion"))
    args = parser.parse_args()
    print(f"state_kind={args.kind}   agent-steps/s, median of 5 runs of {args.steps} steps")
    print("| N | k | B | agent-steps/s |")
    print("|---|---|---|---|")
    for size, view_size, num_envs in (
        (10, 5, 1),
        (10, 11, 1),
        (32, 5, 1),
        (32, 11, 1),
        (100, 5, 1),
        (100, 11, 1),
        (10, 11, 64),
    ):
        n, rate = measure(size, view_size, num_envs, args.kind, args.steps)
        print(f"| {n} | {view_size} | {num_envs} | {rate:,.0f} |")


if __name__ == "__main__":
    main()
