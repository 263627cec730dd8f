"""``PCA``: principal component analysis by NumPy's SVD, the linear baseline.

With X centred by its column means mu, the SVD X - mu = U S V^T gives the
principal directions as the rows of V^T; the code of x is (x - mu) V_k and its
reconstruction z V_k^T + mu. A linear autoencoder with a k-unit code trained on
squared error learns the same k-dimensional subspace (not the same basis).
"""

import numbers

import numpy as np

from ..errors import DataError, ParameterError
from ..validation import check_array, check_is_fitted, check_keys, feature_names
from .base import BaseEstimator


class PCA(BaseEstimator):
    """Project onto the ``n_components`` directions of largest variance.

    Fitted attributes: ``mean_`` (n_features,), ``components_`` (k, n_features),
    ``explained_variance_`` (k,), ``explained_variance_ratio_`` (k,),
    ``singular_values_`` (k,), ``n_features_in_``, ``n_components_``."""

    def __init__(self, n_components=2):
        self.n_components = n_components

    def fit(self, X, y=None):
        names = feature_names(X)
        X = check_array(X, dtype=np.float64)
        self.__dict__.pop("feature_names_in_", None)  # a refit on an array keeps no names of an earlier fit
        if names is not None:
            self.feature_names_in_ = names
        n, d = X.shape
        k = self.n_components
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
            raise ParameterError(f"n_components must be a positive integer; got {k!r}")
        if k > min(n, d):
            raise DataError(f"n_components={k} must be at most min(n_samples, n_features) = {min(n, d)}")
        self.mean_ = X.mean(axis=0)
        U, S, Vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        # deterministic signs: the largest-magnitude entry of each component is positive
        signs = np.sign(Vt[np.arange(Vt.shape[0]), np.argmax(np.abs(Vt), axis=1)])
        signs[signs == 0] = 1.0
        Vt *= signs[:, None]
        variance = S ** 2 / max(n - 1, 1)
        total = variance.sum()
        self.components_ = Vt[:k]
        self.singular_values_ = S[:k]
        self.explained_variance_ = variance[:k]
        self.explained_variance_ratio_ = variance[:k] / total if total > 0 else np.zeros(k)
        self.n_components_ = k
        self.n_features_in_ = d
        return self

    def transform(self, X):
        """(n, n_features) -> codes (n, n_components): (X - mean_) @ components_.T."""
        check_is_fitted(self, "components_")
        X = check_array(X, dtype=np.float64, n_features=self.n_features_in_, estimator="PCA")
        return (X - self.mean_) @ self.components_.T

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        """codes (n, n_components) -> (n, n_features): Z @ components_ + mean_."""
        check_is_fitted(self, "components_")
        Z = check_array(Z, dtype=np.float64, name="Z", n_features=self.n_components_)
        return Z @ self.components_ + self.mean_

    def reconstruct(self, X):
        """Projection of X onto the principal subspace, in data space."""
        return self.inverse_transform(self.transform(X))

    def score_samples(self, X):
        """Per-sample negative mean squared reconstruction error, shape (n,)."""
        X = check_array(X, dtype=np.float64)
        return -np.mean((self.reconstruct(X) - X) ** 2, axis=1)

    def score(self, X, y=None):
        return float(np.mean(self.score_samples(X)))

    _ARRAYS = ("mean_", "components_", "singular_values_", "explained_variance_", "explained_variance_ratio_")

    def _file_meta(self):
        check_is_fitted(self, "components_")
        return {"n_components_": self.n_components_, "n_features_in_": self.n_features_in_}

    def _from_file_meta(self, meta, max_params):
        check_keys("metadata", meta, ("n_components_", "n_features_in_"))
        k, d = meta["n_components_"], meta["n_features_in_"]
        for name, value in (("n_components_", k), ("n_features_in_", d)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DataError(f"{name} must be a positive integer; got {value!r}")
        if k != self.n_components or k > d or d + k * d + 3 * k > max_params:
            raise DataError("PCA metadata does not match its arrays")
        self.n_components_, self.n_features_in_ = k, d
        self.mean_ = np.zeros(d)
        self.components_ = np.zeros((k, d))
        for name in self._ARRAYS[2:]:
            setattr(self, name, np.zeros(k))

    def _file_arrays(self):
        return {name: getattr(self, name) for name in self._ARRAYS}

    def save(self, path):
        """Save the fitted PCA to ``path`` (.npz; see ``npae.load``)."""
        from ..io import save
        save(self, path)
