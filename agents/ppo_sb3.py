"""Parameter-shared PPO (Stable-Baselines3) on the k×k views of every agent, and its Policy wrapper.

Every agent of every env copy is one sub-env of :class:`swarmgym_agents.sb3_vec_env.SwarmSB3VecEnv`, so one
PPO network acts for all agents (parameter sharing). ``PPOArgs.policy`` picks the network
that reads the (k, k, C) view: ``"mlp"`` flattens it, ``"cnn"`` runs 3×3 convolutions
(:class:`swarmgym_agents.cnn.WindowCNN`, works from k = 3; SB3's own ``CnnPolicy`` cannot, its 8×8
kernel is larger than the window), ``"auto"`` (default) takes the env's measured better choice in
:data:`DEFAULT_POLICY`, else a CNN from ``cnn_min_view`` (k >= 9) and an MLP below. Views are not
rescaled: swarmgym channels are already counts/one-hots or bounded floats. Timesteps count agent-steps
(B * N per env step).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback

from swarmgym_agents.base import Policy
from swarmgym_agents.cnn import ViewCNN, WindowCNN
from swarmgym_agents.sb3_vec_env import SwarmSB3VecEnv

POLICIES = ("auto", "mlp", "cnn")

DEFAULT_POLICY: dict[str, str] = {"segregation_v0": "mlp"}
"""env id -> the network ``policy="auto"`` uses there (the CNN-vs-MLP comparison, docs/integrations.md).

segregation_v0 (learning preset, 500k agent-steps, seeds 0-2): final segregation MLP 0.800 ± 0.011, CNN
0.809 ± 0.019 (tied), but the MLP's curve rises ~100k steps earlier and it trains ~7× faster in wall time.
Envs not listed keep the view-size rule (MLP below k = 9, ``ViewCNN`` from k = 9)."""


@dataclass(frozen=True)
class PPOArgs:
    """PPO hyperparameters (SB3 names); ``n_steps`` is per sub-env (agent), a rollout is n_steps * B * N."""

    learning_rate: float = 3e-4
    """Adam step size."""
    n_steps: int = 32
    """Env steps per agent in one rollout (the rollout holds n_steps * B * N agent-steps)."""
    n_minibatches: int = 8
    """Minibatches per epoch: the rollout is split into this many (batch_size = rollout // n_minibatches)."""
    n_epochs: int = 4
    """Passes over each rollout."""
    gamma: float = 0.95
    """Discount factor."""
    gae_lambda: float = 0.95
    """GAE lambda (bias-variance trade-off of the advantage)."""
    clip_range: float = 0.2
    """PPO's ratio clip."""
    ent_coef: float = 0.01
    """Entropy bonus weight (exploration)."""
    vf_coef: float = 0.5
    """Value-loss weight."""
    hidden: int = 64
    """Width of the two policy and value layers after the features extractor."""
    cnn_min_view: int = 9
    """With ``policy="auto"`` and no per-env default: views of k >= cnn_min_view get the CNN extractor."""
    policy: str = "auto"
    """Network reading the view: ``"mlp"`` (flatten), ``"cnn"`` (3×3 convolutions, any k >= 3), ``"auto"``."""

    def __post_init__(self):
        if self.policy not in POLICIES:
            raise ValueError(f"unknown PPO policy {self.policy!r}; choose from {list(POLICIES)}")


def extractor_kwargs(env_id: str, obs_shape: tuple[int, ...], args: PPOArgs) -> dict[str, Any]:
    """The ``policy_kwargs`` entries that choose the features extractor for ``args.policy`` on ``env_id``."""
    if len(obs_shape) != 3:
        return {}
    policy = args.policy
    if policy == "auto":
        policy = DEFAULT_POLICY.get(env_id, "auto")
    if policy == "cnn":
        return {"features_extractor_class": WindowCNN}
    if policy == "auto" and obs_shape[0] >= args.cnn_min_view:
        return {"features_extractor_class": ViewCNN}
    return {}


def make_ppo(venv: SwarmSB3VecEnv, seed: int, args: PPOArgs, tensorboard_log: str | None = None) -> PPO:
    """A fresh SB3 PPO on ``venv`` with a view-suited policy, seeded ``seed`` (CPU)."""
    rollout = args.n_steps * venv.num_envs
    policy_kwargs: dict[str, Any] = {"net_arch": [args.hidden, args.hidden], "normalize_images": False}
    policy_kwargs.update(extractor_kwargs(venv.env_id, tuple(venv.observation_space.shape), args))
    return PPO(
        "MlpPolicy",
        venv,
        learning_rate=args.learning_rate,
        n_steps=args.n_steps,
        batch_size=max(rollout // args.n_minibatches, 2),
        n_epochs=args.n_epochs,
        gamma=args.gamma,
        gae_lambda=args.gae_lambda,
        clip_range=args.clip_range,
        ent_coef=args.ent_coef,
        vf_coef=args.vf_coef,
        policy_kwargs=policy_kwargs,
        tensorboard_log=tensorboard_log,
        seed=seed,
        device="cpu",
        verbose=0,
    )


class _Progress(BaseCallback):
    """Reports agent-steps to the trainer and logs episode returns and the env's final metrics."""

    def __init__(self, on_steps, log):
        super().__init__()
        self.on_steps = on_steps
        self.log = log

    def _on_step(self) -> bool:
        self.on_steps(self.training_env.num_envs)
        return True

    def _on_rollout_end(self) -> None:
        venv: SwarmSB3VecEnv = self.training_env
        step = self.num_timesteps
        returns = [info["r"] for info in self.model.ep_info_buffer]
        if returns:
            self.log("charts/episode_return", float(np.mean(returns)), step)
        for name, values in venv.pop_finished_metrics().items():
            self.log(f"metrics/{name}", float(np.mean(values)), step)
        for name, values in venv.last_info.get("metrics", {}).items():
            self.log(f"metrics_now/{name}", float(np.mean(values)), step)


class PPOLearner:
    """Trainer interface used by ``swarmgym train``: ``train(steps)``, ``save(path)``, ``load(...)``."""

    algo = "ppo"
    suffix = ".zip"
    args_cls = PPOArgs

    def __init__(self, venv: SwarmSB3VecEnv, model: PPO, args: PPOArgs):
        self.venv = venv
        self.model = model
        self.args = args

    @classmethod
    def create(
        cls,
        env_id: str,
        config: dict,
        seed: int,
        num_copies: int,
        max_cycles: int | None,
        preference: dict | None = None,
        **hyper,
    ) -> PPOLearner:
        """A fresh learner; ``hyper`` overrides :class:`PPOArgs` fields; ``preference``: social preference."""
        args = PPOArgs(**hyper)
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)
        venv = SwarmSB3VecEnv(
            env_id, num_copies=num_copies, seed=seed, max_cycles=max_cycles, preference=preference, **config
        )
        return cls(venv, make_ppo(venv, seed, args), args)

    @classmethod
    def load(
        cls,
        path: str | Path,
        env_id: str,
        config: dict,
        seed: int,
        num_copies: int,
        max_cycles: int | None,
        preference: dict | None = None,
        **hyper,
    ) -> PPOLearner:
        """Resume from a checkpoint (weights, optimiser, step count); the env reseeds from the step."""
        args = PPOArgs(**hyper)
        venv = SwarmSB3VecEnv(
            env_id, num_copies=num_copies, max_cycles=max_cycles, preference=preference, **config
        )
        model = PPO.load(path, env=venv, device="cpu")
        model.set_random_seed(seed + int(model.num_timesteps))
        return cls(venv, model, args)

    @property
    def steps(self) -> int:
        """Agent-steps trained so far."""
        return int(self.model.num_timesteps)

    @property
    def chunk(self) -> int:
        """Agent-steps of one rollout: training advances in whole rollouts."""
        return self.args.n_steps * self.venv.num_envs

    def train(self, steps: int, on_steps, log) -> None:
        """Train for at least ``steps`` more agent-steps (whole rollouts)."""
        self.model.learn(
            steps, callback=_Progress(on_steps, log), reset_num_timesteps=False, progress_bar=False
        )

    def set_logdir(self, path: str | Path) -> None:
        """Send SB3's own training statistics (losses, KL, clip fraction) to TensorBoard under ``path``."""
        from stable_baselines3.common.logger import configure

        self.model.set_logger(configure(str(path), ["tensorboard"]))

    def save(self, path: str | Path) -> None:
        """Write the SB3 zip (weights, optimiser, hyperparameters, step count) to ``path``."""
        self.model.save(path)

    def hyper(self) -> dict[str, Any]:
        """The hyperparameters as a dict (recorded in run.json)."""
        return asdict(self.args)


class PPOPolicy(Policy):
    """A trained SB3 PPO model acting for every agent: (B, N, k, k, C) -> (B, N, ...) actions.

    Args:
        path: the ``.zip`` written by SB3 (``model.save``).
        deterministic: take the distribution's mode (default) rather than sampling.
    """

    def __init__(self, path: str | Path, deterministic: bool = True):
        self.model = PPO.load(path, device="cpu")
        self.deterministic = deterministic
        self.observation_space = self.model.observation_space
        self.action_space = self.model.action_space

    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """Flatten agents and copies into one batch, run the policy once, reshape back."""
        batch_shape = observations.shape[:2]
        flat = observations.reshape(-1, *observations.shape[2:])
        actions, _ = self.model.predict(flat, deterministic=self.deterministic)
        return actions.reshape(*batch_shape, *np.shape(actions)[1:])
