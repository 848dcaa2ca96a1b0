"""Perolat's social outcomes U, E, S, P of homogeneous rule-based populations on commons_v0.

Every population (greedy, restrained, sanctioner, random) plays ``--copies`` episodes at once in the
batched env (copy b seeded seed + b); the table gives the mean (± std over copies) of the end-of-episode
metrics. ``--bench`` instead measures agent-steps/s of the batched array path with random actions.

    .venv/bin/python examples/commons_populations.py                  # the table, default env, T = 1000
    .venv/bin/python examples/commons_populations.py --regrowth harvest
    .venv/bin/python examples/commons_populations.py --bench          # agent-steps/s at N = 10, 100, 1000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import swarmgym
from swarmgym_agents.registry import load_policy

POPULATIONS = ("greedy", "restrained", "sanctioner", "random")
COLUMNS = ("efficiency", "equality", "sustainability", "peace", "stock_fraction", "collapsed")


def run_population(name: str, copies: int, steps: int, seed: int, **config) -> dict[str, np.ndarray]:
    """End-of-episode metrics (copies,) of a homogeneous population ``name``."""
    vec = swarmgym.make_vec("commons_v0", num_envs=copies, max_cycles=steps, **config)
    policy = load_policy(name, "commons_v0", vec.model, seed=seed)
    obs, info = vec.reset(seed=seed)
    for _ in range(steps):
        obs, _, _, _, info = vec.step(policy.act(obs, info))
    return info["final_metrics"]


def table(copies: int, steps: int, seed: int, **config) -> None:
    seeds = f"seeds {seed}..{seed + copies - 1}"
    print(f"commons_v0 {config or '(defaults)'}: {copies} copies x {steps} steps, {seeds}")
    print("| population | U (apples/step) | E | S (steps) | P (agents) | final stock | collapsed |")
    print("|---|---|---|---|---|---|---|")
    for name in POPULATIONS:
        metrics = run_population(name, copies, steps, seed, **config)
        cells = [f"{metrics[c].mean():.3f} ± {metrics[c].std():.3f}" for c in COLUMNS[:5]]
        cells.append(f"{metrics['collapsed'].mean():.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


def bench(sizes=(10, 100, 1000), steps: int = 100, view_size: int = 11) -> None:
    print("| N | grid | copies | agent-steps/s |")
    print("|---|---|---|---|")
    for n in sizes:
        side = max(int(np.ceil(np.sqrt(n * 10))), 24)
        patches = max(1, (side // 7) ** 2 // 2)
        copies = max(1, 2000 // n)
        config = dict(n_agents=n, height=side, width=side, n_patches=patches, view_size=view_size)
        vec = swarmgym.make_vec("commons_v0", num_envs=copies, max_cycles=10**6, with_info=False, **config)
        rng = np.random.default_rng(0)
        vec.reset(seed=0)
        actions = rng.integers(0, vec.action_space.n, (steps, copies, n))
        vec.step(actions[0])
        start = time.perf_counter()
        for a in actions:
            vec.step(a)
        elapsed = time.perf_counter() - start
        print(f"| {n} | {side}x{side} | {copies} | {steps * copies * n / elapsed:,.0f} |")


if __name__ == "__main__":
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--regrowth", default=None, help="regrowth preset (default: the env's)")
    parser.add_argument("--n-agents", type=int, default=None)
    parser.add_argument("--bench", action="store_true", help="measure agent-steps/s instead")
    parser.add_argument("--bench-sizes", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args()
    if args.bench:
        bench(tuple(args.bench_sizes))
    else:
        overrides = {}
        if args.regrowth:
            overrides["regrowth"] = args.regrowth
        if args.n_agents:
            overrides["n_agents"] = args.n_agents
        table(args.copies, args.steps, args.seed, **overrides)
