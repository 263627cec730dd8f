"""The variational autoencoder's training step on numba kernels: ``vae_objective``, fused and
allocation-free.

It computes what ``npae.objectives.vae_objective`` computes (tested equal to it), then the
optimizer step: matrix products on BLAS into preallocated buffers; numba kernels for bias +
activation, the reparameterisation with the KL and the log-variance bound, the per-sample
likelihood with its gradient (float32 Bernoulli by vectorised polynomials), the importance
weights, the activation derivatives with the bias gradients, weight decay and the optimizer.
The random draws are the reference's, in its order: the binarization's uniforms, then eps.
Every buffer lives in a ``VAEWorkspace`` made once per batch size.
"""

import math

import numpy as np

from .fused_step import FLOAT32_FORWARD, optimizer_kernel_step
from .parallel import draw
from .objectives.vae import log_prior_minus_log_posterior, trunk_depth, vae_encode
from .reparameterization import LOG_VAR_MAX, reparameterize_forward
from .training import gather_rows


class VAEWorkspace:
    """Buffers for n rows and S draws per row: the batch (and its binarized copy), the trunk's
    Z, A, dZ; the heads' outputs and gradients; the noise and draws; the decoder's Z, A, dZ over
    S n rows; the per-row log-likelihoods, KL, prior terms and importance weights (float64).

    Parameters
    ----------
    net : npae.network.Network
        The VAE's network (trunk, the mean and log-variance heads, decoder).
    n : int
        The batch size.
    S : int
        Draws per row (importance samples).
    binarize : bool
        Whether the batch is binarized afresh (``U`` and ``X_in`` of their own).

    Examples
    --------
    >>> import numpy as np
    >>> from npae import VariationalAutoencoder
    >>> from npae.fused_vae_step import VAEWorkspace
    >>> net = VariationalAutoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(
    ...     np.random.default_rng(0).random((32, 6))).network_
    >>> ws = VAEWorkspace(net, 8, 3, binarize=False)
    >>> ws.EPS.shape, ws.ZS.shape, ws.W.dtype
    ((3, 8, 2), (24, 2), dtype('float64'))
    """

    def __init__(self, net, n, S, binarize):
        dtype, specs = net.dtype, net.specs
        t = trunk_depth(net)
        k = specs[t].n_out
        m = specs[0].n_in
        self.X = np.empty((n, m), dtype)
        self.U = np.empty((n, m), dtype) if binarize else None
        self.X_in = np.empty((n, m), dtype) if binarize else self.X
        self.Z = [np.empty((n, s.n_out), dtype) for s in specs[:t]]
        self.A = [np.empty((n, s.n_out), dtype) for s in specs[:t]]
        self.dZ = [np.empty((n, s.n_out), dtype) for s in specs[:t]]
        self.dH2 = np.empty((n, specs[t].n_in), dtype) if t else None
        self.MU, self.RAW, self.LV, self.DLV, self.STD, self.DMU, self.DRAW = (
            np.empty((n, k), dtype) for _ in range(7))
        self.EPS = np.empty((S, n, k), dtype)
        self.ZS = np.empty((S * n, k), dtype)
        self.DZS = np.empty((S * n, k), dtype)
        decoder = specs[t + 2:]
        self.Zd = [np.empty((S * n, s.n_out), dtype) for s in decoder]
        self.Ad = [np.empty((S * n, s.n_out), dtype) for s in decoder[:-1]]
        self.dZd = [np.empty((S * n, s.n_out), dtype) for s in decoder]
        self.KL = np.empty(n, np.float64)
        self.PRIOR = np.empty((S, n), np.float64)
        self.LOGP = np.empty(S * n, np.float64)
        self.W = np.empty((S, n), np.float64)
        width = max(s.n_out for s in specs)
        self.exponent_bits, self.terms = np.empty(width, np.int32), np.empty(width, np.float32)


class FusedVAEStep:
    """``step(X, rows, objective) -> (loss, parts)``: one optimizer step on rows ``rows`` of X.

    Parameters
    ----------
    net : npae.network.Network
        The VAE's network, trained in place.
    optimizer : npae.optim.SGD or npae.optim.Adam
        The optimizer whose state the step updates.
    rng : numpy.random.Generator or npae.parallel.ShardedGenerator
        The generator of the draws.
    kernels : module
        ``npae.kernels`` (``npae.backend.load_kernels()``).
    binarize : bool
        Whether each batch is binarized afresh.
    importance_samples : int
        Draws per row, S.

    Examples
    --------
    >>> import numpy as np
    >>> from npae import VariationalAutoencoder
    >>> from npae.backend import load_kernels
    >>> from npae.fused_vae_step import FusedVAEStep
    >>> from npae.objectives.vae import VAEObjective
    >>> from npae.optim import Adam
    >>> X = np.random.default_rng(0).random((32, 6))
    >>> net = VariationalAutoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
    >>> step = FusedVAEStep(net, Adam(net.theta.size, net.dtype, 0.001), np.random.default_rng(0),
    ...                     load_kernels(), binarize=False, importance_samples=1)
    >>> loss, parts = step(X, np.arange(8), VAEObjective("bernoulli"))
    >>> sorted(parts), step.optimizer.t
    (['kl', 'reconstruction'], 1)
    """

    def __init__(self, net, optimizer, rng, kernels, binarize, importance_samples):
        self.net, self.optimizer, self.rng, self.K = net, optimizer, rng, kernels
        self.binarize, self.S = binarize, importance_samples
        self.t = trunk_depth(net)
        self.codes = [kernels.ACTIVATION_CODES[s.activation] for s in net.specs]
        self.fast = [getattr(kernels, FLOAT32_FORWARD[c]) if net.dtype == np.float32 and c in FLOAT32_FORWARD
                     else None for c in self.codes]
        self.workspaces = {}

    def workspace(self, n):
        """The ``VAEWorkspace`` for batches of ``n`` rows, made on first use and kept.

        Parameters
        ----------
        n : int
            The batch size.

        Returns
        -------
        VAEWorkspace
            The buffers of this step for ``n`` rows.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import VariationalAutoencoder
        >>> from npae.backend import load_kernels
        >>> from npae.fused_vae_step import FusedVAEStep
        >>> from npae.objectives.vae import VAEObjective
        >>> from npae.optim import Adam
        >>> X = np.random.default_rng(0).random((32, 6))
        >>> net = VariationalAutoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
        >>> step = FusedVAEStep(net, Adam(net.theta.size, net.dtype, 0.001), np.random.default_rng(0),
        ...                     load_kernels(), binarize=False, importance_samples=1)
        >>> ws = step.workspace(8)
        >>> ws is step.workspace(8), ws.X.shape
        (True, (8, 6))
        """
        if n not in self.workspaces:
            self.workspaces[n] = VAEWorkspace(self.net, n, self.S, self.binarize)
        return self.workspaces[n]

    def _dense_forward(self, l, A_prev, Z, A):
        """Z = A_prev W_l (BLAS), then Z += b_l and A = f(Z) (kernel)."""
        layer = self.net.layers[l]
        np.matmul(A_prev, layer.W, out=Z)
        if self.fast[l] is not None:
            self.fast[l](Z, layer.b, A, self.ws.exponent_bits, self.ws.terms)
        else:
            self.K.bias_activation(Z, layer.b, self.codes[l], A)

    def loss_and_grad(self, ws, objective):
        """Forward and backward on ws.X_in; fills net.grad; returns (L, parts).

        Parameters
        ----------
        ws : VAEWorkspace
            The buffers, with the batch and its draws (``draw``).
        objective : npae.objectives.vae.VAEObjective
            What the step minimises.

        Returns
        -------
        loss : float
            The negative bound per row (plus weight decay).
        parts : dict of str to float
            Its named terms.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import VariationalAutoencoder
        >>> from npae.backend import load_kernels
        >>> from npae.fused_vae_step import FusedVAEStep
        >>> from npae.objectives.vae import VAEObjective
        >>> from npae.optim import Adam
        >>> X = np.random.default_rng(0).random((32, 6))
        >>> net = VariationalAutoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
        >>> step = FusedVAEStep(net, Adam(net.theta.size, net.dtype, 0.001), np.random.default_rng(0),
        ...                     load_kernels(), binarize=False, importance_samples=1)
        >>> ws = step.draw(X, np.arange(8))
        >>> loss, parts = step.loss_and_grad(ws, VAEObjective("bernoulli"))
        >>> sorted(parts), bool(np.any(net.grad != 0))
        (['kl', 'reconstruction'], True)
        """
        K, net, t = self.K, self.net, self.t
        layers, specs = net.layers, net.specs
        self.ws = ws
        n = ws.X.shape[0]
        # encoder trunk, then the two heads and the draws
        H = ws.X_in
        for l in range(t):
            self._dense_forward(l, H, ws.Z[l], ws.A[l])
            H = ws.A[l]
        mu_layer, lv_layer = layers[t], layers[t + 1]
        np.matmul(H, mu_layer.W, out=ws.MU)
        np.matmul(H, lv_layer.W, out=ws.RAW)
        K.reparameterize_forward(ws.MU, mu_layer.b, ws.RAW, lv_layer.b, ws.EPS, ws.LV, ws.DLV, ws.STD, ws.ZS,
                                 ws.KL, ws.PRIOR, LOG_VAR_MAX)
        # decoder over the S n draws, then the likelihood of each
        first, last = t + 2, len(layers) - 1
        A_prev = ws.ZS
        for l in range(first, last):
            self._dense_forward(l, A_prev, ws.Zd[l - first], ws.Ad[l - first])
            A_prev = ws.Ad[l - first]
        out_layer, Z_out, dZ_out = layers[last], ws.Zd[-1], ws.dZd[-1]
        np.matmul(A_prev, out_layer.W, out=Z_out)
        if objective.likelihood == "bernoulli":
            if net.dtype == np.float32:
                K.bernoulli_rows_float32(Z_out, out_layer.b, ws.X_in, dZ_out, ws.LOGP, ws.exponent_bits, ws.terms)
            else:
                K.bernoulli_rows(Z_out, out_layer.b, ws.X_in, dZ_out, ws.LOGP)
        else:
            std = objective.output_std
            const = 0.5 * specs[last].n_out * math.log(2.0 * math.pi * std * std)
            K.gaussian_rows(Z_out, out_layer.b, ws.X_in, 1.0 / (std * std), const, dZ_out, ws.LOGP)
        bound = K.importance_weights(ws.LOGP, ws.PRIOR, ws.KL, objective.beta, ws.W)
        K.scale_rows(dZ_out, ws.W, out_layer.db)
        # decoder backward down to dL/dz of the draws
        for l in range(last, first - 1, -1):
            layer, d = layers[l], ws.dZd[l - first]
            A_below = ws.Ad[l - first - 1] if l > first else ws.ZS
            np.matmul(A_below.T, d, out=layer.dW)
            if l > first:
                np.matmul(d, layer.W.T, out=ws.dZd[l - first - 1])
                K.activation_backward(ws.dZd[l - first - 1], ws.Zd[l - first - 1], ws.Ad[l - first - 1],
                                      self.codes[l - 1], layers[l - 1].db)
            else:
                np.matmul(d, layer.W.T, out=ws.DZS)
        K.reparameterize_backward(ws.DZS, ws.EPS, ws.ZS, ws.MU, ws.LV, ws.STD, ws.DLV, ws.W, objective.beta,
                                  ws.DMU, ws.DRAW, mu_layer.db, lv_layer.db)
        np.matmul(H.T, ws.DMU, out=mu_layer.dW)
        np.matmul(H.T, ws.DRAW, out=lv_layer.dW)
        if t:
            dH = ws.dZ[t - 1]
            np.matmul(ws.DMU, mu_layer.W.T, out=dH)
            np.matmul(ws.DRAW, lv_layer.W.T, out=ws.dH2)
            np.add(dH, ws.dH2, out=dH)
            for l in range(t - 1, -1, -1):
                K.activation_backward(ws.dZ[l], ws.Z[l], ws.A[l], self.codes[l], layers[l].db)
                A_below = ws.A[l - 1] if l else ws.X_in
                np.matmul(A_below.T, ws.dZ[l], out=layers[l].dW)
                if l:
                    np.matmul(ws.dZ[l], layers[l].W.T, out=ws.dZ[l - 1])
        parts = {"reconstruction": -float(np.mean(ws.LOGP)), "kl": float(np.mean(ws.KL))}
        loss = -bound / n
        if objective.weight_decay:
            parts["weight_decay"] = sum(K.weight_decay_grad(net.param(name), net.grad_of(name), objective.weight_decay)
                                        for name in net.weight_names())
            loss += parts["weight_decay"]
        return loss, parts

    def draw(self, X, rows):
        """Gather the rows, binarize them afresh (uniforms first) and draw eps: the reference's
        draws in the reference's order (under ``comm``, this rank's rows of them).

        Parameters
        ----------
        X : ndarray of shape (N, n_features)
            The training data.
        rows : ndarray of shape (n,)
            The rows of the minibatch.

        Returns
        -------
        VAEWorkspace
            The workspace for ``n`` rows, with the batch in ``X_in`` and eps in ``EPS``.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import VariationalAutoencoder
        >>> from npae.backend import load_kernels
        >>> from npae.fused_vae_step import FusedVAEStep
        >>> from npae.objectives.vae import VAEObjective
        >>> from npae.optim import Adam
        >>> X = np.random.default_rng(0).random((32, 6))
        >>> net = VariationalAutoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
        >>> step = FusedVAEStep(net, Adam(net.theta.size, net.dtype, 0.001), np.random.default_rng(0),
        ...                     load_kernels(), binarize=False, importance_samples=1)
        >>> ws = step.draw(X, np.arange(8))
        >>> ws.X_in.shape, ws.EPS.shape
        ((8, 6), (1, 8, 2))
        """
        ws = self.workspace(len(rows))
        gather_rows(X, rows, out=ws.X)
        if self.binarize:
            draw(self.rng, "random", dtype=ws.U.dtype, out=ws.U)
            self.K.binarize(ws.X, ws.U, ws.X_in)
        draw(self.rng, "standard_normal", dtype=ws.EPS.dtype, out=ws.EPS, row_axis=1)
        return ws

    def gradient(self, X, rows, objective):
        """The step without its update: ``(loss, parts)`` of rows ``rows``, their gradient in
        ``net.grad``; with no rows, only the draws and ``(0.0, {})``.

        Parameters
        ----------
        X : ndarray of shape (N, n_features)
            The training data.
        rows : ndarray of shape (n,)
            The rows of the minibatch.
        objective : npae.objectives.vae.VAEObjective
            What the step minimises.

        Returns
        -------
        loss : float
            The negative bound per row (0.0 with no rows).
        parts : dict of str to float
            Its named terms.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import VariationalAutoencoder
        >>> from npae.backend import load_kernels
        >>> from npae.fused_vae_step import FusedVAEStep
        >>> from npae.objectives.vae import VAEObjective
        >>> from npae.optim import Adam
        >>> X = np.random.default_rng(0).random((32, 6))
        >>> net = VariationalAutoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
        >>> step = FusedVAEStep(net, Adam(net.theta.size, net.dtype, 0.001), np.random.default_rng(0),
        ...                     load_kernels(), binarize=False, importance_samples=1)
        >>> step.gradient(X, np.arange(0), VAEObjective("bernoulli"))
        (0.0, {})
        >>> loss, parts = step.gradient(X, np.arange(8), VAEObjective("bernoulli"))
        >>> step.optimizer.t
        0
        """
        ws = self.draw(X, rows)
        if not len(rows):
            return 0.0, {}
        return self.loss_and_grad(ws, objective)

    def optimizer_step(self, grad=None, block=None):
        """The optimizer's update of ``theta`` by ``grad`` (default ``net.grad``); with
        ``block`` (a slice), of ``theta[block]`` only (``optimizer_kernel_step``).

        Parameters
        ----------
        grad : ndarray of shape (n_params,) or None, default=None
            The gradient (e.g. all-reduced), or the block's (e.g. reduce-scattered).
        block : slice or None, default=None
            The block of ``theta`` (and of the optimizer's state) to update; None: all.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import VariationalAutoencoder
        >>> from npae.backend import load_kernels
        >>> from npae.fused_vae_step import FusedVAEStep
        >>> from npae.objectives.vae import VAEObjective
        >>> from npae.optim import Adam
        >>> X = np.random.default_rng(0).random((32, 6))
        >>> net = VariationalAutoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
        >>> step = FusedVAEStep(net, Adam(net.theta.size, net.dtype, 0.001), np.random.default_rng(0),
        ...                     load_kernels(), binarize=False, importance_samples=1)
        >>> before = net.theta.copy()
        >>> loss, parts = step.gradient(X, np.arange(8), VAEObjective("bernoulli"))
        >>> step.optimizer_step()
        >>> step.optimizer.t, bool(np.any(net.theta != before))
        (1, True)
        """
        optimizer_kernel_step(self.K, self.optimizer, self.net.theta, self.net.grad if grad is None else grad, block)

    def __call__(self, X, rows, objective):
        loss, parts = self.gradient(X, rows, objective)
        self.optimizer_step()
        return loss, parts


def fused_log_weights(net, X, eps, objective, kernels):
    """``npae.objectives.vae.vae_log_weights`` with the decoder on BLAS into buffers and the
    likelihood summed by a kernel (no gradient): log w (S, n), float64. X (n, m); eps (S, n, k).
    The encoder (once per row) and the draws stay on the reference.

    Parameters
    ----------
    net : npae.network.Network
        The VAE's network.
    X : ndarray of shape (n, m)
        The rows, of ``net.dtype``.
    eps : ndarray of shape (S, n, k)
        The standard normal draws, of ``net.dtype``.
    objective : npae.objectives.vae.VAEObjective
        The likelihood (and its ``output_std``).
    kernels : module
        ``npae.kernels`` (``npae.backend.load_kernels()``).

    Returns
    -------
    ndarray of shape (S, n)
        The log importance weights log w, float64.

    Examples
    --------
    >>> import numpy as np
    >>> from npae import VariationalAutoencoder
    >>> from npae.backend import load_kernels
    >>> from npae.fused_vae_step import fused_log_weights
    >>> from npae.objectives.vae import VAEObjective, vae_log_weights
    >>> X = np.random.default_rng(0).random((32, 6))
    >>> net = VariationalAutoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
    >>> Xb = X[:3].astype(net.dtype)
    >>> eps = np.random.default_rng(1).standard_normal((5, 3, 2)).astype(net.dtype)
    >>> log_w = fused_log_weights(net, Xb, eps, VAEObjective("bernoulli"), load_kernels())
    >>> log_w.shape, log_w.dtype
    ((5, 3), dtype('float64'))
    >>> bool(np.allclose(log_w, vae_log_weights(net, Xb, eps, VAEObjective("bernoulli")), rtol=1e-4))
    True
    """
    K, t = kernels, trunk_depth(net)
    mu, log_var, _ = vae_encode(net, X)
    z, _ = reparameterize_forward(mu, log_var, eps)
    log_w = log_prior_minus_log_posterior(z, eps, log_var)
    S, n, k = z.shape
    A = z.reshape(S * n, k)
    layers, codes = net.layers, [K.ACTIVATION_CODES[s.activation] for s in net.specs]
    last = len(layers) - 1
    width = max(s.n_out for s in net.specs)
    bits, terms = np.empty(width, np.int32), np.empty(width, np.float32)
    for l in range(t + 2, last):
        Z = A @ layers[l].W
        A = np.empty_like(Z)
        if net.dtype == np.float32 and codes[l] in FLOAT32_FORWARD:
            getattr(K, FLOAT32_FORWARD[codes[l]])(Z, layers[l].b, A, bits, terms)
        else:
            K.bias_activation(Z, layers[l].b, codes[l], A)
    Z = A @ layers[last].W
    LOGP = np.empty(S * n)
    if objective.likelihood == "bernoulli":
        if net.dtype == np.float32:
            K.bernoulli_log_prob_float32(Z, layers[last].b, X, LOGP, bits, terms)
        else:
            K.bernoulli_log_prob(Z, layers[last].b, X, LOGP)
    else:
        std = objective.output_std
        const = 0.5 * Z.shape[1] * math.log(2.0 * math.pi * std * std)
        K.gaussian_rows(Z, layers[last].b, X, 1.0 / (std * std), const, np.empty_like(Z), LOGP)
    return log_w + LOGP.reshape(S, n)
