"""Mean-field actor-critic (MF-AC; Yang et al., ICML 2018), parameter-shared over all agents, CleanRL style.

Read top to bottom in the order of the paper:

1. every agent j acts from its own view with the actor π(a | o^j) (decentralised execution);
2. the critic is the mean-field Q(o^j, a^j, ā^j), with ā^j the mean action of the neighbours in view
   (``info["agent"]["neighbour_mean_action"]``, the previous step's, as in the authors' code);
3. each rollout of ``n_steps`` env steps (all B * N agents) updates
   - the critic towards y = r + γ (1 − terminal) Σ_a π(a | o') Q(o', a, ā') (time-limit ends bootstrapped),
   - the actor by the policy gradient with advantage Q(o, a, ā) − Σ_b π(b | o) Q(o, b, ā) plus an
     entropy bonus.

Steps count agent-steps. Continuous actions are discretised as documented in
:mod:`swarmgym_agents.mean_field`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from swarmgym_agents.mean_field import MeanFieldLearner, MeanFieldNet
from swarmgym_agents.mfq import log_episodes


@dataclass(frozen=True)
class MFACArgs:
    """MF-AC hyperparameters (pass any of them as ``hyper`` to ``swarmgym train``)."""

    actor_lr: float = 3e-4
    """Adam step size of the actor π(a | o)."""
    critic_lr: float = 1e-3
    """Adam step size of the mean-field critic Q(o, a, ā)."""
    gamma: float = 0.95
    """Discount of the critic's TD target; its horizon 1 / (1 − gamma) should cover the payoff delay."""
    n_steps: int = 16
    """Env steps per rollout (each gives B * N agent transitions) between updates."""
    n_epochs: int = 4
    """Passes over each rollout."""
    n_minibatches: int = 4
    """Minibatches each rollout is split into per epoch."""
    ent_coef: float = 0.01
    """Weight of the actor's entropy bonus (exploration)."""
    hidden: int = 64
    """Width of the two hidden layers of actor and critic."""
    bins: int = 5
    """Levels per dimension when a Box action is discretised (ignored for Discrete actions)."""


class MFACLearner(MeanFieldLearner):
    """Trainer interface used by ``swarmgym train``: ``train(steps)``, ``save(path)``, ``load(...)``."""

    algo = "mfac"
    args_cls = MFACArgs
    modules = ("actor", "critic", "actor_optimiser", "critic_optimiser")
    networks = ("actor", "critic")

    def __init__(
        self,
        env_id: str,
        config: dict,
        seed: int,
        num_copies: int,
        max_cycles: int | None,
        args: MFACArgs,
        preference: dict | None = None,
    ):
        super().__init__(env_id, config, seed, num_copies, max_cycles, args, preference=preference)
        n_actions, abar_dim = self.env.actions.n, self.abar.shape[1]
        self.actor = MeanFieldNet(self.env.obs_shape, 0, n_actions, args.hidden)
        self.critic = MeanFieldNet(self.env.obs_shape, abar_dim, n_actions, args.hidden)
        self.actor_optimiser = torch.optim.Adam(self.actor.parameters(), lr=args.actor_lr)
        self.critic_optimiser = torch.optim.Adam(self.critic.parameters(), lr=args.critic_lr)

    @property
    def chunk(self) -> int:
        """Agent-steps of one rollout."""
        return self.args.n_steps * self.env.rows

    def act(self, obs: np.ndarray) -> np.ndarray:
        """(M,) actions sampled from the actor with the learner's generator (Gumbel-max)."""
        with torch.no_grad():
            logits = self.actor(torch.as_tensor(obs)).numpy()
        gumbel = -np.log(-np.log(self.rng.random(logits.shape) + 1e-12) + 1e-12)
        return (logits + gumbel).argmax(axis=1)

    def rollout(self, on_steps, log) -> dict[str, torch.Tensor]:
        """``n_steps`` env steps of every agent, stacked into (n_steps * M, ...) tensors."""
        keys = ("obs", "abar", "action", "reward", "next_obs", "next_abar", "terminal")
        rows: dict[str, list[np.ndarray]] = {key: [] for key in keys}
        for _ in range(self.args.n_steps):
            action = self.act(self.obs)
            out = self.env.step(action)
            for key, value in (
                ("obs", self.obs),
                ("abar", self.abar),
                ("action", action),
                ("reward", out["reward"]),
                ("next_obs", out["next_obs"]),
                ("next_abar", out["next_abar"]),
                ("terminal", out["terminal"].astype(np.float32)),
            ):
                rows[key].append(value)
            self.obs, self.abar = out["obs"], out["abar"]
            self.steps += self.env.rows
            on_steps(self.env.rows)
            log_episodes(out, log, self.steps)
        return {key: torch.as_tensor(np.concatenate(value)) for key, value in rows.items()}

    def update(self, batch: dict[str, torch.Tensor]) -> tuple[float, float]:
        """Critic TD step and actor policy-gradient step on one minibatch; returns both losses."""
        with torch.no_grad():
            next_pi = torch.softmax(self.actor(batch["next_obs"]), dim=1)
            next_value = (next_pi * self.critic(batch["next_obs"], batch["next_abar"])).sum(dim=1)
            target = batch["reward"] + self.args.gamma * (1.0 - batch["terminal"]) * next_value
        q_all = self.critic(batch["obs"], batch["abar"])
        critic_loss = F.mse_loss(q_all.gather(1, batch["action"][:, None]).squeeze(1), target)
        self.critic_optimiser.zero_grad()
        critic_loss.backward()
        self.critic_optimiser.step()

        logits = self.actor(batch["obs"])
        log_pi = torch.log_softmax(logits, dim=1)
        pi = log_pi.exp()
        q_all = q_all.detach()
        advantage = q_all.gather(1, batch["action"][:, None]).squeeze(1) - (pi.detach() * q_all).sum(dim=1)
        advantage = advantage / (advantage.std() + 1e-8)  # scale-free steps whatever the reward scale
        entropy = -(pi * log_pi).sum(dim=1).mean()
        actor_loss = -(log_pi.gather(1, batch["action"][:, None]).squeeze(1) * advantage).mean()
        actor_loss = actor_loss - self.args.ent_coef * entropy
        self.actor_optimiser.zero_grad()
        actor_loss.backward()
        self.actor_optimiser.step()
        return critic_loss.item(), actor_loss.item()

    def train(self, steps: int, on_steps, log) -> None:
        """Collect rollouts and update until at least ``steps`` more agent-steps are done."""
        goal = self.steps + steps
        while self.steps < goal:
            batch = self.rollout(on_steps, log)
            size = len(batch["action"])
            minibatch = max(size // self.args.n_minibatches, 1)
            losses = []
            for _ in range(self.args.n_epochs):
                order = torch.as_tensor(self.rng.permutation(size))
                for start in range(0, size, minibatch):
                    index = order[start : start + minibatch]
                    losses.append(self.update({key: value[index] for key, value in batch.items()}))
            critic_loss, actor_loss = np.mean(losses, axis=0)
            log("losses/critic", float(critic_loss), self.steps)
            log("losses/actor", float(actor_loss), self.steps)
