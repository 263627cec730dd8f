"""Elementwise activations: each a forward function and its derivative.

Every pair is registered in ``ACTIVATIONS`` as ``name -> (forward, derivative)``.

* ``forward(Z) -> A`` maps pre-activations ``Z`` (any shape) to activations ``A``
  of the same shape and dtype.
* ``derivative(Z, A) -> dA/dZ`` takes both ``Z`` and the already computed ``A``,
  because several derivatives are cheapest in terms of the output
  (sigmoid: ``A (1 - A)``, tanh: ``1 - A^2``).

These NumPy functions are the definition; the numba kernels in
``npae.kernels`` are tested against them.
"""

import numpy as np

#: Negative slope of ``leaky_relu`` (PyTorch's default).
LEAKY_RELU_SLOPE = 0.01
#: ``alpha`` of ``elu`` (PyTorch's default).
ELU_ALPHA = 1.0


def sigmoid(Z):
    """sigma(z) = 1 / (1 + exp(-z)), computed from ``exp(-|z|)`` so it never overflows.

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.

    Returns
    -------
    ndarray of the shape and dtype of ``Z``
        The activations, in (0, 1).

    Examples
    --------
    >>> sigmoid(np.array([-1.0, 0.0, 2.0])).round(4)
    array([0.2689, 0.5   , 0.8808])
    """
    E = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + E), E / (1.0 + E)).astype(Z.dtype, copy=False)


def sigmoid_derivative(Z, A):
    """sigma'(z) = sigma(z) (1 - sigma(z)).

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.
    A : ndarray of the shape of ``Z``
        ``sigmoid(Z)``, already computed (``Z`` itself is unused).

    Returns
    -------
    ndarray of the shape of ``Z``
        The derivative dA/dZ, elementwise.

    Examples
    --------
    >>> Z = np.array([-1.0, 0.0, 2.0])
    >>> sigmoid_derivative(Z, sigmoid(Z)).round(4)
    array([0.1966, 0.25  , 0.105 ])
    """
    return A * (1.0 - A)


def tanh(Z):
    """tanh(z).

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.

    Returns
    -------
    ndarray of the shape and dtype of ``Z``
        The activations, in (-1, 1).

    Examples
    --------
    >>> tanh(np.array([-1.0, 0.0, 2.0])).round(4)
    array([-0.7616,  0.    ,  0.964 ])
    """
    return np.tanh(Z)


def tanh_derivative(Z, A):
    """tanh'(z) = 1 - tanh(z)^2.

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.
    A : ndarray of the shape of ``Z``
        ``tanh(Z)``, already computed (``Z`` itself is unused).

    Returns
    -------
    ndarray of the shape of ``Z``
        The derivative dA/dZ, elementwise.

    Examples
    --------
    >>> Z = np.array([-1.0, 0.0, 2.0])
    >>> tanh_derivative(Z, tanh(Z)).round(4)
    array([0.42  , 1.    , 0.0707])
    """
    return 1.0 - A * A


def relu(Z):
    """relu(z) = max(z, 0).

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.

    Returns
    -------
    ndarray of the shape and dtype of ``Z``
        The activations, >= 0.

    Examples
    --------
    >>> relu(np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    return np.maximum(Z, 0.0).astype(Z.dtype, copy=False)


def relu_derivative(Z, A):
    """relu'(z) = 1 if z > 0 else 0 (0 at the kink, as PyTorch).

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.
    A : ndarray of the shape of ``Z``
        ``relu(Z)`` (unused).

    Returns
    -------
    ndarray of the shape of ``Z``
        The derivative dA/dZ, 0 or 1, in the dtype of ``Z``.

    Examples
    --------
    >>> Z = np.array([-1.0, 0.0, 2.0])
    >>> relu_derivative(Z, relu(Z))
    array([0., 0., 1.])
    """
    return (Z > 0).astype(Z.dtype)


def leaky_relu(Z):
    """leaky_relu(z) = z if z > 0 else 0.01 z.

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.

    Returns
    -------
    ndarray of the shape and dtype of ``Z``
        The activations.

    Examples
    --------
    >>> leaky_relu(np.array([-1.0, 2.0]))
    array([-0.01,  2.  ])
    """
    return np.where(Z > 0, Z, LEAKY_RELU_SLOPE * Z).astype(Z.dtype, copy=False)


def leaky_relu_derivative(Z, A):
    """leaky_relu'(z) = 1 if z > 0 else 0.01.

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.
    A : ndarray of the shape of ``Z``
        ``leaky_relu(Z)`` (unused).

    Returns
    -------
    ndarray of the shape of ``Z``
        The derivative dA/dZ, 0.01 or 1.

    Examples
    --------
    >>> Z = np.array([-1.0, 0.0, 2.0])
    >>> leaky_relu_derivative(Z, leaky_relu(Z))
    array([0.01, 0.01, 1.  ])
    """
    return np.where(Z > 0, 1.0, LEAKY_RELU_SLOPE).astype(Z.dtype, copy=False)


def elu(Z):
    """elu(z) = z if z > 0 else alpha (exp(z) - 1).

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.

    Returns
    -------
    ndarray of the shape and dtype of ``Z``
        The activations, > -alpha (``ELU_ALPHA``).

    Examples
    --------
    >>> elu(np.array([-1.0, 0.0, 2.0])).round(4)
    array([-0.6321,  0.    ,  2.    ])
    """
    return np.where(Z > 0, Z, ELU_ALPHA * np.expm1(np.minimum(Z, 0.0))).astype(Z.dtype, copy=False)


def elu_derivative(Z, A):
    """elu'(z) = 1 if z > 0 else alpha exp(z) = elu(z) + alpha.

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.
    A : ndarray of the shape of ``Z``
        ``elu(Z)``, already computed.

    Returns
    -------
    ndarray of the shape of ``Z``
        The derivative dA/dZ, elementwise.

    Examples
    --------
    >>> Z = np.array([-1.0, 0.0, 2.0])
    >>> elu_derivative(Z, elu(Z)).round(4)
    array([0.3679, 1.    , 1.    ])
    """
    return np.where(Z > 0, 1.0, A + ELU_ALPHA).astype(Z.dtype, copy=False)


def softplus(Z):
    """softplus(z) = log(1 + exp(z)) = max(z, 0) + ``log1p(exp(-|z|))``, overflow-free.

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.

    Returns
    -------
    ndarray of the shape and dtype of ``Z``
        The activations, > 0.

    Examples
    --------
    >>> softplus(np.array([-1.0, 0.0, 2.0])).round(4)
    array([0.3133, 0.6931, 2.1269])
    """
    return (np.maximum(Z, 0.0) + np.log1p(np.exp(-np.abs(Z)))).astype(Z.dtype, copy=False)


def softplus_derivative(Z, A):
    """softplus'(z) = sigma(z).

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.
    A : ndarray of the shape of ``Z``
        ``softplus(Z)`` (unused).

    Returns
    -------
    ndarray of the shape of ``Z``
        The derivative dA/dZ, in (0, 1).

    Examples
    --------
    >>> Z = np.array([-1.0, 0.0, 2.0])
    >>> softplus_derivative(Z, softplus(Z)).round(4)
    array([0.2689, 0.5   , 0.8808])
    """
    return sigmoid(Z)


def linear(Z):
    """linear(z) = z (identity).

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.

    Returns
    -------
    ndarray of the shape and dtype of ``Z``
        ``Z`` itself (not a copy).

    Examples
    --------
    >>> linear(np.array([-1.0, 2.0]))
    array([-1.,  2.])
    """
    return Z


def linear_derivative(Z, A):
    """linear'(z) = 1.

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.
    A : ndarray of the shape of ``Z``
        ``linear(Z)`` (unused).

    Returns
    -------
    ndarray of the shape of ``Z``
        Ones, in the dtype of ``Z``.

    Examples
    --------
    >>> Z = np.array([-1.0, 2.0])
    >>> linear_derivative(Z, Z)
    array([1., 1.])
    """
    return np.ones_like(Z)


def sigmoid_second_derivative(Z, A):
    """sigma''(z) = sigma'(z) (1 - 2 sigma(z)).

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.
    A : ndarray of the shape of ``Z``
        ``sigmoid(Z)``, already computed (``Z`` itself is unused).

    Returns
    -------
    ndarray of the shape of ``Z``
        The second derivative d^2A/dZ^2, elementwise.

    Examples
    --------
    >>> Z = np.array([-1.0, 0.0, 2.0])
    >>> sigmoid_second_derivative(Z, sigmoid(Z)).round(4)
    array([ 0.0909,  0.    , -0.08  ])
    """
    return A * (1.0 - A) * (1.0 - 2.0 * A)


def tanh_second_derivative(Z, A):
    """tanh''(z) = -2 tanh(z) (1 - tanh(z)^2).

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.
    A : ndarray of the shape of ``Z``
        ``tanh(Z)``, already computed (``Z`` itself is unused).

    Returns
    -------
    ndarray of the shape of ``Z``
        The second derivative d^2A/dZ^2, elementwise.

    Examples
    --------
    >>> Z = np.array([-1.0, 2.0])
    >>> tanh_second_derivative(Z, tanh(Z)).round(4)
    array([ 0.6397, -0.1362])
    """
    return -2.0 * A * (1.0 - A * A)


def piecewise_linear_second_derivative(Z, A):
    """relu'' = leaky_relu'' = linear'' = 0 (almost everywhere).

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.
    A : ndarray of the shape of ``Z``
        The activations (unused).

    Returns
    -------
    ndarray of the shape of ``Z``
        Zeros, in the dtype of ``Z``.

    Examples
    --------
    >>> Z = np.array([-1.0, 2.0])
    >>> piecewise_linear_second_derivative(Z, relu(Z))
    array([0., 0.])
    """
    return np.zeros_like(Z)


def elu_second_derivative(Z, A):
    """elu''(z) = 0 if z > 0 else alpha exp(z) = elu(z) + alpha.

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.
    A : ndarray of the shape of ``Z``
        ``elu(Z)``, already computed.

    Returns
    -------
    ndarray of the shape of ``Z``
        The second derivative d^2A/dZ^2, elementwise.

    Examples
    --------
    >>> Z = np.array([-1.0, 0.0, 2.0])
    >>> elu_second_derivative(Z, elu(Z)).round(4)
    array([0.3679, 1.    , 0.    ])
    """
    return np.where(Z > 0, 0.0, A + ELU_ALPHA).astype(Z.dtype, copy=False)


def softplus_second_derivative(Z, A):
    """softplus''(z) = sigma(z) (1 - sigma(z)).

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.
    A : ndarray of the shape of ``Z``
        ``softplus(Z)`` (unused).

    Returns
    -------
    ndarray of the shape of ``Z``
        The second derivative d^2A/dZ^2, in (0, 1/4].

    Examples
    --------
    >>> Z = np.array([-1.0, 0.0, 2.0])
    >>> softplus_second_derivative(Z, softplus(Z)).round(4)
    array([0.1966, 0.25  , 0.105 ])
    """
    S = sigmoid(Z)
    return S * (1.0 - S)


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "elu": (elu, elu_derivative),
    "softplus": (softplus, softplus_derivative),
    "linear": (linear, linear_derivative),
}

#: f''(z) as ``(Z, A) -> array``: what the analytic contractive penalty differentiates
#: (its value holds f'(z)^2).
SECOND_DERIVATIVES = {
    "sigmoid": sigmoid_second_derivative,
    "tanh": tanh_second_derivative,
    "relu": piecewise_linear_second_derivative,
    "leaky_relu": piecewise_linear_second_derivative,
    "elu": elu_second_derivative,
    "softplus": softplus_second_derivative,
    "linear": piecewise_linear_second_derivative,
}

#: The open range of each activation's output, used to validate options that
#: need it (a KL sparsity target needs outputs in (0, 1); bce needs a sigmoid).
ACTIVATION_RANGES = {
    "sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "relu": (0.0, np.inf),
    "leaky_relu": (-np.inf, np.inf),
    "elu": (-ELU_ALPHA, np.inf),
    "softplus": (0.0, np.inf),
    "linear": (-np.inf, np.inf),
}

#: Activations whose layers are initialised with He (fan-in) scaling; the rest use Glorot.
RELU_FAMILY = frozenset({"relu", "leaky_relu", "elu", "softplus"})
