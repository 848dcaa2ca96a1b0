"""The TorchRL example (PettingZooWrapper, shared-parameter PPO) on every env with a tiny budget.

Skipped where torchrl is not installed.
"""

import importlib.util
import math
from pathlib import Path

import pytest

pytest.importorskip("torchrl")

from swarmgym.registry import spec  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "torchrl_ppo.py"


@pytest.fixture(scope="module")
def example():
    loader = importlib.util.spec_from_file_location("torchrl_ppo", EXAMPLE)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


@pytest.mark.parametrize("env_id", ["flocking_v0", "consensus_v0", "segregation_v0", "commons_v0"])
def test_torchrl_ppo_example_trains(example, env_id):
    log = example.train(env_id, frames=20, frames_per_batch=10, epochs=1, minibatch=64, max_cycles=5,
                        config=dict(spec(env_id).presets["small"]), hidden=16)
    assert [row["frames"] for row in log] == [10, 20]
    metric = spec(env_id).learning.main_metric
    assert all(math.isfinite(row[metric]) and math.isfinite(row["episode_return"]) for row in log)
