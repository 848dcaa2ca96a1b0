"""RLlib (Ray 2.60, new API stack): parameter-shared PPO on swarmgym, on a local Ray or a cluster.

``swarmgym train ENV --backend rllib`` calls :func:`train_rllib`. It trains one shared
:class:`~swarmgym_agents.integrations.rllib.WindowPPOModule` for all agents, fed by the batched array
env (:class:`~swarmgym.integrations.rllib.SwarmAgentVectorEnv`, every agent of B copies one sub-env) in
``num_env_runners`` Ray worker processes, into the same run folder as the native trainers:
``run.json``, TensorBoard tags ``charts/episode_return`` and ``metrics/<name>``, ``eval.json``. RLlib's
own checkpoint lives in ``checkpoint/`` (resume), and the policy is exported beside it to
``checkpoint.pt`` / ``model.pt`` (:mod:`swarmgym_agents.integrations.window_net`), so ``rllib:RUN_DIR``
evaluates, renders and enters the leaderboard without Ray.

Ray: an already initialised Ray is used as is; else ``ray.init(address=...)`` starts a local Ray
(``address=None``) or joins a running cluster (``"auto"`` on a cluster node, ``"ray://HEAD:10001"``
from outside). Importing this module imports ray; ``import swarmgym`` never does.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import ray
import torch
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.callbacks.callbacks import RLlibCallback
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.tune.registry import register_env

import swarmgym
from swarmgym.core.config import check_int
from swarmgym.core.io import atomic_path, write_json
from swarmgym.core.provenance import now, provenance
from swarmgym.integrations.rllib import SwarmAgentVectorEnv, make_multi_agent_env, make_vector_env
from swarmgym.registry import spec
from swarmgym.training.learners import learning_spec, run_config
from swarmgym.training.runs import read_run
from swarmgym.training.trainer import check_hyper, close_session, evaluate_and_finish
from swarmgym_agents.integrations.rllib import WindowPPOModule
from swarmgym_agents.integrations.window_net import WindowNet, dist_inputs, save_policy_file
from swarmgym_agents.preferences import Preference, RewardTransform

ALGO = "rllib"
SHARED = "shared"
"""Module id of the one policy every agent maps to on the multi-agent route."""
DEFAULT_MODULE = "default_policy"
"""RLlib's module id on the single-agent (vector) route."""
VECTOR_ENV = "swarmgym-vector"
"""Ray registry name of :func:`make_training_vector_env`."""
MULTI_AGENT_ENV = "swarmgym-multi-agent"
"""Ray registry name of :func:`~swarmgym.integrations.rllib.make_multi_agent_env`."""
POLICIES = ("auto", "cnn", "mlp")


@dataclass(frozen=True)
class RLlibPPOArgs:
    """RLlib PPO hyperparameters, with the native PPO's values where both have the knob."""

    lr: float = 3e-4
    """Adam step size."""
    rollout_fragment_length: int = 32
    """Env steps per agent per sample (a train batch is this × B × N × runners agent-steps)."""
    num_epochs: int = 4
    """Passes over each train batch."""
    n_minibatches: int = 8
    """Minibatches per epoch (minibatch_size = train batch // n_minibatches)."""
    gamma: float = 0.95
    """Discount factor."""
    lambda_: float = 0.95
    """GAE lambda."""
    clip_param: float = 0.2
    """PPO's ratio clip."""
    entropy_coeff: float = 0.01
    """Entropy bonus weight."""
    vf_loss_coeff: float = 0.5
    """Value-loss weight."""
    grad_clip: float = 0.5
    """Global gradient-norm clip (SB3's max_grad_norm)."""
    hidden: int = 64
    """Trunk width."""
    policy: str = "auto"
    """Trunk reading the window: ``"cnn"`` (3×3 convolutions, any k >= 3), ``"mlp"``, or ``"auto"`` (the
    env's measured choice in :data:`swarmgym_agents.ppo_sb3.DEFAULT_POLICY`, else a CNN from k >= 9)."""
    copies_per_runner: int = 0
    """Env copies B in each env runner; 0: the env's learning default split over the runners."""
    env_path: str = "vector"
    """``"vector"`` (batched array env, fast) or ``"multi_agent"`` (PettingZoo dicts, RLlib's own route)."""

    def __post_init__(self):
        if self.policy not in POLICIES:
            raise ValueError(f"unknown rllib policy {self.policy!r}; choose from {list(POLICIES)}")
        if self.env_path not in ("vector", "multi_agent"):
            raise ValueError(f"unknown env_path {self.env_path!r}; choose vector or multi_agent")


def resolve_policy(policy: str, env_id: str, obs_shape: tuple[int, ...]) -> str:
    """``"cnn"`` or ``"mlp"``: ``auto`` follows the SB3 PPO's per-env default (the measured better one)."""
    if policy != "auto":
        return policy
    from swarmgym_agents.ppo_sb3 import DEFAULT_POLICY, PPOArgs

    return DEFAULT_POLICY.get(env_id) or ("cnn" if obs_shape[0] >= PPOArgs.cnn_min_view else "mlp")


def make_training_vector_env(env_config: dict[str, Any]) -> SwarmAgentVectorEnv:
    """The vector env creator RLlib's workers call: the env plus the run's social preference, if any."""
    env = make_vector_env(env_config)
    preference = env_config.get("preference")
    if preference:
        env.reward_transform = RewardTransform(preference, env.num_copies, env.num_agents)
    return env


class SwarmMetricsCallback(RLlibCallback):
    """Logs the vector env's finished-copy metrics and true episode returns into RLlib's results."""

    def on_sample_end(self, *, env_runner: Any = None, metrics_logger: Any = None, **kwargs: Any) -> None:
        """Move the env's finished metrics into ``result["env_runners"]["swarm"]``."""
        env = getattr(getattr(env_runner, "env", None), "unwrapped", None)
        if metrics_logger is None or not isinstance(env, SwarmAgentVectorEnv):
            return
        for name, values in env.pop_finished().items():
            metrics_logger.log_value(("swarm", name), float(np.mean(values)), reduce="mean", window=1)


def ppo_config(
    env_id: str,
    config: dict[str, Any],
    max_cycles: int,
    num_copies: int,
    num_env_runners: int,
    seed: int,
    args: RLlibPPOArgs,
    preference: dict[str, Any] | None = None,
) -> PPOConfig:
    """The PPOConfig of a run: ``num_copies`` copies in each env runner (or in the driver with 0 runners)."""
    model = swarmgym.make_model(env_id, **config)
    n_agents = model.n_agents
    env_config = {"env_id": env_id, "config": dict(config), "max_cycles": max_cycles}
    env_config["preference"] = preference
    kind = resolve_policy(args.policy, env_id, tuple(model.observation_space.shape))
    module = RLModuleSpec(module_class=WindowPPOModule, model_config={"kind": kind, "hidden": args.hidden})
    runners = max(num_env_runners, 1)
    if args.env_path == "vector":
        slots = num_copies * n_agents
    else:
        if preference:
            raise ValueError("a social preference needs env_path='vector' (the batched env applies it)")
        slots = num_copies
    batch = args.rollout_fragment_length * num_copies * n_agents * runners
    cfg = (
        PPOConfig()
        .framework("torch")
        .env_runners(
            num_env_runners=num_env_runners,
            num_envs_per_env_runner=slots,
            rollout_fragment_length=args.rollout_fragment_length,
            num_cpus_per_env_runner=1,
            gym_env_vectorize_mode="vector_entry_point" if args.env_path == "vector" else "sync",
        )
        .learners(num_learners=0)
        .training(
            lr=args.lr,
            gamma=args.gamma,
            lambda_=args.lambda_,
            clip_param=args.clip_param,
            entropy_coeff=args.entropy_coeff,
            vf_loss_coeff=args.vf_loss_coeff,
            grad_clip=args.grad_clip,
            num_epochs=args.num_epochs,
            train_batch_size_per_learner=batch,
            minibatch_size=max(batch // args.n_minibatches, 2),
        )
        .callbacks(SwarmMetricsCallback)
        .debugging(seed=seed)
        .reporting(metrics_num_episodes_for_smoothing=max(slots, 100))
    )
    # RLlib accepts a creator function only under a registered name (Ray's registry reaches every worker).
    register_env(VECTOR_ENV, make_training_vector_env)
    register_env(MULTI_AGENT_ENV, make_multi_agent_env)
    if args.env_path == "vector":
        cfg = cfg.environment(env=VECTOR_ENV, env_config=env_config, disable_env_checking=True)
        cfg = cfg.rl_module(rl_module_spec=module)
    else:
        cfg = cfg.environment(env=MULTI_AGENT_ENV, env_config=env_config, disable_env_checking=True)
        cfg = cfg.multi_agent(policies={SHARED}, policy_mapping_fn=_to_shared)
        cfg = cfg.rl_module(rl_module_spec=MultiRLModuleSpec(rl_module_specs={SHARED: module}))
    return cfg


def _to_shared(agent_id: Any, episode: Any = None, **kwargs: Any) -> str:
    return SHARED


def export_policy(algo: Any, path: str | Path, args: RLlibPPOArgs, env_id: str, config: dict) -> None:
    """Write the trained module's weights as a portable policy file (loads with torch alone)."""
    module_id = DEFAULT_MODULE if args.env_path == "vector" else SHARED
    state = algo.learner_group.get_weights(module_ids=[module_id])[module_id]
    model = swarmgym.make_model(env_id, **config)
    obs_shape = tuple(model.observation_space.shape)
    kind = resolve_policy(args.policy, env_id, obs_shape)
    net = WindowNet(obs_shape, dist_inputs(model.action_space), kind, args.hidden)
    net.load_state_dict({k.removeprefix("net."): torch.as_tensor(np.asarray(v)) for k, v in state.items()})
    save_policy_file(path, net, model.observation_space, model.action_space, normalize_actions=True)


def new_rllib_run(
    env_id: str,
    seed: int,
    config: dict[str, Any] | None,
    steps: int | None,
    max_cycles: int | None,
    hyper: dict[str, Any] | None,
    eval_seeds: int,
    num_env_runners: int,
    address: str | None,
    preference: dict[str, Any] | str | None,
) -> dict[str, Any]:
    """A fresh ``run.json`` record (the native trainer's keys plus ``rllib``); validated before Ray starts."""
    env_id = spec(env_id).id
    task = learning_spec(env_id)
    check_hyper(ALGO, dict(hyper or {}), RLlibPPOArgs)
    args = RLlibPPOArgs(**(hyper or {}))
    merged = run_config(env_id, "ppo", config)
    swarmgym.make_model(env_id, **merged)  # a bad config fails here, before Ray starts
    runners = max(num_env_runners, 1)
    per_runner = args.copies_per_runner or max(math.ceil(task.num_copies / runners), 1)
    return {
        "env_id": env_id,
        "algo": ALGO,
        "seed": int(seed),
        "config": merged,
        "steps": int(steps if steps is not None else task.budget.get("ppo", 200_000)),
        "num_copies": int(per_runner * runners),
        "max_cycles": int(task.max_cycles if max_cycles is None else max_cycles),
        "hyper": {**(hyper or {}), "copies_per_runner": per_runner},
        "eval_seeds": int(eval_seeds),
        "steps_done": 0,
        "preference": Preference.parse(preference).record(),
        "rllib": {"num_env_runners": int(num_env_runners), "address": address, "iterations": 0},
    }


def train_rllib(
    env_id: str | None,
    out: str | Path,
    steps: int | None = None,
    seed: int = 0,
    config: dict[str, Any] | None = None,
    max_cycles: int | None = None,
    num_env_runners: int = 2,
    address: str | None = None,
    resume: bool = False,
    checkpoint_every: int | None = None,
    hyper: dict[str, Any] | None = None,
    eval_seeds: int = 5,
    verbose: bool = True,
    num_cpus: int | None = None,
    preference: dict[str, Any] | str | None = None,
) -> dict[str, Any]:
    """Train parameter-shared PPO with RLlib into ``out``; return ``run.json`` (with the evaluation).

    ``num_env_runners`` Ray worker processes sample in parallel (0: sample in the driver); each runs
    ``copies_per_runner`` env copies (default: the env's learning ``num_copies`` split over the runners).
    ``steps`` are agent-steps, trained in whole iterations (one train batch each). ``config`` overrides
    the env's learning preset; ``hyper`` overrides :class:`RLlibPPOArgs`; ``preference`` is a social
    preference the learner trains on (:mod:`swarmgym_agents.preferences`). With ``resume`` the
    arguments come from ``out/run.json`` (``steps`` may extend the run; ``address`` and
    ``num_env_runners`` may change: a run moves between a laptop and a cluster) and training continues
    from RLlib's checkpoint in ``out/checkpoint``.
    """
    for name, value, low in (("steps", steps, 1), ("num_env_runners", num_env_runners, 0), ("seed", seed, 0)):
        if value is not None:
            check_int(name, value, low)
    out = Path(out)
    run_file = out / "run.json"
    if resume:
        run = read_run(run_file)
        if run["algo"] != ALGO:
            raise ValueError(f"cannot resume: {out} holds a {run['algo']} run, not an rllib one")
        if env_id is not None and spec(env_id).id != run["env_id"]:
            raise ValueError(f"cannot resume: the run holds {run['env_id']}, not {spec(env_id).id}")
        if steps is not None and steps > run["steps"]:
            run["steps"] = int(steps)
        run["rllib"].update(num_env_runners=int(num_env_runners), address=address)
    else:
        if env_id is None:
            raise ValueError("name the env to train")
        if run_file.exists():
            raise ValueError(f"{out} already holds a run; pass resume=True to continue it, or another out")
        run = new_rllib_run(
            env_id, seed, config, steps, max_cycles, hyper, eval_seeds, num_env_runners, address, preference
        )
    args = RLlibPPOArgs(**run["hyper"])
    model = swarmgym.make_model(run["env_id"], **run["config"])
    run["hyper_full"] = {**asdict(args), "policy": resolve_policy(args.policy, run["env_id"],
                                                                  tuple(model.observation_space.shape))}
    checkpoint_dir = out / "checkpoint"
    if resume and run["steps_done"] > 0:
        if not checkpoint_dir.is_dir():
            raise ValueError(f"cannot resume: {checkpoint_dir} is missing")
        run["steps_done"] = json.loads((checkpoint_dir / "swarmgym.json").read_text())["steps_done"]
    if resume and run["steps_done"] >= run["steps"] and (out / "model.pt").exists():
        return evaluate_and_finish(run, out, verbose)
    out.mkdir(parents=True, exist_ok=True)
    started_ray = False
    if not ray.is_initialized():
        init: dict[str, Any] = {"address": address, "include_dashboard": False, "log_to_driver": verbose}
        if address is None and num_cpus is not None:
            init["num_cpus"] = num_cpus
        ray.init(**init)
        started_ray = True
    from torch.utils.tensorboard import SummaryWriter

    run["rllib"]["ray"] = ray.__version__
    cfg = ppo_config(
        run["env_id"], run["config"], run["max_cycles"], args.copies_per_runner,
        run["rllib"]["num_env_runners"], run["seed"], args, run.get("preference"),
    )
    algo = cfg.build_algo()
    writer = SummaryWriter(str(out / "tb"))
    started = time.perf_counter()
    try:
        if resume and run["steps_done"] > 0:
            algo.restore_from_path(str(checkpoint_dir.resolve()))
        every = max(run["steps"] // 10, 1) if checkpoint_every is None else int(checkpoint_every)
        run["checkpoint_interval"] = run.get("checkpoint_interval") or every
        run.setdefault("provenance", provenance())
        run.setdefault("sessions", []).append({"started": now(), "steps_at_start": run["steps_done"]})
        write_json(run_file, run)
        since_checkpoint = 0
        while run["steps_done"] < run["steps"]:
            start = time.perf_counter()
            result = algo.train()
            seconds = time.perf_counter() - start
            sampled = int(result["env_runners"]["num_env_steps_sampled"])
            run["steps_done"] += sampled
            run["rllib"]["iterations"] = run["rllib"].get("iterations", 0) + 1
            since_checkpoint += sampled
            _log(writer, result, run["steps_done"], sampled / seconds)
            if since_checkpoint >= run["checkpoint_interval"] or run["steps_done"] >= run["steps"]:
                _checkpoint(algo, out, args, run, started)
                write_json(run_file, run)
                since_checkpoint = 0
            if verbose:
                swarm = result["env_runners"].get("swarm", {})
                ret = swarm.get("_episode_return", float("nan"))
                print(f"rllib {run['env_id']}: {run['steps_done']}/{run['steps']} agent-steps, "
                      f"{sampled / seconds:,.0f}/s, episode return {ret:.3f}")
    finally:
        writer.close()
        algo.stop()
        if started_ray:
            ray.shutdown()
    with atomic_path(out / "model.pt") as temp:
        shutil.copyfile(out / "checkpoint.pt", temp)
    return evaluate_and_finish(run, out, verbose)


def _checkpoint(algo: Any, out: Path, args: RLlibPPOArgs, run: dict[str, Any], started: float) -> None:
    """RLlib's checkpoint into ``out/checkpoint`` (swapped in whole, with its step count), then the policy.

    The checkpoint folder is the commit point: it holds ``swarmgym.json`` with ``steps_done``, which a
    resumed run trusts over ``run.json``.
    """
    temp, old = out / ".checkpoint.tmp", out / ".checkpoint.old"
    for leftover in (temp, old):
        shutil.rmtree(leftover, ignore_errors=True)
    algo.save_to_path(str(temp.resolve()))
    write_json(temp / "swarmgym.json", {"steps_done": run["steps_done"]})
    if (out / "checkpoint").exists():
        (out / "checkpoint").rename(old)
    temp.rename(out / "checkpoint")
    shutil.rmtree(old, ignore_errors=True)
    policy_temp = out / ".checkpoint.pt.tmp"
    export_policy(algo, policy_temp, args, run["env_id"], run["config"])
    policy_temp.replace(out / "checkpoint.pt")
    close_session(run, started)


def _log(writer: Any, result: dict[str, Any], step: int, rate: float) -> None:
    """The native trainers' tags (charts/episode_return, metrics/<name>) plus RLlib's learner stats."""
    runners = result.get("env_runners", {})
    swarm = runners.get("swarm", {})
    if "_episode_return" in swarm:
        writer.add_scalar("charts/episode_return", float(swarm["_episode_return"]), step)
    for name, value in swarm.items():
        if not name.startswith("_"):
            writer.add_scalar(f"metrics/{name}", float(value), step)
    writer.add_scalar("charts/agent_steps_per_second", rate, step)
    sampling = result.get("timers", {}).get("env_runner_sampling_timer")
    if sampling:
        sampling_rate = runners["num_env_steps_sampled"] / sampling
        writer.add_scalar("charts/sampling_steps_per_second", sampling_rate, step)
    for stats in result.get("learners", {}).values():
        if not isinstance(stats, dict):
            continue
        for key in ("policy_loss", "vf_loss", "entropy", "mean_kl_loss", "curr_kl_coeff"):
            if key in stats and np.isscalar(stats[key]):
                writer.add_scalar(f"train/{key}", float(stats[key]), step)
