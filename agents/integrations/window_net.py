"""The actor-critic network for k×k windows, and the portable policy file a Ray-trained run exports.

:class:`WindowNet` is plain torch: separate policy and value :class:`~swarmgym_agents.cnn.WindowEncoder`
trunks (3×3 CNN or MLP, any channel count and dtype) and linear heads. The RLlib module
(:mod:`swarmgym_agents.integrations.rllib`) wraps it; at each checkpoint the trainer
(:mod:`swarmgym.training.rllib`) also writes its
weights with the spaces to a ``.pt`` file (:func:`save_policy_file`), which :class:`WindowNetPolicy`
loads with torch alone: ``rllib:RUN_DIR`` evaluates, renders and enters the leaderboard without Ray.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from swarmgym_agents.base import Policy
from swarmgym_agents.cnn import WindowEncoder

FORMAT = "swarmgym-window-net/1"


def dist_inputs(action_space: spaces.Space) -> int:
    """Width of the policy head: logits for Discrete, mean and log-std per dimension for Box."""
    if isinstance(action_space, spaces.Discrete):
        return int(action_space.n)
    if isinstance(action_space, spaces.Box):
        return 2 * int(np.prod(action_space.shape))
    raise ValueError(f"WindowNet supports Discrete and Box actions, not {action_space}")


class WindowNet(nn.Module):
    """Policy logits / Gaussian parameters and a value from (batch, k, k, C) windows.

    Args:
        obs_shape: the (k, k, C) window.
        n_outputs: width of the policy head (:func:`dist_inputs`).
        kind: ``"cnn"`` or ``"mlp"`` trunk.
        hidden: trunk output width.
    """

    def __init__(self, obs_shape: tuple[int, ...], n_outputs: int, kind: str = "cnn", hidden: int = 64):
        super().__init__()
        self.kwargs = {"obs_shape": list(obs_shape), "n_outputs": int(n_outputs), "kind": kind}
        self.kwargs["hidden"] = int(hidden)
        self.pi_encoder = WindowEncoder(obs_shape, kind, hidden)
        self.vf_encoder = WindowEncoder(obs_shape, kind, hidden)
        self.pi_head = nn.Linear(hidden, n_outputs)
        self.vf_head = nn.Linear(hidden, 1)
        nn.init.orthogonal_(self.pi_head.weight, gain=0.01)  # near-uniform first policy
        nn.init.zeros_(self.pi_head.bias)

    def policy(self, observations: torch.Tensor) -> torch.Tensor:
        """(batch, n_outputs) distribution inputs."""
        return self.pi_head(self.pi_encoder(observations))

    def value(self, observations: torch.Tensor) -> torch.Tensor:
        """(batch,) state values."""
        return self.vf_head(self.vf_encoder(observations)).squeeze(-1)


def _space_record(space: spaces.Space) -> dict[str, Any]:
    if isinstance(space, spaces.Discrete):
        return {"kind": "discrete", "n": int(space.n), "start": int(space.start)}
    return {
        "kind": "box",
        "low": np.asarray(space.low, dtype=np.float64).tolist(),
        "high": np.asarray(space.high, dtype=np.float64).tolist(),
        "shape": list(space.shape),
        "dtype": str(space.dtype),
    }


def _space_from_record(record: dict[str, Any]) -> spaces.Space:
    if record["kind"] == "discrete":
        return spaces.Discrete(record["n"], start=record["start"])
    dtype = np.dtype(record["dtype"])
    return spaces.Box(
        np.asarray(record["low"], dtype=dtype).reshape(record["shape"]),
        np.asarray(record["high"], dtype=dtype).reshape(record["shape"]),
        dtype=dtype,
    )


def save_policy_file(
    path: str | Path,
    net: WindowNet,
    observation_space: spaces.Box,
    action_space: spaces.Space,
    normalize_actions: bool = True,
) -> None:
    """Write the weights, the net's arguments and both spaces: everything :class:`WindowNetPolicy` needs.

    ``normalize_actions`` records that the Gaussian's mean lives in [-1, 1] and is mapped onto the Box
    bounds (RLlib's default), so evaluation acts exactly as the trained policy does.
    """
    torch.save(
        {
            "format": FORMAT,
            "net": dict(net.kwargs),
            "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
            "observation_shape": list(observation_space.shape),
            "observation_dtype": str(observation_space.dtype),
            "action_space": _space_record(action_space),
            "normalize_actions": bool(normalize_actions),
        },
        path,
    )


class WindowNetPolicy(Policy):
    """A :class:`WindowNet` policy file acting for every agent: (B, N, k, k, C) -> (B, N, ...).

    Args:
        path: the ``.pt`` file written by :func:`save_policy_file` (a run's ``model.pt``).
        deterministic: the distribution's mode (default) rather than a sample.
        seed: seed of the sampling generator when not deterministic.
    """

    def __init__(self, path: str | Path, deterministic: bool = True, seed: int | None = None):
        data = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{path} is not a swarmgym window-net policy file ({FORMAT})")
        kwargs = dict(data["net"])
        self.net = WindowNet(tuple(kwargs.pop("obs_shape")), **kwargs)
        self.net.load_state_dict(data["state_dict"])
        self.net.eval()
        dtype = np.dtype(data["observation_dtype"])
        low, high = (np.iinfo(dtype).min, np.iinfo(dtype).max) if dtype.kind in "ui" else (-np.inf, np.inf)
        self.observation_space = spaces.Box(low, high, tuple(data["observation_shape"]), dtype=dtype)
        self.action_space = _space_from_record(data["action_space"])
        self.normalize_actions = data["normalize_actions"]
        self.deterministic = deterministic
        self.generator = torch.Generator().manual_seed(0 if seed is None else int(seed))

    def reset(self, seed: int | None = None) -> None:
        """Restart the sampling generator."""
        self.generator = torch.Generator().manual_seed(0 if seed is None else int(seed))

    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """One forward pass over all copies and agents."""
        batch_shape = observations.shape[:2]
        flat = torch.as_tensor(np.ascontiguousarray(observations).reshape(-1, *observations.shape[2:]))
        with torch.no_grad():
            out = self.net.policy(flat)
        space = self.action_space
        if isinstance(space, spaces.Discrete):
            if self.deterministic:
                actions = out.argmax(-1)
            else:
                actions = torch.multinomial(torch.softmax(out, -1), 1, generator=self.generator)[:, 0]
            return (actions.numpy() + space.start).reshape(batch_shape)
        mean, log_std = out.chunk(2, dim=-1)
        if not self.deterministic:
            mean = mean + log_std.exp() * torch.randn(mean.shape, generator=self.generator)
        actions = mean.numpy().astype(np.float64)
        if self.normalize_actions:
            actions = space.low.reshape(-1) + (actions + 1.0) * (space.high - space.low).reshape(-1) / 2.0
        actions = np.clip(actions, space.low.reshape(-1), space.high.reshape(-1)).astype(space.dtype)
        return actions.reshape(*batch_shape, *space.shape)
