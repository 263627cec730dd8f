"""``StackedAutoencoder``: greedy layer-wise pretraining, then end-to-end fine-tuning.

For hidden = (h1, ..., hK): train a one-layer autoencoder x -> h1 -> x on the data,
then one h1 -> h2 -> h1 on its codes, and so on (each code computed once, after its
layer is trained; for data in a file, as each minibatch reads its rows, so that
pretraining holds no codes of all the rows). Stack the K encoders and the K mirrored
decoders into one deep autoencoder x -> h1 -> ... -> hK -> ... -> h1 -> x and fine-tune
it end to end on reconstruction (Hinton & Salakhutdinov 2006; Bengio et al. 2007; Vincent et al. 2010).

Each layer may be plain, denoising, contractive or sparse: ``layer_params`` gives
options for the one-layer autoencoders, either one dict for every layer whose values
may be lists with one entry per layer (``{"corruption": "masking", "noise": [0.1,
0.2, 0.3]}``), a list of dicts, one per layer, or a template estimator (e.g.
``DenoisingAutoencoder(noise=0.2)``) whose regularisation and optimiser options every
layer copies. Layers pretrained tied (``{"tied": True}``) may unroll into an untied deep
model: each decoder then starts as its encoder transposed. After ``fit`` the model is a deep
``Autoencoder`` with its whole contract (transform, inverse_transform, score_samples,
get_weights, save/load, gradcheck of the unrolled stack).
"""

import numpy as np

from ..errors import DataError, ParameterError
from ..validation import check_number, history_from_file, in_memory
from .autoencoder import Autoencoder
from .encoded_rows import EncodedRows
from .variants import init_with

#: Options of the deep model that each one-layer autoencoder inherits.
_SHARED = ("tied", "optimizer", "momentum", "nesterov", "batch_size", "weight_decay", "dtype", "backend",
           "n_threads", "on_divergence")
_LAYER_OPTIONS = ("corruption", "noise", "contractive", "contractive_mode", "contractive_noise", "sparsity",
                  "sparsity_target", "sparsity_mode", "weight_decay", "learning_rate", "batch_size", "optimizer",
                  "tied", "dropout")


def _encoder_of(layers):
    """``encode(block)``: rows through the encoders of the fitted one-layer ``layers`` in turn,
    as their ``transform`` runs them (without its checks: the rows were checked by ``fit``)."""
    layers = tuple(layers)  # those trained so far, not the ones appended later

    def encode(block):
        for layer in layers:
            block = layer._chunked(block, 0, layer.n_encoder_layers_)
        return block

    return encode


class StackedAutoencoder(Autoencoder):
    """A deep autoencoder initialised by greedy layer-wise pretraining, then fine-tuned.

    For hidden = (h1, ..., hK), ``fit`` trains a one-layer autoencoder x -> h1 -> x on
    the training rows, then one h1 -> h2 -> h1 on its codes, and so on; stacks the K
    encoders and the K mirrored decoders into one deep autoencoder
    x -> h1 -> ... -> hK -> ... -> h1 -> x; and fine-tunes it end to end on
    reconstruction (Hinton & Salakhutdinov 2006; Bengio et al. 2007; Vincent et al.
    2010). The fitted model is a deep ``Autoencoder`` with its whole contract.

    The parameters are those of ``Autoencoder`` (they describe the deep model and its
    fine-tuning: ``epochs`` is the fine-tuning budget), plus ``pretrain_epochs`` and
    ``layer_params``.

    Parameters
    ----------
    hidden : int or tuple of int, default (256, 64)
        Encoder widths (one pretrained layer each); the last is the code size. The
        decoder mirrors them.
    activation : {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "linear"}, \
default "sigmoid"
        The hidden layers' activation.
    code_activation : str or None, default None
        The code layer's activation (one of ``activation``'s choices); None: the same as
        ``activation``.
    output_activation : str, default "auto"
        The output layer's activation (one of ``activation``'s choices); "auto" follows
        the loss (sigmoid for "bce", linear for "mse").
    loss : {"auto", "bce", "mse"}, default "auto"
        The reconstruction loss, a mean over all elements: "bce" (binary cross-entropy
        from the logits; needs X in [0, 1] and a sigmoid output) or "mse"; "auto" picks
        bce with a sigmoid output when the training data lie in [0, 1], else mse with a
        linear output (always mse with ``contamination`` set). The first layer is
        pretrained with the same loss; deeper layers with bce when the code they
        reconstruct is a sigmoid's, else mse.
    tied : bool, default False
        Decoder weights are the encoder's W transposed, in the deep model and (unless
        ``layer_params`` says otherwise) in each pretrained layer.
    corruption : {None, "gaussian", "masking", "salt_pepper"} or callable, default None
        The input corruption q(x~|x) of fine-tuning (a callable ``corruption(X, rng) ->
        X~`` may replace the named ones); drawn afresh for every minibatch, never at
        transform or score time. The pretrained layers take theirs from
        ``layer_params``.
    noise : float, default 0.0
        The corruption level: the Gaussian noise's standard deviation, or the fraction of
        entries masked or set to the data's min or max (in [0, 1]).
    contractive : float, default 0.0
        lambda of the contractive penalty lambda * mean ||J_h(x)||_F^2 during fine-tuning.
    contractive_mode : {"analytic", "stochastic"}, default "analytic"
        "analytic": the exact Jacobian penalty, for a one-layer encoder only;
        "stochastic": lambda * mean ||h(x) - h(x~)||^2, for any depth.
    contractive_noise : float, default 0.1
        The standard deviation of the Gaussian noise of x~ in the stochastic penalty.
    sparsity : float, default 0.0
        beta, the weight of the sparsity penalty on the code units during fine-tuning.
    sparsity_target : float, default 0.05
        rho in (0, 1), the target mean activation of the "kl" penalty.
    sparsity_mode : {"kl", "l1"}, default "kl"
        "kl": ``beta * sum_j KL(rho || rho_hat_j)`` (needs a code in (0, 1), e.g.
        sigmoid); "l1": ``beta * mean_n sum_j |a_nj|``.
    weight_decay : float, default 0.0
        L2 penalty weight_decay / 2 * sum ||W||^2 over the weights (not the biases);
        every pretrained layer shares it.
    dropout : float, default 0.0
        The probability, in [0, 1), of zeroing each hidden unit's activation while
        fine-tuning (inverted dropout, as in ``Autoencoder``; none at inference). The
        pretrained layers drop nothing unless ``layer_params`` gives them a "dropout".
    optimizer : {"adam", "sgd"}, default "adam"
        Adam, or stochastic gradient descent with ``momentum`` (PyTorch's update rules);
        every pretrained layer shares it.
    learning_rate : float, default 1e-3
        The optimizer's (initial) step size, for fine-tuning and pretraining.
    momentum : float, default 0.9
        SGD's momentum, in [0, 1); ignored by Adam.
    nesterov : bool, default False
        SGD with Nesterov momentum; ignored by Adam.
    batch_size : int, default 128
        Rows per minibatch (the last one of an epoch may be smaller).
    epochs : int, default 20
        Passes over the training rows in end-to-end fine-tuning.
    early_stopping : bool, default False
        Stop fine-tuning when the validation loss has not improved for ``patience``
        epochs and restore the best epoch's weights; without ``validation_data`` or
        ``validation_fraction``, 10% of X is held out.
    patience : int, default 5
        Epochs without improvement before early stopping.
    lr_decay_patience : int or None, default None
        Multiply the learning rate by ``lr_decay_factor`` after this many epochs without
        improvement of the validation loss (the training loss without validation).
        Exclusive with ``lr_decay_epochs``.
    lr_decay_factor : float, default 0.1
        The factor, in (0, 1), of either learning-rate schedule.
    lr_decay_epochs : sequence of int or None, default None
        Increasing epoch numbers after which the learning rate is multiplied by
        ``lr_decay_factor``, e.g. (30, 60).
    validation_fraction : float, default 0.0
        The fraction of X held out (seeded) for ``val_loss``; it is neither pretrained
        nor fine-tuned on.
    on_divergence : {"raise", "warn"}, default "raise"
        When the loss becomes NaN or infinite, the last good epoch's weights are
        restored, then a ``DivergenceError`` is raised, or a ``RuntimeWarning`` issued
        and training stops.
    random_state : int, numpy.random.Generator or None, default None
        Seeds the initial weights, the validation split, each layer's pretraining, the
        minibatch order and the corruption.
    contamination : float or None, default None
        The share, in (0, 0.5], of normal rows to flag as outliers: makes the model an
        outlier detector with ``decision_function`` and ``predict``. None: not a detector.
    novelty : bool, default True
        True: a detector's threshold is taken on rows held out of training (for new
        data); False: on X itself (``fit_predict``).
    dtype : {"float32", "float64"}, default "float32"
        The precision the network trains and predicts in.
    backend : {"auto", "numba", "numpy"}, default "auto"
        The training step: numba's fused kernels or the NumPy reference; "auto" takes
        numba when it is installed (the environment variable ``NPAE_BACKEND`` may
        choose).
    n_threads : int or None, default None
        At most this many numba and BLAS threads during training; None leaves them as
        they are.
    verbose : int, default 0
        0 silent; 1 one line per epoch (and one per pretrained layer); 2 also a progress
        bar within each epoch (on a terminal).
    pretrain_epochs : int, default 10
        Each layer's pretraining budget, in epochs; 0 skips pretraining (the deep model
        starts from a random initialisation).
    layer_params : dict, list of dict, Autoencoder or None, default None
        Options of the one-layer autoencoders, from "corruption", "noise", "contractive",
        "contractive_mode", "contractive_noise", "sparsity", "sparsity_target",
        "sparsity_mode", "weight_decay", "learning_rate", "batch_size", "optimizer",
        "tied" and "dropout": one dict for every layer whose values may be lists with one entry per
        layer (``{"corruption": "masking", "noise": [0.1, 0.2, 0.3]}``), a list of
        dicts, one per layer, or a template estimator (e.g.
        ``DenoisingAutoencoder(noise=0.2)``) whose options of those names every layer
        copies. None: plain layers with the deep model's shared options.

    Attributes
    ----------
    network_ : Network
        The deep autoencoder's layers (encoder, then decoder) over one flat ``theta``.
    loss_, output_activation_ : str
        What "auto" resolved to.
    n_features_in_ : int
        The number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        The column names of X, when ``fit`` was given a DataFrame with string column
        names; otherwise absent.
    data_range_ : tuple of float
        (min, max) of the training data (salt-and-pepper corruption's values).
    history_ : dict of lists
        Fine-tuning, per epoch: ``loss``, ``reconstruction``, the penalties that are
        set, ``val_loss`` (with validation), ``learning_rate`` (with a schedule),
        ``seconds``.
    n_iter_ : int
        The number of fine-tuning epochs run.
    backend_ : {"numba", "numpy"}
        The fine-tuning step that ran.
    n_encoder_layers_ : int
        The number of encoder layers, len(hidden).
    code_mean_ : ndarray of shape (hidden[-1],)
        The mean of the training codes (``sample``'s Gaussian).
    code_cov_ : ndarray of shape (hidden[-1], hidden[-1])
        The covariance of the training codes.
    code_min_, code_max_ : ndarray of shape (hidden[-1],)
        The box the training codes occupy (``latent_grid``).
    calibration_scores_ : ndarray of shape (n_calibration,)
        A detector's ``score_samples`` of the rows its threshold is taken from.
    offset_ : float
        A detector's threshold on ``score_samples``: decision_function(X) =
        score_samples(X) - offset_.
    threshold_ : float
        -offset_, the reconstruction error above which a row is an outlier.
    pretraining_history_ : list of dict
        One ``history_`` per pretrained layer (empty with ``pretrain_epochs=0``).
    layer_models_ : list of Autoencoder
        The one-layer autoencoders, one per layer (empty with ``pretrain_epochs=0``).
        Not saved by ``save``.
    unrolled_loss_ : float or None
        The deep reconstruction loss (the mean over the training rows of the
        per-sample loss) right after unrolling, before fine-tuning; None with
        ``pretrain_epochs=0``.

    See Also
    --------
    Autoencoder : The deep model's options and methods.
    DenoisingAutoencoder : A template for denoising layers.
    Classifier : Fine-tune the pretrained encoder with a softmax head.

    Notes
    -----
    Each layer's code is computed once, after that layer is trained, not once per
    epoch. For data in a file (a memmap, an h5py dataset, a zarr array) the codes are
    instead computed from X's rows as each minibatch reads them, through the layers
    trained so far: pretraining then holds no n x width array (memory of the order of a
    minibatch) at the price of encoding the rows again at every read; the model is the
    one the same rows in memory give, to rounding (BLAS rounds a row's code differently
    with the number of rows encoded together). Layers pretrained tied (``{"tied": True}``)
    may unroll into an untied deep model: each decoder then starts as its encoder
    transposed. ``fit`` pretrains; ``partial_fit`` does not (a first ``partial_fit``
    starts from a random initialisation). ``save`` keeps ``pretraining_history_`` and ``unrolled_loss_``,
    not ``layer_models_``.

    Examples
    --------
    >>> from npae import StackedAutoencoder
    >>> from npae.datasets import load_digits
    >>> X, _ = load_digits()
    >>> sae = StackedAutoencoder(hidden=(32, 8), pretrain_epochs=1, epochs=1, random_state=0).fit(X)
    >>> sae.transform(X[:3]).shape, sae.reconstruct(X[:3]).shape
    ((3, 8), (3, 64))
    >>> [layer.hidden for layer in sae.layer_models_], len(sae.pretraining_history_)
    ([(32,), (8,)], 2)

    Denoising layers, the masking level rising with depth:

    >>> sdae = StackedAutoencoder(hidden=(32, 8), pretrain_epochs=1, epochs=1, random_state=0,
    ...                           layer_params={"corruption": "masking", "noise": [0.1, 0.2]}).fit(X)
    >>> [(layer.corruption, layer.noise) for layer in sdae.layer_models_]
    [('masking', 0.1), ('masking', 0.2)]
    """

    __init__ = init_with(Autoencoder, extra={"pretrain_epochs": 10, "layer_params": None},
                         name="StackedAutoencoder")

    def _validate_params(self):
        hidden, dtype = super()._validate_params()
        check_number("pretrain_epochs", self.pretrain_epochs, low=0, integer=True)
        if self.layer_params is not None and not isinstance(self.layer_params, (dict, list, tuple, Autoencoder)):
            raise ParameterError(f"layer_params must be None, a dict, a list of dicts or a template Autoencoder; "
                                 f"got {self.layer_params!r}")
        return hidden, dtype

    def _check_parallel(self, parallel):
        """As Autoencoder's, for the deep model and for each layer's pretraining options."""
        super()._check_parallel(parallel)
        hidden, _ = self._validate_params()
        for options in self._layer_options(len(hidden)):
            Autoencoder(**options)._check_parallel(parallel)

    def _file_params(self):
        params = super()._file_params()
        if isinstance(self.layer_params, Autoencoder):  # files hold data: the template's options, not it
            template = self.layer_params.get_params(deep=False)
            params["layer_params"] = {key: template[key] for key in _LAYER_OPTIONS}
        return params

    def _layer_options(self, depth):
        """One dict of one-layer autoencoder options per layer, from ``layer_params``."""
        spec = self.layer_params
        if spec is None:
            return [{} for _ in range(depth)]
        if isinstance(spec, Autoencoder):  # a template: its regularisation options for every layer
            template = spec.get_params(deep=False)
            return [{key: template[key] for key in _LAYER_OPTIONS} for _ in range(depth)]
        if isinstance(spec, dict):
            per_layer = []
            for k in range(depth):
                options = {}
                for key, value in spec.items():
                    if isinstance(value, (list, tuple)) and key != "hidden":
                        if len(value) != depth:
                            raise ParameterError(f"layer_params[{key!r}] has {len(value)} entries; "
                                                 f"give one per layer ({depth})")
                        value = value[k]
                    options[key] = value
                per_layer.append(options)
        else:
            per_layer = [dict(options) for options in spec]
            if len(per_layer) != depth:
                raise ParameterError(f"layer_params has {len(per_layer)} dicts; give one per layer ({depth})")
        for options in per_layer:
            unknown = set(options) - set(_LAYER_OPTIONS)
            if unknown:
                raise ParameterError(f"layer_params: {sorted(unknown)} cannot be set per layer; "
                                     f"valid: {sorted(_LAYER_OPTIONS)}")
        return per_layer

    def _pretrain(self, X, train_idx):
        """Train each layer as a one-layer autoencoder on the previous layer's codes, then
        copy its encoder and decoder into the deep network (the mirrored position)."""
        net = self.network_
        depth = len(net.specs) // 2
        options = self._layer_options(depth)
        self.pretraining_history_, self.layer_models_ = [], []
        if self.pretrain_epochs == 0:
            self.unrolled_loss_ = None
            return
        shared = {name: getattr(self, name) for name in _SHARED}
        parallel = self.__dict__.get("_parallel")
        train_rows = np.sort(train_idx)
        # X in a file (a memmap, an HDF5 dataset, a zarr array): each layer trains on views of the
        # training rows (EncodedRows) that its minibatches read, through the layers below, so
        # pretraining holds no n x width array of rows or codes (the codes are computed at every
        # read: memory bought with time). Under comm every rank holds every code instead, broadcast
        # from rank 0, so the ranks train on the same numbers whatever each node's BLAS rounds.
        streaming = not in_memory(X) and parallel is None

        def training_rows():  # the training rows, in the model's dtype
            if streaming:
                return EncodedRows(X, None, X.shape[1], net.dtype, rows=train_rows)
            return np.asarray(X[train_rows], dtype=net.dtype)

        codes = training_rows()
        for k in range(depth):
            encoder, decoder = net.specs[k], net.specs[2 * depth - 1 - k]
            # the decoder's output sits where the previous layer's activation (or the data) is
            if k == 0:
                loss, out = self.loss_, self.output_activation_
            else:
                out = decoder.activation
                loss = "bce" if out == "sigmoid" else "mse"
            params = dict(shared, hidden=(encoder.n_out,), activation=encoder.activation, loss=loss,
                          output_activation=out, epochs=self.pretrain_epochs, learning_rate=self.learning_rate,
                          random_state=int(self._rng.integers(2 ** 31)), verbose=self.verbose)
            params.update(options[k])
            layer = Autoencoder(**params)
            if self.verbose and (parallel is None or parallel.is_root):
                print(f"pretraining layer {k + 1}/{depth}: {encoder.n_in} -> {encoder.n_out} "
                      f"({', '.join(f'{key}={value}' for key, value in options[k].items()) or 'plain'})", flush=True)
            layer.fit(codes, comm=None if parallel is None else parallel.comm)  # every rank holds every code
            self.layer_models_.append(layer)
            self.pretraining_history_.append(layer.history_)
            weights = layer.network_
            net.param(f"encoder.{k}.W")[...] = weights.param("encoder.0.W")
            net.param(f"encoder.{k}.b")[...] = weights.param("encoder.0.b")
            if decoder.tied_to is None:  # a tied layer's decoder is its encoder transposed (as an RBM's)
                net.param(f"{decoder.name}.W")[...] = (weights.param("decoder.0.W") if "decoder.0.W" in
                                                       weights.param_names else weights.param("encoder.0.W").T)
            net.param(f"{decoder.name}.b")[...] = weights.param("decoder.0.b")
            if k < depth - 1 and streaming:  # the next layer's rows: X's through the layers trained so far
                codes = EncodedRows(X, _encoder_of(self.layer_models_), encoder.n_out, net.dtype, rows=train_rows)
            elif k < depth - 1:
                codes = layer.transform(codes)  # once per layer, not per epoch
                if parallel is not None:  # bit for bit rank 0's, whatever each node's BLAS rounds
                    codes = parallel.broadcast(np.ascontiguousarray(codes))
        del codes  # (in memory, before the training rows are gathered again)
        rows = training_rows()
        if streaming:  # a minibatch of rows at a time: the float64 forward pass keeps ~10 arrays of their size
            losses = np.concatenate([self._reconstruction_losses(rows[i:i + self.batch_size])
                                     for i in range(0, rows.shape[0], self.batch_size)])
        else:
            losses = self._reconstruction_losses(rows)
        self.unrolled_loss_ = float(np.mean(losses))

    # ------------------------------------------------------------ io
    #: saved beside Autoencoder's metadata (files written before 2026-12-02 lack them: a model
    #: loaded from one has neither attribute); ``layer_models_`` are whole models, not saved
    _STACK_META = ("pretraining_history_", "unrolled_loss_")

    def _file_meta(self):
        meta = super()._file_meta()
        meta.update({name: getattr(self, name) for name in self._STACK_META if hasattr(self, name)})
        return meta

    def _from_file_meta(self, meta, max_params):
        meta = dict(meta)
        stack = {name: meta.pop(name) for name in self._STACK_META if name in meta}
        super()._from_file_meta(meta, max_params)
        histories = stack.get("pretraining_history_", [])
        if not isinstance(histories, list):
            raise DataError("pretraining_history_ must be a list of dicts of lists")
        histories = [history_from_file(f"pretraining_history_[{k}]", h) for k, h in enumerate(histories)]
        unrolled = stack.get("unrolled_loss_")
        if unrolled is not None and (isinstance(unrolled, bool) or not isinstance(unrolled, (int, float))
                                     or not np.isfinite(unrolled)):
            raise DataError(f"unrolled_loss_ must be a finite number or null; got {unrolled!r}")
        if "pretraining_history_" in stack:
            self.pretraining_history_ = histories
        if "unrolled_loss_" in stack:
            self.unrolled_loss_ = None if unrolled is None else float(unrolled)
