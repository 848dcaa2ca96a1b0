"""A time-series strip under rendered frames: the main score so far, for ``swarmgym render``.

Pure: frames and a series in, new frames out (the renderer itself is untouched). The chart is drawn once
with matplotlib; each frame gets a copy in which the steps not yet played are faded and a cursor marks
the current step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _chart(series: np.ndarray, width: int, height: int, label: str, threshold: float | None):
    """(height, width, 3) uint8 chart of the whole series and the pixel column of every step."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dpi = 100
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0.09, 0.22, 0.88, 0.68))
    steps = np.arange(1, series.size + 1)
    ax.plot(steps, series, color="tab:blue", lw=1.2)
    if threshold is not None:
        ax.axhline(threshold, color="black", lw=0.7, ls="--")
    low, high = float(np.nanmin(series)), float(np.nanmax(series))
    pad = 0.05 * (high - low) if high > low else 0.05
    ax.set_ylim(min(low - pad, 0.0) if low >= 0 else low - pad, high + pad)
    ax.set_xlim(1, max(series.size, 2))
    ax.set_title(label, fontsize=7, pad=2)
    ax.tick_params(labelsize=6, pad=1)
    canvas.draw()
    image = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    # Pixel column of each step (display y is flipped in image rows, x is not).
    columns = ax.transData.transform(np.stack([steps, np.zeros(series.size)], axis=1))[:, 0]
    columns = np.clip(np.round(columns).astype(int), 0, image.shape[1] - 1)
    return image, columns


def overlay_series(
    frames: Sequence[np.ndarray],
    series: Sequence[float] | np.ndarray,
    label: str = "",
    threshold: float | None = None,
    frame_steps: Sequence[int] | None = None,
    height: int | None = None,
) -> list[np.ndarray]:
    """Each frame with the chart of ``series`` below it, drawn up to the frame's step.

    Args:
        frames: (H, W, 3) uint8 images, all the same size.
        series: the metric after steps 1..T.
        label: chart title, e.g. ``"polarisation"``.
        threshold: a dashed line (the task's emergence threshold).
        frame_steps: the step each frame shows (0 = the start state); default spreads the frames evenly
            over 0..T, as ``swarmgym render`` records them (the start plus one frame per step or stride).
        height: strip height in pixels (default a quarter of the frame height, at least 90, rounded up
            so that H + height is even, as H.264 in MP4 needs).

    Returns:
        (H + height, W, 3) uint8 frames.
    """
    frames = [np.asarray(f) for f in frames]
    if not frames:
        return []
    values = np.asarray(series, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError("overlay_series needs a non-empty series")
    frame_height, width = frames[0].shape[:2]
    if any(f.shape != frames[0].shape for f in frames):
        raise ValueError("every frame must have the same shape")
    if not height:
        height = max(90, frame_height // 4)
        height += (frame_height + height) % 2
    chart, columns = _chart(values, width, height, label, threshold)
    if frame_steps is None:
        frame_steps = np.round(np.linspace(0, values.size, len(frames))).astype(int)
    faded = (0.25 * chart + 0.75 * 255).astype(np.uint8)
    out = []
    for frame, step in zip(frames, frame_steps):
        if step <= 0:
            strip, cut = faded.copy(), columns[0]
        else:
            cut = columns[min(step, values.size) - 1]  # the last step played so far
            strip = chart.copy()
            strip[:, cut + 1 :] = faded[:, cut + 1 :]
        strip[:, cut] = (220, 30, 30)
        out.append(np.concatenate([frame[..., :3].astype(np.uint8), strip], axis=0))
    return out
