"""Throughput and memory of every env: agent-steps/s on the batched array path and the PettingZoo dict path.

Protocol (issue 8): random actions (pre-drawn, valid), ``step()`` with observations and rewards
included, per-step metrics off (``with_info=False``), reset excluded; median of 5 timed runs after a
warm-up. Each configuration runs in a fresh subprocess so its peak RSS is its own. The PettingZoo dict
path is measured both without (``dict``) and with (``dict+i``) the emergence metrics in every info;
``--with-info`` adds the array path with per-step metrics and agent info (``array+i``).

    python benchmarks/bench_envs.py                       # the full table (several minutes)
    python benchmarks/bench_envs.py --envs segregation_v0 --n 100000 --k 11 --batch 1
    python benchmarks/bench_envs.py --window              # the window operator alone
    python benchmarks/bench_envs.py --envs flocking_v0 --preset fast   # a named preset
    python benchmarks/bench_envs.py --envs flocking_v0 --tune-malloc   # glibc keeps freed memory

Issue 17's target rows come with every table: ``numpy-ref`` is the near-limit numpy reference (N
agents random-walking on a torus, 11×11 uint8 windows cut by fancy-indexing a wrap-padded
``sliding_window_view``), measured in the same run at each N when k = 11 is in the grid; the ``#``
lines after the table give, per env (one copy, k = 11), the fixed-cost ratio (per-agent cost at
N = 100 over that at N = 1,000; target at most 3) and the rate at N = 10,000 over the reference's
(target at least 0.5 for the lattice envs).

``--tune-malloc`` runs each configuration with ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_``
set to 1 GB, so glibc reuses freed blocks instead of returning them to the OS and page-faulting
them back in on the next step (it matters for flocking's many per-pair temporaries).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np


def actions_pool(space, shape, count=8, seed=0):
    from swarmgym_agents.base import RandomPolicy

    policy = RandomPolicy(space, seed)
    return [policy.act(np.empty(shape), {}) for _ in range(count)]


def timed_runs(step, repeats, seconds):
    step(0)  # warm-up
    rates = []
    for _ in range(repeats):
        count, start = 0, time.perf_counter()
        while True:
            step(count)
            count += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds and count >= 3:
                break
        rates.append(count / elapsed)
    return statistics.median(rates)


def measure_array(env_id, n, k, batch, repeats, seconds, with_info=False, preset=None):
    import swarmgym
    from swarmgym.registry import spec

    config = {**spec(env_id).presets.get(preset, {}), **spec(env_id).scale(n), "view_size": k}
    vec = swarmgym.make_vec(env_id, num_envs=batch, max_cycles=10**9, with_info=with_info, **config)
    vec.reset(seed=0)
    pool = actions_pool(vec.action_space, (batch, vec.num_agents))
    steps_per_s = timed_runs(lambda i: vec.step(pool[i % len(pool)]), repeats, seconds)
    return {"agents": vec.num_agents, "agent_steps_per_s": steps_per_s * batch * vec.num_agents}


def measure_dict(env_id, n, k, repeats, seconds, with_info, preset=None):
    import swarmgym
    from swarmgym.registry import spec

    config = {**spec(env_id).presets.get(preset, {}), **spec(env_id).scale(n), "view_size": k}
    env = swarmgym.make(env_id, max_cycles=10**9, with_info=with_info, **config)
    env.reset(seed=0)
    pool = [
        dict(zip(env.possible_agents, a[0]))
        for a in actions_pool(env.action_space("agent_0"), (1, env.num_agents))
    ]
    steps_per_s = timed_runs(lambda i: env.step(pool[i % len(pool)]), repeats, seconds)
    return {"agents": env.num_agents, "agent_steps_per_s": steps_per_s * env.num_agents}


def measure_window(n, k, repeats, seconds):
    """The window operator alone: a 3-channel uint8 lattice at 90 % occupancy, one window per agent."""
    from swarmgym.core.window import lattice_windows

    size = int(np.ceil(np.sqrt(n / 0.9)))
    rng = np.random.default_rng(0)
    raster = rng.integers(0, 2, (1, size, size, 3), dtype=np.uint8)
    cells = rng.permutation(size * size)[:n]
    rows, cols = np.divmod(cells, size)
    rate = timed_runs(lambda i: lattice_windows(raster, rows[None], cols[None], k, True), repeats, seconds)
    return {"agents": n, "agent_steps_per_s": rate * n}


def measure_reference(n, k, repeats, seconds):
    """The near-limit numpy reference: N agents random-walking on an L×L torus (90 % occupancy bound),
    an occupancy raster rebuilt per step, and every agent's k×k uint8 window cut by fancy-indexing a
    wrap-padded ``sliding_window_view``: about the least numpy work a lattice step with views can do."""
    from numpy.lib.stride_tricks import sliding_window_view

    size = int(np.ceil(np.sqrt(n / 0.9)))
    rng = np.random.default_rng(0)
    cells = rng.permutation(size * size)[:n]
    position = [np.divmod(cells, size)]
    moves = rng.integers(-1, 2, (8, 2, n))
    raster = np.zeros((size, size), dtype=np.uint8)

    def step(i):
        rows, cols = position[0]
        rows, cols = (rows + moves[i % 8, 0]) % size, (cols + moves[i % 8, 1]) % size
        position[0] = rows, cols
        raster[...] = 0
        raster[rows, cols] = 1
        view = sliding_window_view(np.pad(raster, k // 2, mode="wrap"), (k, k))
        return view[rows, cols]

    rate = timed_runs(step, repeats, seconds)
    return {"agents": n, "agent_steps_per_s": rate * n}


def run_one(args):
    env_id, n, k, batch, path = args.one.split(",")
    n, k, batch = int(n), int(k), int(batch)
    if path in ("array", "array+i"):
        result = measure_array(
            env_id, n, k, batch, args.repeats, args.seconds, with_info=path == "array+i", preset=args.preset
        )
    elif path in ("dict", "dict+i"):
        result = measure_dict(
            env_id, n, k, args.repeats, args.seconds, with_info=path == "dict+i", preset=args.preset
        )
    elif path == "ref":
        result = measure_reference(n, k, args.repeats, args.seconds)
    else:
        result = measure_window(n, k, args.repeats, args.seconds)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def spawn(env_id, n, k, batch, path, args):
    command = [
        sys.executable,
        __file__,
        "--one",
        f"{env_id},{n},{k},{batch},{path}",
        "--repeats",
        str(args.repeats),
        "--seconds",
        str(args.seconds),
    ] + (["--preset", args.preset] if args.preset else [])
    env = dict(os.environ)
    if args.tune_malloc:
        env.update(MALLOC_MMAP_THRESHOLD_=str(10**9), MALLOC_TRIM_THRESHOLD_=str(10**9))
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--envs", nargs="*", help="env ids (default: all registered)")
    parser.add_argument("--n", nargs="*", type=int, default=[100, 1000, 10000], help="agent counts")
    parser.add_argument("--k", nargs="*", type=int, default=[5, 11], help="view sizes")
    parser.add_argument("--batch", nargs="*", type=int, default=[1, 64], help="batched copies B")
    parser.add_argument("--max-agents", type=int, default=700_000, help="skip configs with B*N above this")
    parser.add_argument(
        "--dict-n", nargs="*", type=int, default=[1000], help="N for the PettingZoo dict path"
    )
    parser.add_argument("--window", action="store_true", help="only the window operator, k = 11")
    parser.add_argument(
        "--with-info",
        action="store_true",
        help="also time the array path with per-step metrics and agent info",
    )
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the numpy reference rows (numpy-ref)"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.5, help="minimum duration of one timed run")
    parser.add_argument("--preset", help="a named config preset of the env (e.g. flocking's fast)")
    parser.add_argument(
        "--tune-malloc", action="store_true", help="run with glibc's mmap and trim thresholds at 1 GB"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return run_one(args)

    from swarmgym.registry import ENVS

    print(
        f"{'env':16s} {'path':6s} {'N':>7s} {'k':>3s} {'B':>4s} {'agent-steps/s':>15s} {'peak RSS MiB':>13s}"
    )
    rows = []
    if args.window:
        rows = [("window", "window", n, 11, 1) for n in args.n]
    else:
        for env_id in args.envs or list(ENVS):
            for n in args.n:
                for k in args.k:
                    for batch in args.batch:
                        rows.append((env_id, "array", n, k, batch))
                        if args.with_info:
                            rows.append((env_id, "array+i", n, k, batch))
            rows += [(env_id, path, n, 11, 1) for n in args.dict_n for path in ("dict", "dict+i")]
        if 11 in args.k and not args.no_reference:
            rows += [("numpy-ref", "ref", n, 11, 1) for n in args.n]
    rates = {}
    for env_id, path, n, k, batch in rows:
        if batch * n > args.max_agents:
            print(f"{env_id:16s} {path:6s} {n:7d} {k:3d} {batch:4d} {'skipped: B*N > --max-agents':>29s}")
            continue
        result = spawn(env_id, n, k, batch, path, args)
        if "error" in result:
            print(f"{env_id:16s} {path:6s} {n:7d} {k:3d} {batch:4d}  error: {result['error']}")
            continue
        rates[env_id, path, n, k, batch] = result["agent_steps_per_s"]
        print(
            f"{env_id:16s} {path:6s} {result['agents']:7d} {k:3d} {batch:4d} "
            f"{result['agent_steps_per_s']:15,.0f} {result['peak_rss_mib']:13,.0f}",
            flush=True,
        )
    print_targets(rates, args.preset)


#: Issue 17's targets: every lattice env at N = 10,000 at least this fraction of the numpy reference.
LATTICE_REFERENCE_TARGET = {"segregation_v0": 0.5, "consensus_v0": 0.5, "commons_v0": 0.5}
#: flocking's exact rotated view at N = 10,000 (agent-steps/s) per k, and its `fast` preset vs the reference.
FLOCKING_EXACT_TARGET, FLOCKING_FAST_TARGET = {5: 1e6, 11: 5e5}, 0.3
FIXED_COST_TARGET = 3.0


def verdict(value, wanted, at_most=False, unit=""):
    """``(target >= wanted: met)`` style text."""
    met = value <= wanted if at_most else value >= wanted
    return f"(target {'<=' if at_most else '>='} {wanted:g}{unit}: {'met' if met else 'missed'})"


def print_targets(rates, preset=None):
    """Issue 17's rows, met or missed: the fixed-cost ratio (per-agent cost at N = 100 over N = 1,000),
    N = 10,000 against the numpy reference, and flocking's exact view at N = 10,000."""
    reference = rates.get(("numpy-ref", "ref", 10000, 11, 1))
    for env_id in dict.fromkeys(key[0] for key in rates if key[1] == "array"):
        small, large = (rates.get((env_id, "array", n, 11, 1)) for n in (100, 1000))
        big = rates.get((env_id, "array", 10000, 11, 1))
        parts = []
        if small and large:
            ratio = large / small
            parts.append(
                f"fixed-cost ratio (N=100 / N=1,000 per agent) {ratio:.2f} "
                + verdict(ratio, FIXED_COST_TARGET, at_most=True)
            )
        wanted = LATTICE_REFERENCE_TARGET.get(env_id)
        if env_id == "flocking_v0" and preset == "fast":
            wanted = FLOCKING_FAST_TARGET
        if big and reference:
            ratio = big / reference
            shown = f" {verdict(ratio, wanted)}" if wanted else ""
            parts.append(f"N=10,000 vs numpy-ref {ratio:.2f}x{shown}")
        if env_id == "flocking_v0" and preset is None:
            for k, target in FLOCKING_EXACT_TARGET.items():
                rate = rates.get((env_id, "array", 10000, k, 1))
                if rate:
                    rate, target = rate / 1e6, target / 1e6
                    parts.append(f"exact view N=10,000 k={k} {rate:.2f}M {verdict(rate, target, unit='M')}")
        if parts:
            print(f"# {env_id}{f' ({preset})' if preset else ''} B=1: " + "; ".join(parts))


if __name__ == "__main__":
    main()
