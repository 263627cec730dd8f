"""The Dense layer: an affine map followed by an elementwise activation.

Forward:   Z = X @ W + b,  A = f(Z)
Backward:  dZ = dA * f'(Z);  dW += X.T @ dZ;  db += sum_rows(dZ);  dX = dZ @ W.T

Shapes: X (n, n_in), W (n_in, n_out), b (n_out,), Z and A (n, n_out).

A layer owns no arrays: ``W``, ``b`` and their gradients ``dW``, ``db`` are views
into the network's one flat parameter vector and one flat gradient vector. A
tied decoder layer's ``W`` is the transpose view of its encoder layer's ``W``
(and ``dW`` of its ``dW``), which is why gradients are ACCUMULATED (``+=``): the
network zeroes the gradient vector once before each backward pass, and a tied
weight then receives the sum of both uses, as the chain rule says.

The layer keeps no state between calls: ``forward`` returns the cache that
``backward`` needs.
"""

from .activations import ACTIVATIONS


class Dense:
    """``A = f(X @ W + b)`` over parameter views; see the module docstring."""

    def __init__(self, W, b, dW, db, activation):
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; valid: {sorted(ACTIVATIONS)}")
        self.W, self.b, self.dW, self.db = W, b, dW, db
        self.activation = activation

    @property
    def n_in(self):
        return self.W.shape[0]

    @property
    def n_out(self):
        return self.W.shape[1]

    def forward(self, X):
        """X (n, n_in) -> A (n, n_out), cache (X, Z, A)."""
        Z = X @ self.W
        Z += self.b
        A = ACTIVATIONS[self.activation][0](Z)
        return A, (X, Z, A)

    def backward(self, dA, cache, need_dX=True):
        """dL/dA (n, n_out) -> dL/dX (n, n_in); accumulates dL/dW and dL/db."""
        return self.backward_affine(self.backward_activation(dA, cache), cache, need_dX)

    def backward_activation(self, dA, cache):
        """dL/dA (n, n_out) -> dL/dZ = dL/dA * f'(Z) (n, n_out)."""
        X, Z, A = cache
        return dA * ACTIVATIONS[self.activation][1](Z, A)

    def backward_affine(self, dZ, cache, need_dX=True):
        """dL/dZ (n, n_out) -> dL/dX (n, n_in) (or None); accumulates dW += X.T dZ, db += sum dZ."""
        X = cache[0]
        self.dW += X.T @ dZ
        self.db += dZ.sum(axis=0)
        return dZ @ self.W.T if need_dX else None
