"""What an autoencoder minimises, and its gradient, in one place.

    L(theta) = reconstruction(x, g(h(x~))) + contractive + sparsity + weight decay

with each term as in ``npae.penalties`` and ``x~`` the (possibly corrupted) input; with
``dropout`` > 0 each hidden layer's output is multiplied by a fresh dropout mask
(``npae.dropout``) on its way to the next layer.
The estimators in ``npae.models`` only call it; the fused numba step
(``npae.fused_step``) computes the same numbers, tested equal.
"""

from typing import NamedTuple

from ..dropout import dropout_masks
from ..losses import output_delta
from ..penalties import SPARSITY, contractive_analytic, contractive_stochastic
from ..penalties import weight_decay as weight_decay_penalty


class Objective(NamedTuple):
    """What an autoencoder minimises: the reconstruction loss, the penalty weights and the
    dropout rate of its hidden layers.

    Parameters
    ----------
    loss : str
        The reconstruction loss, a key of ``npae.losses.LOSSES`` (``"mse"``, ``"bce"``).
    weight_decay : float, default=0.0
        Coefficient of the weight decay (0: none).
    contractive : float, default=0.0
        Coefficient of the contractive penalty (0: none).
    contractive_mode : {"analytic", "stochastic"}, default="analytic"
        The contractive penalty: analytic on the first layer, or stochastic on the code.
    contractive_noise : float, default=0.1
        Standard deviation of the stochastic penalty's input noise.
    sparsity : float, default=0.0
        Coefficient of the sparsity penalty on the code (0: none).
    sparsity_mode : {"kl", "l1"}, default="kl"
        The sparsity penalty.
    sparsity_target : float, default=0.05
        The target mean activation rho of the ``"kl"`` penalty.
    dropout : float, default=0.0
        Dropout rate of the hidden layers' outputs (0: none).

    Examples
    --------
    >>> from npae.objectives import Objective
    >>> objective = Objective("mse", weight_decay=1e-4)
    >>> objective.weight_decay, objective.contractive, objective.sparsity_mode
    (0.0001, 0.0, 'kl')
    """

    loss: str
    weight_decay: float = 0.0
    contractive: float = 0.0
    contractive_mode: str = "analytic"
    contractive_noise: float = 0.1
    sparsity: float = 0.0
    sparsity_mode: str = "kl"
    sparsity_target: float = 0.05
    dropout: float = 0.0


def autoencoder_objective(net, X_in, X_target, objective, rng=None, need_dX=False):
    """Training loss of an autoencoder at one batch, and its gradient.

    L = reconstruction(X_target, g(h(X_in))) + contractive + sparsity + weight decay
    (each term as in ``npae.penalties``). X_in, X_target: (n, n_features); ``rng``
    draws the dropout masks (first, one hidden layer after another) and the stochastic
    contractive noise. Fills ``net.grad`` with dL/dtheta;
    returns ``(L, parts, dL/dX_in or None)``, ``parts`` naming each term of L.

    Parameters
    ----------
    net : Network
        A mirrored autoencoder (``npae.network.autoencoder_specs``).
    X_in : ndarray of shape (n, n_features)
        The (possibly corrupted) input.
    X_target : ndarray of shape (n, n_features)
        What the reconstruction is compared to.
    objective : Objective
        The loss, penalties and dropout rate.
    rng : numpy.random.Generator or None, default=None
        Draws the dropout masks and the stochastic contractive noise; needed only when
        they are used.
    need_dX : bool, default=False
        Whether to compute and return dL/dX_in.

    Returns
    -------
    L : float
        The loss, the sum of ``parts``.
    parts : dict of str to float
        Its terms: "reconstruction", and "contractive", "sparsity", "weight_decay"
        when used.
    dX : ndarray of shape (n, n_features) or None
        dL/dX_in if ``need_dX``, else None.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.network import Network, autoencoder_specs
    >>> net = Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float64)
    >>> net.init_params(np.random.default_rng(0))
    >>> X = np.random.default_rng(1).random((3, 4))
    >>> from npae.objectives import Objective, autoencoder_objective
    >>> loss, parts, dX = autoencoder_objective(net, X, X, Objective("mse", weight_decay=0.01), need_dX=True)
    >>> sorted(parts), bool(np.isclose(loss, sum(parts.values())))
    (['reconstruction', 'weight_decay'], True)
    >>> dX.shape, bool(np.any(net.grad != 0))
    ((3, 4), True)
    """
    net.zero_grad()
    n_enc = len(net.specs) // 2
    code = n_enc - 1
    masks = dropout_masks(net, X_in.shape[0], objective.dropout, rng)
    A, caches = net.forward(X_in, masks=masks)
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
        H_noisy, caches_noisy = net.forward(X_in + noise, 0, n_enc, masks=masks)  # the same masks: one h
        parts["contractive"], dH, dH_noisy = contractive_stochastic(H, H_noisy, objective.contractive)
        extra_dA[code] = extra_dA[code] + dH if code in extra_dA else dH
        dX_noisy = net.backward(net.layers[code].backward_activation(dH_noisy, caches_noisy[-1]),
                                caches_noisy, need_dX=need_dX, masks=masks)
    dX = net.backward(dZ, caches, extra_dA=extra_dA, need_dX=need_dX, masks=masks)
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
    gradient ``weight_decay * W`` to ``net.grad``.

    Parameters
    ----------
    net : Network
        The network, whose ``grad`` is added to.
    weight_decay : float
        The coefficient.
    parts : dict of str to float
        The loss's terms, to which ``"weight_decay"`` is added (in place).

    Examples
    --------
    >>> import numpy as np
    >>> from npae.network import Network, autoencoder_specs
    >>> net = Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float64)
    >>> net.init_params(np.random.default_rng(0))
    >>> X = np.random.default_rng(1).random((3, 4))
    >>> from npae.objectives import add_weight_decay
    >>> net.zero_grad()
    >>> parts = {}
    >>> add_weight_decay(net, 0.1, parts)
    >>> list(parts), np.allclose(net.grad_of("encoder.0.W"), 0.1 * net.param("encoder.0.W"))
    (['weight_decay'], True)
    >>> np.allclose(net.grad_of("encoder.0.b"), 0.0)
    True
    """
    names = net.weight_names()
    value, grads = weight_decay_penalty([net.param(n) for n in names], weight_decay)
    for name, g in zip(names, grads):
        net.grad_of(name)[...] += g
    parts["weight_decay"] = value
