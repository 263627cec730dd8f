"""A stack of Dense layers over ONE flat parameter vector.

The network owns two contiguous arrays, ``theta`` (all parameters) and ``grad``
(their gradient), of the same size; each layer's ``W``, ``b``, ``dW``, ``db`` are
views into them. So the optimizer is one pass over one array, the gradient
checker perturbs one array, and saving writes each view of one array.

Layout of ``theta``: for each layer in order, ``W`` (n_in * n_out, row-major)
then ``b`` (n_out); a tied layer stores only its ``b`` and sees the transpose of
the ``W`` it is tied to.

Forward through layers ``l = 1..L``:  A_0 = X,  A_l = f_l(A_{l-1} @ W_l + b_l)
(with dropout in training, layer l reads A_{l-1} * M_{l-1} instead: ``npae.dropout``).
Backward: starting from dL/dZ_L, each layer turns dL/dA_l into dL/dA_{l-1}
(``Dense.backward``) and accumulates its parameter gradients.
"""

from typing import NamedTuple, Optional

import numpy as np

from .activations import ACTIVATIONS, RELU_FAMILY
from .dropout import dropout_backward, dropout_forward
from .layers import Dense


class LayerSpec(NamedTuple):
    """What a layer is: ``name`` (e.g. ``"encoder.0"``), sizes, activation, and
    ``tied_to``: the index of the layer whose ``W`` transposed this one uses.

    Parameters
    ----------
    name : str
        The layer's name, the prefix of its parameters' names (``"encoder.0"`` owns
        ``"encoder.0.W"`` and ``"encoder.0.b"``).
    n_in : int
        Number of inputs of the layer.
    n_out : int
        Number of outputs of the layer.
    activation : str
        Name of its activation, a key of ``npae.activations.ACTIVATIONS``.
    tied_to : int or None, default=None
        Index of an earlier, untied layer of shape (n_out, n_in) whose ``W``, transposed,
        this layer uses (it then stores only its bias); None: a ``W`` of its own.

    Examples
    --------
    >>> from npae.network import LayerSpec
    >>> spec = LayerSpec("encoder.0", 4, 2, "sigmoid")
    >>> spec.n_in, spec.n_out, spec.tied_to
    (4, 2, None)
    """

    name: str
    n_in: int
    n_out: int
    activation: str
    tied_to: Optional[int] = None


class Network:
    """Layers ``specs`` over one flat ``theta`` of ``dtype``; see the module docstring.

    ``chained=False`` lets a layer take inputs of another width than the previous layer's
    outputs: the layers are then branches that their model wires itself (a VAE's mean and
    log-variance heads both read the encoder's last hidden layer).

    Parameters
    ----------
    specs : sequence of LayerSpec or of tuples
        The layers, in order; a tuple is read as ``LayerSpec(*tuple)``.
    dtype : data-type, default=np.float64
        Data type of ``theta``, ``grad`` and so of every computation.
    chained : bool, default=True
        Whether each layer takes as many inputs as the previous one gives outputs
        (checked); False for branched networks (``vae_specs``).

    Attributes
    ----------
    specs : list of LayerSpec
        The layers' specifications.
    dtype : numpy.dtype
        Data type of the parameters.
    chained : bool
        Whether the layers form one chain.
    theta : ndarray of shape (n_params,)
        All parameters, one contiguous array (zeros until ``init_params``).
    grad : ndarray of shape (n_params,)
        Their gradient, same layout as ``theta``.
    param_names : list of str
        Names of the parameter arrays in ``theta`` order (``"encoder.0.W"``, ...).
    param_shapes : list of tuple
        Their shapes, ``(n_in, n_out)`` for a weight matrix, ``(n_out,)`` for a bias.
    layers : list of Dense
        The layers, whose ``W``, ``b``, ``dW``, ``db`` are views into ``theta`` and ``grad``.

    Raises
    ------
    ValueError
        For an unknown activation, a non-positive size, an impossible tie, or, when
        ``chained``, a layer whose input width is not the previous layer's output width.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.network import Network, autoencoder_specs
    >>> net = Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float64)
    >>> net.param_names
    ['encoder.0.W', 'encoder.0.b', 'decoder.0.W', 'decoder.0.b']
    >>> net.theta.shape
    (22,)
    >>> net.init_params(np.random.default_rng(0))
    >>> net.predict(np.zeros((3, 4))).shape
    (3, 4)
    """

    def __init__(self, specs, dtype=np.float64, chained=True):
        self.specs = [LayerSpec(*s) for s in specs]
        self.dtype = np.dtype(dtype)
        self.chained = bool(chained)
        names, shapes = [], []
        for i, s in enumerate(self.specs):
            if s.activation not in ACTIVATIONS:
                raise ValueError(f"unknown activation {s.activation!r}; valid: {sorted(ACTIVATIONS)}")
            if s.n_in < 1 or s.n_out < 1:
                raise ValueError(f"layer {s.name} has {s.n_in} inputs and {s.n_out} outputs; both must be positive")
            if s.tied_to is None:
                names.append(f"{s.name}.W")
                shapes.append((s.n_in, s.n_out))
            else:
                src = self.specs[s.tied_to]
                if s.tied_to >= i or src.tied_to is not None or (src.n_in, src.n_out) != (s.n_out, s.n_in):
                    raise ValueError(f"layer {s.name} cannot be tied to layer {src.name}")
            if chained and i and s.n_in != self.specs[i - 1].n_out:
                raise ValueError(f"layer {s.name} takes {s.n_in} inputs, but layer {self.specs[i - 1].name} "
                                 f"gives {self.specs[i - 1].n_out}")
            names.append(f"{s.name}.b")
            shapes.append((s.n_out,))
        sizes = [int(np.prod(shape)) for shape in shapes]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.param_names = names
        self.param_shapes = shapes
        self.theta = np.zeros(int(offsets[-1]), dtype=self.dtype)
        self.grad = np.zeros_like(self.theta)
        self._params = {n: self.theta[a:z].reshape(shape) for n, a, z, shape in zip(names, offsets, offsets[1:], shapes)}
        self._grads = {n: self.grad[a:z].reshape(shape) for n, a, z, shape in zip(names, offsets, offsets[1:], shapes)}
        self.layers = []
        for s in self.specs:
            wname = f"{s.name}.W" if s.tied_to is None else f"{self.specs[s.tied_to].name}.W"
            W, dW = self._params[wname], self._grads[wname]
            if s.tied_to is not None:
                W, dW = W.T, dW.T
            self.layers.append(Dense(W, self._params[f"{s.name}.b"], dW, self._grads[f"{s.name}.b"], s.activation))

    def __reduce__(self):
        """Pickled and deep-copied as (specs, dtype, theta), rebuilt by the constructor: the
        layers' W and b are views into ``theta`` (a tied decoder's W the transpose of its
        encoder's), which copying each array on its own would turn into unrelated arrays."""
        return _rebuilt_network, (self.specs, self.dtype.str, self.theta.copy(), self.chained)

    # ------------------------------------------------------------------ layout
    @property
    def n_params(self):
        """Number of parameters: the size of ``theta`` (a tied layer adds only its bias).

        Examples
        --------
        >>> from npae.network import Network, autoencoder_specs
        >>> Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False)).n_params
        22
        >>> Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=True)).n_params
        14
        """
        return self.theta.size

    def params(self):
        """The parameter views, in ``theta`` order: ``[W1, b1, W2, b2, ...]``.

        Returns
        -------
        list of ndarray
            One view into ``theta`` per name of ``param_names``, of shape ``(n_in, n_out)``
            for a weight matrix and ``(n_out,)`` for a bias.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.network import Network, autoencoder_specs
        >>> net = Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float64)
        >>> [p.shape for p in net.params()]
        [(4, 2), (2,), (2, 4), (4,)]
        >>> np.shares_memory(net.params()[0], net.theta)
        True
        """
        return [self._params[n] for n in self.param_names]

    def param(self, name):
        """The parameter array called ``name``, a view into ``theta``.

        Parameters
        ----------
        name : str
            One of ``param_names``, e.g. ``"encoder.0.W"``.

        Returns
        -------
        ndarray of shape (n_in, n_out) or (n_out,)
            The view: writing into it writes into ``theta``.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.network import Network, autoencoder_specs
        >>> net = Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float64)
        >>> net.param("encoder.0.W").shape
        (4, 2)
        >>> net.param("encoder.0.b")[:] = 1.0
        >>> net.theta[8:10]
        array([1., 1.])
        """
        return self._params[name]

    def grad_of(self, name):
        """The gradient of the parameter called ``name``, a view into ``grad``.

        Parameters
        ----------
        name : str
            One of ``param_names``, e.g. ``"decoder.0.b"``.

        Returns
        -------
        ndarray of shape (n_in, n_out) or (n_out,)
            The view, of the parameter's shape: writing into it writes into ``grad``.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.network import Network, autoencoder_specs
        >>> net = Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float64)
        >>> net.grad_of("decoder.0.b")[:] = 2.0
        >>> net.grad[-4:]
        array([2., 2., 2., 2.])
        """
        return self._grads[name]

    def weight_names(self):
        """Names of the weight matrices (what weight decay applies to), not biases.

        Returns
        -------
        list of str
            The names ending in ``".W"``, in ``theta`` order (a tied layer has none).

        Examples
        --------
        >>> import numpy as np
        >>> from npae.network import Network, autoencoder_specs
        >>> net = Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float64)
        >>> net.weight_names()
        ['encoder.0.W', 'decoder.0.W']
        """
        return [n for n in self.param_names if n.endswith(".W")]

    def copy(self, dtype=None):
        """A new network with the same layers and a copy of ``theta`` (cast to ``dtype``).

        Parameters
        ----------
        dtype : data-type or None, default=None
            Data type of the copy; None keeps this network's.

        Returns
        -------
        Network
            The copy, whose ``theta`` shares no memory with this one's (``grad`` is zero).

        Examples
        --------
        >>> import numpy as np
        >>> from npae.network import Network, autoencoder_specs
        >>> net = Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float64)
        >>> net.init_params(np.random.default_rng(0))
        >>> other = net.copy(dtype=np.float32)
        >>> other.theta.dtype
        dtype('float32')
        >>> np.allclose(other.theta, net.theta), np.shares_memory(other.theta, net.theta)
        (True, False)
        """
        other = Network(self.specs, dtype=self.dtype if dtype is None else dtype, chained=self.chained)
        other.theta[:] = self.theta
        return other

    # ------------------------------------------------------------------ init
    def init_params(self, rng):
        """Glorot uniform (limit sqrt(6 / (n_in + n_out))) for sigmoid/tanh/linear
        layers, He uniform (limit sqrt(6 / n_in)) for the ReLU family; biases 0.

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of the uniform draws, one ``(n_in, n_out)`` block per untied layer, in order.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.network import Network, autoencoder_specs
        >>> net = Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float64)
        >>> net.init_params(np.random.default_rng(0))
        >>> W = net.param("encoder.0.W")
        >>> bool(np.all(np.abs(W) <= np.sqrt(6 / (4 + 2)))), bool(np.all(net.param("encoder.0.b") == 0))
        (True, True)
        """
        self.theta[:] = 0
        for s in self.specs:
            if s.tied_to is not None:
                continue
            fan = s.n_in / 2.0 if s.activation in RELU_FAMILY else (s.n_in + s.n_out) / 2.0
            limit = np.sqrt(3.0 / fan)
            self._params[f"{s.name}.W"][:] = rng.uniform(-limit, limit, size=(s.n_in, s.n_out))

    # ------------------------------------------------------------------ passes
    def forward(self, X, start=0, stop=None, masks=None):
        """Run layers ``start:stop`` on X (n, n_in of layer ``start``).

        Returns the last activation (n, n_out of layer ``stop - 1``) and the list
        of per-layer caches ``(X, Z, A)`` that ``backward`` needs. ``masks`` maps a layer
        index to a dropout mask (``npae.dropout``): that layer's output enters the next
        layer as ``A * M`` (its cache keeps A itself); the last layer run is not masked.

        Parameters
        ----------
        X : ndarray of shape (n, n_in)
            Input of layer ``start``.
        start : int, default=0
            Index of the first layer run.
        stop : int or None, default=None
            One past the index of the last layer run; None: to the last layer.
        masks : dict of int to ndarray or None, default=None
            Dropout masks ``{layer index: M (n, n_out)}``; None or ``{}``: no dropout.

        Returns
        -------
        A : ndarray of shape (n, n_out)
            The activation of layer ``stop - 1``.
        caches : list of tuple
            One ``(X, Z, A)`` per layer run: its input, pre-activation and activation.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.network import Network, autoencoder_specs
        >>> net = Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float64)
        >>> net.init_params(np.random.default_rng(0))
        >>> A, caches = net.forward(np.ones((3, 4)))
        >>> A.shape, len(caches)
        ((3, 4), 2)
        >>> code, _ = net.forward(np.ones((3, 4)), stop=1)
        >>> np.allclose(code, caches[0][2])
        True
        """
        caches = []
        A = X
        for i, layer in enumerate(self.layers[start:stop], start):
            if masks and i > start and i - 1 in masks:
                A = dropout_forward(A, masks[i - 1])
            A, cache = layer.forward(A)
            caches.append(cache)
        return A, caches

    def predict(self, X, start=0, stop=None):
        """Forward pass without keeping caches: the last activation only.

        Parameters
        ----------
        X : ndarray of shape (n, n_in)
            Input of layer ``start``.
        start : int, default=0
            Index of the first layer run.
        stop : int or None, default=None
            One past the index of the last layer run; None: to the last layer.

        Returns
        -------
        ndarray of shape (n, n_out)
            The activation of layer ``stop - 1``.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.network import Network, autoencoder_specs
        >>> net = Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float64)
        >>> net.init_params(np.random.default_rng(0))
        >>> net.predict(np.ones((3, 4)), stop=1).shape
        (3, 2)
        """
        return self.forward(X, start, stop)[0]

    def zero_grad(self):
        """Set ``grad`` (and so every ``dW``, ``db`` view) to zero, before a ``backward``.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.network import Network, autoencoder_specs
        >>> net = Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float64)
        >>> net.grad[:] = 1.0
        >>> net.zero_grad()
        >>> float(np.abs(net.grad).sum())
        0.0
        """
        self.grad.fill(0)

    def backward(self, dZ_top, caches, start=0, extra_dA=None, need_dX=False, masks=None):
        """Backpropagate from dL/dZ of the last cached layer (n, n_out).

        ``caches`` come from ``forward(X, start, ...)``. ``extra_dA`` maps a layer
        index to an additional dL/dA of that layer's output (how penalties on
        hidden codes join the chain rule). ``masks``: the dropout masks given to
        ``forward``; a masked layer's dL/dA is dL/dA~ * M, before ``extra_dA`` joins
        (penalties see the unmasked A). Gradients ACCUMULATE into ``grad``;
        call ``zero_grad`` first. Returns dL/dX (n, n_in) if ``need_dX`` else None.

        Parameters
        ----------
        dZ_top : ndarray of shape (n, n_out)
            dL/dZ of the last layer that ``forward`` ran.
        caches : list of tuple
            The caches that ``forward(X, start, ...)`` returned.
        start : int, default=0
            The ``start`` given to ``forward``.
        extra_dA : dict of int to ndarray or None, default=None
            ``{layer index: dL/dA (n, n_out)}`` added to that layer's output gradient;
            not allowed on the top layer.
        need_dX : bool, default=False
            Whether to compute and return dL/dX.
        masks : dict of int to ndarray or None, default=None
            The dropout masks given to ``forward``.

        Returns
        -------
        ndarray of shape (n, n_in) or None
            dL/dX if ``need_dX``, else None.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.network import Network, autoencoder_specs
        >>> net = Network(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float64)
        >>> net.init_params(np.random.default_rng(0))
        >>> X = np.ones((3, 4))
        >>> A, caches = net.forward(X)
        >>> net.zero_grad()
        >>> dX = net.backward(A - X, caches, need_dX=True)
        >>> dX.shape, bool(np.any(net.grad != 0))
        ((3, 4), True)
        """
        extra_dA = extra_dA or {}
        masks = masks or {}
        top = start + len(caches) - 1
        dA = None
        for i in range(top, start - 1, -1):
            layer, cache = self.layers[i], caches[i - start]
            want_dX = need_dX or i > start
            if i == top:
                if i in extra_dA:
                    raise ValueError("extra_dA on the top layer: add it to dZ_top instead")
                dA = layer.backward_affine(dZ_top, cache, want_dX)
            else:
                if i in masks:
                    dA = dropout_backward(dA, masks[i])
                if i in extra_dA:
                    dA = dA + extra_dA[i]
                dA = layer.backward(dA, cache, want_dX)
        return dA


def count_params(specs):
    """Number of entries ``theta`` would have for these layer specs (without allocating).

    Parameters
    ----------
    specs : sequence of LayerSpec or of 5-tuples
        The layers, as given to ``Network`` (a tuple here must give all five fields,
        ``tied_to`` included).

    Returns
    -------
    int
        Weights of the untied layers plus every layer's biases.

    Examples
    --------
    >>> from npae.network import autoencoder_specs, count_params
    >>> count_params(autoencoder_specs(4, [2], "sigmoid", "sigmoid", "sigmoid", tied=False))
    22
    >>> count_params([("encoder.0", 4, 2, "relu", None), ("decoder.0", 2, 4, "linear", 0)])
    14
    """
    return sum((s.n_in * s.n_out if s.tied_to is None else 0) + s.n_out for s in (LayerSpec(*s) for s in specs))


def autoencoder_specs(n_features, hidden, activation, code_activation, output_activation, tied):
    """LayerSpecs of a mirrored autoencoder: encoder n_features -> hidden[0] -> ... ->
    hidden[-1] (the code), decoder back through reversed(hidden[:-1]) to n_features.

    The code layer uses ``code_activation``, the output layer ``output_activation``,
    every other layer ``activation``. With ``tied``, decoder layer k uses the
    transposed weights of encoder layer (depth - 1 - k).

    Parameters
    ----------
    n_features : int
        Width of the input and of the reconstruction.
    hidden : sequence of int
        Widths of the encoder's layers; the last is the code's.
    activation : str
        Activation of every layer but the code and output layers.
    code_activation : str
        Activation of the code layer (the encoder's last).
    output_activation : str
        Activation of the output layer (the decoder's last).
    tied : bool
        Whether each decoder layer uses the transposed weights of its mirror encoder layer.

    Returns
    -------
    list of LayerSpec
        The ``2 * len(hidden)`` layers, ``"encoder.0"``, ... then ``"decoder.0"``, ...

    Examples
    --------
    >>> from npae.network import autoencoder_specs
    >>> for spec in autoencoder_specs(4, [3, 2], "relu", "linear", "sigmoid", tied=True):
    ...     print(spec)
    LayerSpec(name='encoder.0', n_in=4, n_out=3, activation='relu', tied_to=None)
    LayerSpec(name='encoder.1', n_in=3, n_out=2, activation='linear', tied_to=None)
    LayerSpec(name='decoder.0', n_in=2, n_out=3, activation='relu', tied_to=1)
    LayerSpec(name='decoder.1', n_in=3, n_out=4, activation='sigmoid', tied_to=0)
    """
    sizes = [n_features, *hidden]
    depth = len(hidden)
    specs = []
    for k in range(depth):
        act = code_activation if k == depth - 1 else activation
        specs.append(LayerSpec(f"encoder.{k}", sizes[k], sizes[k + 1], act))
    for k in range(depth):
        n_in, n_out = sizes[depth - k], sizes[depth - k - 1]
        act = output_activation if k == depth - 1 else activation
        specs.append(LayerSpec(f"decoder.{k}", n_in, n_out, act, tied_to=depth - 1 - k if tied else None))
    return specs


def vae_specs(n_features, hidden, activation, output_activation):
    """LayerSpecs of a variational autoencoder, in ``theta`` (and ``get_weights``) order: the
    encoder trunk n_features -> hidden[0] -> ... -> hidden[-2] (``activation``), the linear
    heads ``encoder.mu`` and ``encoder.log_var`` (each hidden[-2] -> k = hidden[-1], both
    reading the trunk's output), then the decoder k -> reversed(hidden[:-1]) -> n_features
    (``output_activation`` last). A network of them is built with ``chained=False``.

    Parameters
    ----------
    n_features : int
        Width of the input and of the reconstruction.
    hidden : sequence of int
        Widths of the encoder trunk's layers, then (last) the latent dimension k; at
        least two entries.
    activation : str
        Activation of the trunk's and the decoder's hidden layers.
    output_activation : str
        Activation of the decoder's last layer.

    Returns
    -------
    list of LayerSpec
        The trunk, the two heads and the decoder, in that order.

    Examples
    --------
    >>> from npae.network import vae_specs
    >>> for spec in vae_specs(4, [3, 2], "tanh", "sigmoid"):
    ...     print(spec.name, spec.n_in, spec.n_out, spec.activation)
    encoder.0 4 3 tanh
    encoder.mu 3 2 linear
    encoder.log_var 3 2 linear
    decoder.0 2 3 tanh
    decoder.1 3 4 sigmoid
    """
    sizes = [n_features, *hidden[:-1]]
    k = hidden[-1]
    specs = [LayerSpec(f"encoder.{i}", sizes[i], sizes[i + 1], activation) for i in range(len(sizes) - 1)]
    specs += [LayerSpec("encoder.mu", sizes[-1], k, "linear"), LayerSpec("encoder.log_var", sizes[-1], k, "linear")]
    widths = [k, *reversed(sizes)]
    for i in range(len(widths) - 1):
        act = output_activation if i == len(widths) - 2 else activation
        specs.append(LayerSpec(f"decoder.{i}", widths[i], widths[i + 1], act))
    return specs


def _rebuilt_network(specs, dtype, theta, chained=True):
    net = Network(specs, dtype=dtype, chained=chained)
    net.theta[:] = theta
    return net
