"""Mixed populations: several policies acting for disjoint sets of agents, and named scenarios.

One implementation serves the Schelling diagrams (:mod:`swarmgym.evaluation.schelling_diagram`) and
the Melting-Pot-style scenarios (a focal population among rule-based background agents):

- :func:`assign` draws which agent of each copy plays which role (seeded, per copy);
- :class:`MixedPolicy` routes the agents to their policies with index arrays: per copy the agents are
  sorted by role once, every policy acts on its contiguous block of the sorted (B, N_role, ...)
  observations and per-agent info, and the actions are scattered back (one call per role, no loop
  over agents);
- :func:`run_population` rolls a population out over seeds × copies and reports, per sample (one copy
  of one seed), each role's mean return, the env's final metrics and, on commons, the sanction
  statistics (beams per step, and the fraction of beam hits on agents harvesting above the group's
  median over the last ``window`` steps).

Rewards are the env's own (true, selfish) rewards whatever preference a learned member trained with;
the member's identity (its run.json preference) is recorded with the result.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import swarmgym
from swarmgym.metrics.stats import mean_ci
from swarmgym.registry import spec

#: Final metrics reported for every population (those the env offers).
METRICS = ("efficiency", "equality", "sustainability", "peace", "collapsed", "collapse_time", "stock")


def assign(counts: Sequence[int], num_copies: int, seed: int | None, shuffle: bool = True) -> np.ndarray:
    """(B, N) int role of every agent: role p on ``counts[p]`` agents of each copy.

    With ``shuffle`` each copy places the roles on a random permutation of its agents, drawn from
    ``default_rng(seed)``; otherwise role 0 takes the first ``counts[0]`` agents, and so on.
    """
    counts = [int(c) for c in counts]
    if not counts or min(counts) < 0 or sum(counts) < 1:
        raise ValueError(f"role counts must be >= 0 with a positive total, got {counts}")
    roles = np.tile(np.repeat(np.arange(len(counts)), counts), (num_copies, 1))
    if shuffle:
        roles = np.random.default_rng(seed).permuted(roles, axis=1)
    return roles


class MixedPolicy:
    """A :class:`~swarmgym_agents.base.Policy` whose agents act with different policies.

    Args:
        policies: one policy per role.
        assignment: (B, N) or (N,) role of every agent (same role counts in every copy).
    """

    def __init__(self, policies: Sequence[Any], assignment: np.ndarray):
        assignment = np.asarray(assignment, dtype=np.int64)
        if assignment.ndim == 1:
            assignment = assignment[None]
        if assignment.min() < 0 or assignment.max() >= len(policies):
            raise ValueError(f"roles must be in [0, {len(policies)}), got {np.unique(assignment).tolist()}")
        counts = np.stack([(assignment == p).sum(axis=1) for p in range(len(policies))], axis=1)
        if (counts != counts[:1]).any():
            raise ValueError("every copy must hold the same number of agents of each role")
        self.policies = list(policies)
        self.assignment = assignment
        self.order = np.argsort(assignment, axis=1, kind="stable")  # (B, N): agents sorted by role
        bounds = np.concatenate([[0], np.cumsum(counts[0])])
        self.blocks = [
            (p, int(lo), int(hi)) for p, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])) if hi > lo
        ]

    def reset(self, seed: int | None = None) -> None:
        """Reseed every role's policy (role p with ``seed + p``, so equal policies do not share draws)."""
        for p, policy in enumerate(self.policies):
            policy.reset(None if seed is None else seed + p)

    def _sorted(self, array: np.ndarray) -> np.ndarray:
        index = self.order.reshape(self.order.shape + (1,) * (array.ndim - 2))
        return np.take_along_axis(array, np.broadcast_to(index, self.order.shape + array.shape[2:]), axis=1)

    def act(self, observations: np.ndarray, info: Mapping[str, Any]) -> np.ndarray:
        """(B, N, ...) actions: each role's policy acts on its agents' observations and per-agent info."""
        batch, n = observations.shape[:2]
        if self.order.shape != (batch, n) and self.order.shape != (1, n):
            raise ValueError(f"assignment {self.assignment.shape} does not fit observations {(batch, n)}")
        if self.order.shape[0] != batch:
            self.order = np.broadcast_to(self.order, (batch, n))
            self.assignment = np.broadcast_to(self.assignment, (batch, n))
        obs = self._sorted(observations)
        per_agent = {
            name: self._sorted(value)
            for name, value in info.get("agent", {}).items()
            if isinstance(value, np.ndarray) and value.ndim >= 2 and value.shape[:2] == (batch, n)
        }
        actions: np.ndarray | None = None
        for p, lo, hi in self.blocks:
            sub_info = {**info, "agent": {name: value[:, lo:hi] for name, value in per_agent.items()}}
            chosen = np.asarray(self.policies[p].act(obs[:, lo:hi], sub_info))
            if actions is None:
                actions = np.empty((batch, n, *chosen.shape[2:]), dtype=chosen.dtype)
            actions[:, lo:hi] = chosen
        out = np.empty_like(actions)
        index = self.order.reshape(self.order.shape + (1,) * (actions.ndim - 2))
        np.put_along_axis(out, np.broadcast_to(index, actions.shape), actions, axis=1)
        return out


def member_identity(name: str) -> dict[str, Any]:
    """``{"agent", "preference"}``: a learned agent's preference comes from its run.json (None: selfish)."""
    preference = None
    if ":" in name:
        run_file = Path(name.partition(":")[2]) / "run.json"
        if run_file.is_file():
            preference = json.loads(run_file.read_text()).get("preference")
    return {"agent": name, "preference": preference}


def run_population(
    env_id: str,
    members: Sequence[tuple[str, int]],
    seeds: Sequence[int],
    copies: int = 1,
    config: Mapping[str, Any] | None = None,
    max_cycles: int | None = None,
    shuffle: bool = True,
    window: int = 100,
    policies: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Roll out the population ``members`` = [(agent name, count), ...] on ``env_id``.

    Seed s runs ``copies`` copies seeded s·copies + b (disjoint across seeds), the role assignment and
    the policies seeded s. The episode has ``max_cycles`` steps (the env's default if None); it is
    stepped in an env whose time limit lies one step beyond, so the last state stays readable.
    ``policies`` (one per member) skips loading by name (the Schelling diagram loads them once).

    Returns ``{"env_id", "members", "config", "max_cycles", "seeds", "copies", "window", "per_sample",
    "summary", "agent_steps", "wall_s"}``; ``per_sample[key]`` lists one value per (seed, copy):
    ``return/<i>`` member i's mean return per agent (absent when its count is 0), ``return/all`` the
    group's, the final :data:`METRICS`, and on commons ``beams_per_step`` (beams the group fired per
    step), ``beams_per_agent_step/<i>`` (per agent of member i), ``hits_per_step`` and
    ``targeted_fraction`` (share of hits on above-median harvesters; NaN without hits). ``summary``
    maps each key to a mean with 95 % CI over the samples (NaNs left out).
    """
    from swarmgym_agents.registry import load_policy

    env_id = spec(env_id).id
    config = dict(config or {})
    steps = int(max_cycles or spec(env_id).max_cycles)
    names = [name for name, _ in members]
    counts = [int(count) for _, count in members]
    venv = swarmgym.make_vec(env_id, num_envs=copies, max_cycles=steps + 1, **config)
    if sum(counts) != venv.num_agents:
        raise ValueError(f"the members hold {sum(counts)} agents but the env has {venv.num_agents}")
    if policies is None:
        policies = [load_policy(name, env_id, venv.model, seed=0) for name in names]
    per_sample: dict[str, list[float]] = {}
    start = time.time()
    for seed in seeds:
        mixed = MixedPolicy(policies, assign(counts, copies, seed, shuffle))
        mixed.reset(int(seed))
        sample = _episode(venv, mixed, int(seed) * copies, steps, window)
        for key, values in sample.items():
            per_sample.setdefault(key, []).extend(np.asarray(values, dtype=np.float64).tolist())
    wall = time.time() - start
    summary = {}
    for key, values in per_sample.items():
        finite = [v for v in values if np.isfinite(v)]
        summary[key] = mean_ci(finite) if finite else None
    return {
        "env_id": env_id,
        "members": [{**member_identity(name), "count": count} for name, count in members],
        "config": config,
        "max_cycles": steps,
        "seeds": [int(s) for s in seeds],
        "copies": int(copies),
        "window": int(window),
        "per_sample": per_sample,
        "summary": summary,
        "agent_steps": int(len(seeds) * copies * steps * venv.num_agents),
        "wall_s": round(wall, 2),
    }


def _episode(venv: Any, mixed: MixedPolicy, env_seed: int, steps: int, window: int) -> dict[str, np.ndarray]:
    """One episode of every copy: per-copy role returns, final metrics and sanction statistics."""
    observations, info = venv.reset(seed=env_seed)
    batch, n = venv.num_envs, venv.num_agents
    returns = np.zeros((batch, n))
    state = venv.core_state
    sanctions = hasattr(state, "fired") and hasattr(state, "hits_taken") and "apples" in info["agent"]
    fired = np.zeros((batch, n))
    hits = np.zeros(batch)
    targeted = np.zeros(batch)
    history: list[np.ndarray] = []  # cumulative apples before each of the last `window` steps
    for _ in range(steps):
        actions = mixed.act(observations, info)
        if sanctions:
            history.append(info["agent"]["apples"].astype(np.float64))
            if len(history) > window:
                history.pop(0)
        observations, rewards, _, _, info = venv.step(actions)
        returns += rewards
        if sanctions:
            from swarmgym.envs.commons.metrics import targeted_hits

            state = venv.core_state
            fired += state.fired
            hits += state.hits_taken.sum(axis=1)
            recent = history[-1] - history[0]  # resources collected over the window before this step
            targeted += targeted_hits(state.hits_taken, recent)
    roles = mixed.assignment
    out: dict[str, np.ndarray] = {}
    for p, _, _ in mixed.blocks:
        mine = roles == p
        out[f"return/{p}"] = (returns * mine).sum(axis=1) / mine.sum(axis=1)
    out["return/all"] = returns.mean(axis=1)
    for name in METRICS:
        if name in info["metrics"]:
            out[name] = info["metrics"][name]
    if sanctions:
        out["beams_per_step"] = fired.sum(axis=1) / steps
        for p, _, _ in mixed.blocks:
            mine = roles == p
            out[f"beams_per_agent_step/{p}"] = (fired * mine).sum(axis=1) / mine.sum(axis=1) / steps
        out["hits_per_step"] = hits / steps
        out["targeted_fraction"] = np.divide(targeted, hits, out=np.full(batch, np.nan), where=hits > 0)
    return out


@dataclass(frozen=True)
class Scenario:
    """A focal population among rule-based background agents (Melting Pot style)."""

    env_id: str
    """The env played."""
    focal: int
    """Number of focal agents (the agent under test)."""
    background: tuple[tuple[str, int], ...]
    """(agent name, count) of the background population."""
    preset: str | None = None
    """Env preset the scenario is played on; ``n_agents`` is set to focal + background."""
    max_cycles: int | None = None
    """Episode length (None: the env's default)."""
    config: Mapping[str, Any] = field(default_factory=dict)
    """Further config overrides."""
    description: str = ""
    """What the scenario tests."""

    @property
    def n_agents(self) -> int:
        """Focal plus background agents."""
        return self.focal + sum(count for _, count in self.background)

    def env_config(self) -> dict[str, Any]:
        """The env config: the preset, the overrides, and ``n_agents``."""
        return {**spec(self.env_id).preset(self.preset), **self.config, "n_agents": self.n_agents}

    def members(self, focal_agent: str) -> list[tuple[str, int]]:
        """Members with the focal agent first (member 0 is always the focal population)."""
        return [(focal_agent, self.focal), *self.background]


def _commons(focal: int, name: str, count: int, preset: str | None, why: str) -> Scenario:
    return Scenario("commons_v0", focal, ((name, count),), preset=preset, max_cycles=1000, description=why)


_EXPLOIT = "can the focal agents sustain the resource while greedy agents defect"
_RECIPROCATE = "do the focal agents keep restraint with restrained partners"
_SANCTION = "do the focal agents restrain themselves under sanctioners' punishment"
SCENARIOS: dict[str, Scenario] = {
    "commons_7focal_3greedy": _commons(7, "greedy", 3, None, _EXPLOIT),
    "commons_5focal_5restrained": _commons(5, "restrained", 5, None, _RECIPROCATE),
    "commons_5focal_5sanctioner": _commons(5, "sanctioner", 5, None, _SANCTION),
    # The same three on the learning config (small preset, view 5), which the learners train on.
    "commons_small_3focal_1greedy": _commons(3, "greedy", 1, "small", _EXPLOIT),
    "commons_small_2focal_2restrained": _commons(2, "restrained", 2, "small", _RECIPROCATE),
    "commons_small_2focal_2sanctioner": _commons(2, "sanctioner", 2, "small", _SANCTION),
}
"""Named scenarios, evaluable with ``swarmgym scenario NAME --focal AGENT``."""


def scenario(name: str) -> Scenario:
    """The scenario called ``name``; ``ValueError`` lists the names."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose from {sorted(SCENARIOS)}")
    return SCENARIOS[name]


def run_scenario(
    name: str, focal_agent: str, seeds: Sequence[int], copies: int = 1, window: int = 100
) -> dict[str, Any]:
    """:func:`run_population` of scenario ``name`` with ``focal_agent`` as member 0, plus its name."""
    chosen = scenario(name)
    result = run_population(
        chosen.env_id,
        chosen.members(focal_agent),
        seeds,
        copies=copies,
        config=chosen.env_config(),
        max_cycles=chosen.max_cycles,
        window=window,
    )
    return {"scenario": name, "description": chosen.description, **result}
