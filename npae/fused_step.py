"""The training step on numba kernels: the reference objective, fused and allocation-free.

It computes exactly what ``npae.objectives.autoencoder_objective`` does
(tested equal to it), then the optimizer step, but:

* matrix products go to BLAS with ``np.matmul(..., out=buffer)``;
* numba kernels fuse what BLAS leaves: bias + activation, activation derivative
  + bias gradient, output bias + loss + gradient (for float32 sigmoid, tanh and
  bce, vectorised kernels with their own exp and log), the contractive penalty,
  the corruption, weight decay and the optimizer update;
* every buffer lives in a ``Workspace`` made once per batch size, so after the
  first epoch a step allocates no arrays.

Supported: both reconstruction losses, and the softmax cross-entropy of a classifier
(whose target is given apart from its input: ``step(X, rows, Y)``), every activation,
tied weights, weight decay, the three named corruptions, the analytic contractive
penalty and dropout on the hidden layers (masks drawn as ``npae.dropout`` draws them).
Anything else (sparsity, stochastic contractive, a corruption callable) runs
on the reference objective; ``FusedStep.supports`` says which.
"""

import numpy as np

from .optim import SGD, Adam
from .training import gather_rows

SIGMOID, TANH = 0, 1  # npae.kernels.ACTIVATION_CODES["sigmoid"], ["tanh"], without importing numba here
# activations with their own vectorised float32 forward kernel (instead of bias_activation)
FLOAT32_FORWARD = {SIGMOID: "bias_sigmoid_float32", TANH: "bias_tanh_float32"}


class Workspace:
    """Buffers for one batch size ``n``: per layer Z, A (not for the output), dZ;
    the batch itself (and its targets ``Y`` when they are not the input); corruption
    noise; tied-weight and contractive scratch; with dropout, per hidden layer its mask M and
    the masked activation A * M that the next layer reads; scratch rows for the float32
    kernels (exponent bits, reduced arguments, the BCE's float64 column losses).

    Parameters
    ----------
    net : npae.network.Network
        The network whose layers the buffers fit (and whose dtype they take).
    n : int
        The batch size.
    corrupted : bool
        Whether the step corrupts its input (``X_in`` and ``noise`` of their own).
    contractive : bool
        Whether the step adds the analytic contractive penalty.
    separate_target : bool, default=False
        Whether the targets ``Y`` are not the input (a classifier).
    dropout : bool, default=False
        Whether the hidden layers have dropout (masks ``mask``, ``A_dropped``).

    Examples
    --------
    >>> import numpy as np
    >>> from npae import Autoencoder
    >>> from npae.fused_step import Workspace
    >>> X = np.random.default_rng(0).random((32, 6))
    >>> net = Autoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
    >>> ws = Workspace(net, 8, corrupted=False, contractive=False)
    >>> ws.X.shape, ws.Z[-1].shape, ws.X_in is ws.X, ws.X.dtype == net.dtype
    ((8, 6), (8, 6), True, True)
    """

    def __init__(self, net, n, corrupted, contractive, separate_target=False, dropout=False):
        dtype = net.dtype
        n_features = net.specs[0].n_in
        self.X = np.empty((n, n_features), dtype)
        self.Y = np.empty((n, net.specs[-1].n_out), dtype) if separate_target else self.X
        self.X_in = np.empty((n, n_features), dtype) if corrupted else self.X
        self.noise = np.empty((n, n_features), dtype) if corrupted else None
        self.Z = [np.empty((n, s.n_out), dtype) for s in net.specs]
        self.A = [np.empty((n, s.n_out), dtype) for s in net.specs[:-1]]
        self.dZ = [np.empty((n, s.n_out), dtype) for s in net.specs]
        self.mask = [np.empty((n, s.n_out), dtype) for s in net.specs[:-1]] if dropout else None
        self.A_dropped = [np.empty((n, s.n_out), dtype) for s in net.specs[:-1]] if dropout else None
        tied_sources = {s.tied_to for s in net.specs if s.tied_to is not None}
        self.tied_scratch = {i: np.empty((net.specs[i].n_in, net.specs[i].n_out), dtype) for i in tied_sources}
        k = net.specs[0].n_out
        self.column_norms = np.empty(k, dtype) if contractive else None
        self.mean_sq = np.empty(k, dtype) if contractive else None
        self.scale = np.empty(k, dtype) if contractive else None
        m = max(s.n_out for s in net.specs)  # scratch rows for the vectorised float32 kernels
        self.exponent_bits, self.terms = np.empty(m, np.int32), np.empty(m, np.float32)
        self.column_losses = np.empty(m, np.float64)


class FusedStep:
    """``step(X, rows) -> (loss, parts)``: one optimizer step on the rows ``rows`` of X.

    Parameters
    ----------
    net : npae.network.Network
        The network trained in place (``net.theta``, ``net.grad``).
    objective : npae.objectives.autoencoder.Objective
        What the step minimises (``supports`` it).
    optimizer : npae.optim.SGD or npae.optim.Adam
        The optimizer whose state the step updates.
    corruption : {"gaussian", "masking", "salt_pepper"} or None
        The input corruption.
    noise : float
        The corruption's level.
    data_range : tuple of (float, float) or None
        ``(low, high)`` of salt-and-pepper noise.
    rng : numpy.random.Generator
        The generator of the corruption and dropout draws.
    kernels : module
        ``npae.kernels`` (``npae.backend.load_kernels()``).

    Examples
    --------
    >>> import numpy as np
    >>> from npae import Autoencoder
    >>> from npae.backend import load_kernels
    >>> from npae.fused_step import FusedStep
    >>> from npae.objectives.autoencoder import Objective
    >>> from npae.optim import Adam
    >>> X = np.random.default_rng(0).random((32, 6))
    >>> net = Autoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
    >>> step = FusedStep(net, Objective("bce"), Adam(net.theta.size, net.dtype, 0.001), None, 0.0,
    ...                  None, np.random.default_rng(0), load_kernels())
    >>> loss, parts = step(X, np.arange(8))
    >>> sorted(parts), step.optimizer.t
    (['reconstruction'], 1)
    """

    def __init__(self, net, objective, optimizer, corruption, noise, data_range, rng, kernels):
        self.net, self.objective, self.optimizer = net, objective, optimizer
        self.corruption, self.noise, self.data_range, self.rng = corruption, noise, data_range, rng
        self.K = kernels
        self.codes = [kernels.ACTIVATION_CODES[s.activation] for s in net.specs]
        # each layer's forward kernel, chosen once: fast[l](Z, b, A, bits, terms), or None
        self.fast = [getattr(kernels, FLOAT32_FORWARD[c]) if net.dtype == np.float32 and c in FLOAT32_FORWARD
                     else None for c in self.codes]
        self.workspaces = {}

    @staticmethod
    def supports(objective, corruption):
        """Whether the fused step computes ``objective`` with ``corruption``: no sparsity, no
        stochastic contractive penalty, no corruption callable.

        Parameters
        ----------
        objective : npae.objectives.autoencoder.Objective
            The objective.
        corruption : str, callable or None
            The corruption.

        Returns
        -------
        bool
            True when the fused step can run it, else the reference objective must.

        Examples
        --------
        >>> from npae.fused_step import FusedStep
        >>> from npae.objectives.autoencoder import Objective
        >>> FusedStep.supports(Objective("mse"), "gaussian")
        True
        >>> FusedStep.supports(Objective("mse", sparsity=0.1), None)
        False
        """
        return (not objective.sparsity
                and not (objective.contractive and objective.contractive_mode != "analytic")
                and (corruption is None or isinstance(corruption, str)))

    def workspace(self, n, separate_target=False):
        """The ``Workspace`` for batches of ``n`` rows, made on first use and kept.

        Parameters
        ----------
        n : int
            The batch size.
        separate_target : bool, default=False
            Whether the targets are given apart from the input.

        Returns
        -------
        Workspace
            The buffers of this step for ``n`` rows.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import Autoencoder
        >>> from npae.backend import load_kernels
        >>> from npae.fused_step import FusedStep
        >>> from npae.objectives.autoencoder import Objective
        >>> from npae.optim import Adam
        >>> X = np.random.default_rng(0).random((32, 6))
        >>> net = Autoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
        >>> step = FusedStep(net, Objective("bce"), Adam(net.theta.size, net.dtype, 0.001), None, 0.0,
        ...                  None, np.random.default_rng(0), load_kernels())
        >>> ws = step.workspace(8)
        >>> ws is step.workspace(8), ws.X.shape
        (True, (8, 6))
        """
        key = n, separate_target
        if key not in self.workspaces:
            self.workspaces[key] = Workspace(self.net, n, self.corruption is not None,
                                             bool(self.objective.contractive), separate_target,
                                             bool(self.objective.dropout))
        return self.workspaces[key]

    def _corrupt(self, ws):
        K, rng, level = self.K, self.rng, self.noise
        if self.corruption == "gaussian":
            rng.standard_normal(dtype=ws.noise.dtype, out=ws.noise)
            K.gaussian_apply(ws.X, ws.noise, level, ws.X_in)
        else:
            rng.random(dtype=ws.noise.dtype, out=ws.noise)
            if self.corruption == "masking":
                K.masking_apply(ws.X, ws.noise, level, ws.X_in)
            else:
                low, high = self.data_range
                K.salt_pepper_apply(ws.X, ws.noise, level, low, high, ws.X_in)

    def _draw_masks(self, ws):
        """One dropout mask per hidden layer, in layer order, as ``npae.dropout.dropout_masks``
        draws them: uniform numbers from the generator, made into the mask in place."""
        for mask in ws.mask:
            self.rng.random(dtype=mask.dtype, out=mask)
            self.K.dropout_mask(mask, self.objective.dropout, mask)

    def loss_and_grad(self, ws):
        """Forward and backward on ws.X_in against its target ws.Y (ws.X itself for an
        autoencoder); fills net.grad; returns (L, parts).

        Parameters
        ----------
        ws : Workspace
            The buffers, with the batch in ``ws.X`` (and ``ws.X_in``, ``ws.Y``).

        Returns
        -------
        loss : float
            The objective L on the batch.
        parts : dict of str to float
            Its named terms.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import Autoencoder
        >>> from npae.backend import load_kernels
        >>> from npae.fused_step import FusedStep
        >>> from npae.objectives.autoencoder import Objective
        >>> from npae.optim import Adam
        >>> X = np.random.default_rng(0).random((32, 6))
        >>> net = Autoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
        >>> step = FusedStep(net, Objective("bce"), Adam(net.theta.size, net.dtype, 0.001), None, 0.0,
        ...                  None, np.random.default_rng(0), load_kernels())
        >>> ws = step.workspace(8)
        >>> ws.X[...] = X[:8]
        >>> loss, parts = step.loss_and_grad(ws)
        >>> sorted(parts), bool(np.any(net.grad != 0))
        (['reconstruction'], True)
        """
        K, net, obj = self.K, self.net, self.objective
        layers, specs, codes = net.layers, net.specs, self.codes
        last = len(layers) - 1
        dropout = bool(obj.dropout)
        if dropout:
            self._draw_masks(ws)
        # the input each layer reads: X_in, then each hidden activation (times its mask with dropout)
        inputs = [ws.X_in, *(ws.A_dropped if dropout else ws.A)]
        # forward: Z_l = A_{l-1} W_l (BLAS), then bias + activation (kernel)
        A_prev = ws.X_in
        for l, layer in enumerate(layers):
            np.matmul(A_prev, layer.W, out=ws.Z[l])
            if l < last:
                if self.fast[l] is not None:
                    self.fast[l](ws.Z[l], layer.b, ws.A[l], ws.exponent_bits, ws.terms)
                else:
                    K.bias_activation(ws.Z[l], layer.b, codes[l], ws.A[l])
                if dropout:
                    np.multiply(ws.A[l], ws.mask[l], out=ws.A_dropped[l])
                A_prev = inputs[l + 1]
        out = layers[last]
        if obj.loss == "softmax_cross_entropy":
            parts = {"cross_entropy": K.output_softmax_ce(ws.Z[last], out.b, ws.Y, ws.dZ[last], out.db)}
        elif obj.loss == "bce" and net.dtype == np.float32:
            parts = {"reconstruction": K.output_bce_float32(ws.Z[last], out.b, ws.Y, ws.dZ[last], out.db,
                                                            ws.exponent_bits, ws.terms, ws.column_losses)}
        elif obj.loss == "bce":
            parts = {"reconstruction": K.output_bce(ws.Z[last], out.b, ws.Y, ws.dZ[last], out.db)}
        else:
            parts = {"reconstruction": K.output_mse(ws.Z[last], out.b, codes[last], ws.Y, ws.dZ[last], out.db)}
        contractive = bool(obj.contractive)
        if contractive:
            K.column_sum_squares(layers[0].W, ws.column_norms)
        # backward: dA_{l-1} = dZ_l W_l^T, dW_l = A_{l-1}^T dZ_l (BLAS); dZ_{l-1} by kernel
        for l in range(last, -1, -1):
            layer, spec = layers[l], specs[l]
            A_prev = inputs[l]
            if l > 0:
                np.matmul(ws.dZ[l], layer.W.T, out=ws.dZ[l - 1])
                if dropout:  # dL/dA = dL/dA~ * M
                    np.multiply(ws.dZ[l - 1], ws.mask[l - 1], out=ws.dZ[l - 1])
            if spec.tied_to is not None:
                # this layer's W is W_s^T: write (A^T dZ)^T = dZ^T A straight into dW_s
                np.matmul(ws.dZ[l].T, A_prev, out=layers[spec.tied_to].dW)
            elif l in ws.tied_scratch:
                np.matmul(A_prev.T, ws.dZ[l], out=ws.tied_scratch[l])
                layer.dW += ws.tied_scratch[l]
            else:
                np.matmul(A_prev.T, ws.dZ[l], out=layer.dW)
            if l > 0:
                below = layers[l - 1]
                K.activation_backward(ws.dZ[l - 1], ws.Z[l - 1], ws.A[l - 1], codes[l - 1], below.db)
                if l == 1 and contractive:
                    parts["contractive"] = K.contractive_delta(ws.Z[0], ws.A[0], codes[0], ws.column_norms,
                                                               obj.contractive, ws.dZ[0], below.db, ws.mean_sq)
        if contractive:
            np.multiply(ws.mean_sq, 2.0 * obj.contractive, out=ws.scale)
            K.add_scaled(layers[0].dW, layers[0].W, ws.scale)
        if obj.weight_decay:
            parts["weight_decay"] = sum(K.weight_decay_grad(net.param(name), net.grad_of(name), obj.weight_decay)
                                        for name in net.weight_names())
        return sum(parts.values()), parts

    def __call__(self, X, rows, Y=None):
        """One step on rows ``rows`` of X, against the same rows of Y (default: X itself):
        ``gradient``, then ``optimizer_step``."""
        loss, parts = self.gradient(X, rows, Y)
        self.optimizer_step()
        return loss, parts

    def gradient(self, X, rows, Y=None):
        """The step without its update: ``(loss, parts)`` of rows ``rows``, their gradient in
        ``net.grad`` (a data-parallel step all-reduces it, then calls ``optimizer_step``). With
        no rows (a rank's empty share of a short minibatch) it makes only the step's random
        draws and returns ``(0.0, {})``.

        Parameters
        ----------
        X : ndarray of shape (N, n_features)
            The training data.
        rows : ndarray of shape (n,)
            The rows of the minibatch.
        Y : ndarray of shape (N, n_outputs) or None, default=None
            The targets (default: X itself).

        Returns
        -------
        loss : float
            The objective on the rows (0.0 with no rows).
        parts : dict of str to float
            Its named terms.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import Autoencoder
        >>> from npae.backend import load_kernels
        >>> from npae.fused_step import FusedStep
        >>> from npae.objectives.autoencoder import Objective
        >>> from npae.optim import Adam
        >>> X = np.random.default_rng(0).random((32, 6))
        >>> net = Autoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
        >>> step = FusedStep(net, Objective("bce"), Adam(net.theta.size, net.dtype, 0.001), None, 0.0,
        ...                  None, np.random.default_rng(0), load_kernels())
        >>> step.gradient(X, np.arange(0))
        (0.0, {})
        >>> loss, parts = step.gradient(X, np.arange(8))
        >>> step.optimizer.t
        0
        """
        ws = self.workspace(len(rows), separate_target=Y is not None)
        if len(rows):
            gather_rows(X, rows, out=ws.X)
            if Y is not None:
                gather_rows(Y, rows, out=ws.Y)
        if self.corruption is not None:
            self._corrupt(ws)
        if not len(rows):
            if self.objective.dropout:
                self._draw_masks(ws)
            return 0.0, {}
        return self.loss_and_grad(ws)

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
        >>> from npae import Autoencoder
        >>> from npae.backend import load_kernels
        >>> from npae.fused_step import FusedStep
        >>> from npae.objectives.autoencoder import Objective
        >>> from npae.optim import Adam
        >>> X = np.random.default_rng(0).random((32, 6))
        >>> net = Autoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).network_
        >>> step = FusedStep(net, Objective("bce"), Adam(net.theta.size, net.dtype, 0.001), None, 0.0,
        ...                  None, np.random.default_rng(0), load_kernels())
        >>> before = net.theta.copy()
        >>> loss, parts = step.gradient(X, np.arange(8))
        >>> step.optimizer_step()
        >>> step.optimizer.t, bool(np.any(net.theta != before))
        (1, True)
        """
        optimizer_kernel_step(self.K, self.optimizer, self.net.theta, self.net.grad if grad is None else grad, block)


def optimizer_kernel_step(K, opt, theta, grad, block=None):
    """One step of the reference optimizer ``opt`` (its state arrays) by the numba kernels,
    with the scalars cast to theta's dtype as NumPy casts the reference's Python floats.
    With ``block`` (a slice) only ``theta[block]`` and the state's ``block`` are updated, by
    their gradient ``grad`` (a data-parallel rank's share: ``npae.parallel``); ``t``
    advances by one either way.

    Parameters
    ----------
    K : module
        ``npae.kernels`` (``npae.backend.load_kernels()``).
    opt : npae.optim.SGD or npae.optim.Adam
        The optimizer: its ``t`` and state arrays are updated.
    theta : ndarray of shape (n_params,)
        The parameters, updated in place.
    grad : ndarray of shape (n_params,), or of ``theta[block]``'s shape
        The gradient (of the block), of theta's dtype.
    block : slice or None, default=None
        The block to update; None: all of theta.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.backend import load_kernels
    >>> from npae.fused_step import optimizer_kernel_step
    >>> from npae.optim import SGD
    >>> theta, grad = np.ones(3, np.float32), np.full(3, 0.5, np.float32)
    >>> opt = SGD(3, np.float32, learning_rate=0.1)
    >>> optimizer_kernel_step(load_kernels(), opt, theta, grad)
    >>> theta, opt.t
    (array([0.95, 0.95, 0.95], dtype=float32), 1)
    """
    dt = theta.dtype.type
    part = slice(None) if block is None else block
    theta = theta[part]
    opt.t += 1
    if isinstance(opt, Adam):
        b1, b2 = opt.beta1, opt.beta2
        K.adam_step(theta, grad, opt.m[part], opt.v[part], dt(b1), dt(1.0 - b1), dt(b2), dt(1.0 - b2),
                    dt(opt.learning_rate / (1.0 - b1 ** opt.t)), dt(np.sqrt(1.0 - b2 ** opt.t)), dt(opt.eps),
                    np.finfo(dt).tiny)
    elif isinstance(opt, SGD) and opt.velocity is not None:
        K.sgd_momentum_step(theta, grad, opt.velocity[part], dt(opt.learning_rate), dt(opt.momentum), opt.nesterov)
    else:
        K.sgd_step(theta, grad, dt(opt.learning_rate))
