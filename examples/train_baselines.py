"""Train PPO, MF-Q and MF-AC on one env with its documented default budget; compare with the random agent.

    python examples/train_baselines.py segregation_v0            # all three algorithms
    python examples/train_baselines.py flocking_v0 --algos ppo mfq

Budgets, configs and the main metric come from the env's learning spec
(``swarmgym/envs/<model>/__init__.py``). Prints, per
algorithm, the wall time and the main emergence metric (steady state, mean over the last third of the
episode) of the learned and the random agent with 95 % bootstrap CIs over the evaluation seeds, and
whether the CIs are disjoint. Equivalent CLI: ``swarmgym train ENV --algo ALGO --out runs/NAME``.
"""

import argparse
import shutil
import time
from pathlib import Path

import torch

from swarmgym.metrics.stats import format_ci
from swarmgym.training import ALGOS, learning_spec, train

torch.set_num_threads(1)
parser = argparse.ArgumentParser()
parser.add_argument("env_id")
parser.add_argument("--algos", nargs="*", default=list(ALGOS))
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--eval-seeds", type=int, default=10)
parser.add_argument("--steps", type=int, default=None, help="override the default budget (agent-steps)")
parser.add_argument("--out", default="runs/examples")
args = parser.parse_args()

metric = learning_spec(args.env_id).main_metric
rows = []
for algo in args.algos:
    out = Path(args.out) / f"{args.env_id}_{algo}"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    run = train(
        args.env_id,
        algo,
        out,
        steps=args.steps,
        seed=args.seed,
        eval_seeds=args.eval_seeds,
        progress=False,
        verbose=False,
    )
    wall = time.perf_counter() - started
    learned = run["evaluation"][f"{algo}:{out}"]["summary"]["steady"][metric]
    random = run["evaluation"]["random"]["summary"]["steady"][metric]
    better = learned["low"] > random["high"]  # every main metric is higher-is-better
    rows.append((algo, run["steps"], wall, learned, random, better))
    print(
        f"{args.env_id} {algo}: {run['steps']} agent-steps in {wall:.0f} s; "
        f"{metric}: learned {format_ci(learned)}"
        f" random {format_ci(random)}  beats random (disjoint 95% CIs): {better}",
        flush=True,
    )

print(f"\n| env | algo | agent-steps | wall s | {metric} learned [95% CI] | random [95% CI] | beats random |")
print("|---|---|---|---|---|---|---|")
for algo, steps, wall, learned, random, better in rows:
    print(
        f"| {args.env_id} | {algo} | {steps:,} | {wall:.0f} | {format_ci(learned)} "
        f"| {format_ci(random)} | {better} |"
    )
