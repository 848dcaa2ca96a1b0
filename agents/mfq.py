"""Mean-field Q-learning (MF-Q; Yang et al., ICML 2018), parameter-shared over all agents, CleanRL style.

Read top to bottom in the order of the paper:

1. every agent j sees its k×k view o^j and ā^j, the mean one-hot action of the neighbours in its view
   (``info["agent"]["neighbour_mean_action"]``, the previous step's actions:
   see :mod:`swarmgym_agents.mean_field`);
2. it acts by the Boltzmann policy π(a | o, ā) ∝ exp(β Q(o, a, ā)) (β grows from ``beta_start`` to
   ``beta_end`` over ``anneal_steps`` agent-steps; the paper prints −β, a typo);
3. every agent's (o, a, ā, r, o', ā', terminal) goes into one replay buffer;
4. Q is regressed on y = r + γ (1 − terminal) Σ_a π(a | o', ā') Q_target(o', a, ā') (a time-limit end is
   not terminal: it is bootstrapped), with a target network copied every ``target_every`` updates.

Steps count agent-steps (B * N per env step). Resuming restores weights, optimiser, step count and the
schedule; the replay buffer is refilled (not saved, to keep checkpoints small).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from swarmgym_agents.mean_field import MeanFieldLearner, MeanFieldNet


@dataclass(frozen=True)
class MFQArgs:
    """MF-Q hyperparameters (pass any of them as ``hyper`` to ``swarmgym train``)."""

    learning_rate: float = 1e-3
    """Adam step size of the Q network."""
    gamma: float = 0.95
    """Discount of the TD target; its horizon 1 / (1 − gamma) should cover the delay of the payoff."""
    buffer_size: int = 100_000
    """Replay capacity in agent transitions (the oldest are overwritten)."""
    batch_size: int = 512
    """Agent transitions per gradient step."""
    learning_starts: int = 2_000
    """Agent transitions collected before the first update."""
    updates_per_step: int = 2
    """Gradient steps per env step (each env step adds B * N transitions)."""
    target_every: int = 100
    """Updates between copies of the Q network into the target network."""
    beta_start: float = 1.0
    """Boltzmann inverse temperature β at the start (near-uniform exploration)."""
    beta_end: float = 20.0
    """β after ``anneal_steps`` (near-greedy); also the β of the soft value in the target."""
    anneal_steps: int = 300_000
    """Agent-steps over which β grows linearly from ``beta_start`` to ``beta_end``."""
    hidden: int = 64
    """Width of the two hidden layers of the Q network."""
    bins: int = 5
    """Levels per dimension when a Box action is discretised (ignored for Discrete actions)."""


class Replay:
    """A ring buffer of agent transitions, sampled with the learner's generator."""

    def __init__(self, capacity: int, obs_shape: tuple[int, ...], obs_dtype: np.dtype, abar_dim: int):
        self.capacity, self.size, self.head = capacity, 0, 0
        self.obs = np.zeros((capacity, *obs_shape), obs_dtype)
        self.next_obs = np.zeros((capacity, *obs_shape), obs_dtype)
        self.abar = np.zeros((capacity, abar_dim), np.float32)
        self.next_abar = np.zeros((capacity, abar_dim), np.float32)
        self.action = np.zeros(capacity, np.int64)
        self.reward = np.zeros(capacity, np.float32)
        self.terminal = np.zeros(capacity, np.float32)

    def add(self, **rows: np.ndarray) -> None:
        """Append M rows (wrapping around), overwriting the oldest."""
        count = len(rows["action"])
        index = (self.head + np.arange(count)) % self.capacity
        for name, value in rows.items():
            getattr(self, name)[index] = value
        self.head = int((self.head + count) % self.capacity)
        self.size = min(self.size + count, self.capacity)

    def sample(self, rng: np.random.Generator, batch: int) -> dict[str, torch.Tensor]:
        """A uniform minibatch as tensors."""
        index = rng.integers(0, self.size, batch)
        names = ("obs", "next_obs", "abar", "next_abar", "action", "reward", "terminal")
        return {name: torch.as_tensor(getattr(self, name)[index]) for name in names}


class MFQLearner(MeanFieldLearner):
    """Trainer interface used by ``swarmgym train``: ``train(steps)``, ``save(path)``, ``load(...)``."""

    algo = "mfq"
    args_cls = MFQArgs
    modules = ("q", "q_target", "optimiser")
    networks = ("q",)
    counters = ("steps", "updates")

    def __init__(
        self,
        env_id: str,
        config: dict,
        seed: int,
        num_copies: int,
        max_cycles: int | None,
        args: MFQArgs,
        preference: dict | None = None,
    ):
        super().__init__(env_id, config, seed, num_copies, max_cycles, args, preference=preference)
        obs, abar = self.obs, self.abar
        self.q = MeanFieldNet(self.env.obs_shape, abar.shape[1], self.env.actions.n, args.hidden)
        self.q_target = copy.deepcopy(self.q)
        self.optimiser = torch.optim.Adam(self.q.parameters(), lr=args.learning_rate)
        self.replay = Replay(args.buffer_size, self.env.obs_shape, obs.dtype, abar.shape[1])

    @property
    def chunk(self) -> int:
        """Agent-steps of one env step."""
        return self.env.rows

    def policy_temperature(self) -> float:
        """1 / β at the current step: the trained policy is the Boltzmann policy it explores with."""
        return 1.0 / max(self.beta(), 1e-6)

    def beta(self) -> float:
        """Boltzmann inverse temperature at the current step (linear annealing)."""
        fraction = min(self.steps / max(self.args.anneal_steps, 1), 1.0)
        return self.args.beta_start + fraction * (self.args.beta_end - self.args.beta_start)

    def act(self, obs: np.ndarray, abar: np.ndarray) -> np.ndarray:
        """(M,) action indices sampled from π ∝ exp(β Q(o, ·, ā)) with the learner's generator."""
        with torch.no_grad():
            logits = self.beta() * self.q(torch.as_tensor(obs), torch.as_tensor(abar)).numpy()
        gumbel = -np.log(-np.log(self.rng.random(logits.shape) + 1e-12) + 1e-12)
        return (logits + gumbel).argmax(axis=1)

    def update(self) -> float:
        """One gradient step on the mean-field TD target; returns the loss."""
        batch = self.replay.sample(self.rng, self.args.batch_size)
        with torch.no_grad():
            next_q = self.q_target(batch["next_obs"], batch["next_abar"])
            pi = torch.softmax(self.beta() * next_q, dim=1)
            value = (pi * next_q).sum(dim=1)  # Σ_a π(a|o', ā') Q_target(o', a, ā')
            target = batch["reward"] + self.args.gamma * (1.0 - batch["terminal"]) * value
        q = self.q(batch["obs"], batch["abar"]).gather(1, batch["action"][:, None]).squeeze(1)
        loss = F.mse_loss(q, target)
        self.optimiser.zero_grad()
        loss.backward()
        self.optimiser.step()
        self.updates += 1
        if self.updates % self.args.target_every == 0:
            self.q_target.load_state_dict(self.q.state_dict())
        return loss.item()

    def train(self, steps: int, on_steps, log) -> None:
        """Interact and learn for at least ``steps`` more agent-steps."""
        goal = self.steps + steps
        losses = []
        while self.steps < goal:
            action = self.act(self.obs, self.abar)
            out = self.env.step(action)
            self.replay.add(
                obs=self.obs,
                abar=self.abar,
                action=action,
                reward=out["reward"],
                next_obs=out["next_obs"],
                next_abar=out["next_abar"],
                terminal=out["terminal"].astype(np.float32),
            )
            self.obs, self.abar = out["obs"], out["abar"]
            self.steps += self.env.rows
            on_steps(self.env.rows)
            if self.replay.size >= self.args.learning_starts:
                losses.extend(self.update() for _ in range(self.args.updates_per_step))
            log_episodes(out, log, self.steps)
        if losses:
            log("losses/td", float(np.mean(losses)), self.steps)
        log("charts/beta", self.beta(), self.steps)


def log_episodes(out: dict[str, Any], log, step: int) -> None:
    """Log the mean return per agent and the final emergence metrics of every copy that finished."""
    done = out["done"]
    if not done.any():
        return
    info = out["info"]
    log("charts/episode_return", float(info["episode_return"][done].mean()), step)
    for name, value in info["final_metrics"].items():
        log(f"metrics/{name}", float(value[done].mean()), step)
