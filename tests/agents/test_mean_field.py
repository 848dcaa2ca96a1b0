"""The mean-field learners' action table."""

import numpy as np
import pytest
from gymnasium import spaces

from swarmgym_agents.mean_field import ActionTable


def test_action_table_discretises_a_box_evenly():
    table = ActionTable(spaces.Box(-1.0, 1.0, (1,), np.float32), bins=5)
    assert table.n == 5
    np.testing.assert_allclose(table(np.array([[0, 2, 4]])), [[[-1.0], [0.0], [1.0]]])
    assert ActionTable(spaces.Discrete(3, start=1))(np.array([0, 2])).tolist() == [1, 3]


def test_mfq_acts_by_its_boltzmann_policy_at_the_final_temperature(tmp_path):
    import torch

    from swarmgym_agents.mean_field import MeanFieldPolicy
    from swarmgym_agents.mfq import MFQLearner

    small = {"size": 6, "vacancy": 0.3}
    learner = MFQLearner.create("segregation_v0", small, 0, 2, 10, anneal_steps=100, beta_start=1.0,
                                beta_end=8.0, learning_starts=20, batch_size=16, buffer_size=500)  # fmt: skip
    learner.train(200, lambda n: None, lambda *a: None)
    learner.save(tmp_path / "model.pt")
    checkpoint = torch.load(tmp_path / "model.pt", weights_only=False)
    assert checkpoint["temperature"] == 1.0 / 8.0
    assert MeanFieldPolicy(checkpoint, seed=0).temperature == 1.0 / 8.0
    assert MeanFieldPolicy(checkpoint, temperature=0.0, seed=0).temperature == 0.0
    for bad in (-0.1, float("nan")):
        with pytest.raises(ValueError, match="temperature must be a finite number >= 0"):
            MeanFieldPolicy(checkpoint, temperature=bad, seed=0)
    del checkpoint["temperature"]  # written before the temperature was recorded: greedy
    assert MeanFieldPolicy(checkpoint, seed=0).temperature == 0.0
