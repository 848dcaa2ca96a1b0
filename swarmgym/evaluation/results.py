"""One JSON result per evaluation of an agent on a task: build, validate, read, write, export.

The schema (``schema_version`` :data:`SCHEMA_VERSION`, documented in docs/evaluation.md) holds the task
(id, hash, full config), the agent's identity (a learned agent's run, seed, budget and checkpoint hash),
the evaluation seeds, every episode's metrics, aggregates with 95 % bootstrap CIs, the per-step mean
of the main metric, and provenance (versions, git commit, date, the command that reproduces it).
Files are written atomically and validated first, so a malformed result never replaces a good one.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from swarmgym.core.io import write_json
from swarmgym.core.provenance import git_state, now, package_versions
from swarmgym.evaluation.runner import Episodes, run_episodes
from swarmgym.evaluation.scores import main_scores, normalise, time_to_emergence
from swarmgym.evaluation.tasks import TASKS, Task, full_config, get_task, normaliser, task_hash
from swarmgym.metrics.stats import iqm_ci, mean_ci

SCHEMA = "swarmgym-result"
SCHEMA_VERSION = 1
PACKAGES = ("numpy", "gymnasium", "pettingzoo", "torch", "stable-baselines3")
SERIES_DIGITS = 4
"""Per-step series are rounded to this many decimals (compact files; far below seed-to-seed spread)."""


# -- agents ----------------------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def agent_identity(agent: str, task: Task) -> dict[str, Any]:
    """What the result records about the agent; for ``algo:RUN_DIR`` the run's ``run.json`` and model hash.

    A learned run must have been trained on the task's env and config (for a scale-transfer task, on the
    task it transfers from), except for the task's ``agent_keys``; else ``ValueError`` names the fields.
    """
    from swarmgym_agents.registry import RULE_BASED

    if agent == "random":
        return {"name": "random", "kind": "random"}
    if ":" not in agent:
        known = RULE_BASED.get(task.env_id, {})
        if agent not in known:
            raise ValueError(
                f"unknown agent {agent!r} for {task.id}; choose random, {sorted(known)} or algo:RUN_DIR"
            )
        return {"name": agent, "kind": "rule-based"}
    algo, _, run_dir = agent.partition(":")
    run_path = Path(run_dir)
    run_file = run_path / "run.json"
    if not run_file.is_file():
        raise ValueError(f"{agent}: {run_file} not found; evaluate a run folder written by `swarmgym train`")
    try:
        run = json.loads(run_file.read_text())
        for key in ("env_id", "algo", "seed", "config", "steps_done", "max_cycles"):
            run[key]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"{agent}: {run_file} is not a valid run.json ({error!r})") from None
    if run["algo"] != algo:
        raise ValueError(f"{agent}: the run in {run_dir} was trained with {run['algo']!r}, not {algo!r}")
    check_run_matches(run, task)
    suffix = ".zip" if algo == "ppo" else ".pt"
    model_file = next(
        (run_path / f"{n}{suffix}" for n in ("model", "checkpoint") if (run_path / f"{n}{suffix}").is_file()),
        None,
    )
    if model_file is None:
        raise ValueError(f"{agent}: no model{suffix} or checkpoint{suffix} in {run_dir}")
    return {
        "name": agent,
        "kind": "learned",
        "algo": algo,
        "run_dir": str(run_dir),
        "checkpoint": model_file.name,
        "checkpoint_sha256": sha256_file(model_file),
        "training": {
            key: run.get(key)
            for key in (
                "env_id",
                "seed",
                "steps",
                "steps_done",
                "hyper",
                "hyper_full",
                "config",
                "max_cycles",
                "num_copies",
                "preference",
            )
        },
    }


def training_task(task: Task) -> Task:
    """The task whose config a learned agent must have been trained on (the transfer source, or itself)."""
    return get_task(task.transfer_from) if task.transfer_from else task


def check_run_matches(run: Mapping[str, Any], task: Task) -> None:
    """``ValueError`` unless the run's env and full config equal the training task's (but ``agent_keys``)."""
    source = training_task(task)
    from swarmgym.registry import spec

    if spec(run["env_id"]).id != source.env_id:
        raise ValueError(f"the run was trained on {run['env_id']}, but {task.id} needs {source.env_id}")
    want = full_config(source.env_id, source.config)
    have = full_config(source.env_id, run["config"])
    differ = sorted(k for k in want if k not in task.agent_keys and want[k] != have.get(k))
    if differ:
        detail = ", ".join(f"{k}: run {have.get(k)!r} != task {want[k]!r}" for k in differ)
        where = f"{task.id} (which transfers from {source.id})" if task.transfer_from else task.id
        raise ValueError(f"the run's config does not match {where}: {detail}")


def evaluation_config(task: Task, agent: Mapping[str, Any]) -> dict[str, Any]:
    """The config the agent plays: the task's, with a learned agent's own ``agent_keys`` (its actions)."""
    config = dict(task.config)
    if agent["kind"] == "learned":
        trained = agent["training"]["config"]
        config.update({k: trained[k] for k in task.agent_keys if k in trained})
    return config


def entry_label(agent: Mapping[str, Any]) -> str:
    """Short display name: the rule's name, or ``ppo (seed 0, 1.0M steps)``."""
    if agent["kind"] != "learned":
        return agent["name"]
    training = agent["training"]
    preference = f", {preference_label(agent)}" if training.get("preference") else ""
    return f"{agent['algo']} (seed {training['seed']}, {training['steps_done'] / 1e6:.2g}M steps{preference})"


def preference_label(agent: Mapping[str, Any]) -> str:
    """The social preference a learned agent trained with, e.g. ``prosocial(a=1)``; ``selfish`` if none."""
    from swarmgym_agents.preferences import Preference

    return Preference.parse(agent.get("training", {}).get("preference")).label()


def entry_key(result: Mapping[str, Any]) -> str:
    """File name stem of a leaderboard entry, unique per task and agent identity."""
    agent = result["agent"]
    slug = result["task"]["id"].replace("/", "__")
    if agent["kind"] != "learned":
        return f"{slug}__{agent['name']}"
    return f"{slug}__{agent['algo']}-seed{agent['training']['seed']}-{agent['checkpoint_sha256'][:10]}"


# -- provenance ------------------------------------------------------------------------------------
def provenance() -> dict[str, Any]:
    """The swarmgym version, git commit, package versions, Python and the date (UTC)."""
    import swarmgym

    commit, dirty = git_state()
    return {
        "swarmgym": swarmgym.__version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "python": platform.python_version(),
        "packages": package_versions(PACKAGES),
        "date": now(),
    }


# -- building a result -----------------------------------------------------------------------------
def _round(values: np.ndarray) -> list[float]:
    return [round(float(v), SERIES_DIGITS) for v in values]


def reproduce_command(task: Task, agent: Mapping[str, Any]) -> str:
    """The command line that re-runs this evaluation."""
    return f"swarmgym evaluate {task.id} --agent {agent['name']}"


def build_result(task: Task, agent: Mapping[str, Any], episodes: Episodes) -> dict[str, Any]:
    """The result document of ``agent`` on ``task`` from its episodes (one per seed of the task)."""
    norm = normaliser(task)
    scores = main_scores(task, episodes)
    normalised = normalise(scores, norm["random"], norm["reference"])
    series = episodes.series[task.main_score]  # (T, E)
    emergence = (
        time_to_emergence(series, task.threshold) if task.threshold is not None else np.full(scores.size, -1)
    )
    rows = []
    for e, seed in enumerate(episodes.seeds):
        rows.append(
            {
                "seed": int(seed),
                "score": float(scores[e]),
                "normalised_score": float(normalised[e]),
                "time_to_emergence": int(emergence[e]) if emergence[e] >= 0 else None,
                "return": float(episodes.returns[e]),
                "final": {k: float(v[e]) for k, v in episodes.final.items()},
                "steady": {k: float(v[e]) for k, v in episodes.steady.items()},
            }
        )
    reached = emergence[emergence >= 0]
    aggregates: dict[str, Any] = {
        "score": iqm_ci(scores),
        "normalised_score": iqm_ci(normalised),
        "return": mean_ci(episodes.returns),
        "time_to_emergence": None
        if task.threshold is None
        else {
            "threshold": task.threshold,
            "reached": int(reached.size),
            "censored": int(scores.size - reached.size),
            "median": float(np.median(reached)) if reached.size else None,
            "mean": float(reached.mean()) if reached.size else None,
        },
        "extra": {name: mean_ci(episodes.final[name]) for name in task.extra_scores},
    }
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "task": {
            "id": task.id,
            "hash": task_hash(task),
            "env_id": task.env_id,
            "config": full_config(task.env_id, task.config),
            "max_cycles": task.max_cycles,
            "main_score": task.main_score,
            "reduction": task.reduction,
            "threshold": task.threshold,
            "budget_steps": task.budget_steps,
            "reference": task.reference,
            "transfer_from": task.transfer_from,
        },
        "agent": dict(agent),
        "evaluation": {
            "seeds": [int(s) for s in episodes.seeds],
            "group_size": task.group_size,
            "config": evaluation_config(task, agent),
            "normalisers": {"random": norm["random"], "reference": norm["reference"]},
        },
        "episodes": rows,
        "series": {
            "metric": task.main_score,
            "mean": _round(series.mean(axis=1)),
            "std": _round(series.std(axis=1)),
        },
        "aggregates": aggregates,
        "provenance": provenance(),
        "command": reproduce_command(task, agent),
    }


def evaluate_task(
    task: Task | str,
    agent: str,
    workers: int = 1,
    progress: bool = False,
    seeds: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Run ``agent`` on every seed of ``task`` (or on ``seeds``, for tests) and return its result."""
    task = get_task(task) if isinstance(task, str) else task
    identity = agent_identity(agent, task)
    episodes = run_episodes(
        task.env_id,
        evaluation_config(task, identity),
        task.max_cycles,
        agent,
        task.seeds if seeds is None else seeds,
        [task.main_score],
        group_size=task.group_size,
        workers=workers,
        progress=progress,
        description=f"{task.id} [{agent}]",
    )
    return build_result(task, identity, episodes)


# -- validation ------------------------------------------------------------------------------------
_REQUIRED: dict[str, dict[str, type | tuple[type, ...]]] = {
    "": {
        "schema": str,
        "schema_version": int,
        "task": dict,
        "agent": dict,
        "evaluation": dict,
        "episodes": list,
        "series": dict,
        "aggregates": dict,
        "provenance": dict,
        "command": str,
    },
    "task": {"id": str, "hash": str, "env_id": str, "config": dict, "max_cycles": int, "main_score": str},
    "agent": {"name": str, "kind": str},
    "evaluation": {"seeds": list, "config": dict, "normalisers": dict},
    "series": {"metric": str, "mean": list, "std": list},
    "aggregates": {"score": dict, "normalised_score": dict, "return": dict},
    "provenance": {"swarmgym": str, "packages": dict, "date": str},
}
_EPISODE: dict[str, type | tuple[type, ...]] = {
    "seed": int,
    "score": (int, float),
    "normalised_score": (int, float),
    "return": (int, float),
    "final": dict,
    "steady": dict,
}


def validate_result(data: Any, strict: bool = True) -> list[str]:
    """Every problem of a result document, as messages (empty when valid).

    ``strict`` also checks it against the current task: its hash, seeds and horizon.
    """
    if not isinstance(data, dict):
        return [f"a result is a JSON object, got {type(data).__name__}"]
    problems = []
    for section, fields in _REQUIRED.items():
        node = data if not section else data.get(section)
        if not isinstance(node, dict):
            continue  # reported as a missing top-level key
        for key, kind in fields.items():
            where = f"{section}.{key}" if section else key
            if key not in node:
                problems.append(f"missing {where}")
            elif not isinstance(node[key], kind) or isinstance(node[key], bool):
                problems.append(f"{where} should be {_names(kind)}, got {type(node[key]).__name__}")
    if problems:
        return problems
    if data["schema"] != SCHEMA:
        problems.append(f"schema is {data['schema']!r}, not {SCHEMA!r}")
    if data["schema_version"] != SCHEMA_VERSION:
        problems.append(
            f"schema_version {data['schema_version']} is not supported (this swarmgym reads {SCHEMA_VERSION})"
        )
    if data["agent"]["kind"] not in ("random", "rule-based", "learned"):
        problems.append(f"agent.kind {data['agent']['kind']!r} is not random, rule-based or learned")
    if data["agent"]["kind"] == "learned":
        for key in ("algo", "checkpoint_sha256", "training"):
            if key not in data["agent"]:
                problems.append(f"missing agent.{key} (a learned agent records its run)")
    seeds = data["evaluation"]["seeds"]
    if [row.get("seed") for row in data["episodes"] if isinstance(row, dict)] != seeds:
        problems.append("episodes do not match evaluation.seeds one to one, in order")
    for i, row in enumerate(data["episodes"]):
        if not isinstance(row, dict):
            problems.append(f"episodes[{i}] is not an object")
            continue
        for key, kind in _EPISODE.items():
            if key not in row:
                problems.append(f"episodes[{i}] misses {key}")
            elif not isinstance(row[key], kind) or isinstance(row[key], bool):
                problems.append(f"episodes[{i}].{key} should be {_names(kind)}")
    horizon = data["task"]["max_cycles"]
    for key in ("mean", "std"):
        if len(data["series"][key]) != horizon:
            problems.append(
                f"series.{key} has {len(data['series'][key])} steps, the task's horizon is {horizon}"
            )
    if strict and not problems:
        problems += _check_against_task(data)
    return problems


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _check_against_task(data: Mapping[str, Any]) -> list[str]:
    task_id = data["task"]["id"]
    if task_id not in TASKS:
        return [f"task {task_id!r} is not a task of this benchmark ({sorted(TASKS)})"]
    task = TASKS[task_id]
    problems = []
    if data["task"]["hash"] != task_hash(task):
        problems.append(
            f"task hash {data['task']['hash']} does not match {task_id}'s hash {task_hash(task)}: the "
            "result was made on a different task content; re-run the evaluation"
        )
    if data["evaluation"]["seeds"] != task.seeds:
        problems.append(
            f"evaluation seeds {_span(data['evaluation']['seeds'])} are not {task_id}'s seeds "
            f"{_span(task.seeds)}"
        )
    return problems


def _span(seeds: Sequence[int]) -> str:
    seeds = list(seeds)
    if seeds and seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}..{seeds[-1]}"
    return str(seeds)


def read_result(path: str | Path, strict: bool = True) -> dict[str, Any]:
    """Load and validate a result file; ``ValueError`` saying what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    problems = validate_result(data, strict=strict)
    if problems:
        raise ValueError(f"{path}: not a valid swarmgym result: " + "; ".join(problems))
    return data


def write_result(path: str | Path, data: Mapping[str, Any], replace: bool = True) -> Path:
    """Validate then write ``data`` atomically; refuse to replace a valid result of another task or agent.

    With ``replace=False`` an existing valid result is never overwritten.
    """
    path = Path(path)
    problems = validate_result(data, strict=False)
    if problems:
        raise ValueError(f"refusing to write {path}: " + "; ".join(problems))
    if path.exists():
        try:
            old = read_result(path, strict=False)
        except ValueError:
            old = None  # a broken file may be replaced by a good one
        if old is not None:
            if not replace:
                raise ValueError(f"{path} already holds a result; not overwriting it")
            if entry_key(old) != entry_key(data):
                raise ValueError(
                    f"{path} holds the result of {old['agent']['name']} on {old['task']['id']}; refusing to "
                    f"overwrite it with {data['agent']['name']} on {data['task']['id']}"
                )
    return write_json(path, data)


# -- marl-eval export ------------------------------------------------------------------------------
def to_marl_eval(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The raw-results layout marl-eval reads (BenchMARL writes it too).

    ``{env: {task: {algo: {"seed_N": {"step_0": {"step_count": steps, metric: [per episode]},
    "absolute_metrics": {metric: [...]}}}}}}``: env is the task family, task the rest of the id, algo the
    agent (learned: its algorithm), seed_N its training seed (0 for rules), steps its training
    agent-steps (0 for rules); metrics ``return``, ``score`` and ``normalised_score``, lower case as
    marl-eval expects.
    """
    out: dict[str, Any] = {}
    for result in results:
        family, _, name = result["task"]["id"].partition("/")
        agent = result["agent"]
        learned = agent["kind"] == "learned"
        algo = agent["name"] if not learned else agent["algo"]
        if learned and agent["training"].get("preference"):
            algo = f"{algo}-{preference_label(agent)}"  # a preference makes another algorithm
        seed = int(agent["training"]["seed"]) if learned else 0
        steps = int(agent["training"]["steps_done"]) if learned else 0
        metrics = {
            "return": [row["return"] for row in result["episodes"]],
            "score": [row["score"] for row in result["episodes"]],
            "normalised_score": [row["normalised_score"] for row in result["episodes"]],
        }
        runs = out.setdefault(family, {}).setdefault(name.lower(), {}).setdefault(algo, {})
        key = f"seed_{seed}"
        if key in runs:
            raise ValueError(f"two results for {algo} seed {seed} on {result['task']['id']}")
        runs[key] = {"step_0": {"step_count": steps, **metrics}, "absolute_metrics": dict(metrics)}
    return out
