"""THE table of environments: id -> model class and default episode length. Add a row to add an env.

Everything else (``swarmgym.make``, ``make_vec``, PettingZoo registration, the CLI, the conformance
tests) reads this table, so a new row is covered everywhere at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from swarmgym.core.model import SwarmModel
from swarmgym.envs.commons.dynamics import CommonsModel
from swarmgym.envs.consensus.dynamics import ConsensusModel
from swarmgym.envs.flocking.dynamics import FlockingModel
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
    scale: Callable[[int], dict] = lambda n: {"n_agents": n}
    """Config overrides giving about ``n`` agents at the default density (benchmarks, scaling studies)."""


ENVS: dict[str, EnvSpec] = {
    spec.id: spec
    for spec in (
        EnvSpec(
            "commons_v0",
            CommonsModel,
            1000,
            "Common-pool resource appropriation (commons harvest) with sanctions",
            presets={
                "small": {"height": 10, "width": 14, "n_patches": 2, "n_agents": 4, "view_size": 5},
                "logistic": {"regrowth": "logistic", "logistic_rate": 0.2},
            },
            scale=lambda n: {
                "n_agents": n,
                "height": max(24, math.ceil(math.sqrt(10 * n))),
                "width": max(24, math.ceil(math.sqrt(10 * n))),
                "n_patches": max(1, (max(24, math.ceil(math.sqrt(10 * n))) // 7) ** 2 // 2),
            },
        ),
        EnvSpec(
            "segregation_v0",
            SegregationModel,
            200,
            "Schelling segregation on a lattice",
            presets={"small": {"size": 8, "vacancy": 0.25}},
            scale=lambda n: {"size": max(4, math.ceil(math.sqrt(n / 0.9))), "block_size": 4},
        ),
        EnvSpec(
            "flocking_v0",
            FlockingModel,
            500,
            "Vicsek/Couzin flocking in a continuous box",
            presets={
                "small": {"n_agents": 20, "density": 2.0},
                # Couzin et al. 2002 in their units (r_r = 1, v0 = 0.3): a mill, and a parallel group.
                "couzin_mill": {
                    "n_agents": 100, "box_size": 100.0, "speed": 0.3, "noise": 0.17, "spawn_extent": 0.2,
                    "zone_repulsion": 1.0, "zone_orientation": 2.0, "zone_attraction": 16.0,
                },
                "couzin_parallel": {
                    "n_agents": 100, "box_size": 100.0, "speed": 0.3, "noise": 0.17, "spawn_extent": 0.2,
                    "zone_repulsion": 1.0, "zone_orientation": 14.0, "zone_attraction": 28.0,
                },
                "fast": {"rotate_view": False, "view_binning": "grid"},
            },
        ),
        EnvSpec(
            "consensus_v0",
            ConsensusModel,
            300,
            "Kuramoto synchronisation and opinion consensus on a lattice",
            presets={
                "small": {"size": 8, "density": 0.75, "view_size": 3},
                "opinion": {"state_kind": "opinion"},
                "mean_field": {
                    "coupling": "global",
                    "frequency_distribution": "lorentzian",
                    "frequency_width": 0.5,
                },
                # The classical check: N = 4,096, K_c = 2 gamma = 1, noise-free quantile frequencies.
                "kuramoto_theory": {
                    "size": 64,
                    "view_size": 1,
                    "coupling": "global",
                    "frequency_distribution": "lorentzian",
                    "frequency_width": 0.5,
                    "quantile_frequencies": True,
                    "dt": 0.1,
                    "max_correction": math.pi,
                },
            },
            scale=lambda n: {"size": max(3, math.ceil(math.sqrt(n))), "density": 1.0},
        ),
    )
}


def spec(env_id: str) -> EnvSpec:
    """The spec of ``env_id`` (``segregation_v0``, ``segregation-v0`` or ``swarmgym/segregation-v0``)."""
    key = env_id.split("/")[-1].replace("-", "_")
    if key not in ENVS:
        raise ValueError(f"unknown env id {env_id!r}; registered: {sorted(ENVS)}")
    return ENVS[key]
