"""The KL divergence of a diagonal Gaussian posterior from the standard normal prior.

    KL(N(mu, diag(exp(log_var))) || N(0, I)) = 1/2 * sum_j (mu_j^2 + exp(log_var_j) - 1 - log_var_j)

in closed form (Kingma & Welling 2014, appendix B), per row, with its gradient

    dKL/dmu = mu,        dKL/dlog_var = (exp(log_var) - 1) / 2.

It is zero exactly at mu = 0, log_var = 0 (the posterior is the prior) and positive elsewhere.
"""

import numpy as np


def gaussian_kl(mu, log_var):
    """KL per row and its gradients.  mu, log_var: (n, k) -> (kl (n,), dkl/dmu (n, k),
    dkl/dlog_var (n, k)); the KL summed in float64.

    Parameters
    ----------
    mu : ndarray of shape (n, k)
        The posterior's means.
    log_var : ndarray of shape (n, k)
        The posterior's log-variances.

    Returns
    -------
    kl : ndarray of shape (n,)
        The KL divergence of each row, in float64.
    dkl_dmu : ndarray of shape (n, k)
        dKL/dmu.
    dkl_dlog_var : ndarray of shape (n, k)
        dKL/dlog_var.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.kl_divergence import gaussian_kl
    >>> mu, log_var = np.array([[0.0, 0.0], [1.0, 0.0]]), np.zeros((2, 2))
    >>> kl, dkl_dmu, dkl_dlog_var = gaussian_kl(mu, log_var)
    >>> kl
    array([0. , 0.5])
    >>> np.allclose(dkl_dmu, mu), np.allclose(dkl_dlog_var, 0.0)
    (True, True)
    """
    var = np.exp(log_var)
    kl = 0.5 * np.sum(mu * mu + var - 1.0 - log_var, axis=1, dtype=np.float64)
    return kl, mu.copy(), 0.5 * (var - 1.0)


def gaussian_kl_per_dimension(mu, log_var):
    """The KL of each latent dimension, averaged over rows: (k,). (n, k) inputs.

    Parameters
    ----------
    mu : ndarray of shape (n, k)
        The posterior's means.
    log_var : ndarray of shape (n, k)
        The posterior's log-variances.

    Returns
    -------
    ndarray of shape (k,)
        The mean KL of each dimension, in float64 (they add up to the mean of
        ``gaussian_kl``).

    Examples
    --------
    >>> import numpy as np
    >>> from npae.kl_divergence import gaussian_kl_per_dimension
    >>> gaussian_kl_per_dimension(np.array([[0.0, 0.0], [1.0, 0.0]]), np.zeros((2, 2)))
    array([0.25, 0.  ])
    """
    return 0.5 * np.mean(mu * mu + np.exp(log_var) - 1.0 - log_var, axis=0, dtype=np.float64)
