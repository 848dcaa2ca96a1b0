"""Parameter-shared PPO in plain TorchRL on a swarmgym env, through TorchRL's ``PettingZooWrapper``.

TorchRL's ``PettingZooEnv(task=...)`` looks tasks up among PettingZoo's own envs, so it cannot name a
swarmgym env; ``PettingZooWrapper`` takes the env object as it is. All N agents form one group
``"agent"``: observations ``(N, k, k, C)`` (cast to float32, flattened), one reward per agent. The
actor and critic are ``MultiAgentMLP``s with shared parameters (a decentralised critic: IPPO).

    python examples/torchrl_ppo.py --env segregation_v0 --frames 20000
"""

from __future__ import annotations

import argparse
import time

import torch
from tensordict.nn import NormalParamExtractor, TensorDictModule
from torch import nn
from torchrl.collectors import SyncDataCollector
from torchrl.data import LazyTensorStorage, ReplayBuffer, SamplerWithoutReplacement
from torchrl.envs import (
    Compose,
    DTypeCastTransform,
    FlattenObservation,
    PettingZooWrapper,
    RewardSum,
    TransformedEnv,
)
from torchrl.modules import MultiAgentMLP, ProbabilisticActor, TanhNormal
from torchrl.objectives import ClipPPOLoss, ValueEstimators

import swarmgym
from swarmgym.registry import spec

GROUP = "agent"


def make_env(env_id: str, max_cycles: int, config: dict) -> TransformedEnv:
    """The swarmgym env for TorchRL: float32 flat windows; episode returns in ("agent", "episode_reward")."""
    base = PettingZooWrapper(
        swarmgym.make(env_id, max_cycles=max_cycles, **config),
        categorical_actions=True,
        use_mask=False,
        return_state=False,
    )
    obs = (GROUP, "observation")
    transforms = []
    if base.observation_spec[obs].dtype != torch.float32:  # uint8 windows
        transforms.append(
            DTypeCastTransform(base.observation_spec[obs].dtype, torch.float32, in_keys=[obs], in_keys_inv=[])
        )
    transforms += [
        FlattenObservation(first_dim=-3, last_dim=-1, in_keys=[obs]),
        RewardSum(in_keys=[(GROUP, "reward")], out_keys=[(GROUP, "episode_reward")]),
    ]
    return TransformedEnv(base, Compose(*transforms))


def make_actor_critic(env: TransformedEnv, hidden: int) -> tuple[ProbabilisticActor, TensorDictModule]:
    """Shared-parameter actor (categorical or tanh-Gaussian) and critic over the flat windows."""
    n_agents = len(env.group_map[GROUP])
    n_obs = env.observation_spec[GROUP, "observation"].shape[-1]
    action_spec = env.full_action_spec[GROUP, "action"]
    discrete = action_spec.domain == "discrete"
    n_out = action_spec.space.n if discrete else 2 * action_spec.shape[-1]

    def mlp(outputs: int) -> MultiAgentMLP:
        return MultiAgentMLP(
            n_agent_inputs=n_obs, n_agent_outputs=outputs, n_agents=n_agents, centralised=False,
            share_params=True, depth=2, num_cells=hidden, activation_class=nn.Tanh,
        )

    if discrete:
        net = TensorDictModule(mlp(n_out), in_keys=[(GROUP, "observation")], out_keys=[(GROUP, "logits")])
        dist_keys, dist_class, dist_kwargs = [(GROUP, "logits")], torch.distributions.Categorical, {}
    else:
        net = TensorDictModule(
            nn.Sequential(mlp(n_out), NormalParamExtractor()),
            in_keys=[(GROUP, "observation")],
            out_keys=[(GROUP, "loc"), (GROUP, "scale")],
        )
        dist_keys, dist_class = [(GROUP, "loc"), (GROUP, "scale")], TanhNormal
        dist_kwargs = {"low": action_spec.space.low, "high": action_spec.space.high}
    actor = ProbabilisticActor(
        net,
        spec=action_spec,
        in_keys=dist_keys,
        out_keys=[(GROUP, "action")],
        distribution_class=dist_class,
        distribution_kwargs=dist_kwargs,
        return_log_prob=True,
        log_prob_key=(GROUP, "action_log_prob"),
    )
    critic = TensorDictModule(mlp(1), in_keys=[(GROUP, "observation")], out_keys=[(GROUP, "state_value")])
    return actor, critic


def train(
    env_id: str = "segregation_v0",
    frames: int = 20_000,
    frames_per_batch: int = 2_000,
    epochs: int = 4,
    minibatch: int = 500,
    max_cycles: int | None = None,
    config: dict | None = None,
    hidden: int = 64,
    seed: int = 0,
) -> list[dict[str, float]]:
    """PPO for ``frames`` env steps (each steps all N agents); returns one log row per batch."""
    torch.manual_seed(seed)
    env_spec = spec(env_id)
    config = env_spec.preset(env_spec.learning.preset) if config is None else config
    env = make_env(env_id, max_cycles or env_spec.learning.max_cycles, config)
    env.set_seed(seed)
    actor, critic = make_actor_critic(env, hidden)
    collector = SyncDataCollector(env, actor, frames_per_batch=frames_per_batch, total_frames=frames)
    buffer = ReplayBuffer(
        storage=LazyTensorStorage(frames_per_batch), sampler=SamplerWithoutReplacement(), batch_size=minibatch
    )
    loss = ClipPPOLoss(actor, critic, clip_epsilon=0.2, entropy_coeff=0.01, normalize_advantage=False)
    loss.set_keys(
        reward=(GROUP, "reward"),
        action=(GROUP, "action"),
        sample_log_prob=(GROUP, "action_log_prob"),
        value=(GROUP, "state_value"),
        done=(GROUP, "done"),
        terminated=(GROUP, "terminated"),
    )
    loss.make_value_estimator(ValueEstimators.GAE, gamma=0.95, lmbda=0.95)
    optimiser = torch.optim.Adam(loss.parameters(), lr=3e-4)
    metric = env_spec.learning.main_metric
    log, seen = [], 0
    for batch in collector:
        seen += batch.numel()
        with torch.no_grad():
            loss.value_estimator(
                batch, params=loss.critic_network_params, target_params=loss.target_critic_network_params
            )
        buffer.extend(batch.reshape(-1))
        for _ in range(epochs):
            for _ in range(max(frames_per_batch // minibatch, 1)):
                parts = loss(buffer.sample())
                total = parts["loss_objective"] + parts["loss_critic"] + parts["loss_entropy"]
                optimiser.zero_grad()
                total.backward()
                nn.utils.clip_grad_norm_(loss.parameters(), 0.5)
                optimiser.step()
        collector.update_policy_weights_()
        done = batch.get(("next", GROUP, "done"))
        returns = batch.get(("next", GROUP, "episode_reward"))[done]
        info = batch.get(("next", GROUP, "info"))
        log.append({
            "frames": seen,
            "episode_return": returns.mean().item() if returns.numel() else float("nan"),
            metric: info.get(metric).mean().item(),
        })
    collector.shutdown()
    return log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="segregation_v0")
    parser.add_argument("--frames", type=int, default=20_000, help="env steps (each steps all N agents)")
    parser.add_argument("--frames-per-batch", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.time()
    for row in train(args.env, args.frames, args.frames_per_batch, seed=args.seed):
        print(", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))
    print(f"{time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
