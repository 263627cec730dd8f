"""The one place numba is imported: ``jit`` compiles lazily with an on-disk cache.

``cache=True`` keeps compiled kernels between runs (in ``__pycache__`` beside the
source, or under ``NUMBA_CACHE_DIR``); where no cache location is writable
(a read-only install), kernels are compiled without a cache rather than failing.
fastmath stays off so NaN and infinity propagate exactly as in NumPy (a kernel with a
running total may ask for its "reassoc" flag alone: see ``jit``), and
``error_model="numpy"`` makes a division by zero give inf or NaN as NumPy does.

The kernels are serial on purpose: the matrix products between them already use
every core through BLAS, and a second thread pool spinning beside BLAS's
measured slower than one core doing the elementwise work (benchmarks/RESULTS.md).
"""

import warnings

import numba


def jit(function=None, *, reassociate=False):
    """``numba.njit(cache=True)`` that falls back to no cache where caching is impossible.

    ``reassociate=True`` (as ``@jit(reassociate=True)``) sets fastmath's "reassoc" flag
    alone, for kernels whose loop carries one running total (which LLVM otherwise adds one
    element at a time): LLVM may then regroup the kernel's additions and multiplications,
    the total into vector lanes. NaN and infinity propagate as before; results change only
    in rounding, and are the same on every run on one kind of processor (the lanes depend
    on its vector width)."""
    if function is None:
        return lambda f: jit(f, reassociate=reassociate)
    options = dict(nogil=True, error_model="numpy", fastmath={"reassoc"} if reassociate else False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", numba.NumbaWarning)
            return numba.njit(cache=True, **options)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, **options)(function)
