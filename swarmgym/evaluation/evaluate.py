"""Evaluate any agent on an env over seeds: per-seed emergence metrics and their mean with a 95 % CI.

Copy b of the batched env is seeded ``seeds[b]`` (one batched env when the seeds are consecutive,
else one env per seed), the agent acts on arrays through the Policy interface, and every metric the
env reports is summarised two ways per seed: its ``final`` value at the end of the episode and its
``steady`` state, the mean over the last third of the episode (docs/models.md#scoring-emergence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import swarmgym
from swarmgym.metrics.stats import format_ci, mean_ci


def evaluate(
    policy_name: str,
    env_id: str,
    seeds: Sequence[int],
    config: Mapping[str, Any] | None = None,
    episodes: int = 1,
    max_cycles: int | None = None,
    policy_seed: int = 0,
) -> dict[str, Any]:
    """Run ``policy_name`` (any name :func:`~swarmgym_agents.load_policy` knows) for ``episodes`` per seed.

    Returns ``{"env_id", "agent", "seeds", "config", "episodes", "max_cycles", "per_seed", "summary"}``:
    ``per_seed[kind][metric]`` is a list (one value per seed, averaged over its episodes) for kind in
    ``final``/``steady``, plus ``per_seed["return"]`` (mean episode return per agent), and ``summary``
    the same keys mapped to :func:`swarmgym.metrics.stats.mean_ci` dicts (mean, 95 % CI, IQM).
    """
    from swarmgym_agents.registry import load_policy

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("evaluate needs at least one seed")
    if not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be an integer >= 1, got {episodes!r}")
    config = dict(config or {})
    consecutive = seeds == list(range(seeds[0], seeds[0] + len(seeds)))
    groups = [seeds] if consecutive else [[s] for s in seeds]
    rows: list[dict[str, Any]] = []
    for group in groups:
        venv = swarmgym.make_vec(env_id, num_envs=len(group), max_cycles=max_cycles, **config)
        policy = load_policy(policy_name, env_id, venv.model, seed=policy_seed)
        policy.reset(policy_seed)
        rows.extend(_run(venv, policy, group[0], episodes))
    kinds = ("final", "steady")
    per_seed: dict[str, Any] = {
        kind: {name: [row[kind][name] for row in rows] for name in rows[0][kind]} for kind in kinds
    }
    per_seed["return"] = [row["return"] for row in rows]
    summary: dict[str, Any] = {
        kind: {name: mean_ci(values) for name, values in per_seed[kind].items()} for kind in kinds
    }
    summary["return"] = mean_ci(per_seed["return"])
    spec = swarmgym.registry.spec(env_id)
    return {
        "env_id": spec.id,
        "agent": policy_name,
        "seeds": seeds,
        "config": config,
        "episodes": episodes,
        "max_cycles": max_cycles or spec.max_cycles,
        "per_seed": per_seed,
        "summary": summary,
    }


def _run(venv: swarmgym.SwarmVecEnv, policy: Any, seed: int, episodes: int) -> list[dict[str, Any]]:
    """Per-copy metrics of ``episodes`` consecutive episodes (copies step in lockstep, no agent loop)."""
    batch = venv.num_envs
    observations, info = venv.reset(seed=seed)
    finals: list[dict[str, np.ndarray]] = []
    steadies: list[dict[str, np.ndarray]] = []
    returns: list[np.ndarray] = []
    for _ in range(episodes):
        history: list[dict[str, np.ndarray]] = []
        final: dict[str, np.ndarray] = {}
        ended = np.zeros(batch, dtype=bool)
        lengths = np.zeros(batch, dtype=np.int64)
        episode_return = np.zeros(batch)
        while not ended.all():
            actions = policy.act(observations, info)
            observations, _, _, _, info = venv.step(actions)
            done = info["done"] & ~ended
            step_metrics = {name: value.copy() for name, value in info["metrics"].items()}
            if done.any():
                for name in step_metrics:
                    step_metrics[name][done] = info["final_metrics"][name][done]
                episode_return[done] = info["episode_return"][done].mean(axis=1)
            history.append(step_metrics)
            lengths[~ended] += 1
            ended |= done
        steps = np.arange(len(history))[:, None]
        start = lengths - np.maximum(lengths // 3, 1)
        last_third = (steps >= start[None]) & (steps < lengths[None])  # (T, B)
        steady: dict[str, np.ndarray] = {}
        for name in history[0]:
            series = np.stack([h[name] for h in history])  # (T, B); rows past a copy's end are unused
            final[name] = series[lengths - 1, np.arange(batch)]
            steady[name] = np.where(last_third, series, 0.0).sum(axis=0) / last_third.sum(axis=0)
        finals.append(final)
        steadies.append(steady)
        returns.append(episode_return)
    rows = []
    for b in range(batch):
        rows.append(
            {
                "final": {name: float(np.mean([f[name][b] for f in finals])) for name in finals[0]},
                "steady": {name: float(np.mean([s[name][b] for s in steadies])) for name in steadies[0]},
                "return": float(np.mean([r[b] for r in returns])),
            }
        )
    return rows


def print_comparison(results: dict[str, dict[str, Any]], main_metric: str | None = None) -> None:
    """A table: one row per metric (steady state, mean [95 % CI]), one column per agent."""
    agents = list(results)
    first = results[agents[0]]
    print(
        f"\n{first['env_id']}  seeds {first['seeds'][0]}..{first['seeds'][-1]}  "
        f"steady state (mean over the last third), mean [95% CI]"
    )
    print(f"{'metric':26s}" + "".join(f"{_clip(a, 30):>32s}" for a in agents))
    for name in [*first["summary"]["steady"], "return"]:
        cells = [results[a]["summary"]["return" if name == "return" else "steady"] for a in agents]
        cells = [c if name == "return" else c[name] for c in cells]
        mark = " *" if name == main_metric else ""
        print(f"{name + mark:26s}" + "".join(f"{format_ci(c):>32s}" for c in cells))


def _clip(label: str, width: int) -> str:
    """``label`` shortened to ``width`` characters from the middle, keeping its ``algo:`` head and tail."""
    return label if len(label) <= width else label[: width // 3] + "…" + label[-(width - width // 3 - 1) :]
