"""The one way hot loops are compiled: numba's ``njit``, cached on disk, never ``fastmath``.

A kernel is a plain function over numpy arrays and scalars, compiled on its first call and cached
beside its module (``cache=True``: paid once per machine and per signature, not per process). Kernels
replace numpy code paths rather than sitting beside them, so they must give bit-identical results:
no ``fastmath`` (it reorders float arithmetic and fuses multiply-adds), and float sums accumulated in
the same order as the numpy code they replace (``np.sum`` sums pairwise, a loop sums left to right).
``nogil``: envs stepped in threads run their kernels in parallel. ``error_model="numpy"``: no Python
exception checks on division in the inner loops.

:func:`fma32` gives kernels the fused multiply-add that numpy's own loops use (its complex64 multiply),
so a kernel can reproduce them bit for bit without ``fastmath``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numba
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic

Function = TypeVar("Function", bound=Callable)


def kernel(function: Function) -> Function:
    """Compile ``function`` with numba (nopython, cached, GIL released, numpy's error model)."""
    return numba.njit(cache=True, nogil=True, error_model="numpy")(function)


@intrinsic
def fma32(typingctx, x, y, z):
    """float32 x * y + z rounded once (LLVM's fma: one instruction, exact, never fastmath's licence).

    numpy's complex64 multiply is (a_r b_r - a_i b_i) + i (a_r b_i + a_i b_r) with each first
    product fused: fma(a_r, b_r, -(a_i b_i)), fma(a_r, b_i, a_i b_r), all float32. Emulating it in
    float64 rounds twice (off in the last bit about once per million products).
    """

    def codegen(context, builder, signature, args):
        float32 = ir.FloatType()
        fma = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(float32, [float32] * 3), "llvm.fma.f32"
        )
        return builder.call(fma, args)

    return numba.float32(numba.float32, numba.float32, numba.float32), codegen
