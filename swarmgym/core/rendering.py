"""The pygame canvas every env draws on, and episode saving (GIF / MP4).

pygame is imported lazily, so simulation never needs it. Frames are drawn on an offscreen surface,
so ``rgb_array`` works with no display; ``human`` mode blits that surface to a window and ticks at
the env's ``render_fps`` (headless with ``SDL_VIDEODRIVER=dummy``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from swarmgym.core.io import atomic_path

#: Colour-blind-safe categorical palette (Okabe-Ito) for groups; RGB uint8.
GROUP_COLORS = np.array(
    [
        [230, 159, 0],
        [86, 180, 233],
        [0, 158, 115],
        [240, 228, 66],
        [0, 114, 178],
        [213, 94, 0],
        [204, 121, 167],
    ],
    dtype=np.uint8,
)
BACKGROUND = (250, 250, 250)
EMPTY = (235, 235, 235)
WALL = (60, 60, 60)
INK = (20, 20, 20)
SIZE = 640
PANEL = 28


def _pygame():
    try:
        import pygame
    except ImportError as error:  # pragma: no cover - pygame-ce is a core dependency
        raise ImportError("rendering needs pygame-ce: pip install pygame-ce") from error
    return pygame


def cyclic_colors(angles: np.ndarray) -> np.ndarray:
    """(M, 3) uint8 colours on a hue wheel for angles in radians (headings, phases)."""
    hue = (np.asarray(angles) / (2 * np.pi)) % 1.0
    return hsv_to_rgb(hue, 0.75, 0.9)


def sequential_colors(values: np.ndarray) -> np.ndarray:
    """(M, 3) uint8 colours for values in [0, 1] (opinions): blue through purple to red."""
    v = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)[:, None]
    low, high = np.array([40, 90, 220]), np.array([220, 50, 50])
    return (low + (high - low) * v).astype(np.uint8)


def hsv_to_rgb(hue: np.ndarray, saturation: float | np.ndarray, value: float | np.ndarray) -> np.ndarray:
    """Vectorised HSV -> RGB: (M, 3) uint8 for M hues in [0, 1); saturation and value broadcast."""
    h6 = np.asarray(hue, dtype=np.float64).ravel() * 6.0
    sector = np.floor(h6).astype(int) % 6
    frac = h6 - np.floor(h6)
    saturation, value = np.broadcast_to(saturation, frac.shape), np.broadcast_to(value, frac.shape)
    p, q, t = value * (1 - saturation), value * (1 - saturation * frac), value * (1 - saturation * (1 - frac))
    v = value
    table = np.stack(
        [np.stack(c, -1) for c in ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))]
    )
    rgb = table[sector, np.arange(sector.size)]
    return (rgb * 255).astype(np.uint8)


class Canvas:
    """An offscreen square drawing area plus a one-line text panel at the top.

    ``world`` is the side of the drawn area in world units; drawing helpers take world coordinates
    (x right, y up for continuous worlds; row, column for lattices via :meth:`cells`).
    """

    def __init__(self, fps: int = 15, window: bool = False, size: int = SIZE):
        pygame = _pygame()
        pygame.font.init()
        self.size = size
        self.fps = fps
        self.surface = pygame.Surface((size, size + PANEL))
        self.font = pygame.font.Font(None, 22)
        self._window = None
        self._clock = None
        if window:
            pygame.display.init()
            self._window = pygame.display.set_mode((size, size + PANEL))
            self._clock = pygame.time.Clock()

    def clear(self) -> None:
        """Fill the whole canvas with the background colour."""
        self.surface.fill(BACKGROUND)

    def cells(self, rgb: np.ndarray) -> None:
        """Draw an (H, W, 3) uint8 image of lattice cells, scaled to fill the drawing area."""
        pygame = _pygame()
        image = pygame.surfarray.make_surface(np.ascontiguousarray(rgb.transpose(1, 0, 2)))
        self.surface.blit(pygame.transform.scale(image, (self.size, self.size)), (0, PANEL))

    def to_pixels(self, xy: np.ndarray, world: float) -> np.ndarray:
        """Map (M, 2) continuous world coordinates in [0, world) to pixel positions (y up)."""
        scale = self.size / world
        return np.stack([xy[:, 0] * scale, PANEL + self.size - xy[:, 1] * scale], axis=1)

    def triangles(
        self, xy: np.ndarray, angles: np.ndarray, colors: np.ndarray, world: float, length: float = 9
    ) -> None:
        """Oriented triangles (agents with a heading) at (M, 2) world positions."""
        pygame = _pygame()
        centre = self.to_pixels(xy, world)
        ahead = np.stack([np.cos(angles), -np.sin(angles)], axis=1)
        side = np.stack([-ahead[:, 1], ahead[:, 0]], axis=1)
        tips = centre + ahead * length
        left = centre - ahead * length * 0.5 + side * length * 0.45
        right = centre - ahead * length * 0.5 - side * length * 0.45
        for points, color in zip(np.stack([tips, left, right], axis=1).tolist(), colors.tolist()):
            pygame.draw.polygon(self.surface, color, points)

    def circles(self, xy: np.ndarray, colors: np.ndarray, world: float, radius: float = 4) -> None:
        """Filled circles at (M, 2) world positions."""
        pygame = _pygame()
        for centre, color in zip(self.to_pixels(xy, world).tolist(), colors.tolist()):
            pygame.draw.circle(self.surface, color, centre, radius)

    def lines(
        self, starts: np.ndarray, ends: np.ndarray, color: tuple[int, int, int], world: float, width: int = 2
    ) -> None:
        """Line segments between (M, 2) world positions."""
        pygame = _pygame()
        for a, b in zip(self.to_pixels(starts, world).tolist(), self.to_pixels(ends, world).tolist()):
            pygame.draw.line(self.surface, color, a, b, width)

    def caption(self, text: str) -> None:
        """Write one line of text (step, live metric) in the top panel."""
        self.surface.fill(BACKGROUND, (0, 0, self.size, PANEL))
        self.surface.blit(self.font.render(text, True, INK), (8, 6))

    def to_array(self) -> np.ndarray:
        """The current frame as (H, W, 3) uint8."""
        pygame = _pygame()
        return np.ascontiguousarray(pygame.surfarray.array3d(self.surface).transpose(1, 0, 2))

    def show(self) -> None:
        """Blit the frame to the human window and wait for the next frame time."""
        pygame = _pygame()
        pygame.event.pump()
        self._window.blit(self.surface, (0, 0))
        pygame.display.flip()
        self._clock.tick(self.fps)

    def close(self) -> None:
        """Close the window, if one was opened."""
        if self._window is not None:
            pygame = _pygame()
            pygame.display.quit()
            self._window = None


def check_video_path(path: str | os.PathLike) -> Path:
    """``path`` as a Path if it ends in .gif or .mp4, else ``ValueError`` (checked before long runs)."""
    path = Path(path)
    if path.suffix.lower() not in (".gif", ".mp4"):
        raise ValueError(f"video path must end in .gif or .mp4, got {path.name!r}")
    return path


def save_frames(frames: Sequence[np.ndarray], path: str | os.PathLike, fps: int) -> Path:
    """Write frames to a GIF or MP4 (by suffix) atomically: a temp file renamed into place."""
    import imageio.v2 as imageio

    path = check_video_path(path)
    suffix = path.suffix.lower()
    with atomic_path(path) as temp:
        if suffix == ".gif":
            imageio.mimsave(temp, list(frames), duration=1000 / fps, loop=0)
        else:
            imageio.mimsave(temp, list(frames), fps=fps, macro_block_size=1)
    return path
