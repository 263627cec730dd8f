"""A stack of Dense layers over ONE flat parameter vector.

The network owns two contiguous arrays, ``theta`` (all parameters) and ``grad``
(their gradient), of the same size; each layer's ``W``, ``b``, ``dW``, ``db`` are
views into them. So the optimizer is one pass over one array, the gradient
checker perturbs one array, and saving writes each view of one array.

Layout of ``theta``: for each layer in order, ``W`` (n_in * n_out, row-major)
then ``b`` (n_out); a tied layer stores only its ``b`` and sees the transpose of
the ``W`` it is tied to.

Forward through layers ``l = 1..L``:  A_0 = X,  A_l = f_l(A_{l-1} @ W_l + b_l).
Backward: starting from dL/dZ_L, each layer turns dL/dA_l into dL/dA_{l-1}
(``Dense.backward``) and accumulates its parameter gradients.
"""

from typing import NamedTuple, Optional

import numpy as np

from .activations import ACTIVATIONS, RELU_FAMILY
from .layers import Dense


class LayerSpec(NamedTuple):
    """What a layer is: ``name`` (e.g. ``"encoder.0"``), sizes, activation, and
    ``tied_to``: the index of the layer whose ``W`` transposed this one uses."""

    name: str
    n_in: int
    n_out: int
    activation: str
    tied_to: Optional[int] = None


class Network:
    """Layers ``specs`` over one flat ``theta`` of ``dtype``; see the module docstring.

    ``chained=False`` lets a layer take inputs of another width than the previous layer's
    outputs: the layers are then branches that their model wires itself (a VAE's mean and
    log-variance heads both read the encoder's last hidden layer)."""

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
        return self.theta.size

    def params(self):
        """The parameter views, in ``theta`` order: ``[W1, b1, W2, b2, ...]``."""
        return [self._params[n] for n in self.param_names]

    def param(self, name):
        return self._params[name]

    def grad_of(self, name):
        return self._grads[name]

    def weight_names(self):
        """Names of the weight matrices (what weight decay applies to), not biases."""
        return [n for n in self.param_names if n.endswith(".W")]

    def copy(self, dtype=None):
        """A new network with the same layers and a copy of ``theta`` (cast to ``dtype``)."""
        other = Network(self.specs, dtype=self.dtype if dtype is None else dtype, chained=self.chained)
        other.theta[:] = self.theta
        return other

    # ------------------------------------------------------------------ init
    def init_params(self, rng):
        """Glorot uniform (limit sqrt(6 / (n_in + n_out))) for sigmoid/tanh/linear
        layers, He uniform (limit sqrt(6 / n_in)) for the ReLU family; biases 0."""
        self.theta[:] = 0
        for s in self.specs:
            if s.tied_to is not None:
                continue
            fan = s.n_in / 2.0 if s.activation in RELU_FAMILY else (s.n_in + s.n_out) / 2.0
            limit = np.sqrt(3.0 / fan)
            self._params[f"{s.name}.W"][:] = rng.uniform(-limit, limit, size=(s.n_in, s.n_out))

    # ------------------------------------------------------------------ passes
    def forward(self, X, start=0, stop=None):
        """Run layers ``start:stop`` on X (n, n_in of layer ``start``).

        Returns the last activation (n, n_out of layer ``stop - 1``) and the list
        of per-layer caches ``(X, Z, A)`` that ``backward`` needs."""
        caches = []
        A = X
        for layer in self.layers[start:stop]:
            A, cache = layer.forward(A)
            caches.append(cache)
        return A, caches

    def predict(self, X, start=0, stop=None):
        """Forward pass without keeping caches: the last activation only."""
        return self.forward(X, start, stop)[0]

    def zero_grad(self):
        self.grad.fill(0)

    def backward(self, dZ_top, caches, start=0, extra_dA=None, need_dX=False):
        """Backpropagate from dL/dZ of the last cached layer (n, n_out).

        ``caches`` come from ``forward(X, start, ...)``. ``extra_dA`` maps a layer
        index to an additional dL/dA of that layer's output (how penalties on
        hidden codes join the chain rule). Gradients ACCUMULATE into ``grad``;
        call ``zero_grad`` first. Returns dL/dX (n, n_in) if ``need_dX`` else None."""
        extra_dA = extra_dA or {}
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
                if i in extra_dA:
                    dA = dA + extra_dA[i]
                dA = layer.backward(dA, cache, want_dX)
        return dA


def count_params(specs):
    """Number of entries ``theta`` would have for these layer specs (without allocating)."""
    return sum((s.n_in * s.n_out if s.tied_to is None else 0) + s.n_out for s in map(LayerSpec._make, specs))


def autoencoder_specs(n_features, hidden, activation, code_activation, output_activation, tied):
    """LayerSpecs of a mirrored autoencoder: encoder n_features -> hidden[0] -> ... ->
    hidden[-1] (the code), decoder back through reversed(hidden[:-1]) to n_features.

    The code layer uses ``code_activation``, the output layer ``output_activation``,
    every other layer ``activation``. With ``tied``, decoder layer k uses the
    transposed weights of encoder layer (depth - 1 - k)."""
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
    (``output_activation`` last). A network of them is built with ``chained=False``."""
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
