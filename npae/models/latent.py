"""Moving on the learned manifold: sampling, interpolating and gridding the code space.

A fitted autoencoder's decoder maps codes back to data space, so points of the code
region the training data occupy decode to data-like outputs. ``fit`` records that
region (``code_mean_``, ``code_cov_``, ``code_min_``, ``code_max_``, from the codes of
the training data); these methods draw from it and decode.
"""

import numpy as np

from ..errors import DataError
from ..validation import check_is_fitted, check_number, check_random_state


def code_statistics(Z):
    """Mean (d,), covariance (d, d), min and max (d,) of training codes Z (n, d)."""
    Z = np.asarray(Z, dtype=np.float64)
    cov = np.cov(Z, rowvar=False).reshape(Z.shape[1], Z.shape[1]) if len(Z) > 1 else np.zeros((Z.shape[1],) * 2)
    return Z.mean(axis=0), cov, Z.min(axis=0), Z.max(axis=0)


class LatentMixin:
    """``sample``, ``interpolate`` and ``latent_grid`` for a fitted autoencoder."""

    def sample(self, n_samples=1, *, around=None, scale=0.1, random_state=None):
        """Decode ``n_samples`` codes drawn from the region the training codes occupy.

        Without ``around``: codes ~ N(code_mean_, code_cov_), a Gaussian fitted to the
        training codes. With ``around`` (rows of data, (m, n_features)): the codes of those
        rows, each jittered ``n_samples`` times by N(0, (scale * code std)^2) — a small
        region of the manifold around given points. Returns (n_samples [* m], n_features).
        Randomness comes from ``random_state`` (default: the model's own generator)."""
        check_is_fitted(self, "code_mean_")
        check_number("n_samples", n_samples, low=1, integer=True)
        check_number("scale", scale, low=0.0)
        rng = self._rng if random_state is None else check_random_state(random_state)
        if around is None:
            Z = rng.multivariate_normal(self.code_mean_, self.code_cov_, size=n_samples, method="eigh")
        else:
            centres = np.repeat(self.transform(around).astype(np.float64), n_samples, axis=0)
            std = np.sqrt(np.maximum(np.diag(self.code_cov_), 0.0))
            Z = centres + scale * std * rng.standard_normal(centres.shape)
        return self.inverse_transform(Z)

    def interpolate(self, x_a, x_b, steps=8):
        """Decode the straight line between the codes of x_a and x_b (each (n_features,)):
        ``steps`` points from h(x_a) to h(x_b) inclusive. Returns (steps, n_features)."""
        check_number("steps", steps, low=2, integer=True)
        ends = []
        for name, x in (("x_a", x_a), ("x_b", x_b)):
            x = np.asarray(x)
            if x.ndim > 2 or x.ndim == 2 and x.shape[0] != 1:
                raise DataError(f"{name} must be one row (n_features,); got shape {x.shape} (interpolate "
                                "each pair of rows on its own)")
            ends.append(self.transform(np.atleast_2d(x))[0])
        za, zb = ends
        t = np.linspace(0.0, 1.0, steps)[:, None]
        return self.inverse_transform((1 - t) * za + t * zb)

    def latent_grid(self, n=10, margin=0.05):
        """For a 2-D code: an n x n grid over the box the training codes occupy (widened by
        ``margin`` of its size), decoded. Returns (codes (n*n, 2), decoded (n*n, n_features)),
        row by row from the top (largest second code) down, as an image grid reads."""
        check_is_fitted(self, "code_mean_")
        if len(self.code_mean_) != 2:
            raise DataError(f"latent_grid needs a 2-D code; this model's code has {len(self.code_mean_)} "
                            "units (plot its PCA projection instead)")
        low, high = self.code_min_, self.code_max_
        pad = margin * (high - low)
        u = np.linspace(low[0] - pad[0], high[0] + pad[0], n)
        v = np.linspace(high[1] + pad[1], low[1] - pad[1], n)
        codes = np.array([[a, b] for b in v for a in u])
        return codes, self.inverse_transform(codes)
