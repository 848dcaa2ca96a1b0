"""Draw a segregation lattice: group colours, unsatisfied agents darker, live metrics in the caption."""

from __future__ import annotations

import numpy as np

from swarmgym.core.lattice import moore_counts
from swarmgym.core.rendering import EMPTY, GROUP_COLORS, Canvas
from swarmgym.envs.segregation.metrics import unsatisfied


def draw(
    canvas: Canvas, grid: np.ndarray, tolerance: float, torus: bool, step: int, metrics: dict[str, float]
) -> None:
    """Draw one (L, L) code grid; reads the state only."""
    same, occupied = moore_counts(grid[None], torus)
    unhappy = unsatisfied(same, occupied, grid[None], tolerance)[0]
    palette = np.vstack([np.array(EMPTY, dtype=np.uint8), GROUP_COLORS])
    rgb = palette[grid].astype(np.float64)
    rgb[unhappy] *= 0.55
    canvas.clear()
    canvas.cells(rgb.astype(np.uint8))
    canvas.caption(
        f"step {step}   segregation {metrics.get('segregation', float('nan')):.3f}   "
        f"unsatisfied {metrics.get('unsatisfied', float('nan')):.3f}"
    )
