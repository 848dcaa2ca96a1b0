"""Conformance of every registered env: ``swarmgym.utils.check_env`` plus what lies beyond the model.

``check_env`` runs PettingZoo's own tests, many-step determinism, batched against single envs and the
model contract; the tests here add the registries, pickling, seeds, and config and action validation.
Parametrised over the registry, so a new row in ``swarmgym.registry.ENVS`` is covered here at once.
Each env runs its ``small`` preset to keep the suite fast.
"""

import pickle
from pathlib import Path

import numpy as np
import pettingzoo
import pytest

import swarmgym
from swarmgym.registry import ENVS
from swarmgym.utils import CHECKS, check_env

ENV_IDS = sorted(ENVS)


def small(env_id):
    return ENVS[env_id].presets.get("small", {})


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
def test_check_env(env_id):
    """The whole contract on the small preset: PettingZoo's tests, determinism, batching, the model hooks."""
    report = check_env(env_id)
    assert report.env == env_id
    assert report.passed == CHECKS
    # the parallel API test warns when a step's dicts miss a live agent or hold a dead one
    assert not [w for w in report.warnings if w.startswith("pettingzoo_parallel_api")], report.warnings


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
def test_different_seeds_differ(env_id):
    env = swarmgym.make(env_id, **small(env_id))
    first = env.reset(seed=1)[0]
    second = env.reset(seed=2)[0]
    assert any(not np.array_equal(first[a], second[a]) for a in first)


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


def test_list_envs_matches_the_env_modules_on_disk():
    """Each ``swarmgym/<id>.py`` constructor module is a listed env and every listed env has one."""
    modules = sorted(path.stem for path in Path(swarmgym.__file__).parent.glob("*_v[0-9]*.py"))
    assert len(modules) >= 4
    assert swarmgym.list_envs() == modules
