"""The ``swarmgym`` command: list, demo, render, train; tasks, evaluate, leaderboard, plot; populations.

This module sits above everything else: it parses arguments and calls the env registry, the agents,
the trainer and the evaluation; nothing imports it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

import swarmgym
from swarmgym.core.config import parse_overrides, positive_int
from swarmgym.core.io import check_writable
from swarmgym.evaluation import commands as evaluation_commands
from swarmgym.evaluation import population_commands
from swarmgym.registry import ENVS, spec
from swarmgym.training import (
    ALGOS,
    TrainingInterrupted,
    agent_config,
    config_overrides,
    read_run,
    train,
)
from swarmgym_agents import load_policy, policy_names, rollout_parallel
from swarmgym_agents.preferences import Preference
from swarmgym_agents.registry import reference_agent


def _env_and_policy(env_id: str, agent: str, seed: int, config: dict, render_mode: str | None, steps: int):
    env = swarmgym.make(env_id, render_mode=render_mode, max_cycles=steps, **config)
    return env, load_policy(agent, env_id, env.model, seed=seed)


def record_episode(env_id: str, agent: str, steps: int, seed: int, config: dict, every: int = 1):
    """Run one episode with ``agent`` and return (frames, metrics per step); a progress bar tracks it."""
    env, policy = _env_and_policy(env_id, agent, seed, config, "rgb_array", steps)
    frames = []
    bar = tqdm(total=steps, desc=f"{env_id} [{agent}]", unit="step", leave=False)

    def on_step(_metrics: dict[str, float]) -> None:
        bar.update(1)
        if bar.n % every == 0:
            frames.append(env.render())

    env.reset(seed=seed)
    frames.append(env.render())
    history = rollout_parallel(env, policy, seed=seed, on_step=on_step)
    bar.close()
    env.close()
    return frames, history


def cmd_list(args: argparse.Namespace) -> int:
    """Print every registered env with its default size, spaces and agents."""
    for env_id, env_spec in ENVS.items():
        model = swarmgym.make_model(env_id)
        print(f"{env_id:16s} {env_spec.summary}")
        print(
            f"{'':16s} N={model.n_agents}  obs={model.observation_space.shape} "
            f"{model.observation_space.dtype}"
            f"  action={model.action_space}  max_cycles={env_spec.max_cycles}"
        )
        print(f"{'':16s} channels={', '.join(model.channels)}")
        print(f"{'':16s} agents: {', '.join(policy_names(env_id))}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run every env with its reference agent, print its metrics, save one GIF per env."""
    from swarmgym.core.rendering import save_frames

    out = Path(args.out)
    for env_id in args.envs or list(ENVS):
        agent = reference_agent(env_id)
        started = time.perf_counter()
        frames, history = record_episode(env_id, agent, args.steps, args.seed, {}, every=args.frame_every)
        path = save_frames(frames, out / f"{env_id}.gif", fps=spec(env_id).model.render_fps)
        elapsed = time.perf_counter() - started
        print(
            f"\n{env_id}: {args.steps} steps with the '{agent}' agent ({elapsed:.1f} s), "
            f"episode saved to {path}"
        )
        for name in history[0]:
            print(f"  {name:28s} start {history[0][name]:10.4f}   end {history[-1][name]:10.4f}")
    return 0


def overlay_metric(frames: list, history: list[dict[str, float]], metric: str, every: int) -> list:
    """``frames`` of :func:`record_episode` with ``metric``'s time series drawn under each, up to its step."""
    from swarmgym.evaluation.overlay import overlay_series

    if metric not in history[0]:
        raise ValueError(f"--overlay: unknown metric {metric!r}; choose from {', '.join(sorted(history[0]))}")
    series = [step[metric] for step in history[1:]]  # history[0] is the start state
    if not series:
        return frames
    return overlay_series(frames, series, label=metric, frame_steps=[i * every for i in range(len(frames))])


def cmd_render(args: argparse.Namespace) -> int:
    """Save one episode of ``ENV_ID`` with ``--agent`` as a GIF or MP4, with ``--overlay`` a metric strip."""
    from swarmgym.core.rendering import check_video_path, save_frames

    check_writable(check_video_path(args.out))
    config, _ = agent_config(args.agent, args.env_id, args.config, args.preset)
    frames, history = record_episode(
        args.env_id, args.agent, args.steps, args.seed, config, every=args.frame_every
    )
    if args.overlay is not None:
        metric = args.overlay or spec(args.env_id).learning.main_metric
        frames = overlay_metric(frames, history, metric, args.frame_every)
    path = save_frames(frames, args.out, fps=args.fps or spec(args.env_id).model.render_fps)
    print(f"saved {len(frames)} frames to {path}")
    print("final metrics: " + ", ".join(f"{k}={v:.4f}" for k, v in history[-1].items()))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """``swarmgym train``."""
    check_writable(args.out, folder=True)
    if args.env_id is None and (not args.resume or args.config or args.preset):
        raise ValueError("name the env (one of " + ", ".join(sorted(ENVS)) + ")")
    hyper = parse_overrides(args.hyper)
    if args.policy is not None:
        hyper["policy"] = args.policy
    run_file = Path(args.out) / "run.json"
    if args.resume and run_file.is_file() and read_run(run_file)["algo"] == "rllib":
        args.backend = "rllib"  # --resume continues the run with the backend that started it
    if args.backend == "rllib":
        return _train_rllib(args, hyper)
    if args.address is not None or args.num_env_runners is not None:
        raise ValueError("--address and --num-env-runners need --backend rllib")
    if args.resume:
        train(
            args.env_id,
            args.algo,
            args.out,
            steps=args.steps,
            resume=True,
            config=config_overrides(args.config, args.preset, args.env_id) if args.env_id else None,
            progress=not args.no_progress,
        )
        return 0
    train(
        args.env_id, args.algo, args.out, num_copies=args.copies, progress=not args.no_progress,
        **_new_run(args, hyper),
    )  # fmt: skip
    return 0


def _new_run(args: argparse.Namespace, hyper: dict) -> dict:
    """What a fresh run takes from the command line, whichever backend trains it."""
    return {
        "steps": args.steps,
        "seed": args.seed,
        "config": config_overrides(args.config, args.preset, args.env_id),
        "max_cycles": args.max_cycles,
        "checkpoint_every": args.checkpoint_every,
        "hyper": hyper,
        "eval_seeds": args.eval_seeds,
        "preference": Preference.parse(args.preference).record(),
    }


def _train_rllib(args: argparse.Namespace, hyper: dict) -> int:
    """``swarmgym train --backend rllib``: RLlib PPO on a local Ray or a cluster (``--address``)."""
    if args.algo not in (None, "ppo"):
        raise ValueError(f"--backend rllib trains PPO, not {args.algo}")
    if args.copies is not None:
        raise ValueError("--backend rllib sets copies per env runner: --hyper copies_per_runner=B")
    try:
        from swarmgym.training.rllib import train_rllib
    except ImportError as error:
        raise ValueError(f"--backend rllib needs Ray: pip install 'swarmgym[rllib]' ({error})") from None
    runners = 2 if args.num_env_runners is None else args.num_env_runners
    if args.resume:
        train_rllib(args.env_id, args.out, steps=args.steps, resume=True, num_env_runners=runners,
                    address=args.address)
        return 0
    train_rllib(args.env_id, args.out, num_env_runners=runners, address=args.address, **_new_run(args, hyper))
    return 0


def _add_train_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train PPO / MF-Q / MF-AC; checkpoints, TensorBoard, eval")
    parser.add_argument("env_id", nargs="?", help=f"one of {sorted(ENVS)} (optional with --resume)")
    parser.add_argument(
        "--algo", default=None, choices=ALGOS, help="the learner (default ppo; on --resume, the run's)"
    )
    parser.add_argument(
        "--steps", type=positive_int, default=None, help="agent-steps (default: the env's budget)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--config",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="env config overrides on the learning preset",
    )
    parser.add_argument("--preset", default=None, help="a named config preset of the env")
    parser.add_argument(
        "--hyper", nargs="*", default=[], metavar="KEY=VALUE", help="algorithm hyperparameters"
    )
    parser.add_argument(
        "--preference",
        default=None,
        help="social preference trained on (rewards and metrics stay selfish): prosocial:alpha=1, "
        "inequity:alpha=5,beta=0.05[,decay=0.99]; default selfish",
    )
    parser.add_argument("--out", required=True, help="run folder, e.g. runs/NAME")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    parser.add_argument(
        "--checkpoint-every",
        type=positive_int,
        default=None,
        help="agent-steps between checkpoints (rounded down to whole learner rollouts, at least one; "
        "run.json records the interval used)",
    )
    parser.add_argument("--copies", type=positive_int, default=None, help="env copies B stepped together")
    parser.add_argument("--max-cycles", type=positive_int, default=None, help="episode length")
    parser.add_argument("--eval-seeds", type=int, default=5, help="seeds of the final evaluation (0: skip)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--policy",
        default=None,
        choices=("auto", "mlp", "cnn"),
        help="PPO network reading the k×k window: mlp, cnn (3×3 convolutions) or auto (the env's default)",
    )
    parser.add_argument(
        "--backend",
        default="native",
        choices=("native", "rllib"),
        help="native (SB3 PPO / MF-Q / MF-AC in this process) or rllib (PPO on Ray: pip install "
        "'swarmgym[rllib]'); --resume uses the run's",
    )
    parser.add_argument(
        "--address", default=None, help="rllib: Ray cluster to join (auto, ray://HEAD:10001); default: local"
    )
    parser.add_argument(
        "--num-env-runners",
        type=int,
        default=None,
        help="rllib: sampling worker processes (default 2; 0 samples in the driver)",
    )
    parser.set_defaults(func=cmd_train)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="swarmgym", description="Multi-agent RL environments of collective behaviour."
    )
    parser.add_argument("--version", action="version", version=f"swarmgym {swarmgym.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    listing = sub.add_parser("list", help="list the registered environments")
    listing.set_defaults(func=cmd_list)

    demo = sub.add_parser("demo", help="run every env with its rule-based agent; print metrics; save GIFs")
    demo.add_argument("--steps", type=positive_int, default=150, help="steps per env (default 150)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--out", default="runs/demo", help="folder for the GIFs (default runs/demo)")
    demo.add_argument("--envs", nargs="*", choices=sorted(ENVS), help="only these envs")
    demo.add_argument(
        "--frame-every", type=positive_int, default=2, help="keep one frame in this many (default 2)"
    )
    demo.set_defaults(func=cmd_demo)

    render = sub.add_parser("render", help="save an episode as GIF/MP4")
    render.add_argument("env_id", choices=sorted(ENVS))
    render.add_argument("--agent", default="random", help="random, a rule-based agent, or algo:PATH")
    render.add_argument("--steps", type=positive_int, default=200)
    render.add_argument("--seed", type=int, default=0)
    render.add_argument("--out", default="episode.gif", help="output path ending in .gif or .mp4")
    render.add_argument("--fps", type=positive_int, default=None)
    render.add_argument("--frame-every", type=positive_int, default=1)
    render.add_argument("--config", nargs="*", default=[], metavar="KEY=VALUE", help="config overrides")
    render.add_argument("--preset", help="a named config preset of the env (see its folder's SPEC)")
    render.add_argument(
        "--overlay",
        nargs="?",
        const="",
        metavar="METRIC",
        help="draw a metric's time series under the episode (default: the env's main emergence metric)",
    )
    render.set_defaults(func=cmd_render)

    _add_train_parser(sub)
    evaluation_commands.add_parsers(sub)
    population_commands.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``swarmgym`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except TrainingInterrupted as stopped:
        print(f"swarmgym {args.command}: {stopped}", file=sys.stderr)
        return 128 + stopped.signum
    except KeyboardInterrupt:
        print(f"swarmgym {args.command}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError) as error:  # expected failures: one line, no traceback
        print(f"swarmgym {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    sys.exit(main())
