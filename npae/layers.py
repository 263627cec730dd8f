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
    """``A = f(X @ W + b)`` over parameter views; see the module docstring.

    Parameters
    ----------
    W : ndarray of shape (n_in, n_out)
        The weights (a view into the network's parameter vector).
    b : ndarray of shape (n_out,)
        The biases (a view).
    dW : ndarray of shape (n_in, n_out)
        Where the gradient of ``W`` is accumulated (a view into the gradient vector).
    db : ndarray of shape (n_out,)
        Where the gradient of ``b`` is accumulated (a view).
    activation : str
        A key of ``npae.activations.ACTIVATIONS``.

    Attributes
    ----------
    W, b, dW, db : ndarray
        The parameters and gradients, as given.
    activation : str
        The activation's name.

    Raises
    ------
    ValueError
        If ``activation`` is not a known activation.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dense(np.ones((3, 2)), np.zeros(2), np.zeros((3, 2)), np.zeros(2), "relu")
    >>> layer.n_in, layer.n_out, layer.activation
    (3, 2, 'relu')
    """

    def __init__(self, W, b, dW, db, activation):
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; valid: {sorted(ACTIVATIONS)}")
        self.W, self.b, self.dW, self.db = W, b, dW, db
        self.activation = activation

    @property
    def n_in(self):
        """Number of inputs, ``W.shape[0]``.

        Examples
        --------
        >>> import numpy as np
        >>> Dense(np.ones((3, 2)), np.zeros(2), np.zeros((3, 2)), np.zeros(2), "linear").n_in
        3
        """
        return self.W.shape[0]

    @property
    def n_out(self):
        """Number of outputs, ``W.shape[1]``.

        Examples
        --------
        >>> import numpy as np
        >>> Dense(np.ones((3, 2)), np.zeros(2), np.zeros((3, 2)), np.zeros(2), "linear").n_out
        2
        """
        return self.W.shape[1]

    def forward(self, X):
        """X (n, n_in) -> A (n, n_out), cache (X, Z, A).

        Parameters
        ----------
        X : ndarray of shape (n, n_in)
            The layer's input.

        Returns
        -------
        A : ndarray of shape (n, n_out)
            The activations ``f(Z)``.
        cache : tuple
            ``(X, Z, A)``, with ``Z = X @ W + b`` of shape (n, n_out): what ``backward`` needs.

        Examples
        --------
        >>> import numpy as np
        >>> layer = Dense(np.ones((2, 1)), np.zeros(1), np.zeros((2, 1)), np.zeros(1), "relu")
        >>> A, cache = layer.forward(np.array([[1.0, 2.0], [-1.0, -2.0]]))
        >>> A
        array([[3.],
               [0.]])
        """
        Z = X @ self.W
        Z += self.b
        A = ACTIVATIONS[self.activation][0](Z)
        return A, (X, Z, A)

    def backward(self, dA, cache, need_dX=True):
        """dL/dA (n, n_out) -> dL/dX (n, n_in); accumulates dL/dW and dL/db.

        Parameters
        ----------
        dA : ndarray of shape (n, n_out)
            The gradient dL/dA with respect to the layer's activations.
        cache : tuple
            ``(X, Z, A)``, from ``forward``.
        need_dX : bool, default=True
            Whether to compute dL/dX (the first layer does not need it).

        Returns
        -------
        ndarray of shape (n, n_in) or None
            The gradient dL/dX, or None when ``need_dX`` is False.

        Examples
        --------
        >>> import numpy as np
        >>> layer = Dense(np.ones((2, 1)), np.zeros(1), np.zeros((2, 1)), np.zeros(1), "relu")
        >>> A, cache = layer.forward(np.array([[1.0, 2.0], [-1.0, -2.0]]))
        >>> layer.backward(np.ones((2, 1)), cache)
        array([[1., 1.],
               [0., 0.]])
        >>> layer.dW.ravel(), layer.db
        (array([1., 2.]), array([1.]))
        """
        return self.backward_affine(self.backward_activation(dA, cache), cache, need_dX)

    def backward_activation(self, dA, cache):
        """dL/dA (n, n_out) -> dL/dZ = dL/dA * f'(Z) (n, n_out).

        Parameters
        ----------
        dA : ndarray of shape (n, n_out)
            The gradient dL/dA with respect to the layer's activations.
        cache : tuple
            ``(X, Z, A)``, from ``forward``.

        Returns
        -------
        ndarray of shape (n, n_out)
            The gradient dL/dZ at the pre-activations.

        Examples
        --------
        >>> import numpy as np
        >>> layer = Dense(np.ones((2, 1)), np.zeros(1), np.zeros((2, 1)), np.zeros(1), "relu")
        >>> A, cache = layer.forward(np.array([[1.0, 2.0], [-1.0, -2.0]]))
        >>> layer.backward_activation(np.ones((2, 1)), cache)
        array([[1.],
               [0.]])
        """
        X, Z, A = cache
        return dA * ACTIVATIONS[self.activation][1](Z, A)

    def backward_affine(self, dZ, cache, need_dX=True):
        """dL/dZ (n, n_out) -> dL/dX (n, n_in) (or None); accumulates dW += X.T dZ, db += sum dZ.

        Parameters
        ----------
        dZ : ndarray of shape (n, n_out)
            The gradient dL/dZ at the pre-activations.
        cache : tuple
            ``(X, Z, A)``, from ``forward`` (only ``X`` is used).
        need_dX : bool, default=True
            Whether to compute dL/dX.

        Returns
        -------
        ndarray of shape (n, n_in) or None
            The gradient dL/dX, or None when ``need_dX`` is False.

        Examples
        --------
        >>> import numpy as np
        >>> layer = Dense(np.ones((2, 1)), np.zeros(1), np.zeros((2, 1)), np.zeros(1), "relu")
        >>> A, cache = layer.forward(np.array([[1.0, 2.0], [-1.0, -2.0]]))
        >>> layer.backward_affine(np.ones((2, 1)), cache, need_dX=False) is None
        True
        >>> layer.dW.ravel(), layer.db
        (array([0., 0.]), array([2.]))
        """
        X = cache[0]
        self.dW += X.T @ dZ
        self.db += dZ.sum(axis=0)
        return dZ @ self.W.T if need_dX else None
