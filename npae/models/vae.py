"""The ``VariationalAutoencoder`` estimator: a generative model of the learned manifold.

The encoder gives a Gaussian posterior q(z|x) = N(mu(x), diag(exp(log_var(x)))), the decoder a
likelihood p(x|z) (Bernoulli or Gaussian), and training maximises the evidence lower bound

    ELBO(x) = E_q[log p(x|z)] - beta * KL(q(z|x) || N(0, I))

(or, with ``importance_samples > 1``, the importance-weighted bound), per sample in nats.
``npae.objectives.vae_objective`` computes the loss and its gradient; this class validates,
orchestrates and keeps the results. It is an ``Autoencoder`` to the rest of npae (the
training loop, ``npae.load``, ``Classifier(encoder=vae)``): its network is one flat ``theta``
holding the encoder trunk, the mean and log-variance heads, then the decoder.
"""

import math
import numbers
import zlib

import numpy as np

from ..activations import ACTIVATIONS
from ..backend import BACKENDS, load_kernels, resolve_backend, thread_limit
from ..errors import DataError, ParameterError
from ..gradcheck import GradcheckProblem
from ..kl_divergence import gaussian_kl, gaussian_kl_per_dimension
from ..likelihoods import LIKELIHOODS
from ..network import Network, count_params, vae_specs
from ..objectives.vae import (VAEObjective, logsumexp_weights, trunk_depth, vae_encode, vae_decode_log_likelihood,
                              vae_log_weights, vae_objective)
from ..reparameterization import reparameterize_forward
from ..parallel import draw
from ..training import gather_rows
from ..validation import (check_array, check_is_fitted, check_keys, check_number, check_option, check_random_state,
                          check_training_options, data_range, history_from_file, in_memory)
from .autoencoder import PREDICT_CHUNK, Autoencoder

#: Decoder rows (importance samples x data rows) evaluated at once by ``log_likelihood``.
LIKELIHOOD_BLOCK = 8192

#: Rows of the training data the fitted statistics (kl_per_dimension_, active_units_) are taken from.
STATISTICS_ROWS = 10000

#: Burda et al.'s threshold: a latent dimension is active when Var_x(mu_j(x)) exceeds it.
ACTIVE_UNIT_THRESHOLD = 1e-2


def normal_ppf(p):
    """The standard normal's inverse CDF at probabilities p in (0, 1) (Acklam's rational
    approximation, then one Halley step on erfc: float64 accuracy). p: (n,) -> (n,)."""
    a = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
         -3.066479806614716e+01, 2.506628277459239e+00)
    b = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
         -1.328068155288572e+01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
         4.374664141464968e+00, 2.938163982698783e+00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)
    out = []
    for q in np.asarray(p, dtype=np.float64).ravel():
        if not 0.0 < q < 1.0:
            raise DataError(f"normal_ppf needs probabilities strictly between 0 and 1; got {q}")
        if q < 0.02425 or q > 1 - 0.02425:
            r = math.sqrt(-2.0 * math.log(min(q, 1 - q)))
            x = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / \
                ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
            x = x if q < 0.5 else -x
        else:
            r = (q - 0.5) ** 2
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * (q - 0.5) / \
                (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        e = 0.5 * math.erfc(-x / math.sqrt(2.0)) - q
        u = e * math.sqrt(2.0 * math.pi) * math.exp(x * x / 2.0)
        out.append(x - u / (1.0 + x * u / 2.0))
    return np.array(out)


def row_generators(X, random_state):
    """One generator per row of X (n, m), seeded by ``random_state`` (None: 0) and the row's own
    bytes: what a row draws does not depend on which other rows, or in which order, it is
    scored with (nor, under ``comm``, on which rank scores it)."""
    seed = 0 if random_state is None else random_state
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2 ** 63))
    check_number("random_state", seed, integer=True)
    return [np.random.default_rng([int(seed) % 2 ** 63, zlib.crc32(row.tobytes())]) for row in np.ascontiguousarray(X)]


def row_seeded_normals(X, n_draws, k, random_state, dtype):
    """Standard normal draws (n_draws, n, k), row i's from ``row_generators``' i-th."""
    eps = np.empty((n_draws, X.shape[0], k), dtype=dtype)
    for i, rng in enumerate(row_generators(X, random_state)):
        eps[:, i, :] = rng.standard_normal((n_draws, k), dtype=dtype)
    return eps


class VariationalAutoencoder(Autoencoder):
    """A variational autoencoder trained by backpropagation on NumPy (Kingma & Welling 2014;
    with ``importance_samples > 1``, Burda, Grosse & Salakhutdinov 2016).

    Training maximises ELBO(x) = E_q[log p(x|z)] - beta * KL(q(z|x) || N(0, I)) per sample, in
    nats (``npae.objectives.vae_objective``).

    Parameters
    ----------
    hidden : int or tuple of int, default (512, 256, 20)
        Encoder widths; the last is the latent size k. The decoder mirrors the rest.
    activation : {"relu", "sigmoid", "tanh", "leaky_relu", "elu", "softplus", "linear"}, \
default "relu"
        The hidden layers' activation; the mean and log-variance heads are linear.
    likelihood : {"auto", "bernoulli", "gaussian"}, default "auto"
        p(x|z): Bernoulli from the decoder's logits (X in [0, 1]), or Gaussian around the
        decoder's linear output with standard deviation ``output_std``; "auto" picks
        Bernoulli when the training data lie in [0, 1].
    output_std : float, default 1.0
        The Gaussian likelihood's fixed standard deviation.
    beta : float, default 1.0
        The weight of the KL term (a beta-VAE for beta > 1).
    kl_warmup : int, default 0
        Epochs over which the KL weight ramps from 0: epoch e uses beta * min(1, (e - 1) / kl_warmup).
    importance_samples : int, default 1
        1: the ELBO (analytic KL); k > 1: the importance-weighted bound over k draws.
    binarize : {None, "dynamic"}, default None
        "dynamic": each minibatch draws x ~ Bernoulli(X) afresh, input and target alike.
    weight_decay : float, default 0.0
        L2 penalty weight_decay / 2 * sum ||W||^2 over the weights (not the biases),
        added to the training loss.
    optimizer : {"adam", "sgd"}, default "adam"
        Adam, or stochastic gradient descent with ``momentum`` (PyTorch's update rules).
    learning_rate : float, default 1e-3
        The optimizer's (initial) step size.
    momentum : float, default 0.9
        SGD's momentum, in [0, 1); ignored by Adam.
    nesterov : bool, default False
        SGD with Nesterov momentum; ignored by Adam.
    batch_size : int, default 128
        Rows per minibatch (the last one of an epoch may be smaller).
    epochs : int, default 20
        Passes over the training rows.
    early_stopping : bool, default False
        Stop when ``val_loss`` has not improved for ``patience`` epochs and restore the
        best epoch's weights; without ``validation_data`` or ``validation_fraction``,
        10% of X is held out.
    patience : int, default 5
        Epochs without improvement before early stopping.
    lr_decay_patience : int or None, default None
        Multiply the learning rate by ``lr_decay_factor`` after this many epochs without
        improvement of ``val_loss`` (the training loss without validation). Exclusive
        with ``lr_decay_epochs``.
    lr_decay_factor : float, default 0.1
        The factor, in (0, 1), of either learning-rate schedule.
    lr_decay_epochs : sequence of int or None, default None
        Increasing epoch numbers after which the learning rate is multiplied by
        ``lr_decay_factor``, e.g. (30, 60).
    validation_fraction : float, default 0.0
        The fraction of X held out (seeded) for ``val_loss``; ignored when ``fit`` is
        given ``validation_data``.
    on_divergence : {"raise", "warn"}, default "raise"
        When the loss becomes NaN or infinite, the last good epoch's weights are
        restored, then a ``DivergenceError`` is raised, or a ``RuntimeWarning`` issued
        and training stops.
    random_state : int, numpy.random.Generator or None, default None
        Seeds the initial weights, the validation split, the minibatch order, the
        draws of eps (and of the dynamic binarization) and ``sample``'s default draws.
    dtype : {"float32", "float64"}, default "float32"
        The precision the network trains and predicts in.
    backend : {"auto", "numba", "numpy"}, default "auto"
        The training step (and ``log_likelihood``'s decoder): numba's fused kernels or
        the NumPy reference; "auto" takes numba when it is installed (the environment
        variable ``NPAE_BACKEND`` may choose).
    n_threads : int or None, default None
        At most this many numba and BLAS threads during training; None leaves them as
        they are.
    verbose : int, default 0
        0 silent; 1 one line per epoch; 2 also a progress bar within each epoch (on a
        terminal).

    Attributes
    ----------
    network_ : Network
        The encoder trunk, the heads ``encoder.mu`` and ``encoder.log_var``, then the decoder,
        over one flat ``theta``.
    likelihood_, output_activation_ : str
        What "auto" resolved to.
    n_features_in_ : int
        The number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        The column names of X, when ``fit`` was given a DataFrame with string column
        names; otherwise absent.
    data_range_ : tuple of float
        (min, max) of the training data.
    history_ : dict of lists
        Per epoch: ``loss`` (the negative bound), ``reconstruction``, ``kl``, ``beta``,
        ``val_loss`` (the validation data's negative ELBO), ``seconds``.
    n_iter_ : int
        The number of epochs run.
    backend_ : {"numba", "numpy"}
        The training step that ran.
    latent_dim_ : int
        k, the latent size (``hidden[-1]``).
    n_encoder_layers_ : int
        The layers from x to mu(x): the trunk and the mean head.
    kl_per_dimension_ : ndarray of shape (k,)
        The KL of each latent dimension, averaged over the training data.
    active_units_ : int
        Dimensions whose posterior mean varies over the data with variance above 0.01.

    See Also
    --------
    Autoencoder : The deterministic autoencoder.
    Classifier : A softmax head on the encoder (``Classifier(encoder=vae)``).

    Examples
    --------
    >>> from npae import VariationalAutoencoder
    >>> from npae.datasets import load_digits
    >>> X, _ = load_digits()
    >>> vae = VariationalAutoencoder(hidden=(32, 2), epochs=2, random_state=0).fit(X)
    >>> vae.transform(X[:3]).shape, vae.sample(4).shape
    ((3, 2), (4, 64))
    """

    contamination = None  # not an outlier detector: score_samples is the ELBO

    def __init__(self, hidden=(512, 256, 20), activation="relu", likelihood="auto", output_std=1.0, beta=1.0,
                 kl_warmup=0, importance_samples=1, binarize=None, weight_decay=0.0, optimizer="adam",
                 learning_rate=1e-3, momentum=0.9, nesterov=False, batch_size=128, epochs=20,
                 early_stopping=False, patience=5, lr_decay_patience=None, lr_decay_factor=0.1,
                 lr_decay_epochs=None, validation_fraction=0.0, on_divergence="raise", random_state=None,
                 dtype="float32", backend="auto", n_threads=None, verbose=0):
        self.hidden = hidden
        self.activation = activation
        self.likelihood = likelihood
        self.output_std = output_std
        self.beta = beta
        self.kl_warmup = kl_warmup
        self.importance_samples = importance_samples
        self.binarize = binarize
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
        hidden = (self.hidden,) if isinstance(self.hidden, numbers.Integral) else self.hidden
        try:
            hidden = tuple(hidden)
        except TypeError:
            hidden = ()
        if not hidden or any(isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1 for h in hidden):
            raise ParameterError(f"hidden must be a non-empty sequence of positive integers (encoder widths, "
                                 f"the last is the latent size); got {self.hidden!r}")
        check_option("activation", self.activation, ACTIVATIONS)
        check_option("likelihood", self.likelihood, {"auto", *LIKELIHOODS})
        check_number("output_std", self.output_std, low=0.0, low_open=True)
        check_number("beta", self.beta, low=0.0)
        check_number("kl_warmup", self.kl_warmup, low=0, integer=True)
        check_number("importance_samples", self.importance_samples, low=1, integer=True)
        if self.binarize is not None:
            check_option("binarize", self.binarize, {"dynamic"})
        dtype = check_training_options(self)
        check_option("backend", self.backend, set(BACKENDS))
        return tuple(int(h) for h in hidden), dtype

    def _needs_unit_interval(self):
        return self.likelihood_ == "bernoulli" or self.binarize is not None

    def _resolve_likelihood(self, X, low, high):
        in_unit = bool(low >= 0.0 and high <= 1.0)
        likelihood = self.likelihood
        if likelihood == "auto":
            likelihood = "bernoulli" if in_unit else "gaussian"
        if not in_unit and (likelihood == "bernoulli" or self.binarize is not None):
            what = "binarize='dynamic' draws x ~ Bernoulli(X), which" if self.binarize else \
                "the Bernoulli likelihood"
            raise DataError(f"X has values in [{low:.6g}, {high:.6g}], but {what} needs probabilities in "
                            "[0, 1]: scale X into [0, 1] (e.g. divide pixel values by 255), or use "
                            "likelihood='gaussian' for real-valued data")
        return likelihood

    # ------------------------------------------------------------ building
    def _initialize(self, X, hidden, dtype):
        for stale in ("feature_names_in_", "_undescribed", "_fused_cache") + self._DESCRIBED:
            self.__dict__.pop(stale, None)
        low, high = data_range(X)
        self.likelihood_ = self._resolve_likelihood(X, low, high)
        self.output_activation_ = LIKELIHOODS[self.likelihood_].output_activation
        self.n_features_in_ = X.shape[1]
        self.data_range_ = (low, high)
        self._rng = check_random_state(self.random_state)
        self.network_ = Network(self._specs(X.shape[1], hidden), dtype=dtype, chained=False)
        self.network_.init_params(self._rng)
        self._optimizer = None
        self._beta_now = self._beta_at(1)
        self.history_ = {}
        self.n_iter_ = 0
        self.backend_ = "numpy"
        self._sync_ranks()  # under comm: rank 0's weights and generator (before the validation split)

    def _specs(self, n_features, hidden):
        return vae_specs(n_features, hidden, self.activation, self.output_activation_)

    @property
    def n_encoder_layers_(self):
        """The number of layers from x to the posterior mean mu(x).

        Layers 0 .. ``n_encoder_layers_ - 1`` are the trunk and the mean head: x -> mu(x)
        (what ``transform`` runs and ``Classifier(encoder=vae)`` copies); the
        log-variance head and the decoder follow.

        Examples
        --------
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> VariationalAutoencoder(hidden=(32, 2), epochs=1, random_state=0).fit(X).n_encoder_layers_
        2
        """
        return trunk_depth(self.network_) + 1

    @property
    def _decoder_start(self):
        return trunk_depth(self.network_) + 2

    @property
    def latent_dim_(self):
        """k, the size of the latent space (``hidden[-1]``).

        The number of columns of ``transform``'s and ``posterior``'s outputs, and of the
        codes ``inverse_transform`` decodes.

        Examples
        --------
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> VariationalAutoencoder(hidden=(32, 3), epochs=1, random_state=0).fit(X).latent_dim_
        3
        """
        return self.network_.specs[self._decoder_start].n_in

    def _beta_at(self, epoch):
        """The KL weight of epoch ``epoch`` (1-based): beta * min(1, (epoch - 1) / kl_warmup)."""
        if not self.kl_warmup:
            return float(self.beta)
        return float(self.beta) * min(1.0, (epoch - 1) / self.kl_warmup)

    def _epoch_start(self, epoch):
        self._beta_now = self._beta_at(epoch)

    def _objective(self, beta=None):
        return VAEObjective(self.likelihood_, float(self.output_std), self._beta_now if beta is None else beta,
                            int(self.importance_samples), float(self.weight_decay))

    # ------------------------------------------------------------ training
    def _draw_batch(self, X, rows, rng, dtype):
        """The minibatch (binarized afresh with ``binarize="dynamic"``) and its noise eps
        (S, n, k), drawn in this order from ``rng`` (the fused step draws the same numbers;
        under ``comm``, each rank its rows of them: ``npae.parallel.draw``)."""
        Xb = gather_rows(X, rows).astype(dtype, copy=False)
        if self.binarize is not None:
            Xb = (draw(rng, "random", Xb.shape, dtype) < Xb).astype(dtype)
        eps = draw(rng, "standard_normal", (int(self.importance_samples), len(rows), self.latent_dim_), dtype,
                   row_axis=1)
        return Xb, eps

    def _fused_step(self, optimizer, rng):
        fused = None
        if resolve_backend(self.backend) == "numba":
            from ..fused_vae_step import FusedVAEStep
            fused = FusedVAEStep(self.network_, optimizer, rng, load_kernels(), binarize=self.binarize is not None,
                                 importance_samples=int(self.importance_samples))
        self.backend_ = "numba" if fused is not None else "numpy"
        return fused

    def _gradient_step(self, X, optimizer, rng):
        """``gradient(rows) -> (loss, parts)`` (the gradient of the mean negative bound over the
        rows into ``net.grad``; with no rows, only the draws) and ``update(grad, block=None)``
        (the optimizer, on the slice ``block`` of theta when given): the halves of a step
        between which data-parallel ranks sum the gradient (``npae.parallel``)."""
        net, fused = self.network_, self._fused_step(optimizer, rng)

        def gradient(rows):
            objective = self._objective()
            if fused is not None:
                loss, parts = fused.gradient(X, rows, objective)
            else:
                Xb, eps = self._draw_batch(X, rows, rng, net.dtype)
                if not len(rows):
                    return 0.0, {}
                loss, parts, _ = vae_objective(net, Xb, Xb, eps, objective)
            if len(rows):
                parts["beta"] = objective.beta
            return loss, parts

        if fused is not None:
            return gradient, fused.optimizer_step
        return gradient, lambda grad, block=None: optimizer.step(net.theta, grad, block)


    def _validation_loss(self, X_val):
        """``val_loss``: -mean ELBO of the validation data (binarized once with a fixed seed under
        ``binarize="dynamic"``), with a fixed draw, so that epochs compare the model alone."""
        return -float(np.mean(self.elbo(self._binarized_once(X_val), random_state=0)))

    def _binarized_once(self, X, seed=0):
        """X binarized, each row by its own seeded generator (``row_generators``)."""
        if self.binarize is None:
            return X
        X = np.asarray(X, dtype=self.network_.dtype)
        U = np.stack([rng.random(X.shape[1]) for rng in row_generators(X, seed)]) if len(X) else X
        return (U < X).astype(self.network_.dtype)

    #: what _describe_training_data sets (partial_fit computes them when first read)
    _DESCRIBED = ("kl_per_dimension_", "active_units_")
    _FUSED_PREDICT = False  # transform is posterior()'s mu, bit for bit

    def _describe_training_data(self, X, calibration=None):
        """kl_per_dimension_ and active_units_ (Burda et al.: Var_x(mu_j(x)) > 1e-2) from X (at most
        STATISTICS_ROWS evenly spaced rows of it, so a partial_fit costs what its steps cost)."""
        with thread_limit(self.n_threads):
            if in_memory(X) and X.shape[0] <= STATISTICS_ROWS:
                mu, log_var = self.posterior(X)
            else:  # a sample of a large X, or a file read in chunks: memory O(PREDICT_CHUNK)
                rows = np.linspace(0, X.shape[0] - 1, min(X.shape[0], STATISTICS_ROWS)).astype(np.int64)
                parts = [self.posterior(gather_rows(X, rows[i:i + PREDICT_CHUNK]))
                         for i in range(0, len(rows), PREDICT_CHUNK)]
                mu, log_var = (np.concatenate(p) for p in zip(*parts))
        self.kl_per_dimension_ = gaussian_kl_per_dimension(mu, log_var)
        self.active_units_ = int(np.sum(np.var(mu, axis=0) > ACTIVE_UNIT_THRESHOLD))

    # ------------------------------------------------------------ inference
    def posterior(self, X):
        """The parameters of the posterior q(z|x) = N(mu(x), diag(exp(log_var(x)))).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to encode.

        Returns
        -------
        mu : ndarray of shape (n_samples, k)
            The posterior means (``transform``'s codes), in the model's dtype.
        log_var : ndarray of shape (n_samples, k)
            The posterior log-variances.

        Raises
        ------
        NotFittedError
            If the model is not fitted.
        DataError
            If X does not have ``n_features_in_`` columns.

        Examples
        --------
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> vae = VariationalAutoencoder(hidden=(32, 2), epochs=1, random_state=0).fit(X)
        >>> mu, log_var = vae.posterior(X[:3])
        >>> mu.shape, log_var.shape
        ((3, 2), (3, 2))
        """
        X = self._check_input(X)
        net, mus, log_vars = self.network_, [], []
        for i in range(0, X.shape[0], PREDICT_CHUNK):
            mu, log_var, _ = vae_encode(net, np.asarray(X[i:i + PREDICT_CHUNK], dtype=net.dtype))
            mus.append(mu)
            log_vars.append(log_var)
        return np.concatenate(mus), np.concatenate(log_vars)

    def transform(self, X):
        """The posterior means mu(x): the codes of X (``encode`` is the same method).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to encode.

        Returns
        -------
        Z : ndarray of shape (n_samples, k)
            mu(x) of each row, in the model's dtype (no sampling).

        Examples
        --------
        >>> import numpy as np
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> vae = VariationalAutoencoder(hidden=(32, 2), epochs=1, random_state=0).fit(X)
        >>> Z = vae.transform(X[:3])
        >>> Z.shape, Z.dtype, bool(np.allclose(Z, vae.posterior(X[:3])[0]))
        ((3, 2), dtype('float32'), True)
        """
        return super().transform(X)

    encode = transform

    def inverse_transform(self, Z):
        """The likelihood's mean at latent points Z (``decode`` is the same method).

        Probabilities under the Bernoulli likelihood, the Gaussian's mean otherwise.

        Parameters
        ----------
        Z : array-like of shape (n_samples, k)
            Latent points.

        Returns
        -------
        X_hat : ndarray of shape (n_samples, n_features)
            The decoded means, in the model's dtype.

        Raises
        ------
        NotFittedError
            If the model is not fitted.
        DataError
            If Z does not have ``latent_dim_`` columns.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> vae = VariationalAutoencoder(hidden=(32, 2), epochs=1, random_state=0).fit(X)
        >>> X_hat = vae.inverse_transform(np.zeros((4, 2)))
        >>> X_hat.shape, bool(((X_hat >= 0) & (X_hat <= 1)).all())
        ((4, 64), True)
        """
        return super().inverse_transform(Z)

    decode = inverse_transform

    def reconstruct(self, X):
        """decode(mu(x)): the likelihood's mean at each row's posterior mean (no sampling).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to reconstruct.

        Returns
        -------
        X_hat : ndarray of shape (n_samples, n_features)
            ``inverse_transform(transform(X))``, in the model's dtype.

        Examples
        --------
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> vae = VariationalAutoencoder(hidden=(32, 2), epochs=1, random_state=0).fit(X)
        >>> vae.reconstruct(X[:3]).shape
        (3, 64)
        """
        return self.inverse_transform(self.transform(X))

    def sample(self, n_samples=1, random_state=None):
        """Decode ``n_samples`` draws z ~ N(0, I) from the prior.

        Returns the likelihood's means at the draws (not draws from p(x|z)).

        Parameters
        ----------
        n_samples : int, default 1
            The number of draws.
        random_state : int, Generator or None, default None
            Where the draws come from; None: the model's own generator (advanced, so
            successive calls give new samples).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            The decoded draws, in the model's dtype.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> vae = VariationalAutoencoder(hidden=(32, 2), epochs=1, random_state=0).fit(X)
        >>> vae.sample(5).shape
        (5, 64)
        >>> bool(np.array_equal(vae.sample(2, random_state=1), vae.sample(2, random_state=1)))
        True
        """
        check_is_fitted(self)
        check_number("n_samples", n_samples, low=1, integer=True)
        rng = self._rng if random_state is None else check_random_state(random_state)
        return self.inverse_transform(rng.standard_normal((n_samples, self.latent_dim_)))

    def latent_grid(self, n=10):
        """Decode an n x n grid of the prior's quantiles, for a 2-D latent space.

        The grid's coordinates are the inverse normal CDF of evenly spaced probabilities
        (i + 0.5) / n in (0, 1), as in Kingma & Welling's figure 4; its points are listed row
        by row from the top (largest second coordinate), as an image grid reads.

        Parameters
        ----------
        n : int, default 10
            Points per side (at least 2).

        Returns
        -------
        codes : ndarray of shape (n * n, 2)
            The grid's latent points.
        decoded : ndarray of shape (n * n, n_features)
            ``inverse_transform(codes)``.

        Raises
        ------
        DataError
            If the latent space is not 2-D (``latent_dim_ != 2``).

        See Also
        --------
        traverse : Vary one latent coordinate, for any latent size.

        Examples
        --------
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> vae = VariationalAutoencoder(hidden=(32, 2), epochs=1, random_state=0).fit(X)
        >>> codes, decoded = vae.latent_grid(n=3)
        >>> codes.shape, decoded.shape
        ((9, 2), (9, 64))
        >>> bool(codes[0, 1] > codes[-1, 1])
        True
        """
        check_is_fitted(self)
        check_number("n", n, low=2, integer=True)
        if self.latent_dim_ != 2:
            raise DataError(f"latent_grid needs a 2-D latent space; this model's has {self.latent_dim_} "
                            "dimensions (use traverse to vary one coordinate)")
        q = normal_ppf((np.arange(n) + 0.5) / n)
        codes = np.array([[a, b] for b in q[::-1] for a in q])
        return codes, self.inverse_transform(codes)

    def traverse(self, x, dim, values):
        """Decode one row's posterior mean with one latent coordinate varied (a latent traversal).

        mu(x) with coordinate ``dim`` set to each of ``values`` in turn, decoded: how one
        coordinate moves the output.

        Parameters
        ----------
        x : array-like of shape (n_features,) or (1, n_features)
            One row of data.
        dim : int
            The latent coordinate to vary, in 0 .. ``latent_dim_ - 1``.
        values : array-like of shape (n_values,)
            The finite values coordinate ``dim`` takes.

        Returns
        -------
        decoded : ndarray of shape (n_values, n_features)
            One decoded point per value.

        Raises
        ------
        DataError
            If x is not one row, or ``values`` is empty or not finite.
        ParameterError
            If ``dim`` is not a latent coordinate.

        Examples
        --------
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> vae = VariationalAutoencoder(hidden=(32, 2), epochs=1, random_state=0).fit(X)
        >>> vae.traverse(X[0], dim=1, values=[-2.0, 0.0, 2.0]).shape
        (3, 64)
        """
        check_is_fitted(self)
        check_number("dim", dim, low=0, high=self.latent_dim_ - 1, integer=True)
        x = np.asarray(x)
        if x.ndim > 2 or x.ndim == 2 and x.shape[0] != 1:
            raise DataError(f"x must be one row (n_features,); got shape {x.shape}")
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size == 0 or not np.all(np.isfinite(values)):
            raise DataError("values must be a non-empty sequence of finite numbers")
        Z = np.repeat(self.transform(np.atleast_2d(x)).astype(np.float64), len(values), axis=0)
        Z[:, dim] = values
        return self.inverse_transform(Z)

    def _scoring_input(self, X):
        X = self._check_input(X)
        if self.likelihood_ == "bernoulli":
            check_array(X, dtype=None, unit_interval=True, name="X")
        return X

    def elbo(self, X, random_state=None):
        """The evidence lower bound of each row, in nats: log p(x|z) summed over features, z one
        draw from q(z|x), minus KL(q(z|x) || N(0, I)) (beta = 1).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to score (in [0, 1] under the Bernoulli likelihood).
        random_state : int, Generator or None, default None
            Seeds each row's draw together with the row's own values (None: 0), so a row's
            ELBO does not depend on the rows it is scored with.

        Returns
        -------
        elbo : ndarray of shape (n_samples,)
            The bound of each row, in nats (float64).

        See Also
        --------
        log_likelihood : A tighter, importance-weighted estimate of log p(x).

        Examples
        --------
        >>> import numpy as np
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> vae = VariationalAutoencoder(hidden=(32, 2), epochs=1, random_state=0).fit(X)
        >>> elbo = vae.elbo(X[:4])
        >>> elbo.shape, bool(np.allclose(elbo[1:], vae.elbo(X[1:4])))
        ((4,), True)
        """
        X = self._scoring_input(X)
        net, objective, out = self.network_, self._objective(beta=1.0), []
        for i in range(0, X.shape[0], PREDICT_CHUNK):
            Xc = np.asarray(X[i:i + PREDICT_CHUNK], dtype=net.dtype)
            eps = row_seeded_normals(Xc, 1, self.latent_dim_, random_state, net.dtype)
            mu, log_var, _ = vae_encode(net, Xc)
            z, _ = reparameterize_forward(mu, log_var, eps)
            log_px, _, _ = vae_decode_log_likelihood(net, Xc, z, objective)
            out.append(log_px[0] - gaussian_kl(mu, log_var)[0])
        return np.concatenate(out)

    def log_likelihood(self, X, importance_samples=5000, random_state=None):
        """The importance-weighted estimate of log p(x) of each row, in nats (Burda et al.'s
        estimator): log (1/S) sum_s p(x, z_s) / q(z_s|x) over S draws from q(z|x), a lower bound
        whose expectation rises to log p(x) as S grows. Evaluated in blocks of rows and draws,
        so memory stays bounded.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to score (in [0, 1] under the Bernoulli likelihood).
        importance_samples : int, default 5000
            S, the draws per row.
        random_state : int, Generator or None, default None
            Seeds each row's draws with the row's own values, as ``elbo``.

        Returns
        -------
        log_px : ndarray of shape (n_samples,)
            The estimate of log p(x) of each row, in nats (float64).

        See Also
        --------
        elbo : The one-draw evidence lower bound.

        Examples
        --------
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> vae = VariationalAutoencoder(hidden=(32, 2), epochs=1, random_state=0).fit(X)
        >>> vae.log_likelihood(X[:3], importance_samples=100, random_state=0).shape
        (3,)
        """
        X = self._scoring_input(X)
        S = check_number("importance_samples", importance_samples, low=1, integer=True)
        net, objective, k = self.network_, self._objective(beta=1.0), self.latent_dim_
        log_weights = vae_log_weights
        if resolve_backend(self.backend) == "numba":  # the same numbers, the decoder fused
            from ..fused_vae_step import fused_log_weights
            kernels = load_kernels()

            def log_weights(net, X, eps, objective):
                return fused_log_weights(net, X, eps, objective, kernels)

        rows = max(1, min(PREDICT_CHUNK, LIKELIHOOD_BLOCK // S))  # rows at a time, then draws at a time
        draws = max(1, LIKELIHOOD_BLOCK // rows)
        out = []
        with thread_limit(self.n_threads):
            for i in range(0, X.shape[0], rows):
                Xc = np.asarray(X[i:i + rows], dtype=net.dtype)
                eps = row_seeded_normals(Xc, S, k, random_state, net.dtype)
                log_w = np.concatenate([log_weights(net, Xc, eps[s:s + draws], objective) for s in range(0, S, draws)])
                out.append(logsumexp_weights(log_w)[0])
        return np.concatenate(out)

    def score_samples(self, X):
        """The ELBO of each row, in nats (``elbo`` with its default seed): higher means more typical.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``elbo(X)``.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> vae = VariationalAutoencoder(hidden=(32, 2), epochs=1, random_state=0).fit(X)
        >>> bool(np.array_equal(vae.score_samples(X[:3]), vae.elbo(X[:3])))
        True
        """
        return self.elbo(X)

    def score(self, X, y=None):
        """The mean ELBO per sample, in nats.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to score.
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        score : float
            The mean of ``score_samples(X)``.

        Examples
        --------
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> vae = VariationalAutoencoder(hidden=(32, 2), epochs=1, random_state=0).fit(X)
        >>> isinstance(vae.score(X[:10]), float)
        True
        """
        return float(np.mean(self.score_samples(X)))

    def reconstruction_error(self, X, per_feature=False):
        """The negative ELBO of each row, in nats (= -score_samples): higher = more unusual.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to score.
        per_feature : bool, default False
            Must be False: a VAE's score is the ELBO of the whole sample, not a sum of
            per-feature errors.

        Returns
        -------
        errors : ndarray of shape (n_samples,)
            -elbo(X).

        Raises
        ------
        ParameterError
            If ``per_feature`` is true.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import VariationalAutoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> vae = VariationalAutoencoder(hidden=(32, 2), epochs=1, random_state=0).fit(X)
        >>> bool(np.array_equal(vae.reconstruction_error(X[:3]), -vae.score_samples(X[:3])))
        True
        """
        if per_feature:
            raise ParameterError("per_feature is not available for a VariationalAutoencoder: its score "
                                 "is the ELBO of the whole sample")
        return -self.score_samples(X)

    # ------------------------------------------------------------ gradcheck, io
    def _gradcheck_problem(self, X, noise_seed=0):
        """Float64 copy of the training loss at X (the current beta) for ``npae.gradcheck``,
        with the noise eps re-drawn from ``noise_seed`` at each evaluation (held fixed). X is
        used as given (not binarized: a binarization has no gradient)."""
        X = check_array(X, dtype=np.float64)
        if hasattr(self, "network_"):
            X = check_array(X, dtype=np.float64, n_features=self.n_features_in_)
            model, net = self, self.network_.copy(np.float64)
        else:
            hidden, _ = self._validate_params()
            model = type(self)(**self.get_params(deep=False))
            model._initialize(X, hidden, np.float64)
            net = model.network_
        objective = model._objective()
        X_in = X.copy()
        shape = (int(self.importance_samples), X.shape[0], model.latent_dim_)

        def evaluate():
            eps = np.random.default_rng(noise_seed).standard_normal(shape)
            loss, _, dX = vae_objective(net, X_in, X, eps, objective, need_dX=True)
            grads = {name: net.grad_of(name).copy() for name in net.param_names}
            grads["input"] = dX
            return loss, grads

        arrays = {name: net.param(name) for name in net.param_names}
        arrays["input"] = X_in
        return GradcheckProblem(arrays, evaluate)

    _FILE_META = ("likelihood_", "output_activation_", "n_features_in_", "n_iter_", "history_", "backend_",
                  "data_range_", "kl_per_dimension_", "active_units_")

    def _file_meta(self):
        check_is_fitted(self)
        meta = {name: getattr(self, name, None) for name in self._FILE_META}
        return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in meta.items()}

    def _from_file_meta(self, meta, max_params):
        hidden, dtype = self._validate_params()
        check_keys("metadata", meta, self._FILE_META)
        self.likelihood_ = check_option("likelihood_", meta["likelihood_"], LIKELIHOODS)
        if meta["output_activation_"] != LIKELIHOODS[self.likelihood_].output_activation:
            raise DataError(f"output_activation_ {meta['output_activation_']!r} does not match the "
                            f"{self.likelihood_} likelihood")
        self.output_activation_ = meta["output_activation_"]
        self.n_features_in_ = check_number("n_features_in_", meta["n_features_in_"], low=1, integer=True)
        self.n_iter_ = check_number("n_iter_", meta["n_iter_"], low=0, integer=True)
        self.history_ = history_from_file("history_", meta["history_"])
        self.backend_ = check_option("backend_", meta["backend_"], {"numpy", "numba"})
        low, high = (float(v) for v in meta["data_range_"])
        if not (np.isfinite(low) and np.isfinite(high) and low <= high):
            raise DataError(f"data_range_ {meta['data_range_']!r} is not a finite [low, high]")
        self.data_range_ = (low, high)
        specs = self._specs(self.n_features_in_, hidden)
        if count_params(specs) > max_params:  # checked before allocating anything of that size
            raise DataError(f"the hyper-parameters describe {count_params(specs)} numbers, the file holds "
                            f"{max_params}")
        if meta["kl_per_dimension_"] is not None:
            kl = np.asarray(meta["kl_per_dimension_"], dtype=np.float64)
            if kl.shape != (hidden[-1],) or not np.all(np.isfinite(kl)):
                raise DataError(f"kl_per_dimension_ must be {hidden[-1]} finite numbers")
            self.kl_per_dimension_ = kl
            self.active_units_ = check_number("active_units_", meta["active_units_"], low=0, high=hidden[-1],
                                              integer=True)
        self._rng = check_random_state(self.random_state)
        self.network_ = Network(specs, dtype=dtype, chained=False)
        self._optimizer = None
        self._beta_now = self._beta_at(self.n_iter_ + 1)

    def _file_arrays(self):
        return dict(zip(self.network_.param_names, self.network_.params()))
