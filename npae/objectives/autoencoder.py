"""What an autoencoder minimises, and its gradient, in one place.

    L(theta) = reconstruction(x, g(h(x~))) + contractive + sparsity + weight decay

with each term as in ``npae.penalties`` and ``x~`` the (possibly corrupted) input.
The estimators in ``npae.models`` only call it; the fused numba step
(``npae.fused_step``) computes the same numbers, tested equal.
"""

from typing import NamedTuple

from ..losses import output_delta
from ..penalties import SPARSITY, contractive_analytic, contractive_stochastic
from ..penalties import weight_decay as weight_decay_penalty


class Objective(NamedTuple):
    """What an autoencoder minimises: the reconstruction loss and the penalty weights."""

    loss: str
    weight_decay: float = 0.0
    contractive: float = 0.0
    contractive_mode: str = "analytic"
    contractive_noise: float = 0.1
    sparsity: float = 0.0
    sparsity_mode: str = "kl"
    sparsity_target: float = 0.05


def autoencoder_objective(net, X_in, X_target, objective, rng=None, need_dX=False):
    """Training loss of an autoencoder at one batch, and its gradient.

    L = reconstruction(X_target, g(h(X_in))) + contractive + sparsity + weight decay
    (each term as in ``npae.penalties``). X_in, X_target: (n, n_features); ``rng``
    draws the stochastic contractive noise. Fills ``net.grad`` with dL/dtheta;
    returns ``(L, parts, dL/dX_in or None)``, ``parts`` naming each term of L."""
    net.zero_grad()
    n_enc = len(net.specs) // 2
    code = n_enc - 1
    A, caches = net.forward(X_in)
    reconstruction, dZ = output_delta(objective.loss, X_target, caches[-1][1], A, net.specs[-1].activation)
    parts = {"reconstruction": reconstruction}
    H = caches[code][2]
    extra_dA = {}
    dX_noisy = None
    if objective.sparsity:
        parts["sparsity"], extra_dA[code] = SPARSITY[objective.sparsity_mode](
            H, *((objective.sparsity_target,) if objective.sparsity_mode == "kl" else ()), objective.sparsity)
    if objective.contractive and objective.contractive_mode == "stochastic":
        noise = objective.contractive_noise * rng.standard_normal(X_in.shape, dtype=X_in.dtype)
        H_noisy, caches_noisy = net.forward(X_in + noise, 0, n_enc)
        parts["contractive"], dH, dH_noisy = contractive_stochastic(H, H_noisy, objective.contractive)
        extra_dA[code] = extra_dA[code] + dH if code in extra_dA else dH
        dX_noisy = net.backward(net.layers[code].backward_activation(dH_noisy, caches_noisy[-1]),
                                caches_noisy, need_dX=need_dX)
    dX = net.backward(dZ, caches, extra_dA=extra_dA, need_dX=need_dX)
    if dX_noisy is not None:
        dX += dX_noisy
    if objective.contractive and objective.contractive_mode == "analytic":
        X0, Z0, A0 = caches[0]
        value, dW, db, dX_pen = contractive_analytic(X0, net.param("encoder.0.W"), Z0, A0,
                                                     net.specs[0].activation, objective.contractive)
        parts["contractive"] = value
        net.grad_of("encoder.0.W")[...] += dW
        net.grad_of("encoder.0.b")[...] += db
        if need_dX:
            dX += dX_pen
    if objective.weight_decay:
        add_weight_decay(net, objective.weight_decay, parts)
    return sum(parts.values()), parts, dX


def add_weight_decay(net, weight_decay, parts):
    """Add ``weight_decay / 2 * sum ||W||^2`` over the weight matrices to ``parts`` and its
    gradient ``weight_decay * W`` to ``net.grad``."""
    names = net.weight_names()
    value, grads = weight_decay_penalty([net.param(n) for n in names], weight_decay)
    for name, g in zip(names, grads):
        net.grad_of(name)[...] += g
    parts["weight_decay"] = value
