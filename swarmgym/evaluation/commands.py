"""The evaluation subcommands: ``tasks``, ``evaluate``, ``leaderboard build|submit|export``, ``plot``.

:func:`add_parsers` adds them to an argparse subparsers object (``swarmgym/cli.py`` wires it in).
``swarmgym evaluate`` takes a task id (``flocking/vicsek``: the benchmark protocol, a result file) or,
as before tasks existed, a bare env id with ``--config``/``--preset``/``--seeds`` (a quick comparison
table with 95 % CIs, no leaderboard result).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from swarmgym.core.config import positive_int
from swarmgym.evaluation.tasks import SEED_BASE


# -- tasks -----------------------------------------------------------------------------------------
def cmd_tasks(args: argparse.Namespace) -> int:
    """List the benchmark tasks, or re-measure their normalisers."""
    from swarmgym.evaluation.tasks import BENCHMARK_VERSION, TASKS, get_task, n_agents, task_hash

    if args.measure_normalisers is not None:
        from swarmgym.evaluation.normalisers import regenerate

        ids = [get_task(t).id for t in args.measure_normalisers] or list(TASKS)
        stored = regenerate(ids, workers=args.workers, progress=not args.no_progress)
        for task_id in ids:
            entry = stored[task_id]
            print(
                f"{task_id:34s} random {entry['random']:.4f}   "
                f"{entry['reference_agent']} {entry['reference']:.4f}"
            )
        return 0
    print(f"swarmgym benchmark {BENCHMARK_VERSION}: {len(TASKS)} tasks")
    header = f"{'task':34s}{'env':16s}{'N':>6s}{'horizon':>9s}  {'main score':26s}{'reference':20s}"
    header += f"{'budget':18s}hash"
    print(header)
    for task in TASKS.values():
        score = f"{task.main_score} ({task.reduction})"
        print(
            f"{task.id:34s}{task.env_id:16s}{n_agents(task):6d}{task.max_cycles:9d}  {score:26s}"
            f"{task.reference:20s}{task.budget:18s}{task_hash(task)}"
            + (f"  <- {task.transfer_from}" if task.transfer_from else "")
        )
    return 0


# -- evaluate --------------------------------------------------------------------------------------
def print_result(result: dict[str, Any]) -> None:
    """A short table of one task result."""
    from swarmgym.evaluation.results import entry_label
    from swarmgym.metrics.stats import format_ci

    agg = result["aggregates"]
    task = result["task"]
    n = len(result["episodes"])
    print(f"\n{task['id']} ({task['env_id']}, {n} seeds)  agent {entry_label(result['agent'])}")
    norm = agg["normalised_score"]
    print(
        f"  {'normalised score':26s}{format_ci(norm)}   "
        f"IQM {norm['iqm']:.3f} [{norm['iqm_low']:.3f}, {norm['iqm_high']:.3f}]"
    )
    print(f"  {task['main_score'] + ' (' + task['reduction'] + ')':26s}{format_ci(agg['score'])}")
    emergence = agg["time_to_emergence"]
    if emergence is not None:
        median = "never" if emergence["median"] is None else f"median step {emergence['median']:g}"
        print(
            f"  {'time to emergence':26s}{median}, "
            f"reached {emergence['reached']}/{n} (>= {emergence['threshold']:g})"
        )
    for name, summary in agg["extra"].items():
        print(f"  {name:26s}{format_ci(summary)}")
    print(f"  {'return':26s}{format_ci(agg['return'])}")


def _legacy_evaluate(args: argparse.Namespace) -> int:
    from swarmgym.core.io import check_writable, write_json
    from swarmgym.evaluation.evaluate import evaluate, print_comparison
    from swarmgym.registry import spec
    from swarmgym.training.runs import agent_config

    if args.json:
        check_writable(args.json)
    env_id = spec(args.target).id
    config, run_cycles = agent_config(args.agent, env_id, args.config, args.preset)
    max_cycles = args.max_cycles or run_cycles
    seeds = args.seeds or list(range(SEED_BASE, SEED_BASE + 5))
    agents = [args.agent] + (["random"] if args.compare_random and args.agent != "random" else [])
    results = {
        a: evaluate(a, env_id, seeds, config, episodes=args.episodes, max_cycles=max_cycles) for a in agents
    }
    print_comparison(results, spec(env_id).learning.main_metric)
    if args.json:
        write_json(args.json, results)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``swarmgym evaluate TASK --agent NAME``: the benchmark protocol; or the older ``ENV_ID`` form."""
    from swarmgym.evaluation.results import entry_key, evaluate_task, write_result
    from swarmgym.evaluation.tasks import TASKS

    if args.target not in TASKS:
        if "/" in args.target:
            raise ValueError(f"unknown task {args.target!r}; `swarmgym tasks` lists them: {sorted(TASKS)}")
        return _legacy_evaluate(args)
    fixed = [
        f"--{name.replace('_', '-')}"
        for name in ("seeds", "max_cycles", "preset", "json")
        if getattr(args, name) not in (None, [])
    ]
    fixed += ["--config"] if args.config else []
    fixed += ["--episodes"] if args.episodes != 1 else []
    fixed += ["--compare-random"] if args.compare_random else []
    if fixed:
        raise ValueError(
            f"{' '.join(fixed)}: a task fixes its config, seeds and horizon; use --out for the result file "
            "(or pass an env id instead of a task for a free-form evaluation)"
        )
    result = evaluate_task(args.target, args.agent, workers=args.workers, progress=not args.no_progress)
    out = Path(args.out) if args.out else Path("runs") / "eval" / f"{entry_key(result)}.json"
    write_result(out, result)
    print_result(result)
    print(f"\nresult written to {out}; add it with `swarmgym leaderboard submit {out}`")
    return 0


# -- leaderboard and plots -------------------------------------------------------------------------
def cmd_leaderboard(args: argparse.Namespace) -> int:
    """``swarmgym leaderboard build|submit|export``."""
    from swarmgym.evaluation import leaderboard

    if args.action == "build":
        written = leaderboard.build(args.dir, plots=not args.no_plots)
        print("wrote " + ", ".join(str(p) for p in written.values()))
    elif args.action == "submit":
        for path in args.results:
            target = leaderboard.submit(path, args.dir, rebuild=False)
            print(f"added {target}")
        if not args.no_build:
            leaderboard.build(args.dir)
            print(f"rebuilt {Path(args.dir) / 'README.md'} and index.html")
    else:
        from swarmgym.core.io import write_json
        from swarmgym.evaluation.results import to_marl_eval

        write_json(args.out, to_marl_eval(leaderboard.load_results(Path(args.dir) / "results")))
        print(f"wrote {args.out} (marl-eval raw results)")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    """``swarmgym plot RESULT.json ...``: the main metric over time as a PNG."""
    from swarmgym.evaluation.plots import plot_results
    from swarmgym.evaluation.results import read_result

    results = [read_result(path, strict=False) for path in args.results]
    out = args.out or str(Path(args.results[0]).with_suffix(".png"))
    print(f"wrote {plot_results(results, out)}")
    return 0


def add_parsers(subparsers: Any) -> None:
    """Add ``tasks``, ``evaluate``, ``leaderboard`` and ``plot`` to an argparse subparsers object."""
    tasks = subparsers.add_parser("tasks", help="list the benchmark tasks (or re-measure their normalisers)")
    tasks.add_argument(
        "--measure-normalisers",
        nargs="*",
        metavar="TASK",
        default=None,
        help="re-measure the random and reference agents on these tasks (none given: all) and store them",
    )
    tasks.add_argument("--workers", type=positive_int, default=1, help="processes (default 1)")
    tasks.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    tasks.set_defaults(func=cmd_tasks)

    evaluate = subparsers.add_parser(
        "evaluate", help="evaluate an agent on a benchmark task (or on an env id over seeds)"
    )
    evaluate.add_argument("target", metavar="TASK", help="a task id (`swarmgym tasks`), or an env id")
    evaluate.add_argument(
        "--agent", default="random", help="random, a rule-based agent, or ppo|mfq|mfac|rllib:RUN_DIR"
    )
    evaluate.add_argument("--workers", type=positive_int, default=1, help="processes over seed groups")
    evaluate.add_argument("--out", default=None, help="result file (default runs/eval/ENTRY.json)")
    evaluate.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    legacy = evaluate.add_argument_group("with an env id instead of a task")
    legacy.add_argument("--seeds", type=int, nargs="*", default=None, help="default 10000..10004")
    legacy.add_argument("--episodes", type=positive_int, default=1, help="episodes per seed")
    legacy.add_argument("--max-cycles", type=positive_int, default=None)
    legacy.add_argument("--config", nargs="*", default=[], metavar="KEY=VALUE", help="config overrides")
    legacy.add_argument("--preset", default=None, help="a named config preset of the env")
    legacy.add_argument("--compare-random", action="store_true", help="also evaluate the random agent")
    legacy.add_argument("--json", default=None, help="write the results to this JSON file")
    evaluate.set_defaults(func=cmd_evaluate)

    board = subparsers.add_parser("leaderboard", help="build the leaderboard, submit a result, export")
    actions = board.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="write README.md, plots and index.html from the results")
    build.add_argument("--no-plots", action="store_true", help="README only")
    submit = actions.add_parser("submit", help="validate result files and add them")
    submit.add_argument("results", nargs="+", metavar="RESULT.json")
    submit.add_argument("--no-build", action="store_true", help="do not rebuild afterwards")
    export = actions.add_parser("export", help="write every result in marl-eval's raw-results layout")
    export.add_argument("--out", required=True, help="JSON file to write")
    for parser in (build, submit, export):
        parser.add_argument("--dir", default="leaderboard", help="leaderboard folder (default leaderboard)")
    board.set_defaults(func=cmd_leaderboard)

    plot = subparsers.add_parser("plot", help="draw a result's main metric over time as PNG")
    plot.add_argument("results", nargs="+", metavar="RESULT.json", help="results of one task")
    plot.add_argument("--out", default=None, help="PNG path (default: the first result's path, .png)")
    plot.set_defaults(func=cmd_plot)
