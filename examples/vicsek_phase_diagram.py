"""Polarisation phi against noise eta for the Vicsek agents on ``flocking_v0`` (density 4, random start).

Runs B copies per (N, eta) with ``swarmgym.make_vec`` and averages phi over the last ``--window`` steps
of ``--steps``. Compare with docs/models.md#vicsek-checked-numbers (3,000 steps, last 1,000 averaged)::

    python examples/vicsek_phase_diagram.py --agents vicsek vicsek_local --n 300 400
"""

from __future__ import annotations

import argparse
import time

import swarmgym
from swarmgym_agents.registry import load_policy

REFERENCE = {
    300: {0.5: 0.986, 1.0: 0.945, 2.0: 0.788, 3.0: 0.561, 4.0: 0.234, 5.0: 0.071},
    400: {0.5: 0.986, 1.0: 0.944, 2.0: 0.780, 3.0: 0.534, 4.0: 0.199, 5.0: 0.063},
}


def late_polarisation(
    agent: str, n_agents: int, eta: float, steps: int, window: int, copies: int, seed: int
) -> float:
    """Mean polarisation over the last ``window`` of ``steps`` steps and over ``copies`` copies."""
    vec = swarmgym.make_vec(
        "flocking_v0", num_envs=copies, max_cycles=steps + 1, n_agents=n_agents, noise=eta
    )
    policy = load_policy(agent, "flocking_v0", vec.model, seed=seed)
    obs, info = vec.reset(seed=seed)
    total = 0.0
    for t in range(steps):
        obs, _, _, _, info = vec.step(policy.act(obs, info))
        if t >= steps - window:
            total += info["metrics"]["polarisation"].mean()
    return total / window


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", nargs="+", default=["vicsek", "vicsek_local"])
    parser.add_argument("--n", nargs="+", type=int, default=[300, 400])
    parser.add_argument("--etas", nargs="+", type=float, default=[0.5, 1.0, 2.0, 3.0, 4.0, 5.0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--window", type=int, default=1000)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"| agent | N | {' | '.join(f'eta={eta:g}' for eta in args.etas)} |")
    print(f"|---|---|{'---|' * len(args.etas)}")
    for n_agents in args.n:
        if n_agents in REFERENCE:
            row = [f"{REFERENCE[n_agents].get(eta, float('nan')):.3f}" for eta in args.etas]
            print(f"| comparison simulation | {n_agents} | {' | '.join(row)} |")
        for agent in args.agents:
            start = time.perf_counter()
            run = (args.steps, args.window, args.copies, args.seed)
            row = [f"{late_polarisation(agent, n_agents, eta, *run):.3f}" for eta in args.etas]
            print(
                f"| {agent} | {n_agents} | {' | '.join(row)} |  ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
