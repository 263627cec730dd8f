"""Inference on the numba kernels: ``Network.predict`` over chunks of rows, allocation-free.

It computes what ``Network.predict`` does (tested equal to it), A_l = f_l(A_{l-1} W_l + b_l)
for the layers start:stop, but writes every product into a buffer made once per call
(``np.matmul(..., out=...)``), adds the bias and applies the activation in one pass of the
training step's kernels, in place, and writes the last layer straight into the result: a
``transform`` of many rows then costs its matrix products and one pass over each layer's
output, where NumPy's reference makes three (add, activation, concatenation) and allocates
each.
"""

import numpy as np

from .fused_step import FLOAT32_FORWARD


def fused_predict(net, X, start, stop, kernels, chunk):
    """The activations of layer ``stop - 1`` for the rows of X, ``chunk`` rows at a time.

    Parameters
    ----------
    net : npae.network.Network
        A chained network (each layer's input is the previous layer's output).
    X : array-like of shape (n_samples, n_in)
        Rows already checked (finite, ``n_in`` = the input width of layer ``start``); any
        array with row slicing (a memmap is read chunk by chunk and cast to ``net.dtype``).
    start, stop : int
        The layers to run, as a slice of ``net.layers``.
    kernels : module
        ``npae.kernels`` (``npae.backend.load_kernels()``).
    chunk : int
        Rows per block: bounds the buffers at ``chunk`` x the widest layer.

    Returns
    -------
    ndarray of shape (n_samples, n_out) and dtype ``net.dtype``

    Examples
    --------
    >>> import numpy as np
    >>> from npae import Autoencoder
    >>> from npae.backend import load_kernels
    >>> from npae.fused_predict import fused_predict
    >>> X = np.random.default_rng(0).random((32, 6))
    >>> net = Autoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
    >>> codes = fused_predict(net, X, 0, 2, load_kernels(), chunk=10)
    >>> codes.shape, codes.dtype == net.dtype
    ((32, 2), True)
    >>> bool(np.allclose(codes, net.predict(X.astype(net.dtype), 0, 2), atol=1e-6))
    True
    """
    layers = net.layers[start:stop]
    dtype, n = net.dtype, X.shape[0]
    codes = [kernels.ACTIVATION_CODES[layer.activation] for layer in layers]
    fast = [getattr(kernels, FLOAT32_FORWARD[c]) if dtype == np.float32 and c in FLOAT32_FORWARD else None
            for c in codes]
    out = np.empty((n, layers[-1].n_out), dtype)
    rows = min(chunk, n)
    hidden = [np.empty((rows, layer.n_out), dtype) for layer in layers[:-1]]
    widest = max(layer.n_out for layer in layers)
    exponent_bits, terms = np.empty(widest, np.int32), np.empty(widest, np.float32)
    for i in range(0, n, chunk):
        A = np.asarray(X[i:i + chunk], dtype=dtype)
        m = A.shape[0]
        for l, layer in enumerate(layers):
            Z = out[i:i + m] if l == len(layers) - 1 else hidden[l][:m]
            np.matmul(A, layer.W, out=Z)
            if fast[l] is not None:  # Z <- Z + b, then f(Z) in place
                fast[l](Z, layer.b, Z, exponent_bits, terms)
            else:
                kernels.bias_activation(Z, layer.b, codes[l], Z)
            A = Z
    return out
