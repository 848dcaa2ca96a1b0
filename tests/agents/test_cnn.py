"""The 3×3 window CNN: reads every env's window (any k >= 3, any dtype) and trains SB3 PPO (--policy cnn)."""

import json

import numpy as np
import pytest
import torch

import swarmgym
from swarmgym.cli import main
from swarmgym.registry import spec
from swarmgym_agents.cnn import WindowCNN, WindowEncoder
from swarmgym_agents.ppo_sb3 import DEFAULT_POLICY, PPOArgs, extractor_kwargs


@pytest.mark.parametrize("env_id", ["flocking_v0", "consensus_v0", "segregation_v0", "commons_v0"])
@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_window_encoder_reads_every_env_window(env_id, kind):
    space = swarmgym.make_model(env_id, **spec(env_id).presets["small"]).observation_space
    encoder = WindowEncoder(space.shape, kind, features=16)
    obs = torch.as_tensor(np.stack([space.sample() for _ in range(3)]))  # uint8 or float32 as the env
    assert encoder(obs).shape == (3, 16)


def test_cnn_works_from_a_3x3_window_where_sb3_naturecnn_cannot():
    from gymnasium import spaces

    space = spaces.Box(0, 255, (3, 3, 4), dtype=np.uint8)
    assert WindowCNN(space, features_dim=8)(torch.zeros(2, 3, 3, 4, dtype=torch.uint8)).shape == (2, 8)


def test_auto_policy_is_the_measured_default():
    assert DEFAULT_POLICY["segregation_v0"] == "mlp"
    assert extractor_kwargs("segregation_v0", (5, 5, 3), PPOArgs(policy="auto")) == {}
    cnn = extractor_kwargs("segregation_v0", (5, 5, 3), PPOArgs(policy="cnn"))
    assert cnn["features_extractor_class"] is WindowCNN


def test_swarmgym_train_policy_cnn(tmp_path):
    out = tmp_path / "run"
    argv = ["train", "commons_v0", "--policy", "cnn", "--steps", "64", "--copies", "1", "--max-cycles", "8",
            "--hyper", "n_steps=16", "--eval-seeds", "0", "--no-progress", "--out", str(out)]
    assert main(argv) == 0
    assert json.loads((out / "run.json").read_text())["hyper"]["policy"] == "cnn"
    policy_model = swarmgym.make_model("commons_v0", **spec("commons_v0").presets["small"])
    from swarmgym_agents import load_policy

    policy = load_policy(f"ppo:{out}", "commons_v0", policy_model)
    assert isinstance(policy.model.policy.features_extractor, WindowCNN)
