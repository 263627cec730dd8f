"""numba twins of ``npae.activations``: bias + activation forward, and the
activation derivative fused with the bias gradient.

Activations are passed as integer codes (``ACTIVATION_CODES``); the scalar
functions below are the same formulas as the NumPy reference, element by element.
"""

import math

import numpy as np
from numba import literal_unroll

from ..activations import ELU_ALPHA, LEAKY_RELU_SLOPE
from ._jit import jit

ACTIVATION_CODES = {"sigmoid": 0, "tanh": 1, "relu": 2, "leaky_relu": 3, "elu": 4, "softplus": 5, "linear": 6}
CODES = tuple(sorted(ACTIVATION_CODES.values()))


@jit
def sigmoid_scalar(z):
    """sigma(z) from exp(-|z|): never overflows."""
    one = type(z)(1.0)
    if z >= 0:
        return one / (one + math.exp(-z))
    e = math.exp(z)
    return e / (one + e)


@jit
def activation_scalar(z, code):
    """f(z) for the activation ``code``, in z's own float type (a float64 constant would turn
    a float32 loop into float64 and halve its vectors)."""
    t = type(z)
    if code == 0:
        return sigmoid_scalar(z)
    if code == 1:
        return math.tanh(z)
    if code == 2:
        return z if z > 0 or z != z else t(0.0)  # max(z, 0): NaN stays NaN, -inf gives 0
    if code == 3:
        return z if z > 0 else t(LEAKY_RELU_SLOPE) * z
    if code == 4:
        return z if z > 0 else t(ELU_ALPHA) * math.expm1(z)
    if code == 5:
        return max(z, t(0.0)) + math.log1p(math.exp(-abs(z)))
    return z


@jit
def derivative_scalar(z, a, code):
    """f'(z) given z and a = f(z), for the activation ``code``, in z's float type."""
    t = type(z)
    if code == 0:
        return a * (t(1.0) - a)
    if code == 1:
        return t(1.0) - a * a
    if code == 2:
        return t(1.0) if z > 0 else t(0.0)
    if code == 3:
        return t(1.0) if z > 0 else t(LEAKY_RELU_SLOPE)
    if code == 4:
        return t(1.0) if z > 0 else a + t(ELU_ALPHA)
    if code == 5:
        return sigmoid_scalar(z)
    return t(1.0)


@jit
def bias_activation_loop(Z, b, code, A):
    """Z <- Z + b, A <- f(Z) for one activation ``code`` (a constant where it is called)."""
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            z = Z[i, j] + b[j]
            Z[i, j] = z
            A[i, j] = activation_scalar(z, code)


@jit
def bias_activation(Z, b, code, A):
    """In place: Z <- Z + b, A <- f(Z).  Z, A: (n, m); b: (m,).

    ``literal_unroll`` makes one copy of the loop per activation, each with its code as a
    compile-time constant: the branch on ``code`` leaves the inner loop, which LLVM then
    vectorises (ReLU 5x faster than one loop for every code)."""
    for c in literal_unroll(CODES):
        if c == code:
            bias_activation_loop(Z, b, c, A)


@jit
def exp_reduce(w):
    """float32 w in [-87, 0] as w = k ln2 + r, |r| <= ln2 / 2: returns (k, r) (Cephes' split of ln2)."""
    k = np.floor(w * np.float32(1.4426950408889634) + np.float32(0.5))
    return k, w - k * np.float32(0.693359375) - k * np.float32(-2.12194440e-4)


@jit
def exp_poly(r):
    """exp(r) for |r| <= ln2 / 2 in float32 (Cephes' expf polynomial, about 1 ulp)."""
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    return p * r * r + r + np.float32(1.0)


@jit
def log1p_poly(e):
    """log(1 + e) for e in [0, 1] in float32 as 2 atanh(u) = 2 (u + u^3/3 + ... + u^13/13),
    u = e / (2 + e) <= 1/3: branch-free (vectorisable), within about 1e-7 relative."""
    one = np.float32(1.0)
    u = e / ((one + e) + one)
    u2 = u * u
    q = np.float32(1.0 / 13.0)
    q = q * u2 + np.float32(1.0 / 11.0)
    q = q * u2 + np.float32(1.0 / 9.0)
    q = q * u2 + np.float32(1.0 / 7.0)
    q = q * u2 + np.float32(1.0 / 5.0)
    q = q * u2 + np.float32(1.0 / 3.0)
    q = q * u2 + one
    return np.float32(2.0) * u * q


@jit
def bias_and_exp_split(Z, b, i, scale, exponent_bits, reduced):
    """The first pass of the float32 kernels over row i: Z[i] <- Z[i] + b, and e = exp(-scale |z|)
    (clamped at exp(-87)) split as 2^k exp(r): 2^k's float32 bits into ``exponent_bits``, r into
    ``reduced``. Without branches or sums, so LLVM vectorises it."""
    for j in range(Z.shape[1]):
        z = Z[i, j] + b[j]
        Z[i, j] = z
        k, r = exp_reduce(max(-scale * abs(z), np.float32(-87.0)))
        exponent_bits[j] = (np.int32(k) + np.int32(127)) << np.int32(23)
        reduced[j] = r


@jit
def bias_sigmoid_float32(Z, b, A, exponent_bits, reduced):
    """``bias_activation`` for a float32 sigmoid, vectorisable: Z <- Z + b, A <- sigma(Z), with
    e = exp(-|z|) = 2^k exp(r) from branch-free float32 code (2^k from its float bits) and
    sigma(z) = 1/(1 + e) or e/(1 + e). ``exponent_bits`` (int32) and ``reduced`` (float32) are
    scratch rows of at least m entries."""
    n, m = Z.shape
    one, zero = np.float32(1.0), np.float32(0.0)
    powers_of_two = exponent_bits.view(np.float32)
    for i in range(n):
        bias_and_exp_split(Z, b, i, np.float32(1.0), exponent_bits, reduced)
        for j in range(m):
            z = Z[i, j]
            e = exp_poly(reduced[j]) * powers_of_two[j]
            a = (one if z >= zero else e) / (one + e)
            A[i, j] = a if z == z else z  # NaN stays NaN, as in NumPy


@jit
def bias_tanh_float32(Z, b, A, exponent_bits, reduced):
    """``bias_activation`` for a float32 tanh, vectorisable (libm's tanhf is called per element
    and took 30 ns each): Z <- Z + b, A <- tanh(Z). For |z| < 0.625 Cephes' odd polynomial
    z + z^3 P(z^2); above, tanh|z| = (1 - e) / (1 + e) with e = exp(-2|z|) = 2^k exp(r) as in
    ``bias_sigmoid_float32`` (no cancellation there: e <= 0.29). Both within about 2 ulp;
    scratch rows as for the sigmoid kernel."""
    n, m = Z.shape
    one, small = np.float32(1.0), np.float32(0.625)
    powers_of_two = exponent_bits.view(np.float32)
    for i in range(n):
        bias_and_exp_split(Z, b, i, np.float32(2.0), exponent_bits, reduced)
        for j in range(m):
            z = Z[i, j]
            e = exp_poly(reduced[j]) * powers_of_two[j]
            large = (one - e) / (one + e)
            large = large if z >= np.float32(0.0) else -large
            z2 = z * z
            p = np.float32(-5.70498872745e-3)
            p = p * z2 + np.float32(2.06390887954e-2)
            p = p * z2 + np.float32(-5.37397155531e-2)
            p = p * z2 + np.float32(1.33314422036e-1)
            p = p * z2 + np.float32(-3.33332819422e-1)
            t = p * z2 * z + z if abs(z) < small else large
            A[i, j] = t if z == z else z  # NaN stays NaN, as in NumPy


@jit
def column_sums(D, out):
    """out_j = sum_i D_ij (rows added in order).  D: (n, m); out: (m,)."""
    n, m = D.shape
    for j in range(m):
        out[j] = 0.0
    for i in range(n):
        for j in range(m):
            out[j] += D[i, j]


@jit
def activation_backward_loop(dZ, Z, A, code, db):
    """dZ <- dZ * f'(Z) in place, db <- its column sums, for one activation ``code`` (a
    constant where it is called). The sums run over rows in order, as ``column_sums`` does,
    in the same pass, so dZ is not read twice."""
    n, m = Z.shape
    for j in range(m):
        db[j] = 0.0
    for i in range(n):
        for j in range(m):
            d = dZ[i, j] * derivative_scalar(Z[i, j], A[i, j], code)
            dZ[i, j] = d
            db[j] += d


@jit
def activation_backward(dZ, Z, A, code, db):
    """In place: dZ <- dA * f'(Z) where dZ holds dA = dL/dA on entry; db <- sum over rows
    of dZ.  dZ, Z, A: (n, m); db: (m,). One loop per activation, as in ``bias_activation``.
    In place by design: with separate dA and dZ arrays that are the same memory, the
    vectorised loop's overlap check fails and LLVM falls back to scalar code (10x slower)."""
    for c in literal_unroll(CODES):
        if c == code:
            activation_backward_loop(dZ, Z, A, c, db)
