"""Input corruption for denoising autoencoders: ``q(x~ | x)``.

With its random draw held fixed, every corruption here is an affine map of the
input, ``X~ = K * X + C`` (elementwise), so its backward pass is ``dX = K * dX~``.
Each function takes ``(X, level, rng, data_range)`` and returns ``(X~, K)``
(``K`` is None where it is all ones):

* ``gaussian``:    X~ = X + level * N(0, 1)                       (K = 1)
* ``masking``:     X~ = X * M,  M_ij ~ Bernoulli(1 - level)        (K = M)
* ``salt_pepper``: a fraction ``level`` of entries set to the data's min or max
                   with equal probability, the rest kept           (K = 1 - hit)

The noise comes only from ``rng``, the model's own generator, and is drawn
fresh for every minibatch. A user function ``corruption(X, rng) -> X~`` may
replace these; its K is unknown, so gradcheck does not check the input then.
"""

import numpy as np


def gaussian(X, level, rng, data_range=None):
    """X~ = X + level * eps, eps ~ N(0, 1).  X: (n, m).

    Parameters
    ----------
    X : ndarray of shape (n, m)
        The clean input.
    level : float
        Standard deviation of the noise.
    rng : numpy.random.Generator
        Where the noise comes from.
    data_range : tuple of float or None, default=None
        Unused (the corruptions share one signature).

    Returns
    -------
    X_tilde : ndarray of shape (n, m)
        The corrupted input X~, in the dtype of ``X``.
    K : None
        None: the input's gradient passes unchanged (K = 1).

    Examples
    --------
    >>> X_tilde, K = gaussian(np.zeros((2, 3)), 0.1, np.random.default_rng(0))
    >>> X_tilde.shape, K is None
    ((2, 3), True)
    """
    return X + level * rng.standard_normal(X.shape, dtype=X.dtype), None


def masking(X, level, rng, data_range=None):
    """X~ = X * M with M_ij = 0 with probability ``level`` (else 1).  X: (n, m).

    Parameters
    ----------
    X : ndarray of shape (n, m)
        The clean input.
    level : float
        Probability of zeroing each entry, in [0, 1].
    rng : numpy.random.Generator
        Where the noise comes from.
    data_range : tuple of float or None, default=None
        Unused (the corruptions share one signature).

    Returns
    -------
    X_tilde : ndarray of shape (n, m)
        The corrupted input X~, in the dtype of ``X``.
    K : ndarray of shape (n, m)
        The mask M (1 kept, 0 zeroed), in the dtype of ``X``.

    Examples
    --------
    >>> X_tilde, K = masking(np.ones((2, 3)), 0.5, np.random.default_rng(0))
    >>> np.array_equal(X_tilde, K), np.unique(K)
    (True, array([0., 1.]))
    """
    keep = (rng.random(X.shape, dtype=X.dtype) >= level).astype(X.dtype)
    return X * keep, keep


def salt_pepper(X, level, rng, data_range=(0.0, 1.0)):
    """A fraction ``level`` of entries set to min (pepper) or max (salt), half each.  X: (n, m).

    Parameters
    ----------
    X : ndarray of shape (n, m)
        The clean input.
    level : float
        Probability of hitting each entry, in [0, 1].
    rng : numpy.random.Generator
        Where the noise comes from.
    data_range : tuple of float, default=(0.0, 1.0)
        ``(min, max)``: the pepper and salt values.

    Returns
    -------
    X_tilde : ndarray of shape (n, m)
        The corrupted input X~, in the dtype of ``X``.
    K : ndarray of shape (n, m)
        1 where the entry was kept, 0 where it was hit, in the dtype of ``X``.

    Examples
    --------
    >>> X_tilde, K = salt_pepper(np.full((2, 3), 0.5), 0.5, np.random.default_rng(0))
    >>> np.unique(X_tilde), np.array_equal(X_tilde == 0.5, K == 1)
    (array([0. , 0.5, 1. ]), True)
    """
    low, high = data_range
    u = rng.random(X.shape, dtype=X.dtype)
    hit = u < level
    salt = u < level / 2.0
    X_tilde = np.where(hit, np.where(salt, high, low), X).astype(X.dtype, copy=False)
    return X_tilde, (~hit).astype(X.dtype)


CORRUPTIONS = {"gaussian": gaussian, "masking": masking, "salt_pepper": salt_pepper}


def corrupt(X, corruption, level, rng, data_range=(0.0, 1.0)):
    """Apply the named corruption (or a callable ``corruption(X, rng)``): returns ``(X~, K)``;
    ``K`` is None for the identity and for callables (see the module docstring).

    Parameters
    ----------
    X : ndarray of shape (n, m)
        The clean input (it is not modified: a callable gets a copy).
    corruption : {"gaussian", "masking", "salt_pepper"} or callable
        A key of ``CORRUPTIONS``, or ``corruption(X, rng) -> X~`` of the same shape.
    level : float
        The corruption's level (ignored by a callable).
    rng : numpy.random.Generator
        Where the noise comes from.
    data_range : tuple of float, default=(0.0, 1.0)
        ``(min, max)`` of the data, for ``salt_pepper``.

    Returns
    -------
    X_tilde : ndarray of shape (n, m)
        The corrupted input X~, in the dtype of ``X``.
    K : ndarray of shape (n, m) or None
        The factor of the backward pass ``dX = K * dX~``; None when it is all ones or unknown.

    Raises
    ------
    ValueError
        If a callable returns an array of another shape than ``X``.

    Examples
    --------
    >>> X = np.ones((2, 3))
    >>> X_tilde, K = corrupt(X, "masking", 0.5, np.random.default_rng(0))
    >>> np.array_equal(X_tilde, X * K)
    True
    >>> X_tilde, K = corrupt(X, lambda X, rng: X + 1.0, 0.0, np.random.default_rng(0))
    >>> X_tilde[0], K is None
    (array([2., 2., 2.]), True)
    """
    if callable(corruption):
        X_tilde = np.asarray(corruption(X.copy(), rng), dtype=X.dtype)  # X is also the target
        if X_tilde.shape != X.shape:
            raise ValueError(f"the corruption callable returned shape {X_tilde.shape}; "
                             f"it must return the shape of its input {X.shape}")
        return X_tilde, None
    if corruption == "salt_pepper" and data_range is None:
        raise ValueError("salt_pepper corruption needs data_range=(min, max) of the data: the values "
                         "it sets corrupted entries to")
    return CORRUPTIONS[corruption](X, level, rng, data_range)
