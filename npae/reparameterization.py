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
    raw: (n, k) -> (log_var (n, k), dlog_var/draw (n, k))."""
    return raw - softplus(raw - LOG_VAR_MAX), sigmoid(LOG_VAR_MAX - raw)


def reparameterize_forward(mu, log_var, eps):
    """z = mu + exp(log_var / 2) * eps.  mu, log_var: (n, k); eps: (S, n, k) -> z (S, n, k),
    cache (std, eps)."""
    std = np.exp(0.5 * log_var)
    return mu + std * eps, (std, eps)


def reparameterize_backward(dz, cache):
    """dL/dz (S, n, k) -> (dL/dmu, dL/dlog_var), each (n, k), summed over the S draws."""
    std, eps = cache
    return dz.sum(axis=0), 0.5 * std * (dz * eps).sum(axis=0)
