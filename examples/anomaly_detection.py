"""Anomaly detection on digits: learn what 0-4 look like, flag 5-9 as unusual.

An autoencoder trained only on normal data reconstructs normal data well and
unusual data badly, so the reconstruction error is an anomaly score. npae follows
scikit-learn's outlier-detector conventions: score_samples and decision_function
are HIGHER for more normal samples (the negative error), predict gives +1 for
inliers and -1 for outliers, and contamination sets the threshold.

    python examples/anomaly_detection.py [--quick]
"""

import argparse

import numpy as np

from npae import Autoencoder
from npae.datasets import load_digits
from npae.metrics import roc_auc_score

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
args = parser.parse_args()

X, y = load_digits()
order = np.random.default_rng(0).permutation(len(X))
train, test = order[:1400], order[1400:]
normal = y[train] < 5
detector = Autoencoder(hidden=(32, 8), activation="relu", code_activation="linear", contamination=0.05,
                       epochs=3 if args.quick else 40, batch_size=32, learning_rate=3e-3, random_state=0)
detector.fit(X[train][normal])

X_test, is_outlier = X[test], y[test] >= 5
error = detector.reconstruction_error(X_test)            # = -score_samples: higher is more unusual
auc = roc_auc_score(is_outlier, error)
flags = detector.predict(X_test)                          # +1 inlier, -1 outlier
print(f"trained on {normal.sum()} digits 0-4; threshold_ (reconstruction error) {detector.threshold_:.4f}")
print(f"ROC AUC of the reconstruction error for digits 5-9 among held-out digits: {auc:.3f}")
print(f"flagged as outliers: {np.mean(flags[is_outlier] == -1):.0%} of 5-9, "
      f"{np.mean(flags[~is_outlier] == -1):.0%} of 0-4")
worst = np.argmax(error)
per_pixel = detector.reconstruction_error(X_test[worst:worst + 1], per_feature=True)[0]
print(f"most unusual held-out digit: a {y[test][worst]}; its worst pixels (row, col): "
      f"{[divmod(int(i), 8) for i in np.argsort(per_pixel)[::-1][:3]]}")
