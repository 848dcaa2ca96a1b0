"""Draw a flock: oriented triangles coloured by heading, walls when present, live metrics in the caption."""

from __future__ import annotations

import numpy as np

from swarmgym.core.rendering import WALL, Canvas, cyclic_colors


def draw(
    canvas: Canvas,
    position: np.ndarray,
    heading: np.ndarray,
    box: float,
    torus: bool,
    step: int,
    metrics: dict[str, float],
) -> None:
    """Draw one copy's (N, 2) positions and (N,) headings; reads the state only."""
    canvas.clear()
    if not torus:
        corners = np.array([[0.0, 0.0], [box, 0.0], [box, box], [0.0, box]])
        canvas.lines(corners, np.roll(corners, -1, axis=0), WALL, box, width=3)
    # Triangle size follows the typical spacing L / sqrt(N) so dense flocks stay readable.
    spacing_px = canvas.size / max(np.sqrt(len(heading)), 1.0)
    length = float(np.clip(0.6 * spacing_px, 3.0, 10.0))
    canvas.triangles(position, heading, cyclic_colors(heading), box, length=length)
    canvas.caption(
        f"step {step}   polarisation {metrics.get('polarisation', float('nan')):.3f}   "
        f"milling {metrics.get('milling', float('nan')):.3f}   "
        f"largest cluster {metrics.get('largest_cluster', float('nan')):.2f}"
    )
