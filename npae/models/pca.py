"""``PCA``: principal component analysis by NumPy's SVD, the linear baseline.

With X centred by its column means mu, the SVD X - mu = U S V^T gives the
principal directions as the rows of V^T; the code of x is (x - mu) V_k and its
reconstruction z V_k^T + mu. A linear autoencoder with a k-unit code trained on
squared error learns the same k-dimensional subspace (not the same basis).

X in a file (a memmap, an h5py dataset, a zarr array) is read a chunk of rows at a
time: the mean and the scatter matrix (X - mu)^T (X - mu) = V S^2 V^T are summed
over the chunks, and its eigendecomposition gives V and S.
"""

import numbers

import numpy as np

from ..errors import DataError, ParameterError
from ..validation import (READ_CHUNK_BYTES, check_array, check_is_fitted, check_keys, check_rows, chunk_rows,
                          feature_names, in_memory)
from .base import BaseEstimator


def float64_chunks(X):
    """The rows of X in order, as float64 arrays of at most ``chunk_rows(X)`` rows and
    ``READ_CHUNK_BYTES`` (converted: a float32 chunk takes twice its size in float64)."""
    step = max(1, min(chunk_rows(X), READ_CHUNK_BYTES // (8 * X.shape[1])))
    for start in range(0, X.shape[0], step):
        yield np.asarray(X[start:start + step], dtype=np.float64)


def mean_and_scatter(X):
    """The column means of X and its scatter matrix sum_i (x_i - mean)(x_i - mean)^T, in
    float64, in one pass over ``float64_chunks(X)``: each chunk's mean and centred scatter are
    merged into the running ones (Chan, Golub & LeVeque's pairwise update). Summing X^T X and
    subtracting n mean mean^T at the end would need no merge, but loses the digits the mean
    shares with the data (all of them for data far from the origin)."""
    d = X.shape[1]
    n, mean, scatter = 0, np.zeros(d), np.zeros((d, d))
    for chunk in float64_chunks(X):
        m = chunk.shape[0]
        chunk_mean = chunk.mean(axis=0)
        centred = chunk - chunk_mean
        delta = chunk_mean - mean
        scatter += centred.T @ centred
        scatter += np.outer(delta, delta * (n * m / (n + m)))
        mean += delta * (m / (n + m))
        n += m
    return mean, scatter


class PCA(BaseEstimator):
    """Project onto the ``n_components`` directions of largest variance.

    Principal component analysis by NumPy's exact SVD of the centred data, in float64:
    with ``X - mean_ = U S V^T``, the components are the first ``n_components`` rows of
    V^T, the code of x is ``(x - mean_) @ components_.T`` and its reconstruction
    ``z @ components_ + mean_``. The linear baseline for npae's autoencoders: a linear
    autoencoder with a k-unit code trained on squared error learns the same subspace.

    Data in a file (a memmap, an h5py dataset, a zarr array) with more rows than columns
    are never read whole: ``fit`` sums the mean and the d x d scatter matrix
    ``(X - mean_)^T (X - mean_) = V S^2 V^T`` over chunks of rows and takes V and S from its
    eigendecomposition: the same components to rounding, the squared singular values exact
    to about 1e-16 of the largest one, not of each. (With fewer rows than columns that
    matrix would be larger than X, which is then read and decomposed as in memory.)
    ``transform`` and ``score_samples`` read a chunk at a time.

    Parameters
    ----------
    n_components : int, default 2
        k, the number of principal directions kept; at most min(n_samples, n_features)
        of the training data.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        The column means of the training data.
    components_ : ndarray of shape (n_components, n_features)
        The principal directions (unit rows, orthogonal), in decreasing order of
        variance; each row's largest-magnitude entry is positive, so the signs are
        deterministic.
    explained_variance_ : ndarray of shape (n_components,)
        The variance of the training data along each component (S^2 / (n_samples - 1)).
    explained_variance_ratio_ : ndarray of shape (n_components,)
        Each component's share of the total variance (of all directions, not only the
        kept ones); zeros when the data have no variance.
    singular_values_ : ndarray of shape (n_components,)
        The singular values S of the centred training data.
    n_components_ : int
        The number of components kept (``n_components``).
    n_features_in_ : int
        The number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        The column names of X, when ``fit`` was given a DataFrame with string column
        names; otherwise absent.

    See Also
    --------
    Autoencoder : A non-linear dimensionality reduction trained by backpropagation.

    Examples
    --------
    >>> from npae import PCA
    >>> from npae.datasets import load_digits
    >>> X, _ = load_digits()
    >>> pca = PCA(n_components=2).fit(X)
    >>> pca.components_.shape, pca.explained_variance_ratio_.shape
    ((2, 64), (2,))
    >>> pca.transform(X[:3]).shape
    (3, 2)
    """

    def __init__(self, n_components=2):
        self.n_components = n_components

    def fit(self, X, y=None):
        """Fit the principal components of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training data (finite numbers). A memmap, an h5py dataset or a zarr array
            is read a chunk of rows at a time (its covariance summed over the chunks), never
            whole.
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        self : PCA
            The fitted estimator.

        Raises
        ------
        ParameterError
            If ``n_components`` is not a positive integer.
        DataError
            If X is not a finite 2-D array, or ``n_components`` exceeds
            min(n_samples, n_features).

        Examples
        --------
        >>> from npae import PCA
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> pca = PCA(n_components=3).fit(X)
        >>> pca.n_components_, pca.n_features_in_, pca.mean_.shape
        (3, 64, (64,))
        """
        names = feature_names(X)
        X = check_rows(X, np.float64, estimator="PCA")
        self.__dict__.pop("feature_names_in_", None)  # a refit on an array keeps no names of an earlier fit
        if names is not None:
            self.feature_names_in_ = names
        n, d = X.shape
        k = self.n_components
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
            raise ParameterError(f"n_components must be a positive integer; got {k!r}")
        if k > min(n, d):
            raise DataError(f"n_components={k} must be at most min(n_samples, n_features) = {min(n, d)}")
        if not in_memory(X) and d > n:  # a d x d scatter would be larger than X itself: read X
            X = np.concatenate(list(float64_chunks(X)))
        if in_memory(X):
            self.mean_ = X.mean(axis=0)
            U, S, Vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        else:  # a file with more rows than columns: memory O(chunk + d^2), less than X's
            self.mean_, scatter = mean_and_scatter(X)
            # scatter = V S^2 V^T: its eigenvalues, largest first, are the squared singular values
            # (rounding may leave the null ones slightly negative), its eigenvectors the rows of V^T
            eigenvalues, V = np.linalg.eigh(scatter)
            r = min(n, d)
            S = np.sqrt(np.maximum(eigenvalues[::-1][:r], 0.0))
            Vt = np.ascontiguousarray(V[:, ::-1][:, :r].T)
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
        """Project X onto the principal components: ``(X - mean_) @ components_.T``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to encode.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            The codes, in float64.

        Raises
        ------
        NotFittedError
            If the PCA is not fitted.
        DataError
            If X does not have ``n_features_in_`` columns.

        Examples
        --------
        >>> from npae import PCA
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> Z = PCA(n_components=2).fit(X).transform(X[:5])
        >>> Z.shape, Z.dtype
        ((5, 2), dtype('float64'))
        """
        check_is_fitted(self, "components_")
        X = check_rows(X, np.float64, n_features=self.n_features_in_, estimator="PCA")
        if in_memory(X):
            return (X - self.mean_) @ self.components_.T
        return np.concatenate([(chunk - self.mean_) @ self.components_.T for chunk in float64_chunks(X)])

    def fit_transform(self, X, y=None):
        """Fit the PCA on X, then return the codes of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training data.
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            ``fit(X).transform(X)``.

        Examples
        --------
        >>> from npae import PCA
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> PCA(n_components=2).fit_transform(X).shape
        (1797, 2)
        """
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        """Map codes back to data space: ``Z @ components_ + mean_``.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_components)
            Codes, e.g. from ``transform``.

        Returns
        -------
        X_hat : ndarray of shape (n_samples, n_features)
            The points of the principal subspace with those codes, in float64.

        Raises
        ------
        NotFittedError
            If the PCA is not fitted.
        DataError
            If Z does not have ``n_components_`` columns.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import PCA
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> pca = PCA(n_components=2).fit(X)
        >>> pca.inverse_transform(np.zeros((1, 2))).shape
        (1, 64)
        >>> bool(np.allclose(pca.inverse_transform(np.zeros((1, 2)))[0], pca.mean_))
        True
        """
        check_is_fitted(self, "components_")
        Z = check_array(Z, dtype=np.float64, name="Z", n_features=self.n_components_)
        return Z @ self.components_ + self.mean_

    def reconstruct(self, X):
        """Project X onto the principal subspace, in data space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to reconstruct.

        Returns
        -------
        X_hat : ndarray of shape (n_samples, n_features)
            ``inverse_transform(transform(X))``, in float64.

        Examples
        --------
        >>> import numpy as np
        >>> from npae import PCA
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> pca = PCA(n_components=64).fit(X)
        >>> X_hat = pca.reconstruct(X[:3])
        >>> X_hat.shape, bool(np.allclose(X_hat, X[:3]))
        ((3, 64), True)
        """
        return self.inverse_transform(self.transform(X))

    def score_samples(self, X):
        """The negative mean squared reconstruction error of each sample.

        The same definition as ``Autoencoder.score_samples`` with ``loss="mse"``:
        -mean over features of (reconstruct(x) - x)^2. Higher means more typical.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            One non-positive score per row, in float64.

        Examples
        --------
        >>> from npae import PCA
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> scores = PCA(n_components=2).fit(X).score_samples(X[:4])
        >>> scores.shape, bool((scores <= 0).all())
        ((4,), True)
        """
        check_is_fitted(self, "components_")
        X = check_rows(X, np.float64, n_features=self.n_features_in_, estimator="PCA")
        if in_memory(X):
            return -np.mean((self.reconstruct(X) - X) ** 2, axis=1)
        return np.concatenate([-np.mean((self.reconstruct(chunk) - chunk) ** 2, axis=1)
                               for chunk in float64_chunks(X)])

    def score(self, X, y=None):
        """The mean of ``score_samples(X)``: the negative mean squared reconstruction error.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data to score.
        y : None
            Ignored; present for scikit-learn's API.

        Returns
        -------
        score : float
            Higher (closer to 0) means a better reconstruction.

        Examples
        --------
        >>> from npae import PCA
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> pca2, pca8 = PCA(n_components=2).fit(X), PCA(n_components=8).fit(X)
        >>> pca8.score(X) > pca2.score(X)
        True
        """
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
        """Save the fitted PCA to ``path`` (.npz; see ``npae.load``).

        The file is written atomically (to a temporary file, then renamed) and holds the
        hyper-parameters and the fitted arrays.

        Parameters
        ----------
        path : str or path-like
            Where to write the model.

        Raises
        ------
        NotFittedError
            If the PCA is not fitted.

        See Also
        --------
        npae.load : Read a saved model back.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from npae import PCA, load
        >>> from npae.datasets import load_digits
        >>> X, _ = load_digits()
        >>> pca = PCA(n_components=2).fit(X)
        >>> path = os.path.join(tempfile.mkdtemp(), "pca.npz")
        >>> pca.save(path)
        >>> bool(np.allclose(load(path).transform(X), pca.transform(X)))
        True
        """
        from ..io import save
        save(self, path)
