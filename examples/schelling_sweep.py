"""Schelling's segregation against tolerance: the classic agent on a 50×50 torus, 10 % vacancies.

    python examples/schelling_sweep.py                 # tau = 0, 0.1, ..., 0.8, 4 copies, 200 steps
    python examples/schelling_sweep.py --vacancy 0.05 --taus 0.8

Prints the similar-neighbour fraction (segregation index) at the start and after ``--steps`` steps,
the unsatisfied fraction, the fraction that moved in the last step, and the first step at which no
agent was unsatisfied (mean over copies that settled).
"""

import argparse

import numpy as np

import swarmgym
from swarmgym_agents import load_policy


def sweep(tolerance: float, vacancy: float, steps: int, copies: int, seed: int) -> dict[str, float]:
    vec = swarmgym.make_vec(
        "segregation_v0", num_envs=copies, max_cycles=10**9, tolerance=tolerance, vacancy=vacancy
    )
    policy = load_policy("schelling", "segregation_v0", vec.model, seed=seed)
    obs, info = vec.reset(seed=seed)
    start = info["metrics"]["segregation"].mean()
    settled = np.full(copies, np.nan)
    for step in range(1, steps + 1):
        obs, _, _, _, info = vec.step(policy.act(obs, info))
        newly = np.isnan(settled) & (info["metrics"]["unsatisfied"] == 0)
        settled[newly] = step
    metrics = info["metrics"]
    return {
        "start": start,
        "end": metrics["segregation"].mean(),
        "end_std": metrics["segregation"].std(),
        "unsatisfied": metrics["unsatisfied"].mean(),
        "moved": metrics["moved"].mean(),
        "settled": np.nanmean(settled) if not np.isnan(settled).all() else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--taus", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    )
    parser.add_argument("--vacancy", type=float, default=0.1)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(
        "| tau | similar at start | similar at end (± std) | unsatisfied | moved (last step) | settled |"
    )
    print("|---|---|---|---|---|---|")
    for tau in args.taus:
        r = sweep(tau, args.vacancy, args.steps, args.copies, args.seed)
        print(
            f"| {tau:.1f} | {r['start']:.3f} | {r['end']:.3f} ± {r['end_std']:.3f} | {r['unsatisfied']:.3f} "
            f"| {r['moved']:.3f} | {r['settled']:.0f} |"
        )


if __name__ == "__main__":
    main()
