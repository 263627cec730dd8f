"""numba twins of ``npae.losses``: the output layer's bias, loss and gradient in one pass.

Each kernel adds the output bias to the pre-activation ``Z`` in place, writes
``dL/dZ`` into ``dZ`` and its column sums (the output bias gradient) into ``db``,
and returns the loss, accumulated in float64. Same formulas, same mean-over-all-
elements reduction as the reference.
"""

import math

from ._jit import jit
from .activations import activation_scalar, column_sums, derivative_scalar


@jit
def output_bce(Z, b, Y, dZ, db):
    """L = mean(softplus(z) - y z) with z = Z + b;  dL/dz = (sigma(z) - y) / size.  All (n, m).
    One exp and one log per element: with e = exp(-|z|) and d = 1 + e,
    softplus(z) = max(z, 0) + log(d) and sigma(z) = 1/d (z >= 0) or e/d (z < 0).
    log(1 + e) rather than log1p(e): twice as fast, and its rounding (about 1e-16
    absolute per element) is far below what the float64 loss can show."""
    n, m = Z.shape
    one, zero = Z.dtype.type(1.0), Z.dtype.type(0.0)  # float32 models compute in float32
    scale = one / (n * m)
    total = 0.0
    for i in range(n):
        row = 0.0
        for j in range(m):
            z = Z[i, j] + b[j]
            Z[i, j] = z
            y = Y[i, j]
            e = math.exp(-abs(z))
            d = one + e
            row += max(z, zero) + math.log(d) - y * z
            s = one / d if z >= zero else e / d
            dZ[i, j] = (s - y) * scale
        total += row
    column_sums(dZ, db)
    return total / (n * m)


@jit
def output_mse(Z, b, code, Y, dZ, db):
    """L = mean((f(z) - y)^2) with z = Z + b;  dL/dz = 2 (f(z) - y) f'(z) / size.  All (n, m)."""
    n, m = Z.shape
    scale = 1.0 / (n * m)
    total = 0.0
    for i in range(n):
        row = 0.0
        for j in range(m):
            z = Z[i, j] + b[j]
            Z[i, j] = z
            a = activation_scalar(z, code)
            d = a - Y[i, j]
            row += d * d
            dZ[i, j] = 2.0 * d * scale * derivative_scalar(z, a, code)
        total += row
    column_sums(dZ, db)
    return total * scale
