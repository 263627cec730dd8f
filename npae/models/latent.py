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

        Without ``around``: codes ~ N(``code_mean_``, ``code_cov_``), a Gaussian fitted to the
        training codes. With ``around`` (rows of data, (m, n_features)): the codes of those
        rows, each jittered ``n_samples`` times by N(0, (scale * code std)^2) — a small
        region of the manifold around given points. Returns (n_samples [* m], n_features).
        Randomness comes from ``random_state`` (default: the model's own generator).

        Parameters
        ----------
        n_samples : int, default 1
            Codes to draw (per row of ``around``, when given); at least 1.
        around : array-like of shape (m, n_features), default None
            Rows of data whose neighbourhoods to sample; None samples the whole code region.
        scale : float, default 0.1
            With ``around``: the jitter's standard deviation, as a fraction of each code
            unit's standard deviation over the training codes (>= 0; 0 decodes the rows'
            own codes).
        random_state : int, numpy.random.Generator or None, default None
            Seeds the draw; None draws from (and advances) the model's own generator, so
            two calls give different samples.

        Returns
        -------
        ndarray of shape (n_samples, n_features) or (m * n_samples, n_features)
            The decoded codes; with ``around``, the ``n_samples`` rows of each row of
            ``around`` follow one another.

        Raises
        ------
        NotFittedError
            The model is not fitted (or was loaded from a file without the code
            statistics).
        ParameterError
            ``n_samples`` or ``scale`` is invalid.

        See Also
        --------
        interpolate : Decode the line between the codes of two rows.
        latent_grid : Decode a grid over a 2-D code space.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = Autoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(X)
        >>> ae.sample(4, random_state=0).shape
        (4, 64)
        >>> bool(np.array_equal(ae.sample(4, random_state=0), ae.sample(4, random_state=0)))
        True
        >>> ae.sample(3, around=X[:2], random_state=0).shape
        (6, 64)
        """
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
        """Decode the straight line between the codes of x_a and x_b (each (n_features,)).

        ``steps`` points from h(x_a) to h(x_b) inclusive, evenly spaced in code space.
        Returns (steps, n_features).

        Parameters
        ----------
        x_a, x_b : array-like of shape (n_features,) or (1, n_features)
            The two rows whose codes are the ends of the line.
        steps : int, default 8
            The number of points, ends included; at least 2.

        Returns
        -------
        ndarray of shape (steps, n_features)
            The decoded points, from x_a's end to x_b's.

        Raises
        ------
        DataError
            ``x_a`` or ``x_b`` is more than one row.
        NotFittedError
            The model is not fitted.

        See Also
        --------
        sample : Decode random codes from the training codes' region.
        latent_grid : Decode a grid over a 2-D code space.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = Autoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(X)
        >>> path = ae.interpolate(X[0], X[1], steps=5)
        >>> path.shape, bool(np.allclose(path[0], ae.reconstruct(X[:1])[0], atol=1e-5))
        ((5, 64), True)
        """
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
        """For a 2-D code: an n x n grid over the box the training codes occupy, decoded.

        The box (``code_min_`` to ``code_max_``) is widened by ``margin`` of its size on
        each side. Returns (codes (n*n, 2), decoded (n*n, n_features)), row by row from the
        top (largest second code) down, as an image grid reads.

        Parameters
        ----------
        n : int, default 10
            Points along each axis.
        margin : float, default 0.05
            How far the grid reaches beyond the training codes' box, as a fraction of its
            size.

        Returns
        -------
        codes : ndarray of shape (n * n, 2)
            The grid's codes: the first code runs left to right within a row, the second
            from the largest down, row after row.
        decoded : ndarray of shape (n * n, n_features)
            ``inverse_transform(codes)``.

        Raises
        ------
        DataError
            The model's code does not have 2 units.
        NotFittedError
            The model is not fitted (or was loaded from a file without the code
            statistics).

        See Also
        --------
        npae.plot.plot_latent_grid : Draws the grid as an image.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> ae = Autoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(X)
        >>> codes, decoded = ae.latent_grid(n=4)
        >>> codes.shape, decoded.shape
        ((16, 2), (16, 64))
        >>> bool(codes[0, 1] > codes[-1, 1] and codes[0, 0] < codes[3, 0])
        True
        """
        check_is_fitted(self, "code_mean_")
        check_number("n", n, low=2, integer=True)
        check_number("margin", margin, low=0.0)
        if len(self.code_mean_) != 2:
            raise DataError(f"latent_grid needs a 2-D code; this model's code has {len(self.code_mean_)} "
                            "units (plot its PCA projection instead)")
        low, high = self.code_min_, self.code_max_
        pad = margin * (high - low)
        u = np.linspace(low[0] - pad[0], high[0] + pad[0], n)
        v = np.linspace(high[1] + pad[1], low[1] - pad[1], n)
        codes = np.array([[a, b] for b in v for a in u])
        return codes, self.inverse_transform(codes)
