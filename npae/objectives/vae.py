"""What a variational autoencoder minimises: the negative evidence lower bound, or the
negative importance-weighted bound, and its gradient, in one place.

With the posterior q(z|x) = N(mu(x), diag(exp(log_var(x)))) and draws z_s = mu + exp(log_var/2) eps_s:

* ``importance_samples = 1`` (Kingma & Welling's estimator, analytic KL):
      bound(x) = log p(x|z_1) - beta * KL(q(z|x) || N(0, I));
* ``importance_samples = S > 1`` (Burda, Grosse & Salakhutdinov 2016):
      bound(x) = log (1/S) sum_s w_s,   log w_s = log p(x|z_s) + beta * (log p(z_s) - log q(z_s|x)),
  with log p(z) - log q(z|x) = 1/2 sum_j (eps_j^2 + log_var_j - z_j^2) (the 2 pi terms cancel),
  the mean taken by a stable log-sum-exp; with beta = 1 it is the IWAE bound.

The loss is -mean over the batch of bound(x), per sample in nats. Its gradient: with
normalised weights w~_s = softmax_s(log w), dL/dlog w_s = -w~_s / n; the decoder's outputs
get w~_s dlog p/dout; z_s gets beta w~_s z_s / n from the prior; log_var gets -beta/2 sum_s w~_s / n
from q; then the reparameterisation layer (``npae.reparameterization``) carries dL/dz into mu
and log_var, and the encoder's layers do the rest. The noise ``eps`` is an argument: drawn by
the caller, it is held fixed for the gradient checker.
"""

from typing import NamedTuple

import numpy as np

from ..kl_divergence import gaussian_kl
from ..likelihoods import LIKELIHOODS
from ..reparameterization import bounded_log_var, reparameterize_backward, reparameterize_forward
from .autoencoder import add_weight_decay


class VAEObjective(NamedTuple):
    """What a VAE minimises: the likelihood, its fixed standard deviation (Gaussian), the
    KL weight ``beta``, the number of importance samples and the weight decay."""

    likelihood: str
    output_std: float = 1.0
    beta: float = 1.0
    importance_samples: int = 1
    weight_decay: float = 0.0


def trunk_depth(net):
    """The number of encoder layers before the mean and log-variance heads."""
    return next(i for i, s in enumerate(net.specs) if s.name == "encoder.mu")


def vae_encode(net, X):
    """The posterior's parameters and what backpropagation needs.
    X (n, n_features) -> mu (n, k), log_var (n, k) (bounded), cache."""
    t = trunk_depth(net)
    H, trunk_caches = net.forward(X, 0, t)
    mu, mu_cache = net.layers[t].forward(H)
    raw, lv_cache = net.layers[t + 1].forward(H)
    log_var, dlog_var_draw = bounded_log_var(raw)
    return mu, log_var, (t, trunk_caches, mu_cache, lv_cache, dlog_var_draw)


def vae_encoder_backward(net, dmu, dlog_var, cache, need_dX=False):
    """dL/dmu, dL/dlog_var (n, k) -> dL/dX (n, n_features) or None; accumulates the encoder's
    parameter gradients (both heads read the trunk's output, so their dL/dH add up)."""
    t, trunk_caches, mu_cache, lv_cache, dlog_var_draw = cache
    want = need_dX or t > 0
    dH = net.layers[t].backward_affine(dmu, mu_cache, want)
    dH_lv = net.layers[t + 1].backward_affine(dlog_var * dlog_var_draw, lv_cache, want)
    if not want:
        return None
    dH += dH_lv
    if t == 0:
        return dH
    dZ = net.layers[t - 1].backward_activation(dH, trunk_caches[-1])
    return net.backward(dZ, trunk_caches, need_dX=need_dX)


def vae_decode_log_likelihood(net, X_target, z, objective):
    """Decode z (S, n, k) and score X_target (n, m): log p(x|z) (S, n), its gradient with
    respect to the decoder's last pre-activation (S, n, m), and the decoder's caches."""
    S, n, k = z.shape
    t = trunk_depth(net)
    _, caches = net.forward(z.reshape(S * n, k), t + 2)
    out = caches[-1][1].reshape(S, n, -1)
    log_px, dlog_px = LIKELIHOODS[objective.likelihood].log_prob(X_target[None], out, objective.output_std)
    return log_px, dlog_px, caches


def log_prior_minus_log_posterior(z, eps, log_var):
    """log p(z) - log q(z|x) = 1/2 sum_j (eps_j^2 + log_var_j - z_j^2), (S, n), float64.
    z, eps: (S, n, k); log_var: (n, k)."""
    return 0.5 * np.sum(eps * eps + log_var[None] - z * z, axis=2, dtype=np.float64)


def logsumexp_weights(log_w):
    """log mean_s exp(log_w_s) and the normalised weights softmax_s(log_w), stably.
    log_w: (S, n) -> ((n,), (S, n))."""
    top = np.max(log_w, axis=0)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(log_w - top)
    total = e.sum(axis=0)
    return top + np.log(total) - np.log(log_w.shape[0]), e / total


def vae_objective(net, X_in, X_target, eps, objective, need_dX=False):
    """The negative bound at one batch and its gradient (see the module docstring).

    X_in, X_target: (n, n_features) (the same array, or a binarized draw of it for both);
    eps: (S, n, k) standard normal draws, S = ``objective.importance_samples``. Fills
    ``net.grad``; returns ``(L, parts, dL/dX_in or None)`` with ``parts``: "reconstruction"
    (-mean log p(x|z)), "kl" (mean analytic KL, unweighted) and "weight_decay" if used."""
    net.zero_grad()
    n = X_in.shape[0]
    beta = objective.beta
    mu, log_var, enc_cache = vae_encode(net, X_in)
    z, rep_cache = reparameterize_forward(mu, log_var, eps)
    log_px, dlog_px, dec_caches = vae_decode_log_likelihood(net, X_target, z, objective)
    kl, dkl_dmu, dkl_dlog_var = gaussian_kl(mu, log_var)
    S = eps.shape[0]
    if S == 1:
        bound = log_px[0] - beta * kl
        weights = np.full((1, n), 1.0 / n)
        dz_prior, dmu_direct, dlog_var_direct = 0.0, beta / n * dkl_dmu, beta / n * dkl_dlog_var
    else:
        log_w = log_px + beta * log_prior_minus_log_posterior(z, eps, log_var)
        bound, weights = logsumexp_weights(log_w)
        weights = weights / n
        dz_prior = (beta * weights)[:, :, None] * z
        dmu_direct, dlog_var_direct = 0.0, (-0.5 * beta) * weights.sum(axis=0)[:, None]
    weights = weights.astype(X_in.dtype, copy=False)
    d_out = -weights[:, :, None] * dlog_px
    dz = net.backward(d_out.reshape(S * n, -1), dec_caches, start=trunk_depth(net) + 2, need_dX=True)
    dmu, dlog_var = reparameterize_backward(dz.reshape(z.shape) + dz_prior, rep_cache)
    dX = vae_encoder_backward(net, dmu + dmu_direct, dlog_var + dlog_var_direct, enc_cache, need_dX)
    parts = {"reconstruction": -float(np.mean(log_px)), "kl": float(np.mean(kl))}
    loss = -float(np.mean(bound))
    if objective.weight_decay:
        add_weight_decay(net, objective.weight_decay, parts)
        loss += parts["weight_decay"]
    return loss, parts, dX


def vae_log_weights(net, X, eps, objective):
    """log w_s = log p(x|z_s) + log p(z_s) - log q(z_s|x) (beta = 1: the model's own weights,
    whose log-mean-exp estimates log p(x)), (S, n) float64. X (n, m); eps (S, n, k)."""
    mu, log_var, _ = vae_encode(net, X)
    z, _ = reparameterize_forward(mu, log_var, eps)
    log_px, _, _ = vae_decode_log_likelihood(net, X, z, objective)
    return log_px + log_prior_minus_log_posterior(z, eps, log_var)
