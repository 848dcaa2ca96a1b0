"""The config attack, kept: every field of every env refuses bad values with a ValueError naming it,
and random valid configs construct, reset and step with finite outputs (docs/reliability.md, "Configs")."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import given, settings
from hypothesis import strategies as st

import swarmgym
from swarmgym.core.config import REWARD_LIMIT, memory_limit
from swarmgym.registry import ENVS

ENV_IDS = sorted(ENVS)
ATTACK = settings(max_examples=40, deadline=None, derandomize=True)

# Bad values for every field of a kind; a field's own kind decides which ones apply.
NOT_A_NUMBER = ["x", "1", b"1", None, True, False, 1 + 0j, 0j, [1], (1,), {}, np.array([1.0, 2.0])]
NON_FINITE = [math.nan, math.inf, -math.inf, np.float64("nan")]
HUGE = [1e300, -1e300, 1e39, -1e39, 10**12 + 1, -(10**12) - 1, 10**400, 2**63]
NOT_A_BOOL = [0, 1, 0.0, 1.0, 1 + 0j, 0j, "True", "", None, math.nan, [True], (), 2]
NOT_A_CHOICE = [1, None, "", "bogus", b"x", 1.0, True, math.nan, ["a"], ("a",), np.array(["a", "b"])]
NOT_A_SEQUENCE = [0.5, 1, None, 1 + 0j, math.nan, True, "ab", b"ab", {0.5, 0.25}, {"a": 1.0}]
BAD_SEQUENCE = [(), (math.nan, 0.5), (math.inf, 0.5), (0.5, 0.5 + 0j), (True, False), (0.5, "x"), (0.5, None)]


def kind(field: dataclasses.Field) -> str:
    """``num``, ``int``, ``optional``, ``bool``, ``choice`` or ``sequence``."""
    if "tuple" in str(field.type):
        return "sequence"
    default = field.default
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, str):
        return "choice"
    if default is None:
        return "optional"
    return "int" if isinstance(default, int) else "num"


def bad_values(field: dataclasses.Field) -> list:
    """~20 values the field must refuse (sizes too big to allocate included)."""
    k = kind(field)
    if k == "bool":
        return NOT_A_BOOL
    if k == "choice":
        return NOT_A_CHOICE
    if k == "sequence":
        return NOT_A_SEQUENCE + BAD_SEQUENCE
    numbers = [v for v in NOT_A_NUMBER if v is not None or k != "optional"] + NON_FINITE + HUGE
    if k == "int":
        numbers += [0.5, 5.0, -1]
    return numbers


CASES = [
    pytest.param(env_id, field.name, id=f"{env_id}-{field.name}")
    for env_id in ENV_IDS
    for field in dataclasses.fields(ENVS[env_id].model.config_cls)
]


def names(message: str, field: str) -> bool:
    return re.search(rf"\b{re.escape(field)}\b", message) is not None


@pytest.mark.parametrize(("env_id", "field_name"), CASES)
def test_every_field_refuses_bad_values_naming_it(env_id, field_name):
    cls = ENVS[env_id].model.config_cls
    field = {f.name: f for f in dataclasses.fields(cls)}[field_name]
    for value in bad_values(field):
        with pytest.raises(ValueError) as error:
            cls(**{field_name: value})
        assert names(str(error.value), field_name), (field_name, value, str(error.value))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_unknown_keys_are_a_type_error(env_id):
    with pytest.raises(TypeError, match="no_such_field"):
        ENVS[env_id].model.config_cls(no_such_field=1)


@pytest.mark.parametrize(
    ("env_id", "config", "field"),
    [
        ("flocking_v0", {"box_size": 1e10}, "box_size"),
        ("flocking_v0", {"box_size": 3e4}, "box_size"),
        ("flocking_v0", {"view_binning": "grid", "rotate_view": False, "cell_size": 1e-6}, "cell_size"),
        ("flocking_v0", {"view_size": 1001}, "view_size"),
        ("flocking_v0", {"n_turns": 10**12 + 1, "action_type": "discrete"}, "n_turns"),
        ("flocking_v0", {"box_size": 0.01}, "box_size"),
        ("flocking_v0", {"radius": 0.01}, "radius"),
        ("flocking_v0", {"zone_repulsion": 2.0}, "zone_repulsion"),
        ("flocking_v0", {"collision_penalty": 1e10}, "collision_penalty"),
        ("segregation_v0", {"view_size": 10**12 + 1}, "view_size"),
        ("segregation_v0", {"size": 4096, "view_size": 31}, "view_size"),
        ("segregation_v0", {"group_fractions": (1e-300, 1.0)}, "group_fractions"),
        ("segregation_v0", {"satisfied_reward": 1e12, "same_weight": 1e12}, "same_weight"),
        ("consensus_v0", {"view_size": 10**12 + 1}, "view_size"),
        ("consensus_v0", {"action_cost": 1e12, "team_weight": 1.0}, "action_cost"),
        ("commons_v0", {"view_size": 10**12 + 1}, "view_size"),
        ("commons_v0", {"inequity_alpha": 5.0, "inequity_decay": 1 - 1e-15}, "inequity_decay"),
        ("commons_v0", {"height": 5, "width": 5, "patch_radius": 3}, "patch_radius"),
        ("commons_v0", {"height": 5, "width": 5, "n_patches": 2}, "n_patches"),
        ("commons_v0", {"height": 5, "width": 5, "beam_length": 6}, "beam_length"),
    ],
)
def test_memory_range_and_cross_field_refusals_name_the_field(env_id, config, field):
    with pytest.raises(ValueError) as error:
        ENVS[env_id].model.config_cls(**config)
    assert names(str(error.value), field), str(error.value)


def test_the_memory_cap_is_an_environment_variable(monkeypatch):
    cls = ENVS["flocking_v0"].model.config_cls
    assert memory_limit() == 4 * 2**30
    cls(n_agents=20_000)  # about 0.3 GiB
    monkeypatch.setenv("SWARMGYM_MEMORY_LIMIT_GIB", "0.1")
    with pytest.raises(ValueError, match="SWARMGYM_MEMORY_LIMIT_GIB"):
        cls(n_agents=20_000)
    monkeypatch.setenv("SWARMGYM_MEMORY_LIMIT_GIB", "lots")
    with pytest.raises(ValueError, match="SWARMGYM_MEMORY_LIMIT_GIB"):
        cls()


@pytest.mark.parametrize(
    ("env_id", "config"),
    [
        ("segregation_v0", {"size": 4}),
        ("commons_v0", {"height": 5, "width": 5}),
        ("commons_v0", {"height": 5, "width": 40}),
        ("consensus_v0", {"size": 2}),
        ("flocking_v0", {"n_agents": 2}),
        ("flocking_v0", {"box_size": 0.07}),
    ],
)
def test_documented_minimum_sizes_work_with_the_other_defaults(env_id, config):
    assert_runs_finite(env_id, config)


def test_derived_defaults_only_change_where_the_default_was_invalid():
    seg = ENVS["segregation_v0"].model.config_cls
    assert seg(size=4).block_size == 4 and seg(size=5).block_size == 5 and seg().block_size == 5
    commons = ENVS["commons_v0"].model.config_cls
    small = commons(height=5, width=5)
    assert (small.patch_radius, small.n_patches, small.beam_length) == (1, 1, 4)
    assert (commons().patch_radius, commons().n_patches, commons().beam_length) == (2, 8, 5)
    assert commons(height=10, width=10).n_patches == 1  # one 7x7 block fits


def assert_runs_finite(env_id: str, config: dict, steps: int = 3) -> None:
    """Construct, reset and step; observations, rewards, state and metrics must be finite."""
    venv = swarmgym.make_vec(env_id, num_envs=2, max_cycles=steps + 1, **config)
    obs, info = venv.reset(seed=0)
    rng = np.random.default_rng(0)
    space = venv.action_space
    outputs = [obs, *info.get("metrics", {}).values()]
    for _ in range(steps):
        if isinstance(space, spaces.Discrete):
            actions = rng.integers(0, space.n, (2, venv.num_agents))
        else:
            shape = (2, venv.num_agents, *space.shape)
            actions = rng.uniform(space.low, space.high, shape).astype(np.float32)
        obs, rewards, _, _, info = venv.step(actions)
        state = getattr(venv, "state", None) or getattr(venv, "core_state", None)
        outputs += [obs, rewards, venv.model.global_state(state), *info["metrics"].values()]
        assert np.all(np.abs(rewards) <= REWARD_LIMIT)
    for output in outputs:
        assert np.all(np.isfinite(np.asarray(output, dtype=np.float64))), (env_id, config)


def weights(names_: tuple[str, ...], low: float = -1e3) -> st.SearchStrategy:
    return st.fixed_dictionaries({n: st.floats(low, 1e3) for n in names_})


SMALL_CONFIGS = {
    "segregation_v0": st.fixed_dictionaries(
        {
            "size": st.integers(4, 12),
            "torus": st.booleans(),
            "vacancy": st.floats(0.1, 0.9),
            "tolerance": st.floats(0.0, 1.0),
            "view_size": st.sampled_from([3, 5, 7]),
            "other_channels": st.sampled_from(["single", "per_group"]),
            "relocate": st.booleans(),
            "move_cost": st.floats(0.0, 1e3),
            "relocate_cost": st.floats(0.0, 1e3),
        }
    ).flatmap(
        lambda c: weights(("satisfied_reward", "same_weight", "other_weight", "interdependence_reward")).map(
            lambda w: {**c, **w}
        )
    ),
    "flocking_v0": st.fixed_dictionaries(
        {
            "n_agents": st.integers(2, 40),
            "density": st.floats(0.5, 8.0),
            "torus": st.booleans(),
            "speed": st.floats(0.001, 0.2),
            "radius": st.floats(0.2, 2.0),
            "noise": st.floats(0.0, 2 * math.pi),
            "view_size": st.sampled_from([1, 3, 5]),
            "cell_size": st.floats(0.05, 1.0),
            "action_type": st.sampled_from(["continuous", "discrete"]),
            "max_turn": st.floats(0.01, math.pi),
            "n_turns": st.sampled_from([3, 5, 9]),
            "blind_angle": st.floats(0.0, 6.0),
            "spawn_extent": st.floats(0.01, 1.0),
            "alignment_weight": st.floats(-1e3, 1e3),
            "isolation_penalty": st.floats(0.0, 1e3),
            "collision_penalty": st.floats(0.0, 1e3),
            "team_weight": st.floats(-1e3, 1e3),
            "min_distance": st.floats(0.01, 0.2),
            "grid": st.booleans(),
        }
    ).map(
        lambda c: {
            **{k: v for k, v in c.items() if k != "grid"},
            **({"view_binning": "grid", "rotate_view": False} if c["grid"] else {}),
        }
    ),
    "consensus_v0": st.fixed_dictionaries(
        {
            "state_kind": st.sampled_from(["phase", "opinion"]),
            "size": st.integers(2, 10),
            "density": st.floats(0.3, 1.0),
            "torus": st.booleans(),
            "view_size": st.sampled_from([1, 3, 5]),
            "coupling": st.sampled_from(["local", "global"]),
            "dt": st.floats(1e-6, 1.0),
            "frequency_distribution": st.sampled_from(["gaussian", "lorentzian"]),
            "frequency_width": st.floats(0.0, 1e6),
            "mean_frequency": st.floats(-1e6, 1e6),
            "quantile_frequencies": st.booleans(),
            "max_correction": st.floats(0.01, math.pi),
            "phase_noise": st.floats(0.0, 1e6),
            "max_step": st.floats(0.01, 1.0),
            "agreement_weight": st.floats(-1e3, 1e3),
            "team_weight": st.floats(-1e3, 1e3),
            "action_cost": st.floats(0.0, 1e3),
            "cluster_gap": st.floats(0.001, 0.5),
            "major_cluster": st.floats(0.0, 0.9),
        }
    ),
    "commons_v0": st.fixed_dictionaries(
        {
            "height": st.integers(5, 16),
            "width": st.integers(5, 16),
            "torus": st.booleans(),
            "n_agents": st.integers(1, 6),
            "layout": st.sampled_from(["random", "regular"]),
            "regrowth": st.one_of(
                st.sampled_from(["meltingpot_open", "harvest", "logistic"]),
                st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6).map(tuple),
            ),
            "initial_fill": st.floats(0.0, 1.0),
            "view_size": st.sampled_from([3, 5, 7]),
            "apple_reward": st.floats(-1e3, 1e3),
            "beam": st.booleans(),
            "beam_cost": st.floats(0.0, 1e3),
            "hit_penalty": st.floats(0.0, 1e3),
            "hits_to_remove": st.integers(1, 3),
            "removal_steps": st.integers(1, 255),
            "inequity_alpha": st.floats(0.0, 10.0),
            "inequity_beta": st.floats(0.0, 10.0),
            "inequity_decay": st.floats(0.0, 0.99),
        }
    ),
}


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_random_valid_configs_run_with_finite_outputs(env_id):
    @ATTACK
    @given(SMALL_CONFIGS[env_id])
    def check(config):
        assert_runs_finite(env_id, config, steps=2)

    check()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_random_bad_values_are_refused_naming_the_field(env_id):
    cls = ENVS[env_id].model.config_cls
    fields = dataclasses.fields(cls)
    junk = st.one_of(
        st.none(),
        st.booleans(),
        st.text(max_size=5),
        st.complex_numbers(allow_nan=True, allow_infinity=True).filter(lambda z: z.imag != 0),
        st.floats(allow_nan=True, allow_infinity=True).filter(
            lambda x: not math.isfinite(x) or abs(x) > 1e40
        ),
        st.lists(st.floats(), min_size=2, max_size=3),
    )

    @ATTACK
    @given(st.sampled_from(fields), junk)
    def check(field, value):
        k = kind(field)
        if k == "sequence" and isinstance(value, list):
            if all(isinstance(v, float) and math.isfinite(v) and 0 < v <= 1 for v in value):
                return  # may be a valid table
        if k == "optional" and value is None:
            return
        if k == "bool" and isinstance(value, bool):
            return
        with pytest.raises(ValueError) as error:
            cls(**{field.name: value})
        assert names(str(error.value), field.name), (field.name, value, str(error.value))

    check()
