"""Per-copy random generators for batch-first simulations.

Each of the B env copies owns one ``numpy.random.Generator`` so that a batch of B copies seeded
``seed, seed+1, ...`` produces exactly the trajectories of B single envs seeded the same way. Draws
are made per copy into one preallocated (B, ...) array: the loop runs over copies (a handful of C
calls), never over agents.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SEED_LIMIT = 2**63
"""Seeds are integers in [0, SEED_LIMIT): copy b of a batch seeded ``seed`` uses ``seed + b``."""


def check_seed(seed: object, copies: int = 1) -> int | None:
    """``seed`` as a Python int (``None`` stays ``None``), or a ``ValueError`` that says "seed".

    A seed is ``None`` (fresh OS entropy) or a non-negative Python / numpy integer (not ``bool``) with
    ``seed + copies - 1 < 2**63``, so every copy's seed ``seed + b`` is computed exactly in Python ints
    (``np.uint8(255) + 1`` is 256, not 0) and stays below 2**63.
    """
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ValueError(
            f"seed must be None or a non-negative integer below 2**63, got {seed!r} ({type(seed).__name__})"
        )
    value = int(seed)
    if value < 0:
        raise ValueError(f"seed must be a non-negative integer, got {value}")
    if value + copies - 1 >= SEED_LIMIT:
        if copies == 1:
            raise ValueError(f"seed must be below 2**63, got {value}")
        raise ValueError(
            f"seed must be at most 2**63 - {copies} with {copies} copies (copy b is seeded seed + b, "
            f"which must stay below 2**63), got {value}"
        )
    return value


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
        return BatchRandom([self.generators[b] for b in np.asarray(copies, dtype=np.int64).tolist()])

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
