"""numba twins of ``npae.optim``: each optimizer step as one pass over the flat vectors.

Scalars arrive already cast to the parameters' dtype (``npae.fused_step`` does it),
so a float32 model computes in float32, exactly as NumPy does with the reference's
Python-float scalars, and the loop can use the processor's vector instructions.
"""

import math

from ._jit import jit


@jit
def adam_step(theta, grad, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2, step_size, root_bc2, eps,
              tiny):
    """PyTorch's Adam, in place: m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
    theta -= step_size * m / (sqrt(v) / root_bc2 + eps), with step_size = lr / (1 - b1^t)
    and root_bc2 = sqrt(1 - b2^t).

    Moments below ``tiny`` (the dtype's smallest normal number) are set to zero. Where a
    gradient stays zero (a dead ReLU unit), m decays by b1 every step and reaches the
    subnormal range after about 700 steps in float32 (6,700 in float64), and subnormal
    arithmetic is up to 100x slower on x86: that made a whole W2 training step 4x slower.
    The update it drops is below 1e-30. NaN and infinity propagate as in the reference."""
    zero = m.dtype.type(0.0)
    for i in range(theta.shape[0]):
        g = grad[i]
        mi = beta1 * m[i] + one_minus_beta1 * g
        vi = beta2 * v[i] + one_minus_beta2 * (g * g)
        mi = zero if abs(mi) < tiny else mi  # written so that NaN stays NaN
        vi = zero if vi < tiny else vi
        m[i] = mi
        v[i] = vi
        theta[i] -= step_size * (mi / (math.sqrt(vi) / root_bc2 + eps))


@jit
def sgd_momentum_step(theta, grad, velocity, lr, momentum, nesterov):
    """PyTorch's SGD with momentum (dampening 0), in place: v = mu v + g; theta -= lr (v or g + mu v)."""
    for i in range(theta.shape[0]):
        g = grad[i]
        v = momentum * velocity[i] + g
        velocity[i] = v
        theta[i] -= lr * (g + momentum * v if nesterov else v)


@jit
def sgd_step(theta, grad, lr):
    """theta -= lr * grad."""
    for i in range(theta.shape[0]):
        theta[i] -= lr * grad[i]
