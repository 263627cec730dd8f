"""The likelihoods p(x|z) of a variational autoencoder's decoder, per sample in nats.

Unlike the reconstruction losses of ``npae.losses`` (means over all elements), a VAE's
log-likelihood is SUMMED over the features of a sample: it is the log-density of the whole
sample, the unit of every published VAE number. Each function returns the per-row
log-likelihood (float64) and its gradient with respect to the decoder's output.

* Bernoulli, from the logits z (the decoder's last pre-activation; its mean is sigmoid(z)):
      log p(x|z) = sum_j x_j z_j - softplus(z_j),      d/dz = x - sigmoid(z);
  computed as -((max(z, 0) - x z) + log1p(exp(-|z|))), so it never takes log(0).
* Gaussian with fixed standard deviation s around the decoder's (linear) output m:
      log p(x|m) = -sum_j (x_j - m_j)^2 / (2 s^2) - n_features * log(2 pi s^2) / 2,
      d/dm = (x - m) / s^2.
"""

from typing import Callable, NamedTuple

import numpy as np

from .activations import sigmoid
from .losses import bce_elementwise


def bernoulli_log_likelihood(X, Z, output_std=None):
    """X (..., m) in [0, 1], logits Z (..., m) -> (log p (...,) float64, dlog p/dZ (..., m))."""
    return -np.sum(bce_elementwise(X, Z), axis=-1, dtype=np.float64), X - sigmoid(Z)


def gaussian_log_likelihood(X, M, output_std=1.0):
    """X (..., m), means M (..., m), standard deviation ``output_std`` ->
    (log p (...,) float64, dlog p/dM (..., m))."""
    D = X - M
    inv_var = 1.0 / (output_std * output_std)
    const = 0.5 * X.shape[-1] * np.log(2.0 * np.pi * output_std * output_std)
    return -0.5 * inv_var * np.sum(D * D, axis=-1, dtype=np.float64) - const, inv_var * D


class Likelihood(NamedTuple):
    """A registered likelihood: ``log_prob(X, out, output_std) -> (log p per row, gradient)``,
    where ``out`` is the decoder's last pre-activation; ``output_activation``: the decoder's
    last activation, which turns that pre-activation into the likelihood's mean."""

    log_prob: Callable
    output_activation: str


LIKELIHOODS = {
    "bernoulli": Likelihood(bernoulli_log_likelihood, "sigmoid"),
    "gaussian": Likelihood(gaussian_log_likelihood, "linear"),
}
