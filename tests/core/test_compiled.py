"""The compiled-kernel helpers."""

import numpy as np


def test_fused_multiply_add_rounds_as_numpy_complex64_multiply():
    """``fma32`` rounds once, as numpy's complex64 multiply does (flocking's grid view relies on it)."""
    import numba

    from swarmgym.core.compiled import fma32

    @numba.njit
    def multiply(a, b, out):
        for t in range(a.shape[0]):
            out[t, 0] = fma32(a[t, 0], b[t, 0], -(a[t, 1] * b[t, 1]))
            out[t, 1] = fma32(a[t, 0], b[t, 1], a[t, 1] * b[t, 0])

    rng = np.random.default_rng(0)
    a, b = (rng.uniform(-1, 1, (200_000, 2)).astype(np.float32) for _ in range(2))
    a[::3] *= np.float32(2.0**-30)  # widely apart exponents: where rounding twice would show
    out = np.empty_like(a)
    multiply(a, b, out)
    expected = a.view(np.complex64)[:, 0] * b.view(np.complex64)[:, 0]
    np.testing.assert_array_equal(out.view(np.complex64)[:, 0].view(np.uint64), expected.view(np.uint64))
