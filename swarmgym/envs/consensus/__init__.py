"""Kuramoto synchronisation and opinion consensus: the model folder behind ``swarmgym.consensus_v0``."""

import math

from swarmgym.core.spec import EnvSpec, LearningSpec
from swarmgym.envs.consensus.dynamics import ConsensusModel


def _scale(n: int) -> dict:
    """A fully occupied square lattice of about ``n`` agents."""
    return {"size": max(3, math.ceil(math.sqrt(n))), "density": 1.0}


SPEC = EnvSpec(
    id="consensus_v0",
    model=ConsensusModel,
    max_cycles=300,
    summary="Kuramoto synchronisation and opinion consensus on a lattice",
    presets={
        "small": {"size": 8, "density": 0.75, "view_size": 3},
        "opinion": {"state_kind": "opinion"},
        "mean_field": {"coupling": "global", "frequency_distribution": "lorentzian", "frequency_width": 0.5},
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
    scale=_scale,
    learning=LearningSpec(preset="small", max_cycles=100, main_metric="order_parameter"),
)
