"""Dropout on hidden layers (inverted dropout, as Keras and PyTorch do it).

During training each hidden unit's activation is zeroed with probability ``p`` and the
kept ones are scaled by ``1 / (1 - p)``, so that the expected activation is unchanged
and nothing needs rescaling at inference (where no dropout is applied):

    forward:   A~ = A * M,      M_ij = [U_ij >= p] / (1 - p),  U_ij ~ Uniform[0, 1)
    backward:  dL/dA = dL/dA~ * M

With its mask M held fixed, dropout is a linear map of A, which is why the backward pass
is the same multiplication and why ``npae.gradcheck`` can check it (the mask is re-drawn
from a fixed seed at every evaluation, as corruption noise is).

``M`` is drawn from the model's own generator, one hidden layer after another (in layer
order, after the input corruption), so the fused numba step
(``npae.kernels.dropout_mask``) draws the same masks as this reference. The output layer
is never dropped.
"""

import numpy as np


def dropout_mask(shape, rate, rng, dtype):
    """M = [U >= rate] / (1 - rate), U ~ Uniform[0, 1) from ``rng`` in ``dtype``: entries are
    0 (dropped, probability ``rate``) or 1 / (1 - rate) (kept). ``rate`` in [0, 1).

    Parameters
    ----------
    shape : tuple of int
        Shape of the mask, ``(n, m)``.
    rate : float
        Probability of dropping each unit, in [0, 1).
    rng : numpy.random.Generator
        Where the uniform draws come from.
    dtype : numpy.float32 or numpy.float64
        Dtype of the draws and of the mask.

    Returns
    -------
    ndarray of shape ``shape``
        The mask M, in ``dtype``.

    Examples
    --------
    >>> M = dropout_mask((2, 3), 0.5, np.random.default_rng(0), np.float64)
    >>> M.shape, np.unique(M)
    ((2, 3), array([0., 2.]))
    """
    keep = (rng.random(shape, dtype=dtype) >= rate).astype(dtype)
    return keep / (1.0 - rate)


def dropout_masks(net, n, rate, rng):
    """One mask per hidden layer of ``net`` (every layer but the last) for a batch of ``n``
    rows: ``{layer index: M (n, n_out)}``, drawn in layer order; ``{}`` (no draw) when
    ``rate`` is 0.

    Parameters
    ----------
    net : npae.network.Network
        The network; its hidden layers are ``net.specs[:-1]``.
    n : int
        Number of rows in the batch.
    rate : float
        Dropout probability, in [0, 1).
    rng : numpy.random.Generator
        Where the masks are drawn from.

    Returns
    -------
    dict of int to ndarray of shape (n, n_out)
        The mask of each hidden layer, keyed by layer index, in ``net.dtype``.

    Examples
    --------
    >>> from npae.network import Network, LayerSpec
    >>> net = Network([LayerSpec("encoder.0", 4, 3, "relu"), LayerSpec("decoder.0", 3, 4, "sigmoid")])
    >>> {i: M.shape for i, M in dropout_masks(net, 5, 0.5, np.random.default_rng(0)).items()}
    {0: (5, 3)}
    >>> dropout_masks(net, 5, 0.0, np.random.default_rng(0))
    {}
    """
    if not rate:
        return {}
    return {i: dropout_mask((n, spec.n_out), rate, rng, net.dtype) for i, spec in enumerate(net.specs[:-1])}


def dropout_forward(A, mask):
    """A~ = A * M: the activation a hidden layer passes on during training.  A, M: (n, m).

    Parameters
    ----------
    A : ndarray of shape (n, m)
        A hidden layer's activations.
    mask : ndarray of shape (n, m)
        Its mask M (``dropout_mask``).

    Returns
    -------
    ndarray of shape (n, m)
        The dropped-out activations A~.

    Examples
    --------
    >>> dropout_forward(np.array([[1.0, 2.0]]), np.array([[0.0, 2.0]]))
    array([[0., 4.]])
    """
    return A * mask


def dropout_backward(dA_dropped, mask):
    """dL/dA = dL/dA~ * M: the gradient through dropout with its mask held fixed.  (n, m).

    Parameters
    ----------
    dA_dropped : ndarray of shape (n, m)
        The gradient dL/dA~ with respect to the dropped-out activations.
    mask : ndarray of shape (n, m)
        The mask M of the forward pass.

    Returns
    -------
    ndarray of shape (n, m)
        The gradient dL/dA.

    Examples
    --------
    >>> dropout_backward(np.array([[1.0, 1.0]]), np.array([[0.0, 2.0]]))
    array([[0., 2.]])
    """
    return dA_dropped * mask
