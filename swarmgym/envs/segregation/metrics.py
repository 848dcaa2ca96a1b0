"""Segregation metrics: pure functions of a (B, L, L) code grid (0 = empty, g + 1 = group g).

Definitions (docs/models.md#segregation-metrics): the segregation index is the mean over agents with
at least one occupied Moore neighbour of their same-group fraction (Schelling's "similar"); an agent with no
neighbours counts as satisfied and is left out of the mean.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from swarmgym.core.lattice import MOORE_HALF, moore_counts, shifted


def similarity(same: np.ndarray, occupied: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """(B,) segregation index: mean same-group fraction over agents with >= 1 occupied neighbour."""
    counted = (grid != 0) & (occupied > 0)
    fraction = np.divide(same, occupied, out=np.zeros(same.shape), where=counted)
    return fraction.sum(axis=(1, 2)) / np.maximum(counted.sum(axis=(1, 2)), 1)


def unsatisfied(same: np.ndarray, occupied: np.ndarray, grid: np.ndarray, tolerance: float) -> np.ndarray:
    """(B, L, L) bool: agents whose same-group fraction is below ``tolerance`` (none when alone)."""
    return (grid != 0) & (occupied > 0) & (same < tolerance * occupied.astype(np.float64) - 1e-12)


def interface_density(grid: np.ndarray, torus: bool) -> np.ndarray:
    """(B,) unlike adjacent occupied pairs / all adjacent occupied pairs (Moore adjacency)."""
    unlike = np.zeros(grid.shape[0])
    pairs = np.zeros(grid.shape[0])
    here = grid != 0
    for neighbour in shifted(grid, MOORE_HALF, torus):
        both = here & (neighbour != 0)
        pairs += both.sum(axis=(1, 2))
        unlike += (both & (neighbour != grid)).sum(axis=(1, 2))
    return unlike / np.maximum(pairs, 1)


def dissimilarity(grid: np.ndarray, n_groups: int, block_size: int) -> np.ndarray:
    """(B,) multigroup Duncan dissimilarity over square blocks (two groups: D = ½ Σ_b |a_b/A − b_b/B|).

    D = Σ_b Σ_g t_b |p_bg − π_g| / (2 T I), I = Σ_g π_g (1 − π_g) (Reardon and Firebaugh 2002). Blocks
    at the far edges may be partial when L is not a multiple of ``block_size``.
    """
    batch, height, width = grid.shape
    block = (np.arange(height)[:, None] // block_size) * (-(-width // block_size)) + np.arange(width)[
        None
    ] // block_size
    n_blocks = int(block.max()) + 1
    codes = grid.reshape(batch, -1).astype(np.int64)
    index = (np.arange(batch)[:, None] * n_blocks + block.ravel()[None]) * (n_groups + 1) + codes
    counts = np.bincount(index.ravel(), minlength=batch * n_blocks * (n_groups + 1))
    counts = counts.reshape(batch, n_blocks, n_groups + 1)[..., 1:].astype(np.float64)
    per_block = counts.sum(axis=2, keepdims=True)
    total = per_block.sum(axis=1)
    share = counts.sum(axis=1) / total
    local = np.divide(counts, per_block, out=np.zeros_like(counts), where=per_block > 0)
    spread = (per_block * np.abs(local - share[:, None, :])).sum(axis=(1, 2))
    return spread / (2.0 * total[:, 0] * (share * (1.0 - share)).sum(axis=1))


def cluster_sizes(grid: np.ndarray, torus: bool) -> np.ndarray:
    """(B,) Σ_c n_c² over same-group clusters (Moore-connected, wrapping on a torus).

    Σ n_c² is the sum over agents of the size of their own cluster, so Σ n_c² / N is the
    agent-weighted mean cluster size; Gauvin et al.'s coefficient for two groups is 2 Σ n_c² / N².
    Clusters are labelled per group by ``scipy.ndimage.label`` (never across copies); on a torus the
    labels that touch across the seams are then merged.
    """
    within_copy = np.zeros((3, 3, 3), dtype=bool)
    within_copy[1] = True
    labels = np.zeros(grid.shape, dtype=np.int32)
    count = 0
    for code in range(1, int(grid.max()) + 1):
        found, n_found = ndimage.label(grid == code, structure=within_copy, output=np.int32)
        found[found > 0] += count
        labels += found
        count += n_found
    if torus and count:
        labels = _merge_across_seams(labels, grid, count)
    occupied = grid.ravel() != 0
    flat = labels.ravel()[occupied]
    own_cluster_size = np.bincount(flat)[flat]
    copy_of = np.repeat(np.arange(grid.shape[0]), grid[0].size)[occupied]
    return np.bincount(copy_of, weights=own_cluster_size.astype(np.float64), minlength=grid.shape[0])


def _merge_across_seams(labels: np.ndarray, grid: np.ndarray, count: int) -> np.ndarray:
    """Relabel so that like clusters touching across the torus seams (Moore) share one label."""
    sources, targets = [], []
    for axis in (1, 2):
        last, first = labels.take(-1, axis=axis), labels.take(0, axis=axis)  # (B, L) edges facing each other
        code_last, code_first = grid.take(-1, axis=axis), grid.take(0, axis=axis)
        length = last.shape[1]
        across = (np.arange(length)[None, :] + np.array([[-1], [0], [1]])) % length  # straight and diagonal
        partner, partner_code = first[:, across], code_first[:, across]  # (B, 3, L)
        own, own_code = last[:, None, :], code_last[:, None, :]
        like = (own > 0) & (partner > 0) & (own_code == partner_code)
        sources.append(np.broadcast_to(own, like.shape)[like])
        targets.append(partner[like])
    return _union(np.concatenate(sources), np.concatenate(targets), count)[labels]


def _union(sources: np.ndarray, targets: np.ndarray, count: int) -> np.ndarray:
    """(count + 1,) representative of each label after joining every (source, target) pair.

    Vectorised union-find: hook each pair's larger root onto the smaller, then jump pointers, until
    every pair shares a root. Label 0 (empty) maps to itself.
    """
    root = np.arange(count + 1)
    while True:
        low = np.minimum(root[sources], root[targets])
        np.minimum.at(root, root[sources], low)
        np.minimum.at(root, root[targets], low)
        while True:
            jumped = root[root]
            if np.array_equal(jumped, root):
                break
            root = jumped
        if np.array_equal(root[sources], root[targets]):
            return root


def grid_metrics(
    grid: np.ndarray, torus: bool, tolerance: float, n_groups: int, block_size: int
) -> dict[str, np.ndarray]:
    """Every per-step segregation metric, name -> (B,) float64."""
    same, occupied = moore_counts(grid, torus)
    n_agents = np.maximum((grid != 0).sum(axis=(1, 2)), 1)
    return {
        "segregation": similarity(same, occupied, grid),
        "unsatisfied": unsatisfied(same, occupied, grid, tolerance).sum(axis=(1, 2)) / n_agents,
        "dissimilarity": dissimilarity(grid, n_groups, block_size),
        "interface_density": interface_density(grid, torus),
        "mean_cluster_size": cluster_sizes(grid, torus) / n_agents,
    }
