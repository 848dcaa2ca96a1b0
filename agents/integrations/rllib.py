"""RLlib (Ray 2.60, new API stack): the RLModule for swarmgym's k×k windows.

RLlib has no default CNN for a (5, 5, 3) window (``No default CNN configuration for obs shape``) and
on the new stack uint8 observations reach the network uncast. :class:`WindowPPOModule` is an RLModule
for (k, k, C) windows of any channel count and dtype (3×3 CNN or MLP trunks,
:class:`~swarmgym_agents.integrations.window_net.WindowNet`); PPO trains it as is. The trainer is
:func:`swarmgym.training.rllib.train_rllib`; the env adapters are in :mod:`swarmgym.integrations.rllib`.

Use it in your own RLlib config::

    from ray.rllib.core.rl_module.rl_module import RLModuleSpec
    from swarmgym_agents.integrations.rllib import WindowPPOModule

    config.rl_module(rl_module_spec=RLModuleSpec(module_class=WindowPPOModule,
                                                 model_config={"kind": "cnn", "hidden": 64}))
"""

from __future__ import annotations

from typing import Any

import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.apis.value_function_api import ValueFunctionAPI
from ray.rllib.core.rl_module.torch import TorchRLModule

from swarmgym_agents.integrations.window_net import WindowNet, dist_inputs


class WindowPPOModule(TorchRLModule, ValueFunctionAPI):
    """RLModule for (k, k, C) windows: a :class:`WindowNet` (model_config keys ``kind``, ``hidden``).

    Observations of any dtype are cast to float inside the net, so uint8 views need no connector.
    Discrete actions get categorical logits, Box actions a diagonal Gaussian (RLlib's defaults).
    """

    def setup(self) -> None:
        """Build the net from the spaces and ``model_config``."""
        config = dict(self.model_config or {})
        self.net = WindowNet(
            tuple(self.observation_space.shape),
            dist_inputs(self.action_space),
            kind=config.get("kind", "cnn"),
            hidden=int(config.get("hidden", 64)),
        )

    def _forward(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {Columns.ACTION_DIST_INPUTS: self.net.policy(batch[Columns.OBS])}

    def _forward_train(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {Columns.ACTION_DIST_INPUTS: self.net.policy(batch[Columns.OBS])}

    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        """Value of each observation (the value trunk is separate: ``embeddings`` are not used)."""
        return self.net.value(batch[Columns.OBS])
