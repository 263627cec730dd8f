"""numba twins of ``npae.penalties`` and ``npae.corruption`` for the fused training step."""

from ._jit import jit
from .activations import activation_scalar, derivative_scalar


@jit
def weight_decay_grad(W, dW, lam):
    """dW += lam W; returns lam / 2 * ||W||^2 (float64).  W, dW: flat or 2-D of equal shape."""
    w = W.ravel()
    g = dW.ravel()
    total = 0.0
    for i in range(w.shape[0]):
        total += w[i] * w[i]
        g[i] += lam * w[i]
    return 0.5 * lam * total


@jit
def second_derivative_scalar(z, a, code):
    """f''(z) given z and a = f(z) (see npae.activations.SECOND_DERIVATIVES)."""
    if code == 0:
        return a * (1.0 - a) * (1.0 - 2.0 * a)
    if code == 1:
        return -2.0 * a * (1.0 - a * a)
    if code == 4:
        return 0.0 if z > 0 else a + 1.0
    if code == 5:
        s = activation_scalar(z, 0)
        return s * (1.0 - s)
    return 0.0


@jit
def contractive_delta(Z, A, code, w, lam, dZ, db, mean_sq):
    """Analytic contractive penalty of a one-layer encoder, fused into its backward pass.

    P = lam mean_n sum_j f'(z_nj)^2 w_j; adds G = 2 lam f' f'' w / n to dZ (n, k) in place
    and its column sums to db (k,), writes mean_n f'(z_nj)^2 into mean_sq (k,), returns P."""
    n, k = Z.shape
    total = 0.0
    for j in range(k):
        mean_sq[j] = 0.0
    for i in range(n):
        for j in range(k):
            d = derivative_scalar(Z[i, j], A[i, j], code)
            s = d * d
            total += s * w[j]
            mean_sq[j] += s
            g = 2.0 * lam / n * d * second_derivative_scalar(Z[i, j], A[i, j], code) * w[j]
            dZ[i, j] += g
            db[j] += g
    for j in range(k):
        mean_sq[j] /= n
    return lam * total / n


@jit
def column_sum_squares(W, out):
    """out_j = sum_i W_ij^2.  W: (d, k) (any strides); out: (k,)."""
    d, k = W.shape
    for j in range(k):
        out[j] = 0.0
    for i in range(d):
        for j in range(k):
            out[j] += W[i, j] * W[i, j]


@jit
def add_scaled(dW, W, scale):
    """dW += W * scale[None, :] (scale per column).  dW, W: (d, k)."""
    d, k = W.shape
    for i in range(d):
        for j in range(k):
            dW[i, j] += W[i, j] * scale[j]


@jit
def masking_apply(X, U, level, out):
    """out = X * (U >= level): zero a fraction ``level`` of entries (U uniform in [0, 1))."""
    n, m = X.shape
    for i in range(n):
        for j in range(m):
            out[i, j] = X[i, j] if U[i, j] >= level else 0.0


@jit
def gaussian_apply(X, N, level, out):
    """out = X + level * N (N standard normal)."""
    n, m = X.shape
    for i in range(n):
        for j in range(m):
            out[i, j] = X[i, j] + level * N[i, j]


@jit
def salt_pepper_apply(X, U, level, low, high, out):
    """out = high where U < level/2, low where level/2 <= U < level, else X."""
    n, m = X.shape
    half = level / 2.0
    for i in range(n):
        for j in range(m):
            u = U[i, j]
            out[i, j] = (high if u < half else low) if u < level else X[i, j]
