"""numba twins of ``npae.optim``: each optimizer step as one pass over the flat vectors."""

import math

from ._jit import jit


@jit
def adam_step(theta, grad, m, v, lr, beta1, beta2, eps, t):
    """PyTorch's Adam, in place: m, v moments; theta -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)."""
    step_size = lr / (1.0 - beta1 ** t)
    root_bc2 = math.sqrt(1.0 - beta2 ** t)
    for i in range(theta.shape[0]):
        g = grad[i]
        m[i] = beta1 * m[i] + (1.0 - beta1) * g
        v[i] = beta2 * v[i] + (1.0 - beta2) * (g * g)
        theta[i] -= step_size * (m[i] / (math.sqrt(v[i]) / root_bc2 + eps))


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
