"""Schelling segregation: the model folder behind ``swarmgym.segregation_v0``."""

import math

from swarmgym.core.spec import EnvSpec, LearningSpec
from swarmgym.envs.segregation.dynamics import SegregationModel


def _scale(n: int) -> dict:
    """A square torus holding about ``n`` agents at 10 % vacancy."""
    return {"size": max(4, math.ceil(math.sqrt(n / 0.9))), "block_size": 4}


SPEC = EnvSpec(
    id="segregation_v0",
    model=SegregationModel,
    max_cycles=200,
    summary="Schelling segregation on a lattice",
    presets={"small": {"size": 8, "vacancy": 0.25}, "learning": {"size": 10}},
    scale=_scale,
    learning=LearningSpec(preset="learning", max_cycles=50, main_metric="segregation"),
)
