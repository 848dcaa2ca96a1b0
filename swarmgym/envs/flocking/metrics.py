"""Flocking metrics: pure functions of positions (B, N, 2), headings (B, N) and neighbour pairs.

Definitions (docs/models.md#flocking-metrics): polarisation phi = |(1/N) sum_i e^{i theta_i}|; milling
m = |(1/N) sum_i r̂_ic × v̂_i| with r̂_ic the unit vector from the group centroid (on a torus the
centroid is the circular mean of each coordinate and r_ic its minimum image); largest cluster = size
of the largest connected component of the graph linking agents closer than r, over N.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from swarmgym.core.spatial import Pairs, minimum_image


def polarisation(heading: np.ndarray) -> np.ndarray:
    """(B,) Vicsek order parameter |mean unit heading| in [0, 1]."""
    return np.hypot(np.cos(heading).mean(axis=1), np.sin(heading).mean(axis=1))


def centroid(positions: np.ndarray, box: float, torus: bool) -> np.ndarray:
    """(B, 2) group centre: the plain mean, or per axis the circular mean on a torus."""
    if not torus:
        return positions.mean(axis=1)
    angle = positions * (2 * np.pi / box)
    mean = np.arctan2(np.sin(angle).mean(axis=1), np.cos(angle).mean(axis=1))
    return (mean % (2 * np.pi)) * (box / (2 * np.pi))


def milling(positions: np.ndarray, heading: np.ndarray, box: float, torus: bool) -> np.ndarray:
    """(B,) angular-momentum order parameter |mean_i r̂_ic × v̂_i| in [0, 1] (1: a rotating ring)."""
    rel = minimum_image(positions - centroid(positions, box, torus)[:, None, :], box, torus)
    norm = np.hypot(rel[..., 0], rel[..., 1])
    cross = (rel[..., 0] * np.sin(heading) - rel[..., 1] * np.cos(heading)) / np.where(norm > 0, norm, 1.0)
    return np.abs(np.where(norm > 0, cross, 0.0).mean(axis=1))


def cluster_labels(pairs: Pairs, n_total: int) -> np.ndarray:
    """(B*N,) connected-component label of every agent of the batch (pairs never cross copies)."""
    graph = coo_matrix(
        (np.ones(len(pairs), dtype=np.int8), (pairs.owner, pairs.neighbour)), shape=(n_total, n_total)
    )
    return connected_components(graph, directed=False)[1]


def cluster_stats(pairs: Pairs, batch: int, n_agents: int) -> tuple[np.ndarray, np.ndarray]:
    """(B,) largest connected cluster fraction and (B,) number of clusters of the graph ``pairs``."""
    labels = cluster_labels(pairs, batch * n_agents)
    sizes = np.bincount(labels)
    copy_of_label = np.zeros(sizes.shape[0], dtype=np.int64)
    copy_of_label[labels] = np.repeat(np.arange(batch), n_agents)
    largest = np.zeros(batch)
    np.maximum.at(largest, copy_of_label, sizes)
    return largest / n_agents, np.bincount(copy_of_label, minlength=batch).astype(np.float64)


def collision_rate(pairs: Pairs, min_distance: float, batch: int, n_agents: int) -> np.ndarray:
    """(B,) fraction of agents with another agent closer than ``min_distance``."""
    close = np.zeros(batch * n_agents, dtype=bool)
    close[pairs.owner[pairs.distance < min_distance]] = True
    return close.reshape(batch, n_agents).mean(axis=1)
