"""The trainer: :func:`train` runs a learner into a run folder, checkpoints it, resumes it, evaluates it.

Steps are agent-steps (each env step of B copies × N agents counts B * N). ``--resume`` reloads the
checkpoint and trains on to the same total (or to a larger ``steps``). Training is deterministic on CPU
for a given seed (one torch thread, seeded torch and numpy generators, deterministic kernels).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import swarmgym
from swarmgym.core.config import check_int
from swarmgym.core.io import atomic_path, write_json
from swarmgym.evaluation.evaluate import evaluate
from swarmgym.metrics.stats import format_ci
from swarmgym.registry import spec
from swarmgym.training.learners import ALGOS, learner_class, learning_spec, run_config
from swarmgym.training.runs import read_run

EVAL_SEED_BASE = 10_000
"""Evaluation seeds start here, far from the training seeds (copies of training use seed .. seed + B - 1)."""


def train(
    env_id: str,
    algo: str,
    out: str | Path,
    steps: int | None = None,
    seed: int = 0,
    config: dict[str, Any] | None = None,
    resume: bool = False,
    checkpoint_every: int | None = None,
    num_copies: int | None = None,
    max_cycles: int | None = None,
    hyper: dict[str, Any] | None = None,
    eval_seeds: int = 5,
    progress: bool = True,
    verbose: bool = True,
    preference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train ``algo`` on ``env_id`` into the folder ``out``; return ``run.json`` with the evaluation added.

    ``config`` overrides the env's learning preset (:func:`~swarmgym.training.learners.run_config`).
    With ``resume`` every argument comes from the folder's ``run.json`` and training continues from its
    checkpoint, up to the recorded total or to ``steps`` when that is larger (extending the run).
    Checkpoints come every ``checkpoint_every`` agent-steps (default: a tenth of ``steps``), rounded
    down to whole chunks of the learner (its rollout or update, at least one); ``run.json`` records the
    interval used as ``checkpoint_interval``. ``preference`` (e.g. ``{"kind": "prosocial", "alpha":
    1.0}``) is the social preference the learner trains on (its reward transformation); None trains on
    the env's own selfish rewards. It is recorded in ``run.json``.
    """
    import torch
    from torch.utils.tensorboard import SummaryWriter
    from tqdm import tqdm

    for name, value, low in (
        ("steps", steps, 1),
        ("checkpoint_every", checkpoint_every, 1),
        ("num_copies", num_copies, 1),
        ("max_cycles", max_cycles, 1),
        ("eval_seeds", eval_seeds, 0),
    ):
        if value is not None:
            check_int(name, value, low)
    out = Path(out)
    run_file = out / "run.json"
    if resume:
        run = read_run(run_file)
        if steps is not None and steps > run["steps"]:
            run["steps"] = int(steps)  # extend a finished or interrupted run to a larger total
        if run["steps_done"] >= run["steps"] and (out / f"model{learner_class(run['algo']).suffix}").exists():
            if verbose:
                print(f"{out}: already finished ({run['steps_done']} agent-steps)")
            return run
    else:
        if run_file.exists():
            raise ValueError(
                f"{out} already holds a run; pass --resume to continue it or choose another --out"
            )
        if algo not in ALGOS:
            raise ValueError(f"unknown algorithm {algo!r}; choose from {list(ALGOS)}")
        env_id = spec(env_id).id
        task = learning_spec(env_id)
        merged = run_config(env_id, algo, config)
        swarmgym.make_model(env_id, **merged)  # validate the config now: clear error before any work
        run = {
            "env_id": env_id,
            "algo": algo,
            "seed": int(seed),
            "config": merged,
            "steps": int(steps if steps is not None else task.budget.get(algo, 200_000)),
            "num_copies": int(task.num_copies if num_copies is None else num_copies),
            "max_cycles": int(task.max_cycles if max_cycles is None else max_cycles),
            "hyper": dict(hyper or {}),
            "eval_seeds": int(eval_seeds),
            "preference": dict(preference) if preference else None,
            "steps_done": 0,
        }
    cls = learner_class(run["algo"])
    torch.set_num_threads(1)
    args = (run["env_id"], run["config"], run["seed"], run["num_copies"], run["max_cycles"])
    # Passed only when set, so a learner without preference support still trains selfishly.
    kwargs = {**({"preference": run["preference"]} if run.get("preference") else {}), **run["hyper"]}
    checkpoint = out / f"checkpoint{cls.suffix}"
    if resume and run["steps_done"] > 0:
        if not checkpoint.exists():
            raise ValueError(f"cannot resume: {checkpoint} is missing")
        try:
            learner = cls.load(checkpoint, *args, **kwargs)
        except ValueError:
            raise
        except Exception as error:
            raise ValueError(f"cannot resume: corrupt checkpoint {checkpoint}: {error}") from None
    else:
        learner = cls.create(*args, **kwargs)
    run["hyper_full"] = learner.hyper()
    # The learner trains in chunks (a rollout or an update): the interval is a whole number of them.
    every = max(run["steps"] // 10, 1) if checkpoint_every is None else checkpoint_every
    every = max(every // learner.chunk, 1) * learner.chunk
    run["checkpoint_interval"] = every
    write_json(run_file, run)

    writer = SummaryWriter(str(out / "tb"))
    if hasattr(learner, "set_logdir"):  # PPO: SB3 logs its losses itself
        learner.set_logdir(out / "tb" / "sb3")
    bar = tqdm(
        total=run["steps"],
        initial=learner.steps,
        unit="agent-step",
        unit_scale=True,
        disable=not progress,
        desc=f"{run['algo']} {run['env_id']}",
    )
    try:
        while learner.steps < run["steps"]:
            learner.train(min(every, run["steps"] - learner.steps), bar.update, writer.add_scalar)
            with atomic_path(checkpoint) as temp:
                learner.save(temp)
            run["steps_done"] = learner.steps
            write_json(run_file, run)
    finally:
        bar.close()
        writer.close()
    model = out / f"model{cls.suffix}"
    with atomic_path(model) as temp:
        shutil.copyfile(checkpoint, temp)
    if run["eval_seeds"] > 0:
        run["evaluation"] = final_evaluation(run, out, verbose=verbose)
        write_json(out / "eval.json", run["evaluation"])
    return run


def final_evaluation(run: dict[str, Any], out: Path, verbose: bool = True) -> dict[str, Any]:
    """Evaluate the trained agent and the random agent over ``eval_seeds`` seeds; print 95 % CIs."""
    seeds = list(range(EVAL_SEED_BASE, EVAL_SEED_BASE + run["eval_seeds"]))
    results = {}
    for agent in (f"{run['algo']}:{out}", "random"):
        results[agent] = evaluate(agent, run["env_id"], seeds, run["config"], max_cycles=run["max_cycles"])
    if verbose:
        print_comparison(results, learning_spec(run["env_id"]).main_metric)
    return results


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
