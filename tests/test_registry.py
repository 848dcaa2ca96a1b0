"""Every registered env has all its parts; a missing part fails with a message saying what to add where.

The README's "How to add an env" lists the same parts in order.
"""

import dataclasses
import importlib
from pathlib import Path

import pytest

import swarmgym
from swarmgym.core.model import SwarmModel
from swarmgym.registry import ENVS
from swarmgym_agents.registry import REFERENCE, RULE_BASED

ROOT = Path(__file__).resolve().parents[1]


def env_folder(env_id):
    return Path(importlib.import_module(ENVS[env_id].model.__module__).__file__).parent


@pytest.mark.parametrize("env_id", sorted(ENVS))
def test_spec_matches_its_model_and_module(env_id):
    spec = ENVS[env_id]
    assert spec.model.name == env_id, f"{spec.model.__name__}.name must be {env_id!r} (the spec id)"
    module = importlib.import_module(f"swarmgym.{env_id}")
    for name in ("parallel_env", "raw_env", "env"):
        assert hasattr(module, name), f"swarmgym/{env_id}.py must define {name} (env_constructors)"
    assert module.__doc__ == spec.model.__doc__, f"swarmgym/{env_id}.py must take the model's docstring"


@pytest.mark.parametrize("env_id", sorted(ENVS))
def test_presets_and_learning_defaults_resolve(env_id):
    spec = ENVS[env_id]
    assert "small" in spec.presets, f"{env_id}: SPEC.presets needs a 'small' preset (tests, smoke runs)"
    for field in ("preset", "mean_field_preset"):
        name = getattr(spec.learning, field)
        assert name is None or name in spec.presets, (
            f"{env_id}: SPEC.learning.{field} names {name!r}, which is not in SPEC.presets"
        )
    for name in spec.presets:
        swarmgym.make_model(env_id, **spec.preset(name))  # every preset is a valid config
    swarmgym.make_model(env_id, **spec.scale(50))
    vec = swarmgym.make_vec(env_id, num_envs=1, **spec.preset(spec.learning.preset))
    _, info = vec.reset(seed=0)
    assert spec.learning.main_metric in info["metrics"], (
        f"{env_id}: SPEC.learning.main_metric {spec.learning.main_metric!r} is not one of the model's "
        f"metrics {sorted(info['metrics'])}"
    )


@pytest.mark.parametrize("env_id", sorted(ENVS))
def test_model_implements_the_contract_parts_tests_rely_on(env_id):
    model_cls = ENVS[env_id].model
    assert model_cls.render is not SwarmModel.render, f"{model_cls.__name__} must implement render()"
    fields = {f.name for f in dataclasses.fields(model_cls.config_cls)}
    assert "view_size" in fields, f"{model_cls.config_cls.__name__} must have a view_size field (k)"
    for section in ("Observation", "Action", "Reward", "Version History"):
        assert section.lower() in (model_cls.__doc__ or "").lower(), (
            f"{model_cls.__name__}'s docstring (the env's spec) needs a {section!r} section"
        )


@pytest.mark.parametrize("env_id", sorted(ENVS))
def test_env_has_agents_tests_and_readme_row(env_id):
    assert env_id in REFERENCE, (
        f"{env_id} has no reference agent: declare one in an agents/rule_based/ module's AGENTS with "
        f"reference=True and list the module in swarmgym_agents.registry.MODULES"
    )
    assert REFERENCE[env_id] in RULE_BASED[env_id]
    test_file = ROOT / "tests" / "envs" / f"test_{env_folder(env_id).name}.py"
    assert test_file.is_file(), f"{env_id} needs its tests in {test_file.relative_to(ROOT)}"
    assert f"`{env_id}`" in (ROOT / "README.md").read_text(), (
        f"{env_id} needs a row in the README's env table"
    )
