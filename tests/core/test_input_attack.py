"""The input attack on actions, seeds and lifecycle, kept as tests (docs/reliability.md).

Every bad input raises the expected exception type with a message naming what was wrong (the agent,
the value as passed, "seed", the argument name); valid inputs keep working. Hypothesis runs
derandomised, so the examples are the same on every run.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import swarmgym
from swarmgym.core.actions import show
from swarmgym.registry import ENVS

CONFIGS = {env_id: dict(ENVS[env_id].presets["small"]) for env_id in sorted(ENVS)}
CONFIGS["flocking_v0/discrete"] = {**ENVS["flocking_v0"].presets["small"], "action_type": "discrete"}
SETTINGS = settings(
    derandomize=True, database=None, max_examples=60, deadline=None, suppress_health_check=list(HealthCheck)
)
_ENVS: dict[str, tuple] = {}


def envs(name: str):
    """(dict env, vec env of 2 copies, good dict actions, good array actions) for a config, built once."""
    if name not in _ENVS:
        env_id = name.split("/")[0]
        env = swarmgym.make(env_id, **CONFIGS[name])
        vec = swarmgym.make_vec(env_id, num_envs=2, **CONFIGS[name])
        space = env.action_space("agent_0")
        space.seed(0)
        good = {agent: space.sample() for agent in env.possible_agents}
        array = np.stack([np.stack([space.sample() for _ in range(vec.num_agents)]) for _ in range(2)])
        _ENVS[name] = (env, vec, good, array)
    return _ENVS[name]


def refused(call, exception, *words):
    """``call()`` raises ``exception`` whose message holds every word (case-insensitive, literal)."""
    with pytest.raises(exception) as info:
        call()
    message = str(info.value)
    for word in words:
        assert re.search(re.escape(word), message, re.I), (word, message)
    return message


def is_valid(value, space) -> bool:
    """The oracle: a scalar action is a real (not bool) number inside the space (Box: after its cast)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    if isinstance(space, spaces.Discrete):
        whole = math.isfinite(value) and float(value).is_integer()
        if isinstance(value, (float, np.floating)) and not whole:
            return False
        return space.start <= int(value) < space.start + space.n
    with np.errstate(over="ignore"):
        cast = space.dtype.type(float(value)) if abs(value) < 2**1000 else space.dtype.type(np.inf)
    return bool(np.isfinite(cast) and space.low[0] <= cast <= space.high[0])


SCALARS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.integers(-3, 8),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-4, 8).map(lambda x: round(x * 2) / 2),
    st.sampled_from([True, False, np.bool_(True), 2**63, 2**64, 1e20, -0.0, np.float32(0.5)]),
    st.sampled_from([np.uint64(2**63), np.int8(-1), np.float64(2.5)]),
    st.complex_numbers(max_magnitude=2),
    st.text(max_size=3),
    st.sampled_from([None, b"1", np.array(1, dtype=object), np.array(True), np.array("1")]),
)


@pytest.mark.parametrize("name", sorted(CONFIGS))
@SETTINGS
@given(value=SCALARS)
def test_dict_action_of_one_agent(name, value):
    env, _, good, _ = envs(name)
    space = env.action_space("agent_0")
    env.reset(seed=0)
    scalar = value.item() if isinstance(value, np.ndarray) and value.dtype.kind in "iuf" else value
    if is_valid(scalar, space) and not isinstance(value, np.ndarray):
        env.step({**good, "agent_1": value})
        return
    if isinstance(value, np.ndarray) and value.dtype.kind not in "biufc":
        # 0-d object / string arrays: refused as a whole, naming the agent
        refused(lambda: env.step({**good, "agent_1": value}), ValueError, "agent_1")
        return
    if isinstance(value, np.ndarray) and is_valid(value.item(), space):
        return  # a 0-d numeric array of a valid value: valid (not asserted either way)
    refused(lambda: env.step({**good, "agent_1": value}), ValueError, "agent_1", show(value))


@pytest.mark.parametrize("name", sorted(CONFIGS))
@SETTINGS
@given(value=SCALARS, copy=st.integers(0, 1), agent=st.integers(0, 3))
def test_array_action_as_nested_lists(name, value, copy, agent):
    _, vec, _, array = envs(name)
    vec.reset(seed=0)
    if isinstance(value, np.ndarray):
        value = value.item() if value.dtype.kind == "O" else value.tolist()
    actions = array.astype(object)
    actions[copy, agent] = value
    nested = actions.tolist()
    if is_valid(value, vec.action_space):
        vec.step(nested)
        return
    refused(lambda: vec.step(nested), ValueError, f"agent_{agent} (copy {copy})", show(value))


@pytest.mark.parametrize("name", sorted(CONFIGS))
@SETTINGS
@given(value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**62), 2**62)))
def test_array_action_in_a_numeric_array(name, value):
    _, vec, _, array = envs(name)
    space = vec.action_space
    vec.reset(seed=0)
    dtype = np.float64 if isinstance(value, float) else np.int64
    actions = array.astype(dtype)
    actions[1, 2] = value
    if is_valid(value, space):
        vec.step(actions)
        return
    refused(lambda: vec.step(actions), ValueError, "agent_2 (copy 1)", show(np.asarray(value).item()))


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("dtype", [bool, object, complex, "U3", "S3"])
def test_non_numeric_action_arrays_are_refused(name, dtype):
    _, vec, _, array = envs(name)
    vec.reset(seed=0)
    refused(lambda: vec.step(array.astype(dtype)), ValueError, "dtype")


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_bool_array_of_one_agent_is_refused_in_the_dict(name):
    env, _, good, _ = envs(name)
    env.reset(seed=0)
    bad = np.ones_like(np.asarray(good["agent_2"]), dtype=bool)
    refused(lambda: env.step({**good, "agent_2": bad}), ValueError, "agent_2", "True", "bool")


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("actions", [None, [0, 1], (0,), "actions", 3, {0}, object()])
def test_dict_step_needs_a_mapping(name, actions):
    env, _, _, _ = envs(name)
    env.reset(seed=0)
    refused(lambda: env.step(actions), TypeError, "dict", type(actions).__name__)


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("actions", [None, {"agent_0": 0}, "actions", {0}, object()])
def test_vec_step_needs_an_array(name, actions):
    _, vec, _, _ = envs(name)
    vec.reset(seed=0)
    refused(lambda: vec.step(actions), TypeError, "array", type(actions).__name__)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_valid_actions_in_every_form_still_step(name):
    env, vec, good, array = envs(name)
    env.reset(seed=0)
    env.step(good)
    env.step({agent: np.asarray(value).tolist() for agent, value in good.items()})
    vec.reset(seed=0)
    vec.step(array)
    vec.step(array.tolist())
    vec.step(array.astype(np.float64))


BAD_SEEDS = st.one_of(
    st.integers(max_value=-1),
    st.integers(min_value=2**63),
    st.floats(),
    st.booleans(),
    st.text(max_size=2),
    st.sampled_from([np.int64(-1), np.uint64(2**63), np.float64(3.0), 1 + 0j, [1], np.bool_(False)]),
)


@SETTINGS
@given(seed=BAD_SEEDS)
def test_bad_seeds_are_refused_saying_seed(seed):
    env, vec, _, _ = envs("segregation_v0")
    refused(lambda: env.reset(seed=seed), ValueError, "seed")
    refused(lambda: vec.reset(seed=seed), ValueError, "seed")


@SETTINGS
@given(
    seed=st.one_of(
        st.integers(0, 2**63 - 2),
        st.sampled_from([np.uint8(255), np.int64(7), np.uint64(2**63 - 2)]),
    )
)
def test_good_seeds_work_and_copies_do_not_wrap(seed):
    env, vec, _, _ = envs("segregation_v0")
    env.reset(seed=seed)
    vec.reset(seed=seed)


def test_numpy_seed_plus_copy_is_computed_without_wrap():
    config = CONFIGS["segregation_v0"]
    observations, _ = swarmgym.make_vec("segregation_v0", num_envs=2, **config).reset(seed=np.uint8(255))
    single, _ = swarmgym.make("segregation_v0", **config).reset(seed=256)
    assert np.array_equal(observations[1], np.stack(list(single.values())))
    refused(lambda: swarmgym.make_vec("segregation_v0", num_envs=2, **config).reset(seed=2**63 - 1),
            ValueError, "seed")


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("method", ["step", "metrics", "agent_info", "state", "render"])
def test_calls_before_reset_are_runtime_errors(name, method):
    env = swarmgym.make(name.split("/")[0], render_mode="rgb_array", **CONFIGS[name])
    args = ({},) if method == "step" else ()
    refused(lambda: getattr(env, method)(*args), RuntimeError, method, "reset")
    vec = swarmgym.make_vec(name.split("/")[0], **CONFIGS[name])
    refused(lambda: vec.step(np.zeros(1)), RuntimeError, "reset")


@pytest.mark.parametrize("agent", ["bogus", None, 5, "agent_999999", "agent_-1", ["agent_0"], "agent_01"])
def test_unknown_agents_have_no_spaces(agent):
    env, _, _, _ = envs("segregation_v0")
    for method in (env.observation_space, env.action_space):
        refused(lambda method=method: method(agent), ValueError, repr(agent), "'agent_0' ..")
    assert env.observation_space("agent_3") is env.observation_space("agent_0")
    assert env.action_space("agent_3") is env.action_space("agent_0")


@pytest.mark.parametrize(
    "name, value",
    [("max_cycles", True), ("max_cycles", 0), ("max_cycles", 1.5), ("max_cycles", "5"), ("with_info", "no"),
     ("with_info", 1), ("with_info", None), ("render_mode", "rgb"), ("render_mode", 1), ("render_mode", [])],
)
def test_make_arguments_are_type_checked(name, value):
    refused(lambda: swarmgym.make("segregation_v0", **{name: value}, **CONFIGS["segregation_v0"]),
            ValueError, name, repr(value))
    module = __import__("swarmgym.segregation_v0", fromlist=["parallel_env"])
    refused(lambda: module.parallel_env(**{name: value}), ValueError, name)


@pytest.mark.parametrize(
    "name, value",
    [("num_envs", True), ("num_envs", 0), ("num_envs", 2.0), ("num_envs", None), ("max_cycles", False),
     ("with_info", "no"), ("with_info", 0)],
)
def test_make_vec_arguments_are_type_checked(name, value):
    refused(lambda: swarmgym.make_vec("segregation_v0", **{name: value}, **CONFIGS["segregation_v0"]),
            ValueError, name, repr(value))


@pytest.mark.parametrize("env_id", [None, 3, 3.5, b"segregation_v0", ["segregation_v0"]])
@pytest.mark.parametrize("factory", [swarmgym.make, swarmgym.make_vec, swarmgym.make_model])
def test_env_id_must_be_a_registered_string(factory, env_id):
    refused(lambda: factory(env_id), ValueError, "env_id", *swarmgym.list_envs())


def test_valid_arguments_still_work():
    config = CONFIGS["segregation_v0"]
    env = swarmgym.make("segregation_v0", max_cycles=np.int64(3), with_info=np.bool_(False), **config)
    env.reset(seed=np.int64(1))
    assert env.max_cycles == 3 and env.with_info is False
    vec = swarmgym.make_vec("segregation-v0", num_envs=np.uint8(2), max_cycles=2, **config)
    vec.reset(seed=np.uint64(5))
    assert vec.num_envs == 2


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint8, np.uint64])
def test_a_shifted_discrete_space_refuses_integers_on_both_sides(dtype):
    """Discrete(3, start=-3) holds -3, -2, -1: below and above are refused whatever the integer dtype."""
    from swarmgym.core.actions import ActionError, validate_actions

    space = spaces.Discrete(3, start=-3)
    signed = np.issubdtype(dtype, np.signedinteger)
    for value in ([-4, -5, 0, 7] if signed else [0, 7, np.iinfo(dtype).max]):
        with pytest.raises(ActionError, match="outside Discrete"):
            validate_actions(np.array([[value]], dtype=dtype), space, (1, 1))
    if signed:
        valid = np.array([[-3, -1]], dtype=dtype)
        np.testing.assert_array_equal(validate_actions(valid, space, (1, 2)), valid)
