import numpy as np
import pytest

import swarmgym
from swarmgym.envs.commons.metrics import above_median, targeted_hits
from swarmgym.evaluation.scenarios import SCENARIOS, MixedPolicy, assign, run_population, scenario
from swarmgym_agents import load_policy

SMALL = {"height": 10, "width": 14, "n_patches": 2, "n_agents": 4, "view_size": 5}


class Probe:
    """Answers 100 * role + the agent index written in its observation and in its per-agent info."""

    def __init__(self, role):
        self.role = role
        self.seeds = []

    def reset(self, seed=None):
        self.seeds.append(seed)

    def act(self, observations, info):
        seen = observations[:, :, 0, 0, 0]
        assert np.array_equal(seen, info["agent"]["index"])  # info is routed with the observations
        assert info["metrics"]["copy"].shape == (observations.shape[0],)  # per-copy info untouched
        return 100 * self.role + seen


def test_assign_counts_seeding_and_order():
    roles = assign([3, 0, 7], num_copies=8, seed=1)
    assert roles.shape == (8, 10)
    assert (np.stack([(roles == p).sum(axis=1) for p in range(3)], axis=1) == [3, 0, 7]).all()
    assert np.array_equal(roles, assign([3, 0, 7], 8, seed=1))
    assert not np.array_equal(roles, assign([3, 0, 7], 8, seed=2))
    assert len({tuple(row) for row in roles}) > 1  # each copy draws its own placement
    assert np.array_equal(assign([2, 2], 2, seed=None, shuffle=False), [[0, 0, 1, 1], [0, 0, 1, 1]])
    with pytest.raises(ValueError):
        assign([-1, 3], 1, 0)


def test_mixed_policy_routes_each_agent_to_its_role():
    batch, n = 5, 9
    roles = assign([2, 4, 3], batch, seed=3)
    index = np.tile(np.arange(n), (batch, 1))
    obs = np.zeros((batch, n, 3, 3, 2), dtype=np.int64)
    obs[:, :, 0, 0, 0] = index
    info = {"agent": {"index": index}, "metrics": {"copy": np.arange(batch)}}
    probes = [Probe(p) for p in range(3)]
    mixed = MixedPolicy(probes, roles)
    actions = mixed.act(obs, info)
    assert np.array_equal(actions, 100 * roles + index)
    mixed.reset(7)
    assert [p.seeds for p in probes] == [[7], [8], [9]]
    with pytest.raises(ValueError):
        MixedPolicy(probes, np.array([[0, 1, 2], [0, 0, 2]]))  # different role counts per copy


def test_sanction_metrics_by_hand():
    recent = np.array([[5, 1, 3, 0], [2, 2, 2, 2]])
    assert np.array_equal(above_median(recent), [[True, False, True, False], [False] * 4])
    hits = np.array([[1, 2, 0, 1], [1, 0, 0, 0]])
    assert np.array_equal(targeted_hits(hits, recent), [1, 0])


def direct_returns(members, seed, steps):
    """Each role's policy acting on its own agents, sliced by hand; copy seeded `seed`, one copy."""
    counts = [count for _, count in members]
    roles = assign(counts, 1, seed)[0]
    venv = swarmgym.make_vec("commons_v0", num_envs=1, max_cycles=steps, **SMALL)
    policies = [load_policy(name, "commons_v0", venv.model, seed=0) for name, _ in members]
    for p, policy in enumerate(policies):
        policy.reset(seed + p)
    obs, info = venv.reset(seed=seed)
    for _ in range(steps):
        actions = np.zeros((1, 4), dtype=np.int64)
        for p, policy in enumerate(policies):
            mine = np.flatnonzero(roles == p)
            if len(mine):
                sub = {**info, "agent": {k: v[:, mine] for k, v in info["agent"].items()}}
                actions[:, mine] = policy.act(obs[:, mine], sub)
        obs, _, _, _, info = venv.step(actions)
    assert info["done"].all()
    episode = info["episode_return"][0]
    return [episode[roles == p].mean() for p in range(len(members))], info["final_metrics"]


def test_population_returns_equal_a_direct_rollout():
    members = [("restrained", 1), ("greedy", 3)]
    result = run_population("commons_v0", members, seeds=[0, 1], copies=1, config=SMALL, max_cycles=60)
    for k, seed in enumerate([0, 1]):
        returns, final = direct_returns(members, seed, 60)
        assert result["per_sample"]["return/0"][k] == pytest.approx(returns[0])
        assert result["per_sample"]["return/1"][k] == pytest.approx(returns[1])
        assert result["per_sample"]["efficiency"][k] == pytest.approx(final["efficiency"][0])
    assert result["members"][0] == {"agent": "restrained", "preference": None, "count": 1}
    assert result["agent_steps"] == 2 * 60 * 4


def test_sanction_statistics_count_the_beams_fired():
    result = run_population(
        "commons_v0", [("sanctioner", 4)], seeds=[0], copies=2, config=SMALL, max_cycles=80
    )
    venv = swarmgym.make_vec("commons_v0", num_envs=2, max_cycles=80, **SMALL)
    policy = load_policy("sanctioner", "commons_v0", venv.model, seed=0)
    policy.reset(0)
    obs, info = venv.reset(seed=0)
    beams = np.zeros(2)
    for _ in range(80):
        obs, _, _, _, info = venv.step(policy.act(obs, info))
        beams += info["metrics"]["beams"]
    assert result["per_sample"]["beams_per_step"] == pytest.approx((beams / 80).tolist())
    fractions = [f for f in result["per_sample"]["targeted_fraction"] if np.isfinite(f)]
    assert all(0.0 <= f <= 1.0 for f in fractions)


def test_named_scenarios_are_consistent():
    for chosen in SCENARIOS.values():
        config = chosen.env_config()
        assert swarmgym.make_model(chosen.env_id, **config).n_agents == chosen.n_agents
        assert chosen.members("random")[0] == ("random", chosen.focal)
    with pytest.raises(ValueError, match="choose from"):
        scenario("nope")
