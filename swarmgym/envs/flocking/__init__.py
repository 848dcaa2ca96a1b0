"""Vicsek/Couzin flocking: the model folder behind ``swarmgym.flocking_v0``."""

from swarmgym.core.spec import EnvSpec, LearningSpec
from swarmgym.envs.flocking.dynamics import FlockingModel

# Couzin et al. 2002 in their units (r_r = 1, v0 = 0.3): a mill, and a parallel group.
_COUZIN = {"n_agents": 100, "box_size": 100.0, "speed": 0.3, "noise": 0.17, "spawn_extent": 0.2}

SPEC = EnvSpec(
    id="flocking_v0",
    model=FlockingModel,
    max_cycles=500,
    summary="Vicsek/Couzin flocking in a continuous box",
    presets={
        "small": {"n_agents": 20, "density": 2.0},
        "couzin_mill": {**_COUZIN, "zone_repulsion": 1.0, "zone_orientation": 2.0, "zone_attraction": 16.0},
        "couzin_parallel": {
            **_COUZIN, "zone_repulsion": 1.0, "zone_orientation": 14.0, "zone_attraction": 28.0
        },
        "fast": {"rotate_view": False, "view_binning": "grid"},
        "discrete": {"action_type": "discrete"},
    },
    learning=LearningSpec(
        preset="small", max_cycles=100, main_metric="polarisation", mean_field_preset="discrete"
    ),
)
