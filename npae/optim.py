"""Optimizers that update the flat parameter vector ``theta`` in place.

Both follow PyTorch's update rules exactly (``torch.optim.SGD`` with dampening 0,
``torch.optim.Adam``), so a learning rate tuned there means the same here.
Weight decay is not an optimizer option: it is a penalty in the loss
(``npae.penalties.weight_decay``), so the loss that is reported includes it and
it applies to weights only, never to biases.

Each optimizer keeps its state (velocity, moments) in flat arrays the size of
``theta``; ``step(theta, grad)`` is one pass over them.
"""

import numpy as np


class SGD:
    """v <- momentum v + g;  theta <- theta - lr v
    (Nesterov: theta <- theta - lr (g + momentum v)); plain SGD when momentum = 0."""

    def __init__(self, n_params, dtype, learning_rate, momentum=0.0, nesterov=False):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = np.zeros(n_params, dtype=dtype) if momentum else None
        self.t = 0

    def step(self, theta, grad):
        self.t += 1
        if self.velocity is None:
            theta -= self.learning_rate * grad
            return
        v = self.velocity
        v *= self.momentum
        v += grad
        if self.nesterov:
            theta -= self.learning_rate * (grad + self.momentum * v)
        else:
            theta -= self.learning_rate * v


class Adam:
    """m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
    theta <- theta - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)."""

    def __init__(self, n_params, dtype, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
        self.learning_rate = learning_rate
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)
        self.t = 0

    def step(self, theta, grad):
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        self.m *= b1
        self.m += (1.0 - b1) * grad
        self.v *= b2
        self.v += (1.0 - b2) * (grad * grad)
        step_size = self.learning_rate / (1.0 - b1 ** self.t)
        denom = np.sqrt(self.v) / np.sqrt(1.0 - b2 ** self.t) + self.eps
        theta -= step_size * (self.m / denom)


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def make_optimizer(name, n_params, dtype, learning_rate, momentum=0.9, nesterov=False):
    """Build the optimizer registered as ``name`` with the estimator's settings."""
    if name == "sgd":
        return SGD(n_params, dtype, learning_rate, momentum=momentum, nesterov=nesterov)
    if name == "adam":
        return Adam(n_params, dtype, learning_rate)
    raise ValueError(f"unknown optimizer {name!r}; valid: {sorted(OPTIMIZERS)}")
