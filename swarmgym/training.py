"""``swarmgym train`` and ``swarmgym evaluate``: train PPO / MF-Q / MF-AC, resume, evaluate with CIs.

A run folder (``--out runs/NAME``) holds ``run.json`` (what was asked and how far it got), the latest
``checkpoint.zip|.pt`` (written atomically every ``--checkpoint-every`` agent-steps), the final
``model.zip|.pt``, ``tb/`` TensorBoard logs (episode returns, the env's emergence metrics, losses) and
``eval.json``. ``--resume`` reloads the checkpoint and trains on to the same total (or to a larger
``--steps``). Steps are agent-steps (each env step of B copies × N agents counts B * N). Training is
deterministic on CPU for a given seed (one torch thread, seeded torch and numpy generators,
deterministic kernels).
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swarmgym.core.config import check_int, parse_overrides, positive_int
from swarmgym.core.io import atomic_path, write_json
from swarmgym.registry import spec

ALGOS = ("ppo", "mfq", "mfac")
EVAL_SEED_BASE = 10_000
"""Evaluation seeds start here, far from the training seeds (copies of training use seed .. seed + B - 1)."""


@dataclass(frozen=True)
class LearningTask:
    """How to train on one env on this machine (2 CPU cores, minutes): the documented default budget."""

    config: dict[str, Any]
    """Config overrides for learning: a small world and view, the env's existing reward shaping."""
    max_cycles: int
    """Episode length used for training and evaluation."""
    main_metric: str
    """The emergence metric the evidence is judged on (steady state: mean over the last third)."""
    budget: dict[str, int]
    """Default agent-steps per algorithm."""
    mean_field_config: dict[str, Any] = field(default_factory=dict)
    """Extra overrides for MF-Q / MF-AC: the env's own discrete-action option where it has one."""
    num_copies: int = 8
    """B, the env copies stepped together."""
    higher_is_better: bool = True


#: THE per-env table of learning defaults (the only per-env knowledge of the trainers). Envs missing
#: here train on their defaults with the first metric they report. Where an env's action is continuous
#: and it has no discrete option (consensus_v0), MF-Q / MF-AC discretise it in
#: :class:`swarmgym_agents.mean_field.ActionTable` (5 evenly spaced levels); PPO always uses the env's own space.
#: commons_v0 trains on 100-step episodes: over 200 steps the learners, like the ``greedy`` rule, strip
#: the patches (the tragedy of the commons) and their efficiency U is no longer above random's.
LEARNING_DEFAULTS: dict[str, LearningTask] = {
    "segregation_v0": LearningTask(
        config={"size": 10},
        max_cycles=50,
        main_metric="segregation",
        budget={"ppo": 1_000_000, "mfq": 300_000, "mfac": 400_000},
    ),
    "flocking_v0": LearningTask(
        config={"n_agents": 20, "density": 2.0},
        max_cycles=100,
        main_metric="polarisation",
        budget={"ppo": 1_000_000, "mfq": 300_000, "mfac": 400_000},
        mean_field_config={"action_type": "discrete"},
    ),
    "consensus_v0": LearningTask(
        config={"size": 8, "density": 0.75, "view_size": 3},
        max_cycles=100,
        main_metric="order_parameter",
        budget={"ppo": 1_000_000, "mfq": 300_000, "mfac": 400_000},
    ),
    "commons_v0": LearningTask(
        config={"height": 10, "width": 14, "n_patches": 2, "n_agents": 4, "view_size": 5},
        max_cycles=100,
        main_metric="efficiency",
        budget={"ppo": 1_000_000, "mfq": 300_000, "mfac": 400_000},
        num_copies=16,
    ),
}


def learning_task(env_id: str) -> LearningTask:
    """The learning defaults of ``env_id`` (a generic fallback for an env not in the table)."""
    env_spec = spec(env_id)
    if env_spec.id in LEARNING_DEFAULTS:
        return LEARNING_DEFAULTS[env_spec.id]
    import swarmgym

    venv = swarmgym.make_vec(env_spec.id, num_envs=1)
    _, info = venv.reset(seed=0)
    return LearningTask(
        config={},
        max_cycles=env_spec.max_cycles,
        main_metric=next(iter(info["metrics"])),
        budget=dict.fromkeys(ALGOS, 200_000),
    )


def learner_class(algo: str):
    """The learner class of ``algo`` (imports torch / SB3 lazily)."""
    if algo == "ppo":
        from swarmgym_agents.ppo_sb3 import PPOLearner

        return PPOLearner
    if algo == "mfq":
        from swarmgym_agents.mfq import MFQLearner

        return MFQLearner
    if algo == "mfac":
        from swarmgym_agents.mfac import MFACLearner

        return MFACLearner
    raise ValueError(f"unknown algorithm {algo!r}; choose from {list(ALGOS)}")


def run_config(env_id: str, algo: str, config: dict[str, Any] | None) -> dict[str, Any]:
    """The env config a run uses: the learning defaults, the MF discrete option, then ``config``."""
    task = learning_task(env_id)
    merged = dict(task.config)
    if algo in ("mfq", "mfac"):
        merged.update(task.mean_field_config)
    merged.update(config or {})
    return merged


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
) -> dict[str, Any]:
    """Train ``algo`` on ``env_id`` into the folder ``out``; return ``run.json`` with the evaluation added.

    ``config`` overrides :data:`LEARNING_DEFAULTS` (``None`` values take the defaults). With ``resume``
    every argument comes from the folder's ``run.json`` and training continues from its checkpoint, up
    to the recorded total or to ``steps`` when that is larger (extending the run). Checkpoints come
    every ``checkpoint_every`` agent-steps (default: a tenth of ``steps``) rounded down to whole chunks
    of the learner (its rollout or update, at least one); ``run.json`` records the interval used as
    ``checkpoint_interval``.
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
        run = _read_run(run_file)
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
        task = learning_task(env_id)
        merged = run_config(env_id, algo, config)
        import swarmgym

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
            "steps_done": 0,
        }
    cls = learner_class(run["algo"])
    torch.set_num_threads(1)
    args = (run["env_id"], run["config"], run["seed"], run["num_copies"], run["max_cycles"])
    checkpoint = out / f"checkpoint{cls.suffix}"
    if resume and run["steps_done"] > 0:
        if not checkpoint.exists():
            raise ValueError(f"cannot resume: {checkpoint} is missing")
        try:
            learner = cls.load(checkpoint, *args, **run["hyper"])
        except ValueError:
            raise
        except Exception as error:
            raise ValueError(f"cannot resume: corrupt checkpoint {checkpoint}: {error}") from None
    else:
        learner = cls.create(*args, **run["hyper"])
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
    from swarmgym.evaluation.evaluate import evaluate

    seeds = list(range(EVAL_SEED_BASE, EVAL_SEED_BASE + run["eval_seeds"]))
    results = {}
    for agent in (f"{run['algo']}:{out}", "random"):
        results[agent] = evaluate(agent, run["env_id"], seeds, run["config"], max_cycles=run["max_cycles"])
    if verbose:
        print_comparison(results, learning_task(run["env_id"]).main_metric)
    return results


def print_comparison(results: dict[str, dict[str, Any]], main_metric: str | None = None) -> None:
    """A table: one row per metric (steady state, mean [95 % CI]), one column per agent."""
    from swarmgym.metrics.stats import format_ci

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


def _read_run(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ValueError(f"cannot resume: {path} not found (no run was started in {path.parent})")
    try:
        run = json.loads(path.read_text())
        for key in ("env_id", "algo", "seed", "config", "steps", "num_copies", "max_cycles", "steps_done"):
            run[key]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"cannot resume: {path} is corrupt ({error})") from None
    return run


# -- command line ----------------------------------------------------------------------------------
def agent_config(
    agent: str, env_id: str, items: Sequence[str], preset: str | None
) -> tuple[dict[str, Any], int | None]:
    """The env config (and episode length) to run ``agent`` on.

    The overrides given (preset, then key=value items), or else, for a learned agent ``algo:RUN_DIR``,
    the config and ``max_cycles`` it was trained with.
    """
    config = _overrides(items, preset, env_id)
    run_file = Path(agent.partition(":")[2]) / "run.json"
    if ":" in agent and not config and run_file.is_file():
        run = _read_run(run_file)
        return run["config"], run["max_cycles"]
    return config, None


def _overrides(items: Sequence[str], preset: str | None, env_id: str) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if preset:
        presets = spec(env_id).presets
        if preset not in presets:
            raise ValueError(f"unknown preset {preset!r} for {env_id}; choose from {sorted(presets)}")
        config.update(presets[preset])
    config.update(parse_overrides(items))
    return config


def _clip(label: str, width: int) -> str:
    """``label`` shortened to ``width`` characters from the middle, keeping its ``algo:`` head and tail."""
    return label if len(label) <= width else label[: width // 3] + "…" + label[-(width - width // 3 - 1) :]


def cmd_train(args: argparse.Namespace) -> int:
    """``swarmgym train``."""
    if args.resume:
        train(args.env_id, args.algo, args.out, steps=args.steps, resume=True, progress=not args.no_progress)
        return 0
    train(
        args.env_id,
        args.algo,
        args.out,
        steps=args.steps,
        seed=args.seed,
        config=_overrides(args.config, args.preset, args.env_id),
        checkpoint_every=args.checkpoint_every,
        num_copies=args.copies,
        max_cycles=args.max_cycles,
        hyper=parse_overrides(args.hyper),
        eval_seeds=args.eval_seeds,
        progress=not args.no_progress,
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``swarmgym evaluate``: one agent (and optionally the random agent) over seeds, with 95 % CIs."""
    from swarmgym.evaluation.evaluate import evaluate

    env_id = spec(args.env_id).id
    config, run_cycles = agent_config(args.agent, env_id, args.config, args.preset)
    args.max_cycles = args.max_cycles or run_cycles
    seeds = args.seeds or list(range(EVAL_SEED_BASE, EVAL_SEED_BASE + 5))
    results = {
        args.agent: evaluate(
            args.agent, env_id, seeds, config, episodes=args.episodes, max_cycles=args.max_cycles
        )
    }
    if args.compare_random and args.agent != "random":
        results["random"] = evaluate(
            "random", env_id, seeds, config, episodes=args.episodes, max_cycles=args.max_cycles
        )
    task = LEARNING_DEFAULTS.get(env_id)
    print_comparison(results, task.main_metric if task else None)
    if args.json:
        write_json(args.json, results)
    return 0


def add_parsers(subparsers: Any) -> None:
    """Add the ``train`` and ``evaluate`` subcommands to an argparse subparsers object."""
    from swarmgym.registry import ENVS

    train_parser = subparsers.add_parser(
        "train", help="train PPO / MF-Q / MF-AC; checkpoints, TensorBoard, eval"
    )
    train_parser.add_argument("env_id", help=f"one of {sorted(ENVS)}")
    train_parser.add_argument("--algo", default="ppo", help=f"one of {list(ALGOS)} (default ppo)")
    train_parser.add_argument(
        "--steps", type=positive_int, default=None, help="agent-steps (default: the env's budget)"
    )
    train_parser.add_argument("--seed", type=int, default=0)
    train_parser.add_argument(
        "--config",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="env config overrides on top of the learning defaults",
    )
    train_parser.add_argument("--preset", default=None, help="a named config preset of the env")
    train_parser.add_argument(
        "--hyper", nargs="*", default=[], metavar="KEY=VALUE", help="algorithm hyperparameters"
    )
    train_parser.add_argument("--out", required=True, help="run folder, e.g. runs/NAME")
    train_parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its checkpoint"
    )
    train_parser.add_argument(
        "--checkpoint-every",
        type=positive_int,
        default=None,
        help="agent-steps between checkpoints (rounded down to whole learner rollouts, at least one; "
        "run.json records the interval used)",
    )
    train_parser.add_argument(
        "--copies", type=positive_int, default=None, help="env copies B stepped together"
    )
    train_parser.add_argument("--max-cycles", type=positive_int, default=None, help="episode length")
    train_parser.add_argument(
        "--eval-seeds", type=int, default=5, help="seeds of the final evaluation (0: skip)"
    )
    train_parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    train_parser.set_defaults(func=cmd_train)

    evaluate_parser = subparsers.add_parser("evaluate", help="evaluate an agent over seeds with 95%% CIs")
    evaluate_parser.add_argument("env_id", help=f"one of {sorted(ENVS)}")
    evaluate_parser.add_argument(
        "--agent", default="random", help="random, a rule-based agent, or ppo|mfq|mfac:PATH"
    )
    evaluate_parser.add_argument("--seeds", type=int, nargs="*", default=None, help="default 10000..10004")
    evaluate_parser.add_argument("--episodes", type=positive_int, default=1, help="episodes per seed")
    evaluate_parser.add_argument("--max-cycles", type=positive_int, default=None)
    evaluate_parser.add_argument(
        "--config", nargs="*", default=[], metavar="KEY=VALUE", help="config overrides"
    )
    evaluate_parser.add_argument("--preset", default=None, help="a named config preset of the env")
    evaluate_parser.add_argument(
        "--compare-random", action="store_true", help="also evaluate the random agent"
    )
    evaluate_parser.add_argument("--json", default=None, help="write the results to this JSON file")
    evaluate_parser.set_defaults(func=cmd_evaluate)
