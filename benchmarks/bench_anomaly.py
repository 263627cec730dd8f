"""Anomaly detection side by side: npae's autoencoder against pyod's AutoEncoder,
IsolationForest, KNN and PCA, on data that ships offline.

    python benchmarks/bench_anomaly.py [--quick] [--seeds 3] [--threads 1] [--data-dir DIR]
                                       [--only NAME ...] [--digits 0 4 7] [--contaminated]
                                       [--dropout-probe] [--npae-dropout P] [--holdout-probe]
                                       [--npae-epochs N] [--out NAME]

The novelty setting, where a detector's threshold has to transfer: each detector trains on
inliers only (``--contaminated`` adds 7% outliers to the training rows, pyod's outlier
setting) with contamination=0.07, the share of new inliers it is asked to flag, and is then
scored on held-out inliers and outliers.

* breast cancer (malignant are the outliers), wine (class 2), digits (the 9s), blobs (five
  Gaussian blobs in 10-D, uniform noise over their box as outliers): the inliers split
  60 / 40 by seed; MinMaxScaler fitted on the training rows (held-out rows leave [0, 1]);
  every held-out outlier is scored (a ROC AUC does not depend on the outlier share, and wine
  would otherwise have four).
* MNIST one-class (``--data-dir``/mnist, default ../shared/data): train on one digit's
  training images, score that digit's test images against 1,000 test images of the others
  (drawn by seed); pixels / 255.

Columns: ROC AUC of the test scores (mean ± standard deviation over seeds), fit seconds (the
median; timed after one warm-up fit of each detector), and the share of held-out inliers
flagged (mean, and range over seeds): the aim is contamination, 7%. For the autoencoders
``train-q`` is the share flagged had the threshold been the training rows' quantile (what pyod
does): computed from the same fitted model, no refit. Peers not installed (pyod, scikit-learn)
are skipped. Prints markdown tables and writes results/anomaly.json.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

from common import HERE, every_framework_threads, machine, markdown_table, write_json

CONTAMINATION = 0.07

#: npae's autoencoder, set once for every dataset (not per dataset): pyod's default network
#: (64-32-64, relu, linear output) trained longer than pyod's 10 epochs, Adam 1e-3, batch 32, with
#: dropout 0.1 on the hidden layers (pyod's default is 0.2; on 10 seeds 0.1 did better than none on
#: breast cancer, wine and digits, 0.2 and 0.05 only on some). None of masking noise (0.1, 0.2),
#: weight decay (1e-5, 1e-4), early stopping, 20 epochs, tanh or sigmoid units did better on every
#: dataset (RESULTS.md); "pyod AE (same net)" trains exactly this
TUNED = dict(hidden=(64, 32), activation="relu", epochs=50, batch_size=32, learning_rate=1e-3, dropout=0.1)


# ------------------------------------------------------------------ data
def tabular(name):
    """(inliers, outliers) of a small tabular set, unscaled."""
    if name == "blobs":
        from sklearn.datasets import make_blobs

        X, _ = make_blobs(n_samples=1000, n_features=10, centers=5, random_state=0)
        low, high = X.min(axis=0), X.max(axis=0)
        pad = 0.1 * (high - low)
        noise = np.random.default_rng(0).uniform(low - pad, high + pad, size=(300, X.shape[1]))
        return X, noise
    if name == "digits":
        from npae.datasets import load_digits

        X, y = load_digits()
        return X[y != 9], X[y == 9]
    from sklearn import datasets

    if name == "breast_cancer":
        X, y = datasets.load_breast_cancer(return_X_y=True)
        return X[y == 1], X[y == 0]  # benign inliers, malignant outliers
    X, y = datasets.load_wine(return_X_y=True)
    return X[y != 2], X[y == 2]


def tabular_split(name, seed, contaminated):
    """X_train, X_test, is_outlier (test), X_test_inliers; MinMax-scaled on the training rows."""
    from sklearn.preprocessing import MinMaxScaler

    inliers, outliers = tabular(name)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(inliers))
    n_train = int(round(0.6 * len(inliers)))
    train, test_in = inliers[order[:n_train]], inliers[order[n_train:]]
    out_order = rng.permutation(len(outliers))
    n_add = int(round(CONTAMINATION / (1 - CONTAMINATION) * n_train)) if contaminated else 0
    train = np.vstack([train, outliers[out_order[:n_add]]])
    test_out = outliers[out_order[n_add:]]
    scaler = MinMaxScaler().fit(train)
    X_test = scaler.transform(np.vstack([test_in, test_out]))
    is_outlier = np.r_[np.zeros(len(test_in), bool), np.ones(len(test_out), bool)]
    return scaler.transform(train)[rng.permutation(len(train))], X_test, is_outlier


_MNIST = {}


def mnist_split(digit, seed, contaminated, data_dir, n_outliers=1000):
    from npae.datasets import load_mnist

    if not _MNIST:
        folder = os.path.join(data_dir, "mnist")
        _MNIST["train"] = load_mnist(path=folder, kind="train")
        _MNIST["test"] = load_mnist(path=folder, kind="test")
    (Xtr, ytr), (Xte, yte) = _MNIST["train"], _MNIST["test"]
    rng = np.random.default_rng(seed)
    train = Xtr[ytr == digit]
    if contaminated:
        others = np.flatnonzero(ytr != digit)
        n_add = int(round(CONTAMINATION / (1 - CONTAMINATION) * len(train)))
        train = np.vstack([train, Xtr[rng.choice(others, n_add, replace=False)]])
        train = train[rng.permutation(len(train))]
    test_out = Xte[rng.choice(np.flatnonzero(yte != digit), n_outliers, replace=False)]
    test_in = Xte[yte == digit]
    is_outlier = np.r_[np.zeros(len(test_in), bool), np.ones(len(test_out), bool)]
    return train, np.vstack([test_in, test_out]), is_outlier


# ------------------------------------------------------------------ detectors
class Detector:
    """fit(X); score(X): higher = more anomalous; flags(X): True = outlier; train_flags(X_train, X)."""

    def __init__(self, make):
        self.make = make

    def fit(self, X, seed):
        self.model = self.make(seed)
        self.model.fit(X)
        return self

    def train_quantile_flags(self, X_train, X):
        """Flags under the training rows' contamination quantile (pyod's threshold)."""
        return None


class Npae(Detector):
    def score(self, X):
        return self.model.reconstruction_error(X)

    def flags(self, X):
        return self.model.predict(X) == -1

    def train_quantile_flags(self, X_train, X):
        threshold = np.percentile(self.score(X_train), 100 * (1 - CONTAMINATION))
        return self.score(X) > threshold


class NpaeEveryRow(Npae):
    """npae's detector trained on every training row: its threshold is then taken on those
    rows (``validation_data=X``), as pyod's is, so only its ROC AUC is comparable: what the
    hold-out the threshold needs costs in ranking."""

    def fit(self, X, seed):
        self.model = self.make(seed)
        self.model.fit(X, validation_data=X)
        return self


class Pyod(Detector):
    threads = None

    def fit(self, X, seed):
        # numba's OpenMP layer, once launched, resets the shared libgomp's count to its own (seen:
        # torch.get_num_threads() 2 inside every_framework_threads(1)): set PyTorch's again
        if self.threads is not None and "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(self.threads)
        return super().fit(X, seed)

    def score(self, X):
        return self.model.decision_function(X)

    def flags(self, X):
        return self.model.predict(X) == 1

    def train_quantile_flags(self, X_train, X):
        return self.flags(X)  # pyod's threshold is the training rows' quantile already


class Sklearn(Detector):
    def score(self, X):
        return -self.model.score_samples(X)

    def flags(self, X):
        return self.model.predict(X) == -1


def detectors(quick, dropout_probe=False, npae_dropout=None, holdout_probe=False, npae_epochs=None):
    """name -> Detector, for the peers that are installed. ``dropout_probe`` adds pyod's AutoEncoder
    with the same network and dropout 0.2 on its hidden layers: whether dropout would pay in npae.
    ``npae_dropout`` (a probability P) adds "npae AE (tuned, dropout P)": the tuned settings with
    dropout P on npae's hidden layers."""
    from npae import Autoencoder

    epochs = 5 if quick else TUNED["epochs"]
    tuned = dict(TUNED, epochs=epochs)
    found = {
        "npae AE (defaults)": Npae(lambda seed: Autoencoder(contamination=CONTAMINATION, random_state=seed,
                                                             epochs=3 if quick else 20)),
        "npae AE (tuned)": Npae(lambda seed: Autoencoder(contamination=CONTAMINATION, random_state=seed, **tuned)),
    }
    if npae_dropout:
        found[f"npae AE (tuned, dropout {npae_dropout:g})"] = Npae(lambda seed: Autoencoder(
            contamination=CONTAMINATION, random_state=seed, **dict(tuned, dropout=npae_dropout)))
    if holdout_probe:
        found["npae AE (tuned, every row)"] = NpaeEveryRow(lambda seed: Autoencoder(
            contamination=CONTAMINATION, random_state=seed, **tuned))
    if npae_epochs:
        found[f"npae AE (tuned, {npae_epochs} epochs)"] = Npae(lambda seed: Autoencoder(
            contamination=CONTAMINATION, random_state=seed, **dict(tuned, epochs=npae_epochs)))
    try:
        from pyod.models.auto_encoder import AutoEncoder as PyodAE
        from pyod.models.knn import KNN
        from pyod.models.pca import PCA as PyodPCA
    except ImportError:
        print("pyod is not installed: its AutoEncoder, KNN and PCA are skipped (pip install pyod)")
    else:
        found["pyod AE (defaults)"] = Pyod(lambda seed: PyodAE(contamination=CONTAMINATION, random_state=seed,
                                                              verbose=0, **({"epoch_num": 2} if quick else {})))
        found["pyod AE (same net)"] = Pyod(lambda seed: PyodAE(
            contamination=CONTAMINATION, random_state=seed, verbose=0, hidden_neuron_list=list(TUNED["hidden"]),
            hidden_activation_name=TUNED["activation"], batch_norm=False, dropout_rate=TUNED["dropout"],
            optimizer_params={"weight_decay": 0.0}, epoch_num=epochs, batch_size=TUNED["batch_size"],
            lr=TUNED["learning_rate"], preprocessing=False))
        if dropout_probe:
            found["pyod AE (same net, dropout 0.2)"] = Pyod(lambda seed: PyodAE(
                contamination=CONTAMINATION, random_state=seed, verbose=0, hidden_neuron_list=list(TUNED["hidden"]),
                hidden_activation_name=TUNED["activation"], batch_norm=False, dropout_rate=0.2,
                optimizer_params={"weight_decay": 0.0}, epoch_num=epochs, batch_size=TUNED["batch_size"],
                lr=TUNED["learning_rate"], preprocessing=False))
        found["KNN (pyod)"] = Pyod(lambda seed: KNN(contamination=CONTAMINATION))
        found["PCA (pyod)"] = Pyod(lambda seed: PyodPCA(contamination=CONTAMINATION, random_state=seed))
    try:
        from sklearn.ensemble import IsolationForest
    except ImportError:
        print("scikit-learn is not installed: IsolationForest is skipped")
    else:
        found["IsolationForest"] = Sklearn(lambda seed: IsolationForest(contamination=CONTAMINATION,
                                                                        random_state=seed))
    return found


def roc_auc(is_outlier, score):
    from npae.metrics import roc_auc_score

    return float(roc_auc_score(is_outlier, score))


# ------------------------------------------------------------------ running
def run(name, split, seeds, found):
    """Per detector: the per-seed AUC, fit seconds, flagged shares. Seed by seed, every detector
    on the same split one after the other (a shared machine's drift then hits them alike)."""
    out = {det_name: [] for det_name in found}
    for seed in seeds:
        X_train, X_test, is_outlier = split(seed)
        inliers = X_test[~is_outlier]
        for det_name, det in found.items():
            t0 = time.perf_counter()
            det.fit(X_train, seed)
            seconds = time.perf_counter() - t0
            row = {"seed": seed, "auc": roc_auc(is_outlier, det.score(X_test)), "seconds": seconds,
                   "flagged_inliers": float(np.mean(det.flags(inliers))),
                   "flagged_training_rows": float(np.mean(det.flags(X_train))),
                   "n_train": len(X_train), "n_test_inliers": int((~is_outlier).sum()),
                   "n_test_outliers": int(is_outlier.sum())}
            train_q = det.train_quantile_flags(X_train, inliers)
            if train_q is not None:
                row["flagged_inliers_train_quantile"] = float(np.mean(train_q))
            if hasattr(det.model, "n_iter_"):
                row["epochs_run"] = int(det.model.n_iter_)
            out[det_name].append(row)
            print(f"  {name:<14} {det_name:<20} seed {seed}: AUC {row['auc']:.3f}  fit {seconds:6.2f}s  "
                  f"flagged {row['flagged_inliers']:.1%} of held-out inliers", flush=True)
    return out


def warm_up(found):
    """One tiny fit of each detector: numba compiles, PyTorch initialises, outside the timings."""
    X = np.random.default_rng(0).random((64, 5))
    for det in found.values():
        det.fit(X, 0)
        det.score(X)


def summarise(results):
    header = ["dataset", "detector", "ROC AUC", "fit s", "flagged held-out inliers", "train-q"]
    rows = []
    for name, per_detector in results.items():
        for det_name, runs in per_detector.items():
            auc = [r["auc"] for r in runs]
            flagged = [r["flagged_inliers"] for r in runs]
            train_q = [r["flagged_inliers_train_quantile"] for r in runs if "flagged_inliers_train_quantile" in r]
            spread = f" ± {statistics.stdev(auc):.3f}" if len(auc) > 1 else ""
            rows.append([name, det_name, f"{np.mean(auc):.3f}{spread}",
                         f"{statistics.median(r['seconds'] for r in runs):.2f}",
                         f"{np.mean(flagged):.1%} ({min(flagged):.1%}-{max(flagged):.1%})",
                         f"{np.mean(train_q):.1%}" if train_q and "AE" in det_name else ""])
    return markdown_table(header, rows)


def speed_ratios(results):
    lines = []
    for name, per_detector in results.items():
        if "pyod AE (same net)" in per_detector:
            npae_s = statistics.median(r["seconds"] for r in per_detector["npae AE (tuned)"])
            pyod_s = statistics.median(r["seconds"] for r in per_detector["pyod AE (same net)"])
            lines.append(f"{name}: pyod same net {pyod_s:.2f}s / npae tuned {npae_s:.2f}s = {pyod_s / npae_s:.1f}x")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, few epochs, two MNIST digits (a smoke run)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per dataset (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="threads for every framework (default 1)")
    parser.add_argument("--data-dir", default=os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "data"),
                        help="folder holding mnist/ (default ../shared/data)")
    parser.add_argument("--only", nargs="*", help="dataset names: breast_cancer wine digits blobs mnist")
    parser.add_argument("--digits", type=int, nargs="*", default=[0, 4, 7],
                        help="MNIST one-class digits (default 0 4 7: 15 minutes on one "
                             "thread, as in RESULTS.md)")
    parser.add_argument("--contaminated", action="store_true",
                        help="add 7%% outliers to the training rows (pyod's outlier setting)")
    parser.add_argument("--dropout-probe", action="store_true",
                        help="also pyod's AutoEncoder with the same network and dropout 0.2 (does dropout pay?)")
    parser.add_argument("--npae-dropout", type=float, metavar="P",
                        help="also npae's tuned AutoEncoder with dropout P on its hidden layers (default: off)")
    parser.add_argument("--holdout-probe", action="store_true",
                        help="also npae's tuned detector trained on every row (threshold on them, as pyod's): "
                             "what the hold-out costs in ROC AUC")
    parser.add_argument("--npae-epochs", type=int, metavar="N",
                        help="also npae's tuned detector trained for N epochs")
    parser.add_argument("--out", help="name of the JSON written to results/ (default anomaly[_contaminated][_quick])")
    args = parser.parse_args()
    seeds = list(range(1 if args.quick else args.seeds))
    names = args.only or ["breast_cancer", "wine", "digits", "blobs", "mnist"]
    digits = args.digits[:2] if args.quick else args.digits
    results = {"machine": machine(), "threads": args.threads, "contamination": CONTAMINATION, "seeds": seeds,
               "contaminated_training": args.contaminated, "tuned": {k: list(v) if isinstance(v, tuple) else v
                                                                     for k, v in TUNED.items()}, "datasets": {}}
    print(f"{results['machine']['cpu']}, {args.threads} thread(s); contamination {CONTAMINATION}")
    start = time.perf_counter()
    with every_framework_threads(args.threads):
        Pyod.threads = args.threads
        found = detectors(args.quick, args.dropout_probe, args.npae_dropout, args.holdout_probe, args.npae_epochs)
        warm_up(found)
        for name in names:
            if name == "mnist":
                if not os.path.exists(os.path.join(args.data_dir, "mnist")):
                    print(f"no MNIST in {args.data_dir}/mnist: skipped (--data-dir)")
                    continue
                for d in digits:
                    results["datasets"][f"mnist {d}"] = run(
                        f"mnist {d}", lambda seed, d=d: mnist_split(d, seed, args.contaminated, args.data_dir),
                        seeds, found)
            else:
                results["datasets"][name] = run(name, lambda seed, n=name: tabular_split(n, seed, args.contaminated),
                                                seeds, found)
    results["seconds"] = time.perf_counter() - start
    print()
    print(summarise(results["datasets"]))
    print()
    print(speed_ratios(results["datasets"]))
    print(f"\ntotal {results['seconds'] / 60:.1f} min")
    name = args.out or "anomaly" + ("_contaminated" if args.contaminated else "") + ("_quick" if args.quick else "")
    print(f"wrote {write_json(name, results)}")


if __name__ == "__main__":
    sys.exit(main())
