"""numba twin of ``npae.dropout.dropout_mask``: the mask made in place from its uniform draw."""

from ._jit import jit


@jit
def dropout_mask(U, rate, M):
    """M = [U >= rate] / (1 - rate), in U's float type.  U (uniform in [0, 1), drawn by the
    caller from the model's generator), M: (n, m); M may be U itself. ``rate`` and
    ``1 - rate`` are cast to U's float type as NumPy casts the reference's Python floats."""
    n, m = U.shape
    t = U.dtype.type
    threshold, kept, zero = t(rate), t(1.0) / t(1.0 - rate), t(0.0)
    for i in range(n):
        for j in range(m):
            M[i, j] = kept if U[i, j] >= threshold else zero
