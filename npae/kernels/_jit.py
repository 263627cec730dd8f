"""The one place numba is imported: ``jit`` compiles lazily with an on-disk cache.

``cache=True`` keeps compiled kernels between runs (in ``__pycache__`` beside the
source, or under ``NUMBA_CACHE_DIR``); where no cache location is writable
(a read-only install), kernels are compiled without a cache rather than failing.
fastmath stays off so NaN and infinity propagate exactly as in NumPy, and
``error_model="numpy"`` makes a division by zero give inf or NaN as NumPy does.

The kernels are serial on purpose: the matrix products between them already use
every core through BLAS, and a second thread pool spinning beside BLAS's
measured slower than one core doing the elementwise work (benchmarks/RESULTS.md).
"""

import warnings

import numba


def jit(function):
    """``numba.njit(cache=True)`` that falls back to no cache where caching is impossible."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", numba.NumbaWarning)
            return numba.njit(cache=True, nogil=True, error_model="numpy")(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, nogil=True, error_model="numpy")(function)
