"""numba twins of ``npae.losses``: the output layer's bias, loss and gradient in one pass.

Each kernel adds the output bias to the pre-activation ``Z`` in place, writes
``dL/dZ`` into ``dZ`` and its column sums (the output bias gradient) into ``db``,
and returns the loss, accumulated in float64. Same formulas, same mean-over-all-
elements reduction as the reference.
"""

import math

from ._jit import jit
from .activations import activation_scalar, derivative_scalar, sigmoid_scalar


@jit
def output_bce(Z, b, Y, dZ, db):
    """L = mean(softplus(z) - y z) with z = Z + b;  dL/dz = (sigma(z) - y) / size.  All (n, m)."""
    n, m = Z.shape
    scale = 1.0 / (n * m)
    total = 0.0
    for j in range(m):
        db[j] = 0.0
    for i in range(n):
        for j in range(m):
            z = Z[i, j] + b[j]
            Z[i, j] = z
            y = Y[i, j]
            total += max(z, 0.0) + math.log1p(math.exp(-abs(z))) - y * z
            g = (sigmoid_scalar(z) - y) * scale
            dZ[i, j] = g
            db[j] += g
    return total * scale


@jit
def output_mse(Z, b, code, Y, dZ, db):
    """L = mean((f(z) - y)^2) with z = Z + b;  dL/dz = 2 (f(z) - y) f'(z) / size.  All (n, m)."""
    n, m = Z.shape
    scale = 1.0 / (n * m)
    total = 0.0
    for j in range(m):
        db[j] = 0.0
    for i in range(n):
        for j in range(m):
            z = Z[i, j] + b[j]
            Z[i, j] = z
            a = activation_scalar(z, code)
            d = a - Y[i, j]
            total += d * d
            g = 2.0 * d * scale * derivative_scalar(z, a, code)
            dZ[i, j] = g
            db[j] += g
    return total * scale
