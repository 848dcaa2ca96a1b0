"""resolve_claims (the compiled claim resolution of the lattice envs) against brute force."""

import numpy as np
import pytest

from swarmgym.core.lattice import resolve_claims


def brute_winners(claims, target, priority):
    winners = np.zeros(claims.shape, dtype=bool)
    for b, i in zip(*np.nonzero(claims)):
        rivals = claims[b] & (target[b] == target[b, i])
        winners[b, i] = priority[b, i] == priority[b][rivals].max()
    return winners


@pytest.mark.parametrize("seed", range(5))
def test_highest_priority_wins_per_cell_and_copy_ties_all_win(seed):
    rng = np.random.default_rng(seed)
    batch, n, n_cells = 3, 40, 12
    claims = rng.random((batch, n)) < 0.7
    target = np.where(claims, rng.integers(0, n_cells, (batch, n)), 10**9)  # unclaimed targets are ignored
    priority = rng.integers(0, 6, (batch, n)) / 6.0  # coarse: many ties
    draws = np.stack([rng.random((batch, n)), priority], axis=-1)  # a strided view, as the envs pass
    got = resolve_claims(claims, target, draws[..., 1], n_cells)
    np.testing.assert_array_equal(got, brute_winners(claims, target, priority))


def test_hand_made_case():
    claims = np.array([[True, True, False, True], [True, False, True, True]])
    target = np.array([[2, 2, 2, 5], [2, 0, 2, 3]])
    priority = np.array([[0.1, 0.9, 1.0, 0.2], [0.5, 0.9, 0.4, 0.0]])
    expected = [[False, True, False, True], [True, False, False, True]]
    assert resolve_claims(claims, target, priority, 6).tolist() == expected
