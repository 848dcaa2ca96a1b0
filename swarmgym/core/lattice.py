"""Lattice geometry shared by the lattice envs: Moore offsets and shifted views on a torus or walls."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from swarmgym.core.compiled import kernel

#: Half of the 8 Moore-neighbour offsets (d_row, d_col): every unordered neighbour pair counted once.
MOORE_HALF = ((0, 1), (1, -1), (1, 0), (1, 1))


def pad_lattice(
    raster: np.ndarray, rad: int, torus: bool, fill: float | np.ndarray = 0, out: np.ndarray | None = None
) -> np.ndarray:
    """Pad axes 1 and 2 of a (B, H, W, ...) raster by ``rad`` cells: wrapped on a torus, else ``fill``.

    A few slice copies instead of ``np.pad``, whose per-call overhead dominates small worlds. On a
    torus smaller than the pad the raster is tiled as often as needed. ``out``: an optional
    (B, H + 2 rad, W + 2 rad, ...) array (a view may do) written instead of a new one.
    """
    batch, height, width = raster.shape[:3]
    if out is None:
        out = np.empty((batch, height + 2 * rad, width + 2 * rad, *raster.shape[3:]), dtype=raster.dtype)
    if not torus:
        out[...] = fill
        out[:, rad : rad + height, rad : rad + width] = raster
        return out
    if rad > min(height, width):
        reps = (1, 2 * (rad // height) + 3, 2 * (rad // width) + 3) + (1,) * (raster.ndim - 3)
        tiled = np.tile(raster, reps)
        top, left = (reps[1] // 2) * height - rad, (reps[2] // 2) * width - rad
        out[...] = tiled[:, top : top + height + 2 * rad, left : left + width + 2 * rad]
        return out
    out[:, rad : rad + height, rad : rad + width] = raster
    if rad:
        out[:, :rad, rad : rad + width] = raster[:, height - rad :]
        out[:, rad + height :, rad : rad + width] = raster[:, :rad]
        out[:, :, :rad] = out[:, :, width : width + rad]
        out[:, :, rad + width :] = out[:, :, rad : 2 * rad]
    return out


def shifted(
    grid: np.ndarray, offsets: tuple[tuple[int, int], ...], torus: bool, fill: int = 0
) -> Iterator[np.ndarray]:
    """Yield, per offset, the (B, H, W) view whose cell (r, c) holds ``grid[r + dr, c + dc]``.

    On a torus indices wrap; otherwise cells beyond the walls read ``fill``.
    """
    height, width = grid.shape[1:3]
    padded = pad_lattice(grid, 1, torus, fill)
    for dr, dc in offsets:
        yield padded[:, 1 + dr : 1 + dr + height, 1 + dc : 1 + dc + width]


def moore_counts(grid: np.ndarray, torus: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of a (B, H, W) code grid (0 = empty): Moore neighbours with the same code, and occupied ones.

    Returns two (B, H, W) uint8 arrays (values 0..8); the first is 0 on empty cells. Cells beyond walls
    are empty; on a torus smaller than 3×3 a wrapped cell counts as often as the block covers it. One
    compiled pass over the cells, whatever the number of codes.
    """
    return _moore_counts(np.ascontiguousarray(grid), torus)


@kernel
def _moore_counts(grid: np.ndarray, torus: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per copy: pad the grid by one cell (wrapped, or empty beyond walls), then count every 3×3 block."""
    batch, height, width = grid.shape
    same = np.empty((batch, height, width), dtype=np.uint8)
    occupied = np.empty((batch, height, width), dtype=np.uint8)
    padded = np.zeros((height + 2, width + 2), dtype=grid.dtype)
    for b in range(batch):
        for row in range(height):
            for col in range(width):
                padded[row + 1, col + 1] = grid[b, row, col]
        if torus:
            for col in range(1, width + 1):
                padded[0, col] = padded[height, col]
                padded[height + 1, col] = padded[1, col]
            for row in range(height + 2):
                padded[row, 0] = padded[row, width]
                padded[row, width + 1] = padded[row, 1]
        for row in range(height):
            for col in range(width):
                code = padded[row + 1, col + 1]
                n_same = 0
                n_occupied = 0
                for d_row in range(3):
                    for d_col in range(3):
                        neighbour = padded[row + d_row, col + d_col]
                        n_same += neighbour == code
                        n_occupied += neighbour != 0
                # The block holds the cell itself; an empty cell has no same-code neighbours.
                same[b, row, col] = n_same - 1 if code != 0 else 0
                occupied[b, row, col] = n_occupied - (code != 0)
    return same, occupied


def step_cells(cell: np.ndarray, step: np.ndarray, size: int, torus: bool) -> tuple[np.ndarray, np.ndarray]:
    """Flat cells one move away on a size×size lattice: (target, inside), both (B, N).

    ``step`` is (B, N, 2) (d_row, d_col). On a torus every target is inside; with walls a move out of
    the lattice has ``inside`` False and target 0 (callers keep such agents in place).
    """
    row, col = np.divmod(cell, size)
    new_row, new_col = row + step[..., 0], col + step[..., 1]
    if torus:
        new_row %= size
        new_col %= size
    inside = (new_row >= 0) & (new_row < size) & (new_col >= 0) & (new_col < size)
    return np.where(inside, new_row * size + new_col, 0), inside


def resolve_claims(claims: np.ndarray, target: np.ndarray, priority: np.ndarray, n_cells: int) -> np.ndarray:
    """(B, N) bool: among agents claiming the same cell of the same copy, the highest priority wins.

    Ties in priority all win (random float priorities practically never tie). One compiled pass per
    copy (:func:`_claim_winners`) instead of a dozen numpy calls.

    Args:
        claims: (B, N) bool, which agents claim a cell this step.
        target: (B, N) int flat cell index claimed (ignored where ``claims`` is False).
        priority: (B, N) float random priorities drawn from the env's seeded generator (never agent order).
        n_cells: cells per copy, so claims of different copies never collide.
    """
    winners = np.zeros(claims.shape, dtype=bool)
    _claim_winners(claims, target, priority, n_cells, winners)
    return winners


@kernel
def _claim_winners(claims, target, priority, n_cells, winners) -> None:
    """Per copy: the best claimant of every claimed cell, then every claimant whose bid equals the best."""
    batch, n_agents = claims.shape
    best = np.empty(n_cells, dtype=np.int64)  # agent index; only claimed cells are ever read
    for b in range(batch):
        for i in range(n_agents):
            if claims[b, i]:
                best[target[b, i]] = -1
        for i in range(n_agents):
            if claims[b, i]:
                cell = target[b, i]
                if best[cell] < 0 or priority[b, i] > priority[b, best[cell]]:
                    best[cell] = i
        for i in range(n_agents):
            winners[b, i] = claims[b, i] and priority[b, i] == priority[b, best[target[b, i]]]
