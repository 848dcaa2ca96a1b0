"""What MF-Q and MF-AC share: the env as flat agent rows, action discretisation, the network, the Policy.

Mean-field agents (Yang et al. 2018) condition on ā, the mean action of the neighbours in view, which
every env supplies as ``info["agent"]["neighbour_mean_action"]`` (B, N, A): the mean one-hot previous
action for a Discrete env (zeros with nobody in view), the mean action vector for a Box env. As in the
authors' public code, an agent acts on the previous step's ā (the current one is not known yet), and
the replay stores that same ā with the transition and the one after the step as ā'.

Discretisation (where an env's action is continuous): the learners need a finite action set. An env
whose config offers discrete actions is trained with that option (see
:data:`swarmgym.training.LEARNING_DEFAULTS`); any remaining ``Box`` action space is discretised here by
:class:`ActionTable`: ``bins`` evenly spaced levels per dimension from low to high (the product grid
for several dimensions; 5 levels of a symmetric 1-D Box are low, low/2, 0, high/2, high). ā then stays
the env's mean action vector.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

import swarmgym
from swarmgym_agents.base import SeededPolicy
from swarmgym_agents.preferences import Preference, RewardTransform


class ActionTable:
    """Maps discrete indices 0..n-1 to env actions: identity for ``Discrete``, a grid for a ``Box``."""

    def __init__(self, space: spaces.Space, bins: int = 5):
        self.space = space
        if isinstance(space, spaces.Discrete):
            self.values = None
            self.n = int(space.n)
        elif isinstance(space, spaces.Box):
            if space.shape and int(np.prod(space.shape)) > 2:
                raise ValueError(f"discretising a Box of more than 2 dimensions is not supported: {space}")
            low, high = space.low.ravel(), space.high.ravel()
            axes = [np.linspace(lo, hi, bins) for lo, hi in zip(low, high)]
            grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
            self.values = grid.reshape(-1, *space.shape).astype(space.dtype)
            self.n = len(self.values)
        else:
            raise TypeError(f"mean-field agents need a Discrete or Box action space, got {space!r}")

    def __call__(self, index: np.ndarray) -> np.ndarray:
        """Env actions for (…) indices: the indices themselves, or (…, *box_shape) values."""
        if self.values is None:
            return index + int(self.space.start)
        return self.values[index]


class MeanFieldEnv:
    """``swarmgym.make_vec`` as M = B * N rows of (observation, ā), stepped with discrete action indices.

    ``preference`` (see :mod:`swarmgym_agents.preferences`) transforms the rewards the learner trains on;
    the env's own (true, selfish) rewards stay in ``true_reward`` and in the vector env's info.
    """

    def __init__(
        self,
        env_id: str,
        num_copies: int,
        max_cycles: int | None,
        bins: int = 5,
        preference: dict[str, Any] | None = None,
        **config: Any,
    ):
        self.venv = swarmgym.make_vec(env_id, num_envs=num_copies, max_cycles=max_cycles, **config)
        self.num_copies, self.num_agents = self.venv.num_envs, self.venv.num_agents
        self.transform = RewardTransform(preference, self.num_copies, self.num_agents)
        self.rows = self.num_copies * self.num_agents
        self.actions = ActionTable(self.venv.action_space, bins)
        self.obs_shape = tuple(self.venv.observation_space.shape)
        self.last_info: dict[str, Any] = {}

    def _flat(self, array: np.ndarray) -> np.ndarray:
        return array.reshape(self.rows, *array.shape[2:])

    def reset(self, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
        """(M, *obs) observations and (M, A) ā; copy b seeded ``seed + b``."""
        observations, info = self.venv.reset(seed=seed)
        self.transform.reset()
        self.last_info = info
        return self._flat(observations), self._flat(info["agent"]["neighbour_mean_action"]).astype(np.float32)

    def step(self, index: np.ndarray) -> dict[str, np.ndarray]:
        """Step with (M,) action indices.

        Returns ``obs``/``abar`` (M, ...) to act on next, ``next_obs``/``next_abar`` (M, ...) the true
        successors for learning (the last state of a finished episode, not the restart), ``reward`` (M,)
        the reward to learn from (transformed by the preference), ``true_reward`` (M,) the env's,
        ``terminal`` (M,) termination only (a time-limit end is bootstrapped), ``done`` (B,) copies
        that ended, and ``info`` the vector env's info.
        """
        actions = self.actions(index.reshape(self.num_copies, self.num_agents))
        observations, rewards, terminated, _, info = self.venv.step(actions)
        self.last_info = info
        learned = self.transform(rewards, info["done"])
        abar = info["agent"]["neighbour_mean_action"]
        next_obs, next_abar = observations, abar
        if info["done"].any():
            done = info["done"]
            next_obs = np.where(done[:, None, None, None, None], info["final_observation"], observations)
            final_abar = info.get("final_agent", info["agent"])["neighbour_mean_action"]
            next_abar = np.where(done[:, None, None], final_abar, abar)
        return {
            "obs": self._flat(observations),
            "abar": self._flat(abar).astype(np.float32),
            "next_obs": self._flat(next_obs),
            "next_abar": self._flat(next_abar).astype(np.float32),
            "reward": learned.reshape(-1).astype(np.float32),
            "true_reward": rewards.reshape(-1).astype(np.float32),
            "terminal": terminated.reshape(-1),
            "done": info["done"],
            "info": info,
        }


class MeanFieldNet(nn.Module):
    """MLP over [flattened view, ā] -> one output per discrete action (Q values or logits).

    ``abar_dim = 0`` gives a network of the view alone (the MF-AC actor).
    """

    def __init__(self, obs_shape: tuple[int, ...], abar_dim: int, n_actions: int, hidden: int = 64):
        super().__init__()
        self.obs_shape, self.abar_dim, self.n_actions, self.hidden = (
            tuple(obs_shape),
            abar_dim,
            n_actions,
            hidden,
        )
        self.body = nn.Sequential(
            nn.Linear(int(np.prod(obs_shape)) + abar_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_actions),
        )

    def forward(self, obs: torch.Tensor, abar: torch.Tensor | None = None) -> torch.Tensor:
        """(M, *obs_shape), (M, abar_dim) -> (M, n_actions)."""
        x = obs.reshape(obs.shape[0], -1).float()
        if self.abar_dim:
            x = torch.cat([x, abar], dim=1)
        return self.body(x)

    def spec(self) -> dict[str, Any]:
        """Constructor arguments, saved in checkpoints."""
        return {
            "obs_shape": list(self.obs_shape),
            "abar_dim": self.abar_dim,
            "n_actions": self.n_actions,
            "hidden": self.hidden,
        }


def set_determinism(seed: int) -> None:
    """Seed torch (CPU), one thread, deterministic kernels: same seed -> same training."""
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def load_checkpoint(path: str | Path, algo: str) -> dict[str, Any]:
    """A mean-field checkpoint dict, or ``ValueError`` when missing, corrupt or of another algorithm."""
    path = Path(path)
    if path.is_dir():
        path = path / "model.pt"
    if not path.is_file():
        raise ValueError(f"{algo} checkpoint not found: {path}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a damaged file
        raise ValueError(f"corrupt {algo} checkpoint {path}: {error}") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("algo") != algo:
        found = checkpoint.get("algo") if isinstance(checkpoint, dict) else type(checkpoint).__name__
        raise ValueError(f"{path} is not an {algo} checkpoint (found {found!r})")
    return checkpoint


class MeanFieldPolicy(SeededPolicy):
    """A trained MF-Q or MF-AC network acting for every agent, (B, N, k, k, C) -> (B, N, ...).

    MF-Q acts on Q(o, ·, ā) with ā from ``info["agent"]["neighbour_mean_action"]``; MF-AC on its actor
    π(· | o). ``temperature = 0`` takes the best action; ``> 0`` samples the Boltzmann policy exp(Q / T)
    from a seeded generator. By default (None) the policy acts as it was trained: MF-Q by its Boltzmann
    policy at the final inverse temperature, T = 1 / β_end (Yang et al. 2018 define MF-Q's policy as
    that Boltzmann policy; a greedy MF-Q is another policy, e.g. four greedy harvesters that freeze in
    commons), MF-AC by its actor's most likely action. Checkpoints written before the temperature was
    recorded act greedily.
    """

    def __init__(self, checkpoint: dict[str, Any], temperature: float | None = None, seed: int | None = None):
        super().__init__(seed)
        if temperature is None:
            temperature = float(checkpoint.get("temperature", 0.0))
        if not (np.isfinite(temperature) and temperature >= 0):
            raise ValueError(f"temperature must be a finite number >= 0 (0: greedy), got {temperature!r}")
        self.algo = checkpoint["algo"]
        key = "q" if self.algo == "mfq" else "actor"
        self.net = MeanFieldNet(**checkpoint[f"{key}_spec"])
        self.net.load_state_dict(checkpoint[key])
        self.net.eval()
        self.action_space = _space_from(checkpoint)
        self.actions = ActionTable(self.action_space, int(checkpoint["bins"]))
        self.temperature = temperature

    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """Actions of every agent from one batched forward pass."""
        batch_shape = observations.shape[:2]
        obs = torch.as_tensor(observations.reshape(-1, *observations.shape[2:]))
        abar = None
        if self.net.abar_dim:
            abar = torch.as_tensor(
                info["agent"]["neighbour_mean_action"].reshape(obs.shape[0], -1), dtype=torch.float32
            )
        with torch.no_grad():
            scores = self.net(obs, abar).numpy()
        if self.temperature > 0:
            logits = scores / self.temperature
            gumbel = -np.log(-np.log(self.rng.random(logits.shape)))
            index = (logits + gumbel).argmax(axis=1)
        else:
            index = scores.argmax(axis=1)
        return self.actions(index.reshape(batch_shape))


def space_record(space: spaces.Space) -> dict[str, Any]:
    """A JSON/torch-safe record of an action space, to rebuild the action table at load time."""
    if isinstance(space, spaces.Discrete):
        return {"kind": "discrete", "n": int(space.n), "start": int(space.start)}
    return {
        "kind": "box",
        "low": space.low.tolist(),
        "high": space.high.tolist(),
        "shape": list(space.shape),
        "dtype": str(space.dtype),
    }


def _space_from(checkpoint: dict[str, Any]) -> spaces.Space:
    record = checkpoint["action_space"]
    if record["kind"] == "discrete":
        return spaces.Discrete(record["n"], start=record["start"])
    dtype = np.dtype(record["dtype"])
    low, high = np.array(record["low"], dtype=dtype), np.array(record["high"], dtype=dtype)
    return spaces.Box(low, high, tuple(record["shape"]), dtype)


class MeanFieldLearner:
    """Plumbing shared by the MF-Q and MF-AC trainers (``swarmgym train``): create, save, load.

    Subclasses name their ``args_cls``, the attributes whose ``state_dict`` a checkpoint holds
    (``modules``), the networks whose ``spec()`` a policy needs to rebuild them (``networks``) and
    their integer ``counters``.
    """

    algo: ClassVar[str]
    args_cls: ClassVar[type]
    modules: ClassVar[tuple[str, ...]]
    networks: ClassVar[tuple[str, ...]]
    counters: ClassVar[tuple[str, ...]] = ("steps",)
    suffix = ".pt"

    def __init__(
        self,
        env_id: str,
        config: dict,
        seed: int,
        num_copies: int,
        max_cycles: int | None,
        args,
        preference: dict[str, Any] | None = None,
    ):
        """Seed everything, build the flat-row env and take its first observation; subclasses add nets.

        ``preference`` is the social preference the learner trains with (None: selfish).
        """
        set_determinism(seed)
        self.args, self.seed = args, seed
        self.preference = Preference.parse(preference)
        self.env = MeanFieldEnv(
            env_id, num_copies, max_cycles, bins=args.bins, preference=self.preference.record(), **config
        )
        self.obs, self.abar = self.env.reset(seed)
        self.rng = np.random.default_rng(seed)
        for name in self.counters:
            setattr(self, name, 0)

    @classmethod
    def create(
        cls,
        env_id: str,
        config: dict,
        seed: int,
        num_copies: int,
        max_cycles: int | None,
        preference: dict[str, Any] | None = None,
        **hyper,
    ):
        """A fresh learner; ``hyper`` overrides the fields of ``args_cls`` (``preference``: see __init__)."""
        return cls(env_id, config, seed, num_copies, max_cycles, cls.args_cls(**hyper), preference=preference)

    @classmethod
    def load(
        cls,
        path: str | Path,
        env_id: str,
        config: dict,
        seed: int,
        num_copies: int,
        max_cycles: int | None,
        preference: dict[str, Any] | None = None,
        **hyper,
    ):
        """Resume from a checkpoint; env and generators restart seeded ``seed + steps``."""
        checkpoint = load_checkpoint(path, cls.algo)
        args = cls.args_cls(**hyper)
        resumed = seed + int(checkpoint["steps"])
        learner = cls(env_id, config, resumed, num_copies, max_cycles, args, preference=preference)
        for name in cls.modules:
            getattr(learner, name).load_state_dict(checkpoint[name])
        for name in cls.counters:
            setattr(learner, name, int(checkpoint[name]))
        learner.seed = seed
        return learner

    def save(self, path: str | Path) -> None:
        """Write the modules, network specs, counters and what loading a policy needs, to ``path``."""
        torch.save(
            {
                "algo": self.algo,
                **{name: getattr(self, name).state_dict() for name in self.modules},
                **{f"{name}_spec": getattr(self, name).spec() for name in self.networks},
                **{name: getattr(self, name) for name in self.counters},
                "bins": self.args.bins,
                "action_space": space_record(self.env.venv.action_space),
                "preference": self.preference.record(),
                "temperature": self.policy_temperature(),
            },
            path,
        )

    def policy_temperature(self) -> float:
        """The temperature the trained policy acts with (0: the best action); see :class:`MeanFieldPolicy`."""
        return 0.0

    def hyper(self) -> dict[str, Any]:
        """The hyperparameters as a dict (recorded in run.json)."""
        return asdict(self.args)
