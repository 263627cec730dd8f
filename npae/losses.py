"""Reconstruction losses, and softmax cross-entropy for classifier heads.

Each loss is ONE function that returns ``(loss, gradient)``, so the number that
is reported and the gradient that is followed can never use different
reductions. Reconstruction losses are means over all elements (PyTorch's and
Keras' default ``reduction="mean"``); with ``Y`` of shape ``(n, m)`` the
gradient therefore carries ``1 / (n m)``.

* ``mse(Y, A)``: takes the output activations ``A``; returns ``dL/dA``.
* ``bce(Y, Z)``: takes the output LOGITS ``Z`` (the output layer is a sigmoid);
  returns ``dL/dZ``. Working from the logits it never takes ``log(0)`` and its
  gradient ``sigma(Z) - Y`` stays exact when the sigmoid saturates.

``LOSSES`` registers each as a ``Loss`` record; ``output_delta`` is the single
place that turns any of them into the gradient at the output layer's
pre-activation, which is where backpropagation starts.
"""

from typing import Callable, NamedTuple, Optional

import numpy as np

from .activations import ACTIVATIONS, sigmoid


def _bce_terms(Y, Z):
    """softplus(Z) - Y Z as (max(Z, 0) - Y Z) + log1p(exp(-|Z|)): the first part is exactly 0
    for a confident right logit, so a loss of 1e-11 keeps its digits (softplus(Z) first and
    Y Z subtracted after cancels them)."""
    return (np.maximum(Z, 0.0) - Y * Z) + np.log1p(np.exp(-np.abs(Z)))


def mse(Y, A):
    """L = mean((A - Y)^2);  dL/dA = 2 (A - Y) / Y.size.  Y, A: (n, m).

    Parameters
    ----------
    Y : ndarray of shape (n, m)
        Targets.
    A : ndarray of shape (n, m)
        Output activations.

    Returns
    -------
    loss : float
        The mean squared error over all elements.
    dA : ndarray of shape (n, m)
        Its gradient dL/dA.

    Examples
    --------
    >>> Y = np.array([[0.0, 1.0], [1.0, 1.0]])
    >>> loss, dA = mse(Y, np.array([[0.5, 1.0], [1.0, 0.0]]))
    >>> loss, dA
    (0.3125, array([[ 0.25,  0.  ],
           [ 0.  , -0.5 ]]))
    """
    D = A - Y
    return float(np.mean(D * D, dtype=np.float64)), (2.0 / D.size) * D


def mse_elementwise(Y, A):
    """(A - Y)^2 per element, shape (n, m).

    Parameters
    ----------
    Y : ndarray of shape (n, m)
        Targets.
    A : ndarray of shape (n, m)
        Output activations.

    Returns
    -------
    ndarray of shape (n, m)
        The squared error of each output.

    Examples
    --------
    >>> mse_elementwise(np.array([[0.0, 1.0]]), np.array([[0.5, 3.0]]))
    array([[0.25, 4.  ]])
    """
    D = A - Y
    return D * D


def mse_per_sample(Y, A):
    """Per-row mean squared error, shape (n,): mean_j (A_ij - Y_ij)^2.

    Parameters
    ----------
    Y : ndarray of shape (n, m)
        Targets.
    A : ndarray of shape (n, m)
        Output activations.

    Returns
    -------
    ndarray of shape (n,)
        The mean squared error of each sample, in float64.

    Examples
    --------
    >>> Y = np.array([[0.0, 1.0], [1.0, 1.0]])
    >>> mse_per_sample(Y, np.array([[0.5, 1.0], [1.0, 0.0]]))
    array([0.125, 0.5  ])
    """
    return np.mean(mse_elementwise(Y, A), axis=1, dtype=np.float64)


def bce(Y, Z):
    """L = mean(softplus(Z) - Y Z) = -mean(Y log sigma(Z) + (1-Y) log(1 - sigma(Z)));
    dL/dZ = (sigma(Z) - Y) / Y.size.  Y targets in [0, 1], Z logits, both (n, m).

    Parameters
    ----------
    Y : ndarray of shape (n, m)
        Targets, in [0, 1].
    Z : ndarray of shape (n, m)
        Output logits (the pre-activations of the sigmoid output layer).

    Returns
    -------
    loss : float
        The mean binary cross-entropy over all elements.
    dZ : ndarray of shape (n, m)
        Its gradient dL/dZ.

    Examples
    --------
    >>> loss, dZ = bce(np.array([[0.0, 1.0]]), np.zeros((1, 2)))
    >>> round(loss, 4), dZ
    (0.6931, array([[ 0.25, -0.25]]))
    """
    loss = np.mean(_bce_terms(Y, Z), dtype=np.float64)
    return float(loss), (1.0 / Z.size) * (sigmoid(Z) - Y)


def bce_elementwise(Y, Z):
    """softplus(Z) - Y Z per element (the cross-entropy of each output), shape (n, m).

    Parameters
    ----------
    Y : ndarray of shape (n, m)
        Targets, in [0, 1].
    Z : ndarray of shape (n, m)
        Output logits.

    Returns
    -------
    ndarray of shape (n, m)
        The binary cross-entropy of each output.

    Examples
    --------
    >>> bce_elementwise(np.array([[1.0, 0.0]]), np.array([[0.0, -40.0]])).round(4)
    array([[0.6931, 0.    ]])
    """
    return _bce_terms(Y, Z)


def bce_per_sample(Y, Z):
    """Per-row binary cross-entropy from logits, shape (n,).

    Parameters
    ----------
    Y : ndarray of shape (n, m)
        Targets, in [0, 1].
    Z : ndarray of shape (n, m)
        Output logits.

    Returns
    -------
    ndarray of shape (n,)
        The mean binary cross-entropy of each sample, in float64.

    Examples
    --------
    >>> Y = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> bce_per_sample(Y, np.array([[0.0, 0.0], [40.0, 40.0]])).round(4)
    array([0.6931, 0.    ])
    """
    return np.mean(bce_elementwise(Y, Z), axis=1, dtype=np.float64)


def softmax(Z):
    """softmax(z)_k = exp(z_k - max z) / sum_j exp(z_j - max z), row by row.  Z: (n, k).

    Parameters
    ----------
    Z : ndarray of shape (n, k)
        Logits.

    Returns
    -------
    ndarray of shape (n, k)
        Class probabilities; each row sums to 1.

    Examples
    --------
    >>> softmax(np.array([[0.0, np.log(3.0)]]))
    array([[0.25, 0.75]])
    """
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def log_softmax(Z):
    """log softmax(z)_k = z_k - logsumexp(z), stable.  Z: (n, k).

    Parameters
    ----------
    Z : ndarray of shape (n, k)
        Logits.

    Returns
    -------
    ndarray of shape (n, k)
        Log class probabilities.

    Examples
    --------
    >>> log_softmax(np.array([[0.0, np.log(3.0)]])).round(4)
    array([[-1.3863, -0.2877]])
    """
    S = Z - Z.max(axis=1, keepdims=True)
    return S - np.log(np.exp(S).sum(axis=1, keepdims=True))


def softmax_cross_entropy(Y, Z):
    """L = -mean_i sum_k Y_ik log softmax(Z_i)_k;  dL/dZ = (softmax(Z) - Y) / n.

    Y: one-hot (or probability) targets (n, k); Z: logits (n, k). The mean is
    over samples (PyTorch's ``CrossEntropyLoss``).

    Parameters
    ----------
    Y : ndarray of shape (n, k)
        One-hot (or probability) targets.
    Z : ndarray of shape (n, k)
        Logits.

    Returns
    -------
    loss : float
        The cross-entropy, averaged over samples.
    dZ : ndarray of shape (n, k)
        Its gradient dL/dZ.

    Examples
    --------
    >>> loss, dZ = softmax_cross_entropy(np.array([[0.0, 1.0]]), np.array([[0.0, np.log(3.0)]]))
    >>> round(loss, 4), dZ.round(4)
    (0.2877, array([[ 0.25, -0.25]]))
    """
    n = Z.shape[0]
    loss = -np.sum(Y * log_softmax(Z), dtype=np.float64) / n
    return float(loss), (softmax(Z) - Y) / n


def softmax_cross_entropy_per_sample(Y, Z):
    """Per-row cross-entropy, shape (n,).

    Parameters
    ----------
    Y : ndarray of shape (n, k)
        One-hot (or probability) targets.
    Z : ndarray of shape (n, k)
        Logits.

    Returns
    -------
    ndarray of shape (n,)
        The cross-entropy of each sample, in float64.

    Examples
    --------
    >>> Y = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> softmax_cross_entropy_per_sample(Y, np.array([[0.0, np.log(3.0)]] * 2)).round(4)
    array([0.2877, 1.3863])
    """
    return -np.sum(Y * log_softmax(Z), axis=1, dtype=np.float64)


class Loss(NamedTuple):
    """A registered loss.

    ``value_and_grad(Y, X) -> (loss, dL/dX)`` where ``X`` is the output activation
    (``takes_logits=False``) or the output logits (``takes_logits=True``);
    ``per_sample(Y, X) -> (n,)``; ``elementwise(Y, X) -> (n, m)`` or None;
    ``output_activation``: the activation the loss requires at the output, or None for any.

    Parameters
    ----------
    value_and_grad : callable
        ``value_and_grad(Y, X) -> (loss, dL/dX)``, ``X`` of shape (n, m).
    per_sample : callable
        ``per_sample(Y, X) -> ndarray of shape (n,)``.
    takes_logits : bool
        Whether ``X`` is the output logits (True) or the output activation (False).
    output_activation : str or None
        The activation the loss requires at the output (a key of
        ``npae.activations.ACTIVATIONS``), or None for any.
    elementwise : callable or None, default=None
        ``elementwise(Y, X) -> ndarray of shape (n, m)``, or None when the loss has no
        per-output terms.

    Examples
    --------
    >>> LOSSES["bce"].takes_logits, LOSSES["bce"].output_activation
    (True, 'sigmoid')
    >>> LOSSES["mse"].output_activation is None
    True
    """

    value_and_grad: Callable
    per_sample: Callable
    takes_logits: bool
    output_activation: Optional[str]
    elementwise: Optional[Callable] = None


LOSSES = {
    "mse": Loss(mse, mse_per_sample, takes_logits=False, output_activation=None, elementwise=mse_elementwise),
    "bce": Loss(bce, bce_per_sample, takes_logits=True, output_activation="sigmoid", elementwise=bce_elementwise),
    "softmax_cross_entropy": Loss(softmax_cross_entropy, softmax_cross_entropy_per_sample,
                                  takes_logits=True, output_activation="linear"),
}


def output_delta(loss_name, Y, Z, A, output_activation):
    """Loss and its gradient at the output pre-activation: ``(L, dL/dZ)``.

    Chain rule at the top of the network: dL/dZ = dL/dA * f'(Z), except for
    losses defined on the logits, whose gradient already is dL/dZ.

    Parameters
    ----------
    loss_name : str
        A key of ``LOSSES``.
    Y : ndarray of shape (n, m)
        Targets.
    Z : ndarray of shape (n, m)
        The output layer's pre-activations (logits).
    A : ndarray of shape (n, m)
        The output layer's activations, ``f(Z)``.
    output_activation : str
        The output layer's activation, a key of ``npae.activations.ACTIVATIONS``
        (used only by losses that take activations).

    Returns
    -------
    loss : float
        The loss.
    dZ : ndarray of shape (n, m)
        Its gradient dL/dZ.

    Examples
    --------
    >>> Y, Z = np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]])
    >>> output_delta("mse", Y, Z, Z, "linear")
    (0.5, array([[1., 0.]]))
    """
    loss = LOSSES[loss_name]
    if loss.takes_logits:
        return loss.value_and_grad(Y, Z)
    value, dA = loss.value_and_grad(Y, A)
    return value, dA * ACTIVATIONS[output_activation][1](Z, A)


def elementwise_loss(loss_name, Y, Z, A):
    """The loss of each output, shape (n, m): its row means are the per-sample losses.

    Parameters
    ----------
    loss_name : str
        A key of ``LOSSES`` whose loss has an ``elementwise`` function (``"mse"`` or ``"bce"``).
    Y : ndarray of shape (n, m)
        Targets.
    Z : ndarray of shape (n, m)
        The output layer's pre-activations (logits).
    A : ndarray of shape (n, m)
        The output layer's activations, ``f(Z)``.

    Returns
    -------
    ndarray of shape (n, m)
        The loss of each output.

    Examples
    --------
    >>> Y, Z = np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]])
    >>> elementwise_loss("mse", Y, Z, Z)
    array([[1., 0.]])
    """
    loss = LOSSES[loss_name]
    if loss.elementwise is None:
        raise ValueError(f"{loss_name} has no elementwise form (it is a loss of whole rows); "
                         "use its per-sample function, or 'mse' or 'bce' for elementwise losses")
    return loss.elementwise(Y, Z if loss.takes_logits else A)
