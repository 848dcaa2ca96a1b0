"""Per-copy random generators for batch-first simulations.

Each of the B env copies owns one ``numpy.random.Generator`` so that a batch of B copies seeded
``seed, seed+1, ...`` produces exactly the trajectories of B single envs seeded the same way. Draws
are made per copy into one preallocated (B, ...) array: the loop runs over copies (a handful of C
calls), never over agents.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class BatchRandom:
    """B independent ``numpy.random.Generator`` streams that draw (B, *shape) arrays."""

    def __init__(self, generators: Sequence[np.random.Generator]):
        self.generators = list(generators)

    @classmethod
    def from_seeds(cls, seeds: Sequence[int | None]) -> BatchRandom:
        """One generator per seed; ``None`` draws fresh OS entropy for that copy."""
        return cls([np.random.default_rng(seed) for seed in seeds])

    @property
    def batch(self) -> int:
        """The number of copies B."""
        return len(self.generators)

    def subset(self, copies: np.ndarray | Sequence[int]) -> BatchRandom:
        """The streams of the given copies (shared, so drawing advances the originals)."""
        return BatchRandom([self.generators[int(b)] for b in copies])

    def random(self, shape: tuple[int, ...] = ()) -> np.ndarray:
        """Uniform floats in [0, 1), shape (B, *shape), float64."""
        out = np.empty((self.batch, *shape))
        flat = out.reshape(self.batch, -1)
        for gen, row in zip(self.generators, flat):
            gen.random(out=row)
        return out

    def uniform(self, low: float, high: float, shape: tuple[int, ...] = ()) -> np.ndarray:
        """Uniform floats in [low, high), shape (B, *shape)."""
        return low + (high - low) * self.random(shape)

    def normal(self, shape: tuple[int, ...] = ()) -> np.ndarray:
        """Standard normal floats, shape (B, *shape), float64."""
        out = np.empty((self.batch, *shape))
        flat = out.reshape(self.batch, -1)
        for gen, row in zip(self.generators, flat):
            gen.standard_normal(out=row)
        return out

    def integers(
        self, low: int | np.ndarray, high: int | np.ndarray, shape: tuple[int, ...] = ()
    ) -> np.ndarray:
        """Integers uniform in [low, high), shape (B, *shape), int64, as ``Generator.integers(low, high)``.

        ``low`` and ``high`` may broadcast against (B, *shape). One uniform float per integer (not
        numpy's own integer stream): ``low + min(floor(u * (high - low)), high - low - 1)``.
        """
        span = np.asarray(high) - low
        return low + np.minimum((self.random(shape) * span).astype(np.int64), span - 1)

    def permutation_keys(self, n: int) -> np.ndarray:
        """(B, n) uniform sort keys: ``argsort`` along the last axis gives a random permutation."""
        return self.random((n,))
