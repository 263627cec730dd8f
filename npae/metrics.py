"""Metrics, with scikit-learn's signatures, in NumPy alone."""

import numpy as np

from .errors import DataError


def _ranks(values):
    """Ranks 1..n of values, ties given their average rank."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), dtype=np.float64)
    sorted_values = values[order]
    boundaries = np.flatnonzero(np.diff(sorted_values)) + 1
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
    classes = np.unique(y_true)
    if len(classes) != 2:
        raise DataError(f"roc_auc_score needs exactly two classes in y_true; got {classes.tolist()}")
    positive = y_true == classes[1]
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    rank_sum = _ranks(y_score)[positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))
