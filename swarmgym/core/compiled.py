"""The one way hot loops are compiled: numba's ``njit``, cached on disk, never ``fastmath``.

A kernel is a plain function over numpy arrays and scalars, compiled on its first call and cached
beside its module (``cache=True``: paid once per machine and per signature, not per process). Kernels
replace numpy code paths rather than sitting beside them, so they must give bit-identical results:
no ``fastmath`` (it reorders float arithmetic and fuses multiply-adds), and float sums accumulated in
the same order as the numpy code they replace (``np.sum`` sums pairwise, a loop sums left to right).
``nogil``: envs stepped in threads run their kernels in parallel. ``error_model="numpy"``: no Python
exception checks on division in the inner loops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numba

Function = TypeVar("Function", bound=Callable)


def kernel(function: Function) -> Function:
    """Compile ``function`` with numba (nopython, cached, GIL released, numpy's error model)."""
    return numba.njit(cache=True, nogil=True, error_model="numpy")(function)
