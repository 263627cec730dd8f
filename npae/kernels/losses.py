"""numba twins of ``npae.losses``: the output layer's bias, loss and gradient in one pass.

Each kernel adds the output bias to the pre-activation ``Z`` in place, writes
``dL/dZ`` into ``dZ`` and its column sums (the output bias gradient) into ``db``,
and returns the loss, accumulated in float64. Same formulas, same mean-over-all-
elements reduction as the reference.
"""

import math

import numpy as np

from ._jit import jit
from .activations import activation_scalar, bias_and_exp_split, column_sums, derivative_scalar, exp_poly, log1p_poly


@jit
def output_bce(Z, b, Y, dZ, db):
    """L = mean(softplus(z) - y z) with z = Z + b;  dL/dz = (sigma(z) - y) / size.  All (n, m).
    One exp and one log per element: with e = exp(-|z|) and d = 1 + e,
    softplus(z) = max(z, 0) + log(d) and sigma(z) = 1/d (z >= 0) or e/d (z < 0).
    The reference's order and log1p, (max(z, 0) - y z) + log1p(e), keep a confident right
    output's tiny loss (1e-11) to its last digits; log(1 + e), faster, lost 1e-5 of it. (float32
    models use ``output_bce_float32``.)"""
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
            row += (max(z, zero) - y * z) + math.log1p(e)
            s = one / d if z >= zero else e / d
            dZ[i, j] = (s - y) * scale
        total += row
    column_sums(dZ, db)
    return total / (n * m)


@jit
def output_bce_float32(Z, b, Y, dZ, db, exponent_bits, terms, column_losses):
    """``output_bce`` for float32, vectorisable: the same loss and gradient, with exp(-|z|)
    and log(1 + e) computed by branch-free float32 polynomials instead of libm calls.

    exp(w), w = -|z| clamped at -87: w = k ln2 + r with |r| <= ln2/2, exp(r) by Cephes'
    degree-7 polynomial, 2^k built from its float bits (``exponent_bits``, int32, at least m);
    log(d), d = 1 + e in (1, 2]: 2 atanh(u) = 2 (u + u^3/3 + ... + u^13/13), u = e / (2 + e)
    <= 1/3. Both within about 1e-7 relative, float32's own precision. Each row is done in
    passes without branches or sums along the row so that LLVM vectorises them: ``terms``
    (float32, at least m) holds the row's r, then its loss terms, which a last pass adds to
    their columns' float64 sums in ``column_losses`` (float64, at least m). A sum along the row is one
    serial chain of additions that LLVM may not reorder without fastmath, and adding into
    float64 inside the polynomial pass kept that pass from vectorising: either doubled the
    kernel's time. The bias gradient is summed in the polynomial pass, rows in order."""
    n, m = Z.shape
    one, zero = np.float32(1.0), np.float32(0.0)
    scale = one / np.float32(n * m)
    powers_of_two = exponent_bits.view(np.float32)
    column_losses[:m] = 0.0
    db[:] = zero
    for i in range(n):
        bias_and_exp_split(Z, b, i, one, exponent_bits, terms)  # z, and exp(-|z|) = 2^k exp(r)
        for j in range(m):  # the polynomials, the loss term and the gradient
            e = exp_poly(terms[j]) * powers_of_two[j]
            d = one + e
            z = Z[i, j]
            y = Y[i, j]
            terms[j] = (max(z, zero) - y * z) + log1p_poly(e)
            g = ((one if z >= zero else e) / d - y) * scale
            dZ[i, j] = g
            db[j] += g  # the bias gradient, rows added in order as in column_sums
        for j in range(m):
            column_losses[j] += terms[j]
    total = 0.0
    for j in range(m):
        total += column_losses[j]
    return total / (n * m)


@jit
def output_mse(Z, b, code, Y, dZ, db):
    """L = mean((f(z) - y)^2) with z = Z + b;  dL/dz = 2 (f(z) - y) f'(z) / size.  All (n, m).
    The gradient in Z's float type (the reference's ``(2 / size) * D``). (Reassociating the
    float64 loss sum measured no faster here: 129 us on 128 x 784 either way.)"""
    n, m = Z.shape
    scale = Z.dtype.type(2.0 / (n * m))
    total = 0.0
    for i in range(n):
        row = 0.0
        for j in range(m):
            z = Z[i, j] + b[j]
            Z[i, j] = z
            a = activation_scalar(z, code)
            d = a - Y[i, j]
            row += d * d
            dZ[i, j] = scale * d * derivative_scalar(z, a, code)
        total += row
    column_sums(dZ, db)
    return total / (n * m)


@jit
def output_softmax_ce(Z, b, Y, dZ, db):
    """L = -mean_i sum_k y_ik log softmax(z_i)_k with z = Z + b;  dL/dz = (softmax(z) - y) / n.
    Z, Y, dZ: (n, k); b, db: (k,). Row by row: s = z - max z, lse = log sum exp s,
    log softmax = s - lse, softmax = exp(s) / sum exp s (never overflows)."""
    n, k = Z.shape
    one = Z.dtype.type(1.0)
    inv_n = one / n
    total = 0.0
    for i in range(n):
        top = Z[i, 0] + b[0]
        for j in range(k):
            z = Z[i, j] + b[j]
            Z[i, j] = z
            top = max(top, z)
        sum_exp = Z.dtype.type(0.0)
        for j in range(k):
            e = math.exp(Z[i, j] - top)
            dZ[i, j] = e
            sum_exp += e
        lse = math.log(sum_exp)
        row = 0.0
        for j in range(k):
            row += Y[i, j] * (Z[i, j] - top - lse)
            dZ[i, j] = (dZ[i, j] / sum_exp - Y[i, j]) * inv_n
        total -= row
    column_sums(dZ, db)
    return total / n
