"""The reparameterisation layer of a variational autoencoder, and the bound on its log-variance.

A sample of the posterior q(z|x) = N(mu, diag(exp(log_var))) written as a function of the
parameters and of noise that does not depend on them,

    z = mu + exp(log_var / 2) * eps,        eps ~ N(0, I) drawn apart and held fixed,

so the chain rule goes through the draw:

    dL/dmu = dL/dz,        dL/dlog_var = dL/dz * eps * exp(log_var / 2) / 2.

With ``S`` draws per row, ``eps`` has shape (S, n, k) and so has ``z``; the gradients of
the draws add up in mu's and log_var's (n, k).

The log-variance head is linear, and a linear output can be anything: ``exp(log_var)``
overflows float32 above 88.7. ``bounded_log_var`` puts a smooth ceiling on it,

    log_var = r - softplus(r - LOG_VAR_MAX),

the identity to within exp(r - LOG_VAR_MAX) (2e-9 at r = 0) and never above LOG_VAR_MAX = 20
(a variance of at most 4.9e8), so neither exp(log_var) nor any gradient overflows. Below,
nothing is needed: exp of a very negative log_var is 0, not NaN.
"""

import numpy as np

from .activations import sigmoid, softplus

#: The ceiling of the log-variance (see the module docstring).
LOG_VAR_MAX = 20.0


def bounded_log_var(raw):
    """log_var = r - softplus(r - LOG_VAR_MAX) and its derivative sigmoid(LOG_VAR_MAX - r).
    raw: (n, k) -> (log_var (n, k), dlog_var/draw (n, k)).

    Parameters
    ----------
    raw : ndarray of shape (n, k)
        The log-variance head's output r.

    Returns
    -------
    log_var : ndarray of shape (n, k)
        The bounded log-variance, never above ``LOG_VAR_MAX``.
    dlog_var_draw : ndarray of shape (n, k)
        Its derivative with respect to ``raw``, in (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from npae.reparameterization import bounded_log_var
    >>> log_var, dlog_var_draw = bounded_log_var(np.array([[1.0, 100.0]]))
    >>> np.round(log_var, 4), np.round(dlog_var_draw, 4)
    (array([[ 1., 20.]]), array([[1., 0.]]))
    """
    return raw - softplus(raw - LOG_VAR_MAX), sigmoid(LOG_VAR_MAX - raw)


def reparameterize_forward(mu, log_var, eps):
    """z = mu + exp(log_var / 2) * eps.  mu, log_var: (n, k); eps: (S, n, k) -> z (S, n, k),
    cache (std, eps).

    Parameters
    ----------
    mu : ndarray of shape (n, k)
        The posterior's means.
    log_var : ndarray of shape (n, k)
        The posterior's log-variances.
    eps : ndarray of shape (S, n, k)
        Standard normal draws, S per row.

    Returns
    -------
    z : ndarray of shape (S, n, k)
        The draws of the posterior.
    cache : tuple of ndarray
        ``(std, eps)``, std of shape (n, k): what ``reparameterize_backward`` needs.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.reparameterization import reparameterize_forward
    >>> mu, log_var = np.array([[1.0, 0.0]]), np.log(np.array([[4.0, 1.0]]))
    >>> z, cache = reparameterize_forward(mu, log_var, np.ones((3, 1, 2)))
    >>> z.shape
    (3, 1, 2)
    >>> z[0]
    array([[3., 1.]])
    """
    std = np.exp(0.5 * log_var)
    return mu + std * eps, (std, eps)


def reparameterize_backward(dz, cache):
    """dL/dz (S, n, k) -> (dL/dmu, dL/dlog_var), each (n, k), summed over the S draws.

    Parameters
    ----------
    dz : ndarray of shape (S, n, k)
        dL/dz.
    cache : tuple of ndarray
        The cache that ``reparameterize_forward`` returned.

    Returns
    -------
    dmu : ndarray of shape (n, k)
        dL/dmu.
    dlog_var : ndarray of shape (n, k)
        dL/dlog_var.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.reparameterization import reparameterize_backward, reparameterize_forward
    >>> mu, log_var = np.zeros((1, 2)), np.log(np.array([[4.0, 1.0]]))
    >>> z, cache = reparameterize_forward(mu, log_var, np.ones((3, 1, 2)))
    >>> reparameterize_backward(np.ones((3, 1, 2)), cache)
    (array([[3., 3.]]), array([[3. , 1.5]]))
    """
    std, eps = cache
    return dz.sum(axis=0), 0.5 * std * (dz * eps).sum(axis=0)
