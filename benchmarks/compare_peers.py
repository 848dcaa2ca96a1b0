"""swarmgym beside the peers users would otherwise pick, in one invocation, same protocol.

Protocol (as ``bench_envs.py``): random actions drawn before timing, ``step()`` only (reset excluded),
agent-steps/s = the agents alive at each step, summed, per second of ``step()`` (a peer whose agents
die is reset every 50 steps, untimed, so it stays near its N), median of 5 timed runs after a
warm-up, one process, one torch thread. Peers run only when importable;
install them in a separate venv (magent2 pins old packages), with torch pinned to the CPU build first:

    python3 -m venv .venv-peers
    .venv-peers/bin/pip install torch==2.13.0
    .venv-peers/bin/pip install -e . magent2 vmas "pettingzoo[sisl]"
    .venv-peers/bin/python benchmarks/compare_peers.py

Ratios are swarmgym / peer at equal agent count N per env (swarmgym lattice envs at the peer's N,
view 13×13 for MAgent2's 13×13 views, 7×7 for pursuit's; flocking for VMAS flocking). swarmgym runs
one copy (array path and PettingZoo dict API) and, on the array path, ``--batch`` copies of that
N-agent env stepped at once (default 64), the way it is meant to be used for training; VMAS is
compared at its own batch size. The dict API is timed with empty infos (``dict``, like the peers,
whose infos are empty) and with the emergence metrics in every info (``dict+i``, the default).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time

from bench_envs import actions_pool, timed_runs

import swarmgym
from swarmgym.registry import ENVS, spec

LATTICE_ENVS = [e for e in ("segregation_v0", "consensus_v0", "commons_v0") if e in ENVS]


def available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


#: A peer whose agents die is reset after this many steps (reset time excluded), so it keeps about
#: its N agents: gather_v5 keeps about 450 of its 495 over 50 random steps, and half after 300.
PEER_EPISODE = 50


def pettingzoo_parallel_rate(env, repeats, seconds):
    """Live agent-steps/s of a PettingZoo parallel env with pre-drawn random actions, and its N.

    Only the agents alive at each step count, and only ``step()`` is timed: the env is reset (untimed)
    every :data:`PEER_EPISODE` steps or when every agent is gone, so a peer whose agents die under
    random actions (MAgent2) is measured near its N, as swarmgym is.
    """
    env.reset(seed=0)
    pool = [{a: env.action_space(a).sample() for a in env.possible_agents} for _ in range(8)]
    since_reset = [0]

    def step(i):
        """One timed step: (live agents stepped, seconds)."""
        if not env.agents or since_reset[0] >= PEER_EPISODE:
            env.reset()
            since_reset[0] = 0
        live = env.agents
        actions = {a: pool[i % 8][a] for a in live}
        start = time.perf_counter()
        env.step(actions)
        since_reset[0] += 1
        return len(live), time.perf_counter() - start

    step(0)  # warm-up
    rates = []
    for _ in range(repeats):
        agent_steps, count, elapsed = 0, 0, 0.0
        while elapsed < seconds or count < 3:
            live, took = step(count)
            agent_steps, count, elapsed = agent_steps + live, count + 1, elapsed + took
        rates.append(agent_steps / elapsed)
    return statistics.median(rates), len(env.possible_agents)


def swarmgym_rates(env_id, n, k, batch, repeats, seconds, preset=None):
    config = {**spec(env_id).presets.get(preset, {}), **spec(env_id).scale(n), "view_size": k}
    vec = swarmgym.make_vec(env_id, num_envs=batch, max_cycles=10**9, with_info=False, **config)
    vec.reset(seed=0)
    pool = actions_pool(vec.action_space, (batch, vec.num_agents))
    array = timed_runs(lambda i: vec.step(pool[i % len(pool)]), repeats, seconds) * batch * vec.num_agents
    if batch > 1:
        return array, None, vec.num_agents
    dict_rates = {}
    for path, with_info in (("dict", False), ("dict+i", True)):
        env = swarmgym.make(env_id, max_cycles=10**9, with_info=with_info, **config)
        env.reset(seed=0)
        dict_pool = [dict(zip(env.possible_agents, a[0])) for a in pool]
        dict_rates[path] = (
            timed_runs(lambda i, env=env, dict_pool=dict_pool: env.step(dict_pool[i % len(dict_pool)]),
                       repeats, seconds) * env.num_agents
        )  # fmt: skip
    return array, dict_rates, vec.num_agents


#: Issue 17's targets against MAgent2, as swarmgym / peer ratios: (peer, path, batch) -> at least.
TARGETS = {
    ("magent2 battle_v4", "array", 1): 3.0,
    ("magent2 gather_v5", "array", 1): 2.0,
    ("magent2 battle_v4", "dict", 1): 1.0,
    ("magent2 gather_v5", "dict", 1): 1.0,
    ("magent2 battle_v4", "array", 64): 10.0,
}


def report(peer_name, peer_n, peer_rate, k, batches, args):
    """Print swarmgym's rates beside one peer's; return {(env, path, batch): ratio to the peer}."""
    ratios = {}
    print(f"\n{peer_name}: N = {peer_n}, {peer_rate:,.0f} agent-steps/s")
    # VMAS flocking: swarmgym's flocking with its exact rotated view and with the `fast` grid preset.
    if "vmas" in peer_name and "flocking_v0" in ENVS:
        envs = [("flocking_v0", None), ("flocking_v0", "fast")]
    else:
        envs = [(env_id, None) for env_id in LATTICE_ENVS]
    for env_id, preset in envs:
        for batch in batches:
            array, dict_rates, n = swarmgym_rates(
                env_id, peer_n, k, batch, args.repeats, args.seconds, preset=preset
            )
            name = env_id + (f" ({preset})" if preset else "")
            line = f"  {name:23s} N = {n:5d} B = {batch:3d} k = {k:2d}: "
            line += f"array {array:13,.0f} ({array / peer_rate:7.1f}x)"
            ratios[name, "array", batch] = array / peer_rate
            for path, rate in (dict_rates or {}).items():
                line += f"   {path} {rate:11,.0f} ({rate / peer_rate:6.1f}x)"
                ratios[name, path, batch] = rate / peer_rate
            print(line, flush=True)
    return ratios


def print_targets(measured):
    """Issue 17's target rows: every lattice env's ratio to MAgent2 against the ratio asked for."""
    print("\n# issue 17 targets (swarmgym / MAgent2, every lattice env)")
    for (peer, path, batch), wanted in TARGETS.items():
        ratios = measured.get(peer, {})
        found = [env for env in LATTICE_ENVS if (env, path, batch) in ratios]
        cells = ", ".join(f"{env} {ratios[env, path, batch]:.2f}x" for env in found)
        met = len(found) == len(LATTICE_ENVS) and all(ratios[env, path, batch] >= wanted for env in found)
        label = f"{path}, {'one copy' if batch == 1 else f'{batch} copies'}"
        print(f"#   {peer} {label:18s} >= {wanted:4.1f}x: {cells}  -> {'met' if met else 'missed'}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument(
        "--peers", nargs="*", default=["magent2", "pursuit", "vmas"], help="which peers (default: all)"
    )
    parser.add_argument(
        "--pursuit-n", nargs="*", type=int, default=[8, 32], help="pursuers (slow peer: 128 takes minutes)"
    )
    parser.add_argument(
        "--batch", type=int, default=64, help="swarmgym copies on the batched array path (besides one copy)"
    )
    args = parser.parse_args()
    if available("torch"):
        import torch

        torch.set_num_threads(1)
    ran = False
    if "magent2" in args.peers and available("magent2"):
        from magent2.environments import battle_v4, gather_v5

        measured = {}
        for name, module in (("magent2 battle_v4", battle_v4), ("magent2 gather_v5", gather_v5)):
            rate, n = pettingzoo_parallel_rate(
                module.parallel_env(max_cycles=10**6), args.repeats, args.seconds
            )
            measured[name] = report(name, n, rate, 13, (1, args.batch), args)
        if args.batch == 64:
            print_targets(measured)
        ran = True
    if "pursuit" in args.peers and available("pettingzoo.sisl") and available("pymunk"):
        from pettingzoo.sisl import pursuit_v5

        for n in args.pursuit_n:
            env = pursuit_v5.parallel_env(n_pursuers=n, n_evaders=max(30, n), max_cycles=10**6)
            rate, n_agents = pettingzoo_parallel_rate(env, args.repeats, args.seconds)
            report("pettingzoo pursuit_v5", n_agents, rate, 7, (1, args.batch), args)
        ran = True
    if "vmas" in args.peers and available("vmas"):
        import torch
        import vmas

        for n_envs in (1, 64):
            env = vmas.make_env(
                "flocking", num_envs=n_envs, device="cpu", n_agents=10, continuous_actions=True, seed=0
            )
            env.reset()
            pool = [[env.get_random_action(agent) for agent in env.agents] for _ in range(8)]
            with torch.no_grad():
                rate = timed_runs(
                    lambda i, env=env, pool=pool: env.step(pool[i % 8]), args.repeats, args.seconds
                )
            report(f"vmas flocking (B = {n_envs})", 10, rate * n_envs * 10, 5, (n_envs,), args)
        ran = True
    if not ran:
        print("no peer is importable here; see this script's docstring for how to install them")


if __name__ == "__main__":
    main()
