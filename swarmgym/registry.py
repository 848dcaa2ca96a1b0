"""THE table of environments: id -> model class and default episode length. Add a row to add an env.

Everything else (``swarmgym.make``, ``make_vec``, PettingZoo registration, the CLI, the conformance
tests) reads this table, so a new row is covered everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from swarmgym.core.model import SwarmModel
from swarmgym.envs.segregation.dynamics import SegregationModel


@dataclass(frozen=True)
class EnvSpec:
    """One registered environment."""

    id: str
    model: type[SwarmModel]
    max_cycles: int
    summary: str
    presets: dict[str, dict] = field(default_factory=dict)
    """Named config overrides; ``small`` is a quick variant (tests, smoke runs) of the same model."""


ENVS: dict[str, EnvSpec] = {
    spec.id: spec
    for spec in (
        EnvSpec(
            "segregation_v0",
            SegregationModel,
            200,
            "Schelling segregation on a lattice",
            presets={"small": {"size": 8, "vacancy": 0.25}},
        ),
    )
}


def spec(env_id: str) -> EnvSpec:
    """The spec of ``env_id`` (``segregation_v0``, ``segregation-v0`` or ``swarmgym/segregation-v0``)."""
    key = env_id.split("/")[-1].replace("-", "_")
    if key not in ENVS:
        raise ValueError(f"unknown env id {env_id!r}; registered: {sorted(ENVS)}")
    return ENVS[key]
