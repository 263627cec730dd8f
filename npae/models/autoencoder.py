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
from ..optim import make_optimizer
from ..corruption import CORRUPTIONS, corrupt
from ..penalties import SPARSITY
from ..training import (gather_rows, lr_decay, lr_milestones, plateau_history, run_epochs, split_validation,
                        starting_rate)
from ..validation import (check_array, check_is_fitted, check_keys, check_number, check_option,
                          check_random_state, check_training_options, data_range, feature_names,
                          history_from_file)
from .base import BaseEstimator, available_if
from .latent import LatentMixin, code_statistics

#: Rows per chunk in transform / reconstruct / score_samples (bounds their memory).
PREDICT_CHUNK = 1024

#: The fraction of X a novelty detector holds out for its threshold when given neither
#: ``validation_fraction`` nor ``validation_data`` (see ``Autoencoder.fit``).
DETECTOR_HOLDOUT = 0.2

#: offset_ sits this far (relative) below the quantile of the kept scores. A kept row's score can
#: BE the quantile (the lowest of a small hold-out, or an order statistic hit exactly), and float64
#: products round a row's score differently by ~1e-15 with how many rows are scored together:
#: without the margin such a row flips between +1 and -1 from one predict call to another.
THRESHOLD_MARGIN = 1e-9


_LOSS_OPTIONS = {"auto", *LOSSES} - {"softmax_cross_entropy"}


class Autoencoder(LatentMixin, BaseEstimator):
    """A dense autoencoder trained by backpropagation on NumPy.

    ``hidden``: encoder widths, the last is the code size; the decoder mirrors them.
    ``loss="auto"``: binary cross-entropy with a sigmoid output when the training
    data lie in [0, 1], else mean squared error with a linear output (``loss_``
    and ``output_activation_`` record the choice); a detector (``contamination``
    set) always resolves it to mean squared error. See the README for every option.

    ``contamination``: the share of new normal rows to flag as outliers (predict,
    decision_function); ``novelty=True`` takes that threshold on rows held out of
    training (``validation_fraction``, ``validation_data``, else ``DETECTOR_HOLDOUT``
    of X), ``novelty=False`` on X itself (fit_predict).

    Fitted attributes: ``network_`` (the layers over one flat ``theta``),
    ``loss_``, ``output_activation_``, ``n_features_in_``, ``history_`` (per-epoch
    lists: ``loss``, ``reconstruction``, ``val_loss``, ``seconds``), ``n_iter_``
    (epochs run), ``backend_``; a detector's ``calibration_scores_`` (score_samples of
    the rows its threshold is taken from), ``offset_`` and ``threshold_`` (computed
    from them for the current contamination).
    """

    def __init__(self, hidden=(256, 64), activation="sigmoid", code_activation=None,
                 output_activation="auto", loss="auto", tied=False, corruption=None, noise=0.0,
                 contractive=0.0, contractive_mode="analytic", contractive_noise=0.1,
                 sparsity=0.0, sparsity_target=0.05, sparsity_mode="kl", weight_decay=0.0, optimizer="adam", learning_rate=1e-3, momentum=0.9,
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
        check_number("sparsity_target", self.sparsity_target, low=0.0, high=1.0, low_open=True, high_open=True)
        code_activation = self.code_activation or self.activation
        if self.sparsity and self.sparsity_mode == "kl" and ACTIVATION_RANGES.get(code_activation) != (0.0, 1.0):
            raise ParameterError(
                f"sparsity_mode='kl' compares mean code activations with a target in (0, 1), so the code "
                f"layer needs outputs in (0, 1) (code_activation='sigmoid'); got {code_activation!r}. "
                "Use sparsity_mode='l1' for other activations")

    def _objective(self):
        return Objective(self.loss_, self.weight_decay, self.contractive, self.contractive_mode,
                         self.contractive_noise, self.sparsity, self.sparsity_mode, self.sparsity_target)

    def _check_data(self, X, dtype, name="X", n_features=None, unit_interval=False):
        """Validate X once. A memmap keeps its dtype and is never copied (rows are
        converted batch by batch); anything else becomes one array of ``dtype``."""
        keep = isinstance(X, np.memmap)
        return check_array(X, dtype=None if keep else dtype, name=name, n_features=n_features,
                           unit_interval=unit_interval, estimator=type(self).__name__)

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
        for stale in ("feature_names_in_", "calibration_scores_", "_saved_offset") + self._CODE_STATISTICS:  # earlier fit
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
        """Layers 0 .. n_encoder_layers_ - 1 map X to the code (transform)."""
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
        """Train on X (n_samples, n_features) from a fresh initialisation; y is ignored.

        ``validation_data``: held-out X_val (or a tuple whose first item is X_val)
        for ``val_loss`` and early stopping; otherwise ``validation_fraction`` of X
        is held out. ``checkpoint``: a path to save the best model to after each
        improving epoch. ``comm``: an mpi4py communicator to train data-parallel on
        its ranks, every rank passing the same data (``npae.parallel``). Returns self."""
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
        taken from, of ``calibration`` (default X) (in ``n_threads``, as training is)."""
        with thread_limit(self.n_threads):
            self._set_code_statistics(X)
            if self.contamination is not None:
                self._set_threshold(X if calibration is None else calibration)

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
        """The score_samples below which a sample is an outlier: the ``contamination`` quantile
        of ``calibration_scores_`` (computed for the current contamination, so set_params
        re-thresholds a fitted model). decision_function(X) = score_samples(X) - offset_.

        With ``novelty=True`` it is the quantile for a NEW row (numpy's "weibull" method: the
        k-th of n held-out scores has a new row below it with probability k / (n + 1)), so on
        new inliers about ``contamination`` of them are flagged even from a small hold-out
        (numpy's default, "linear", flags 12% for 7% from 16 rows); with ``novelty=False`` it
        is the quantile of the rows themselves, so fit_predict flags that share of X. It sits
        ``THRESHOLD_MARGIN`` (relative) below the quantile, so a kept row on it is an inlier
        whichever rows it is scored with."""
        check_is_fitted(self)
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
        """-offset_: the reconstruction error above which a sample is an outlier."""
        return -self.offset_

    def partial_fit(self, X, y=None, *, comm=None):
        """One pass over X in minibatches (initialising the model on the first call). The code
        statistics and, with ``contamination``, ``calibration_scores_`` (hence ``offset_`` and
        ``threshold_``) are then those of this X, after the pass (as scikit-learn's online outlier
        detectors update their offset). ``comm``: as in ``fit``."""
        if comm is not None:
            from ..parallel import run_parallel
            return run_parallel(self, comm, self.partial_fit, X, y)
        hidden, dtype = self._validate_params()
        if not hasattr(self, "network_"):
            X = self._check_data(X, dtype)
            self._initialize(X, hidden, dtype)
        else:
            X = self._check_data(X, self.network_.dtype, n_features=self.n_features_in_,
                                 unit_interval=self._needs_unit_interval())
        self._train(X, np.arange(X.shape[0]), None, 1)
        self._describe_training_data(X)
        return self

    def _fused_step(self, optimizer, rng):
        """The fused numba step where the backend and the objective allow it, else None; sets
        ``backend_`` to the one chosen."""
        objective, fused = self._objective(), None
        if resolve_backend(self.backend) == "numba" and FusedStep.supports(objective, self.corruption):
            fused = FusedStep(self.network_, objective, optimizer, self.corruption, self.noise, self.data_range_,
                              rng, load_kernels())
        self.backend_ = "numba" if fused is not None else "numpy"
        return fused

    def _training_step(self, X, optimizer):
        """``step(rows) -> (loss, parts)``: one optimizer step on rows ``rows`` of X, on the
        fused numba step where it supports the objective, else on the reference objective;
        sets ``backend_`` to the one chosen."""
        net, objective, rng = self.network_, self._objective(), self._rng
        corruption, noise, data_range = self.corruption, self.noise, self.data_range_
        fused = self._fused_step(optimizer, rng)
        if fused is not None:
            return lambda rows: fused(X, rows)

        def step(rows):
            Xb = gather_rows(X, rows).astype(net.dtype, copy=False)
            X_in = Xb if corruption is None else corrupt(Xb, corruption, noise, rng, data_range)[0]
            loss, parts, _ = autoencoder_objective(net, X_in, Xb, objective, rng)
            optimizer.step(net.theta, net.grad)
            return loss, parts

        return step

    def _gradient_step(self, X, optimizer, rng):
        """The two halves of a data-parallel step (``npae.parallel``), between which the
        ranks all-reduce: ``gradient(rows) -> (loss, parts)`` fills ``net.grad`` with the
        gradient of the mean loss over rows ``rows`` of X, drawing its noise from ``rng``
        (with no rows it makes only the step's draws), and ``update(grad)`` applies the
        optimizer. The same arithmetic as ``_training_step``, split."""
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
                if stochastic:
                    rng.standard_normal(Xb.shape, dtype=Xb.dtype)
                return 0.0, {}
            loss, parts, _ = autoencoder_objective(net, X_in, Xb, objective, rng)
            return loss, parts

        return gradient, lambda grad: optimizer.step(net.theta, grad)

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
            step = parallel.training_step(gradient, update, net.grad, generator)
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
                                    epoch_start=self._epoch_start)
        except BaseException:
            # the weights were restored; the optimizer's moments may hold NaN or a half step
            self._optimizer = None
            self.n_iter_ = len(self.history_.get("loss", []))
            raise
        if result["diverged"]:
            self._optimizer = None
        self.n_iter_ = len(self.history_.get("loss", []))
        return result

    # ------------------------------------------------------------ inference
    def _check_input(self, X, n_features=None):
        check_is_fitted(self)
        return self._check_data(X, self.network_.dtype,
                                n_features=self.n_features_in_ if n_features is None else n_features)

    def _chunked(self, X, start, stop):
        """The network's layers start:stop over X in chunks of rows (each cast to the model dtype)."""
        net = self.network_
        if X.shape[0] <= PREDICT_CHUNK:
            return net.predict(np.asarray(X, dtype=net.dtype), start, stop)
        return np.concatenate([net.predict(np.asarray(X[i:i + PREDICT_CHUNK], dtype=net.dtype), start, stop)
                               for i in range(0, X.shape[0], PREDICT_CHUNK)])

    def transform(self, X):
        """Codes of X: (n, n_features) -> (n, hidden[-1])."""
        return self._chunked(self._check_input(X), 0, self.n_encoder_layers_)

    encode = transform

    def fit_transform(self, X, y=None, **fit_params):
        """fit(X) then transform(X)."""
        return self.fit(X, **fit_params).transform(X)

    def inverse_transform(self, Z):
        """Decode codes: (n, hidden[-1]) -> (n, n_features)."""
        check_is_fitted(self)
        Z = check_array(Z, dtype=self.network_.dtype, name="Z",
                        n_features=self.network_.specs[self._decoder_start].n_in)
        return self._chunked(Z, self._decoder_start, None)

    decode = inverse_transform

    def reconstruct(self, X):
        """decode(encode(X)), without corruption: (n, n_features) -> (n, n_features)."""
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
        """The reconstruction loss of each sample, shape (n,) (= -score_samples), or with
        ``per_feature=True`` of each feature of each sample, shape (n, n_features): which
        features a sample's error comes from. Same loss as training (mse or bce per element)."""
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
        Higher means more typical; penalties are not included."""
        return -self.reconstruction_error(X)

    def score(self, X, y=None):
        """Mean of ``score_samples(X)``: the negative mean reconstruction loss."""
        return float(np.mean(self.score_samples(X)))

    @available_if(lambda self: self.contamination is not None,
                  "set contamination=<expected outlier fraction> to detect outliers")
    def decision_function(self, X):
        """score_samples(X) - offset_: negative for outliers, positive for inliers (scikit-learn's
        sign convention: higher means more normal). Shape (n,)."""
        offset = self.offset_  # says why there is none (not fitted, fitted without contamination)
        return self.score_samples(X) - offset

    @available_if(lambda self: self.contamination is not None,
                  "set contamination=<expected outlier fraction> to detect outliers")
    def predict(self, X):
        """+1 for inliers, -1 for outliers (reconstruction error above threshold_). Shape (n,)."""
        return np.where(self.decision_function(X) >= 0, 1, -1)

    @available_if(lambda self: self.contamination is not None and not self.novelty,
                  "it needs contamination=<expected outlier fraction> and novelty=False (with novelty=True, "
                  "the default, the threshold is taken on held-out rows for new data, so fit(X).predict(X) "
                  "flags fewer than contamination of X; novelty=False takes it on X itself)")
    def fit_predict(self, X, y=None):
        """fit(X) then predict(X): with novelty=False, the ``contamination`` fraction of X is -1."""
        return self.fit(X).predict(X)

    # ------------------------------------------------------------ weights
    def get_weights(self):
        """Copies of ``[W1, b1, W2, b2, ...]``: encoder layers, then decoder layers;
        a tied decoder layer contributes only its bias. W has shape (n_in, n_out)."""
        check_is_fitted(self)
        return [p.copy() for p in self.network_.params()]

    def set_weights(self, weights):
        """Set parameters from a list in ``get_weights`` layout (shapes must match)."""
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
    #: the number of calibration_scores_, saved as an array beside the weights (a detector's
    #: threshold for any contamination); files written before they were kept lack the key
    #: and load with their offset_ for their own contamination only
    _OPTIONAL_FILE_META = ("calibration_scores",)

    def _file_meta(self):
        check_is_fitted(self)
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
        """Save the fitted model to ``path`` (.npz; see ``npae.load``)."""
        from ..io import save
        save(self, path)
