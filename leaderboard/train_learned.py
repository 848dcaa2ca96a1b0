"""Train and evaluate the learned baselines of every benchmark task, then add them to the leaderboard.

    python leaderboard/train_learned.py                       # every task, ppo / mfq / mfac, seed 0
    python leaderboard/train_learned.py --tasks flocking/vicsek --algos ppo --workers 2

For each task that is not a scale-transfer task and each algorithm, this runs the equivalent of

    swarmgym train ENV --algo ALGO --seed 0 --config <the task's config> --max-cycles <its horizon> \
        --steps <the algorithm's default budget, capped by the task's budget class, in whole chunks> \
        --eval-seeds 0 --out runs/leaderboard/TASK__ALGO_s0

then ``swarmgym evaluate TASK --agent ALGO:RUN_DIR`` on the task and on every scale-transfer task that
transfers from it, and ``swarmgym leaderboard submit`` for each result; finally the leaderboard is
rebuilt. A finished run is not trained again (``--resume`` semantics), so the script can be rerun
after an interruption. Runs go one per process (``--workers``), one torch thread each.
"""

import argparse
import dataclasses
import math
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import swarmgym
from swarmgym.evaluation import leaderboard
from swarmgym.evaluation.results import entry_key, evaluate_task, read_result, write_result
from swarmgym.evaluation.tasks import TASKS
from swarmgym.registry import spec
from swarmgym.training import ALGOS, learning_spec, train
from swarmgym.training.learners import args_class, run_config


def training_config(task, algo: str) -> dict:
    """Overrides that make the run's config equal the task's.

    Learning-preset fields the task leaves at their defaults are reset to them (the task's
    ``agent_keys``, e.g. MF's discrete actions, stay).
    """
    model_cls = spec(task.env_id).model
    defaults = {f.name: f.default for f in dataclasses.fields(model_cls.config_cls)}
    preset = run_config(task.env_id, algo)
    reset = {k: defaults[k] for k in preset if k not in task.config and k not in task.agent_keys}
    return {**reset, **task.config}


def budget(task, algo: str) -> int:
    """The algorithm's default budget, capped by the task's class, rounded down to whole chunks."""
    learning = learning_spec(task.env_id)
    steps = min(learning.budget[algo], task.budget_steps)
    config = run_config(task.env_id, algo, training_config(task, algo))
    rows = learning.num_copies * swarmgym.make_model(task.env_id, **config).n_agents
    n_steps = learning.hyper.get(algo, {}).get("n_steps", getattr(args_class(algo)(), "n_steps", 1))
    chunk = rows * (1 if algo == "mfq" else n_steps)
    return max(1, math.floor(steps / chunk)) * chunk


def train_one(task_id: str, algo: str, root: str, seed: int) -> str:
    """Train (or finish) one run; return its folder."""
    task = TASKS[task_id]
    out = Path(root) / f"{task.slug}__{algo}_s{seed}"
    kwargs = dict(progress=False, verbose=False)
    if (out / "run.json").exists():
        train(None, None, out, resume=True, **kwargs)
    else:
        train(
            task.env_id, algo, out, steps=budget(task, algo), seed=seed, config=training_config(task, algo),
            max_cycles=task.max_cycles, eval_seeds=0, **kwargs,
        )  # fmt: skip
    return str(out)


def main() -> None:
    """Train, evaluate, submit, rebuild."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--tasks", nargs="*", default=None, help="task ids (default: every training task)")
    parser.add_argument("--algos", nargs="*", default=list(ALGOS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--root", default="runs/leaderboard")
    parser.add_argument("--dir", default="leaderboard", help="leaderboard folder")
    args = parser.parse_args()
    tasks = args.tasks or [t.id for t in TASKS.values() if t.transfer_from is None]
    jobs = [(t, a) for t in tasks for a in args.algos]
    with ProcessPoolExecutor(args.workers) as pool:
        roots, seeds = [args.root] * len(jobs), [args.seed] * len(jobs)
        runs = dict(zip(jobs, pool.map(train_one, *zip(*jobs), roots, seeds)))
    for (task_id, algo), run_dir in runs.items():
        targets = [task_id] + [t.id for t in TASKS.values() if t.transfer_from == task_id]
        for target in targets:
            result = evaluate_task(target, f"{algo}:{run_dir}", workers=args.workers)
            path = Path(args.root) / "results" / f"{entry_key(result)}.json"
            write_result(path, result)
            for existing in (Path(args.dir) / "results").glob(f"{TASKS[target].slug}__{algo}-seed*.json"):
                if read_result(existing, strict=False)["agent"]["name"] == result["agent"]["name"]:
                    existing.unlink()  # a rerun replaces the entry of the same run
            leaderboard.submit(path, args.dir, rebuild=False)
            score = result["aggregates"]["normalised_score"]
            print(f"{target:34s} {algo}:{run_dir}  normalised {score['mean']:.3f}", flush=True)
    leaderboard.build(args.dir)


if __name__ == "__main__":
    main()
