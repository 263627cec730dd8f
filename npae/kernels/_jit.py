"""The one place numba is imported: ``jit`` compiles lazily with an on-disk cache.

``cache=True`` keeps compiled kernels between runs (in ``__pycache__`` beside the
source, or under ``NUMBA_CACHE_DIR``); where no cache location is writable
(a read-only install), kernels are compiled without a cache rather than failing.
fastmath stays off so NaN and infinity propagate exactly as in NumPy.
"""

import warnings

import numba


def jit(function):
    """``numba.njit(cache=True)`` that falls back to no cache where caching is impossible."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", numba.NumbaWarning)
            return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, nogil=True)(function)
