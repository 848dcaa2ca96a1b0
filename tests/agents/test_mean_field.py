"""The mean-field learners' action table."""

import numpy as np
from gymnasium import spaces

from swarmgym_agents.mean_field import ActionTable


def test_action_table_discretises_a_box_evenly():
    table = ActionTable(spaces.Box(-1.0, 1.0, (1,), np.float32), bins=5)
    assert table.n == 5
    np.testing.assert_allclose(table(np.array([[0, 2, 4]])), [[[-1.0], [0.0], [1.0]]])
    assert ActionTable(spaces.Discrete(3, start=1))(np.array([0, 2])).tolist() == [1, 3]
