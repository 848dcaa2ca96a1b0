"""The trainer: :func:`train` runs a learner into a run folder, checkpoints it, resumes it, evaluates it.

Steps are agent-steps (each env step of B copies × N agents counts B * N). ``--resume`` reloads the
checkpoint and trains on to the same total (or to a larger ``steps``). Training is deterministic on CPU
for a given seed (one torch thread, seeded torch and numpy generators, deterministic kernels).
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

import swarmgym
from swarmgym.core.config import check_float, check_int
from swarmgym.core.io import atomic_path, write_json
from swarmgym.core.provenance import now, provenance
from swarmgym.evaluation.evaluate import evaluate, print_comparison
from swarmgym.evaluation.tasks import SEED_BASE
from swarmgym.registry import spec
from swarmgym.training.learners import ALGOS, args_class, learner_class, learning_spec, run_config
from swarmgym.training.runs import read_run

EVAL_SEED_BASE = SEED_BASE
"""Evaluation seeds start here, far from the training seeds (copies of training use seed .. seed + B - 1)."""


def train(
    env_id: str,
    algo: str | None,
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
    With ``resume`` every argument comes from the folder's ``run.json`` (``env_id``, ``algo`` and
    ``config``, when given, must match it) and training continues from its checkpoint, up to the
    recorded total or to ``steps`` when that is larger (extending the run). ``preference`` (e.g.
    ``{"kind": "prosocial", "alpha": 1.0}``) is the social preference the learner trains on (a reward
    transformation); None trains on the env's own selfish rewards.

    Durability: the checkpoint file is the one commit point. It holds the learner's step count, is
    written atomically every ``checkpoint_every`` agent-steps (default a tenth of ``steps``, rounded
    down to whole learner chunks: a rollout or an update) and ``run.json`` follows it; a resumed run
    trusts the checkpoint, so a kill anywhere loses at most one interval. A run killed during its final
    evaluation resumes into the evaluation; leftover temporary files are removed on resume. SIGINT and
    SIGTERM finish the current chunk, write a checkpoint and raise :class:`TrainingInterrupted`.

    Budget: learners train whole chunks, so ``steps_done`` may exceed ``steps`` by less than one chunk;
    ``run.json`` records both (and ``chunk``).
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
        ("seed", seed, 0),
    ):
        if value is not None:
            check_int(name, value, low)
    out = Path(out)
    run_file = out / "run.json"
    remove_temporary_files(out)
    if resume:
        run = read_run(run_file)
        check_resume_matches(run, env_id, algo, config)
        if steps is not None and steps > run["steps"]:
            run["steps"] = int(steps)  # extend a finished or interrupted run to a larger total
    else:
        if run_file.exists():
            raise ValueError(
                f"{out} already holds a run; pass --resume to continue it or choose another --out"
            )
        run = new_run(env_id, algo or "ppo", seed, config, steps, num_copies, max_cycles, hyper, eval_seeds)
        run["preference"] = dict(preference) if preference else None
    cls = learner_class(run["algo"])
    model = out / f"model{cls.suffix}"
    checkpoint = out / f"checkpoint{cls.suffix}"
    if resume and model.exists() and run["steps_done"] >= run["steps"]:
        if run["eval_seeds"] == 0 or (out / "eval.json").exists():
            if verbose:
                print(f"{out}: already finished ({run['steps_done']} agent-steps)")
            return run
        return evaluate_and_finish(run, out, verbose)  # killed during its final evaluation

    torch.set_num_threads(1)
    args = (run["env_id"], run["config"], run["seed"], run["num_copies"], run["max_cycles"])
    # Passed only when set, so a learner without preference support still trains selfishly.
    kwargs = {**({"preference": run["preference"]} if run.get("preference") else {}), **run["hyper"]}
    if resume and checkpoint.exists():
        try:
            learner = cls.load(checkpoint, *args, **kwargs)
        except ValueError:
            raise
        except Exception as error:
            raise ValueError(f"cannot resume: corrupt checkpoint {checkpoint}: {error}") from None
    else:
        learner = cls.create(*args, **kwargs)
    run["steps_done"] = learner.steps
    run["hyper_full"] = learner.hyper()
    run["chunk"] = learner.chunk
    every = max(run["steps"] // 10, 1) if checkpoint_every is None else checkpoint_every
    every = run.get("checkpoint_interval") or max(every // learner.chunk, 1) * learner.chunk
    run["checkpoint_interval"] = every
    run.setdefault("provenance", provenance())
    run.setdefault("sessions", []).append({"started": now(), "steps_at_start": learner.steps})
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
    started = time.perf_counter()
    try:
        with StopOnSignal() as stop:
            while learner.steps < run["steps"] and not stop.signal:
                target = min((learner.steps // every + 1) * every, run["steps"])
                while learner.steps < target and not stop.signal:  # chunk by chunk, so a signal waits little
                    learner.train(min(learner.chunk, target - learner.steps), bar.update, writer.add_scalar)
                _commit(learner, checkpoint, run, run_file, started)
    finally:
        bar.close()
        writer.close()
    if stop.signal:
        raise TrainingInterrupted(stop.signal, out, learner.steps)
    with atomic_path(model) as temp:
        shutil.copyfile(checkpoint, temp)
    return evaluate_and_finish(run, out, verbose)


class TrainingInterrupted(Exception):
    """Training stopped by SIGINT or SIGTERM after writing a checkpoint; ``--resume`` continues it."""

    def __init__(self, signum: int, out: Path, steps: int):
        self.signum = signum
        super().__init__(
            f"stopped by {signal.Signals(signum).name} at {steps} agent-steps with a checkpoint; "
            f"continue with: swarmgym train --resume --out {out}"
        )


class StopOnSignal:
    """Turn the first SIGINT / SIGTERM into a request (``signal`` is set); a second one aborts at once.

    Only in the main thread (signal handlers can be set nowhere else); elsewhere it does nothing.
    """

    def __init__(self) -> None:
        self.signal = 0
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signal:
            raise KeyboardInterrupt
        self.signal = signum

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


def new_run(
    env_id: str,
    algo: str,
    seed: int,
    config: dict[str, Any] | None,
    steps: int | None,
    num_copies: int | None,
    max_cycles: int | None,
    hyper: dict[str, Any] | None,
    eval_seeds: int,
) -> dict[str, Any]:
    """A fresh ``run.json`` record; the config and hyperparameters are validated before any work."""
    if algo not in ALGOS:
        raise ValueError(f"unknown algorithm {algo!r}; choose from {list(ALGOS)}")
    env_id = spec(env_id).id
    task = learning_spec(env_id)
    merged = run_config(env_id, algo, config)
    swarmgym.make_model(env_id, **merged)
    hyper = {**task.hyper.get(algo, {}), **(hyper or {})}  # recorded in full: a rerun needs no defaults
    check_hyper(algo, hyper)
    return {
        "env_id": env_id,
        "algo": algo,
        "seed": int(seed),
        "config": merged,
        "steps": int(steps if steps is not None else task.budget.get(algo, 200_000)),
        "num_copies": int(task.num_copies if num_copies is None else num_copies),
        "max_cycles": int(task.max_cycles if max_cycles is None else max_cycles),
        "hyper": hyper,
        "eval_seeds": int(eval_seeds),
        "steps_done": 0,
    }


def check_hyper(algo: str, hyper: dict[str, Any], args_cls: type | None = None) -> None:
    """Refuse unknown or ill-typed hyperparameters of ``algo`` before a learner is built.

    Names must be fields of the learner's args dataclass (``args_cls``, by default the native
    learner's), and values of the field's type (an int where the default is an int, a finite number
    where it is a float); each dataclass may check ranges in its own ``__post_init__``.
    """
    args_cls = args_cls or args_class(algo)
    fields = {f.name: f for f in dataclasses.fields(args_cls)}
    for name, value in hyper.items():
        if name not in fields:
            raise ValueError(f"unknown {algo} hyperparameter {name!r}; choose from {sorted(fields)}")
        default = fields[name].default
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ValueError(f"{algo} hyperparameter {name} must be True or False, got {value!r}")
        if isinstance(default, int) and not isinstance(default, bool):
            check_int(name, value, 1 if default > 0 else 0)
        elif isinstance(default, float):
            check_float(name, value, 0.0 if default >= 0 else -math.inf)
    try:
        args_cls(**hyper)
    except (TypeError, ValueError) as error:
        raise ValueError(f"bad {algo} hyperparameters {hyper}: {error}") from None


def check_resume_matches(
    run: dict[str, Any], env_id: str | None, algo: str | None, config: dict[str, Any] | None
) -> None:
    """``--resume`` continues only the run it names: a different env, algorithm or config is refused."""
    if env_id is not None and spec(env_id).id != run["env_id"]:
        raise ValueError(f"cannot resume: the run holds {run['env_id']}, not {spec(env_id).id}")
    if algo is not None and algo != run["algo"]:
        raise ValueError(f"cannot resume: the run trains {run['algo']}, not {algo}")
    differing = {k: v for k, v in (config or {}).items() if run["config"].get(k, object()) != v}
    if differing:
        raise ValueError(f"cannot resume: the run's config differs in {sorted(differing)} ({run['config']})")


def remove_temporary_files(out: Path) -> None:
    """Delete temporary files that a kill left behind (:func:`~swarmgym.core.io.atomic_path` names)."""
    if not out.is_dir():
        return
    for path in out.glob(".*.*"):
        if path.is_file() and any(path.name.startswith(f".{name}.") for name in TEMPORARY_OF):
            path.unlink()


TEMPORARY_OF = ("run.json", "checkpoint.zip", "checkpoint.pt", "model.zip", "model.pt", "eval.json")
"""Files the trainer writes atomically: their temporaries start with ``.NAME.``."""


def _commit(learner: Any, checkpoint: Path, run: dict[str, Any], run_file: Path, started: float) -> None:
    """Checkpoint (the commit point), then record it in run.json."""
    with atomic_path(checkpoint) as temp:
        learner.save(temp)
    run["steps_done"] = learner.steps
    close_session(run, started)
    write_json(run_file, run)


def close_session(run: dict[str, Any], started: float) -> None:
    """Record the current session's end, step count and wall time, and the run's total wall time."""
    session = run["sessions"][-1]
    session.update(ended=now(), steps_at_end=run["steps_done"])
    session["wall_seconds"] = round(time.perf_counter() - started, 3)
    run["wall_seconds"] = round(sum(s.get("wall_seconds", 0.0) for s in run["sessions"]), 3)


def evaluate_and_finish(run: dict[str, Any], out: Path, verbose: bool) -> dict[str, Any]:
    """The run's final evaluation (unless ``eval_seeds`` is 0), written to ``eval.json`` and into ``run``."""
    if run["eval_seeds"] > 0:
        evaluation = final_evaluation(run, out, verbose=verbose)
        write_json(out / "eval.json", evaluation)
        run["evaluation"] = evaluation
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
