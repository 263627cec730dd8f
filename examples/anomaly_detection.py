"""Anomaly detection on digits: learn what 0-4 look like, flag 5-9
==================================================================

An autoencoder trained only on normal data reconstructs normal data well and
unusual data badly, so the reconstruction error is an anomaly score. npae follows
scikit-learn's outlier-detector conventions: ``score_samples`` and
``decision_function`` are HIGHER for more normal samples (the negative error),
``predict`` gives +1 for inliers and -1 for outliers, and ``contamination`` sets the
threshold: the share of NEW normal rows to flag, taken on rows held out of training
(20% by default), so that it transfers to data the model has not seen.
``set_params(contamination=...)`` moves the threshold without refitting.

Run it as ``python examples/anomaly_detection.py [--quick] [--out DIR]`` (``--out``
saves the picture as a PNG file; it needs matplotlib).
"""

import argparse
import os

import numpy as np

from npae import Autoencoder
from npae.datasets import load_digits
from npae.metrics import roc_auc_score

parser = argparse.ArgumentParser(description="Anomaly detection on digits")
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
parser.add_argument("--out", default=None, help="folder to save the picture in (PNG)")
args = parser.parse_args()

X, y = load_digits()
order = np.random.default_rng(0).permutation(len(X))
train, test = order[:1400], order[1400:]
normal = y[train] < 5
detector = Autoencoder(hidden=(32, 8), activation="relu", code_activation="linear", contamination=0.05,
                       epochs=3 if args.quick else 40, batch_size=32, learning_rate=3e-3, random_state=0)
detector.fit(X[train][normal])  # trains on 80% of these rows, takes the threshold on the other 20%

X_test, is_outlier = X[test], y[test] >= 5
error = detector.reconstruction_error(X_test)            # = -score_samples: higher is more unusual
auc = roc_auc_score(is_outlier, error)
print(f"trained on {normal.sum()} digits 0-4 ({detector.loss_}); threshold_ (reconstruction error) "
      f"{detector.threshold_:.4f}, taken on {len(detector.calibration_scores_)} held-out rows")
print(f"ROC AUC of the reconstruction error for digits 5-9 among held-out digits: {auc:.3f}")
for contamination in (0.05, 0.2):
    flags = detector.set_params(contamination=contamination).predict(X_test)   # +1 inlier, -1 outlier
    print(f"contamination {contamination:.2f}: flagged {np.mean(flags[~is_outlier] == -1):.0%} of the new 0-4, "
          f"{np.mean(flags[is_outlier] == -1):.0%} of 5-9")
worst = np.argmax(error)
per_pixel = detector.reconstruction_error(X_test[worst:worst + 1], per_feature=True)[0]
print(f"most unusual held-out digit: a {y[test][worst]}; its worst pixels (row, col): "
      f"{[divmod(int(i), 8) for i in np.argsort(per_pixel)[::-1][:3]]}")

# %%
# The errors of the held-out digits
# ---------------------------------
# The reconstruction errors of the new 0-4 and of the 5-9 the model never saw, with the
# threshold for each contamination: the rows to the right of a line are flagged.
try:
    from matplotlib.figure import Figure
except ImportError:
    print("matplotlib is not installed: no picture")
else:
    fig = Figure(figsize=(7, 3.5), layout="constrained")
    ax = fig.add_subplot()
    bins = np.linspace(0.0, np.quantile(error, 0.99), 40)
    ax.hist(error[~is_outlier], bins=bins, alpha=0.6, label="new digits 0-4 (inliers)")
    ax.hist(error[is_outlier], bins=bins, alpha=0.6, label="digits 5-9 (never seen)")
    for contamination, style in ((0.05, "-"), (0.2, "--")):
        threshold = detector.set_params(contamination=contamination).threshold_
        ax.axvline(threshold, color="k", linestyle=style, label=f"threshold_, contamination {contamination}")
    ax.set_xlabel("reconstruction error (mean squared, per pixel)")
    ax.set_ylabel("digits")
    ax.legend(fontsize="small")
    if args.out is not None:
        fig.savefig(os.path.join(args.out, "anomaly_errors.png"), dpi=100)
        print(f"wrote {os.path.join(args.out, 'anomaly_errors.png')}")
