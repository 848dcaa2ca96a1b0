"""Batched neighbour search for continuous worlds: a cell list over B copies × N agents at once.

Every copy's square box [0, L)² (periodic) or [0, L]² (walled) is cut into n × n cells of side
L / n >= radius / 2, so every neighbour within ``radius`` lies within 2 cells of the owner's cell. Agents
of all copies are sorted once by the key (copy, cell row, cell column). The full search
(:func:`unique_pairs`) widens every copy's grid by 2 ghost columns on each side and 2 ghost rows on top,
holding the periodic images of the opposite edge on a torus (empty behind walls): then an owner's
half shell (the rest of its own row up to 2 cells right, and 5 cells in each of the 2 rows above) is
3 contiguous runs of the sorted order, walked by one compiled kernel (sort, runs and distance tests in
one pass, no candidate arrays), and offsets need no minimum-image arithmetic. Each unordered pair is
tested once. Cost O(B N ρ r²), no O(N²) step. Tiny tori (fewer than 3 cells of side >= r) test every
pair of a copy with minimum images, also compiled. Owner subsets use a numpy cell-offset-by-offset
scan with minimum images.

:func:`neighbour_pairs` reports pairs per owner, in both directions (i -> j and j -> i), with the
minimum-image offset on a torus; for ``radius > L / 2`` only the nearest image of each agent counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from swarmgym.core.compiled import kernel


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

    The pair comes as owner i, neighbour j, offset x_j − x_i (minimum image on a torus), grouped by
    owner in a deterministic order (copy b's pairs do not depend on the other copies);
    :func:`neighbour_pairs` is this list plus its mirror. Half the work and memory of the ordered list:
    symmetric per-pair quantities (distance, cos of relative headings) are computed once and scattered
    to both ends. One compiled pass (:func:`_ghost_search`, or :func:`_copy_search` on tiny tori).
    """
    batch, n_agents = positions.shape[:2]
    flat = np.ascontiguousarray(positions, dtype=np.float64).reshape(-1, 2)
    reach = 2
    n_cells = max(int(box // (radius / reach)), 1)
    if torus and n_cells < 2 * reach + 1:
        reach, n_cells = 1, int(box // radius)
        if n_cells < 2 * reach + 1:  # tiny torus: the minimum-image search over one cell per copy
            found = _copy_search(flat, n_agents, box, squared_limit(radius))
            owner, neighbour, offset, distance, size = found
            np.sqrt(distance[:size], out=distance[:size])
            return _pairs(owner, neighbour, offset, distance, size)
    xs, ys, agent_of, owners, owner_key, starts, candidates = _ghost_cells(
        flat, n_agents, box, torus, reach, n_cells, 1.0 / (box / n_cells)
    )
    # Outputs allocated by numpy (its allocator reuses freed memory: no fresh pages to fault in per
    # search), with room for every candidate (the unused tail is never written).
    owner, neighbour = np.empty(candidates, dtype=np.int64), np.empty(candidates, dtype=np.int64)
    offset, distance = np.empty((2, candidates)), np.empty(candidates)
    width = n_cells + 2 * reach
    limit = squared_limit(radius)
    size = _ghost_walk(
        xs, ys, agent_of, owners, owner_key, starts, reach, width, limit, owner, neighbour, offset, distance
    )
    np.sqrt(distance[:size], out=distance[:size])  # the kept pairs' squared distances (vectorised)
    return _pairs(owner, neighbour, offset, distance, size)


@lru_cache(maxsize=256)
def squared_limit(radius: float) -> float:
    """The least float64 s with sqrt(s) >= ``radius``: sqrt(s) < radius exactly when s < it.

    (sqrt is correctly rounded, hence monotonic.) Lets a search test squared distances and take the
    square roots of the kept pairs only, with the very same outcome as testing the distances. Cached:
    an env searches with the same radius every step.
    """
    limit = radius * radius
    while np.sqrt(limit) >= radius:
        limit = np.nextafter(limit, 0.0)
    while np.sqrt(limit) < radius:
        limit = np.nextafter(limit, np.inf)
    return float(limit)


def _pairs(
    owner: np.ndarray, neighbour: np.ndarray, offset: np.ndarray, distance: np.ndarray, size: int
) -> Pairs:
    """The first ``size`` pairs a search kernel wrote; offsets (2, capacity) become (P, 2) columns."""
    return Pairs(owner[:size], neighbour[:size], offset[:, :size].T, distance[:size])


@kernel
def _grow(owner, neighbour, offset, distance):
    """The search's output buffers with twice the capacity (the first half copied)."""
    capacity = 2 * owner.shape[0]
    new_owner = np.empty(capacity, dtype=np.int64)
    new_neighbour = np.empty(capacity, dtype=np.int64)
    new_offset = np.empty((2, capacity), dtype=np.float64)
    new_distance = np.empty(capacity, dtype=np.float64)
    size = owner.shape[0]
    new_owner[:size] = owner
    new_neighbour[:size] = neighbour
    new_offset[:, :size] = offset
    new_distance[:size] = distance
    return new_owner, new_neighbour, new_offset, new_distance


@kernel
def _copy_search(flat, n_agents, box, limit):
    """Tiny tori: every pair of a copy is a candidate, offsets reduced to the minimum image.

    Owners in agent order, each followed by the later agents of its copy. Like :func:`_ghost_walk`,
    keeps squared distances below ``limit`` and writes every candidate (branch-free; the buffers
    always have room for the owner's candidates), ``distance`` receiving squared distances.
    """
    capacity = max(1024, 8 * flat.shape[0])
    owner = np.empty(capacity, dtype=np.int64)
    neighbour = np.empty(capacity, dtype=np.int64)
    offset = np.empty((2, capacity), dtype=np.float64)
    distance = np.empty(capacity, dtype=np.float64)
    inverse = 1.0 / box
    size = 0
    for i in range(flat.shape[0]):
        last = (i // n_agents + 1) * n_agents
        while size + last - i - 1 > owner.shape[0]:
            owner, neighbour, offset, distance = _grow(owner, neighbour, offset, distance)
        x, y = flat[i, 0], flat[i, 1]
        for j in range(i + 1, last):
            dx = flat[j, 0] - x
            dy = flat[j, 1] - y
            dx -= box * _nearest_integer(dx, box, inverse)
            dy -= box * _nearest_integer(dy, box, inverse)
            squared = dx * dx + dy * dy
            owner[size] = i
            neighbour[size] = j
            offset[0, size] = dx
            offset[1, size] = dy
            distance[size] = squared
            size += squared < limit
    return owner, neighbour, offset, distance, size


@kernel
def _nearest_integer(x, box, inverse):
    """rint(x / box), mostly without dividing.

    x * (1 / box) is within 2^-50 (|q| + 1) of the quotient q, so both round alike unless that close
    to a half-integer (then divide).
    """
    q = x * inverse
    n = np.rint(q)
    if abs(abs(q - n) - 0.5) <= 2.0**-47 * (abs(q) + 1.0):
        n = np.rint(x / box)
    return n


@kernel
def _ghost_cells(flat, n_agents, box, torus, reach, n_cells, inverse_side):
    """The sorted cell list with ghost cells of :func:`unique_pairs`, and its number of candidate pairs.

    Cells of side ``box / n_cells >= radius / reach``. The grid of every copy is widened by ``reach``
    columns on both sides and ``reach`` rows on top; on a torus those cells hold periodic images
    (ghosts) of the agents of the opposite edge, shifted by ±L, so offsets need no minimum-image
    arithmetic (n_cells >= 2 reach + 1 makes the image within ``radius`` unique); behind walls they
    stay empty. Images (the real agents, then the ghosts of the left, right and bottom edges and of
    the two bottom corners, each kind in agent order) are sorted stably by (copy, row, column):
    returns their ``xs``, ``ys``, ``agent_of``, the sorted indices ``owners`` of the real agents with
    their keys ``owner_key``, the key offsets ``starts`` and the number of candidates of
    :func:`_ghost_walk`.
    """
    n_real = flat.shape[0]
    batch = n_real // n_agents
    width, height = n_cells + 2 * reach, n_cells + reach
    cx = np.empty(n_real, dtype=np.int64)
    cy = np.empty(n_real, dtype=np.int64)
    n_images = n_real
    for a in range(n_real):
        cx[a] = min(max(np.int64(np.floor(flat[a, 0] * inverse_side)), 0), n_cells - 1)
        cy[a] = min(max(np.int64(np.floor(flat[a, 1] * inverse_side)), 0), n_cells - 1)
        if torus:
            left, right, bottom = cx[a] >= n_cells - reach, cx[a] < reach, cy[a] < reach
            n_images += int(left) + int(right) + int(bottom) + int(left and bottom) + int(right and bottom)
    image_agent = np.empty(n_images, dtype=np.int64)
    image_x = np.empty(n_images, dtype=np.float64)
    image_y = np.empty(n_images, dtype=np.float64)
    image_key = np.empty(n_images, dtype=np.int64)
    for a in range(n_real):
        image_agent[a] = a
        image_x[a] = flat[a, 0]
        image_y[a] = flat[a, 1]
        image_key[a] = ((a // n_agents) * height + cy[a]) * width + cx[a] + reach
    m = n_real
    if torus:
        for kind in range(5):
            sx = (-1, 1, 0, -1, 1)[kind]  # shift in boxes
            sy = (0, 0, 1, 1, 1)[kind]
            for a in range(n_real):
                left, right, bottom = cx[a] >= n_cells - reach, cx[a] < reach, cy[a] < reach
                if (left, right, bottom, left and bottom, right and bottom)[kind]:
                    image_agent[m] = a
                    image_x[m] = flat[a, 0] + sx * box
                    image_y[m] = flat[a, 1] + sy * box
                    ex, ey = cx[a] + reach + sx * n_cells, cy[a] + sy * n_cells
                    image_key[m] = ((a // n_agents) * height + ey) * width + ex
                    m += 1
    # Stable counting sort by key.
    n_keys = batch * height * width
    starts = np.zeros(n_keys + 1, dtype=np.int64)
    for i in range(n_images):
        starts[image_key[i] + 1] += 1
    for key in range(n_keys):
        starts[key + 1] += starts[key]
    cursor = starts[:-1].copy()
    xs = np.empty(n_images, dtype=np.float64)
    ys = np.empty(n_images, dtype=np.float64)
    agent_of = np.empty(n_images, dtype=np.int64)
    real = np.empty(n_images, dtype=np.bool_)
    for i in range(n_images):
        s = cursor[image_key[i]]
        cursor[image_key[i]] += 1
        xs[s], ys[s], agent_of[s] = image_x[i], image_y[i], image_agent[i]
        real[s] = i < n_real
    owners = np.empty(n_real, dtype=np.int64)  # the real images' sorted indices, ascending
    a = 0
    for s in range(n_images):
        if real[s]:
            owners[a] = s
            a += 1
    owner_key = np.empty(n_real, dtype=np.int64)
    candidates = 0
    for a in range(n_real):
        s = owners[a]
        key = image_key[agent_of[s]]  # a real image's index is its agent
        owner_key[a] = key
        candidates += starts[key + reach + 1] - s - 1
        for run in range(1, reach + 1):
            candidates += starts[key + run * width + reach + 1] - starts[key + run * width - reach]
    return xs, ys, agent_of, owners, owner_key, starts, candidates


@kernel
def _ghost_walk(
    xs, ys, agent_of, owners, owner_key, starts, reach, width, limit, owner, neighbour, offset, distance
):
    """Test every owner's candidates (its half shell), keeping those closer than the search radius.

    A candidate is kept when its squared distance is below ``limit`` (:func:`squared_limit`), and
    ``distance`` receives the squared distance (the caller takes square roots of the kept pairs only).

    Owners in sorted order, each with its ``reach + 1`` runs of the sorted images in order, written from
    index 0.

    The runs of the owner at sorted index ``o`` of key K: the rest of its own row up to column
    + reach (later images of its own cell included, earlier ones excluded), then for each of the
    ``reach`` rows above, columns - reach .. + reach. Every unordered pair is a candidate exactly once.
    Returns the number of pairs written.
    """
    size = 0
    for i in range(owners.shape[0]):
        o, key = owners[i], owner_key[i]
        x, y, a = xs[o], ys[o], agent_of[o]
        for run in range(reach + 1):
            if run == 0:
                first, last = o + 1, starts[key + reach + 1]
            else:
                first, last = starts[key + run * width - reach], starts[key + run * width + reach + 1]
            for j in range(first, last):
                dx = xs[j] - x
                dy = ys[j] - y
                squared = dx * dx + dy * dy
                # Branch-free: every candidate is written at the next free slot, which only advances
                # for a kept pair (no mispredicted branch per candidate; room for all candidates).
                owner[size] = a
                neighbour[size] = agent_of[j]
                offset[0, size] = dx
                offset[1, size] = dy
                distance[size] = squared
                size += squared < limit
    return size


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
    """Cell list scanning each given owner's cells offset by offset: its ordered pairs (full shell)."""
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
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    own = rank[np.asarray(owners, dtype=np.int64)]
    own_x, own_y, own_copy = sorted_cell[own, 0], sorted_cell[own, 1], sorted_copy[own]

    # On a torus of n_cells = 1 the only cell is the own cell (reach >= 1 otherwise gives distinct cells).
    span = range(-reach, reach + 1) if (n_cells > 1 or not torus) else range(1)
    shifts = [(dx, dy) for dy in span for dx in span if (dx, dy) != (0, 0)]
    own_cell = (own_copy * n_cells + own_y) * n_cells + own_x
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
