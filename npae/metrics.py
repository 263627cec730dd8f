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
    random negative (ties count one half), by the Mann-Whitney rank-sum formula
    AUC = (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg).  y_true: (n,) of two classes
    (the larger is positive); y_score: (n,), higher means more positive."""
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
    """How far the embedding Z keeps out points that were far in X (scikit-learn's definition):

    T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in U_i^k} (r(i, j) - k),

    where U_i^k are the k nearest neighbours of i in Z that are not among its k nearest
    in X, and r(i, j) is the rank of j among i's neighbours in X. 1 is perfect.
    X: (n, m); Z: (n, d); n_neighbors < n / 2."""
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
    trustworthiness formula with the roles of X and Z swapped. 1 is perfect."""
    return trustworthiness(Z, X, n_neighbors)


def knn_accuracy(Z_train, y_train, Z_test=None, y_test=None, n_neighbors=5):
    """Accuracy of a k-nearest-neighbour majority vote (ties to the smallest label) in code
    space: of ``Z_test`` by ``Z_train``, or leave-one-out on ``Z_train`` when no test set
    is given. Z: (n, d); y: (n,)."""
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
    map tau ~ [Z, 1] B, averaged over tau's columns (1 - SS_res / SS_tot). Z: (n, d); tau: (n, p)."""
    Z, tau = np.asarray(Z, dtype=np.float64), np.asarray(tau, dtype=np.float64)
    tau = tau[:, None] if tau.ndim == 1 else tau
    design = np.column_stack([Z, np.ones(len(Z))])
    B, *_ = np.linalg.lstsq(design, tau, rcond=None)
    residual = ((tau - design @ B) ** 2).sum(axis=0)
    total = ((tau - tau.mean(axis=0)) ** 2).sum(axis=0)
    return float(np.mean(1.0 - residual / total))
