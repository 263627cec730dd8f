"""Denoising on MNIST: train on masked digits, reconstruct the clean ones.

A denoising autoencoder sees each training image with a fresh 30% of its pixels
zeroed and learns to output the clean image. On held-out digits with 30% of
pixels zeroed it gets closer to the clean digits than a plain autoencoder of the
same shape and budget.

    python examples/denoising_mnist.py [--data-dir ../shared/data/mnist] [--quick]

Reads the original IDX .gz files; with --quick and no MNIST at hand it uses the
embedded 8x8 digits instead.
"""

import argparse
import os
import time

import numpy as np

from npae import Autoencoder, DenoisingAutoencoder
from npae.datasets import load_digits, load_mnist
from npae.errors import DataError

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data-dir", default=os.path.join(here, "..", "..", "shared", "data", "mnist"))
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
args = parser.parse_args()

try:
    X_train, _ = load_mnist(args.data_dir, kind="train")
    X_test, _ = load_mnist(args.data_dir, kind="test")
    source = "MNIST"
except DataError:
    if not args.quick:
        raise
    X, _ = load_digits(np.float32)
    X_train, X_test, source = X[:1400], X[1400:], "8x8 digits (MNIST not found)"
if args.quick:
    X_train, X_test = X_train[:2000], X_test[:500]
settings = dict(hidden=(256,), activation="sigmoid", epochs=1 if args.quick else 10, batch_size=128,
                learning_rate=1e-3, random_state=0)
X_masked = X_test * (np.random.default_rng(1).random(X_test.shape) >= 0.3)

print(f"{source}: {len(X_train)} training images, {len(X_test)} held out, 30% of test pixels zeroed")
for name, model in [("plain", Autoencoder(**settings)), ("denoising", DenoisingAutoencoder(**settings))]:
    t0 = time.perf_counter()
    model.fit(X_train)
    error = np.mean((model.reconstruct(X_masked) - X_test) ** 2)
    print(f"{name:<10} MSE to the clean digits {error:.4f}   ({time.perf_counter() - t0:.1f} s)")
