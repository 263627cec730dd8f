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
    KL weight ``beta``, the number of importance samples and the weight decay.

    Parameters
    ----------
    likelihood : {"bernoulli", "gaussian"}
        The decoder's likelihood, a key of ``npae.likelihoods.LIKELIHOODS``.
    output_std : float, default=1.0
        The Gaussian likelihood's fixed standard deviation (ignored by Bernoulli).
    beta : float, default=1.0
        Weight of the KL term (of the log prior and posterior with importance samples).
    importance_samples : int, default=1
        Number S of draws per row; above 1, the importance-weighted bound.
    weight_decay : float, default=0.0
        Coefficient of the weight decay (0: none).

    Examples
    --------
    >>> from npae.objectives import VAEObjective
    >>> objective = VAEObjective("bernoulli", importance_samples=5)
    >>> objective.beta, objective.importance_samples
    (1.0, 5)
    """

    likelihood: str
    output_std: float = 1.0
    beta: float = 1.0
    importance_samples: int = 1
    weight_decay: float = 0.0


def trunk_depth(net):
    """The number of encoder layers before the mean and log-variance heads.

    Parameters
    ----------
    net : Network
        A VAE's network (``npae.network.vae_specs``).

    Returns
    -------
    int
        The index of the ``"encoder.mu"`` layer.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.network import Network, vae_specs
    >>> net = Network(vae_specs(4, [3, 2], "tanh", "sigmoid"), dtype=np.float64, chained=False)
    >>> net.init_params(np.random.default_rng(0))
    >>> X = np.random.default_rng(1).random((3, 4))
    >>> from npae.objectives.vae import trunk_depth
    >>> trunk_depth(net)
    1
    """
    return next(i for i, s in enumerate(net.specs) if s.name == "encoder.mu")


def vae_encode(net, X):
    """The posterior's parameters and what backpropagation needs.
    X (n, n_features) -> mu (n, k), log_var (n, k) (bounded), cache.

    Parameters
    ----------
    net : Network
        A VAE's network (``npae.network.vae_specs``).
    X : ndarray of shape (n, n_features)
        The inputs.

    Returns
    -------
    mu : ndarray of shape (n, k)
        The posterior's means.
    log_var : ndarray of shape (n, k)
        Its log-variances, bounded by ``npae.reparameterization.bounded_log_var``.
    cache : tuple
        What ``vae_encoder_backward`` needs.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.network import Network, vae_specs
    >>> net = Network(vae_specs(4, [3, 2], "tanh", "sigmoid"), dtype=np.float64, chained=False)
    >>> net.init_params(np.random.default_rng(0))
    >>> X = np.random.default_rng(1).random((3, 4))
    >>> from npae.objectives.vae import vae_encode
    >>> mu, log_var, cache = vae_encode(net, X)
    >>> mu.shape, log_var.shape
    ((3, 2), (3, 2))
    """
    t = trunk_depth(net)
    H, trunk_caches = net.forward(X, 0, t)
    mu, mu_cache = net.layers[t].forward(H)
    raw, lv_cache = net.layers[t + 1].forward(H)
    log_var, dlog_var_draw = bounded_log_var(raw)
    return mu, log_var, (t, trunk_caches, mu_cache, lv_cache, dlog_var_draw)


def vae_encoder_backward(net, dmu, dlog_var, cache, need_dX=False):
    """dL/dmu, dL/dlog_var (n, k) -> dL/dX (n, n_features) or None; accumulates the encoder's
    parameter gradients (both heads read the trunk's output, so their dL/dH add up).

    Parameters
    ----------
    net : Network
        A VAE's network, whose encoder's gradients accumulate into ``net.grad``.
    dmu : ndarray of shape (n, k)
        dL/dmu.
    dlog_var : ndarray of shape (n, k)
        dL/dlog_var (of the bounded log-variance).
    cache : tuple
        The cache that ``vae_encode`` returned.
    need_dX : bool, default=False
        Whether to compute and return dL/dX.

    Returns
    -------
    ndarray of shape (n, n_features) or None
        dL/dX if ``need_dX``, else None.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.network import Network, vae_specs
    >>> net = Network(vae_specs(4, [3, 2], "tanh", "sigmoid"), dtype=np.float64, chained=False)
    >>> net.init_params(np.random.default_rng(0))
    >>> X = np.random.default_rng(1).random((3, 4))
    >>> from npae.objectives.vae import vae_encode, vae_encoder_backward
    >>> mu, log_var, cache = vae_encode(net, X)
    >>> net.zero_grad()
    >>> dX = vae_encoder_backward(net, np.ones_like(mu), np.zeros_like(log_var), cache, need_dX=True)
    >>> dX.shape, bool(np.any(net.grad_of("encoder.mu.W") != 0)), bool(np.any(net.grad_of("decoder.0.W") != 0))
    ((3, 4), True, False)
    """
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
    respect to the decoder's last pre-activation (S, n, m), and the decoder's caches.

    Parameters
    ----------
    net : Network
        A VAE's network.
    X_target : ndarray of shape (n, m)
        The samples scored.
    z : ndarray of shape (S, n, k)
        Latent draws, S per row.
    objective : VAEObjective
        Gives the likelihood and its ``output_std``.

    Returns
    -------
    log_px : ndarray of shape (S, n)
        log p(x|z) of each draw, in float64.
    dlog_px : ndarray of shape (S, n, m)
        Its gradient with respect to the decoder's last pre-activation.
    caches : list of tuple
        The decoder layers' caches, on the ``(S * n, ...)`` rows.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.network import Network, vae_specs
    >>> net = Network(vae_specs(4, [3, 2], "tanh", "sigmoid"), dtype=np.float64, chained=False)
    >>> net.init_params(np.random.default_rng(0))
    >>> X = np.random.default_rng(1).random((3, 4))
    >>> from npae.objectives import VAEObjective
    >>> from npae.objectives.vae import vae_decode_log_likelihood
    >>> log_px, dlog_px, caches = vae_decode_log_likelihood(net, X, np.zeros((2, 3, 2)), VAEObjective("bernoulli"))
    >>> log_px.shape, dlog_px.shape, len(caches)
    ((2, 3), (2, 3, 4), 2)
    """
    S, n, k = z.shape
    t = trunk_depth(net)
    _, caches = net.forward(z.reshape(S * n, k), t + 2)
    out = caches[-1][1].reshape(S, n, -1)
    log_px, dlog_px = LIKELIHOODS[objective.likelihood].log_prob(X_target[None], out, objective.output_std)
    return log_px, dlog_px, caches


def log_prior_minus_log_posterior(z, eps, log_var):
    """log p(z) - log q(z|x) = 1/2 sum_j (eps_j^2 + log_var_j - z_j^2), (S, n), float64.
    z, eps: (S, n, k); log_var: (n, k).

    Parameters
    ----------
    z : ndarray of shape (S, n, k)
        The draws ``mu + exp(log_var / 2) * eps``.
    eps : ndarray of shape (S, n, k)
        Their standard normal noise.
    log_var : ndarray of shape (n, k)
        The posterior's log-variances.

    Returns
    -------
    ndarray of shape (S, n)
        log p(z) - log q(z|x) of each draw, in float64.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.objectives.vae import log_prior_minus_log_posterior
    >>> log_prior_minus_log_posterior(np.zeros((1, 1, 2)), np.ones((1, 1, 2)), np.zeros((1, 2)))
    array([[1.]])
    """
    return 0.5 * np.sum(eps * eps + log_var[None] - z * z, axis=2, dtype=np.float64)


def logsumexp_weights(log_w):
    """log mean_s exp(log_w_s) and the normalised weights softmax_s(log_w), stably.
    log_w: (S, n) -> ((n,), (S, n)).

    Parameters
    ----------
    log_w : ndarray of shape (S, n)
        The log-weights of S draws for each of n rows.

    Returns
    -------
    log_mean : ndarray of shape (n,)
        log mean_s exp(log_w_s).
    weights : ndarray of shape (S, n)
        The normalised weights, each column summing to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.objectives.vae import logsumexp_weights
    >>> log_mean, weights = logsumexp_weights(np.log(np.array([[1.0], [3.0]])))
    >>> np.round(log_mean, 4), weights.ravel()  # log 2
    (array([0.6931]), array([0.25, 0.75]))
    """
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
    (-mean log p(x|z)), "kl" (mean analytic KL, unweighted) and "weight_decay" if used.

    Parameters
    ----------
    net : Network
        A VAE's network (``npae.network.vae_specs``).
    X_in : ndarray of shape (n, n_features)
        The encoder's input.
    X_target : ndarray of shape (n, n_features)
        The samples the decoder scores.
    eps : ndarray of shape (S, n, k)
        Standard normal draws, held fixed.
    objective : VAEObjective
        The likelihood, ``beta``, the number of samples and the weight decay.
    need_dX : bool, default=False
        Whether to compute and return dL/dX_in.

    Returns
    -------
    L : float
        The negative bound (plus the weight decay).
    parts : dict of str to float
        "reconstruction", "kl" and "weight_decay" if used.
    dX : ndarray of shape (n, n_features) or None
        dL/dX_in if ``need_dX``, else None.

    Examples
    --------
    With one draw and ``beta = 1``, the loss is the reconstruction term plus the KL:

    >>> import numpy as np
    >>> from npae.network import Network, vae_specs
    >>> net = Network(vae_specs(4, [3, 2], "tanh", "sigmoid"), dtype=np.float64, chained=False)
    >>> net.init_params(np.random.default_rng(0))
    >>> X = np.random.default_rng(1).random((3, 4))
    >>> from npae.objectives import VAEObjective, vae_objective
    >>> eps = np.random.default_rng(2).standard_normal((1, 3, 2))
    >>> loss, parts, dX = vae_objective(net, X, X, eps, VAEObjective("bernoulli"), need_dX=True)
    >>> sorted(parts), bool(np.isclose(loss, parts["reconstruction"] + parts["kl"]))
    (['kl', 'reconstruction'], True)
    >>> dX.shape
    (3, 4)
    """
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
    whose log-mean-exp estimates log p(x)), (S, n) float64. X (n, m); eps (S, n, k).

    Parameters
    ----------
    net : Network
        A VAE's network (``npae.network.vae_specs``).
    X : ndarray of shape (n, m)
        The samples.
    eps : ndarray of shape (S, n, k)
        Standard normal draws.
    objective : VAEObjective
        Gives the likelihood and its ``output_std`` (its ``beta`` is not used).

    Returns
    -------
    ndarray of shape (S, n)
        The log-weights, in float64.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.network import Network, vae_specs
    >>> net = Network(vae_specs(4, [3, 2], "tanh", "sigmoid"), dtype=np.float64, chained=False)
    >>> net.init_params(np.random.default_rng(0))
    >>> X = np.random.default_rng(1).random((3, 4))
    >>> from npae.objectives import VAEObjective
    >>> from npae.objectives.vae import logsumexp_weights, vae_log_weights
    >>> log_w = vae_log_weights(net, X, np.random.default_rng(2).standard_normal((5, 3, 2)), VAEObjective("bernoulli"))
    >>> log_w.shape, log_w.dtype
    ((5, 3), dtype('float64'))
    >>> log_px, _ = logsumexp_weights(log_w)  # an estimate of log p(x) per row
    >>> log_px.shape
    (3,)
    """
    mu, log_var, _ = vae_encode(net, X)
    z, _ = reparameterize_forward(mu, log_var, eps)
    log_px, _, _ = vae_decode_log_likelihood(net, X, z, objective)
    return log_px + log_prior_minus_log_posterior(z, eps, log_var)
