"""Common-pool resource appropriation (commons harvest): the model folder behind ``swarmgym.commons_v0``."""

import math

from swarmgym.core.spec import EnvSpec, LearningSpec
from swarmgym.envs.commons.dynamics import CommonsModel


def _scale(n: int) -> dict:
    """About 10 cells per agent on a square grid of at least 24×24, half of its 7×7 blocks patches."""
    side = max(24, math.ceil(math.sqrt(10 * n)))
    return {"n_agents": n, "height": side, "width": side, "n_patches": max(1, (side // 7) ** 2 // 2)}


SPEC = EnvSpec(
    id="commons_v0",
    model=CommonsModel,
    max_cycles=1000,
    summary="Common-pool resource appropriation (commons harvest) with sanctions",
    presets={
        "small": {"height": 10, "width": 14, "n_patches": 2, "n_agents": 4, "view_size": 5},
        "logistic": {"regrowth": "logistic", "logistic_rate": 0.2},
    },
    scale=_scale,
    # The dilemma lives over the full horizon: greedy harvesters collapse the small preset by step ~30,
    # restraint pays over hundreds of steps (an apple regrows in ~40), so the learners train on 1,000-step
    # episodes with a value horizon 1 / (1 - gamma) of 100 steps, 500 for MF-Q (measured best: with the
    # collective reward it sustains the resource at the restrained rule's level; docs/cooperation.md).
    learning=LearningSpec(
        preset="small",
        max_cycles=1000,
        main_metric="efficiency",
        num_copies=16,
        hyper={"ppo": {"gamma": 0.99, "n_steps": 128}, "mfq": {"gamma": 0.998}, "mfac": {"gamma": 0.99}},
    ),
)
