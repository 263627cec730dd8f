"""``Classifier``: a softmax classifier head, optionally on a pretrained encoder.

The network is the encoder's layers (copied from a fitted autoencoder, or none),
then ``hidden`` Dense layers, then a linear output layer with one unit per class,
trained on the softmax cross-entropy

    L = -mean_i log softmax(z_i)[y_i]   (+ weight_decay / 2 * sum ||W||^2).

``freeze_encoder=True`` keeps the encoder's weights fixed: the codes are computed
once (for data in a file, as each minibatch reads its rows) and only the head is
trained; with ``hidden=()`` that is a linear probe
(multinomial logistic regression on the codes). Otherwise the whole network is
fine-tuned end to end, starting from the encoder's weights.
"""

import numbers
import warnings

import numpy as np

from ..activations import ACTIVATIONS
from ..backend import BACKENDS, load_kernels, resolve_backend, thread_limit
from ..errors import DataError, ParameterError, data_conversion_warning
from ..fused_step import FusedStep
from ..gradcheck import GradcheckProblem
from ..losses import softmax, softmax_cross_entropy, softmax_cross_entropy_per_sample
from ..network import LayerSpec, Network, count_params
from ..objectives import Objective, classifier_objective
from ..optim import Adam, make_optimizer
from ..training import gather_rows, lr_decay, lr_milestones, run_epochs, split_validation, step_of
from ..validation import (check_array, check_is_fitted, check_keys, check_number, check_option, check_random_state,
                          check_rows, check_training_options, feature_names, history_from_file, in_memory)
from .autoencoder import PREDICT_CHUNK, Autoencoder
from .base import BaseEstimator
from .encoded_rows import EncodedRows


def predict_in_chunks(net, X, prepare=None):
    """net's output on X, PREDICT_CHUNK rows at a time (each chunk passed through ``prepare``
    first, if given), so memory stays bounded for large or memory-mapped X."""
    prepare = prepare or (lambda chunk: chunk)
    return np.concatenate([net.predict(prepare(X[i:i + PREDICT_CHUNK]))
                           for i in range(0, X.shape[0], PREDICT_CHUNK)])


def check_labels(y, n_samples, name="y"):
    """y as a 1-D array of n_samples class labels (a column vector is raveled, with a warning)."""
    if y is None:
        raise DataError(f"Classifier requires {name} to be passed, but the target {name} is None")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn("A column-vector y was passed when a 1d array was expected; using y.ravel()",
                      data_conversion_warning(), stacklevel=3)
        y = y.ravel()
    if y.ndim != 1 or len(y) != n_samples:
        raise DataError(f"{name} must be 1-D with one label per row of X ({n_samples}); got shape {y.shape}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)) or y.dtype.kind == "f" and np.any(y != np.round(y)):
        raise DataError(f"Unknown label type: continuous. {name} holds non-integer numbers; a classifier needs "
                        "class labels (use an autoencoder or a regressor for continuous targets)")
    if y.dtype.kind == "O":
        kinds = {str if isinstance(v, str) else int if isinstance(v, (int, np.integer)) else None for v in y}
        if None in kinds:
            raise DataError(f"Unknown label type: {name} holds objects that are neither strings nor integers")
        if len(kinds) > 1:
            raise DataError(f"{name} mixes strings and integers; pass labels of one type (e.g. all strings: "
                            "np.asarray(y).astype(str))")
        if y.size:  # as a plain array: object integers and int64 ones are the same labels
            y = y.astype(str if kinds == {str} else np.int64)
    return y


def label_indices(classes, y, name):
    """The position of each label of ``y`` in ``classes`` (sorted), or a DataError naming the
    labels ``classes`` does not hold."""
    if (y.dtype.kind in "OUS") != (classes.dtype.kind in "OUS"):
        raise DataError(f"{name} holds labels of dtype {y.dtype}, the training y of dtype {classes.dtype}; "
                        "pass labels of the same kind (strings or integers)")
    index = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    unknown = classes[index] != y
    if np.any(unknown):
        raise DataError(f"{name} has labels the training y does not: {np.unique(y[unknown])[:10].tolist()}; "
                        f"the classes are {classes.tolist()}")
    return index


class Classifier(BaseEstimator):
    """Softmax classifier, optionally on a pretrained encoder, trained by backpropagation.

    scikit-learn style: ``fit(X, y)``, ``predict``, ``predict_proba``, ``score``
    (accuracy), ``classes_``. The network is the encoder layers of ``encoder`` (if
    given), then ``hidden`` Dense layers, then a linear output layer with one unit per
    class, trained on the softmax cross-entropy

        L = -mean_i log softmax(z_i)[y_i]   (+ weight_decay / 2 * sum ||W||^2).

    Defaults: Adam at learning rate 1e-2 for 100 epochs (a softmax head converges
    slowly at Adam's usual 1e-3; lower it when fine-tuning a large pretrained encoder).

    Parameters
    ----------
    hidden : int or tuple of int, default ()
        Widths of the Dense layers between the encoder (or the input) and the output
        layer; () for none.
    encoder : Autoencoder or None, default None
        A fitted ``Autoencoder``, ``StackedAutoencoder`` or ``VariationalAutoencoder``
        whose encoder layers (a VAE's: the trunk and the mean head) start the network,
        copied with their weights; the encoder itself is never modified. None: the
        network starts at the input.
    freeze_encoder : bool, default False
        True: the encoder's weights stay fixed, its codes are computed once (for data in
        a file: as each minibatch reads its rows) and only the layers after it are
        trained (with ``hidden=()``, a linear probe: multinomial logistic regression on
        the codes). False: the whole network is fine-tuned end to
        end, starting from the encoder's weights. No effect without ``encoder``.
    activation : {"relu", "sigmoid", "tanh", "leaky_relu", "elu", "softplus", "linear"}, \
default "relu"
        The activation of the ``hidden`` layers (the output layer is linear).
    weight_decay : float, default 0.0
        L2 penalty weight_decay / 2 * sum ||W||^2 over the trainable weight matrices (not
        the biases), added to the loss.
    optimizer : {"adam", "sgd"}, default "adam"
        Adam, or stochastic gradient descent with ``momentum`` (PyTorch's update rules).
    learning_rate : float, default 1e-2
        The optimizer's (initial) step size.
    momentum : float, default 0.9
        SGD's momentum, in [0, 1); ignored by Adam.
    nesterov : bool, default False
        SGD with Nesterov momentum; ignored by Adam.
    batch_size : int, default 128
        Rows per minibatch (the last one of an epoch may be smaller).
    epochs : int, default 100
        Passes over the training rows.
    early_stopping : bool, default False
        Stop when the validation error has not improved for ``patience`` epochs and
        restore the best epoch's weights; without ``validation_data`` or
        ``validation_fraction``, 10% of X is held out.
    patience : int, default 5
        Epochs without improvement before early stopping.
    lr_decay_patience : int or None, default None
        Multiply the learning rate by ``lr_decay_factor`` after this many epochs without
        improvement of the validation error (the training loss without validation).
        Exclusive with ``lr_decay_epochs``.
    lr_decay_factor : float, default 0.1
        The factor, in (0, 1), of either learning-rate schedule.
    lr_decay_epochs : sequence of int or None, default None
        Increasing epoch numbers after which the learning rate is multiplied by
        ``lr_decay_factor``, e.g. (30, 60).
    validation_fraction : float, default 0.0
        The fraction of X held out (seeded) for ``val_loss`` and ``val_error``; ignored
        when ``fit`` is given ``validation_data``.
    on_divergence : {"raise", "warn"}, default "raise"
        When the loss becomes NaN or infinite, the last good epoch's weights are
        restored, then a ``DivergenceError`` is raised, or a ``RuntimeWarning`` issued
        and training stops.
    random_state : int, numpy.random.Generator or None, default None
        Seeds the initial weights, the validation split and the minibatch order.
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
        0 silent; 1 one line per epoch; 2 also a progress bar within each epoch (on a
        terminal).

    Attributes
    ----------
    network_ : Network
        The trainable layers over one flat ``theta``: the encoder's layers unless
        frozen, the ``hidden`` layers, then the output layer.
    encoder_network_ : Network or None
        The frozen encoder (``freeze_encoder=True`` with an ``encoder``), else None.
    classes_ : ndarray of shape (n_classes,)
        The sorted class labels seen in ``fit``.
    n_features_in_ : int
        The number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        The column names of X, when ``fit`` was given a DataFrame with string column
        names; otherwise absent.
    history_ : dict of lists
        Per epoch: ``loss`` (the training loss, penalty included), ``cross_entropy``,
        ``weight_decay`` (when set), ``val_loss`` and ``val_error`` (with validation),
        ``learning_rate`` (with a schedule), ``seconds``.
    n_iter_ : int
        The number of epochs run.
    backend_ : {"numba", "numpy"}
        The training step that ran.

    See Also
    --------
    Autoencoder : Learns the encoder that ``encoder`` takes.
    StackedAutoencoder : Greedy layer-wise pretraining of a deep encoder.

    Examples
    --------
    >>> from npae import Autoencoder, Classifier
    >>> from npae.datasets import load_digits
    >>> X, y = load_digits()
    >>> clf = Classifier(epochs=2, random_state=0).fit(X, y)
    >>> clf.classes_.tolist()
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    >>> clf.predict_proba(X[:3]).shape
    (3, 10)

    A linear probe on a pretrained encoder's codes:

    >>> ae = Autoencoder(hidden=(16,), epochs=1, random_state=0).fit(X)
    >>> probe = Classifier(encoder=ae, freeze_encoder=True, epochs=2, random_state=0).fit(X, y)
    >>> probe.encoder_network_ is not None, probe.predict(X[:3]).shape
    (True, (3,))
    """

    def __init__(self, hidden=(), encoder=None, freeze_encoder=False, activation="relu",
                 weight_decay=0.0, optimizer="adam", learning_rate=1e-2, momentum=0.9, nesterov=False,
                 batch_size=128, epochs=100, early_stopping=False, patience=5, lr_decay_patience=None,
                 lr_decay_factor=0.1, lr_decay_epochs=None, validation_fraction=0.0,
                 on_divergence="raise", random_state=None, dtype="float32", backend="auto", n_threads=None,
                 verbose=0):
        self.hidden = hidden
        self.encoder = encoder
        self.freeze_encoder = freeze_encoder
        self.activation = activation
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
        self.dtype = dtype
        self.backend = backend
        self.n_threads = n_threads
        self.verbose = verbose

    # ------------------------------------------------------------ validation
    def _validate_params(self):
        try:
            hidden = (self.hidden,) if isinstance(self.hidden, numbers.Integral) else tuple(self.hidden)
        except TypeError:  # not a sequence: refused below with the same message
            hidden = (None,)
        if any(isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1 for h in hidden):
            raise ParameterError(f"hidden must be a sequence of positive integers (may be empty); got {self.hidden!r}")
        check_option("activation", self.activation, ACTIVATIONS)
        if self.encoder is not None:
            if not isinstance(self.encoder, Autoencoder):
                raise ParameterError(f"encoder must be a fitted Autoencoder, StackedAutoencoder or VariationalAutoencoder (or None); "
                                     f"got {type(self.encoder).__name__}")
            if not hasattr(self.encoder, "n_encoder_layers_"):
                raise ParameterError(f"encoder is a {type(self.encoder).__name__} that is not fitted: fit it "
                                     "first (scikit-learn's clone, as in GridSearchCV or cross_val_score, "
                                     "returns unfitted copies of it)")
        check_option("backend", self.backend, set(BACKENDS))
        if self.freeze_encoder not in (True, False):
            raise ParameterError(f"freeze_encoder must be True or False; got {self.freeze_encoder!r}")
        return tuple(int(h) for h in hidden), check_training_options(self)

    # ------------------------------------------------------------ building
    def _build(self, n_features, hidden, n_classes, dtype, rng):
        """encoder_network_ (frozen) and network_ (trainable), the latter initialised."""
        encoder_specs, encoder_theta = [], None
        if self.encoder is not None:
            source = self.encoder.network_
            n_enc = self.encoder.n_encoder_layers_
            encoder_specs = [LayerSpec(s.name, s.n_in, s.n_out, s.activation) for s in source.specs[:n_enc]]
            if encoder_specs[0].n_in != n_features:
                raise DataError(f"X has {n_features} features, but the encoder expects {encoder_specs[0].n_in}")
            # the parameters of exactly those layers (a VAE's encoder ends at its mean head; its
            # log-variance head, also named encoder.*, is not part of the posterior-mean encoder)
            names = {f"{s.name}.{p}" for s in encoder_specs for p in "Wb"}
            encoder_theta = [p for name, p in zip(source.param_names, source.params()) if name in names]
        width = encoder_specs[-1].n_out if encoder_specs else n_features
        head = []
        for k, h in enumerate(hidden):
            head.append(LayerSpec(f"hidden.{k}", width, h, self.activation))
            width = h
        head.append(LayerSpec("output", width, n_classes, "linear"))
        self.encoder_network_ = None
        if self.freeze_encoder and encoder_specs:
            self.encoder_network_ = Network(encoder_specs, dtype=dtype)
            self.network_ = Network(head, dtype=dtype)
            self.network_.init_params(rng)
            target = self.encoder_network_
        else:
            self.network_ = Network(encoder_specs + head, dtype=dtype)
            self.network_.init_params(rng)
            target = self.network_
        if encoder_theta is not None:
            for p, value in zip(target.params(), encoder_theta):
                p[...] = value

    def _features(self, X, lazily=False):
        """What the trainable network sees: X, or its frozen codes, computed once, in chunks.
        ``lazily`` (for X in a file: a memmap, an h5py dataset, a zarr array): a view that
        reads the rows asked for, a chunk at a time, in the model's dtype, and computes their
        codes (``EncodedRows``), so that training holds no n x code-size array of codes, and
        the validation rows are gathered without a copy in the file's dtype."""
        encoder = self.encoder_network_
        if lazily:
            return EncodedRows(X, None if encoder is None else encoder.predict, self.network_.specs[0].n_in,
                               self.network_.dtype)
        return X if encoder is None else predict_in_chunks(encoder, X)

    # ------------------------------------------------------------ training
    def fit(self, X, y, *, validation_data=None, comm=None):
        """Train on X with labels y, from a fresh initialisation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training data; with an ``encoder``, n_features must be the encoder's. A
            memmap, an h5py dataset or a zarr array is read a minibatch at a time (and a
            frozen encoder's codes computed as the rows are read), never whole.
        y : array-like of shape (n_samples,)
            Class labels (integers or strings, at least two distinct ones); a column
            vector is raveled with a ``DataConversionWarning``.
        validation_data : tuple (X_val, y_val) or None, default None
            Held-out rows for ``val_loss``, ``val_error`` and early stopping; their labels
            must be among y's. None: ``validation_fraction`` of X is held out (10% with
            ``early_stopping``, else none).
        comm : mpi4py communicator or None, default None
            Train data-parallel on its ranks, every rank passing the same data
            (``npae.parallel``).

        Returns
        -------
        self : Classifier
            The fitted classifier.

        Raises
        ------
        ParameterError
            If a hyper-parameter is invalid, or ``encoder`` is not a fitted autoencoder.
        DataError
            If X or y is malformed, y holds continuous values or a single class, or X's
            width does not match the encoder's.
        DivergenceError
            If training diverges and ``on_divergence="raise"``.

        Examples
        --------
        >>> from npae import Classifier
        >>> from npae.datasets import load_digits
        >>> X, y = load_digits()
        >>> clf = Classifier(hidden=(16,), epochs=2, random_state=0)
        >>> clf.fit(X, y, validation_data=(X[:100], y[:100])).n_iter_
        2
        >>> sorted(clf.history_)
        ['cross_entropy', 'loss', 'seconds', 'val_error', 'val_loss']
        """
        if comm is not None:
            from ..parallel import run_parallel
            return run_parallel(self, comm, self.fit, X, y, validation_data=validation_data)
        hidden, dtype = self._validate_params()
        names = feature_names(X)
        X = check_rows(X, dtype, estimator=type(self).__name__)
        n = X.shape[0]
        y = check_labels(y, n)
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise DataError(f"y has one class ({classes.tolist()}); a classifier needs at least two")
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise DataError("validation_data must be a pair (X_val, y_val)")
            X_val = check_array(validation_data[0], dtype=dtype, n_features=X.shape[1], name="validation_data's X")
            y_val = check_labels(validation_data[1], len(X_val), name="validation_data's y")
            val_index = label_indices(classes, y_val, "validation_data's y")
        rng = check_random_state(self.random_state)
        self._build(X.shape[1], hidden, len(classes), dtype, rng)
        parallel = self.__dict__.get("_parallel")
        if parallel is not None:  # every rank: rank 0's weights and generator
            for net in (self.network_, self.encoder_network_):
                if net is not None:
                    parallel.broadcast(net.theta)
            parallel.sync_generator(rng)
        self.classes_, self.n_features_in_ = classes, X.shape[1]
        self.__dict__.pop("feature_names_in_", None)  # a refit on an array keeps no names of an earlier fit
        if names is not None:
            self.feature_names_in_ = names
        features = self._features(X, lazily=not in_memory(X))
        Y = np.eye(len(classes), dtype=dtype)[y_index]
        if validation_data is not None:
            X_val = self._features(X_val)
            Y_val = np.eye(len(classes), dtype=dtype)[val_index]
            train_idx = np.arange(n)
        else:
            fraction = self.validation_fraction or (0.1 if self.early_stopping else 0.0)
            train_idx, val_idx = split_validation(n, fraction, rng)
            X_val, Y_val = None, None
            if val_idx is not None:  # the validation rows (their codes, with a frozen encoder) are gathered once
                X_val, Y_val = gather_rows(features, val_idx).astype(dtype, copy=False), Y[val_idx]
        net = self.network_
        optimizer = make_optimizer(self.optimizer, net.n_params, net.dtype, self.learning_rate,
                                   momentum=self.momentum, nesterov=self.nesterov)
        wd = self.weight_decay
        fused = None
        if resolve_backend(self.backend) == "numba":
            fused = FusedStep(net, Objective("softmax_cross_entropy", weight_decay=wd), optimizer, None, 0.0,
                              None, rng, load_kernels())
        self.backend_ = "numpy" if fused is None else "numba"

        def gradient(rows):  # a step's first half; the update (or the ranks' sum, then it) follows
            if fused is not None:
                return fused.gradient(features, rows, Y)
            if not len(rows):
                return 0.0, {}
            return classifier_objective(net, gather_rows(features, rows).astype(dtype, copy=False), Y[rows], wd)[:2]

        update = fused.optimizer_step if fused is not None else (
            lambda grad, block=None: optimizer.step(net.theta, grad, block))
        step = step_of(gradient, update, net.grad)
        if parallel is not None:
            step = parallel.training_step(gradient, update, net.grad, parallel.generator(rng), net.theta, optimizer)
            if X_val is not None:  # each rank scores its block of the validation rows
                block = parallel.block(len(X_val))
                X_val, Y_val = X_val[block], Y_val[block]
        val_labels = None if Y_val is None else np.argmax(Y_val, axis=1)

        def validate():  # early stopping watches the error, as scikit-learn's MLPClassifier its score
            logits = predict_in_chunks(net, X_val)
            error = float(np.mean(np.argmax(logits, axis=1) != val_labels))
            return {"val_loss": softmax_cross_entropy(Y_val, logits)[0], "val_error": error}

        if parallel is not None:
            def validate():  # sums over the ranks' blocks: the error counts add up exactly (ties are common)
                logits = predict_in_chunks(net, X_val) if len(X_val) else np.zeros((0, Y_val.shape[1]))
                loss, errors, n = parallel.sums(np.sum(softmax_cross_entropy_per_sample(Y_val, logits)),
                                                np.count_nonzero(np.argmax(logits, axis=1) != val_labels), len(X_val))
                return {"val_loss": loss / n, "val_error": errors / n}

        self.history_ = {}
        try:
            with thread_limit(self.n_threads):
                run_epochs(theta=net.theta, step=step, train_indices=train_idx, batch_size=self.batch_size,
                           epochs=self.epochs, rng=rng, history=self.history_,
                           validate=validate if X_val is not None else None, early_stopping=self.early_stopping,
                           patience=self.patience, on_divergence=self.on_divergence,
                           verbose=self.verbose if parallel is None or parallel.is_root else 0,
                           optimizer=optimizer, lr_decay=lr_decay(self), lr_milestones=lr_milestones(self),
                           monitor="val_error", guarded=isinstance(optimizer, Adam))
        finally:  # an interrupted or diverged fit leaves a model that predicts and saves
            self.n_iter_ = len(self.history_.get("loss", []))
        return self

    # ------------------------------------------------------------ prediction
    def _logits(self, X):
        check_is_fitted(self)
        dtype = self.network_.dtype
        X = check_rows(X, dtype, n_features=self.n_features_in_, estimator=type(self).__name__)
        # a file is read PREDICT_CHUNK rows at a time, each converted to the model's dtype
        return predict_in_chunks(self.network_, X, lambda chunk: self._features(np.asarray(chunk, dtype=dtype)))

    def decision_function(self, X):
        """The logits of X: the output layer's linear outputs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            The logits z, columns in ``classes_`` order, in the model's dtype; for two
            classes, as scikit-learn, the score of the second class against the first,
            z_1 - z_0, shape (n_samples,).

        Raises
        ------
        NotFittedError
            If the classifier is not fitted.
        DataError
            If X does not have ``n_features_in_`` columns.

        Examples
        --------
        >>> from npae import Classifier
        >>> from npae.datasets import load_digits
        >>> X, y = load_digits()
        >>> clf = Classifier(epochs=2, random_state=0).fit(X, y)
        >>> clf.decision_function(X[:3]).shape
        (3, 10)
        >>> binary = Classifier(epochs=2, random_state=0).fit(X[y < 2], y[y < 2])
        >>> binary.decision_function(X[:3]).shape
        (3,)
        """
        logits = self._logits(X)
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict_proba(self, X):
        """Class probabilities softmax(logits), columns in ``classes_`` order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in float64; each row sums to 1.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import Classifier
        >>> from npae.datasets import load_digits
        >>> X, y = load_digits()
        >>> proba = Classifier(epochs=2, random_state=0).fit(X, y).predict_proba(X[:3])
        >>> proba.shape, bool(np.allclose(proba.sum(axis=1), 1.0))
        ((3, 10), True)
        """
        return softmax(self._logits(X).astype(np.float64))

    def predict_log_proba(self, X):
        """The logarithm of ``predict_proba(X)``.

        Probabilities that underflow to 0 give log of the smallest positive float64
        (about -708) rather than -inf.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to classify.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in float64, columns in ``classes_`` order.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import Classifier
        >>> from npae.datasets import load_digits
        >>> X, y = load_digits()
        >>> clf = Classifier(epochs=2, random_state=0).fit(X, y)
        >>> log_proba = clf.predict_log_proba(X[:3])
        >>> log_proba.shape, bool(np.allclose(np.exp(log_proba), clf.predict_proba(X[:3])))
        ((3, 10), True)
        """
        return np.log(np.maximum(self.predict_proba(X), np.finfo(np.float64).tiny))

    def predict(self, X):
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_`` (the argmax of the logits).

        Examples
        --------
        >>> from npae import Classifier
        >>> from npae.datasets import load_digits
        >>> X, y = load_digits()
        >>> y_pred = Classifier(epochs=2, random_state=0).fit(X, y).predict(X[:5])
        >>> y_pred.shape, set(y_pred.tolist()) <= set(range(10))
        ((5,), True)
        """
        best = np.argmax(self._logits(X), axis=1)
        return self.classes_[best]

    def score(self, X, y):
        """Accuracy: the fraction of rows whose predicted class is y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to classify.
        y : array-like of shape (n_samples,)
            The true labels.

        Returns
        -------
        score : float
            The accuracy, in [0, 1].

        Examples
        --------
        >>> from npae import Classifier
        >>> from npae.datasets import load_digits
        >>> X, y = load_digits()
        >>> accuracy = Classifier(epochs=2, random_state=0).fit(X, y).score(X, y)
        >>> 0.0 <= accuracy <= 1.0
        True
        """
        predicted = self.predict(X)
        return float(np.mean(predicted == check_labels(y, len(predicted))))

    # ------------------------------------------------------------ gradcheck, io
    def _gradcheck_problem(self, X, y=None):
        """Float64 copy of the training loss at (X, y) for ``npae.gradcheck``; pass
        ``(X, y)`` as the data. The input is the trainable network's input."""
        if isinstance(X, tuple):
            X, y = X
        check_is_fitted(self)
        X = check_array(X, dtype=np.float64, n_features=self.n_features_in_)
        net = self.network_.copy(np.float64)
        features = X if self.encoder_network_ is None else self.encoder_network_.copy(np.float64).predict(X)
        Y = np.eye(len(self.classes_))[label_indices(self.classes_, check_labels(y, len(X)), "y")]
        X_in = features.copy()
        wd = self.weight_decay

        def evaluate():
            loss, _, dX = classifier_objective(net, X_in, Y, wd, need_dX=True)
            grads = {name: net.grad_of(name).copy() for name in net.param_names}
            grads["input"] = dX
            return loss, grads

        arrays = {name: net.param(name) for name in net.param_names}
        arrays["input"] = X_in
        return GradcheckProblem(arrays, evaluate)

    def _file_params(self):
        # the encoder's layers are saved inside the classifier's own arrays
        return {**self.get_params(deep=False), "encoder": None}

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags

    def _file_meta(self):
        check_is_fitted(self)
        specs = lambda net: None if net is None else [list(s) for s in net.specs]  # noqa: E731
        return {"classes_": self.classes_.tolist(), "n_features_in_": self.n_features_in_,
                "n_iter_": self.n_iter_, "history_": self.history_, "backend_": self.backend_,
                "network": specs(self.network_),
                "encoder_network": specs(self.encoder_network_)}

    _FILE_META = ("classes_", "n_features_in_", "n_iter_", "history_", "network", "encoder_network")

    def _from_file_meta(self, meta, max_params):
        check_keys("metadata", meta, self._FILE_META, optional=("backend_",))  # backend_: files since 0.1
        _, dtype = self._validate_params()
        classes = np.asarray(meta["classes_"])
        if classes.ndim != 1 or len(classes) < 2 or classes.dtype.kind not in "iufUb" or \
                not np.all(classes[1:] > classes[:-1]):
            raise DataError("classes_ must be a sorted list of at least two distinct labels")
        check_number("n_features_in_", meta["n_features_in_"], low=1, integer=True)
        check_number("n_iter_", meta["n_iter_"], low=0, integer=True)
        history = history_from_file("history_", meta["history_"])
        if not meta["network"]:
            raise DataError("the stored network has no layers")
        self.classes_, self.n_features_in_, self.n_iter_ = classes, meta["n_features_in_"], meta["n_iter_"]
        self.history_ = history
        self.backend_ = check_option("backend_", meta.get("backend_", "numpy"), {"numpy", "numba"})
        specs = [LayerSpec(str(n), int(a), int(b), str(act), None) for n, a, b, act, _ in meta["network"]]
        encoder = meta["encoder_network"]
        encoder_specs = None if encoder is None else [LayerSpec(str(n), int(a), int(b), str(act), None)
                                                      for n, a, b, act, _ in encoder]
        total = count_params(specs) + (count_params(encoder_specs) if encoder_specs else 0)
        if total > max_params or specs[-1].n_out != len(classes):
            raise DataError("the stored layers do not match the file's arrays or classes")
        first = (encoder_specs or specs)[0].n_in
        if first != self.n_features_in_:
            raise DataError("the stored layers do not match n_features_in_")
        if encoder_specs and encoder_specs[-1].n_out != specs[0].n_in:
            raise DataError("the stored encoder's codes do not match the network's inputs")
        self.network_ = Network(specs, dtype=dtype)
        self.encoder_network_ = None if encoder_specs is None else Network(encoder_specs, dtype=dtype)

    def _file_arrays(self):
        arrays = dict(zip(self.network_.param_names, self.network_.params()))
        if self.encoder_network_ is not None:
            arrays.update({f"frozen.{n}": p for n, p in zip(self.encoder_network_.param_names,
                                                             self.encoder_network_.params())})
        return arrays

    def save(self, path):
        """Save the fitted classifier (the encoder's layers included) to ``path`` (.npz).

        The file holds the hyper-parameters (``encoder`` as None: its layers are in the
        classifier's own arrays) and the weights; it is written atomically.

        Parameters
        ----------
        path : str or path-like
            Where to write the model.

        Raises
        ------
        NotFittedError
            If the classifier is not fitted.

        See Also
        --------
        npae.load : Read a saved model back.

        Examples
        --------
        >>> import os, tempfile
        >>> from npae import Classifier, load
        >>> from npae.datasets import load_digits
        >>> X, y = load_digits()
        >>> clf = Classifier(epochs=2, random_state=0).fit(X, y)
        >>> path = os.path.join(tempfile.mkdtemp(), "clf.npz")
        >>> clf.save(path)
        >>> bool((load(path).predict(X) == clf.predict(X)).all())
        True
        """
        from ..io import save
        save(self, path)
