"""The registry: collects the :class:`~swarmgym.core.spec.EnvSpec` each env folder declares.

Everything else (``swarmgym.make``, ``make_vec``, PettingZoo registration, the CLI, the trainers, the
conformance tests) reads :data:`ENVS`, so an env listed here is covered everywhere at once. Adding an
env: see "How to add an env" in the README.
"""

from __future__ import annotations

from swarmgym.core.spec import EnvSpec
from swarmgym.envs import commons, consensus, flocking, segregation

ENVS: dict[str, EnvSpec] = {
    env.SPEC.id: env.SPEC for env in (commons, consensus, flocking, segregation)
}


def spec(env_id: str) -> EnvSpec:
    """The spec of ``env_id`` (``segregation_v0``, ``segregation-v0`` or ``swarmgym/segregation-v0``)."""
    if not isinstance(env_id, str):
        raise ValueError(f"env id must be a string such as {sorted(ENVS)[0]!r}, got {env_id!r}")
    key = env_id.split("/")[-1].replace("-", "_")
    if key not in ENVS:
        raise ValueError(f"unknown env id {env_id!r}; registered: {sorted(ENVS)}")
    return ENVS[key]
