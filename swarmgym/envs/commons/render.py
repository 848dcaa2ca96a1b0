"""Draw a commons grid: resources green, agents with a facing marker, beams, removed agents greyed."""

from __future__ import annotations

import numpy as np

from swarmgym.core.rendering import EMPTY, GROUP_COLORS, Canvas

RESOURCE = (40, 160, 60)
PATCH_SOIL = (200, 225, 190)
BEAM = (250, 220, 90)
REMOVED = (150, 150, 150)


def draw(canvas: Canvas, state, copy: int, config, metrics: dict[str, float]) -> None:
    """Draw copy ``copy`` of a CommonsState; reads the state only."""
    height, width = config.height, config.width
    rgb = np.empty((height * width, 3), dtype=np.uint8)
    rgb[:] = EMPTY
    rgb[state.patch[copy] >= 0] = PATCH_SOIL
    rgb[state.beam[copy]] = BEAM
    rgb[state.resource[copy]] = RESOURCE
    canvas.clear()
    canvas.cells(rgb.reshape(height, width, 3))

    in_play = state.removed_left[copy] == 0
    row, col = np.divmod(state.cell[copy], width)
    # Continuous coordinates whose scaling matches the stretched cell image (x right, y up, world = W).
    xy = np.stack([col + 0.5, (height - row - 0.5) * width / height], axis=1).astype(np.float64)
    angles = np.array([np.pi / 2, 0.0, -np.pi / 2, np.pi])[state.facing[copy]]
    n = len(in_play)
    colors = GROUP_COLORS[np.arange(n) % len(GROUP_COLORS)]
    cell_px = canvas.size / max(height, width)
    if (~in_play).any():
        grey = np.tile(np.array(REMOVED, dtype=np.uint8), ((~in_play).sum(), 1))
        canvas.circles(xy[~in_play], grey, width, radius=max(cell_px * 0.2, 1.5))
    if in_play.any():
        canvas.triangles(xy[in_play], angles[in_play], colors[in_play], width, length=max(cell_px * 0.45, 3))
    canvas.caption(
        f"step {int(state.t[copy])}   stock {metrics.get('stock', float('nan')):.0f}   "
        f"removed {int((~in_play).sum())}   U {metrics.get('efficiency', float('nan')):.2f}   "
        f"E {metrics.get('equality', float('nan')):.2f}   P {metrics.get('peace', float('nan')):.1f}"
    )
