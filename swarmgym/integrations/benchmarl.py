"""BenchMARL (1.5.2) tasks for every swarmgym env, and model configs that fit k×k windows.

BenchMARL's own PettingZoo tasks name PettingZoo's envs only, its default CNN (three unpadded 3×3
convolutions) cannot read a 5×5 window, and its MLP takes one feature dim and float inputs. Here:

* :class:`SwarmGymTask` has one member per env (``FLOCKING``, ``CONSENSUS``, ``SEGREGATION``,
  ``COMMONS``); ``get_task()`` gives the env's learning preset and episode length, ``get_task(config)``
  your own (env config keys plus ``max_cycles``). The env is TorchRL's ``PettingZooWrapper`` around
  ``swarmgym.make``: one group ``"agent"`` of N agents, observations ``(N, k, k, C)`` cast to float32
  by an env transform (uint8 views included), rewards per agent, the env's metrics under
  ``("agent", "info")`` and logged as ``swarmgym/<metric>`` means.
* :func:`window_cnn_config` (3×3 convolutions with padding 1, any k >= 1) and :func:`window_mlp_config`
  (``num_feature_dims=3``: flattens the window) are the model configs to pass as ``model_config`` and
  ``critic_model_config``.

MAPPO / IPPO / MASAC from a few lines::

    from benchmarl.algorithms import MappoConfig
    from benchmarl.experiment import Experiment, ExperimentConfig
    from swarmgym.integrations.benchmarl import SwarmGymTask, window_cnn_config, window_mlp_config

    experiment = Experiment(
        task=SwarmGymTask.SEGREGATION.get_task(),
        algorithm_config=MappoConfig.get_from_yaml(),
        model_config=window_cnn_config(),
        critic_model_config=window_mlp_config(),
        seed=0,
        config=ExperimentConfig.get_from_yaml(),
    )
    experiment.run()

Flocking's action is continuous by default; with ``prefer_continuous_actions=False`` in the experiment
config it trains the env's discrete turn table (``action_type="discrete"``). Consensus is continuous
only, segregation and commons discrete only (MASAC trains both kinds).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from benchmarl.environments.common import Task
from benchmarl.environments.pettingzoo.common import PettingZooClass
from benchmarl.models.cnn import CnnConfig
from benchmarl.models.mlp import MlpConfig
from gymnasium import spaces
from tensordict import TensorDictBase
from torch import nn
from torchrl.envs import DTypeCastTransform, EnvBase, PettingZooWrapper, Transform

import swarmgym
from swarmgym.registry import spec

ENV_IDS = {
    "FLOCKING": "flocking_v0",
    "CONSENSUS": "consensus_v0",
    "SEGREGATION": "segregation_v0",
    "COMMONS": "commons_v0",
}
"""Task member name -> swarmgym env id."""


def default_config(env_id: str) -> dict[str, Any]:
    """The env's learning preset plus its learning ``max_cycles``: what ``get_task()`` trains on."""
    env_spec = spec(env_id)
    return {**env_spec.preset(env_spec.learning.preset), "max_cycles": env_spec.learning.max_cycles}


class SwarmGymClass(PettingZooClass):
    """BenchMARL task class of a swarmgym env (PettingZoo's class, built with ``swarmgym.make``)."""

    @property
    def env_id(self) -> str:
        """The swarmgym env id of this task."""
        return ENV_IDS[self.name]

    def _env_config(self, continuous_actions: bool | None = None) -> tuple[dict[str, Any], int]:
        config = copy.deepcopy(dict(self.config))
        max_cycles = int(config.pop("max_cycles", spec(self.env_id).learning.max_cycles))
        if continuous_actions is not None and self.env_id == "flocking_v0":
            config["action_type"] = "continuous" if continuous_actions else "discrete"
        return config, max_cycles

    def _action_space(self, continuous_actions: bool | None = None) -> spaces.Space:
        config, _ = self._env_config(continuous_actions)
        return swarmgym.make_model(self.env_id, **config).action_space

    def get_env_fun(
        self, num_envs: int, continuous_actions: bool, seed: int | None, device: Any
    ) -> Callable[[], EnvBase]:
        """A creator of one env (BenchMARL runs ``num_envs`` of them in a ``SerialEnv``)."""
        config, max_cycles = self._env_config(continuous_actions)
        env_id = self.env_id
        swarmgym.make_model(env_id, **config)  # a bad config fails here, not inside a worker

        def make() -> EnvBase:
            env = swarmgym.make(env_id, max_cycles=max_cycles, render_mode="rgb_array", **config)
            return PettingZooWrapper(
                env, categorical_actions=True, use_mask=False, return_state=False, device=device, seed=seed
            )

        return make

    def supports_continuous_actions(self) -> bool:
        """Box-action envs (flocking, consensus)."""
        if self.env_id == "flocking_v0" and "action_type" not in self.config:
            return True
        return isinstance(self._action_space(), spaces.Box)

    def supports_discrete_actions(self) -> bool:
        """Discrete-action envs (segregation, commons; flocking's turn table)."""
        if self.env_id == "flocking_v0" and "action_type" not in self.config:
            return True
        return isinstance(self._action_space(), spaces.Discrete)

    def has_state(self) -> bool:
        """No global state: every agent sees its own window."""
        return False

    def max_steps(self, env: EnvBase) -> int:
        """The episode length (evaluation rollouts)."""
        return self._env_config()[1]

    def get_env_transforms(self, env: EnvBase) -> list[Transform]:
        """Observations to float32 (uint8 views too), so MLPs and CNNs read every env alike."""
        keys = [
            (group, "observation")
            for group in self.group_map(env)
            if env.observation_spec[group, "observation"].dtype != torch.float32
        ]
        if not keys:
            return []
        dtype = env.observation_spec[keys[0]].dtype
        return [DTypeCastTransform(dtype_in=dtype, dtype_out=torch.float32, in_keys=keys, in_keys_inv=[])]

    @staticmethod
    def log_info(batch: TensorDictBase) -> dict[str, float]:
        """The env's metrics (every agent carries the same per step): mean over the collected batch."""
        out = {}
        following = batch.get("next")
        for group in following.keys():
            entry = following.get(group)
            if isinstance(entry, TensorDictBase) and "info" in entry.keys():
                for name, value in entry.get("info").items():
                    out[f"swarmgym/{name}"] = value.float().mean().item()
        return out

    @staticmethod
    def env_name() -> str:
        """Folder name BenchMARL uses for this environment (results, logs)."""
        return "swarmgym"


class SwarmGymTask(Task):
    """The swarmgym tasks: ``SwarmGymTask.COMMONS.get_task()`` (learning preset) or ``get_task(config)``."""

    FLOCKING = None
    CONSENSUS = None
    SEGREGATION = None
    COMMONS = None

    @staticmethod
    def associated_class() -> type[SwarmGymClass]:
        """BenchMARL's hook: the task class of these members."""
        return SwarmGymClass

    def get_from_yaml(self, path: str | None = None) -> SwarmGymClass:
        """The env's learning defaults (no YAML ships with swarmgym); a YAML file when ``path`` is given."""
        if path is not None:
            return super().get_from_yaml(path)
        return self.get_task(config=default_config(ENV_IDS[self.name]))


def window_cnn_config(
    channels: tuple[int, ...] = (32, 32), hidden: tuple[int, ...] = (64,), activation: type = nn.Tanh
) -> CnnConfig:
    """BenchMARL CNN for (k, k, C) windows: 3×3 convolutions, padding 1 (keeps the k×k grid), then an MLP."""
    return CnnConfig(
        cnn_num_cells=list(channels),
        cnn_kernel_sizes=3,
        cnn_strides=1,
        cnn_paddings=1,
        cnn_activation_class=activation,
        mlp_num_cells=list(hidden),
        mlp_layer_class=nn.Linear,
        mlp_activation_class=activation,
    )


def window_mlp_config(hidden: tuple[int, ...] = (64, 64), activation: type = nn.Tanh) -> MlpConfig:
    """BenchMARL MLP over the flattened (k, k, C) window (``num_feature_dims=3``)."""
    return MlpConfig(
        num_cells=list(hidden), layer_class=nn.Linear, activation_class=activation, num_feature_dims=3
    )
