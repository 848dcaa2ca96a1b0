"""Draw a consensus lattice: cells coloured by phase (hue wheel) or opinion, live order in the caption."""

from __future__ import annotations

import numpy as np

from swarmgym.core.rendering import EMPTY, Canvas, cyclic_colors, sequential_colors


def draw(
    canvas: Canvas,
    cell: np.ndarray,
    value: np.ndarray,
    size: int,
    kind: str,
    step: int,
    metrics: dict[str, float],
) -> None:
    """Draw one copy from its (N,) cells and (N,) phases or opinions; reads the state only."""
    rgb = np.empty((size * size, 3), dtype=np.uint8)
    rgb[:] = EMPTY
    if kind == "phase":
        rgb[cell] = cyclic_colors(value)
        text = (
            f"step {step}   r {metrics.get('order_parameter', float('nan')):.3f}   "
            f"local order {metrics.get('local_order', float('nan')):.3f}"
        )
    else:
        rgb[cell] = sequential_colors(value)
        text = (
            f"step {step}   disagreement {metrics.get('disagreement', float('nan')):.4f}   "
            f"clusters {metrics.get('n_major_clusters', float('nan')):.0f} major / "
            f"{metrics.get('n_clusters', float('nan')):.0f}"
        )
    canvas.clear()
    canvas.cells(rgb.reshape(size, size, 3))
    canvas.caption(text)
