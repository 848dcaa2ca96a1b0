"""Conformance of every registered env: PettingZoo's own tests plus determinism, batching and validation.

Parametrised over the registry, so a new row in ``swarmgym.registry.ENVS`` is covered here at once.
Each env runs its ``small`` preset to keep the suite fast.
"""

import importlib
import pickle

import numpy as np
import pettingzoo
import pytest
from pettingzoo.test import api_test, max_cycles_test, parallel_api_test, render_test, seed_test, state_test

import swarmgym
from swarmgym.registry import ENVS

ENV_IDS = sorted(ENVS)


def small(env_id):
    return ENVS[env_id].presets.get("small", {})


def module(env_id):
    return importlib.import_module(f"swarmgym.{env_id}")


def sample_actions(env, rng):
    space = env.action_space(env.possible_agents[0])
    if hasattr(space, "n"):
        values = rng.integers(space.start, space.start + space.n, size=len(env.agents))
    else:
        values = rng.uniform(space.low, space.high, size=(len(env.agents), *space.shape)).astype(space.dtype)
    return dict(zip(env.agents, values))


def assert_same(a, b):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_same(a[key], b[key])
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_parallel_api(env_id):
    parallel_api_test(module(env_id).parallel_env(**small(env_id)), num_cycles=60)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_aec_api_checks_observations_against_space(env_id):
    api_test(module(env_id).env(**small(env_id)), num_cycles=30)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_seed(env_id):
    seed_test(lambda: module(env_id).env(**small(env_id)), num_cycles=30)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_max_cycles(env_id):
    max_cycles_test(module(env_id))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_render_headless(env_id):
    render_test(lambda render_mode=None: module(env_id).env(render_mode=render_mode, **small(env_id)))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_state(env_id):
    state_test(module(env_id).env(**small(env_id)), module(env_id).parallel_env(**small(env_id)))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_pettingzoo_registry_and_metadata(env_id):
    name, version = env_id.rsplit("_v", 1)
    env = pettingzoo.make("parallel", f"swarmgym/{name}-v{version}", **small(env_id))
    assert env.metadata["name"] == env_id
    assert env.metadata["is_parallelizable"] is True
    assert set(env.metadata["render_modes"]) == {"human", "rgb_array"}
    assert env.possible_agents == [f"agent_{i}" for i in range(len(env.possible_agents))]
    spaces = {id(env.observation_space(a)) for a in env.possible_agents}
    assert len(spaces) == 1
    aec = pettingzoo.make("aec", f"swarmgym/{name}-v{version}", **small(env_id))
    aec.reset(seed=0)
    assert aec.agent_selection == "agent_0"


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_multi_step_determinism(env_id):
    """Same seed, same trajectory and metrics over many steps (pettingzoo's seed test checks one)."""
    runs = []
    for _ in range(2):
        env = swarmgym.make(env_id, max_cycles=25, **small(env_id))
        rng = np.random.default_rng(7)
        trace = [env.reset(seed=123)]
        while env.agents:
            trace.append(env.step(sample_actions(env, rng)))
        runs.append(trace)
    assert len(runs[0]) == 26
    for first, second in zip(*runs):
        assert_same(first, second)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_different_seeds_differ(env_id):
    env = swarmgym.make(env_id, **small(env_id))
    first = env.reset(seed=1)[0]
    second = env.reset(seed=2)[0]
    assert any(not np.array_equal(first[a], second[a]) for a in first)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_batched_equals_independent_singles(env_id):
    """Copy b of make_vec(seed=s) is the single env seeded s + b, through an auto-reset."""
    batch, horizon, seed = 3, 4, 40
    vec = swarmgym.make_vec(env_id, num_envs=batch, max_cycles=horizon, **small(env_id))
    singles = [swarmgym.make(env_id, max_cycles=horizon, **small(env_id)) for _ in range(batch)]
    obs, info = vec.reset(seed=seed)
    single_obs = [env.reset(seed=seed + b)[0] for b, env in enumerate(singles)]
    for b, env in enumerate(singles):
        np.testing.assert_array_equal(obs[b], np.stack([single_obs[b][a] for a in env.possible_agents]))
    rng = np.random.default_rng(0)
    for _ in range(2 * horizon + 2):
        actions = np.stack([np.stack(list(sample_actions(env, rng).values())) for env in singles])
        obs, rewards, terminated, truncated, info = vec.step(actions)
        assert obs.shape == (batch, vec.num_agents, *vec.observation_space.shape)
        assert obs.dtype == vec.observation_space.dtype
        for b, env in enumerate(singles):
            s_obs, s_rew, s_term, s_trunc, s_info = env.step(dict(zip(env.possible_agents, actions[b])))
            agents = env.possible_agents
            np.testing.assert_allclose(rewards[b], [s_rew[a] for a in agents], rtol=1e-6)
            assert truncated[b].tolist() == [s_trunc[a] for a in agents]
            for name, value in s_info[agents[0]].items():
                metrics = info["final_metrics"] if info["done"][b] else info["metrics"]
                np.testing.assert_allclose(metrics[name][b], value, rtol=1e-9, atol=1e-12, err_msg=name)
            final = info["final_observation"][b] if info["done"][b] else obs[b]
            np.testing.assert_array_equal(final, np.stack([s_obs[a] for a in agents]))
            if not env.agents:
                restarted, _ = env.reset()
                np.testing.assert_array_equal(obs[b], np.stack([restarted[a] for a in agents]))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_vector_observations_in_space_and_agent_info(env_id):
    vec = swarmgym.make_vec(env_id, num_envs=2, **small(env_id))
    obs, info = vec.reset(seed=0)
    assert all(vec.observation_space.contains(o) for o in obs.reshape(-1, *obs.shape[2:])[:50])
    mean_action = info["agent"]["neighbour_mean_action"]
    assert mean_action.shape[:2] == (2, vec.num_agents) and mean_action.dtype == np.float32
    assert len(vec.model.channels) == vec.observation_space.shape[-1]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_pickle_roundtrip_continues_identically(env_id):
    env = swarmgym.make(env_id, **small(env_id))
    env.reset(seed=5)
    clone = pickle.loads(pickle.dumps(env))
    actions = sample_actions(env, np.random.default_rng(1))
    assert_same(env.step(actions), clone.step(actions))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_config_errors_name_the_field(env_id):
    with pytest.raises(TypeError):
        swarmgym.make(env_id, no_such_field=1)
    with pytest.raises(ValueError, match="view_size"):
        swarmgym.make(env_id, view_size=4)
    with pytest.raises(ValueError, match="max_cycles"):
        swarmgym.make(env_id, max_cycles=0)
    with pytest.raises(ValueError, match="unknown env id"):
        swarmgym.make(env_id + "x")


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_bad_actions_are_refused_not_clipped(env_id):
    env = swarmgym.make(env_id, **small(env_id))
    env.reset(seed=0)
    good = sample_actions(env, np.random.default_rng(0))
    space = env.action_space("agent_0")
    missing = dict(list(good.items())[1:])
    with pytest.raises(ValueError, match="missing"):
        env.step(missing)
    with pytest.raises(ValueError, match="unknown"):
        env.step({**good, "agent_999999": good["agent_0"]})
    out_of_space = space.start + space.n if hasattr(space, "n") else space.high + 1.0
    with pytest.raises(ValueError, match="agent_0"):
        env.step({**good, "agent_0": out_of_space})
    nan = np.nan if hasattr(space, "n") else np.full(space.shape, np.nan, dtype=space.dtype)
    with pytest.raises(ValueError):
        env.step({**good, "agent_0": nan})
    env.step(good)  # the env is still usable after refused actions


def test_list_envs_matches_registry():
    assert swarmgym.list_envs() == ENV_IDS
