"""The ``Autoencoder`` estimator, and the objective it minimises.

An encoder ``h`` maps x (n_features) to a code z = h(x) (``hidden[-1]`` units), a
mirrored decoder ``g`` maps z back, and training minimises

    L(theta) = reconstruction(x, g(h(x))) + penalties(theta)

over minibatches. ``npae.objectives.autoencoder_objective`` computes that loss and
its gradient in one place; the estimator class only validates, orchestrates and
keeps the results (fitted attributes end in ``_``).
"""

import inspect
import numbers
import numpy as np

from ..activations import ACTIVATION_RANGES, ACTIVATIONS
from ..backend import BACKENDS, load_kernels, resolve_backend, thread_limit
from ..errors import DataError, ParameterError, not_fitted_error
from ..fused_step import FusedStep
from ..gradcheck import GradcheckProblem
from ..losses import LOSSES, elementwise_loss
from ..network import Network, autoencoder_specs, count_params
from ..objectives import Objective, autoencoder_objective
from ..optim import Adam, make_optimizer
from ..corruption import CORRUPTIONS, corrupt
from ..dropout import dropout_masks
from ..penalties import SPARSITY
from ..training import (gather_rows, lr_decay, lr_milestones, plateau_history, run_epochs, split_validation,
                        starting_rate, step_of)
from ..validation import (check_array, check_is_fitted, check_keys, check_number, check_option,
                          check_random_state, check_rows, check_training_options, data_range, feature_names,
                          history_from_file, in_memory)
from .base import BaseEstimator, available_if
from .latent import LatentMixin, code_statistics

#: Rows per chunk in transform / reconstruct / score_samples (bounds their memory), for data
#: read from a file (a memmap, HDF5, zarr) and in the methods that keep more per row.
PREDICT_CHUNK = 1024

#: For data already in memory, chunks as large as this many bytes of their widest layer (at
#: least PREDICT_CHUNK rows): every chunk is one call per layer into BLAS, whose threads meet at
#: each call, and on a busy machine the W2 encoder (784-256-64) in chunks of 1,024 rows ran at
#: half the speed of one product of all 10,000 rows (benchmarks/bench_streaming.py).
PREDICT_CHUNK_BYTES = 16 * 2 ** 20

#: The fraction of X a novelty detector holds out for its threshold when given neither
#: ``validation_fraction`` nor ``validation_data`` (see ``Autoencoder.fit``).
DETECTOR_HOLDOUT = 0.2

#: offset_ sits this far (relative) below the quantile of the kept scores. A kept row's score can
#: BE the quantile (the lowest of a small hold-out, or an order statistic hit exactly), and float64
#: products round a row's score differently by ~1e-15 with how many rows are scored together:
#: without the margin such a row flips between +1 and -1 from one predict call to another.
THRESHOLD_MARGIN = 1e-9


_LOSS_OPTIONS = {"auto", *LOSSES} - {"softmax_cross_entropy"}


def _fingerprint(value):
    """What ``_validated_params`` compares a parameter by: numbers, strings and None by value,
    sequences and dicts by their items' fingerprints, arrays by their bytes, anything else (a callable,
    a Generator) by identity, which is all its validation looks at."""
    if value is None or isinstance(value, (str, numbers.Number)):
        return type(value), value
    if isinstance(value, (tuple, list)):
        return type(value), tuple(_fingerprint(v) for v in value)
    if isinstance(value, dict):  # e.g. a stack's layer_params, changed in place or not
        return dict, tuple((_fingerprint(k), _fingerprint(v)) for k, v in value.items())
    if isinstance(value, np.ndarray):
        return np.ndarray, value.dtype.str, value.shape, value.tobytes()
    return "id", id(value)


class Autoencoder(LatentMixin, BaseEstimator):
    """A dense autoencoder trained by backpropagation on NumPy.

    An encoder ``h`` maps each row x (``n_features``) to a code z = h(x) of ``hidden[-1]``
    units and a mirrored decoder ``g`` maps the code back; training minimises the
    reconstruction loss of g(h(x)) against x plus the penalties chosen (weight decay,
    contractive, sparsity), over minibatches, optionally from a corrupted input (a
    denoising autoencoder). With ``contamination`` set the model is also an outlier
    detector: a row it reconstructs badly is an outlier.

    Parameters
    ----------
    hidden : int or tuple of int, default (256, 64)
        Encoder widths; the last is the code size. The decoder mirrors them:
        ``hidden[-1] -> ... -> hidden[0] -> n_features``. An int is one layer.
    activation : {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "linear"}, \
default "sigmoid"
        The activation of the hidden layers: the encoder's but the code layer, and the
        decoder's but the output layer.
    code_activation : str or None, default None
        The code layer's activation (one of ``activation``'s choices); None: the same as
        ``activation``.
    output_activation : str, default "auto"
        The decoder's last layer: one of ``activation``'s choices, or "auto", which
        follows the loss (sigmoid with "bce", linear with "mse"). ``loss="bce"`` needs
        "sigmoid" or "auto" (bce is computed from the logits).
    loss : {"auto", "mse", "bce"}, default "auto"
        The reconstruction loss, a mean over every element: ``mean((x - xhat)^2)``, or the
        binary cross-entropy, which needs X in [0, 1]. "auto": binary cross-entropy with a
        sigmoid output when the training data lie in [0, 1] (and ``output_activation`` is
        "auto" or "sigmoid"), else mean squared error with a linear output; a detector
        (``contamination`` set) always resolves it to mean squared error. ``loss_`` and
        ``output_activation_`` record the choice.
    tied : bool, default False
        Whether each decoder layer uses the transposed weights of its mirror encoder layer
        (keeping a bias of its own).
    corruption : {None, "gaussian", "masking", "salt_pepper"} or callable, default None
        The corruption q(x~ | x) of the training inputs, drawn afresh for every minibatch
        from the model's generator; the target stays the clean x. "gaussian" adds
        ``noise * N(0, 1)``; "masking" zeroes each entry with probability ``noise``;
        "salt_pepper" sets a fraction ``noise`` of the entries to the training data's min
        or max (half each). A callable ``corruption(X, rng) -> X~`` of the same shape may
        replace them. Never applied by transform, reconstruct or the scores.
    noise : float, default 0.0
        The corruption's level (in [0, 1] for "masking" and "salt_pepper"). A nonzero
        noise without a corruption is refused, except the class's own default
        (``DenoisingAutoencoder``'s 0.3).
    contractive : float, default 0.0
        The weight lambda of the contractive penalty ``lambda * mean_n ||J_h(x_n)||_F^2``
        on the encoder's Jacobian; 0 turns it off.
    contractive_mode : {"analytic", "stochastic"}, default "analytic"
        "analytic": the exact Jacobian, for a one-layer encoder only (a deeper ``hidden``
        is refused); "stochastic": its estimate ``lambda * mean_n ||h(x_n) - h(x_n +
        eps_n)||^2`` with ``eps ~ N(0, contractive_noise^2)``, for any depth.
    contractive_noise : float, default 0.1
        The standard deviation of the stochastic contractive penalty's noise (> 0).
    sparsity : float, default 0.0
        The weight beta of the sparsity penalty on the code activations; 0 turns it off.
    sparsity_target : float, default 0.05
        The target mean activation rho of each code unit, in (0, 1) (``sparsity_mode="kl"``).
    sparsity_mode : {"kl", "l1"}, default "kl"
        "kl": ``beta * sum_j KL(rho || rho_hat_j)``, rho_hat_j the minibatch mean of code
        unit j, which needs code activations in (0, 1) (a sigmoid code); "l1":
        ``beta * mean_n sum_j |a_nj|``, for any code activation.
    weight_decay : float, default 0.0
        The L2 penalty ``weight_decay / 2 * sum ||W||_F^2`` over the weights (not the biases).
    dropout : float, default 0.0
        The probability, in [0, 1), of zeroing each hidden unit's activation during training
        (every layer but the output; a fresh mask per minibatch from the model's generator).
        Inverted dropout, as in Keras and PyTorch: ``A~ = A * M``, ``M = [U >= p] / (1 - p)``,
        so nothing is rescaled at inference (transform, reconstruct and the scores never
        drop units). See ``npae.dropout``.
    optimizer : {"adam", "sgd"}, default "adam"
        The optimizer.
    learning_rate : float, default 1e-3
        The optimizer's step size (> 0), lowered by ``lr_decay_patience`` or
        ``lr_decay_epochs`` if given.
    momentum : float, default 0.9
        SGD's momentum, in [0, 1) (0: plain SGD); Adam does not use it.
    nesterov : bool, default False
        Whether SGD uses Nesterov momentum; Adam does not use it.
    batch_size : int, default 128
        Rows per minibatch (the last minibatch of an epoch may be smaller).
    epochs : int, default 20
        Passes over the training rows in ``fit`` (``partial_fit`` makes one).
    early_stopping : bool, default False
        Whether ``fit`` stops after ``patience`` epochs in a row without a lower
        ``val_loss`` and restores the weights of the best epoch. Without
        ``validation_fraction`` or ``validation_data``, 0.1 of X is held out for it.
    patience : int, default 5
        Epochs without improvement before early stopping.
    lr_decay_patience : int or None, default None
        Multiply the learning rate by ``lr_decay_factor`` after this many epochs in a row
        without a lower ``val_loss`` (the training loss when nothing is held out), as
        PyTorch's ``ReduceLROnPlateau``. Not together with ``lr_decay_epochs``.
    lr_decay_factor : float, default 0.1
        The factor, in (0, 1), of either learning-rate schedule.
    lr_decay_epochs : tuple of int or None, default None
        Increasing epoch numbers (counted from 1 since ``fit``, over later ``partial_fit``
        calls too) after which the learning rate is multiplied by ``lr_decay_factor``, as
        PyTorch's ``MultiStepLR``.
    validation_fraction : float, default 0.0
        The fraction of X, in [0, 1), that ``fit`` holds out of training (a seeded random
        split) for ``val_loss``, early stopping, the plateau schedule and a novelty
        detector's threshold. Not used when ``fit`` is given ``validation_data``.
    on_divergence : {"raise", "warn"}, default "raise"
        What happens when the loss or the weights become NaN or infinite: training stops,
        the weights of the last good epoch (the best one with early stopping) are restored,
        ``history_["diverged_at"]`` records the epoch and batch, and then a
        ``DivergenceError`` is raised or a ``RuntimeWarning`` issued.
    random_state : int, numpy.random.Generator or None, default None
        Seeds the initialisation, the validation split, the minibatch order and every
        random draw of training (corruption, dropout, stochastic penalty). An int gives
        reproducible results; a Generator is used (and advanced) as it is; None draws
        fresh entropy. NumPy's global random state is never used.
    contamination : float or None, default None
        Makes the model an outlier detector: the share, in (0, 0.5], of new normal rows to
        flag as outliers (``predict``, ``decision_function``, ``offset_``, ``threshold_``).
        It can be changed after fitting with ``set_params``: the threshold is recomputed
        from ``calibration_scores_`` without refitting.
    novelty : bool, default True
        True: the detector's threshold is taken on rows held out of training
        (``validation_fraction``, ``validation_data``, else ``DETECTOR_HOLDOUT`` = 0.2 of
        X), for new data; False: on X itself, so that ``fit_predict(X)`` flags the
        ``contamination`` share of X.
    dtype : {"float32", "float64"}, default "float32"
        The precision of the weights and of the computation; transform, reconstruct and
        inverse_transform return arrays of this dtype. A ``numpy.memmap`` X keeps its dtype
        and is converted minibatch by minibatch, never copied whole.
    backend : {"auto", "numpy", "numba"}, default "auto"
        "numba": a fused, compiled training step (needs numba) for the objectives it
        supports (not sparsity, the stochastic contractive penalty or a callable
        corruption, which train on NumPy); "numpy": the reference implementation; "auto":
        the ``NPAE_BACKEND`` environment variable if set, else numba when it is installed
        (with a warning when it is not). ``backend_`` records the one used.
    n_threads : int or None, default None
        At most this many numba and BLAS threads while training (BLAS through
        threadpoolctl when installed); None leaves them as they are.
    verbose : int, default 0
        0: silent; 1: one line per epoch on stdout (loss, val_loss, speed) and the
        schedule's and early stopping's decisions; 2: also a progress bar within each epoch
        on stderr, when it is a terminal.

    Attributes
    ----------
    network_ : Network
        The encoder's then the decoder's dense layers over one flat parameter vector
        ``theta``.
    loss_ : {"mse", "bce"}
        The reconstruction loss ``loss="auto"`` resolved to.
    output_activation_ : str
        The output activation ``output_activation="auto"`` resolved to.
    n_features_in_ : int
        The number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        The column names of a DataFrame X with string column names (set by ``fit`` only
        then).
    data_range_ : tuple of float
        ``(min, max)`` of the training data (the values "salt_pepper" corrupts to).
    history_ : dict of lists
        One entry per epoch: ``loss`` (the training loss, penalties included),
        ``reconstruction``, each penalty used (``weight_decay``, ``contractive``,
        ``sparsity``), ``val_loss`` (when rows are held out), ``seconds``, and
        ``learning_rate`` with a schedule; ``diverged_at`` after a divergence.
    n_iter_ : int
        The epochs run since the model was initialised (over ``fit`` and ``partial_fit``).
    backend_ : {"numpy", "numba"}
        The backend the last training step ran on.
    code_mean_ : ndarray of shape (n_components,)
        The mean of the training codes, where n_components is ``hidden[-1]``. With the
        three next attributes, the region of the code space ``sample`` and ``latent_grid``
        draw from.
    code_cov_ : ndarray of shape (n_components, n_components)
        The covariance of the training codes.
    code_min_, code_max_ : ndarray of shape (n_components,)
        The smallest and largest training code of each unit.
    calibration_scores_ : ndarray of shape (n_calibration,)
        A detector's ``score_samples`` of the rows its threshold is taken from (see
        ``novelty``).
    offset_ : float
        A detector's threshold on ``score_samples``, for the current ``contamination``.
    threshold_ : float
        ``-offset_``: a detector's threshold on ``reconstruction_error``.
    n_encoder_layers_ : int
        The number of encoder layers (``len(hidden)``).

    See Also
    --------
    DenoisingAutoencoder, ContractiveAutoencoder, SparseAutoencoder : The classic variants.
    StackedAutoencoder : Greedy layer-wise pretraining, then fine-tuning.
    VariationalAutoencoder : A generative model of the code space.
    npae.load : Load a model written by ``save``.

    Notes
    -----
    Training minimises, over minibatches::

        L(theta) = reconstruction(x, g(h(x))) + penalties(theta)

    (``npae.objectives.autoencoder_objective`` computes it and its gradient). The
    reconstruction loss is a mean over every element of the minibatch; the penalties are
    means over its rows, so their size does not depend on the batch size. The scores
    (``score_samples``, ``reconstruction_error``) are the reconstruction loss alone, a
    mean over each row's features, without penalties or corruption.

    Examples
    --------
    >>> from npae import Autoencoder
    >>> from npae.datasets import load_digits
    >>> X, _ = load_digits()
    >>> ae = Autoencoder(hidden=(16, 2), epochs=2, random_state=0).fit(X)
    >>> ae.loss_, ae.output_activation_
    ('bce', 'sigmoid')
    >>> ae.transform(X[:3]).shape, ae.reconstruct(X[:3]).shape
    ((3, 2), (3, 64))
    >>> len(ae.history_["loss"]), ae.n_iter_
    (2, 2)

    An outlier detector flags about ``contamination`` of new normal rows:

    >>> detector = Autoencoder(hidden=(16, 2), epochs=2, contamination=0.1, random_state=0).fit(X)
    >>> detector.loss_, detector.predict(X[:5]).shape
    ('mse', (5,))
    """

    def __init__(self, hidden=(256, 64), activation="sigmoid", code_activation=None,
                 output_activation="auto", loss="auto", tied=False, corruption=None, noise=0.0,
                 contractive=0.0, contractive_mode="analytic", contractive_noise=0.1,
                 sparsity=0.0, sparsity_target=0.05, sparsity_mode="kl", weight_decay=0.0, dropout=0.0, optimizer="adam", learning_rate=1e-3, momentum=0.9,
                 nesterov=False, batch_size=128, epochs=20, early_stopping=False, patience=5,
                 lr_decay_patience=None, lr_decay_factor=0.1, lr_decay_epochs=None, validation_fraction=0.0,
                 on_divergence="raise", random_state=None,
                 contamination=None, novelty=True, dtype="float32", backend="auto", n_threads=None, verbose=0):
        self.hidden = hidden
        self.activation = activation
        self.code_activation = code_activation
        self.output_activation = output_activation
        self.loss = loss
        self.tied = tied
        self.corruption = corruption
        self.noise = noise
        self.contractive = contractive
        self.contractive_mode = contractive_mode
        self.contractive_noise = contractive_noise
        self.sparsity = sparsity
        self.sparsity_target = sparsity_target
        self.sparsity_mode = sparsity_mode
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.batch_size = batch_size
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.patience = patience
        self.lr_decay_patience = lr_decay_patience
        self.lr_decay_factor = lr_decay_factor
        self.lr_decay_epochs = lr_decay_epochs
        self.validation_fraction = validation_fraction
        self.on_divergence = on_divergence
        self.random_state = random_state
        self.contamination = contamination
        self.novelty = novelty
        self.dtype = dtype
        self.backend = backend
        self.n_threads = n_threads
        self.verbose = verbose

    # ------------------------------------------------------------ validation
    def _validate_params(self):
        hidden = (self.hidden,) if isinstance(self.hidden, numbers.Integral) else self.hidden
        try:
            hidden = tuple(hidden)
        except TypeError:
            hidden = ()
        if not hidden or any(isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1
                             for h in hidden):
            raise ParameterError(f"hidden must be a non-empty sequence of positive integers "
                                 f"(encoder widths, the last is the code size); got {self.hidden!r}")
        hidden = tuple(int(h) for h in hidden)
        check_option("activation", self.activation, ACTIVATIONS)
        if self.code_activation is not None:
            check_option("code_activation", self.code_activation, ACTIVATIONS)
        check_option("output_activation", self.output_activation, {"auto", *ACTIVATIONS})
        check_option("loss", self.loss, _LOSS_OPTIONS)
        if self.loss == "bce" and self.output_activation not in ("auto", "sigmoid"):
            raise ParameterError(f"loss='bce' needs output_activation='sigmoid' (it is computed from "
                                 f"the logits); got output_activation={self.output_activation!r}")
        if self.tied not in (True, False):
            raise ParameterError(f"tied must be True or False; got {self.tied!r}")
        self._validate_regularization(hidden)
        dtype = check_training_options(self)
        if self.contamination is not None:
            check_number("contamination", self.contamination, low=0.0, high=0.5, low_open=True)
        if self.novelty not in (True, False):
            raise ParameterError(f"novelty must be True (the threshold is taken on held-out rows, for new "
                                 f"data) or False (on the rows fit on, for fit_predict); got {self.novelty!r}")
        check_option("backend", self.backend, set(BACKENDS))
        return hidden, dtype

    def _validated_params(self):
        """``_validate_params()``, run again only when a parameter changed since it last passed:
        a stream of ``partial_fit`` calls validates its settings once, not at every batch."""
        key = tuple(_fingerprint(getattr(self, name)) for name in self._get_param_names())
        kept = self.__dict__.get("_validated")
        if kept is None or kept[0] != key:
            kept = self.__dict__["_validated"] = (key, self._validate_params())
        return kept[1]

    @classmethod
    def _default_noise(cls):
        """``noise``'s default: DenoisingAutoencoder's 0.3 is no mistake under corruption=None
        (a grid over corruption includes None); a noise the caller chose is."""
        return inspect.signature(cls.__init__).parameters["noise"].default

    def _validate_regularization(self, hidden):
        if self.corruption is not None and not callable(self.corruption):
            check_option("corruption", self.corruption, CORRUPTIONS)
        check_number("noise", self.noise, low=0.0,
                      high=1.0 if self.corruption in ("masking", "salt_pepper") else None)
        if self.noise and self.corruption is None and self.noise != self._default_noise():
            raise ParameterError(f"noise={self.noise!r} has no effect without a corruption; set "
                                 f"corruption to one of {sorted(CORRUPTIONS)} (or noise=0)")
        check_number("contractive", self.contractive, low=0.0)
        check_option("contractive_mode", self.contractive_mode, {"analytic", "stochastic"})
        check_number("contractive_noise", self.contractive_noise, low=0.0, low_open=True)
        if self.contractive and self.contractive_mode == "analytic" and len(hidden) > 1:
            raise ParameterError(
                f"contractive_mode='analytic' is exact for a one-layer encoder only, and hidden={hidden} "
                "has several; use contractive_mode='stochastic' (any depth), or train one-layer "
                "contractive autoencoders greedily with StackedAutoencoder")
        check_number("sparsity", self.sparsity, low=0.0)
        check_option("sparsity_mode", self.sparsity_mode, SPARSITY)
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, numbers.Real) \
                or not 0.0 <= self.dropout < 1.0:
            raise ParameterError(f"dropout is the probability of zeroing each hidden unit's activation during "
                                 f"training and must be in [0, 1); got {self.dropout!r}. Use e.g. dropout=0.2, "
                                 f"or dropout=0 to turn it off")
        check_number("sparsity_target", self.sparsity_target, low=0.0, high=1.0, low_open=True, high_open=True)
        code_activation = self.code_activation or self.activation
        if self.sparsity and self.sparsity_mode == "kl" and ACTIVATION_RANGES.get(code_activation) != (0.0, 1.0):
            raise ParameterError(
                f"sparsity_mode='kl' compares mean code activations with a target in (0, 1), so the code "
                f"layer needs outputs in (0, 1) (code_activation='sigmoid'); got {code_activation!r}. "
                "Use sparsity_mode='l1' for other activations")

    def _objective(self):
        return Objective(self.loss_, self.weight_decay, self.contractive, self.contractive_mode,
                         self.contractive_noise, self.sparsity, self.sparsity_mode, self.sparsity_target,
                         float(self.dropout))

    def _check_data(self, X, dtype, name="X", n_features=None, unit_interval=False):
        """Validate X once (``check_rows``). A memmap, or an array-like read by rows (an h5py dataset, a zarr
        array: ``is_array_like``), keeps its dtype and is never copied (rows are read and
        converted batch by batch); anything else becomes one array of ``dtype``."""
        return check_rows(X, dtype, name=name, n_features=n_features, unit_interval=unit_interval,
                          estimator=type(self).__name__)

    def _resolve_loss(self, X, low, high):
        """loss_ and output_activation_ from the options and the training data's range. A
        detector (``contamination`` set) resolves "auto" to mse whatever the range: it must
        score rows outside the training range (the likely outliers), which bce cannot, and a
        per-sample bce tracks how much ink an image has more than how unusual it is."""
        in_unit = bool(low >= 0.0 and high <= 1.0)
        loss = self.loss
        if loss == "auto":
            detector = self.contamination is not None
            loss = "bce" if in_unit and not detector and self.output_activation in ("auto", "sigmoid") else "mse"
        if loss == "bce" and not in_unit:
            check_array(X, dtype=None, unit_interval=True)
        out = self.output_activation
        if out == "auto":
            out = "sigmoid" if loss == "bce" else "linear"
        return loss, out

    # ------------------------------------------------------------ building
    def _specs(self, n_features, hidden):
        return autoencoder_specs(n_features, hidden, self.activation,
                                 self.code_activation or self.activation,
                                 self.output_activation_, self.tied)

    def _initialize(self, X, hidden, dtype):
        stale_names = ("feature_names_in_", "_saved_offset", "_undescribed", "_fused_cache") + self._DESCRIBED
        for stale in stale_names:  # from an earlier fit
            self.__dict__.pop(stale, None)
        low, high = data_range(X)
        self.loss_, self.output_activation_ = self._resolve_loss(X, low, high)
        self.n_features_in_ = X.shape[1]
        self.data_range_ = (low, high)
        self._rng = check_random_state(self.random_state)
        self.network_ = Network(self._specs(X.shape[1], hidden), dtype=dtype)
        self.network_.init_params(self._rng)
        self._optimizer = None
        self.history_ = {}
        self.n_iter_ = 0
        self.backend_ = "numpy"
        self._sync_ranks()

    def _output_dtype(self):
        return self.dtype if isinstance(self.dtype, str) else np.dtype(self.dtype).name

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.contamination is not None:
            tags.estimator_type = "outlier_detector"
        return tags

    @property
    def n_encoder_layers_(self):
        """The number of encoder layers: layers 0 .. ``n_encoder_layers_ - 1`` map X to the code.

        ``transform`` runs the network's first ``n_encoder_layers_`` layers,
        ``inverse_transform`` the rest. An int: ``len(hidden)`` for an ``Autoencoder``.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> Autoencoder(hidden=(16, 8, 2), epochs=1, random_state=0).fit(X).n_encoder_layers_
        3
        """
        return len(self.network_.specs) // 2

    @property
    def _decoder_start(self):
        """The index of the first decoder layer (inverse_transform runs from it to the end)."""
        return self.n_encoder_layers_

    def _needs_unit_interval(self):
        """Whether training targets must lie in [0, 1] (the Bernoulli likelihood of bce)."""
        return self.loss_ == "bce"

    # ------------------------------------------------------------ training
    def fit(self, X, y=None, *, validation_data=None, checkpoint=None, comm=None):
        """Train the autoencoder on X from a fresh initialisation.

        Every earlier fit is forgotten: the loss is resolved from X's range, the weights are
        initialised from ``random_state``, and ``epochs`` epochs are run. Then the code
        statistics (``code_mean_``, ...) are taken from all of X and, for a detector, the
        ``calibration_scores_`` its threshold is taken from (see ``novelty``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training data (a ``numpy.memmap`` is read minibatch by minibatch).
        y : None
            Ignored; present for scikit-learn's API.
        validation_data : array-like of shape (n_val, n_features) or tuple, default None
            Held-out rows (or a tuple whose first item is them) for ``val_loss``, early
            stopping, the plateau schedule and a novelty detector's threshold; when given,
            ``validation_fraction`` is not used and all of X is trained on. Otherwise
            ``validation_fraction`` of X is held out (for a novelty detector without one,
            ``DETECTOR_HOLDOUT`` = 0.2; with early stopping, 0.1).
        checkpoint : str or path-like, default None
            A path that the model is saved to (as ``save``) after each epoch that improves
            ``val_loss`` (the training loss when nothing is held out).
        comm : mpi4py communicator, default None
            Train data-parallel on the communicator's ranks, every rank passing the same
            data (``npae.parallel``).

        Returns
        -------
        Autoencoder
            The model itself (``self``), fitted.

        Raises
        ------
        ParameterError
            A hyper-parameter is invalid or two of them contradict each other.
        DataError
            X is empty, not two-dimensional, holds NaN or infinity, or (for
            ``loss="bce"``) lies outside [0, 1].
        DivergenceError
            The loss became NaN or infinite and ``on_divergence="raise"`` (the last good
            weights are restored first).

        See Also
        --------
        partial_fit : One more epoch on new data, without reinitialising.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = Autoencoder(hidden=(16, 2), epochs=2, validation_fraction=0.1, random_state=0)
        >>> ae.fit(X) is ae
        True
        >>> len(ae.history_["val_loss"]), ae.n_features_in_
        (2, 64)
        """
        if comm is not None:
            from ..parallel import run_parallel
            return run_parallel(self, comm, self.fit, X, y, validation_data=validation_data, checkpoint=checkpoint)
        hidden, dtype = self._validate_params()
        names = feature_names(X)
        X = self._check_data(X, dtype)
        self._initialize(X, hidden, dtype)
        if names is not None:
            self.feature_names_in_ = names
        X_val = None
        if validation_data is not None:
            if isinstance(validation_data, tuple):
                validation_data = validation_data[0]
            X_val = self._check_data(validation_data, dtype, name="validation_data",
                                     n_features=X.shape[1], unit_interval=self._needs_unit_interval())
            train_idx = np.arange(X.shape[0])
        else:
            fraction = self.validation_fraction or self._default_holdout()
            train_idx, val_idx = split_validation(X.shape[0], fraction, self._rng)
            if val_idx is not None:
                X_val = gather_rows(X, val_idx).astype(dtype, copy=False)
        self._pretrain(X, train_idx)
        self._train(X, train_idx, X_val, self.epochs, checkpoint=checkpoint, early_stopping=self.early_stopping)
        held_out = self.contamination is not None and self.novelty and X_val is not None
        self._describe_training_data(X, calibration=X_val if held_out else X)
        return self

    def _default_holdout(self):
        """The fraction of X held out when neither ``validation_fraction`` nor ``validation_data``
        is given: ``DETECTOR_HOLDOUT`` for a novelty detector (its threshold is taken on those
        rows), 0.1 for early stopping, else none."""
        if self.contamination is not None and self.novelty:
            return DETECTOR_HOLDOUT
        return 0.1 if self.early_stopping else 0.0

    def _describe_training_data(self, X, calibration=None):
        """The code statistics from X and, with ``contamination``, the scores the threshold is
        taken from, of ``calibration`` (None: no threshold) (in ``n_threads``, as training is)."""
        with thread_limit(self.n_threads):
            self._set_code_statistics(X)
            if self.contamination is not None and calibration is not None:
                self._set_threshold(calibration)

    def _describe_later(self, X, X_given):
        """What partial_fit leaves for later: the statistics ``_describe_training_data`` takes of
        X are computed when one of ``_DESCRIBED`` is first read (``__getattr__``), with the
        weights as the last pass left them, so a stream of partial_fit calls costs its
        training steps only. Until then X is kept: a copy if it is the caller's own in-memory
        array (which the caller may refill with the next batch), else by reference (a
        converted copy already, or a memmap / HDF5 / zarr array read again later)."""
        for name in self._DESCRIBED:
            self.__dict__.pop(name, None)
        owned = X is X_given and type(X) is np.ndarray
        if owned:
            kept = self.__dict__.get("_undescribed")
            if kept is not None and kept[2] and kept[0].shape == X.shape and kept[0].dtype == X.dtype:
                np.copyto(kept[0], X)  # the last call's copy, not yet read: refilled, no new pages
                X = kept[0]
            else:
                X = X.copy()
        self.__dict__["_undescribed"] = (X, self.contamination is not None, owned)

    def _describe_now(self):
        """Compute what ``_describe_later`` left, if anything is left."""
        pending = self.__dict__.pop("_undescribed", None)
        if pending is not None:
            X, calibrate, _ = pending
            self._describe_training_data(X, calibration=X if calibrate else None)

    def __getattr__(self, name):
        # reached only for a name that is not set: partial_fit's statistics, computed when first read
        # (or a property / available_if method that raised AttributeError: raise its own again)
        if name in type(self)._DESCRIBED and "_undescribed" in self.__dict__:
            self._describe_now()
            return object.__getattribute__(self, name)
        if hasattr(type(self), name):
            return object.__getattribute__(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getstate__(self):
        # a pickle holds partial_fit's statistics, not its data, and no fused step (its kernels)
        self._describe_now()
        state = dict(self.__dict__)
        state.pop("_fused_cache", None)
        state.pop("_theta_snapshot", None)
        state.pop("_validated", None)  # its fingerprints hold ids, which mean nothing elsewhere
        return state

    def _pretrain(self, X, train_idx):
        """Hook before end-to-end training (greedy layer-wise pretraining in StackedAutoencoder)."""

    def _set_code_statistics(self, X):
        """code_mean_, code_cov_, code_min_, code_max_: the region the training codes occupy."""
        stats = code_statistics(self._chunked(X, 0, self.n_encoder_layers_))
        self.code_mean_, self.code_cov_, self.code_min_, self.code_max_ = stats

    def _set_threshold(self, X):
        """calibration_scores_: score_samples of X, the rows the threshold is taken from
        (``offset_`` is their ``contamination`` quantile, so a new contamination re-thresholds
        without refitting)."""
        self.calibration_scores_ = -self._reconstruction_losses(X)
        self.__dict__.pop("_saved_offset", None)

    @property
    def offset_(self):
        """The score_samples below which a sample is an outlier (a detector's threshold).

        A float: the ``contamination`` quantile of ``calibration_scores_`` (computed for the
        current contamination, so set_params re-thresholds a fitted model).
        ``decision_function(X) = score_samples(X) - offset_``.

        With ``novelty=True`` it is the quantile for a NEW row (numpy's "weibull" method: the
        k-th of n held-out scores has a new row below it with probability k / (n + 1)), so on
        new inliers about ``contamination`` of them are flagged even from a small hold-out
        (numpy's default, "linear", flags 12% for 7% from 16 rows); with ``novelty=False`` it
        is the quantile of the rows themselves, so fit_predict flags that share of X. It sits
        ``THRESHOLD_MARGIN`` (relative) below the quantile, so a kept row on it is an inlier
        whichever rows it is scored with.

        Raises
        ------
        AttributeError
            The model has no ``contamination`` (so ``hasattr(model, "offset_")`` is False).
        NotFittedError
            The model is not fitted, or was fitted without ``contamination`` (set it, then
            fit again).

        See Also
        --------
        threshold_ : The same threshold on ``reconstruction_error``.
        decision_function : ``score_samples(X) - offset_``.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> detector = Autoencoder(hidden=(16, 2), epochs=1, contamination=0.1, random_state=0).fit(X)
        >>> detector.offset_ < 0, detector.offset_ == -detector.threshold_
        (True, True)
        >>> hasattr(Autoencoder(), "offset_")
        False
        """
        check_is_fitted(self)
        self._describe_now()
        name = type(self).__name__
        if self.contamination is None:
            raise AttributeError(f"{name} has no offset_ without contamination: "
                                 "set_params(contamination=<expected outlier fraction>)")
        contamination = check_number("contamination", self.contamination, low=0.0, high=0.5, low_open=True)
        scores = self.__dict__.get("calibration_scores_")
        if scores is not None:
            quantile = float(np.percentile(scores, 100.0 * contamination,
                                           method="weibull" if self.novelty else "linear"))
            return quantile - THRESHOLD_MARGIN * abs(quantile)
        saved = self.__dict__.get("_saved_offset")
        if saved is not None and saved[0] == contamination:
            return saved[1]
        if saved is not None:
            raise not_fitted_error(
                f"This {name} was loaded from a file written before npae kept the scores its threshold is "
                f"taken from: it has a threshold for contamination={saved[0]} only. Fit it again to use "
                f"contamination={contamination}")
        raise not_fitted_error(
            f"This {name} was fitted without contamination, so it took no threshold and kept no scores "
            f"to take one from; fit it again with contamination set: "
            f"{name}(contamination={contamination}, ...).fit(X), or set_params(contamination="
            f"{contamination}).fit(X)")

    @property
    def threshold_(self):
        """``-offset_``: the reconstruction error above which a sample is an outlier.

        A float, for the current ``contamination``: ``predict`` flags the rows whose
        ``reconstruction_error`` exceeds it.

        Raises
        ------
        AttributeError
            The model has no ``contamination``.
        NotFittedError
            The model is not fitted, or was fitted without ``contamination``.

        See Also
        --------
        offset_ : The same threshold on ``score_samples``.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> detector = Autoencoder(hidden=(16, 2), epochs=1, contamination=0.1, random_state=0).fit(X)
        >>> flagged = detector.reconstruction_error(X) > detector.threshold_
        >>> bool((flagged == (detector.predict(X) == -1)).all())
        True
        """
        return -self.offset_

    def partial_fit(self, X, y=None, *, comm=None):
        """One epoch over X in minibatches, continuing from the current weights.

        The first call on an unfitted model initialises it from X, as ``fit`` does; later
        calls keep the weights, the optimizer's state and ``history_`` (a learning-rate
        schedule continues its count). Nothing is held out: ``validation_fraction`` and
        ``early_stopping`` are not used. The code statistics and, with ``contamination``,
        ``calibration_scores_`` (hence ``offset_`` and ``threshold_``) are then those of this
        X, after the pass (as scikit-learn's online outlier detectors update their offset).
        They are computed when first read, not in each call, so a stream of calls costs its
        training steps only; X is kept until then (a copy of an in-memory array, so the caller
        may refill it with the next batch; a file-backed array by reference).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows of this step; after the first call, with the ``n_features_in_``
            features of the first.
        y : None
            Ignored; present for scikit-learn's API.
        comm : mpi4py communicator, default None
            As in ``fit``: train data-parallel on its ranks.

        Returns
        -------
        Autoencoder
            The model itself (``self``), updated.

        Raises
        ------
        DataError
            X is not valid data, or has another number of features than the first call's.
        DivergenceError
            The loss became NaN or infinite and ``on_divergence="raise"``.

        See Also
        --------
        fit : Train from a fresh initialisation.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = Autoencoder(hidden=(16, 2), random_state=0)
        >>> for batch in (X[:900], X[900:]):
        ...     ae = ae.partial_fit(batch)
        >>> ae.n_iter_, len(ae.history_["loss"])
        (2, 2)
        """
        if comm is not None:
            from ..parallel import run_parallel
            return run_parallel(self, comm, self.partial_fit, X, y)
        hidden, dtype = self._validated_params()
        X_given = X
        if not hasattr(self, "network_"):
            X = self._check_data(X, dtype)
            self._initialize(X, hidden, dtype)
        else:
            X = self._check_data(X, self.network_.dtype, n_features=self.n_features_in_,
                                 unit_interval=self._needs_unit_interval())
        self._train(X, np.arange(X.shape[0]), None, 1)
        if self.__dict__.get("_parallel") is None:
            self._describe_later(X, X_given)
        else:  # every rank describes now, while the ranks are together
            self._describe_training_data(X, calibration=X if self.contamination is not None else None)
        return self

    def _snapshot(self, net):
        """An array like ``net.theta``, kept between calls, for run_epochs' restore point."""
        kept = self.__dict__.get("_theta_snapshot")
        if kept is None or kept.shape != net.theta.shape or kept.dtype != net.theta.dtype:
            kept = self.__dict__["_theta_snapshot"] = np.empty_like(net.theta)
        return kept

    def _fused_step(self, optimizer, rng):
        """The fused numba step where the backend and the objective allow it, else None; sets
        ``backend_`` to the one chosen."""
        objective, fused = self._objective(), None
        if resolve_backend(self.backend) == "numba" and FusedStep.supports(objective, self.corruption):
            # kept from one call to the next (its buffers with it): a partial_fit on one batch
            # then costs its step, not new buffers
            # (the cached step holds the network, optimizer and generator: their ids stay theirs)
            key = (id(self.network_), id(optimizer), id(rng), objective, self.corruption, self.noise,
                   self.data_range_)
            cached = self.__dict__.get("_fused_cache")
            if cached is not None and cached[0] == key:
                fused = cached[1]
            else:
                fused = FusedStep(self.network_, objective, optimizer, self.corruption, self.noise,
                                  self.data_range_, rng, load_kernels())
                self.__dict__["_fused_cache"] = (key, fused)
        self.backend_ = "numba" if fused is not None else "numpy"
        return fused

    def _training_step(self, X, optimizer):
        """``step(rows, guard=False) -> (loss, parts)``: one optimizer step on rows ``rows`` of
        X (``npae.training.step_of`` of ``_gradient_step``'s halves), on the fused numba step
        where it supports the objective, else on the reference objective; sets ``backend_``
        to the one chosen."""
        gradient, update = self._gradient_step(X, optimizer, self._rng)
        return step_of(gradient, update, self.network_.grad)

    def _gradient_step(self, X, optimizer, rng):
        """The two halves of a training step, between which data-parallel ranks sum the
        gradient (``npae.parallel``): ``gradient(rows) -> (loss, parts)`` fills ``net.grad``
        with the gradient of the mean loss over rows ``rows`` of X, drawing its noise from
        ``rng`` (with no rows it makes only the step's draws), and ``update(grad, block=None)``
        applies the optimizer (to the slice ``block`` of theta when given)."""
        net, objective = self.network_, self._objective()
        corruption, noise, data_range = self.corruption, self.noise, self.data_range_
        fused = self._fused_step(optimizer, rng)
        if fused is not None:
            return (lambda rows: fused.gradient(X, rows)), fused.optimizer_step
        stochastic = objective.contractive and objective.contractive_mode == "stochastic"

        def gradient(rows):
            Xb = gather_rows(X, rows).astype(net.dtype, copy=False)
            X_in = Xb if corruption is None else corrupt(Xb, corruption, noise, rng, data_range)[0]
            if not len(rows):  # this rank's share of a short minibatch is empty: only the draws
                dropout_masks(net, 0, objective.dropout, rng)
                if stochastic:
                    rng.standard_normal(Xb.shape, dtype=Xb.dtype)
                return 0.0, {}
            loss, parts, _ = autoencoder_objective(net, X_in, Xb, objective, rng)
            return loss, parts

        return gradient, lambda grad, block=None: optimizer.step(net.theta, grad, block)

    def _check_parallel(self, parallel):
        """Refuse, on every rank alike, what one all-reduce per step cannot train exactly."""
        if type(self)._training_step is not Autoencoder._training_step and \
                type(self)._gradient_step is Autoencoder._gradient_step:
            raise ParameterError(f"{type(self).__name__} has a training step of its own but no _gradient_step: "
                                 "it does not train with comm yet")
        if getattr(self, "sparsity", 0) and getattr(self, "sparsity_mode", None) == "kl":
            raise ParameterError(
                "sparsity_mode='kl' penalises the minibatch's mean code activation, so each row's gradient "
                "depends on every rank's rows: it is not trained with comm. Use sparsity_mode='l1' (a mean "
                "over rows, exact across ranks), or train in one process")
        if callable(getattr(self, "corruption", None)):
            raise ParameterError(
                "a corruption callable draws from the model's generator in ways npae cannot split across "
                "ranks (their generators would drift apart): use a named corruption with comm")

    def _sync_ranks(self):
        """Under ``comm``: every rank takes rank 0's weights and random generator (so a
        random_state of None, or a Generator, starts every rank alike)."""
        parallel = self.__dict__.get("_parallel")
        if parallel is not None:
            parallel.broadcast(self.network_.theta)
            parallel.sync_generator(self._rng)

    def _epoch_start(self, epoch):
        """Called before each training epoch (1-based over every call); nothing to do here."""

    def _validation_loss(self, X_val):
        """``val_loss``: the mean reconstruction loss on the validation data."""
        return float(np.mean(self._reconstruction_losses(X_val)))

    def _train(self, X, train_idx, X_val, epochs, checkpoint=None, early_stopping=False):
        net = self.network_
        if self._optimizer is None:
            self._optimizer = make_optimizer(self.optimizer, net.n_params, net.dtype, starting_rate(self, self.n_iter_),
                                             momentum=self.momentum, nesterov=self.nesterov)
        optimizer = self._optimizer
        parallel = self.__dict__.get("_parallel")
        if parallel is None:
            step = self._training_step(X, optimizer)
        else:  # data-parallel (npae.parallel): same data, weights, optimizer and generator on every rank
            self._sync_ranks()
            parallel.sync_optimizer(optimizer)
            generator = parallel.generator(self._rng)
            gradient, update = self._gradient_step(X, optimizer, generator)
            step = parallel.training_step(gradient, update, net.grad, generator, net.theta, optimizer)
        validate = None
        if X_val is not None and parallel is None:
            def validate():
                return self._validation_loss(X_val)
        elif X_val is not None:  # each rank scores its block of rows; the mean is all-reduced
            X_block = X_val[parallel.block(len(X_val))]

            def validate():
                return parallel.mean_of(self._validation_loss(X_block) if len(X_block) else 0.0, len(X_block))

        save = None
        if checkpoint is not None and (parallel is None or parallel.is_root):
            def save():
                self.n_iter_ = len(self.history_["loss"])  # the file resumes after the epochs it holds
                self.save(checkpoint)

        decay = lr_decay(self)
        plateau_state = None if decay is None else plateau_history(self.history_, decay[0],
                                                                   validated=validate is not None)[:2]
        try:
            with thread_limit(self.n_threads):
                result = run_epochs(theta=net.theta, step=step, train_indices=train_idx,
                                    batch_size=self.batch_size, epochs=epochs, rng=self._rng,
                                    history=self.history_, validate=validate,
                                    early_stopping=early_stopping, patience=self.patience,
                                    optimizer=optimizer, lr_decay=decay,
                                    lr_milestones=lr_milestones(self), plateau_state=plateau_state,
                                    on_divergence=self.on_divergence, checkpoint=save,
                                    verbose=self.verbose if parallel is None or parallel.is_root else 0,
                                    first_epoch=self.n_iter_ + 1,
                                    epoch_start=self._epoch_start, snapshot=self._snapshot(net),
                                    guarded=isinstance(optimizer, Adam))
        except BaseException as error:
            # the weights were restored; the optimizer's moments may hold NaN or a half step,
            # unless a guarded step held its update back (then a stream goes on with its Adam)
            if not getattr(error, "untouched", False):
                self._optimizer = None
            self.n_iter_ = len(self.history_.get("loss", []))
            raise
        if result["diverged"] and not result["untouched"]:
            self._optimizer = None
        self.n_iter_ = len(self.history_.get("loss", []))
        return result

    # ------------------------------------------------------------ inference
    def _check_input(self, X, n_features=None):
        check_is_fitted(self)
        return self._check_data(X, self.network_.dtype,
                                n_features=self.n_features_in_ if n_features is None else n_features)

    #: whether ``_chunked`` may run on ``npae.fused_predict`` (the VAE's transform is its
    #: posterior's mean, which ``posterior`` computes on the reference path: one path for both)
    _FUSED_PREDICT = True

    def _chunked(self, X, start, stop):
        """The network's layers start:stop over X in chunks of rows (each cast to the model dtype):
        on the numba kernels where the backend is numba (``npae.fused_predict``, the same numbers
        without the temporaries), else the NumPy reference."""
        net, chunk = self.network_, PREDICT_CHUNK
        if in_memory(X):
            widest = max([net.specs[start].n_in] + [spec.n_out for spec in net.specs[start:stop]])
            chunk = max(chunk, PREDICT_CHUNK_BYTES // (widest * net.dtype.itemsize))
        if X.shape[0] > 1 and self._FUSED_PREDICT and resolve_backend(self.backend) == "numba":
            from ..fused_predict import fused_predict
            return fused_predict(net, X, start, stop, load_kernels(), chunk)
        if X.shape[0] <= chunk:
            return net.predict(np.asarray(X[0:X.shape[0]], dtype=net.dtype), start, stop)
        return np.concatenate([net.predict(np.asarray(X[i:i + chunk], dtype=net.dtype), start, stop)
                               for i in range(0, X.shape[0], chunk)])

    def transform(self, X):
        """The codes of X: the encoder's output, (n, n_features) -> (n, hidden[-1]).

        ``encode`` is the same method. No corruption is applied; rows are encoded in chunks,
        so memory stays bounded.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to encode.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The codes (n_components = ``hidden[-1]``), of the model's ``dtype``.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        DataError
            X is not valid data or has another number of features than the training data.

        See Also
        --------
        inverse_transform : Decode codes back to data space.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = Autoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(X)
        >>> Z = ae.transform(X)
        >>> Z.shape, Z.dtype
        ((1797, 2), dtype('float32'))
        """
        return self._chunked(self._check_input(X), 0, self.n_encoder_layers_)

    encode = transform

    def fit_transform(self, X, y=None, **fit_params):
        """Train on X, then return the codes of X.

        The same as fit(X) then transform(X).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training data.
        y : None
            Ignored; present for scikit-learn's API.
        **fit_params : dict
            Keyword arguments of ``fit`` (``validation_data``, ``checkpoint``, ``comm``).

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The codes of X (n_components = ``hidden[-1]``).

        See Also
        --------
        fit : Train without returning the codes.
        transform : The codes of any rows, once fitted.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> Autoencoder(hidden=(16, 2), epochs=1, random_state=0).fit_transform(X).shape
        (1797, 2)
        """
        return self.fit(X, **fit_params).transform(X)

    def inverse_transform(self, Z):
        """Decode codes: the decoder's output, (n, hidden[-1]) -> (n, n_features).

        ``decode`` is the same method. Any codes may be decoded, not only those of data
        (``sample``, ``interpolate`` and ``latent_grid`` decode codes they make).

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_components)
            Codes (n_components = ``hidden[-1]``).

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The decoded rows, of the model's ``dtype``.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        DataError
            Z is not valid data or does not have ``hidden[-1]`` columns.

        See Also
        --------
        transform : Encode data into codes.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = Autoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(X)
        >>> ae.inverse_transform(np.zeros((5, 2))).shape
        (5, 64)
        >>> bool(np.allclose(ae.inverse_transform(ae.transform(X[:5])), ae.reconstruct(X[:5]), atol=1e-5))
        True
        """
        check_is_fitted(self)
        Z = check_array(Z, dtype=self.network_.dtype, name="Z",
                        n_features=self.network_.specs[self._decoder_start].n_in)
        return self._chunked(Z, self._decoder_start, None)

    decode = inverse_transform

    def reconstruct(self, X):
        """Reconstruct X: decode(encode(X)), without corruption.

        (n, n_features) -> (n, n_features).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to reconstruct.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The reconstructions g(h(X)), of the model's ``dtype`` (in [0, 1] with a sigmoid
            output).

        Raises
        ------
        NotFittedError
            The model is not fitted.
        DataError
            X is not valid data or has another number of features than the training data.

        See Also
        --------
        reconstruction_error : The loss between X and its reconstruction.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = Autoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(X)
        >>> X_hat = ae.reconstruct(X[:4])
        >>> X_hat.shape, bool(((X_hat >= 0) & (X_hat <= 1)).all())
        ((4, 64), True)
        """
        return self._chunked(self._check_input(X), 0, None)

    def _reconstruction_losses(self, X, per_feature=False):
        """Reconstruction loss per sample (n,), or per feature of each sample (n, n_features),
        computed in float64 whatever the model's dtype, so a row's score does not depend on
        which other rows it is scored with."""
        net, out = self.network_.copy(np.float64), []
        for i in range(0, X.shape[0], PREDICT_CHUNK):
            Xc = np.asarray(X[i:i + PREDICT_CHUNK], dtype=np.float64)
            A, caches = net.forward(Xc)
            losses = elementwise_loss(self.loss_, Xc, caches[-1][1], A)
            out.append(losses if per_feature else losses.mean(axis=1))
        return np.concatenate(out)

    def reconstruction_error(self, X, per_feature=False):
        """The reconstruction loss of each sample (= -score_samples), or of each of its features.

        Same loss as training (``loss_``: mse or bce per element, then the mean over a
        row's features), without penalties or corruption. Computed in float64 whatever the
        model's dtype, so a row's error does not depend on the rows it is scored with.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to score (in [0, 1] when ``loss_`` is "bce").
        per_feature : bool, default False
            Return each feature's loss instead of each row's mean: which features a
            sample's error comes from.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_features)
            The float64 losses; higher means more unusual.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        DataError
            X is not valid data, has another number of features than the training data, or
            lies outside [0, 1] when ``loss_`` is "bce".

        See Also
        --------
        score_samples : The same, negated.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = Autoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(X)
        >>> errors = ae.reconstruction_error(X[:5])
        >>> errors.shape, errors.dtype
        ((5,), dtype('float64'))
        >>> per_feature = ae.reconstruction_error(X[:5], per_feature=True)
        >>> per_feature.shape, bool(np.allclose(per_feature.mean(axis=1), errors))
        ((5, 64), True)
        """
        X = self._check_input(X)
        if self.loss_ == "bce":
            try:
                check_array(X, dtype=None, unit_interval=True)
            except DataError as exc:
                if self.contamination is None:
                    raise
                raise DataError(f"{exc}. This detector was fitted with loss='bce', which cannot score rows "
                                "outside [0, 1], and rows outside the training range are the likely "
                                "outliers: fit it with loss='mse' (loss='auto' picks mse for a detector)") from None
        return self._reconstruction_losses(X, per_feature)

    def score_samples(self, X):
        """Per-sample NEGATIVE reconstruction loss (mean over features), shape (n,).

        Higher means more typical; penalties are not included (scikit-learn's sign
        convention for outlier scores).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to score.

        Returns
        -------
        ndarray of shape (n_samples,)
            ``-reconstruction_error(X)``, in float64.

        See Also
        --------
        reconstruction_error : The same, not negated, optionally per feature.
        decision_function : The scores minus a detector's threshold.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = Autoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(X)
        >>> scores = ae.score_samples(X[:5])
        >>> scores.shape, bool((scores <= 0).all())
        ((5,), True)
        """
        return -self.reconstruction_error(X)

    def score(self, X, y=None):
        """Mean of ``score_samples(X)``: the negative mean reconstruction loss.

        Higher is better, so scikit-learn's model selection (``GridSearchCV``) maximises it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to score.
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        float
            The mean of ``score_samples(X)``.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = Autoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(X)
        >>> score = ae.score(X)
        >>> type(score).__name__, score < 0
        ('float', True)
        """
        return float(np.mean(self.score_samples(X)))

    @available_if(lambda self: self.contamination is not None,
                  "set contamination=<expected outlier fraction> to detect outliers")
    def decision_function(self, X):
        """The score above the threshold: negative for outliers, positive for inliers.

        ``score_samples(X) - offset_``, with scikit-learn's sign convention: higher means
        more normal. Only a detector (``contamination`` set) has this method.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to score.

        Returns
        -------
        ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``; ``predict`` gives -1 where it is negative.

        Raises
        ------
        AttributeError
            The model has no ``contamination``.
        NotFittedError
            The model is not fitted, or was fitted without ``contamination``.

        See Also
        --------
        predict : The sign of the decision function, as labels.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> detector = Autoencoder(hidden=(16, 2), epochs=1, contamination=0.1, random_state=0).fit(X)
        >>> d = detector.decision_function(X)
        >>> d.shape, bool(((d < 0) == (detector.predict(X) == -1)).all())
        ((1797,), True)
        """
        offset = self.offset_  # says why there is none (not fitted, fitted without contamination)
        return self.score_samples(X) - offset

    @available_if(lambda self: self.contamination is not None,
                  "set contamination=<expected outlier fraction> to detect outliers")
    def predict(self, X):
        """+1 for inliers, -1 for outliers (reconstruction error above ``threshold_``). Shape (n,).

        Only a detector (``contamination`` set) has this method. With ``novelty=True`` about
        ``contamination`` of new normal rows are flagged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to label.

        Returns
        -------
        ndarray of shape (n_samples,)
            +1 where ``decision_function(X) >= 0``, else -1.

        Raises
        ------
        AttributeError
            The model has no ``contamination``.
        NotFittedError
            The model is not fitted, or was fitted without ``contamination``.

        See Also
        --------
        decision_function : The scores minus the threshold, whose sign this gives.
        fit_predict : Fit and label the training rows (``novelty=False``).

        Examples
        --------
        >>> import numpy as np
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> detector = Autoencoder(hidden=(16, 2), epochs=1, contamination=0.1, random_state=0).fit(X)
        >>> labels = detector.predict(X)
        >>> labels.shape, sorted(np.unique(labels).tolist())
        ((1797,), [-1, 1])
        >>> hasattr(Autoencoder(), "predict")
        False
        """
        return np.where(self.decision_function(X) >= 0, 1, -1)

    @available_if(lambda self: self.contamination is not None and not self.novelty,
                  "it needs contamination=<expected outlier fraction> and novelty=False (with novelty=True, "
                  "the default, the threshold is taken on held-out rows for new data, so fit(X).predict(X) "
                  "flags fewer than contamination of X; novelty=False takes it on X itself)")
    def fit_predict(self, X, y=None):
        """Train on X, then label its rows: the ``contamination`` fraction of X is -1.

        The same as fit(X) then predict(X), with novelty=False. Only a detector with
        ``novelty=False`` has this method: with ``novelty=True`` the threshold is taken on
        held-out rows, for new data, so it would flag fewer than ``contamination`` of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training data, to label.
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        ndarray of shape (n_samples,)
            +1 for the inliers of X, -1 for its outliers.

        Raises
        ------
        AttributeError
            The model has no ``contamination``, or has ``novelty=True``.

        See Also
        --------
        fit : Train, taking the threshold on X itself when ``novelty=False``.
        predict : Label other rows with the same threshold.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> detector = Autoencoder(hidden=(16, 2), epochs=1, contamination=0.1, novelty=False, random_state=0)
        >>> labels = detector.fit_predict(X)
        >>> labels.shape, int((labels == -1).sum())
        ((1797,), 180)
        """
        return self.fit(X).predict(X)

    # ------------------------------------------------------------ weights
    def get_weights(self):
        """Return copies of ``[W1, b1, W2, b2, ...]``: encoder layers, then decoder layers.

        A tied decoder layer contributes only its bias. Each layer computes
        ``A = f(X @ W + b)``.

        Returns
        -------
        list of ndarray
            Each weight W of shape (n_in, n_out) followed by its bias b of shape (n_out,),
            of the model's ``dtype``; changing them does not change the model.

        Raises
        ------
        NotFittedError
            The model is not fitted.

        See Also
        --------
        set_weights : Set them back, in the same layout.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = Autoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(X)
        >>> [w.shape for w in ae.get_weights()]
        [(64, 16), (16,), (16, 2), (2,), (2, 16), (16,), (16, 64), (64,)]
        >>> tied = Autoencoder(hidden=(16, 2), tied=True, epochs=1, random_state=0).fit(X)
        >>> [w.shape for w in tied.get_weights()]
        [(64, 16), (16,), (16, 2), (2,), (16,), (64,)]
        """
        check_is_fitted(self)
        return [p.copy() for p in self.network_.params()]

    def set_weights(self, weights):
        """Set parameters from a list in ``get_weights`` layout (shapes must match).

        The values are copied into the model, converted to its ``dtype``.

        Parameters
        ----------
        weights : list of array-like
            As many arrays as ``get_weights`` returns, each of the same shape, all finite.

        Returns
        -------
        Autoencoder
            The model itself (``self``), with the new weights.

        Raises
        ------
        NotFittedError
            The model is not fitted (fit it, even for one epoch, to build the layers).
        DataError
            The number of arrays or a shape does not match, or an array holds NaN or
            infinity (the model is then left unchanged).

        See Also
        --------
        get_weights : The current weights, in the layout expected here.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = Autoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(X)
        >>> zeros = [np.zeros_like(w) for w in ae.get_weights()]
        >>> ae.set_weights(zeros) is ae
        True
        >>> ae.transform(X[:2]).tolist()
        [[0.5, 0.5], [0.5, 0.5]]
        """
        check_is_fitted(self)
        params = self.network_.params()
        weights = list(weights)
        if len(weights) != len(params):
            raise DataError(f"set_weights needs {len(params)} arrays "
                            f"({', '.join(self.network_.param_names)}); got {len(weights)}")
        for name, p, w in zip(self.network_.param_names, params, weights):
            w = np.asarray(w)
            if w.shape != p.shape:
                raise DataError(f"set_weights: {name} must have shape {p.shape}; got {w.shape}")
            if not np.all(np.isfinite(w)):
                raise DataError(f"set_weights: {name} contains NaN or infinite values")
        self._describe_now()  # partial_fit's statistics belong to the weights it left
        for p, w in zip(params, weights):
            p[...] = w
        return self

    # ------------------------------------------------------------ gradcheck, io
    def _gradcheck_problem(self, X, noise_seed=0):
        """Float64 copy of the model's loss at X for ``npae.gradcheck``. Every random
        draw (corruption, stochastic contractive noise) is re-made from ``noise_seed``
        at each evaluation, so it is the same at every perturbed point. The "input"
        is the clean X before corruption; the target stays X."""
        X = check_array(X, dtype=np.float64)
        if hasattr(self, "network_"):
            X = check_array(X, dtype=np.float64, n_features=self.n_features_in_)
            model = self
            net = self.network_.copy(np.float64)
        else:
            hidden, _ = self._validate_params()
            model = type(self)(**self.get_params(deep=False))
            model._initialize(X, hidden, np.float64)
            net = model.network_
        objective = model._objective()
        X_in = X.copy()

        def evaluate():
            rng = np.random.default_rng(noise_seed)
            X_tilde, keep = X_in, None
            if self.corruption is not None:
                X_tilde, keep = corrupt(X_in, self.corruption, self.noise, rng, model.data_range_)
            loss, _, dX = autoencoder_objective(net, X_tilde, X, objective, rng, need_dX=True)
            grads = {name: net.grad_of(name).copy() for name in net.param_names}
            grads["input"] = dX if keep is None else dX * keep
            return loss, grads

        arrays = {name: net.param(name) for name in net.param_names}
        if not callable(self.corruption):
            arrays["input"] = X_in
        return GradcheckProblem(arrays, evaluate)

    _FILE_META = ("loss_", "output_activation_", "n_features_in_", "n_iter_", "history_", "backend_",
                  "data_range_", "offset_", "code_statistics")
    # saved as arrays beside the weights (format 2): as JSON a 1000-unit code's covariance
    # was 24 million characters, over the metadata's limit, and the file did not load
    _CODE_STATISTICS = ("code_mean_", "code_cov_", "code_min_", "code_max_")
    #: what _describe_training_data sets (partial_fit computes them when first read)
    _DESCRIBED = _CODE_STATISTICS + ("calibration_scores_",)
    #: the number of calibration_scores_, saved as an array beside the weights (a detector's
    #: threshold for any contamination); files written before they were kept lack the key
    #: and load with their offset_ for their own contamination only
    _OPTIONAL_FILE_META = ("calibration_scores",)

    def _file_meta(self):
        check_is_fitted(self)
        self._describe_now()
        meta = {name: getattr(self, name, None) for name in self._FILE_META if name != "code_statistics"}
        meta["code_statistics"] = hasattr(self, "code_mean_")  # False in a checkpoint written during fit
        scores = self.__dict__.get("calibration_scores_")
        meta["calibration_scores"] = None if scores is None else len(scores)
        return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in meta.items()}

    def _from_file_meta(self, meta, max_params):
        """Rebuild the fitted structure (weights zero) from saved metadata, checking it."""
        hidden, dtype = self._validate_params()
        check_keys("metadata", meta, self._FILE_META, optional=self._OPTIONAL_FILE_META)
        check_option("loss_", meta["loss_"], _LOSS_OPTIONS - {"auto"})
        check_option("output_activation_", meta["output_activation_"], ACTIVATIONS)
        check_number("n_features_in_", meta["n_features_in_"], low=1, integer=True)
        check_number("n_iter_", meta["n_iter_"], low=0, integer=True)
        history = history_from_file("history_", meta["history_"])
        self.loss_, self.output_activation_ = meta["loss_"], meta["output_activation_"]
        if self.loss_ == "bce" and self.output_activation_ != "sigmoid":
            raise DataError("loss_='bce' needs output_activation_='sigmoid'")
        self.n_features_in_, self.n_iter_ = meta["n_features_in_"], meta["n_iter_"]
        self.history_ = history
        self.backend_ = check_option("backend_", meta["backend_"], {"numpy", "numba"})
        low, high = (float(v) for v in meta["data_range_"])
        if not (np.isfinite(low) and np.isfinite(high) and low <= high):
            raise DataError(f"data_range_ {meta['data_range_']!r} is not a finite [low, high]")
        self.data_range_ = (low, high)
        code = hidden[-1]
        if not isinstance(meta["code_statistics"], bool):
            raise DataError("code_statistics must be true or false")
        n_scores = meta.get("calibration_scores")
        if n_scores is not None:
            check_number("calibration_scores", n_scores, low=1, integer=True)
        if meta["offset_"] is not None:
            if self.contamination is None:
                raise DataError("offset_ is stored, but the model has no contamination")
            offset = float(check_number("offset_", meta["offset_"]))
            if n_scores is None:  # a file from before the scores were kept: this contamination's offset_ only
                self._saved_offset = (self.contamination, offset)
        specs = self._specs(self.n_features_in_, hidden)
        statistics = ((code,), (code, code), (code,), (code,)) if meta["code_statistics"] else ()
        described = (count_params(specs) + sum(int(np.prod(shape)) for shape in statistics)
                     + (n_scores or 0))
        if described > max_params:  # checked before allocating anything of that size
            raise DataError(f"the hyper-parameters describe {described} numbers, the file holds {max_params}")
        for name, shape in zip(self._CODE_STATISTICS, statistics):
            setattr(self, name, np.zeros(shape))  # filled from the file's arrays (whose shapes load checks)
        if n_scores is not None:
            self.calibration_scores_ = np.zeros(n_scores)  # offset_ follows from them, as after fit
        self._rng = check_random_state(self.random_state)
        self.network_ = Network(specs, dtype=dtype)
        self._optimizer = None

    def _file_arrays(self):
        arrays = dict(zip(self.network_.param_names, self.network_.params()))
        if hasattr(self, "code_mean_"):
            arrays.update({name: getattr(self, name) for name in self._CODE_STATISTICS})
        if "calibration_scores_" in self.__dict__:
            arrays["calibration_scores_"] = self.calibration_scores_
        return arrays

    def save(self, path):
        """Save the fitted model to ``path`` (.npz; see ``npae.load``).

        The file holds the class, every hyper-parameter, the fitted metadata and the weight
        arrays (and a detector's ``calibration_scores_``); it is written to a temporary file
        that then replaces ``path``, so a crash never leaves a half-written model.
        ``npae.load`` reads it back without executing anything from it.

        Parameters
        ----------
        path : str or path-like
            The file to write, used as given (no ".npz" is appended).

        Raises
        ------
        NotFittedError
            The model is not fitted.

        See Also
        --------
        npae.load : Read a saved model back.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> import npae
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = npae.Autoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(X)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "model.npz")
        ...     ae.save(path)
        ...     loaded = npae.load(path)
        >>> type(loaded).__name__, bool(np.array_equal(loaded.transform(X), ae.transform(X)))
        ('Autoencoder', True)
        """
        from ..io import save
        save(self, path)
