"""Encoders for k×k×C egocentric windows, shared by the SB3 policy, the RLlib module and exported policies.

Library defaults do not fit swarmgym views: SB3's ``NatureCNN`` starts with an 8×8 kernel and RLlib has
no default CNN for a (5, 5, 3) input, so both fail on every env. :class:`WindowEncoder` uses 3×3
convolutions with padding 1, which keep the k×k grid intact and therefore work from k = 3 (k = 1 too),
for any channel count and any input dtype (uint8 views are cast to float, not rescaled: swarmgym
channels are already counts, one-hots or bounded floats). The ``"mlp"`` kind flattens the window.

:class:`WindowCNN` is the SB3 features extractor (``swarmgym train --policy cnn``); ``ViewCNN`` is the
older extractor (one padded and one strided 3×3 convolution) kept so saved models still load.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

ENCODER_KINDS = ("mlp", "cnn")


class WindowEncoder(nn.Module):
    """(batch, k, k, C) windows of any dtype -> (batch, features) floats, by an MLP or a 3×3 CNN.

    Args:
        obs_shape: the (k, k, C) window shape (channels last).
        kind: ``"cnn"`` (3×3 convolutions, padding 1, then a linear layer) or ``"mlp"`` (flatten, then
            linear layers).
        features: width of the output (and of the MLP's hidden layers).
        channels: output channels of each convolution (``"cnn"`` only).
    """

    def __init__(
        self,
        obs_shape: Sequence[int],
        kind: str = "cnn",
        features: int = 64,
        channels: Sequence[int] = (32, 32),
    ):
        super().__init__()
        if kind not in ENCODER_KINDS:
            raise ValueError(f"unknown encoder kind {kind!r}; choose from {list(ENCODER_KINDS)}")
        if len(obs_shape) != 3:
            raise ValueError(f"WindowEncoder needs a (k, k, C) window, got shape {tuple(obs_shape)}")
        self.obs_shape = tuple(int(n) for n in obs_shape)
        self.kind = kind
        self.features = int(features)
        height, width, depth = self.obs_shape
        if kind == "cnn":
            layers: list[nn.Module] = []
            previous = depth
            for out in channels:
                layers += [nn.Conv2d(previous, int(out), 3, padding=1), nn.ReLU()]
                previous = int(out)
            self.body = nn.Sequential(*layers, nn.Flatten())
            flat = previous * height * width
            self.head = nn.Sequential(nn.Linear(flat, self.features), nn.ReLU())
        else:
            self.body = nn.Flatten()
            self.head = nn.Sequential(
                nn.Linear(height * width * depth, self.features),
                nn.ReLU(),
                nn.Linear(self.features, self.features),
                nn.ReLU(),
            )

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        """Cast to float (uint8 views arrive as they are) and encode."""
        x = observations.float()
        if self.kind == "cnn":
            x = x.permute(0, 3, 1, 2)
        return self.head(self.body(x))


class WindowCNN(BaseFeaturesExtractor):
    """SB3 features extractor: :class:`WindowEncoder` with 3×3 convolutions (``policy="cnn"``)."""

    def __init__(
        self, observation_space: spaces.Box, features_dim: int = 128, channels: Sequence[int] = (32, 32)
    ):
        super().__init__(observation_space, features_dim)
        self.encoder = WindowEncoder(observation_space.shape, "cnn", features_dim, channels)

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        """(batch, k, k, C) -> (batch, features_dim)."""
        return self.encoder(observations)


class ViewCNN(BaseFeaturesExtractor):
    """The earlier extractor (3×3 padded, then 3×3 stride 2); kept so models saved with it still load."""

    def __init__(self, observation_space: spaces.Box, features_dim: int = 128):
        super().__init__(observation_space, features_dim)
        channels = observation_space.shape[-1]
        self.conv = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, stride=2),
            nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            sample = torch.zeros(1, channels, *observation_space.shape[:2])
            flat = self.conv(sample).shape[1]
        self.linear = nn.Sequential(nn.Linear(flat, features_dim), nn.ReLU())

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        """(batch, k, k, C) -> (batch, features_dim)."""
        return self.linear(self.conv(observations.permute(0, 3, 1, 2)))
