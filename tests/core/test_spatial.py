"""Neighbour search on a periodic or walled box against brute force."""

import math

import numpy as np
import pytest

from swarmgym.core.spatial import nearest_neighbour_distance, neighbour_pairs, squared_limit, unique_pairs


def brute_pairs(pos, box, torus, radius):
    batch, n = pos.shape[:2]
    found = {}
    for b in range(batch):
        for i in range(n):
            for j in range(n):
                d = pos[b, j] - pos[b, i]
                if torus:
                    d = d - box * np.round(d / box)
                if i != j and math.hypot(*d) < radius:
                    found[(b * n + i, b * n + j)] = d
    return found


@pytest.mark.parametrize("torus", [True, False])
def test_neighbour_pairs_match_brute_force(torus):
    rng = np.random.default_rng(3)
    for _ in range(12):
        batch, n = int(rng.integers(1, 4)), int(rng.integers(2, 40))
        box, radius = rng.uniform(1.0, 8.0), rng.uniform(0.1, 2.5)
        pos = rng.random((batch, n, 2)) * box
        pairs = neighbour_pairs(pos, box, torus, radius)
        expected = brute_pairs(pos, box, torus, radius)
        got = {(o, j): d for o, j, d in zip(pairs.owner.tolist(), pairs.neighbour.tolist(), pairs.offset)}
        assert len(got) == len(pairs) and got.keys() == expected.keys()
        for key, offset in got.items():
            np.testing.assert_allclose(offset, expected[key], atol=1e-12)
        np.testing.assert_allclose(pairs.distance, np.hypot(*pairs.offset.T))
        owners = rng.choice(batch * n, size=max(1, batch * n // 3), replace=False)
        subset = neighbour_pairs(pos, box, torus, radius, owners=owners)
        assert set(zip(subset.owner.tolist(), subset.neighbour.tolist())) == {
            key for key in expected if key[0] in set(owners.tolist())
        }


@pytest.mark.parametrize("torus", [True, False])
def test_unique_pairs_report_each_pair_once_across_ghost_cells(torus):
    rng = np.random.default_rng(5)
    for box, radius, n in ((12.0, 1.3, 150), (6.0, 1.0, 60), (3.0, 1.4, 25), (1.5, 1.4, 10)):
        pos = rng.random((2, n, 2)) * box
        pos[0, 0] = [0.0, 0.0]  # on the corner: ghosts on three sides
        pos[0, 1] = [box - 1e-9, box - 1e-9]
        pairs = unique_pairs(pos, box, torus, radius)
        expected = brute_pairs(pos, box, torus, radius)
        unordered = {tuple(sorted(key)) for key in zip(pairs.owner.tolist(), pairs.neighbour.tolist())}
        assert len(unordered) == len(pairs) == len(expected) // 2
        assert unordered == {key for key in expected if key[0] < key[1]}
        for o, j, d in zip(pairs.owner.tolist(), pairs.neighbour.tolist(), pairs.offset):
            np.testing.assert_allclose(d, expected[(o, j)], atol=1e-9)
        np.testing.assert_allclose(pairs.distance, np.hypot(*pairs.offset.T))


def test_nearest_neighbour_distance_matches_brute_force_even_for_isolated_agents():
    rng = np.random.default_rng(0)
    for torus in (True, False):
        pos = rng.random((2, 30, 2)) * 10.0
        nearest = nearest_neighbour_distance(pos, 10.0, torus, radius=0.5)
        for b in range(2):
            d = pos[b][None] - pos[b][:, None]
            if torus:
                d -= 10.0 * np.round(d / 10.0)
            dist = np.hypot(d[..., 0], d[..., 1]) + np.eye(30) * 1e9
            np.testing.assert_allclose(nearest[b], dist.min(axis=1))


@pytest.mark.parametrize("radius", [1.0, 0.1, 3.111269837220809, 2.0**0.5, 7.3e-3, 1e6])
def test_squared_limit_is_the_exact_threshold_of_sqrt(radius):
    """The search keeps squared distances below it: exactly the pairs with sqrt(squared) < radius."""
    limit = squared_limit(radius)
    assert np.sqrt(limit) >= radius
    assert np.sqrt(np.nextafter(limit, 0.0)) < radius
