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
    """X~ = X + level * eps, eps ~ N(0, 1).  X: (n, m)."""
    return X + level * rng.standard_normal(X.shape, dtype=X.dtype), None


def masking(X, level, rng, data_range=None):
    """X~ = X * M with M_ij = 0 with probability ``level`` (else 1).  X: (n, m)."""
    keep = (rng.random(X.shape, dtype=X.dtype) >= level).astype(X.dtype)
    return X * keep, keep


def salt_pepper(X, level, rng, data_range=(0.0, 1.0)):
    """A fraction ``level`` of entries set to min (pepper) or max (salt), half each.  X: (n, m)."""
    low, high = data_range
    u = rng.random(X.shape, dtype=X.dtype)
    hit = u < level
    salt = u < level / 2.0
    X_tilde = np.where(hit, np.where(salt, high, low), X).astype(X.dtype, copy=False)
    return X_tilde, (~hit).astype(X.dtype)


CORRUPTIONS = {"gaussian": gaussian, "masking": masking, "salt_pepper": salt_pepper}


def corrupt(X, corruption, level, rng, data_range=(0.0, 1.0)):
    """Apply the named corruption (or a callable ``corruption(X, rng)``): returns ``(X~, K)``;
    ``K`` is None for the identity and for callables (see the module docstring)."""
    if callable(corruption):
        X_tilde = np.asarray(corruption(X.copy(), rng), dtype=X.dtype)  # X is also the target
        if X_tilde.shape != X.shape:
            raise ValueError(f"the corruption callable returned shape {X_tilde.shape}; "
                             f"it must return the shape of its input {X.shape}")
        return X_tilde, None
    return CORRUPTIONS[corruption](X, level, rng, data_range)
