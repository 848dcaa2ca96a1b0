"""The rliable-style statistics against hand-computed cases and a brute-force stratified bootstrap."""

import numpy as np
import pytest

from swarmgym.metrics.stats import (
    bootstrap_ci,
    interquartile_mean,
    iqm_ci,
    mean_ci,
    performance_profile,
    probability_of_improvement,
    probability_of_improvement_ci,
    stratified_bootstrap_ci,
)


def test_interquartile_mean_by_hand():
    assert interquartile_mean([1, 2, 3, 4, 5, 6, 7, 8]) == pytest.approx((3 + 4 + 5 + 6) / 4)
    assert interquartile_mean([100, 1, 2, 3]) == pytest.approx(2.5)  # the outliers 1 and 100 are cut
    assert interquartile_mean([5.0]) == 5.0


def test_bootstrap_of_constant_values_is_a_point():
    assert bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0)
    assert bootstrap_ci([2.0, 2.0, 2.0], interquartile_mean) == (2.0, 2.0)
    summary = iqm_ci([1.0, 1.0, 1.0, 1.0])
    assert summary["iqm_low"] == summary["iqm_high"] == summary["iqm"] == 1.0


def test_iqm_ci_vectorised_equals_the_per_sample_statistic():
    values = np.random.default_rng(3).normal(size=17)
    fast = bootstrap_ci(values, interquartile_mean, n_resamples=300, seed=5)
    slow = bootstrap_ci(values, lambda x: interquartile_mean(x), n_resamples=300, seed=5)
    assert fast == pytest.approx(slow)
    summary = iqm_ci(values, n_resamples=300, seed=5)
    assert summary["low"] <= summary["mean"] <= summary["high"]
    assert (summary["iqm_low"], summary["iqm_high"]) == pytest.approx(fast)
    assert mean_ci(values)["n"] == 17


def test_stratified_bootstrap_resamples_within_each_task():
    groups = {"a": [0.0, 1.0, 2.0], "b": [10.0, 11.0]}
    n, seed = 400, 7
    low, high = stratified_bootstrap_ci(groups, np.mean, n_resamples=n, seed=seed)
    rng = np.random.default_rng(seed)  # brute force, same draws: per task, (n, size) indices
    draws = [np.asarray(v)[rng.integers(0, len(v), (n, len(v)))] for v in groups.values()]
    stats = [np.mean(np.concatenate([d[r] for d in draws])) for r in range(n)]
    assert (low, high) == pytest.approx(tuple(np.quantile(stats, [0.025, 0.975])))
    # Every resample keeps 3 values of a and 2 of b: the pooled mean never leaves [0.4*10, 2*0.6+11*0.4].
    assert 4.0 <= low <= high <= 0.6 * 2 + 0.4 * 11
    assert stratified_bootstrap_ci({"a": [1.0], "b": [3.0]}, interquartile_mean) == (2.0, 2.0)


def test_probability_of_improvement_by_hand():
    # Pairs (x, y): (1,0) win, (1,2) loss, (2,0) win, (2,2) tie -> (2 + 0.5) / 4.
    assert probability_of_improvement({"t": [1, 2]}, {"t": [0, 2]}) == pytest.approx(0.625)
    # Averaged over tasks: task u is a sure win.
    assert probability_of_improvement({"t": [1, 2], "u": [5]}, {"t": [0, 2], "u": [4, 3]}) == pytest.approx(
        (0.625 + 1.0) / 2
    )
    assert probability_of_improvement({"t": [1, 1]}, {"t": [1]}) == 0.5
    with pytest.raises(ValueError, match="same tasks"):
        probability_of_improvement({"t": [1]}, {"u": [1]})
    sure = probability_of_improvement_ci({"t": [3, 4]}, {"t": [1, 2]})
    assert sure == {"p": 1.0, "low": 1.0, "high": 1.0}
    mixed = probability_of_improvement_ci({"t": [1, 2, 3]}, {"t": [0, 2, 4]}, n_resamples=500)
    assert mixed["low"] <= mixed["p"] <= mixed["high"]


def test_performance_profile_by_hand():
    profile = performance_profile({"a": [0, 1, 2, 3]}, [0.5, 2.5, 3.0], n_resamples=50)
    np.testing.assert_allclose(profile["fraction"], [0.75, 0.25, 0.0])  # strictly above tau
    two = performance_profile({"a": [0, 1, 2, 3], "b": [5, 5]}, [0.5], n_resamples=50)
    np.testing.assert_allclose(two["fraction"], [(0.75 + 1.0) / 2])
    assert np.all(two["low"] <= two["fraction"]) and np.all(two["fraction"] <= two["high"])


def test_statistics_by_hand():
    assert interquartile_mean([1, 2, 3, 4, 5, 6, 7, 8]) == pytest.approx(4.5)  # mean of 3..6
    assert bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0)
    assert bootstrap_ci([4.0]) == (4.0, 4.0)
    values = np.arange(10.0)
    low, high = bootstrap_ci(values, seed=1)
    assert low < 4.5 < high and (low, high) == bootstrap_ci(values, seed=1)
    assert 2.0 < low and high < 7.0  # the CI of a mean of 10 values is much narrower than their range
    summary = mean_ci(values)
    assert summary["mean"] == 4.5 and summary["n"] == 10
    low, high = stratified_bootstrap_ci({"a": [1.0, 1.0], "b": [3.0, 3.0]}, np.mean)
    assert low == high == 2.0
