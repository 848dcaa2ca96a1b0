"""Social outcome metrics (Perolat et al. 2017) by hand: equality, Gini, efficiency, sustainability, peace."""

import numpy as np
import pytest

from swarmgym.metrics.social import efficiency, equality, gini, peace, social_outcomes, sustainability


def test_equality_exact_cases():
    assert equality(np.full(7, 3.0)) == pytest.approx(1.0)
    for n in (2, 5, 10):
        one_holder = np.zeros(n)
        one_holder[n // 2] = 12.0
        assert equality(one_holder) == pytest.approx(1.0 / n)
    assert equality(np.zeros(4)) == pytest.approx(1.0)  # documented convention: nobody earned anything


def test_gini_hand_cases_and_batch_axis():
    assert gini(np.array([0.0, 0.0, 1.0, 1.0])) == pytest.approx(8 / 16)  # Σ|xi - xj| = 8, 2 N Σx = 16
    assert gini(np.array([1.0, 2.0, 3.0])) == pytest.approx(8 / 36)
    x = np.random.default_rng(0).random((3, 9))
    brute = np.abs(x[:, :, None] - x[:, None, :]).sum(axis=(1, 2)) / (2 * 9 * x.sum(axis=1))
    np.testing.assert_allclose(gini(x), brute)


def test_efficiency_sustainability_peace_raw_forms():
    assert efficiency(np.array([3.0, 1.0]), 4) == pytest.approx(1.0)
    # Agent 0 rewarded at t = 4 and 6 (mean 5), agent 1 never (contributes 0): S = 5 / 2.
    assert sustainability(np.array([10, 0]), np.array([2, 0])) == pytest.approx(2.5)
    assert peace(np.zeros(6), 1000) == pytest.approx(6.0)  # nobody tagged: P = N
    assert peace(np.array([25, 0]), 100) == pytest.approx(1.75)
    out = social_outcomes(np.ones((2, 4)), np.full((2, 4), 50), np.ones((2, 4)), np.zeros((2, 4)), 100)
    np.testing.assert_allclose(out["peace"], 4.0)
    np.testing.assert_allclose(out["peace_fraction"], 1.0)
    np.testing.assert_allclose(out["efficiency_per_agent"], 0.01)
    np.testing.assert_allclose(out["sustainability_fraction"], 0.5)
