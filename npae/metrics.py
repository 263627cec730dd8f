"""Metrics, with scikit-learn's signatures, in NumPy alone."""

import numpy as np

from .errors import DataError


def _ranks(values):
    """Ranks 1..n of values, ties given their average rank."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), dtype=np.float64)
    sorted_values = values[order]
    boundaries = np.flatnonzero(sorted_values[1:] != sorted_values[:-1]) + 1  # np.diff(inf, inf) is NaN
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(values)]])
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    return ranks


def roc_auc_score(y_true, y_score):
    """Area under the ROC curve: the probability that a random positive scores above a
    random negative (ties count one half), by the Mann-Whitney rank-sum formula::

        AUC = (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg)

    with R_pos the sum of the positives' ranks among all scores (ties given their average
    rank). The signature is scikit-learn's (binary case).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels of exactly two classes; the larger is the positive one.
    y_score : array-like of shape (n_samples,)
        Scores, higher meaning more positive (e.g. ``-model.score_samples(X)`` for outliers).

    Returns
    -------
    float
        The AUC in [0, 1]: 1 when every positive scores above every negative, 0.5 for chance.

    Raises
    ------
    DataError
        If the lengths differ, a score is NaN, or y_true does not hold exactly two classes.

    Examples
    --------
    >>> from npae.metrics import roc_auc_score
    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])
    1.0
    """
    y_true, y_score = np.asarray(y_true).ravel(), np.asarray(y_score, dtype=np.float64).ravel()
    if y_true.shape != y_score.shape:
        raise DataError(f"y_true and y_score have different lengths ({len(y_true)} and {len(y_score)})")
    if np.isnan(y_score).any():
        raise DataError(f"y_score contains {int(np.isnan(y_score).sum())} NaN value(s); a score must be a number")
    classes = np.unique(y_true)
    if len(classes) != 2:
        raise DataError(f"roc_auc_score needs exactly two classes in y_true; got {classes.tolist()}")
    positive = y_true == classes[1]
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    rank_sum = _ranks(y_score)[positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


#: Rows of a distance matrix computed at a time (memory: CHUNK x n floats).
CHUNK = 1024


def _neighbour_order(X, chunk=CHUNK):
    """For each row i, the other rows sorted by Euclidean distance to it (n, n-1)."""
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    sq = np.einsum("ij,ij->i", X, X)
    order = np.empty((n, n - 1), dtype=np.int64)
    for start in range(0, n, chunk):
        rows = slice(start, min(start + chunk, n))
        D = sq[rows, None] + sq[None, :] - 2.0 * X[rows] @ X.T
        idx = np.arange(rows.start, rows.stop)
        D[idx - start, idx] = np.inf  # a point is not its own neighbour
        order[rows] = np.argsort(D, axis=1, kind="stable")[:, :n - 1]
    return order


def trustworthiness(X, Z, n_neighbors=5, metric="euclidean"):
    """How far the embedding Z keeps out points that were far in X (scikit-learn's definition)::

        T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in U_i^k} (r(i, j) - k),

    where U_i^k are the k nearest neighbours of i in Z that are not among its k nearest
    in X, and r(i, j) is the rank of j among i's neighbours in X. 1 is perfect.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data.
    Z : array-like of shape (n_samples, n_components)
        Their embedding (codes), row for row.
    n_neighbors : int, default 5
        k, at least 1 and below n_samples / 2.
    metric : {"euclidean"}, default "euclidean"
        The distance (only Euclidean is supported).

    Returns
    -------
    float
        T(k), at most 1.

    Raises
    ------
    DataError
        If the numbers of rows differ, ``n_neighbors`` is out of range or ``metric`` is
        not "euclidean".

    See Also
    --------
    continuity : The same with the roles of X and Z swapped.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.metrics import trustworthiness
    >>> X = np.arange(20.0).reshape(10, 2)   # ten points on a line
    >>> trustworthiness(X, X[:, :1], n_neighbors=2)
    1.0
    >>> trustworthiness(X, X[::-1, :1] ** 2 % 7, n_neighbors=2) < 1.0
    True
    """
    if metric != "euclidean":
        raise DataError(f"metric={metric!r}: only 'euclidean' is supported")
    X, Z = np.asarray(X, dtype=np.float64), np.asarray(Z, dtype=np.float64)
    n, k = len(X), n_neighbors
    if len(Z) != n:
        raise DataError(f"X and Z have different numbers of rows ({n} and {len(Z)})")
    if not 1 <= k < n / 2:
        raise DataError(f"n_neighbors={k} must be at least 1 and below n_samples / 2 = {n / 2}")
    order_X = _neighbour_order(X)
    ranks = np.zeros((n, n), dtype=np.int64)  # ranks[i, j]: rank of j among i's neighbours in X
    ranks[np.arange(n)[:, None], order_X] = np.arange(1, n)
    near_Z = _neighbour_order(Z)[:, :k]
    penalty = np.maximum(ranks[np.arange(n)[:, None], near_Z] - k, 0).sum()
    return float(1.0 - 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)) * penalty)


def continuity(X, Z, n_neighbors=5):
    """How well the embedding Z keeps together points that were close in X: the
    trustworthiness formula with the roles of X and Z swapped. 1 is perfect.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data.
    Z : array-like of shape (n_samples, n_components)
        Their embedding (codes), row for row.
    n_neighbors : int, default 5
        k, at least 1 and below n_samples / 2.

    Returns
    -------
    float
        The continuity, at most 1.

    See Also
    --------
    trustworthiness

    Examples
    --------
    >>> import numpy as np
    >>> from npae.metrics import continuity
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> continuity(X, X[:, :1], n_neighbors=2)
    1.0
    """
    return trustworthiness(Z, X, n_neighbors)


def knn_accuracy(Z_train, y_train, Z_test=None, y_test=None, n_neighbors=5):
    """Accuracy of a k-nearest-neighbour majority vote (ties to the smallest label) in code
    space: of ``Z_test`` by ``Z_train``, or leave-one-out on ``Z_train`` when no test set
    is given.

    Parameters
    ----------
    Z_train : array-like of shape (n_samples, n_components)
        The codes that vote.
    y_train : array-like of shape (n_samples,)
        Their labels.
    Z_test : array-like of shape (n_test, n_components), optional
        The codes to classify; None: each row of ``Z_train`` by the others.
    y_test : array-like of shape (n_test,), optional
        Their labels (a label unknown to ``y_train`` counts as an error).
    n_neighbors : int, default 5
        k, from 1 to the number of voters.

    Returns
    -------
    float
        The fraction classified correctly, in [0, 1].

    Raises
    ------
    DataError
        If ``n_neighbors`` is not an integer from 1 to the number of voters.

    Examples
    --------
    >>> from npae.metrics import knn_accuracy
    >>> Z, y = [[0.0], [1.0], [10.0], [11.0]], [0, 0, 1, 1]
    >>> knn_accuracy(Z, y, [[0.5], [10.5]], [0, 1], n_neighbors=1)
    1.0
    >>> knn_accuracy(Z, y, n_neighbors=1)   # leave-one-out
    1.0
    """
    Z_train, y_train = np.asarray(Z_train, dtype=np.float64), np.asarray(y_train)
    limit = len(Z_train) - (Z_test is None)  # leave-one-out has one neighbour fewer
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, (int, np.integer)) or \
            not 1 <= n_neighbors <= limit:
        raise DataError(f"n_neighbors must be an integer in [1, {limit}]; got {n_neighbors!r}")
    classes, y_index = np.unique(y_train, return_inverse=True)
    if Z_test is None:
        neighbours = _neighbour_order(Z_train)[:, :n_neighbors]
        truth = y_index
    else:
        if y_test is None:
            raise DataError("knn_accuracy was given Z_test but no y_test: pass the test labels, "
                            "or neither for leave-one-out accuracy on Z_train")
        Z_test = np.asarray(Z_test, dtype=np.float64)
        sq_train = np.einsum("ij,ij->i", Z_train, Z_train)
        neighbours = np.empty((len(Z_test), n_neighbors), dtype=np.int64)
        for start in range(0, len(Z_test), CHUNK):
            Zc = Z_test[start:start + CHUNK]
            D = np.einsum("ij,ij->i", Zc, Zc)[:, None] + sq_train[None, :] - 2.0 * Zc @ Z_train.T
            neighbours[start:start + CHUNK] = np.argsort(D, axis=1, kind="stable")[:, :n_neighbors]
        truth = np.searchsorted(classes, np.asarray(y_test))
        known = np.isin(np.asarray(y_test), classes)
        truth = np.where(known, truth, -1)
    votes = np.zeros((len(neighbours), len(classes)), dtype=np.int64)
    np.add.at(votes, (np.arange(len(neighbours))[:, None], y_index[neighbours]), 1)
    return float(np.mean(np.argmax(votes, axis=1) == truth))


def coordinate_r2(Z, tau):
    """How well codes predict the intrinsic coordinates: R^2 of the least-squares affine
    map tau ~ [Z, 1] B, averaged over tau's columns (1 - SS_res / SS_tot).

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_components)
        The codes.
    tau : array-like of shape (n_samples, n_coordinates) or (n_samples,)
        The intrinsic coordinates (``make_manifold``'s second output).

    Returns
    -------
    float
        The mean R^2 over tau's columns; 1 when tau is an affine function of Z.

    See Also
    --------
    npae.datasets.make_manifold

    Examples
    --------
    >>> import numpy as np
    >>> from npae.metrics import coordinate_r2
    >>> t = np.linspace(0.0, 1.0, 10)
    >>> round(coordinate_r2(np.column_stack([2 * t + 1, t ** 2]), t), 6)
    1.0
    """
    Z, tau = np.asarray(Z, dtype=np.float64), np.asarray(tau, dtype=np.float64)
    tau = tau[:, None] if tau.ndim == 1 else tau
    design = np.column_stack([Z, np.ones(len(Z))])
    B, *_ = np.linalg.lstsq(design, tau, rcond=None)
    residual = ((tau - design @ B) ** 2).sum(axis=0)
    total = ((tau - tau.mean(axis=0)) ** 2).sum(axis=0)
    if np.any(total == 0.0):
        raise DataError(f"tau's column(s) {np.flatnonzero(total == 0.0).tolist()} are constant: R^2 is "
                        "undefined for a coordinate that does not vary; leave such columns out")
    return float(np.mean(1.0 - residual / total))


def _check_codes_and_factors(Z, factors, n_bins):
    """Z (n, d) and factors (n, k) (a 1-D factors is one factor) as finite arrays of one
    length; floating arrays keep their precision (np.histogram bins them in it), others
    become float64."""
    from .validation import check_array, check_number

    check_number("n_bins", n_bins, low=2, integer=True)
    if np.ndim(factors) == 1:
        factors = np.asarray(factors).reshape(-1, 1)
    Z, factors = check_array(Z, dtype=None, name="Z"), check_array(factors, dtype=None, name="factors")
    Z, factors = (A if A.dtype.kind == "f" else A.astype(np.float64) for A in (Z, factors))
    if len(Z) != len(factors):
        raise DataError(f"Z and factors have different numbers of rows ({len(Z)} and {len(factors)}); "
                        "pass one code row per sample of factors")
    return Z, factors


def _histogram_bins(values, n_bins):
    """Each column of ``values`` (n, m) discretised into ``n_bins`` equal-width bins over its own
    [min, max]: bin indices 0..n_bins-1, (n, m) int64. It is disentanglement_lib's
    ``np.digitize(x, np.histogram(x, n_bins)[1][:-1])`` minus one (the maximum falls in the last bin)."""
    bins = np.empty(values.shape, dtype=np.int64)
    for j in range(values.shape[1]):
        edges = np.histogram_bin_edges(values[:, j], n_bins)
        bins[:, j] = np.digitize(values[:, j], edges[:-1]) - 1
    return bins


def _entropies(bins, n_bins):
    """Entropy in nats of each discretised column of ``bins`` (n, k): H = -sum_a p(a) log p(a)."""
    n, k = bins.shape
    counts = np.bincount((bins + n_bins * np.arange(k)).ravel(), minlength=k * n_bins).reshape(k, n_bins)
    p = counts / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(counts > 0, p * np.log(p), 0.0).sum(axis=1)


def _mi_matrix(Z, factors, n_bins):
    """(d, k) discrete mutual information between the binned code dims and binned factors,
    and the binned factors (n, k)."""
    z_bins, f_bins = _histogram_bins(Z, n_bins), _histogram_bins(factors, n_bins)
    n, k = f_bins.shape
    offsets = (np.arange(k) * n_bins)[None, :]
    mi = np.empty((Z.shape[1], k))
    for i in range(Z.shape[1]):  # all k joint histograms of code dim i in one bincount
        cells = ((offsets + f_bins) * n_bins + z_bins[:, i:i + 1]).ravel()
        joint = np.bincount(cells, minlength=k * n_bins * n_bins).reshape(k, n_bins, n_bins).astype(np.float64)
        a, b = joint.sum(axis=2, keepdims=True), joint.sum(axis=1, keepdims=True)  # factor, code margins
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(joint > 0, joint / n * (np.log(joint) + np.log(n) - np.log(a) - np.log(b)), 0.0)
        mi[i] = np.maximum(terms.sum(axis=(1, 2)), 0.0)  # >= 0; rounding can leave -1e-17
    return mi, f_bins


def mutual_information_matrix(Z, factors, n_bins=20):
    """Mutual information in nats between every code dimension and every factor, after
    discretising each column of Z and of factors separately into ``n_bins`` equal-width bins
    over its own [min, max] (disentanglement_lib's histogram discretiser)::

        I(z_i; v_j) = sum_{a,b} p(a, b) log(p(a, b) / (p(a) p(b))),  p from the joint bin counts,

    which is ``sklearn.metrics.mutual_info_score`` of the two bin labelings. Integer-valued
    factors whose range (max - min) is at most ``n_bins`` keep their levels in separate bins,
    so for them this equals the mutual information with the undiscretised factor.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_components)
        The codes.
    factors : array-like of shape (n_samples, n_factors) or (n_samples,)
        The factors of variation (a 1-D array is one factor).
    n_bins : int, default 20
        Bins per column (at least 2).

    Returns
    -------
    ndarray of shape (n_components, n_factors)
        I(z_i; v_j) in nats, each at least 0.

    Raises
    ------
    DataError
        If Z and factors have different numbers of rows or hold NaN.

    See Also
    --------
    mutual_information_gap

    Examples
    --------
    >>> import numpy as np
    >>> from npae.metrics import mutual_information_matrix
    >>> factor = np.array([0, 0, 1, 1])
    >>> Z = np.column_stack([factor, [0, 1, 0, 1]])  # dim 0 is the factor, dim 1 ignores it
    >>> np.round(mutual_information_matrix(Z, factor), 6)   # log 2 and 0
    array([[0.693147],
           [0.      ]])
    """
    Z, factors = _check_codes_and_factors(Z, factors, n_bins)
    return _mi_matrix(Z, factors, int(n_bins))[0]


def mutual_information_gap(Z, factors, n_bins=20):
    """The Mutual Information Gap of Chen et al. (2018), as google-research/disentanglement_lib
    computes it: for each factor v_k, the gap between the code dimensions with the largest and
    the second-largest mutual information with it, normalised by its entropy, averaged::

        MIG = 1/K sum_k (I(z_(1); v_k) - I(z_(2); v_k)) / H(v_k),  H(v) = -sum_a p(a) log p(a),

    with I the ``mutual_information_matrix`` (nats, ``n_bins`` equal-width bins per column) and
    H the entropy of the discretised factor. 1 when each factor is captured by one code
    dimension that says nothing of the others; near 0 for codes mixing or ignoring factors.
    (disentanglement_lib bins only the codes: its factors are already discrete indices, which
    these bins leave apart when their range is at most ``n_bins``.)

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_components)
        The codes, with n_components >= 2.
    factors : array-like of shape (n_samples, n_factors) or (n_samples,)
        The factors of variation (a 1-D array is one factor); none may be constant.
    n_bins : int, default 20
        Bins per column (at least 2).

    Returns
    -------
    float
        The MIG, in [0, 1].

    Raises
    ------
    DataError
        If Z has fewer than 2 columns, a factor is constant, or the numbers of rows differ.

    See Also
    --------
    mutual_information_matrix, npae.datasets.make_sprites

    Examples
    --------
    >>> import numpy as np
    >>> from npae.metrics import mutual_information_gap
    >>> factor = np.array([0, 0, 1, 1])
    >>> Z = np.column_stack([factor, [0, 1, 0, 1]])
    >>> round(mutual_information_gap(Z, factor), 6)
    1.0
    """
    Z, factors = _check_codes_and_factors(Z, factors, n_bins)
    if Z.shape[1] < 2:
        raise DataError(f"the mutual information gap needs at least 2 code dimensions (the gap is between "
                        f"the best and the second-best); Z has {Z.shape[1]}")
    mi, f_bins = _mi_matrix(Z, factors, int(n_bins))
    entropy = _entropies(f_bins, int(n_bins))
    constant = np.flatnonzero(entropy <= 0.0)
    if constant.size:
        j = int(constant[0])
        raise DataError(f"factor {j} (column {j} of factors) is constant (every value is {float(factors[0, j]):g}), so "
                        f"its entropy is zero and its gap undefined; drop the constant factor(s) "
                        f"{constant.tolist()}")
    ranked = np.sort(mi, axis=0)
    return float(np.mean((ranked[-1] - ranked[-2]) / entropy))
