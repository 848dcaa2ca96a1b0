"""Batched neighbour search for continuous worlds: a cell list over B copies × N agents at once.

Every copy's square box [0, L)² (periodic) or [0, L]² (walled) is cut into n × n cells of side
L / n >= radius, so every neighbour within ``radius`` lies in the owner's own cell or one of the 8
around it. Agents of all copies are sorted once by the key (copy, cell row, cell column); then, for each
of the 9 neighbouring cells, every owner's candidate list is a contiguous slice of the sorted order,
and all slices are expanded into pairs with one vectorised "ragged arange". Cost O(B N ρ r²), no
O(N²) step and no Python loop over copies or agents (the only loop runs over the 9 cell offsets).

Pairs are reported per owner, in both directions (i -> j and j -> i), with the minimum-image offset
on a torus; for ``radius > L / 2`` only the nearest image of each agent counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Pairs:
    """Neighbour pairs of a batch, indices flat over copies (agent i of copy b is ``b * N + i``).

    ``owner`` (P,) int64 and ``neighbour`` (P,) int64 flat indices (same copy by construction);
    ``offset`` (P, 2) float64 = x_neighbour − x_owner (minimum image on a torus); ``distance`` (P,)
    float64 its length. Every pair satisfies ``distance < radius`` of the search that made it.
    """

    owner: np.ndarray
    neighbour: np.ndarray
    offset: np.ndarray
    distance: np.ndarray

    def within(self, radius: float) -> Pairs:
        """The sub-list with ``distance < radius`` (radius no larger than the search radius)."""
        keep = self.distance < radius
        return Pairs(self.owner[keep], self.neighbour[keep], self.offset[keep], self.distance[keep])

    def __len__(self) -> int:
        return int(self.owner.shape[0])


def minimum_image(delta: np.ndarray, box: float, torus: bool) -> np.ndarray:
    """Offsets ``delta`` reduced to the nearest periodic image (unchanged in a walled box)."""
    if not torus:
        return delta
    return delta - box * np.round(delta / box)


def neighbour_pairs(
    positions: np.ndarray,
    box: float,
    torus: bool,
    radius: float,
    owners: np.ndarray | None = None,
) -> Pairs:
    """Every ordered pair (i, j), i != j, of the same copy with |x_j − x_i| < ``radius``.

    Args:
        positions: (B, N, 2) float positions in [0, box] (x, y).
        box: side L of each copy's square world.
        torus: periodic boundaries (minimum image) or walls (plain differences).
        radius: search radius, > 0.
        owners: optional (K,) flat indices of the only owners to search for (others get no pairs).

    Returns:
        :class:`Pairs`, grouped by cell offset (not sorted by owner).
    """
    batch, n_agents = positions.shape[:2]
    flat = np.ascontiguousarray(positions, dtype=np.float64).reshape(-1, 2)
    n_cells = max(1, int(box // radius))
    cell_side = box / n_cells
    cell_xy = np.clip(np.floor(flat / cell_side).astype(np.int64), 0, n_cells - 1)
    copy = np.repeat(np.arange(batch, dtype=np.int64), n_agents)
    key = (copy * n_cells + cell_xy[:, 1]) * n_cells + cell_xy[:, 0]
    order = np.argsort(key, kind="stable")
    counts = np.bincount(key, minlength=batch * n_cells * n_cells)
    starts = np.cumsum(counts) - counts

    own = np.arange(flat.shape[0], dtype=np.int64) if owners is None else np.asarray(owners, dtype=np.int64)
    own_x, own_y, own_copy = cell_xy[own, 0], cell_xy[own, 1], copy[own]
    # On a small torus the 3 neighbouring cells per axis are not distinct: visit each cell once.
    shifts = (-1, 0, 1) if (not torus or n_cells >= 3) else tuple(range(n_cells))
    block_owner, block_start, block_count = [], [], []
    for dy in shifts:
        for dx in shifts:
            cx, cy = own_x + dx, own_y + dy
            if torus:
                cx %= n_cells
                cy %= n_cells
                sel = slice(None)
            else:
                sel = (cx >= 0) & (cx < n_cells) & (cy >= 0) & (cy < n_cells)
            cell = (own_copy[sel] * n_cells + cy[sel]) * n_cells + cx[sel]
            block_owner.append(own[sel])
            block_start.append(starts[cell])
            block_count.append(counts[cell])
    block_owner = np.concatenate(block_owner)
    block_start = np.concatenate(block_start)
    block_count = np.concatenate(block_count)
    nonempty = block_count > 0
    block_owner, block_start, block_count = (
        block_owner[nonempty],
        block_start[nonempty],
        block_count[nonempty],
    )

    # Ragged arange: pair p of block b reads order[block_start[b] + (p - first pair of b)].
    total = int(block_count.sum())
    first = np.cumsum(block_count) - block_count
    pair_owner = np.repeat(block_owner, block_count)
    slot = np.arange(total, dtype=np.int64) + np.repeat(block_start - first, block_count)
    pair_neighbour = order[slot]

    offset = minimum_image(flat[pair_neighbour] - flat[pair_owner], box, torus)
    distance = np.sqrt(np.einsum("pi,pi->p", offset, offset))
    keep = (distance < radius) & (pair_neighbour != pair_owner)
    return Pairs(pair_owner[keep], pair_neighbour[keep], offset[keep], distance[keep])


def nearest_neighbour_distance(
    positions: np.ndarray, box: float, torus: bool, pairs: Pairs | None = None, radius: float = 1.0
) -> np.ndarray:
    """(B, N) distance from every agent to its nearest other agent (inf when alone in its copy).

    ``pairs`` from an earlier search of radius ``radius`` settle most agents at no cost; the rest are
    searched again with a doubling radius (a few extra cell-list passes over the unsettled agents only).
    """
    batch, n_agents = positions.shape[:2]
    best = np.full(batch * n_agents, np.inf)
    if pairs is None:
        pairs = neighbour_pairs(positions, box, torus, radius)
    np.minimum.at(best, pairs.owner, pairs.distance)
    limit = box * (np.sqrt(0.5) if torus else np.sqrt(2.0))
    unsettled = np.flatnonzero(~np.isfinite(best))
    while unsettled.size and radius < limit:
        radius = min(2.0 * radius, limit * (1 + 1e-9))
        found = neighbour_pairs(positions, box, torus, radius, owners=unsettled)
        np.minimum.at(best, found.owner, found.distance)
        unsettled = unsettled[~np.isfinite(best[unsettled])]
    return best.reshape(batch, n_agents)
