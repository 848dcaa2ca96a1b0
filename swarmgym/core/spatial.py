"""Batched neighbour search for continuous worlds: a cell list over B copies × N agents at once.

Every copy's square box [0, L)² (periodic) or [0, L]² (walled) is cut into n × n cells of side
L / n >= radius / 2, so every neighbour within ``radius`` lies within 2 cells of the owner's cell. Agents
of all copies are sorted once by the key (copy, cell row, cell column). The full search
(:func:`unique_pairs`) widens every copy's grid by 2 ghost columns on each side and 2 ghost rows on top,
holding the periodic images of the opposite edge on a torus (empty behind walls): then an owner's
half shell (the rest of its own row up to 2 cells right, and 5 cells in each of the 2 rows above) is
3 contiguous runs of the sorted order, all runs are expanded into candidate pairs with one vectorised
"ragged arange", and offsets need no minimum-image arithmetic. Each unordered pair is tested once.
Cost O(B N ρ r²), no O(N²) step and no Python loop over copies or agents. Owner subsets (and tiny
tori, n < 5 cells) use a cell-offset-by-offset scan with minimum images; tiny tori fall back to
cells of side >= r, or to one cell per copy.

:func:`neighbour_pairs` reports pairs per owner, in both directions (i -> j and j -> i), with the
minimum-image offset on a torus; for ``radius > L / 2`` only the nearest image of each agent counts.
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
        keep = np.flatnonzero(self.distance < radius)
        return Pairs(
            self.owner.take(keep),
            self.neighbour.take(keep),
            self.offset.take(keep, axis=0),
            self.distance.take(keep),
        )

    def mirrored(self) -> Pairs:
        """These pairs followed by their reverses (j -> i, offset negated): a unique list made ordered."""
        return Pairs(
            np.concatenate([self.owner, self.neighbour]),
            np.concatenate([self.neighbour, self.owner]),
            np.concatenate([self.offset, -self.offset]),
            np.concatenate([self.distance, self.distance]),
        )

    def __len__(self) -> int:
        return int(self.owner.shape[0])


def minimum_image(delta: np.ndarray, box: float, torus: bool) -> np.ndarray:
    """Offsets ``delta`` reduced to the nearest periodic image (unchanged in a walled box)."""
    if not torus:
        return delta
    return delta - box * np.round(delta / box)


def unique_pairs(positions: np.ndarray, box: float, torus: bool, radius: float) -> Pairs:
    """Every unordered pair {i, j}, i != j, of the same copy with |x_j − x_i| < ``radius``, reported once.

    The pair comes as owner i, neighbour j, offset x_j − x_i (minimum image on a torus) in an arbitrary
    but deterministic order (copy b's pairs do not depend on the other copies); :func:`neighbour_pairs`
    is this list plus its mirror. Half the work and memory of the ordered list: symmetric per-pair
    quantities (distance, cos of relative headings) are computed once and scattered to both ends.
    """
    batch, n_agents = positions.shape[:2]
    flat = np.ascontiguousarray(positions, dtype=np.float64).reshape(-1, 2)
    reach = 2
    n_cells = max(int(box // (radius / reach)), 1)
    if torus and n_cells < 2 * reach + 1:
        reach, n_cells = 1, int(box // radius)
        if n_cells < 2 * reach + 1:  # tiny torus: the minimum-image search over one cell per copy
            return _shell_pairs(flat, batch, n_agents, box, torus, radius, None)
    return _ghost_pairs(flat, batch, n_agents, box, torus, radius, reach, n_cells)


def _ghost_pairs(flat, batch, n_agents, box, torus, radius, reach, n_cells) -> Pairs:
    """Cell list with ghost cells: each owner's half shell is ``reach + 1`` contiguous runs of the sort.

    Cells of side ``box / n_cells >= radius / reach``. The grid of every copy is widened by ``reach``
    columns on both sides and ``reach`` rows on top; on a torus those cells hold periodic images
    (ghosts) of the agents of the opposite edge, shifted by ±L, so offsets need no minimum-image
    arithmetic (n_cells >= 2 reach + 1 makes the image within ``radius`` unique); behind walls they
    stay empty. Sorted by (copy, row, column), the cells of one row are contiguous, so an owner's
    candidates are: the rest of its own row run up to column + reach (later agents of its own cell
    included, earlier ones excluded), then for each of the ``reach`` rows above, columns
    column - reach .. column + reach. Every unordered pair is thus a candidate exactly once.
    """
    side = box / n_cells
    width, height = n_cells + 2 * reach, n_cells + reach
    cell = np.floor(flat * (1.0 / side)).astype(np.int64)
    np.clip(cell, 0, n_cells - 1, out=cell)
    cx, cy = cell[:, 0], cell[:, 1]
    agent = np.arange(flat.shape[0], dtype=np.int64)
    copy = agent // n_agents
    x, y = flat[:, 0], flat[:, 1]
    ex, ey = cx + reach, cy
    images = [(agent, x, y, ex, ey)]
    if torus:
        left, right, bottom = cx >= n_cells - reach, cx < reach, cy < reach
        for mask, sx, sy in (
            (left, -1, 0),
            (right, 1, 0),
            (bottom, 0, 1),
            (left & bottom, -1, 1),
            (right & bottom, 1, 1),
        ):
            sel = np.flatnonzero(mask)
            images.append(
                (sel, x[sel] + sx * box, y[sel] + sy * box, ex[sel] + sx * n_cells, ey[sel] + sy * n_cells)
            )
    n_real = flat.shape[0]
    img_agent, img_x, img_y, img_ex, img_ey = (np.concatenate(part) for part in zip(*images))
    key = (copy.take(img_agent) * height + img_ey) * width + img_ex
    order = np.argsort(key, kind="stable")
    ends = np.cumsum(np.bincount(key, minlength=batch * height * width))
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1]
    xs, ys, agent_of = img_x.take(order), img_y.take(order), img_agent.take(order)
    own = np.flatnonzero(order < n_real)  # owners: the real agents (the first images), in sorted order
    own_key = key.take(order.take(own))
    block_start = np.empty((own.shape[0], reach + 1), dtype=np.int64)  # runs [start, end) per owner
    block_end = np.empty((own.shape[0], reach + 1), dtype=np.int64)
    block_start[:, 0] = own + 1
    block_end[:, 0] = ends.take(own_key + reach)
    for dy in range(1, reach + 1):
        block_start[:, dy] = starts.take(own_key + dy * width - reach)
        block_end[:, dy] = ends.take(own_key + dy * width + reach)
    block_count = block_end - block_start
    # Expand the runs chunk by chunk of owners (about CHUNK candidates each): candidate arrays stay
    # small (cache-resident, reused by the allocator instead of fresh page-faulting memory) and the
    # peak memory is that of the kept pairs, whatever B, N and the radius.
    owner_end = np.cumsum(block_count.sum(axis=1))
    total = int(owner_end[-1]) if owner_end.shape[0] else 0
    cuts = np.searchsorted(owner_end, np.arange(CHUNK, total, CHUNK), side="right")
    bounds = np.unique(np.concatenate([[0], cuts, [own.shape[0]]]))
    parts = []
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        counts = block_count[lo:hi].ravel()
        shift = block_start[lo:hi].ravel() - (np.cumsum(counts) - counts)
        size = int(owner_end[hi - 1] - (owner_end[lo - 1] if lo else 0))
        # Ragged arange: candidate p of run b is sorted index block_start[b] + (p - first candidate of b).
        pair_neighbour = np.repeat(shift, counts)
        pair_neighbour += _arange(size)
        pair_owner = np.repeat(own[lo:hi], counts.reshape(-1, reach + 1).sum(axis=1))
        dx = xs.take(pair_neighbour)
        dx -= xs.take(pair_owner)
        dy = ys.take(pair_neighbour)
        dy -= ys.take(pair_owner)
        distance = np.multiply(dx, dx)
        distance += dy * dy
        np.sqrt(distance, out=distance)
        keep = np.flatnonzero(distance < radius)
        parts.append(
            (
                pair_owner.take(keep),
                pair_neighbour.take(keep),
                dx.take(keep),
                dy.take(keep),
                distance.take(keep),
            )
        )
    pair_owner, pair_neighbour, dx, dy, distance = (
        np.concatenate(column) if len(parts) != 1 else column[0] for column in zip(*parts)
    )
    offset = np.empty((dx.shape[0], 2), order="F")  # contiguous x and y columns
    offset[:, 0] = dx
    offset[:, 1] = dy
    return Pairs(agent_of.take(pair_owner), agent_of.take(pair_neighbour), offset, distance)


CHUNK = 1 << 20
"""Candidate pairs expanded at once by :func:`unique_pairs` (bounds its temporary memory)."""

def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


_ARANGES: list[np.ndarray] = [_read_only(np.arange(CHUNK * 4, dtype=np.int64))]


def _arange(size: int) -> np.ndarray:
    """``np.arange(size)`` as a read-only view of a cached array (no allocation per chunk).

    The cache holds 0, 1, 2, ... only, never anything derived from a state: read-only and only ever
    swapped for a longer one, it is safe to share between envs and threads (each call reads the
    array it checked, so a concurrent swap cannot shorten it).
    """
    cached = _ARANGES[0]
    if cached.shape[0] < size:
        cached = _ARANGES[0] = _read_only(np.arange(2 * size, dtype=np.int64))
    return cached[:size]


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
        :class:`Pairs` (not sorted by owner). Without ``owners`` each unordered pair is found once
        (:func:`unique_pairs`) and reported in both directions.
    """
    if owners is None:
        return unique_pairs(positions, box, torus, radius).mirrored()
    batch, n_agents = positions.shape[:2]
    flat = np.ascontiguousarray(positions, dtype=np.float64).reshape(-1, 2)
    return _shell_pairs(flat, batch, n_agents, box, torus, radius, owners)


def _shell_pairs(flat, batch, n_agents, box, torus, radius, owners) -> Pairs:
    """Cell list scanning each owner's cells offset by offset (owner subsets and tiny tori).

    Without ``owners`` a half shell (each unordered pair once, as :func:`unique_pairs`), otherwise
    the full shell of the given owners (ordered pairs).
    """
    # Cells of side >= radius / reach: the neighbours lie within ``reach`` cells. Half-size cells
    # (reach 2) scan 12.5 cells of area (r/2)² per agent instead of 4.5 of area r²: fewer candidates.
    reach = 2
    n_cells = int(box // (radius / reach))
    if torus and n_cells < 2 * reach + 1:
        reach, n_cells = 1, int(box // radius)
        if n_cells < 3:  # tiny torus: one cell, every pair of the copy is a candidate
            n_cells = 1
    n_cells = max(n_cells, 1)
    cell_side = box / n_cells
    cell_xy = np.clip(np.floor(flat / cell_side).astype(np.int64), 0, n_cells - 1)
    copy = np.repeat(np.arange(batch, dtype=np.int64), n_agents)
    key = (copy * n_cells + cell_xy[:, 1]) * n_cells + cell_xy[:, 0]
    order = np.argsort(key, kind="stable")
    counts = np.bincount(key, minlength=batch * n_cells * n_cells)
    starts = np.cumsum(counts) - counts
    # Work in sorted order: candidate slices are contiguous and the gathers cache-friendly.
    sorted_x, sorted_y = flat[order, 0], flat[order, 1]
    sorted_cell = cell_xy[order]
    sorted_copy = copy[order]
    half = owners is None
    if half:
        own = np.arange(flat.shape[0], dtype=np.int64)
    else:
        rank = np.empty_like(order)
        rank[order] = np.arange(order.shape[0])
        own = rank[np.asarray(owners, dtype=np.int64)]
    own_x, own_y, own_copy = sorted_cell[own, 0], sorted_cell[own, 1], sorted_copy[own]

    # On a torus of n_cells = 1 the only cell is the own cell (reach >= 1 otherwise gives distinct cells).
    span = range(-reach, reach + 1) if (n_cells > 1 or not torus) else range(1)
    shifts = [(dx, dy) for dy in span for dx in span]
    if half:  # one of each pair of opposite cells; the own cell is scanned from the owner onwards
        shifts = [(dx, dy) for dx, dy in shifts if dy > 0 or (dy == 0 and dx > 0)]
    else:
        shifts = [shift for shift in shifts if shift != (0, 0)]
    own_cell = (own_copy * n_cells + own_y) * n_cells + own_x
    if half:
        block_owner = [own]
        block_start = [own + 1]
        block_count = [starts[own_cell] + counts[own_cell] - own - 1]
    else:
        block_owner, block_start, block_count = [own], [starts[own_cell]], [counts[own_cell]]
    for dx, dy in shifts:
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

    # Ragged arange: candidate p of block b is sorted index block_start[b] + (p - first candidate of b).
    total = int(block_count.sum())
    first = np.cumsum(block_count) - block_count
    pair_owner = np.repeat(block_owner, block_count)
    pair_neighbour = np.arange(total, dtype=np.int64) + np.repeat(block_start - first, block_count)
    # 1-D gathers and masks: far cheaper than fancy-indexing (P, 2) rows.
    dx = sorted_x.take(pair_neighbour) - sorted_x.take(pair_owner)
    dy = sorted_y.take(pair_neighbour) - sorted_y.take(pair_owner)
    if torus:
        dx -= box * np.rint(dx / box)
        dy -= box * np.rint(dy / box)
    distance = np.sqrt(dx * dx + dy * dy)
    keep = np.flatnonzero((distance < radius) & (pair_neighbour != pair_owner))
    pair_owner, pair_neighbour = order.take(pair_owner.take(keep)), order.take(pair_neighbour.take(keep))
    dx, dy, distance = dx.take(keep), dy.take(keep), distance.take(keep)
    offset = np.stack([dx, dy], axis=1)
    return Pairs(pair_owner, pair_neighbour, offset, distance)


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
