"""Time to emergence, normalisation and seed grouping by hand; results independent of --workers."""

import numpy as np
import pytest

from swarmgym.evaluation.runner import run_episodes, seed_groups
from swarmgym.evaluation.scores import normalise, time_to_emergence


def test_time_to_emergence_by_hand():
    series = np.array(
        [
            [0.1, 0.7, 0.8, 0.5, 0.9, 0.9],  # last dip at step 4: emerged from step 5
            [0.7, 0.7, 0.7, 0.7, 0.7, 0.7],  # above from the first step
            [0.9, 0.9, 0.9, 0.9, 0.9, 0.1],  # falls at the end: censored
            [0.1, 0.1, 0.1, 0.1, 0.1, 0.6],  # reaches the threshold exactly at the last step
        ]
    ).T  # (T, E)
    np.testing.assert_array_equal(time_to_emergence(series, 0.6), [5, 1, -1, 6])
    with pytest.raises(ValueError, match="T, E"):
        time_to_emergence(series[:, 0], 0.6)


def test_normalise_maps_random_to_zero_and_reference_to_one():
    np.testing.assert_allclose(normalise(np.array([0.2, 0.8, 1.4]), 0.2, 0.8), [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="both score"):
        normalise(np.array([1.0]), 0.5, 0.5)


def test_seed_groups_are_consecutive_chunks():
    assert seed_groups([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert seed_groups([1, 2, 7, 8, 9], 10) == [[1, 2], [7, 8, 9]]


def test_episodes_do_not_depend_on_the_number_of_workers():
    args = ("segregation_v0", {"size": 6, "vacancy": 0.3}, 8, "random", list(range(20, 24)), ["segregation"])
    one = run_episodes(*args, group_size=2, workers=1)
    two = run_episodes(*args, group_size=2, workers=2)
    assert one.seeds == two.seeds == list(range(20, 24))
    np.testing.assert_array_equal(one.series["segregation"], two.series["segregation"])
    for name in one.final:
        np.testing.assert_array_equal(one.final[name], two.final[name])
        np.testing.assert_array_equal(one.steady[name], two.steady[name])
    np.testing.assert_array_equal(one.returns, two.returns)
    assert one.series["segregation"].shape == (8, 4)
    with pytest.raises(ValueError, match="reports no metric"):
        run_episodes(*args[:5], ["no_such_metric"], group_size=4)
