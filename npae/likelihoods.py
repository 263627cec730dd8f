"""The likelihoods p(x|z) of a variational autoencoder's decoder, per sample in nats.

Unlike the reconstruction losses of ``npae.losses`` (means over all elements), a VAE's
log-likelihood is SUMMED over the features of a sample: it is the log-density of the whole
sample, the unit of every published VAE number. Each function returns the per-row
log-likelihood (float64) and its gradient with respect to the decoder's output.

* Bernoulli, from the logits z (the decoder's last pre-activation; its mean is sigmoid(z)):
      log p(x|z) = sum_j x_j z_j - softplus(z_j),      d/dz = x - sigmoid(z);

  computed as -((max(z, 0) - x z) + log1p(exp(``-|z|``))), so it never takes log(0).
* Gaussian with fixed standard deviation s around the decoder's (linear) output m:
      log p(x|m) = -sum_j (x_j - m_j)^2 / (2 s^2) - n_features * log(2 pi s^2) / 2,
      d/dm = (x - m) / s^2.
"""

from typing import Callable, NamedTuple

import numpy as np

from .activations import sigmoid
from .losses import bce_elementwise


def bernoulli_log_likelihood(X, Z, output_std=None):
    """X (..., m) in [0, 1], logits Z (..., m) -> (log p (...,) float64, dlog p/dZ (..., m)).

    Parameters
    ----------
    X : ndarray of shape (..., m)
        The samples, in [0, 1].
    Z : ndarray of shape (..., m)
        The logits (the decoder's last pre-activation); broadcast against ``X``.
    output_std : None
        Not used: the signature of every ``Likelihood.log_prob``.

    Returns
    -------
    log_p : ndarray of shape (...,)
        log p(x|z) of each sample, in float64.
    dlog_p : ndarray of shape (..., m)
        Its gradient with respect to ``Z``.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.likelihoods import bernoulli_log_likelihood
    >>> log_p, dlog_p = bernoulli_log_likelihood(np.array([[1.0, 0.0]]), np.zeros((1, 2)))
    >>> np.round(log_p, 4), dlog_p  # log p = 2 log(1/2)
    (array([-1.3863]), array([[ 0.5, -0.5]]))
    """
    return -np.sum(bce_elementwise(X, Z), axis=-1, dtype=np.float64), X - sigmoid(Z)


def gaussian_log_likelihood(X, M, output_std=1.0):
    """X (..., m), means M (..., m), standard deviation ``output_std`` ->
    (log p (...,) float64, dlog p/dM (..., m)).

    Parameters
    ----------
    X : ndarray of shape (..., m)
        The samples.
    M : ndarray of shape (..., m)
        The means (the decoder's linear output); broadcast against ``X``.
    output_std : float, default=1.0
        The fixed standard deviation s.

    Returns
    -------
    log_p : ndarray of shape (...,)
        log p(x|m) of each sample, in float64.
    dlog_p : ndarray of shape (..., m)
        Its gradient with respect to ``M``.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.likelihoods import gaussian_log_likelihood
    >>> X = np.array([[1.0, 2.0]])
    >>> log_p, dlog_p = gaussian_log_likelihood(X, X + np.array([[0.0, 0.5]]), output_std=0.5)
    >>> np.round(log_p + np.log(2 * np.pi * 0.25), 4), dlog_p  # -0.5^2 / (2 * 0.25)
    (array([-0.5]), array([[ 0., -2.]]))
    """
    D = X - M
    inv_var = 1.0 / (output_std * output_std)
    const = 0.5 * X.shape[-1] * np.log(2.0 * np.pi * output_std * output_std)
    return -0.5 * inv_var * np.sum(D * D, axis=-1, dtype=np.float64) - const, inv_var * D


class Likelihood(NamedTuple):
    """A registered likelihood: ``log_prob(X, out, output_std) -> (log p per row, gradient)``,
    where ``out`` is the decoder's last pre-activation; ``output_activation``: the decoder's
    last activation, which turns that pre-activation into the likelihood's mean.

    Parameters
    ----------
    log_prob : callable
        ``log_prob(X, out, output_std) -> (log p per row, gradient with respect to out)``.
    output_activation : str
        The decoder's last activation, a key of ``npae.activations.ACTIVATIONS``.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.likelihoods import LIKELIHOODS
    >>> likelihood = LIKELIHOODS["gaussian"]
    >>> likelihood.output_activation
    'linear'
    >>> log_p, _ = likelihood.log_prob(np.zeros((2, 3)), np.zeros((2, 3)), 1.0)
    >>> log_p.shape
    (2,)
    """

    log_prob: Callable
    output_activation: str


LIKELIHOODS = {
    "bernoulli": Likelihood(bernoulli_log_likelihood, "sigmoid"),
    "gaussian": Likelihood(gaussian_log_likelihood, "linear"),
}
