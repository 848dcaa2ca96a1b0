"""Command-line front of the mixed-population tools: ``schelling-diagram`` and ``scenario``.

``swarmgym scenario NAME --focal AGENT`` plays a named scenario; ``swarmgym scenario --env ENV
--members NAME=COUNT ...`` any population (one member for a homogeneous one). Copy b of seed s is
seeded s·copies + b, so ``--seeds 1000 --copies 10`` plays the held-out seeds 10000..10009 at once.

:func:`add_parsers` adds both sub-commands to the ``swarmgym`` parser (``swarmgym.cli`` calls it); each
sets ``func`` to its handler, which returns the exit code.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from swarmgym.core.config import parse_overrides, positive_int
from swarmgym.core.io import write_json


def cmd_schelling_diagram(args: argparse.Namespace) -> int:
    """``swarmgym schelling-diagram``: measure, print the table, write the JSON and the PNG."""
    from swarmgym.evaluation import schelling_diagram as diagram
    from swarmgym.registry import spec

    config = {**spec(args.env_id).preset(args.preset), **parse_overrides(args.config)}
    result = diagram.schelling_diagram(
        args.env_id,
        args.cooperator,
        args.defector,
        seeds=args.seeds,
        copies=args.copies,
        config=config,
        max_cycles=args.max_cycles,
    )
    print(diagram.format_table(result))
    checks = result["dilemma"]
    ratio = checks["all_cooperate_over_all_defect"]
    print(
        f"all-cooperate / all-defect return: {ratio:.2f}; defecting pays at {checks['defector_ahead_at']} "
        f"of {result['n_agents']} numbers of other cooperators; a defector out-earns a cooperator of the "
        f"same population at {checks['defector_ahead_same_c']} of {result['n_agents'] - 1} mixed c; "
        f"greed {checks['greed']}, fear {checks['fear']}; {result['wall_s']} s"
        if ratio is not None
        else f"all-defect return is {checks['all_defect_return']}; {result['wall_s']} s"
    )
    json_path, png_path = diagram.write(result, args.out)
    print(f"wrote {json_path} and {png_path}")
    return 0


def cmd_scenario(args: argparse.Namespace) -> int:
    """``swarmgym scenario``: list the named scenarios, evaluate a focal agent in one, or any population."""
    from swarmgym.evaluation.scenarios import SCENARIOS, run_scenario

    if args.members:
        return _custom_population(args)
    if args.list or not args.name:
        for name, chosen in SCENARIOS.items():
            background = " + ".join(f"{count} {agent}" for agent, count in chosen.background)
            where = chosen.preset or "defaults"
            print(f"{name:34s} {chosen.focal} focal + {background} ({where}): {chosen.description}")
        return 0
    if not args.focal:
        raise SystemExit("scenario: --focal AGENT is required to evaluate a scenario")
    result = run_scenario(args.name, args.focal, args.seeds, copies=args.copies, window=args.window)
    print(f"{args.name}: {args.focal} as focal, {_how(args, result)}")
    _print_summary(result, args.json)
    return 0


def _custom_population(args: argparse.Namespace) -> int:
    """``swarmgym scenario --env ENV --members NAME=COUNT ...``: any population, e.g. a homogeneous one."""
    from swarmgym.evaluation.scenarios import run_population
    from swarmgym.registry import spec

    if not args.env:
        raise SystemExit("scenario: --members needs --env ENV_ID")
    members = []
    for item in args.members:
        name, sep, count = item.rpartition("=")
        if not sep or not count.isdigit():
            raise SystemExit(f"scenario: --members takes NAME=COUNT items, got {item!r}")
        members.append((name, int(count)))
    config = {**spec(args.env).preset(args.preset), **parse_overrides(args.config)}
    config.setdefault("n_agents", sum(count for _, count in members))
    result = run_population(
        args.env,
        members,
        args.seeds,
        copies=args.copies,
        config=config,
        max_cycles=args.max_cycles,
        window=args.window,
    )
    print(f"{' + '.join(args.members)} on {args.env}, {_how(args, result)}")
    _print_summary(result, args.json)
    return 0


def _how(args: argparse.Namespace, result: dict) -> str:
    return (
        f"{len(args.seeds)} seeds x {args.copies} copies, {result['max_cycles']} steps ({result['wall_s']} s)"
    )


SUMMARY_KEYS = (
    "return/0",
    "return/1",
    "return/all",
    "efficiency",
    "equality",
    "sustainability",
    "peace",
    "collapsed",
    "stock",
    "beams_per_step",
    "hits_per_step",
    "targeted_fraction",
)
LABELS = {"return/0": "member 0 (focal) return", "return/1": "member 1 return", "return/all": "group return"}


def _print_summary(result: dict, json_path: Path | None) -> None:
    """Print the headline numbers (mean [95 % CI] per agent or per group) and write the result if asked."""
    summary = result["summary"]
    for key in SUMMARY_KEYS:
        if key not in summary:
            continue
        cell = summary[key]
        text = "—" if cell is None else f"{cell['mean']:.3f} [{cell['low']:.3f}, {cell['high']:.3f}]"
        print(f"  {LABELS.get(key, key):28s} {text}")
    if json_path:
        write_json(json_path, result)


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Add ``schelling-diagram`` and ``scenario`` to the ``swarmgym`` sub-command parsers."""
    diagram = subparsers.add_parser(
        "schelling-diagram",
        help="returns of cooperators and defectors for c = 0..N cooperators (is the game a dilemma?)",
    )
    diagram.add_argument("env_id")
    diagram.add_argument("--cooperator", required=True, help="any agent name, e.g. restrained or ppo:RUN_DIR")
    diagram.add_argument("--defector", required=True, help="any agent name, e.g. greedy")
    diagram.add_argument("--copies", type=positive_int, default=4, help="env copies per seed")
    diagram.add_argument("--seeds", type=int, nargs="+", default=[0], help="copy b of seed s is seeded s*B+b")
    diagram.add_argument("--max-cycles", type=positive_int, default=None, help="episode length")
    diagram.add_argument("--config", nargs="*", default=[], metavar="KEY=VALUE", help="config overrides")
    diagram.add_argument("--preset", default=None, help="a named config preset of the env")
    diagram.add_argument("--out", type=Path, default=Path("runs/schelling"), help="folder for JSON and PNG")
    diagram.set_defaults(func=cmd_schelling_diagram)

    scen = subparsers.add_parser("scenario", help="a focal agent among rule-based background agents")
    scen.add_argument("name", nargs="?", help="a named scenario (--list shows them)")
    scen.add_argument("--focal", help="the focal agent, e.g. ppo:runs/commons_ppo")
    scen.add_argument("--seeds", type=int, nargs="+", default=list(range(10_000, 10_010)))
    scen.add_argument("--copies", type=positive_int, default=1, help="env copies per seed")
    scen.add_argument("--window", type=positive_int, default=100, help="steps of the harvest compared")
    scen.add_argument("--json", type=Path, default=None, help="write the result here")
    scen.add_argument("--list", action="store_true", help="list the named scenarios")
    scen.add_argument("--env", help="with --members: the env to play")
    scen.add_argument("--members", nargs="*", metavar="NAME=COUNT", help="a custom population instead")
    scen.add_argument("--max-cycles", type=positive_int, default=None, help="with --members: episode length")
    scen.add_argument("--config", nargs="*", default=[], metavar="KEY=VALUE", help="with --members")
    scen.add_argument("--preset", default=None, help="with --members: a named config preset of the env")
    scen.set_defaults(func=cmd_scenario)
