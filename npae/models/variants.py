"""The classic variants: an ``Autoencoder`` with other defaults, nothing more.

* ``DenoisingAutoencoder``:  corruption="masking", noise=0.3
* ``ContractiveAutoencoder``: contractive=0.1 (the exact Jacobian penalty; one hidden layer)
* ``SparseAutoencoder``:     sparsity=0.5, sparsity_target=0.05, sigmoid code

Each class's constructor has exactly ``Autoencoder``'s parameters with those
defaults replaced, so ``get_params``, ``set_params`` and ``sklearn.clone`` see an
ordinary signature.
"""

import inspect

from .autoencoder import Autoencoder


def init_with(base, defaults=None, extra=None, name="Autoencoder"):
    """An ``__init__`` with ``base.__init__``'s parameters (``defaults`` replaced) plus the
    keyword parameters ``extra`` ({name: default}); it stores every argument unchanged.
    Its ``__signature__`` is the full, explicit parameter list, so ``get_params`` and
    ``sklearn.clone`` see an ordinary constructor."""
    defaults, extra = defaults or {}, extra or {}
    signature = inspect.signature(base.__init__)
    unknown = set(defaults) - set(signature.parameters)
    if unknown:
        raise TypeError(f"{name}: unknown parameters {sorted(unknown)}")
    parameters = [p.replace(default=defaults.get(p.name, p.default)) for p in signature.parameters.values()]
    parameters += [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v) for k, v in extra.items()]
    signature = signature.replace(parameters=parameters)

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        for key in extra:
            setattr(self, key, arguments.pop(key))
        base.__init__(**arguments)

    __init__.__signature__ = signature
    __init__.__doc__ = f"{base.__name__}'s parameters, with the defaults {defaults} and the parameters {extra}."
    __init__.__qualname__ = f"{name}.__init__"
    return __init__


def _with_defaults(name, doc, defaults):
    """A subclass of Autoencoder whose __init__ signature has ``defaults`` replaced."""
    return type(name, (Autoencoder,), {"__init__": init_with(Autoencoder, defaults, name=name), "__doc__": doc,
                                       "__module__": __name__})


DenoisingAutoencoder = _with_defaults(
    "DenoisingAutoencoder",
    """Autoencoder trained to reconstruct the clean x from a corrupted x~ ~ q(x~ | x).

    Defaults: ``corruption="masking", noise=0.3`` (30% of the inputs zeroed, a fresh
    draw for every minibatch). No corruption at transform/reconstruct/score time.
    Otherwise an ``Autoencoder``: the same parameters, methods and fitted attributes.

    Parameters
    ----------
    hidden, activation, code_activation, output_activation, loss, tied
        As in ``Autoencoder``, with the same defaults.
    corruption : {"gaussian", "masking", "salt_pepper", None} or callable, default "masking"
        The corruption q(x~ | x) of the training inputs: "gaussian" adds
        ``noise * N(0, 1)``, "masking" zeroes each entry with probability ``noise``,
        "salt_pepper" sets a fraction ``noise`` of the entries to the training data's min
        or max; a callable ``corruption(X, rng) -> X~`` may replace them. None trains a
        plain autoencoder.
    noise : float, default 0.3
        The corruption's level (in [0, 1] for "masking" and "salt_pepper").
    contractive, contractive_mode, contractive_noise, sparsity, sparsity_target, sparsity_mode, \
weight_decay, dropout, optimizer, learning_rate, momentum, nesterov, batch_size, epochs, early_stopping, \
patience, lr_decay_patience, lr_decay_factor, lr_decay_epochs, validation_fraction, on_divergence, \
random_state, contamination, novelty, dtype, backend, n_threads, verbose
        As in ``Autoencoder``, with the same defaults.

    Attributes
    ----------
    code_mean_ : ndarray of shape (n_components,)
        The mean of the training codes (n_components = ``hidden[-1]``).
    code_cov_ : ndarray of shape (n_components, n_components)
        The covariance of the training codes.
    code_min_, code_max_ : ndarray of shape (n_components,)
        The smallest and largest training code of each unit.
    feature_names_in_ : ndarray of shape (n_features,)
        The string column names of a DataFrame X, if it had them.
    calibration_scores_ : ndarray of shape (n_calibration,)
        A detector's ``score_samples`` of the rows its threshold is taken from.
    network_, loss_, output_activation_, n_features_in_, data_range_, history_, n_iter_, \
backend_, offset_, threshold_, n_encoder_layers_
        As in ``Autoencoder``.

    See Also
    --------
    Autoencoder : Every parameter, attribute and method.
    npae.corruption : The corruptions and their formulas.

    Examples
    --------
    >>> import numpy as np
    >>> from npae import DenoisingAutoencoder
    >>> from npae.datasets import load_digits
    >>> X, _ = load_digits()
    >>> dae = DenoisingAutoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(X)
    >>> dae.corruption, dae.noise
    ('masking', 0.3)
    >>> Z = dae.transform(X[:5])  # no corruption: the same codes every time
    >>> Z.shape, bool(np.array_equal(Z, dae.transform(X[:5])))
    ((5, 2), True)
    """,
    {"corruption": "masking", "noise": 0.3})

ContractiveAutoencoder = _with_defaults(
    "ContractiveAutoencoder",
    """Autoencoder with the contractive penalty ``lam * mean ||J_h(x)||_F^2``.

    Defaults: ``contractive=0.1``, ``contractive_mode="analytic"`` (exact, for a
    one-layer encoder: ``hidden=(256,)``); use ``contractive_mode="stochastic"`` for
    deeper encoders. The penalty is the squared Frobenius norm of the encoder's Jacobian
    J_h(x) = dh/dx, averaged over the minibatch's rows: it makes the code insensitive to
    small moves of the input. Otherwise an ``Autoencoder``: the same parameters, methods
    and fitted attributes.

    Parameters
    ----------
    hidden : int or tuple of int, default (256,)
        Encoder widths, the last is the code size. One layer, as the analytic penalty
        needs; a deeper encoder needs ``contractive_mode="stochastic"``.
    activation, code_activation, output_activation, loss, tied, corruption, noise
        As in ``Autoencoder``, with the same defaults.
    contractive : float, default 0.1
        The penalty's weight lam.
    contractive_mode : {"analytic", "stochastic"}, default "analytic"
        "analytic": the exact Jacobian of a one-layer encoder; "stochastic": its estimate
        ``lam * mean_n ||h(x_n) - h(x_n + eps_n)||^2`` with
        ``eps ~ N(0, contractive_noise^2)``, for any depth.
    contractive_noise : float, default 0.1
        The standard deviation of the stochastic estimate's noise.
    sparsity, sparsity_target, sparsity_mode, weight_decay, dropout, optimizer, learning_rate, \
momentum, nesterov, batch_size, epochs, early_stopping, patience, lr_decay_patience, lr_decay_factor, \
lr_decay_epochs, validation_fraction, on_divergence, random_state, contamination, novelty, \
dtype, backend, n_threads, verbose
        As in ``Autoencoder``, with the same defaults.

    Attributes
    ----------
    code_mean_ : ndarray of shape (n_components,)
        The mean of the training codes (n_components = ``hidden[-1]``).
    code_cov_ : ndarray of shape (n_components, n_components)
        The covariance of the training codes.
    code_min_, code_max_ : ndarray of shape (n_components,)
        The smallest and largest training code of each unit.
    feature_names_in_ : ndarray of shape (n_features,)
        The string column names of a DataFrame X, if it had them.
    calibration_scores_ : ndarray of shape (n_calibration,)
        A detector's ``score_samples`` of the rows its threshold is taken from.
    network_, loss_, output_activation_, n_features_in_, data_range_, history_, n_iter_, \
backend_, offset_, threshold_, n_encoder_layers_
        As in ``Autoencoder``; ``history_["contractive"]`` holds the penalty per epoch.

    See Also
    --------
    Autoencoder : Every parameter, attribute and method.
    StackedAutoencoder : Train one-layer contractive autoencoders greedily, then stack them.

    Examples
    --------
    >>> from npae import ContractiveAutoencoder
    >>> from npae.datasets import load_digits
    >>> X, _ = load_digits()
    >>> cae = ContractiveAutoencoder(hidden=(16,), epochs=1, random_state=0).fit(X)
    >>> cae.transform(X[:5]).shape, len(cae.history_["contractive"])
    ((5, 16), 1)
    >>> deep = ContractiveAutoencoder(hidden=(16, 2), contractive_mode="stochastic", epochs=1, random_state=0)
    >>> deep.fit(X).transform(X[:5]).shape
    (5, 2)
    """,
    {"contractive": 0.1, "hidden": (256,)})

SparseAutoencoder = _with_defaults(
    "SparseAutoencoder",
    """Autoencoder whose code units are pushed to a small mean activation.

    Defaults: ``sparsity=0.5`` (beta), ``sparsity_target=0.05`` (rho), KL penalty
    ``beta * sum_j KL(rho || rho_hat_j)`` on a sigmoid code of ``hidden=(256,)``, where
    rho_hat_j is the mean activation of code unit j over the minibatch. Otherwise an
    ``Autoencoder``: the same parameters, methods and fitted attributes.

    Parameters
    ----------
    hidden : int or tuple of int, default (256,)
        Encoder widths, the last is the code size.
    activation : str, default "sigmoid"
        The hidden layers' activation, and the code layer's unless ``code_activation`` is
        given. The KL penalty needs a code in (0, 1): a sigmoid code.
    code_activation : str or None, default None
        The code layer's activation; None: ``activation``.
    output_activation, loss, tied, corruption, noise, contractive, contractive_mode, \
contractive_noise
        As in ``Autoencoder``, with the same defaults.
    sparsity : float, default 0.5
        The penalty's weight beta.
    sparsity_target : float, default 0.05
        The target mean activation rho of each code unit, in (0, 1).
    sparsity_mode : {"kl", "l1"}, default "kl"
        "kl": the KL penalty above; "l1": ``beta * mean_n sum_j |a_nj|``, for a code of any
        activation.
    weight_decay, dropout, optimizer, learning_rate, momentum, nesterov, batch_size, epochs, \
early_stopping, patience, lr_decay_patience, lr_decay_factor, lr_decay_epochs, \
validation_fraction, on_divergence, random_state, contamination, novelty, dtype, backend, \
n_threads, verbose
        As in ``Autoencoder``, with the same defaults.

    Attributes
    ----------
    code_mean_ : ndarray of shape (n_components,)
        The mean of the training codes (n_components = ``hidden[-1]``): each unit's mean
        activation, which the penalty pushes towards ``sparsity_target``.
    code_cov_ : ndarray of shape (n_components, n_components)
        The covariance of the training codes.
    code_min_, code_max_ : ndarray of shape (n_components,)
        The smallest and largest training code of each unit.
    feature_names_in_ : ndarray of shape (n_features,)
        The string column names of a DataFrame X, if it had them.
    calibration_scores_ : ndarray of shape (n_calibration,)
        A detector's ``score_samples`` of the rows its threshold is taken from.
    network_, loss_, output_activation_, n_features_in_, data_range_, history_, n_iter_, \
backend_, offset_, threshold_, n_encoder_layers_
        As in ``Autoencoder``; ``history_["sparsity"]`` holds the penalty per epoch.

    See Also
    --------
    Autoencoder : Every parameter, attribute and method.

    Examples
    --------
    >>> from npae import SparseAutoencoder
    >>> from npae.datasets import load_digits
    >>> X, _ = load_digits()
    >>> sae = SparseAutoencoder(hidden=(16,), epochs=1, random_state=0).fit(X)
    >>> Z = sae.transform(X)
    >>> Z.shape, bool(((Z >= 0) & (Z <= 1)).all()), sae.code_mean_.shape
    ((1797, 16), True, (16,))
    >>> len(sae.history_["sparsity"])
    1
    """,
    {"sparsity": 0.5, "sparsity_target": 0.05, "hidden": (256,), "activation": "sigmoid"})
